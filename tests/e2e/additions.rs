//! The 0.2 gate additions through the real binary: composites, burn rates, shadow gates and
//! scoped guards by their policy tests (`tests/fixtures/additions/*.test.yaml`); a failure a
//! person approves in the ledger, only after it happened; the warning that a shadow gate's
//! graduation date has passed; and what each output format says of them.

use std::path::Path;

use serde_json::Value;

use crate::common::cmd::eval_cmd;
use crate::common::fixtures::scratch_dir;
use crate::common::{Run, rollgate, run};

const APPROVE: &str = "tests/fixtures/additions/approve.yaml";
const SATURATED: &str = "tests/fixtures/additions/saturated.json";

/// Every scenario of the additions' test files holds (burn-rate pairs, composite members,
/// shadow gates, awaiting approval), and the files are valid.
#[test]
fn the_additions_policy_tests_pass() {
    let out = run(rollgate().args(["test", "tests/fixtures/additions/", "--coverage"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Members used only inside composites count where they are nested.
    assert!(
        out.stdout.contains(
            "coverage tests/fixtures/additions/checkout.yaml: 16 of 16 gate outcomes (100.0%)"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("28 passed, 0 failed"), "{}", out.stdout);
}

/// `eval` of the approve fixture at `now` with `ledger`, JSON on stdout, no report.
fn eval_at(snapshot: &str, now: &str, ledger: Option<&Path>) -> (Run, Value) {
    let mut cmd = eval_cmd(APPROVE, "default", "canary", snapshot);
    cmd.args(["--now", now, "--format", "json", "--no-report"]);
    if let Some(l) = ledger {
        cmd.arg("--ledger").arg(l);
    }
    let out = run(&mut cmd);
    let d = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out, d)
}

fn approve(ledger: &Path, at: &str, by: &str) {
    let mut cmd = rollgate();
    cmd.args(["ledger", "approve"]).arg(ledger);
    cmd.args(["--policy", APPROVE, "--env", "default", "--stage", "canary"]);
    cmd.args(["--at", at, "--by", by]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{out:?}");
}

/// A failed `approve` gate holds the stage; an approval given before the failure approves
/// nothing; one given after it lets the stage go, and the decision names the approver.
#[test]
fn an_approval_counts_only_after_the_failure() {
    let ledger = scratch_dir("additions-approve").join("ledger.jsonl");
    approve(&ledger, "2026-12-01T11:00:00Z", "carol");
    let (out, d) = eval_at(SATURATED, "2026-12-01T12:00:00Z", Some(&ledger));
    assert_eq!(out.code, 3, "HOLD, awaiting approval: {out:?}");
    let gate = &d["gates"][0];
    assert_eq!(gate["id"], "saturation-review");
    assert_eq!(gate["status"], "fail");
    assert_eq!(gate["approval"]["failed_since"], "2026-12-01T12:00:00Z");
    assert_eq!(gate["approval"]["approved_by"], Value::Null);
    assert!(d["blockers"].as_array().unwrap().is_empty(), "{d}");

    approve(&ledger, "2026-12-01T12:05:00Z", "bob");
    let (out, d) = eval_at(SATURATED, "2026-12-01T12:10:00Z", Some(&ledger));
    assert_eq!(out.code, 0, "GO with the approval: {out:?}");
    let gate = &d["gates"][0];
    assert_eq!(gate["approval"]["failed_since"], "2026-12-01T12:00:00Z");
    assert_eq!(gate["approval"]["approved_by"], "bob");
    let warning = d["warnings"][0]["message"].as_str().unwrap();
    assert!(
        warning.starts_with("failed, passed with approval by bob at 2026-12-01T12:05:00Z"),
        "{warning}"
    );
    // Without the ledger nobody has approved: HOLD.
    let (out, _) = eval_at(SATURATED, "2026-12-01T12:10:00Z", None);
    assert_eq!(out.code, 3, "{out:?}");
}

/// Inconclusive is not approvable: an `approve` gate without data blocks.
#[test]
fn an_approve_gate_without_data_blocks() {
    let dir = scratch_dir("additions-approve-nodata");
    let empty = dir.join("empty.json");
    std::fs::write(
        &empty,
        r#"{"version": 1, "taken_at": "2026-12-01T12:00:00Z", "series": {}}"#,
    )
    .unwrap();
    let (out, d) = eval_at(empty.to_str().unwrap(), "2026-12-01T12:00:00Z", None);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(d["blockers"][0]["gate"], "saturation-review");
}

/// The shadow gate is reported in every format without counting; an `approve` gate's
/// failure is a warning annotation, not an error.
#[test]
fn shadow_and_approve_gates_in_every_format() {
    let format = |f: &str| {
        let mut cmd = eval_cmd(APPROVE, "default", "canary", SATURATED);
        cmd.args(["--format", f, "--no-report"]);
        run(&mut cmd)
    };
    let text = format("text");
    assert_eq!(text.code, 3);
    assert!(
        text.stdout
            .contains("Shadow gates (reported, not counted):")
            && text.stdout.contains("enforced from 2027-01-15T00:00:00Z")
            && text
                .stdout
                .contains("Awaiting approval: `saturation-review` failed"),
        "{}",
        text.stdout
    );
    let md = format("markdown");
    assert!(
        md.stdout.contains("## Shadow gates")
            && md
                .stdout
                .contains("awaiting approval: `saturation-review` failed"),
        "{}",
        md.stdout
    );
    let junit = format("junit");
    assert!(
        junit
            .stdout
            .contains(r#"failures="1" errors="0" skipped="1""#)
            && junit
                .stdout
                .contains("<skipped message=\"shadow gate, not counted"),
        "{}",
        junit.stdout
    );
    let github = format("github");
    assert!(
        github
            .stdout
            .contains("::warning file=tests/fixtures/additions/approve.yaml,line=11,title=saturation-review::fail, awaiting approval")
            && github.stdout.contains("::notice file=tests/fixtures/additions/approve.yaml,line=16,title=saturation-strict::shadow gate, not counted: fail"),
        "{}",
        github.stdout
    );
    let json: Value = serde_json::from_str(&format("json").stdout).unwrap();
    assert_eq!(json["gates"][1]["shadow"], true);
    assert_eq!(json["gates"][1]["enforce_from"], "2027-01-15T00:00:00Z");
}

/// `validate` warns once a shadow gate's `enforce_from` has passed, at the key, and not
/// before.
#[test]
fn validate_warns_when_a_graduation_date_has_passed() {
    let before = run(rollgate().args(["validate", "--now", "2027-01-14T23:59:59Z", APPROVE]));
    assert_eq!(before.code, 0);
    assert!(!before.stderr.contains("RG903"), "{before:?}");
    let after = run(rollgate().args(["validate", "--now", "2027-01-15T00:00:00Z", APPROVE]));
    assert_eq!(after.code, 0, "a warning, not an error");
    assert!(
        after.stderr.contains(
            "approve.yaml:20:5: warning: gate `saturation-strict` is enforced since 2027-01-15T00:00:00Z: `mode: shadow` and `enforce_from` can be removed [RG903]"
        ),
        "{after:?}"
    );
}

const FREEZE: &str = "tests/fixtures/additions/freeze.yaml";
const FROZEN: &str = "tests/fixtures/additions/frozen-green.json";

fn frozen_eval(ledger: &Path) -> (Run, Value) {
    let mut cmd = eval_cmd(FREEZE, "production", "canary", FROZEN);
    cmd.args(["--format", "json", "--no-report", "--ledger"])
        .arg(ledger);
    let out = run(&mut cmd);
    let d = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out, d)
}

fn override_cmd(ledger: &Path, extra: &[&str]) -> Run {
    let mut cmd = rollgate();
    cmd.args(["ledger", "override"]).arg(ledger);
    cmd.args([
        "--policy",
        FREEZE,
        "--env",
        "production",
        "--stage",
        "canary",
    ]);
    cmd.args(extra);
    run(&mut cmd)
}

/// A green stage in a freeze is HOLD until the freeze ends; a ledger override (who, why,
/// which ticket) lets it promote, and the decision and report say so. An override needs all
/// three; one that has expired no longer applies.
#[test]
fn a_freeze_holds_a_go_until_an_override() {
    let ledger = scratch_dir("additions-freeze").join("ledger.jsonl");
    let (out, d) = frozen_eval(&ledger);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        d["calendar"]["message"],
        "frozen by year-end until 2027-01-04T00:00 America/New_York"
    );
    assert_eq!(d["hold"]["earliest_go_at"], "2027-01-04T14:00:00Z");
    let refused = override_cmd(
        &ledger,
        &["--by", "dana", "--reason", "hotfix", "--ticket", " "],
    );
    assert_eq!(refused.code, 2, "a ticket is required: {refused:?}");
    let expired = override_cmd(
        &ledger,
        &[
            "--by",
            "dana",
            "--reason",
            "old",
            "--ticket",
            "INC-1",
            "--at",
            "2026-12-21T13:30:00Z",
            "--until",
            "2026-12-21T14:00:00Z",
        ],
    );
    assert_eq!(expired.code, 0, "{expired:?}");
    assert_eq!(
        frozen_eval(&ledger).0.code,
        3,
        "an expired override does not apply"
    );
    let ok = override_cmd(
        &ledger,
        &[
            "--by",
            "dana",
            "--reason",
            "payment outage fix",
            "--ticket",
            "INC-4711",
            "--at",
            "2026-12-21T14:30:00Z",
        ],
    );
    assert_eq!(ok.code, 0, "{ok:?}");
    let (out, d) = frozen_eval(&ledger);
    assert_eq!(out.code, 0, "GO through the freeze: {out:?}");
    assert_eq!(d["calendar"]["overridden"]["by"], "dana");
    let mut md = eval_cmd(FREEZE, "production", "canary", FROZEN);
    md.args(["--format", "markdown", "--no-report", "--ledger"])
        .arg(&ledger);
    let md = run(&mut md);
    assert!(
        md.stdout
            .contains("freeze overridden by dana: payment outage fix (INC-4711)"),
        "{}",
        md.stdout
    );
}
