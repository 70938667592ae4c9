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
