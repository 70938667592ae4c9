//! A report that cannot be rendered is not written. A custom template is tried before
//! anything is written, but it can still fail on a value only the final decision has (its
//! report path, the snapshot kept beside it): then no file, no policy copy and no ledger line
//! are left, and the command fails instead of keeping an empty report.

use std::path::Path;
use std::process::Command;

use crate::common::fixtures::{file_names, scratch_dir};
use crate::common::{rollgate, run};

const POLICY: &str = "tests/fixtures/ledger/run-policy.yaml";
const LATE: &str = "tests/fixtures/render_failures/late.md.j2";

fn run_cmd(rd: &Path, ledger: &Path, template: Option<&str>) -> Command {
    let mut cmd = rollgate();
    cmd.args(["run", "--policy", POLICY, "--env", "production"])
        .args(["--stage", "canary", "--now", "2026-01-01T03:00:00Z"])
        .args(["--entered-at", "2026-01-01T00:00:00Z", "--format", "json"])
        .arg("--report-dir")
        .arg(rd)
        .arg("--ledger")
        .arg(ledger);
    if let Some(t) = template {
        cmd.args(["--template", t]);
    }
    cmd
}

#[test]
fn a_template_failing_on_the_final_decision_writes_nothing() {
    let dir = scratch_dir("render-failures-late");
    let (rd, ledger) = (dir.join("rd"), dir.join("ledger.jsonl"));
    let out = run(&mut run_cmd(&rd, &ledger, Some(LATE)));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("could not render the report: template `")
            && out.stderr.contains("no_such_field")
            && out.stderr.contains("nothing was written"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "no decision is printed without its report");
    assert_eq!(
        file_names(&rd),
        Vec::<String>::new(),
        "no report, no policy copy"
    );
    let lines = std::fs::read_to_string(&ledger).unwrap_or_default();
    assert_eq!(lines, "", "no ledger line");
}

/// The control: the same run with the built-in report writes its set and its ledger line, so
/// the failure above is the template's.
#[test]
fn the_same_run_with_the_built_in_report_is_kept() {
    let dir = scratch_dir("render-failures-control");
    let (rd, ledger) = (dir.join("rd"), dir.join("ledger.jsonl"));
    let out = run(&mut run_cmd(&rd, &ledger, None));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let names = file_names(&rd);
    assert!(
        names.iter().any(|n| n.ends_with(".snapshot.json"))
            && names.iter().any(|n| n.ends_with(".md")),
        "{names:?}"
    );
    assert_eq!(std::fs::read_to_string(&ledger).unwrap().lines().count(), 1);
}
