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
