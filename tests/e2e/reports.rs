//! Reports and formats through the real binary: every format of one NO-GO (insta), the
//! report of each verdict, escaping of hostile data, no secrets, never-overwrite writing,
//! custom templates, JUnit against a strict schema, GitHub annotations and step summary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::cmd::eval_cmd;
use crate::common::fixtures::file_names;
use crate::common::fixtures::scratch_dir;
use crate::common::{Run, rollgate, root, run};

const DIR: &str = "tests/fixtures/reports";

/// `eval` of the canary on the fixture `snapshot`.
fn eval_canary(snapshot: &str) -> Command {
    let policy = format!("{DIR}/policy.yaml");
    eval_cmd(
        &policy,
        "production",
        "canary",
        &format!("{DIR}/{snapshot}"),
    )
}

fn eval(snapshot: &str, extra: &[&str]) -> Run {
    run(eval_canary(snapshot).args(extra))
}

fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("reports-{name}"))
}

#[test]
fn every_format_of_one_no_go() {
    for format in ["text", "json", "markdown", "junit", "github"] {
        let out = eval("no-go.json", &["--no-report", "--format", format]);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        insta::assert_snapshot!(format!("no_go_{format}"), out.stdout);
    }
}

#[test]
fn one_report_per_verdict() {
    for (file, code) in [
        ("go.json", 0),
        ("hold.json", 3),
        ("no-go.json", 1),
        ("rollback.json", 4),
    ] {
        let out = eval(file, &["--no-report", "--format", "markdown"]);
        assert_eq!(out.code, code, "{file}: {}", out.stderr);
        insta::assert_snapshot!(
            format!("report_{}", file.trim_end_matches(".json")),
            out.stdout
        );
    }
}

#[test]
fn the_report_has_the_sections_in_order() {
    let out = eval("no-go.json", &["--no-report", "--format", "markdown"]);
    let headings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("## "))
        .collect();
    assert_eq!(
        headings,
        [
            "## Decision",
            "## Stages",
            "## Gates",
            "## Blockers and remediation",
            "## Warnings",
            "## Inputs"
        ]
    );
    assert!(out.stdout.starts_with("# NO-GO: Report demo rollout\n"));
    assert!(
        out.stdout.contains("must fall to 250 or below; it is"),
        "the smallest change that flips the gate"
    );
    assert!(
        out.stdout.contains("```mermaid\nxychart-beta"),
        "a chart of the failing gate"
    );
    assert!(
        out.stdout.contains("Re-run the stuck jobs."),
        "remediation from the policy"
    );
}

#[test]
fn hostile_labels_cannot_change_the_markdown() {
    let out = eval("hostile.json", &["--no-report", "--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stdout.contains("<script>"));
    assert!(!out.stdout.contains("[a](http"), "no live link");
    let table: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| *l != "## Gates")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    let header = cells(table[0]);
    assert!(table.len() >= 4);
    for row in &table {
        assert_eq!(cells(row), header, "a row keeps its cells: {row}");
    }
}

#[test]
fn secrets_never_appear() {
    for format in ["text", "json", "markdown", "junit", "github"] {
        let out = eval("no-go.json", &["--no-report", "--format", format]);
        for secret in ["hunter2", "s3cr3t", "token=abc"] {
            assert!(!out.stdout.contains(secret), "{format} shows `{secret}`");
        }
    }
}

#[test]
fn reports_are_written_once_and_never_overwritten() {
    let dir = scratch("write");
    let rd = dir.to_str().unwrap();
    let first = eval("no-go.json", &["--report-dir", rd, "--format", "json"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let stem = dir.join("report-demo/production/canary/20261122T120000Z");
    let md = std::fs::read_to_string(stem.with_extension("md")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stem.with_extension("json")).unwrap())
            .unwrap();
    assert!(md.starts_with("# NO-GO"));
    assert_eq!(
        json["report"],
        format!("{rd}/report-demo/production/canary/20261122T120000Z.md")
    );
    let printed: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(printed, json, "stdout and the stored decision agree");

    // A retried job: identical bytes, nothing written.
    let again = eval("no-go.json", &["--report-dir", rd, "--format", "json"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("nothing was written"),
        "{}",
        again.stderr
    );
    // The report, its decision and the policy copy both reports share.
    assert_eq!(files(&dir).len(), 3);

    // A different decision at the same time: a suffixed report beside it.
    let other = eval("rollback.json", &["--report-dir", rd, "--format", "json"]);
    assert_eq!(other.code, 4);
    let all = files(&dir);
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(
        all.iter().filter(|f| f.contains("/policies/")).count(),
        1,
        "one policy copy for both: {all:?}"
    );
    assert_eq!(
        std::fs::read_to_string(stem.with_extension("md")).unwrap(),
        md,
        "untouched"
    );
    assert!(
        all.iter()
            .any(|f| f.contains("20261122T120000Z-") && f.ends_with(".md"))
    );
    assert!(
        !all.iter().any(|f| f.contains(".tmp")),
        "no temporary files left"
    );
}

#[test]
fn no_report_writes_nothing() {
    let dir = scratch("none");
    let out = eval(
        "no-go.json",
        &["--report-dir", dir.to_str().unwrap(), "--no-report"],
    );
    assert_eq!(out.code, 1);
    assert!(files(&dir).is_empty());
}

/// Every file below `dir`, as full paths.
fn files(dir: &Path) -> Vec<String> {
    file_names(dir)
        .iter()
        .map(|n| dir.join(n).to_string_lossy().into_owned())
        .collect()
}

#[test]
fn custom_templates_render_and_typos_fail() {
    let out = eval(
        "no-go.json",
        &[
            "--no-report",
            "--format",
            "markdown",
            "--template",
            &format!("{DIR}/templates/custom.md.j2"),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("# Custom report: Report demo rollout\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("- latency: must fall to 250 or below"));

    let dir = scratch("typo");
    let out = eval(
        "no-go.json",
        &[
            "--report-dir",
            dir.to_str().unwrap(),
            "--template",
            &format!("{DIR}/templates/typo.md.j2"),
        ],
    );
    assert_eq!(out.code, 2, "a template typo is an error");
    assert!(out.stderr.contains("verdcit"), "{}", out.stderr);
    assert!(files(&dir).is_empty(), "nothing written");
}

/// The hostile report, and one with a shadow gate (skipped) and an approve gate.
#[test]
fn junit_validates_against_a_strict_schema() {
    let out = eval("hostile.json", &["--no-report", "--format", "junit"]);
    let dir = scratch("junit");
    validate_junit(&dir.join("junit.xml"), &out.stdout);
    let mut shadow = crate::common::cmd::eval_cmd(
        "tests/fixtures/additions/approve.yaml",
        "default",
        "canary",
        "tests/fixtures/additions/saturated.json",
    );
    shadow.args(["--no-report", "--format", "junit"]);
    let out = run(&mut shadow);
    assert!(out.stdout.contains("<skipped"), "{}", out.stdout);
    validate_junit(&dir.join("shadow.xml"), &out.stdout);
}

fn validate_junit(xml: &std::path::Path, text: &str) {
    std::fs::write(xml, text).unwrap();
    let xsd = root().join("tests/fixtures/junit/junit-strict.xsd");
    let Ok(check) = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(xml)
        .output()
    else {
        assert!(
            std::env::var("CI").is_err(),
            "xmllint is required in CI (libxml2-utils)"
        );
        eprintln!("SKIPPED junit_validates_against_a_strict_schema: xmllint is not installed");
        return;
    };
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn render_rerenders_a_stored_decision_and_refuses_altered_ones() {
    let json = eval("no-go.json", &["--no-report", "--format", "json"]).stdout;
    let dir = scratch("render");
    let path = dir.join("d.json");
    std::fs::write(&path, &json).unwrap();
    let direct = eval("no-go.json", &["--no-report", "--format", "markdown"]).stdout;
    let out = run(rollgate().args([
        "render",
        "--from",
        path.to_str().unwrap(),
        "--format",
        "markdown",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, direct, "a pure function of the decision");
    let altered = json.replace("\"exit_code\": 1", "\"exit_code\": 0");
    std::fs::write(&path, altered).unwrap();
    let out = run(rollgate().args([
        "render",
        "--from",
        path.to_str().unwrap(),
        "--format",
        "text",
    ]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("refusing"), "{}", out.stderr);
}

#[test]
fn github_annotations_are_capped_and_the_summary_appended() {
    // Twelve failing gates: ten annotations, then a notice.
    let json = eval("no-go.json", &["--no-report", "--format", "json"]).stdout;
    let mut d: serde_json::Value = serde_json::from_str(&json).unwrap();
    let failing = d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["status"] == "fail" && g["on_fail"] == "block")
        .unwrap()
        .clone();
    let gates = d["gates"].as_array_mut().unwrap();
    for i in 0..12 {
        let mut g = failing.clone();
        g["id"] = format!("extra-{i}").into();
        gates.push(g);
    }
    let dir = scratch("github");
    let path = dir.join("d.json");
    std::fs::write(&path, serde_json::to_string(&d).unwrap()).unwrap();
    let out = run(rollgate().args([
        "render",
        "--from",
        path.to_str().unwrap(),
        "--format",
        "github",
    ]));
    let errors = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .count();
    assert_eq!(errors, 10);
    assert!(
        out.stdout.contains("more error annotations were left out"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("file=tests/fixtures/reports/policy.yaml,line=")
    );

    let summary = dir.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = eval("no-go.json", &["--no-report", "--format", "github"]);
    assert_eq!(out.code, 1);
    let mut cmd = eval_canary("no-go.json");
    cmd.env("GITHUB_STEP_SUMMARY", &summary)
        .args(["--no-report", "--format", "github"]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n# NO-GO: Report demo rollout"),
        "appended"
    );
}
