//! Reading and checking a rollout ledger through the binary and as JSON lines.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::cmd::{Run, rollgate, run};

/// `rollgate ledger verify FILE`.
pub fn verify(file: &Path) -> Run {
    let mut cmd = rollgate();
    cmd.args(["ledger", "verify"]).arg(file);
    run(&mut cmd)
}

/// Every entry of the ledger, one JSON value a line.
pub fn entries(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect()
}

/// The ledger's `decision` entries, in order.
pub fn decisions(file: &Path) -> Vec<Value> {
    entries(file)
        .into_iter()
        .filter(|e| e["kind"] == "decision")
        .collect()
}

/// The ledger fixtures: their policy and snapshots.
const FIXTURES: &str = "tests/fixtures/ledger";
const FIXTURE_POLICY: &str = "tests/fixtures/ledger/policy.yaml";

/// `rollgate ledger SUB FILE --policy POLICY --env production --stage STAGE --at AT --by
/// alice`, to which a test adds what the entry needs.
pub fn ledger_cmd(sub: &str, file: &Path, policy: &str, stage: &str, at: &str) -> Command {
    let mut cmd = rollgate();
    cmd.args(["ledger", sub]).arg(file);
    cmd.args(["--policy", policy, "--env", "production", "--stage", stage]);
    cmd.args(["--at", at, "--by", "alice"]);
    cmd
}

/// Adds to `cmd` the evaluation of the ledger fixtures' canary: `eval` of the fixture
/// `snapshot` at `now`, JSON on stdout, with `ledger`, reports in `reports` (or
/// `--no-report`).
pub fn canary_eval_args(
    cmd: &mut Command,
    snapshot: &str,
    now: &str,
    ledger: &Path,
    reports: Option<&Path>,
) {
    cmd.args(["eval", "--policy", FIXTURE_POLICY, "--env", "production"])
        .args([
            "--stage",
            "canary",
            "--snapshot",
            &format!("{FIXTURES}/{snapshot}"),
        ])
        .args(["--now", now, "--format", "json", "--ledger"])
        .arg(ledger);
    match reports {
        Some(dir) => cmd.arg("--report-dir").arg(dir),
        None => cmd.arg("--no-report"),
    };
}
