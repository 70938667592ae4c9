//! Retried evaluations (issue 15): the same inputs evaluated again, as CI retries a job, are
//! recorded in the ledger once and reported once, for `eval` (with and without reports, for
//! GO, HOLD and NO-GO), `run` (whose evidence carries the wall-clock time of each fetch) and
//! `watch` ticks; also when two retries run at once, and when unrelated entries were appended
//! to the ledger in between. The retry says it found the earlier decision and exits with its
//! verdict.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::fixtures::report_files as files;
use crate::common::fixtures::scratch_dir;
use crate::common::ledger::{canary_eval_args, decisions, ledger_cmd};
use crate::common::{Run, rollgate, run};

const DIR: &str = "tests/fixtures/ledger";
const POLICY: &str = "tests/fixtures/ledger/policy.yaml";

fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("retries-{name}"))
}

/// `ledger enter` of the canary stage at midnight, 2026-01-01.
fn enter(ledger: &Path, policy: &str) {
    let out = run(&mut ledger_cmd(
        "enter",
        ledger,
        policy,
        "canary",
        "2026-01-01T00:00:00Z",
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The eval command of the issue: `snapshot` at `now`, with the ledger, reports in
/// `reports` (or `--no-report`), JSON on stdout.
fn eval_cmd(dir: &Path, snapshot: &str, now: &str, reports: bool) -> Command {
    let mut cmd = rollgate();
    let rd = dir.join("rd");
    let rd = reports.then_some(rd.as_path());
    canary_eval_args(&mut cmd, snapshot, now, &dir.join("L.jsonl"), rd);
    cmd
}

/// A retry exits with the recorded verdict, says it found the decision (and its report, which
/// it does not write again) and prints the same decision as the first run.
fn assert_a_retry(
    name: &str,
    attempt: u32,
    again: &Run,
    first: &Run,
    (verdict, code): (&str, i32),
    reports: bool,
) {
    assert_eq!(
        again.code, code,
        "{name} attempt {attempt} exits with the recorded verdict: {}",
        again.stderr
    );
    assert!(
        again.stderr.contains(&format!(
            "found this evaluation's decision ({verdict}) as entry 2"
        )),
        "{name} attempt {attempt}: {}",
        again.stderr
    );
    assert_eq!(
        again.stdout, first.stdout,
        "{name} attempt {attempt} prints the same decision"
    );
    if reports {
        assert!(
            again.stderr.contains("found this evaluation's report")
                && again.stderr.contains("nothing was written"),
            "{}",
            again.stderr
        );
    }
}

/// The first run records and reports; the second and third find that decision, say so,
/// write nothing and exit with its verdict, printing the same decision.
fn assert_retries_are_one_evaluation(
    name: &str,
    snapshot: &str,
    now: &str,
    verdict: &str,
    code: i32,
) {
    for reports in [true, false] {
        let dir = scratch(&format!("{name}-{reports}"));
        let ledger = dir.join("L.jsonl");
        enter(&ledger, "ledger-demo");
        let first = run(&mut eval_cmd(&dir, snapshot, now, reports));
        assert_eq!(first.code, code, "{name} first run: {}", first.stderr);
        assert!(
            first.stderr.contains("ledger: recorded as entry 2"),
            "{}",
            first.stderr
        );
        let d: Value = serde_json::from_str(&first.stdout).unwrap();
        assert_eq!(d["verdict"], verdict);
        let id = d["inputs"]["evaluation_id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 64, "a sha256");
        let ledger_after_first = std::fs::read(&ledger).unwrap();
        let reports_after_first = files(&dir.join("rd"));
        for attempt in 2..=3 {
            let again = run(&mut eval_cmd(&dir, snapshot, now, reports));
            assert_a_retry(name, attempt, &again, &first, (verdict, code), reports);
        }
        assert_eq!(std::fs::read(&ledger).unwrap(), ledger_after_first);
        let ds = decisions(&ledger);
        assert_eq!(ds.len(), 1, "{name}: one decision entry");
        assert_eq!(ds[0]["payload"]["evaluation_id"], id.as_str());
        let reported = files(&dir.join("rd"));
        assert_eq!(reported, reports_after_first, "{name}: no other report");
        if reports {
            assert_eq!(
                reported,
                [
                    "ledger-demo/production/canary/20260101T030000Z.json",
                    "ledger-demo/production/canary/20260101T030000Z.md"
                ]
                .map(|s| s.replace("030000", &now[11..19].replace(':', "")))
            );
        } else {
            assert!(reported.is_empty());
        }
    }
}

/// The reproduction of the issue: the canary entered at midnight (hold 1h), evaluated three
/// times at the same `--now`, with and without reports.
#[test]
fn a_retried_go_is_one_decision_and_one_report() {
    assert_retries_are_one_evaluation("go", "green.json", "2026-01-01T03:00:00Z", "go", 0);
}

#[test]
fn a_retried_hold_is_one_decision_and_one_report() {
    assert_retries_are_one_evaluation("hold", "green.json", "2026-01-01T00:30:00Z", "hold", 3);
}

#[test]
fn a_retried_no_go_is_one_decision_and_one_report() {
    assert_retries_are_one_evaluation("no-go", "red.json", "2026-01-01T03:00:00Z", "no-go", 1);
}

/// Appends `ledger SUB` of the test policy (production, STAGE, at AT, by alice, EXTRA...);
/// it must be accepted.
fn append(ledger: &Path, sub: &str, stage: &str, at: &str, extra: &[&str]) {
    let out = run(ledger_cmd(sub, ledger, POLICY, stage, at).args(extra));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The GO evaluation at 03:00 of `dir`'s ledger, with reports.
fn eval_green_at_3(dir: &Path) -> Run {
    let out = run(&mut eval_cmd(
        dir,
        "green.json",
        "2026-01-01T03:00:00Z",
        true,
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

/// Appended between the attempts, entries the evaluation does not read (an approval of
/// another stage, a note on another stage, an entry of this stage after `now`) do not make
/// the retry another evaluation.
#[test]
fn a_retry_after_unrelated_entries_still_finds_the_original() {
    let dir = scratch("unrelated");
    let ledger = dir.join("L.jsonl");
    enter(&ledger, "ledger-demo");
    let first = eval_green_at_3(&dir);
    append(&ledger, "approve", "approved", "2026-01-01T02:00:00Z", &[]);
    append(
        &ledger,
        "note",
        "business",
        "2026-01-01T01:00:00Z",
        &["--text", "x"],
    );
    append(&ledger, "approve", "canary", "2026-01-01T04:00:00Z", &[]);
    let before = std::fs::read(&ledger).unwrap();
    let again = eval_green_at_3(&dir);
    assert!(
        again
            .stderr
            .contains("found this evaluation's decision (go) as entry 2"),
        "{}",
        again.stderr
    );
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(std::fs::read(&ledger).unwrap(), before, "nothing appended");
    assert_eq!(files(&dir.join("rd")).len(), 2, "one report");

    // An entry the evaluation does read (a waiver of this stage, before `now`, recorded
    // late) makes it another evaluation: recorded and reported beside the first.
    let waive = [
        "--gate",
        "latency",
        "--until",
        "2026-01-02T00:00:00Z",
        "--reason",
        "known slow",
    ];
    append(&ledger, "waive", "canary", "2026-01-01T02:30:00Z", &waive);
    let other = eval_green_at_3(&dir);
    assert!(
        other.stderr.contains("ledger: recorded as entry 7"),
        "{}",
        other.stderr
    );
    assert_eq!(decisions(&ledger).len(), 2);
    assert_eq!(files(&dir.join("rd")).len(), 4);
}

/// Two retries started at once (as two CI runners may): one decision, one report, both exit
/// with the verdict and print the same decision. Repeated at several instants.
#[test]
fn two_concurrent_retries_are_one_evaluation() {
    let dir = scratch("concurrent");
    let ledger = dir.join("L.jsonl");
    enter(&ledger, "ledger-demo");
    let instants = [
        "2026-01-01T03:00:00Z",
        "2026-01-01T03:00:10Z",
        "2026-01-01T03:00:20Z",
        "2026-01-01T03:00:30Z",
        "2026-01-01T03:00:40Z",
    ];
    for now in instants {
        let children: Vec<_> = (0..2)
            .map(|_| {
                eval_cmd(&dir, "green.json", now, true)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<Run> = children
            .into_iter()
            .map(|c| {
                let o = c.wait_with_output().unwrap();
                Run {
                    code: o.status.code().unwrap_or(-1),
                    stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
                }
            })
            .collect();
        for o in &outs {
            assert_eq!(o.code, 0, "at {now}: {}", o.stderr);
        }
        assert_eq!(
            outs[0].stdout, outs[1].stdout,
            "at {now}: the same decision"
        );
        assert!(
            outs.iter()
                .any(|o| o.stderr.contains("found this evaluation's decision (go)")),
            "at {now}: one of them found the other's decision: {}\n{}",
            outs[0].stderr,
            outs[1].stderr
        );
    }
    let ds = decisions(&ledger);
    assert_eq!(
        ds.iter()
            .map(|d| d["time"].as_str().unwrap())
            .collect::<Vec<_>>(),
        instants,
        "one decision per instant"
    );
    let all = files(&dir.join("rd"));
    assert_eq!(all.len(), 2 * instants.len(), "{all:?}");
    assert!(
        !all.iter().any(|f| f.contains(".tmp") || f.contains("Z-")),
        "{all:?}"
    );
}

/// `rollgate run` fetches again on a retry: the evidence's `fetched_at` differs, the data
/// does not. One decision, one report (markdown, decision and snapshot); the retry prints the
/// decision recorded first.
#[test]
fn a_retried_run_is_one_evaluation_despite_new_fetch_times() {
    let dir = scratch("run");
    let ledger = dir.join("L.jsonl");
    let policy = format!("{DIR}/run-policy.yaml");
    enter(&ledger, "ledger-run-demo");
    let run_cmd = || {
        let mut cmd = rollgate();
        cmd.args(["run", "--policy", &policy, "--env", "production"])
            .args(["--stage", "canary", "--now", "2026-01-01T03:00:00Z"])
            .args(["--format", "json", "--ledger"])
            .arg(&ledger)
            .arg("--report-dir")
            .arg(dir.join("rd"));
        cmd
    };
    let first = run(&mut run_cmd());
    assert_eq!(first.code, 0, "{}", first.stderr);
    let snapshot_file =
        dir.join("rd/ledger-run-demo/production/canary/20260101T030000Z.snapshot.json");
    let kept = std::fs::read_to_string(&snapshot_file).unwrap();
    assert!(kept.contains("fetched_at"), "{kept}");
    // The clock moves on (fetched_at has microseconds; make sure it differs).
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = run(&mut run_cmd());
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("found this evaluation's decision (go) as entry 2"),
        "{}",
        again.stderr
    );
    assert_eq!(
        again.stdout, first.stdout,
        "the recorded decision is printed"
    );
    assert_eq!(std::fs::read_to_string(&snapshot_file).unwrap(), kept);
    assert_eq!(decisions(&ledger).len(), 1);
    assert_eq!(files(&dir.join("rd")).len(), 3);
}

/// A `watch` replayed at the same instants (`--now`) finds each tick's decision.
#[test]
fn watch_ticks_retried_at_the_same_instants_are_recorded_once() {
    let dir = scratch("watch");
    let ledger = dir.join("L.jsonl");
    enter(&ledger, "ledger-run-demo");
    let watch = || {
        let mut cmd = rollgate();
        cmd.args(["watch", "--policy", &format!("{DIR}/run-policy.yaml")])
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
            .arg(&ledger);
        run(&mut cmd)
    };
    let first = watch();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(decisions(&ledger).len(), 3, "{}", first.stderr);
    let before = std::fs::read(&ledger).unwrap();
    let again = watch();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again
            .stderr
            .matches("found this evaluation's decision (go)")
            .count(),
        3,
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read(&ledger).unwrap(), before, "nothing appended");
}
