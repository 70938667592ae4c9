//! A stage that needs a named approval.

use super::*;

/// A ledger where alice approved an earlier visit of stage `approved` (09:00; not this one)
/// and the stage was entered at 10:00 (its 30m hold long elapsed by noon).
fn entered_after_an_old_approval(name: &str) -> PathBuf {
    let (_, file) = scratch(name);
    add(
        "approve",
        &file,
        "approved",
        "2026-11-06T09:00:00Z",
        "alice",
        &[],
    );
    add(
        "enter",
        &file,
        "approved",
        "2026-11-06T10:00:00Z",
        "ci",
        &[],
    );
    file
}

/// Green data for stage `approved` at `now`, expected to give `verdict`.
fn green_at(file: &Path, now: &str, verdict: &str) -> Value {
    expect_eval(file, "approved", "green.json", now, verdict)
}

/// A stage needing alice's approval: HOLD after its hold has elapsed, saying it awaits the
/// approval; an approval before the entry does not count.
#[test]
fn a_stage_awaits_its_named_approval() {
    let file = entered_after_an_old_approval("approval");
    let d = green_at(&file, "2026-11-06T12:00:00Z", "hold");
    assert_eq!(d["hold"]["remaining_s"], 0);
    assert_eq!(blocking_gates(&d), Vec::<String>::new());
    assert_eq!(
        d["approval"],
        serde_json::json!({"by": ["alice"], "approved_by": null, "approved_at": null})
    );
    let (out, _) = eval_with(
        &file,
        "approved",
        "green.json",
        "2026-11-06T12:00:00Z",
        &["--format", "markdown"],
    );
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("awaits its approval"),
        "the statement says so: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("awaiting approval by one of alice"),
        "{}",
        out.stdout
    );
}

/// An approval by someone the stage does not name (mallory) does not count.
#[test]
fn an_approval_by_someone_else_does_not_count() {
    let file = entered_after_an_old_approval("approval-mallory");
    add(
        "approve",
        &file,
        "approved",
        "2026-11-06T12:05:00Z",
        "mallory",
        &[],
    );
    let d = green_at(&file, "2026-11-06T12:10:00Z", "hold");
    assert_eq!(d["approval"]["approved_by"], Value::Null);
}

/// Alice's approval counts from its time on (HOLD a second before, GO after); data going red
/// still blocks, approved or not.
#[test]
fn the_named_approval_counts_from_its_time_on() {
    let file = entered_after_an_old_approval("approval-alice");
    add(
        "approve",
        &file,
        "approved",
        "2026-11-06T12:15:00Z",
        "alice",
        &[],
    );
    let d = green_at(&file, "2026-11-06T12:14:59Z", "hold");
    assert_eq!(d["approval"]["approved_by"], Value::Null);
    let d = green_at(&file, "2026-11-06T12:20:00Z", "go");
    assert_eq!(d["approval"]["approved_by"], "alice");
    assert_eq!(d["approval"]["approved_at"], "2026-11-06T12:15:00Z");
    assert_eq!(d["next_stage"], "full");
    expect_eval(
        &file,
        "approved",
        "red.json",
        "2026-11-06T12:30:00Z",
        "no-go",
    );
}
