//! `replay` reads the policy bytes kept beside the reports (`policies/<sha256>.yaml` under
//! the report directory), not the policy file, which may have been edited since.

use std::path::{Path, PathBuf};

use crate::common::{rollgate, run};

/// A scratch directory holding a copy of the fixture policy, and its report directory.
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("replay-policy-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.yaml");
    std::fs::copy(
        crate::common::root().join("tests/fixtures/reports/policy.yaml"),
        &policy,
    )
    .unwrap();
    (policy, dir.join("reports"))
}

fn eval(policy: &Path, reports: &Path) -> crate::common::Run {
    run(rollgate().args([
        "eval",
        "--policy",
        policy.to_str().unwrap(),
        "--env",
        "production",
        "--stage",
        "canary",
        "--snapshot",
        "tests/fixtures/reports/go.json",
        "--report-dir",
        reports.to_str().unwrap(),
        "--format",
        "json",
    ]))
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend_from_slice(text.as_bytes());
    std::fs::write(path, bytes).unwrap();
}

/// The report's directory and the stored copy of the policy it was evaluated from.
fn written(policy: &Path, reports: &Path) -> (PathBuf, PathBuf) {
    let bytes = std::fs::read(policy).unwrap();
    let copy = reports.join(format!("policies/{}.yaml", sha256(&bytes)));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        bytes,
        "the very bytes are kept"
    );
    let json = reports.join("report-demo/production/canary/20261122T120000Z.json");
    assert!(json.exists());
    (json, copy)
}

#[test]
fn a_comment_added_to_the_policy_does_not_break_replay() {
    let (policy, reports) = scratch("comment");
    let out = eval(&policy, &reports);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (json, _) = written(&policy, &reports);
    append(&policy, "# a comment added after the decision\n");
    let replay = run(rollgate().args(["replay", json.to_str().unwrap()]));
    assert_eq!(replay.code, 0, "{}{}", replay.stdout, replay.stderr);
    assert!(
        replay.stdout.starts_with("REPRODUCED: GO"),
        "{}",
        replay.stdout
    );
}

#[test]
fn a_tampered_policy_copy_is_refused() {
    let (policy, reports) = scratch("tampered");
    assert_eq!(eval(&policy, &reports).code, 0);
    let (json, copy) = written(&policy, &reports);
    append(&copy, "# tampered\n");
    let replay = run(rollgate().args(["replay", json.to_str().unwrap()]));
    assert_eq!(replay.code, 1, "{}{}", replay.stdout, replay.stderr);
    assert!(
        replay.stdout.starts_with("NOT REPRODUCIBLE: ")
            && replay
                .stdout
                .contains("the stored policy copy does not match its digest"),
        "{}",
        replay.stdout
    );
    // A new evaluation refuses to write its report beside the tampered copy: nothing new.
    std::fs::remove_dir_all(reports.join("report-demo")).unwrap();
    let again = eval(&policy, &reports);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("does not match its digest"),
        "{}",
        again.stderr
    );
    assert!(!reports.join("report-demo").exists(), "no report written");
}

/// Without the stored copy (a report written before copies were kept), replay reads the
/// recorded policy path and says so; an edited file is then not reproducible.
#[test]
fn without_a_copy_replay_reads_the_policy_file_and_says_so() {
    let (policy, reports) = scratch("no-copy");
    assert_eq!(eval(&policy, &reports).code, 0);
    let (json, copy) = written(&policy, &reports);
    std::fs::remove_file(&copy).unwrap();
    let replay = run(rollgate().args(["replay", json.to_str().unwrap()]));
    assert_eq!(replay.code, 0, "{}{}", replay.stdout, replay.stderr);
    assert!(
        replay
            .stderr
            .contains("note: no stored copy of the policy at"),
        "{}",
        replay.stderr
    );
    append(&policy, "# edited\n");
    let replay = run(rollgate().args(["replay", json.to_str().unwrap()]));
    assert_eq!(replay.code, 1, "{}", replay.stdout);
    assert!(
        replay.stdout.contains("has changed since the decision"),
        "{}",
        replay.stdout
    );
}
