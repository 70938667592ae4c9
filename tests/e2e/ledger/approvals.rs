//! A stage that needs a named approval.

use super::*;

// --- 6. approvals ----------------------------------------------------------------------------

/// A stage needing alice's approval: HOLD after its hold has elapsed, saying it awaits the
/// approval; an approval before the entry, or by mallory, does not count; alice's does (from
/// its time on).
#[test]
fn a_stage_awaits_its_named_approval() {
    let (_dir, file) = scratch("approval");
    // Alice approved an earlier visit of the stage: not this one.
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

    // The 30m hold has long elapsed.
    let d = expect_eval(
        &file,
        "approved",
        "green.json",
        "2026-11-06T12:00:00Z",
        "hold",
    );
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

    add(
        "approve",
        &file,
        "approved",
        "2026-11-06T12:05:00Z",
        "mallory",
        &[],
    );
    let d = expect_eval(
        &file,
        "approved",
        "green.json",
        "2026-11-06T12:10:00Z",
        "hold",
    );
    assert_eq!(d["approval"]["approved_by"], Value::Null);

    add(
        "approve",
        &file,
        "approved",
        "2026-11-06T12:15:00Z",
        "alice",
        &[],
    );
    // Before the approval's time: not yet.
    let d = expect_eval(
        &file,
        "approved",
        "green.json",
        "2026-11-06T12:14:59Z",
        "hold",
    );
    assert_eq!(d["approval"]["approved_by"], Value::Null);
    let d = expect_eval(
        &file,
        "approved",
        "green.json",
        "2026-11-06T12:20:00Z",
        "go",
    );
    assert_eq!(d["approval"]["approved_by"], "alice");
    assert_eq!(d["approval"]["approved_at"], "2026-11-06T12:15:00Z");
    assert_eq!(d["next_stage"], "full");

    // Data going red still blocks, approved or not.
    expect_eval(
        &file,
        "approved",
        "red.json",
        "2026-11-06T12:30:00Z",
        "no-go",
    );
}
