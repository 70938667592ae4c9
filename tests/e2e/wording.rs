//! Output wording a new user tripped on (issue 13, item 10), through the real binary.

use crate::common::{rollgate, run};

fn text(snapshot: &str) -> String {
    let out = run(rollgate().args([
        "eval",
        "--policy",
        "tests/fixtures/reports/policy.yaml",
        "--env",
        "production",
        "--stage",
        "canary",
        "--snapshot",
        &format!("tests/fixtures/reports/{snapshot}"),
        "--format",
        "text",
        "--no-report",
    ]));
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
}

/// A ROLLBACK printed "Hold: ...; earliest GO ...": it says what the verdict means instead.
#[test]
fn a_rollback_shows_no_hold_and_no_earliest_go() {
    let out = text("rollback.json");
    assert!(out.starts_with("ROLLBACK"), "{out}");
    assert!(
        !out.contains("Hold:") && !out.contains("earliest GO"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "Rollback: roll back from `canary` now; the stage's hold no longer applies\n"
        ),
        "{out}"
    );
    // A HOLD keeps its hold line.
    assert!(text("hold.json").contains("earliest GO"));
}

/// A per-check gate's value is its latest check, its bound applies to each check: a pass
/// showing `1 (bound <= 0)` looked violating.
#[test]
fn a_per_check_value_says_what_was_compared() {
    let out = text("rollback.json");
    let line = out.lines().find(|l| l.contains("errors-streak")).unwrap();
    assert!(line.contains("last 0.5 (each check <= 0.2)"), "{line}");
    let line = out.lines().find(|l| l.contains("latency ")).unwrap();
    assert!(line.contains(" 204 (bound <= 250)"), "{line}");
}

/// `ledger verify` of a one-entry ledger said "1 entries, chain valid".
#[test]
fn verify_of_one_entry_counts_it_in_the_singular() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wording-one-entry");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ledger.jsonl");
    let out = run(rollgate()
        .args(["ledger", "enter"])
        .arg(&file)
        .args(["--policy", "tests/fixtures/ledger/policy.yaml"])
        .args(["--env", "production", "--stage", "canary"])
        .args(["--at", "2026-11-06T10:00:00Z", "--by", "ci"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(rollgate().args(["ledger", "verify"]).arg(&file));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.ends_with(": 1 entry, chain valid\n"),
        "{}",
        out.stdout
    );
}

/// A failed expectation of `rollgate test` said "(..., 1 samples)".
#[test]
fn a_failed_expectation_counts_one_sample_in_the_singular() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wording-one-sample");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let policy = crate::common::root().join("tests/fixtures/reports/policy.yaml");
    let file = dir.join("one.test.yaml");
    std::fs::write(
        &file,
        format!(
            "policy: {}\ntests:\n  - name: one sample\n    env: production\n    stage: full\n    now: 2026-11-22T12:00:00Z\n    series:\n      latency_ms: [ {{ labels: {{ surface: ios }}, values: \"300\" }} ]\n      errors: \"0\"\n    expect:\n      gates: {{ latency: pass }}\n",
            policy.display()
        ),
    )
    .unwrap();
    let out = run(rollgate().arg("test").arg(&file));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("gate `latency`"))
        .unwrap();
    assert!(line.contains(", 1 sample)"), "{line}");
}
