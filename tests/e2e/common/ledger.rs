//! Reading and checking a rollout ledger through the binary and as JSON lines.

use std::path::Path;

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
