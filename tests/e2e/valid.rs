//! Edge-case policies that must validate: per-environment everything, all six gate kinds,
//! business-day holds with a calendar, script gates.

use crate::common::{rollgate, root, run};

#[test]
fn each_valid_edge_case_validates_cleanly() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests/fixtures/valid"))
        .expect("tests/fixtures/valid exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| format!("tests/fixtures/valid/{n}"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for f in &files {
        let out = run(rollgate().args(["validate", f]));
        assert_eq!(out.code, 0, "{f}:\n{}", out.stderr);
        assert_eq!(out.stderr, "", "{f}: no warnings expected");
        assert_eq!(out.stdout.trim(), format!("{f}: ok"));
    }
}
