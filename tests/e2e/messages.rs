//! Messages a user tripped on: times past the representable range, YAML's spellings of NaN
//! and infinity in snapshots, and `replay` diffs that differ only in whitespace.

use serde_json::Value;

use crate::common::cmd::eval_cmd;
use crate::common::{rollgate, run};

const DIR: &str = "tests/fixtures/nonfinite";

fn eval(snapshot: &str, extra: &[&str]) -> crate::common::Run {
    let policy = format!("{DIR}/policy.yaml");
    let snapshot = format!("{DIR}/{snapshot}");
    run(eval_cmd(&policy, "production", "canary", &snapshot)
        .args(["--no-report", "--format", "json"])
        .args(extra))
}

#[test]
fn a_well_formed_time_past_the_range_is_called_out_of_range() {
    let out = eval("minus-inf.json", &["--now", "9999-12-31T23:59:59Z"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("outside the times rollgate can represent"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not an RFC 3339"), "{}", out.stderr);
    let out = eval("minus-inf.json", &["--now", "next tuesday"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not an RFC 3339 time"),
        "{}",
        out.stderr
    );
}

#[test]
fn yaml_snapshots_take_nan_and_infinities_as_json_ones_do() {
    let json = eval("minus-inf.json", &[]);
    let yaml = eval("minus-inf.yaml", &[]);
    assert_eq!(yaml.code, 1, "{}", yaml.stderr);
    assert_eq!(json.code, 1, "{}", json.stderr);
    let mut a: Value = serde_json::from_str(&json.stdout).unwrap();
    let mut b: Value = serde_json::from_str(&yaml.stdout).unwrap();
    for d in [&mut a, &mut b] {
        d["inputs"] = Value::Null; // the snapshots' digests and paths differ
    }
    assert_eq!(a, b, "the same data in YAML decides the same");
}

#[test]
fn a_replay_diff_in_whitespace_only_shows_the_whitespace() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("messages-replay");
    let _ = std::fs::remove_dir_all(&dir);
    let out = run(rollgate().args([
        "eval",
        "--policy",
        &format!("{DIR}/policy.yaml"),
        "--env",
        "production",
        "--stage",
        "canary",
        "--snapshot",
        &format!("{DIR}/minus-inf.json"),
        "--report-dir",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json = dir.join("nonfinite/production/canary/20261122T120000Z.json");
    let text = std::fs::read_to_string(&json).unwrap();
    // Re-indent one line: the same JSON value, other bytes.
    let edited = text.replacen("\n  \"verdict\"", "\n    \"verdict\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&json, edited).unwrap();
    let replay = run(rollgate().args(["replay", json.to_str().unwrap()]));
    assert_eq!(replay.code, 1, "{}{}", replay.stdout, replay.stderr);
    assert!(
        replay.stdout.contains("whitespace shown"),
        "{}",
        replay.stdout
    );
    assert!(
        replay.stdout.contains("····\"verdict\""),
        "{}",
        replay.stdout
    );
}
