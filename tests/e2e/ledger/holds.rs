//! Holds: restarted by a red decision, counted in business days from the `enter` entry, the
//! entry time's sources, and `run --ledger`.

use super::*;

/// Green data for the canary at `now`, expected to give `verdict`.
fn canary_green(file: &Path, now: &str, verdict: &str) -> Value {
    expect_eval(file, "canary", "green.json", now, verdict)
}

/// A canary entered at 10:00 (hold 1h), HOLD at 10:10 and NO-GO (red data) at 10:20.
fn entered_then_red(name: &str) -> PathBuf {
    let (_, file) = scratch(name);
    add("enter", &file, "canary", "2026-11-06T10:00:00Z", "ci", &[]);
    canary_green(&file, "2026-11-06T10:10:00Z", "hold");
    expect_eval(&file, "canary", "red.json", "2026-11-06T10:20:00Z", "no-go");
    file
}

/// [`entered_then_red`], then green again at 10:30 (HOLD): the hold restarted there.
fn restarted(name: &str) -> PathBuf {
    let file = entered_then_red(name);
    canary_green(&file, "2026-11-06T10:30:00Z", "hold");
    file
}

/// Entered at 10:00 (hold 1h): HOLD at 10:10 counting from the entry, NO-GO at 10:20 blocked
/// by the red gate.
#[test]
fn a_hold_counts_from_the_entry_until_a_red_decision() {
    let (_dir, file) = scratch("hold-entry");
    add("enter", &file, "canary", "2026-11-06T10:00:00Z", "ci", &[]);
    let d = canary_green(&file, "2026-11-06T10:10:00Z", "hold");
    assert_eq!(d["entered_at"], "2026-11-06T10:00:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 600);
    assert_eq!(d["hold"]["remaining_s"], 3000);
    assert_eq!(d["hold"]["earliest_go_at"], "2026-11-06T11:00:00Z");
    assert!(d["hold"].get("restarted_at").is_none(), "{}", d["hold"]);
    assert_eq!(hold_history(&d), []);

    let d = expect_eval(&file, "canary", "red.json", "2026-11-06T10:20:00Z", "no-go");
    assert_eq!(blocking_gates(&d), ["errors"]);
}

/// The first green evaluation after the red one (10:30) starts the clock again.
#[test]
fn a_red_decision_restarts_the_hold() {
    let file = entered_then_red("hold-restart");
    let d = canary_green(&file, "2026-11-06T10:30:00Z", "hold");
    assert_eq!(d["hold"]["restarted_at"], "2026-11-06T10:30:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 0);
    assert_eq!(d["hold"]["remaining_s"], 3600);
    assert_eq!(d["hold"]["earliest_go_at"], "2026-11-06T11:30:00Z");
    assert_eq!(
        hold_history(&d),
        [
            ("2026-11-06T10:10:00Z".into(), "hold".into()),
            ("2026-11-06T10:20:00Z".into(), "no-go".into())
        ]
    );
}

/// After the restart at 10:30, 11:00 (when the entry alone would allow a GO) is still HOLD
/// and 11:30 is GO: measured from the first green decision after the red one, not the
/// latest; the markdown report says so.
#[test]
fn a_restarted_hold_runs_its_full_length() {
    let file = restarted("hold-full-length");
    let d = canary_green(&file, "2026-11-06T11:00:00Z", "hold");
    assert_eq!(d["hold"]["restarted_at"], "2026-11-06T10:30:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 1800);
    assert_eq!(d["hold"]["remaining_s"], 1800);
    assert_eq!(
        hold_history(&d),
        [
            ("2026-11-06T10:10:00Z".into(), "hold".into()),
            ("2026-11-06T10:20:00Z".into(), "no-go".into()),
            ("2026-11-06T10:30:00Z".into(), "hold".into())
        ]
    );
    let d = canary_green(&file, "2026-11-06T11:29:59Z", "hold");
    assert_eq!(d["hold"]["remaining_s"], 1);

    let d = canary_green(&file, "2026-11-06T11:30:00Z", "go");
    assert_eq!(d["hold"]["restarted_at"], "2026-11-06T10:30:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 3600);
    assert_eq!(d["hold"]["remaining_s"], 0);
    assert_eq!(d["next_stage"], "business");
    assert_eq!(hold_history(&d).len(), 5, "{}", d["hold"]);

    let (out, _) = eval_with(
        &file,
        "canary",
        "green.json",
        "2026-11-06T11:30:00Z",
        &["--format", "markdown"],
    );
    assert!(
        out.stdout
            .contains("the hold clock restarted at 2026-11-06T10:30:00Z"),
        "{}",
        out.stdout
    );
}

/// Entered again: decisions before the latest entry (the red one among them) belong to the
/// earlier visit.
#[test]
fn a_later_enter_starts_the_hold_afresh() {
    let file = restarted("hold-enter-again");
    canary_green(&file, "2026-11-06T11:30:00Z", "go");
    add("enter", &file, "canary", "2026-11-06T12:00:00Z", "ci", &[]);
    let d = canary_green(&file, "2026-11-06T13:00:00Z", "go");
    assert_eq!(d["entered_at"], "2026-11-06T12:00:00Z");
    assert!(d["hold"].get("restarted_at").is_none(), "{}", d["hold"]);
    assert_eq!(hold_history(&d), []);
    assert_eq!(verify(&file).code, 0);
}

// --- 5. business days across a weekend -------------------------------------------------------

/// `hold: 1bd` in America/New_York, entered (by a ledger `enter`) on Friday 10:00 local: on
/// Saturday HOLD until Monday 10:00; Monday 09:59:59 HOLD; Monday 10:00 GO. The snapshot's
/// own `stage_entered_at` (a Monday, which would allow a GO long before) is not used.
#[test]
fn business_day_holds_count_from_the_enter_entry_across_a_weekend() {
    let (_dir, file) = scratch("business-days");
    // Friday 2026-11-06 10:00 in New York (EST, UTC-5).
    add(
        "enter",
        &file,
        "business",
        "2026-11-06T10:00:00-05:00",
        "ci",
        &[],
    );
    assert_eq!(entries(&file)[0]["time"], "2026-11-06T15:00:00Z");

    // Saturday noon local.
    let d = expect_eval(
        &file,
        "business",
        "green-entered.json",
        "2026-11-07T12:00:00-05:00",
        "hold",
    );
    assert_eq!(d["entered_at"], "2026-11-06T15:00:00Z");
    assert_eq!(d["hold"]["hold"], "1bd");
    assert_eq!(d["hold"]["earliest_go_at"], "2026-11-09T15:00:00Z");
    assert_eq!(
        d["hold"]["elapsed_s"],
        14 * 3600,
        "Friday 10:00 to midnight"
    );
    assert_eq!(d["hold"]["remaining_s"], 10 * 3600);

    // Sunday night: the weekend does not count.
    let d = expect_eval(
        &file,
        "business",
        "green-entered.json",
        "2026-11-08T23:00:00-05:00",
        "hold",
    );
    assert_eq!(d["hold"]["elapsed_s"], 14 * 3600);

    let d = expect_eval(
        &file,
        "business",
        "green-entered.json",
        "2026-11-09T09:59:59-05:00",
        "hold",
    );
    assert_eq!(d["hold"]["remaining_s"], 1);

    let d = expect_eval(
        &file,
        "business",
        "green-entered.json",
        "2026-11-09T10:00:00-05:00",
        "go",
    );
    assert_eq!(d["evaluated_at"], "2026-11-09T15:00:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 86_400);
    assert_eq!(d["next_stage"], "approved");
}

/// Where the entry time comes from: `--entered-at`, else the latest `enter` of the policy,
/// environment and stage at or before now, else the snapshot's `stage_entered_at`.
#[test]
fn the_entry_time_comes_from_the_latest_enter() {
    let (_dir, file) = scratch("entry-time");
    // No entry in the ledger for this stage: the snapshot's.
    add("enter", &file, "full", "2026-11-06T08:00:00Z", "ci", &[]);
    let d = expect_eval(
        &file,
        "canary",
        "green-entered.json",
        "2026-11-06T08:30:00Z",
        "go",
    );
    assert_eq!(d["entered_at"], "2026-11-02T15:00:00Z");

    add("enter", &file, "canary", "2026-11-06T09:00:00Z", "ci", &[]);
    add("enter", &file, "canary", "2026-11-06T09:30:00Z", "ci", &[]);
    // Recorded out of order: the latest time wins, not the last line.
    add("enter", &file, "canary", "2026-11-06T09:10:00Z", "ci", &[]);
    // An entry after now is not yet.
    add("enter", &file, "canary", "2026-11-06T11:00:00Z", "ci", &[]);
    let d = expect_eval(
        &file,
        "canary",
        "green-entered.json",
        "2026-11-06T10:00:00Z",
        "hold",
    );
    assert_eq!(d["entered_at"], "2026-11-06T09:30:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 1800);

    // The flag wins over the ledger.
    let (out, d) = eval_with(
        &file,
        "canary",
        "green-entered.json",
        "2026-11-06T10:05:00Z",
        &["--format", "json", "--entered-at", "2026-11-06T08:00:00Z"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(d["entered_at"], "2026-11-06T08:00:00Z");
}

/// `rollgate run --ledger` reads the entry time from the ledger and appends its decision.
#[test]
fn run_reads_the_entry_from_the_ledger_and_records_its_decision() {
    let (_dir, file) = scratch("run");
    let policy = format!("{DIR}/run-policy.yaml");
    let out = ledger_add_for(
        &policy,
        "enter",
        &file,
        "canary",
        "2026-11-06T10:00:00Z",
        "ci",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&mut run_canary(&policy, "2026-11-06T10:30:00Z", &file));
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    let d: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(d["entered_at"], "2026-11-06T10:00:00Z");
    assert_eq!(d["hold"]["elapsed_s"], 1800);
    let ds = decisions(&file);
    assert_eq!(ds.len(), 1, "{}", out.stderr);
    assert_eq!(ds[0]["time"], "2026-11-06T10:30:00Z");
    assert_eq!(ds[0]["payload"]["verdict"], "hold");
    assert!(out.stderr.contains("recorded as entry 2"), "{}", out.stderr);
}
