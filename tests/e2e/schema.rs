//! `schemas/*.schema.json` are exactly what `rollgate schema KIND` prints.

use crate::common::{rollgate, root, run};

#[test]
fn committed_schemas_match_the_binary() {
    for kind in ["policy", "snapshot", "decision", "test"] {
        let out = run(rollgate().args(["schema", kind]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let path = root().join(format!("schemas/{kind}.schema.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "{} is out of date; regenerate it with `cargo run -q -- schema {kind} > schemas/{kind}.schema.json`",
            path.display()
        );
    }
}

#[test]
fn schemas_are_draft_07() {
    let out = run(rollgate().args(["schema", "policy"]));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(v.get("definitions").is_some());
}

#[test]
fn version_names_rhai_and_schema() {
    let out = run(rollgate().arg("--version"));
    assert_eq!(out.code, 0);
    let mut lines = out.stdout.lines();
    assert!(
        lines.next().unwrap().starts_with("rollgate 0."),
        "{}",
        out.stdout
    );
    assert!(
        lines.next().unwrap().starts_with("rhai 1."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("schema version 1"), "{}", out.stdout);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(rollgate().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}");
        for cmd in ["validate", "eval", "run", "ledger", "diff-policy"] {
            assert!(out.stdout.contains(cmd), "{shell} completions lack `{cmd}`");
        }
    }
    let man = run(rollgate().arg("man"));
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH rollgate"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(
        man.stdout.contains("Exit codes"),
        "the man page lists the exit codes"
    );
}
