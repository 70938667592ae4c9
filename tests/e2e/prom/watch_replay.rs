//! `watch` and `replay` against Prometheus: the monitor stops at its first ROLLBACK tick, and a
//! run's snapshot replays to the same decision.

use super::*;

/// Seed 004's monitor: `watch` every minute from 16:00 while the error rate turns red at
/// 16:05; it stops with ROLLBACK (exit 4) at the first tick where five checks in a row are
/// over 20%, every tick's decision is in the ledger, and the chain verifies.
#[test]
fn watch_stops_at_the_first_rollback_tick() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("watch");
    let ledger = dir.join("ledger.jsonl");
    let out = run(rollgate().args([
        "watch",
        "--policy",
        WEATHERVANE,
        "--env",
        "production",
        "--stage",
        "post-promotion",
        "--prometheus-url",
        &prom.url(),
        "--now",
        "2026-11-21T16:00:00Z",
        "--entered-at",
        "2026-11-21T15:55:00Z",
        "--every",
        "1m",
        "--for",
        "10m",
        "--ledger",
        ledger.to_str().unwrap(),
    ]));
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    let ticks = assert_stops_at_the_red_tick(&out);
    let shown = run(rollgate().args(["ledger", "show", ledger.to_str().unwrap()]));
    assert_eq!(
        shown
            .stdout
            .lines()
            .filter(|l| l.contains("decision"))
            .count(),
        ticks.len()
    );
    let verified = run(rollgate().args(["ledger", "verify", ledger.to_str().unwrap()]));
    assert_eq!(verified.code, 0, "{}", verified.stdout);
}

/// The watch's tick lines: the last, and only the last, is the ROLLBACK, naming the gate
/// behind it with its status, value and bound, a few minutes into the red data (from 16:05,
/// five 30 s checks over 20%) and before the period ends.
fn assert_stops_at_the_red_tick(out: &Run) -> Vec<&str> {
    let ticks: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("tick "))
        .collect();
    let last = ticks.last().unwrap();
    assert!(last.contains("ROLLBACK"), "{}", out.stdout);
    // The line names the gate behind the ROLLBACK, with its status, value and bound.
    assert!(last.contains("rollback by error-rate-"), "{last}");
    assert!(
        last.contains("error-rate-rollback: fail ")
            || last.contains("error-rate-with-failures: fail "),
        "{last}"
    );
    assert!(last.contains("(bound <= "), "{last}");
    assert!(
        out.stderr.contains("ROLLBACK at tick") && out.stderr.contains("(by error-rate-"),
        "{}",
        out.stderr
    );
    assert!(
        ticks.len() < 11,
        "stopped before the period ended: {}",
        out.stdout
    );
    assert!(
        ticks[..ticks.len() - 1]
            .iter()
            .all(|t| !t.contains("ROLLBACK")),
        "{}",
        out.stdout
    );
    // Red data begins at 16:05; five 30 s checks over 20% need a few minutes of it.
    let red_tick = ticks.len();
    assert!((6..=10).contains(&red_tick), "{}", out.stdout);
    ticks
}

/// `replay` re-evaluates a `run`'s decision from the snapshot kept beside the report: the
/// same bytes; after the policy changes, it says so (exit 1); a tampered decision differs.
#[test]
fn replay_reproduces_a_run() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("replay");
    let policy = dir.join("monitor.yaml");
    std::fs::copy(root().join(WEATHERVANE), &policy).unwrap();
    let reports = dir.join("reports");
    let times = wv_times(WV_DEGRADED);
    let out = run(rollgate().args([
        "run",
        "--policy",
        policy.to_str().unwrap(),
        "--env",
        "production",
        "--stage",
        "post-promotion",
        "--prometheus-url",
        &prom.url(),
        "--now",
        &times.0,
        "--entered-at",
        &times.1,
        "--report-dir",
        reports.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let decision: Value = serde_json::from_str(&out.stdout).unwrap();
    let report = decision["report"].as_str().unwrap().to_owned();
    let json = report.replace(".md", ".json");
    assert!(Path::new(&report.replace(".md", ".snapshot.json")).exists());
    drop(prom);

    let ok = run(rollgate().args(["replay", &json]));
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("REPRODUCED: GO"), "{}", ok.stdout);
    let via_md = run(rollgate().args(["replay", &report]));
    assert_eq!(via_md.code, 0, "{}", via_md.stdout);

    a_tampered_decision_differs(&dir, &json);
    a_comment_in_the_policy_is_replayed_from_the_kept_copy(&policy, &json);
}

/// A gate's message edited by hand: not what the inputs give.
fn a_tampered_decision_differs(dir: &Path, json: &str) {
    let tampered = std::fs::read_to_string(json).unwrap().replacen(
        "\"message\": \"",
        "\"message\": \"edited: ",
        1,
    );
    let t_path = dir.join("tampered.json");
    std::fs::write(&t_path, tampered).unwrap();
    let differs = run(rollgate().args(["replay", t_path.to_str().unwrap()]));
    assert_eq!(differs.code, 1, "{}", differs.stdout);
    assert!(differs.stdout.starts_with("DIFFERS"), "{}", differs.stdout);
}

/// A comment added to the policy file: replay reads the copy kept beside the reports; without
/// that copy, the edited file is read, and is not the policy of the decision.
fn a_comment_in_the_policy_is_replayed_from_the_kept_copy(policy: &Path, json: &str) {
    let mut text = std::fs::read_to_string(policy).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(policy, text).unwrap();
    let commented = run(rollgate().args(["replay", json]));
    assert_eq!(commented.code, 0, "{}", commented.stdout);
    // Without that copy, the edited file is read, and is not the policy of the decision.
    let decided: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let sha = decided["inputs"]["policy_sha256"].as_str().unwrap();
    let copy = Path::new(json)
        .ancestors()
        .nth(4)
        .unwrap()
        .join(format!("policies/{sha}.yaml"));
    std::fs::remove_file(copy).unwrap();
    let changed = run(rollgate().args(["replay", json]));
    assert_eq!(changed.code, 1, "{}", changed.stdout);
    assert!(
        changed.stdout.contains("has changed since the decision"),
        "{}",
        changed.stdout
    );
}
