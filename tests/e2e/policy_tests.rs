//! `rollgate test`, `--capture` and `diff-policy` through the real binary.

use crate::common::{rollgate, run};

const DIR: &str = "tests/fixtures/tests";

#[test]
fn passing_tests_end_with_the_count_line() {
    let out = run(rollgate().args(["test", &format!("{DIR}/demo.test.yaml")]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout.lines().last(), Some("2 passed, 0 failed"));
}

#[test]
fn a_wrong_expectation_fails_readably() {
    let out = run(rollgate().args(["test", &format!("{DIR}/bad/wrong-expectation.test.yaml")]));
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.lines().last(), Some("0 passed, 1 failed"));
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_typo_in_a_gate_name_is_invalid_and_located() {
    let out = run(rollgate().args(["test", &format!("{DIR}/bad/typo-gate.test.yaml")]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "", "nothing ran");
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn run_selects_tests_and_none_is_a_failure() {
    let out = run(rollgate()
        .args(["test", DIR, "--run", "gap and NaN"])
        .current_dir(crate::common::root()));
    // The directory holds the bad files too: invalid input stops everything.
    assert_eq!(out.code, 2);
    let out = run(rollgate().args(["test", &format!("{DIR}/demo.test.yaml"), "--run", "^green"]));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.lines().last(), Some("1 passed, 0 failed"));
    let out = run(rollgate().args([
        "test",
        &format!("{DIR}/demo.test.yaml"),
        "--run",
        "nothing matches",
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no test ran"), "{}", out.stderr);
    assert_eq!(out.stdout.lines().last(), Some("0 passed, 0 failed"));
}

#[test]
fn coverage_is_compared_exactly() {
    // Two tests reach 4 gates; failing: errors-streak only. (4 + 1) / 8 = 62.5%.
    let out = run(rollgate().args([
        "test",
        &format!("{DIR}/demo.test.yaml"),
        "--coverage-threshold",
        "62.5",
    ]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("5 of 8 gate outcomes (62.5%)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("never seen failing: latency, jobs-done, errors-soft"),
        "{}",
        out.stdout
    );
    let out = run(rollgate().args([
        "test",
        &format!("{DIR}/demo.test.yaml"),
        "--coverage-threshold",
        "62.50001",
    ]));
    assert_eq!(out.code, 1, "just above: below the threshold");
    let out = run(rollgate().args([
        "test",
        &format!("{DIR}/demo.test.yaml"),
        "--coverage-threshold",
        "abc",
    ]));
    assert_eq!(out.code, 2);
}

#[test]
fn junit_output_for_ci() {
    let out = run(rollgate().args([
        "test",
        &format!("{DIR}/bad/wrong-expectation.test.yaml"),
        "--format",
        "junit",
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("<?xml"));
    assert!(
        out.stdout
            .contains("<failure message=\"verdict: expected go, got no-go\"")
    );
    assert!(out.stderr.ends_with("0 passed, 1 failed\n"));
}

#[test]
fn capture_writes_a_test_that_passes() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("capture");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("incident.test.yaml");
    for snap in ["no-go", "rollback", "hold"] {
        let _ = std::fs::remove_file(&file);
        let out = run(rollgate().args([
            "test",
            "--capture",
            &format!("tests/fixtures/reports/{snap}.json"),
            "--policy",
            "tests/fixtures/reports/policy.yaml",
            "--env",
            "production",
            "--stage",
            "canary",
            "--out",
            file.to_str().unwrap(),
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains("values:"),
            "regular series in notation:\n{text}"
        );
        let out = run(rollgate().args(["test", file.to_str().unwrap()]));
        assert_eq!(out.code, 0, "{snap}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stdout.lines().last(), Some("1 passed, 0 failed"));
    }
    // Never overwrites.
    let out = run(rollgate().args([
        "test",
        "--capture",
        "tests/fixtures/reports/go.json",
        "--policy",
        "tests/fixtures/reports/policy.yaml",
        "--env",
        "production",
        "--stage",
        "canary",
        "--out",
        file.to_str().unwrap(),
    ]));
    assert_eq!(out.code, 2);
}

#[test]
fn diff_policy_lists_flipped_decisions() {
    let out = run(rollgate().args([
        "diff-policy",
        "tests/fixtures/reports/policy.yaml",
        &format!("{DIR}/tighter.yaml"),
        "--snapshots",
        "tests/fixtures/reports",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    let same = run(rollgate().args([
        "diff-policy",
        "tests/fixtures/reports/policy.yaml",
        "tests/fixtures/reports/policy.yaml",
        "--snapshots",
        "tests/fixtures/reports",
    ]));
    assert_eq!(same.code, 0);
    assert!(same.stdout.ends_with("5 snapshots compared, 0 decisions would flip (1 file skipped: not snapshots, or without environment, stage and taken_at)\n"), "{}", same.stdout);
}

/// A snapshot neither policy can evaluate (another policy's: its stage is unknown here) is
/// named with the reason, never dropped without a word.
#[test]
fn diff_policy_names_snapshots_it_cannot_compare() {
    let dir = std::env::temp_dir().join(format!("rollgate-diff-other-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = crate::common::root();
    std::fs::copy(
        root.join("tests/fixtures/reports/go.json"),
        dir.join("go.json"),
    )
    .unwrap();
    std::fs::copy(
        root.join("examples/weathervane-monitor/go-production-healthy.json"),
        dir.join("other.json"),
    )
    .unwrap();
    let out = run(rollgate().args([
        "diff-policy",
        "tests/fixtures/reports/policy.yaml",
        "tests/fixtures/reports/policy.yaml",
        "--snapshots",
        dir.to_str().unwrap(),
    ]));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "1 snapshot compared, 0 decisions would flip");
    assert_eq!(
        lines[1],
        "1 snapshot not compared: neither policy evaluates it:"
    );
    assert!(
        lines[2]
            .trim_start()
            .starts_with(&format!("{}: policy `", dir.join("other.json").display()))
            && lines[2].contains("has no stage `post-promotion`"),
        "{}",
        out.stdout
    );
    assert_eq!(lines.len(), 3, "{}", out.stdout);
}
