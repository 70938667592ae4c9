//! Every policy in `policies/` validates, and every seed runbook has one.

use crate::common::{rollgate, root, run};

fn policy_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("policies"))
        .expect("policies/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.ends_with(".test.yaml"))
        .map(|n| format!("policies/{n}"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_policy_validates_without_warnings() {
    let files = policy_files();
    assert!(files.len() >= 5, "one policy per seed runbook: {files:?}");
    for f in &files {
        let out = run(rollgate().args(["validate", f]));
        assert_eq!(out.code, 0, "{f}:\n{}", out.stderr);
        assert_eq!(out.stderr, "", "{f} has warnings");
        assert_eq!(out.stdout.trim(), format!("{f}: ok"));
    }
}

#[test]
fn every_policy_carries_the_schema_modeline() {
    for f in policy_files() {
        let text = std::fs::read_to_string(root().join(&f)).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/policy.schema.json\n"),
            "{f} lacks the modeline"
        );
    }
}
