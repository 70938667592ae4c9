//! The corpus of broken policies: each exits 2 with exact, located messages (insta).

use crate::common::{rollgate, run};

#[test]
fn each_invalid_policy_is_refused_with_located_messages() {
    insta::glob!("../fixtures/invalid", "*.yaml", |path| {
        let rel = format!(
            "tests/fixtures/invalid/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let out = run(rollgate().args(["validate", &rel]));
        assert_eq!(out.code, 2, "{rel} must be refused:\n{}", out.stderr);
        assert_eq!(
            out.stdout, "",
            "{rel}: nothing on stdout for an invalid file"
        );
        insta::assert_snapshot!(out.stderr);
    });
}

#[test]
fn a_file_over_the_size_limit_is_refused_naming_the_limit() {
    let limit = rollgate_engine::MAX_DOCUMENT_BYTES;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("invalid-size-limit");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge-policy.yaml");
    // A valid policy padded past the limit with a comment: only the size is wrong.
    let mut text =
        String::from("version: 1\npolicy: huge\nstages:\n  - id: all\n    hold: 1h\n# padding:");
    while text.len() <= limit {
        text.push_str(" padding");
    }
    text.push('\n');
    std::fs::write(&path, &text).unwrap();
    let shown = path.display().to_string();
    let out = run(rollgate().args(["validate", &shown]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(&shown),
        "names the file: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{limit} bytes")),
        "names the limit: {}",
        out.stderr
    );
}

#[test]
fn a_missing_file_is_refused_naming_it() {
    let out = run(rollgate().args(["validate", "tests/fixtures/no-such-policy.yaml"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("tests/fixtures/no-such-policy.yaml: cannot read: no such file"),
        "{}",
        out.stderr
    );
}
