//! Non-finite samples through the binary: a snapshot whose samples hold `-Inf` and `+Inf`
//! (as JSON strings) is never GO, and each gate names the infinite sample.

use crate::common::cmd::eval_cmd;
use crate::common::{rollgate, run};

const DIR: &str = "tests/fixtures/nonfinite";

/// `eval` of the canary on the snapshot with `-Inf` samples.
fn eval_minus_inf() -> std::process::Command {
    let policy = format!("{DIR}/policy.yaml");
    eval_cmd(
        &policy,
        "production",
        "canary",
        &format!("{DIR}/minus-inf.json"),
    )
}

#[test]
fn infinite_samples_never_yield_go() {
    let out = run(eval_minus_inf().args(["--no-report", "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let d: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(d["verdict"], "no-go");
    let gates = d["gates"].as_array().unwrap();
    assert_eq!(gates.len(), 5);
    for g in gates {
        assert_eq!(g["status"], "inconclusive", "{g}");
        let m = g["message"].as_str().unwrap();
        let named = if g["id"] == "latency-vs-stable" {
            "1 infinite sample (+Inf at 2026-11-22T11:59:00Z)"
        } else {
            "1 infinite sample (-Inf at 2026-11-22T12:00:00Z)"
        };
        assert!(m.contains(named), "{m}");
        assert!(!m.contains("within tolerance"), "{m}");
    }
    assert_eq!(d["blockers"].as_array().unwrap().len(), 5);
}

#[test]
fn infinite_samples_in_the_text_summary() {
    let out = run(eval_minus_inf().args(["--no-report", "--format", "text"]));
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_decision_over_infinite_samples_replays() {
    // Infinite samples are left out of the chart points (JSON has no number for them), so the
    // stored decision matches its schema and replays byte for byte.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("nonfinite-replay");
    let _ = std::fs::remove_dir_all(&dir);
    let out =
        run(eval_minus_inf().args(["--report-dir", dir.to_str().unwrap(), "--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stdout.contains("null]"), "{}", out.stdout);
    let json = dir.join("nonfinite/production/canary/20261122T120000Z.json");
    let replay = run(rollgate().args(["replay", json.to_str().unwrap()]));
    assert_eq!(replay.code, 0, "{}{}", replay.stdout, replay.stderr);
}

/// The fuzz finding of `eval_lost_data` (fuzz/corpus/eval_lost_data/crash-d0a8ed9e...): every
/// canary latency NaN but six -Inf made the compare gate "within tolerance" and the verdict
/// GO. A side that is not finite is inconclusive.
#[test]
fn a_canary_side_of_nan_and_minus_inf_is_not_go() {
    let out = run(rollgate().args([
        "eval",
        "--policy",
        "policies/kodosumi-canary.yaml",
        "--env",
        "production",
        "--stage",
        "canary",
        "--snapshot",
        &format!("{DIR}/kodosumi-canary-nan-and-minus-inf.json"),
        "--no-report",
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let d: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let gate = d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "canary-latency")
        .unwrap();
    assert_eq!(gate["status"], "inconclusive", "{gate}");
}
