//! A report that fails to render writes nothing (issue 13, item 6): a template is hostile
//! input (it may come with a pull request), and a render failure once used to become an empty
//! report, recorded in the ledger, with the verdict's exit code.

use std::path::{Path, PathBuf};

use crate::common::fixtures::{file_names, scratch_dir};
use crate::common::{rollgate, run};

const DIR: &str = "tests/fixtures/ledger";
const TEMPLATE: &str = "tests/fixtures/render_failures/late-failure.md.j2";

/// `run` of the ledger fixture's file-source policy, ledger and report dir under `dir`.
fn run_with(dir: &Path, template: &str) -> crate::common::Run {
    run(rollgate()
        .args(["run", "--policy", &format!("{DIR}/run-policy.yaml")])
        .args(["--env", "production", "--stage", "canary"])
        .args(["--now", "2026-01-01T03:00:00Z", "--format", "json"])
        .args(["--template", template])
        .arg("--report-dir")
        .arg(dir.join("rd"))
        .arg("--ledger")
        .arg(dir.join("ledger.jsonl")))
}

fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("render-failures-{name}"))
}

/// The template renders before anything is written (no report name yet, so it passes) and
/// fails when the report is rendered for its file: nothing is kept, no ledger line, exit 2.
#[test]
fn a_template_failing_at_write_time_writes_nothing() {
    let dir = scratch("late");
    let out = run_with(&dir, TEMPLATE);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("error: template `{TEMPLATE}`: ")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not_a_field"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "no decision printed: {}", out.stdout);
    assert_eq!(
        file_names(&dir.join("rd")),
        Vec::<String>::new(),
        "no report"
    );
    // Opening the ledger creates it (and its index) before the report is written: it must
    // hold no entry.
    let ledger = std::fs::read_to_string(dir.join("ledger.jsonl")).unwrap_or_default();
    assert_eq!(ledger, "", "no ledger line");
}

/// The same run with a template that renders keeps the report and records it: the failure
/// above is the template's, not the setup's.
#[test]
fn the_same_run_with_a_good_template_writes_its_report() {
    let dir = scratch("good");
    let out = run_with(&dir, "tests/fixtures/reports/templates/custom.md.j2");
    assert_eq!(out.code, 1, "NO-GO: {}", out.stderr);
    let written = file_names(&dir);
    assert!(written.iter().any(|n| n.ends_with(".md")), "{written:?}");
    assert!(written.contains(&"ledger.jsonl".to_owned()), "{written:?}");
}
