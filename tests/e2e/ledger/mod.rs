//! The rollout ledger through the real binary: concurrent appends keep every entry and the
//! chain; every kind of tampering is caught at the right line (and the one thing a hash chain
//! alone cannot see is asserted as such); a torn last line stops reads and appends; holds
//! restart after a red decision and count business days from `enter` entries; approvals;
//! waivers expiring at their exact instant; one decision entry per distinct evaluation.
//!
//! Every test works in its own directory under the target dir and passes explicit times
//! (`--at`, `--now`): nothing asserted depends on the clock.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::fixtures::scratch_dir;
use crate::common::ledger::{decisions, entries, verify};
use crate::common::{Run, rollgate, run};

const DIR: &str = "tests/fixtures/ledger";
const POLICY: &str = "tests/fixtures/ledger/policy.yaml";
const ENV: &str = "production";

// --- helpers ---------------------------------------------------------------------------------

fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch_dir(&format!("ledger-{name}"));
    let file = dir.join("ledger.jsonl");
    (dir, file)
}

/// `rollgate ledger SUB FILE --policy POLICY --env production --stage STAGE --at AT --by BY
/// EXTRA...`.
fn ledger_add(sub: &str, file: &Path, stage: &str, at: &str, by: &str, extra: &[&str]) -> Run {
    ledger_add_for(POLICY, sub, file, stage, at, by, extra)
}

fn ledger_add_for(
    policy: &str,
    sub: &str,
    file: &Path,
    stage: &str,
    at: &str,
    by: &str,
    extra: &[&str],
) -> Run {
    let mut cmd = rollgate();
    cmd.args(["ledger", sub])
        .arg(file)
        .args(["--policy", policy, "--env", ENV, "--stage", stage])
        .args(["--at", at, "--by", by])
        .args(extra);
    run(&mut cmd)
}

/// Appends an entry that must be accepted.
fn add(sub: &str, file: &Path, stage: &str, at: &str, by: &str, extra: &[&str]) {
    let out = ledger_add(sub, file, stage, at, by, extra);
    assert_eq!(
        out.code, 0,
        "ledger {sub} {stage} at {at} by {by} {extra:?}: {}{}",
        out.stdout, out.stderr
    );
}

/// `rollgate eval` of a fixture snapshot at `now`, with the ledger, as JSON.
fn eval(file: &Path, stage: &str, snapshot: &str, now: &str) -> (Run, Value) {
    eval_with(file, stage, snapshot, now, &["--format", "json"])
}

fn eval_with(file: &Path, stage: &str, snapshot: &str, now: &str, extra: &[&str]) -> (Run, Value) {
    let mut cmd = rollgate();
    cmd.args(["eval", "--policy", POLICY, "--env", ENV, "--stage", stage])
        .args(["--snapshot", &format!("{DIR}/{snapshot}")])
        .args(["--now", now, "--no-report", "--ledger"])
        .arg(file)
        .args(extra);
    let out = run(&mut cmd);
    let d = if extra.contains(&"json") {
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "eval {stage} {snapshot} at {now}: not a decision JSON ({e}); exit {}\n{}\n{}",
                out.code, out.stdout, out.stderr
            )
        })
    } else {
        Value::Null
    };
    (out, d)
}

/// An evaluation expected to give `verdict` (and its exit code).
fn expect_eval(file: &Path, stage: &str, snapshot: &str, now: &str, verdict: &str) -> Value {
    let (out, d) = eval(file, stage, snapshot, now);
    let code = match verdict {
        "go" => 0,
        "no-go" => 1,
        "hold" => 3,
        "rollback" => 4,
        _ => unreachable!("{verdict}"),
    };
    assert_eq!(
        (d["verdict"].as_str(), out.code),
        (Some(verdict), code),
        "eval {stage} {snapshot} at {now}: {}\n{}",
        serde_json::to_string_pretty(&d).unwrap(),
        out.stderr
    );
    d
}

/// `rollgate run` of `policy`'s canary stage at `now`, recorded in `ledger`, JSON on stdout,
/// no report.
fn run_canary(policy: &str, now: &str, ledger: &Path) -> std::process::Command {
    let mut cmd = rollgate();
    cmd.args(["run", "--policy", policy, "--env", ENV, "--stage", "canary"])
        .args(["--now", now, "--no-report", "--format", "json", "--ledger"])
        .arg(ledger);
    cmd
}

/// The verdicts of a decision's `hold.history`, as `(at, verdict)`.
fn hold_history(d: &Value) -> Vec<(String, String)> {
    d["hold"]["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|e| {
                    (
                        e["at"].as_str().unwrap().to_owned(),
                        e["verdict"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn warnings(d: &Value) -> Vec<(String, String)> {
    d["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["gate"].as_str().unwrap().to_owned(),
                w["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn blocking_gates(d: &Value) -> Vec<String> {
    d["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["gate"].as_str().unwrap().to_owned())
        .collect()
}

/// The line `verify` reports, from its `FILE:N: why` line; Err describes what it printed
/// instead.
fn reported_line(out: &Run, file: &Path) -> Result<usize, String> {
    let prefix = format!("{}:", file.display());
    out.stdout
        .strip_prefix(&prefix)
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(n, _)| n.parse().ok())
        .ok_or_else(|| {
            format!(
                "not `FILE:N: why`: {:?}",
                out.stdout.trim_end().replace(&prefix, "FILE:")
            )
        })
}

/// The line number `verify` names in whatever words (`FILE:N:` or `line N`), to tell a
/// wrong line from a wrong format.
fn named_line(out: &Run, file: &Path) -> Option<usize> {
    if let Ok(n) = reported_line(out, file) {
        return Some(n);
    }
    let rest = out.stdout.split_once(" line ")?.1;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Asserts `verify` rejects the ledger (exit 1) at `line`, the reason containing `words`;
/// a report not in the form `FILE:LINE: why` is added to `wrong_format` (asserted at the end
/// of the test, so that it hides no other check).
fn assert_rejected_at(file: &Path, line: usize, words: &str, wrong_format: &mut Vec<String>) {
    let out = verify(file);
    assert_eq!(
        out.code, 1,
        "verify must reject the ledger: {}{}",
        out.stdout, out.stderr
    );
    assert_eq!(
        named_line(&out, file),
        Some(line),
        "the reported line: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains(words),
        "the reason names `{words}`: {}",
        out.stdout
    );
    if let Err(e) = reported_line(&out, file) {
        wrong_format.push(format!("line {line} ({words}): {e}"));
    }
}

fn assert_all_reported_as_file_line(wrong_format: &[String]) {
    assert!(
        wrong_format.is_empty(),
        "verify reports every problem as `FILE:N: why`; these were not:\n{}",
        wrong_format.join("\n")
    );
}

/// sha256 of an entry's JSON without `hash` (the fields in their order), as the ledger
/// chains them: what someone rewriting an entry would compute.
fn rehash(entry: &mut Value) {
    let obj = entry.as_object_mut().unwrap();
    obj.remove("hash");
    let text = serde_json::to_string(&obj).unwrap();
    let digest: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    obj.insert("hash".into(), Value::from(digest));
}

/// A deterministic pseudo-random generator (splitmix64), seeded by the test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A ledger of every kind of entry (enter, note, decision, waive, approve) for the tampering
/// tests.
fn mixed_ledger(file: &Path) {
    add("enter", file, "canary", "2026-11-06T10:00:00Z", "ci", &[]);
    add(
        "note",
        file,
        "canary",
        "2026-11-06T10:01:00Z",
        "ci",
        &["--text", "canary started"],
    );
    expect_eval(file, "canary", "green.json", "2026-11-06T10:10:00Z", "hold");
    expect_eval(file, "canary", "red.json", "2026-11-06T10:20:00Z", "no-go");
    add(
        "waive",
        file,
        "canary",
        "2026-11-06T10:25:00Z",
        "ops",
        &[
            "--gate",
            "latency",
            "--until",
            "2026-11-08T00:00:00Z",
            "--reason",
            "known slow dependency",
            "--ticket",
            "OPS-7",
        ],
    );
    expect_eval(file, "canary", "slow.json", "2026-11-06T10:30:00Z", "hold");
    expect_eval(file, "canary", "green.json", "2026-11-06T11:30:00Z", "go");
    add("enter", file, "approved", "2026-11-06T11:40:00Z", "ci", &[]);
    add(
        "approve",
        file,
        "approved",
        "2026-11-06T11:45:00Z",
        "alice",
        &[],
    );
    add(
        "note",
        file,
        "approved",
        "2026-11-06T11:50:00Z",
        "bob",
        &["--text", "dashboards look fine"],
    );
    expect_eval(file, "approved", "green.json", "2026-11-06T12:30:00Z", "go");
    add("enter", file, "full", "2026-11-06T12:31:00Z", "ci", &[]);
}

mod approvals;
mod concurrency;
mod holds;
mod idempotence;
mod random_edits;
mod tamper;
mod torn_line;
mod waivers;
