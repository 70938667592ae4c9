//! The ledger under faults (issue 18, items 2-4): a failed append never hides the verdict
//! (printed, its exit code kept, the failure said beside it; a GO that cannot be recorded is
//! NO-GO) and is undone, leaving the ledger as it was; `ledger verify --repair-tail` drops a
//! torn last line and records that it did; a ledger path that is not a regular file is
//! refused at once, and an endless line is refused without being read whole.
//!
//! A full disk is simulated with a file-size limit (see `report_writes::limited`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::fixtures::scratch_dir;
use crate::common::ledger::{canary_eval_args, ledger_cmd, verify};
use crate::common::{Run, rollgate, run};
use crate::report_writes::limited;

const DIR: &str = "tests/fixtures/ledger";
const POLICY: &str = "tests/fixtures/ledger/policy.yaml";

fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("ledger-faults-{name}"))
}

/// A ledger of `policy` whose canary was entered at midnight, grown by notes on another
/// stage to more than 6 KB, so a file-size limit just above it stops the next append while
/// letting a report (about 3 KB) be written.
fn grown_ledger(file: &Path, policy: &str) {
    let out = run(&mut ledger_cmd(
        "enter",
        file,
        policy,
        "canary",
        "2026-01-01T00:00:00Z",
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    while std::fs::metadata(file).unwrap().len() < 6000 {
        let mut cmd = ledger_cmd("note", file, policy, "full", "2025-12-31T00:00:00Z");
        cmd.args(["--text", "padding, so that the ledger outgrows a report"]);
        assert_eq!(run(&mut cmd).code, 0);
    }
}

/// `eval` of `snapshot` at `now` with the ledger `file` and reports in `dir/rd`, under a
/// file-size limit when one is given.
fn eval_limited(dir: &Path, file: &Path, snapshot: &str, now: &str, limit: Option<u64>) -> Run {
    let mut cmd = match limit {
        Some(l) => limited(l),
        None => rollgate(),
    };
    let rd = dir.join("rd");
    canary_eval_args(&mut cmd, snapshot, now, file, Some(&rd));
    run(&mut cmd)
}

/// One failed append: the snapshot and time, the verdict shown, the exit code, and whether
/// the report is kept.
type FailedAppend = (&'static str, &'static str, &'static str, i32, bool);

/// `eval` under a limit just above the ledger's length: the append fails after a partial
/// write. Before: exit 2 "invalid input", the verdict never printed, a torn line left.
#[test]
fn a_failed_append_is_undone_and_never_hides_the_verdict() {
    let cases: [FailedAppend; 3] = [
        ("green.json", "2026-01-01T03:00:00Z", "no-go", 1, false),
        ("green.json", "2026-01-01T00:30:00Z", "hold", 3, true),
        ("red.json", "2026-01-01T03:00:00Z", "no-go", 1, true),
    ];
    for case in cases {
        check_failed_append(case);
    }
}

/// The checks of one [`FailedAppend`]: the verdict printed, the append undone, the report
/// kept or not (a GO not recorded is NO-GO), and the same evaluation recorded once there
/// is room again.
fn check_failed_append((snapshot, now, shown, code, report_kept): FailedAppend) {
    let dir = scratch(&format!("append-{snapshot}-{}", &now[11..13]));
    let file = dir.join("L.jsonl");
    grown_ledger(&file, "ledger-demo");
    let before = std::fs::read(&file).unwrap();
    let out = eval_limited(&dir, &file, snapshot, now, Some(before.len() as u64 + 40));
    assert_eq!(out.code, code, "{snapshot} at {now}: {}", out.stderr);
    let d: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("the verdict is printed ({e}): {}", out.stderr));
    assert_eq!(d["verdict"], shown, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("decision could not be recorded in the ledger")
            && out.stderr.contains("the ledger is left as it was"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("invalid input"), "{}", out.stderr);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the append was undone"
    );
    assert_eq!(verify(&file).code, 0);
    let reports = std::fs::read_dir(dir.join("rd/ledger-demo/production/canary"))
        .unwrap()
        .count();
    if report_kept {
        assert_eq!(reports, 2, "a HOLD or NO-GO report is true: kept");
    } else {
        // The GO, not recorded, is NO-GO; its report is removed.
        assert_eq!(reports, 0);
        assert!(
            out.stderr.contains("its GO report is not kept"),
            "{}",
            out.stderr
        );
        let why = d["blockers"][0]["reason"].as_str().unwrap();
        assert!(why.contains("could not be recorded"), "{why}");
        assert_eq!(d["exit_code"], 1);
        assert_eq!(d["next_stage"], Value::Null);
    }
    // With room again, the same evaluation is recorded, and its report is found.
    let again = eval_limited(&dir, &file, snapshot, now, None);
    let original = if report_kept { code } else { 0 };
    assert_eq!(again.code, original, "{}", again.stderr);
    assert!(
        again.stderr.contains("ledger: recorded as entry"),
        "{}",
        again.stderr
    );
    assert_eq!(verify(&file).code, 0);
}

/// A `watch` tick that decides ROLLBACK while its ledger cannot take the decision: the tick
/// line is printed and the watch exits 4. Before: exit 2, no ROLLBACK anywhere.
#[test]
fn watch_prints_a_rollback_its_ledger_cannot_record() {
    let dir = scratch("watch");
    let file = dir.join("L.jsonl");
    grown_ledger(&file, "ledger-rollback-demo");
    let before = std::fs::read(&file).unwrap();
    let mut cmd = limited(before.len() as u64 + 40);
    cmd.args(["watch", "--policy", &format!("{DIR}/rollback-policy.yaml")])
        .args(["--env", "production", "--stage", "canary"])
        .args([
            "--now",
            "2026-01-01T03:00:00Z",
            "--every",
            "30s",
            "--for",
            "60s",
        ])
        .arg("--ledger")
        .arg(&file);
    let out = run(&mut cmd);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("ROLLBACK"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("ROLLBACK decision could not be recorded in the ledger"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

/// `verify --repair-tail` cuts the torn `tail` off the `whole` ledger and records what it
/// dropped (size and digest) as a note entry.
fn assert_repaired(file: &Path, whole: &[u8], tail: &[u8]) {
    let mut cmd = rollgate();
    cmd.args(["ledger", "verify", "--repair-tail"]).arg(file);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let digest = {
        use sha2::{Digest, Sha256};
        format!("{:x}", Sha256::digest(tail))
    };
    assert!(
        out.stdout.contains(&format!(
            ":2: dropped a torn last line ({} bytes, sha256 {digest}); recorded as entry 2",
            tail.len()
        )) && out.stdout.contains("2 entries, chain valid"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.starts_with(std::str::from_utf8(whole).unwrap()));
    let note: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(note["kind"], "note");
    assert_eq!(note["payload"]["repair"]["bytes"], tail.len());
    assert_eq!(note["payload"]["repair"]["sha256"], digest.as_str());
}

/// A torn last line (a crash mid-write): plain `verify` reports it (exit 1) and changes
/// nothing; `--repair-tail` cuts it, appends a note saying what it dropped, and the ledger
/// takes appends again. A ledger that is whole is left alone.
#[test]
fn repair_tail_drops_a_torn_last_line_and_records_it() {
    let dir = scratch("repair");
    let file = dir.join("L.jsonl");
    let out = run(&mut ledger_cmd(
        "enter",
        &file,
        POLICY,
        "canary",
        "2026-01-01T00:00:00Z",
    ));
    assert_eq!(out.code, 0);
    let whole = std::fs::read(&file).unwrap();
    let tail = br#"{"seq":2,"time":"2026-01-01T0"#;
    let mut torn = whole.clone();
    torn.extend_from_slice(tail);
    std::fs::write(&file, &torn).unwrap();

    let plain = verify(&file);
    assert_eq!(plain.code, 1, "{}", plain.stdout);
    assert!(
        plain.stdout.contains("repair-tail"),
        "the message says how to repair"
    );
    assert_eq!(std::fs::read(&file).unwrap(), torn);

    assert_repaired(&file, &whole, tail);

    let out = run(&mut ledger_cmd(
        "approve",
        &file,
        POLICY,
        "canary",
        "2026-01-01T01:00:00Z",
    ));
    assert_eq!(out.code, 0, "appends work again: {}", out.stderr);
    let mut cmd = rollgate();
    cmd.args(["ledger", "verify", "--repair-tail"]).arg(&file);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("dropped"), "{}", out.stdout);
    assert!(
        out.stdout.contains("3 entries, chain valid"),
        "{}",
        out.stdout
    );
}

/// Devices, directories and pipes are not ledgers: refused at once, by every command that
/// reads or appends. Before, `/dev/zero` and `/dev/full` were read until memory ran out.
#[test]
fn a_ledger_that_is_not_a_regular_file_is_refused() {
    let dir = scratch("special");
    let started = Instant::now();
    let mut eval = rollgate();
    eval.args([
        "eval",
        "--policy",
        POLICY,
        "--env",
        "production",
        "--stage",
        "canary",
    ])
    .args(["--snapshot", &format!("{DIR}/green.json")])
    .args(["--now", "2026-01-01T03:00:00Z", "--no-report"])
    .args(["--ledger", "/dev/full"]);
    let out = run(&mut eval);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("/dev/full: is a device, not a regular file"),
        "{}",
        out.stderr
    );
    for (args, what) in [
        (vec!["ledger", "verify", "/dev/zero"], "is a device"),
        (vec!["ledger", "show", "/dev/zero"], "is a device"),
        (
            vec!["ledger", "verify", "--repair-tail", "/dev/zero"],
            "is a device",
        ),
    ] {
        let mut cmd = rollgate();
        cmd.args(&args);
        let out = run(&mut cmd);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(what), "{args:?}: {}", out.stderr);
    }
    let mut note = ledger_cmd(
        "note",
        Path::new("/dev/null"),
        POLICY,
        "canary",
        "2026-01-01T00:00:00Z",
    );
    note.args(["--text", "x"]);
    let out = run(&mut note);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is a device"), "{}", out.stderr);
    let out = run(&mut ledger_cmd(
        "enter",
        &dir,
        POLICY,
        "canary",
        "2026-01-01T00:00:00Z",
    ));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is a directory"), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused at once"
    );
}

/// A regular file with one endless line: refused at the bound, not read whole.
#[test]
fn a_ledger_line_without_end_is_refused_at_the_bound() {
    let dir = scratch("endless");
    let file = dir.join("long.jsonl");
    std::fs::write(&file, vec![b'x'; 3 << 20]).unwrap();
    let out = verify(&file);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(":1: line 1 is not a ledger entry: the line is longer than"),
        "{}",
        out.stdout
    );
}
