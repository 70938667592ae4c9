//! Every diagnostic code is produced by a file that shows it, at its place: a table of (code,
//! fixture, line:col), checked by running `rollgate validate`, and a check that the table
//! names every code the engine has (so a new code comes with its example). The messages
//! themselves are pinned by the insta snapshots of `invalid.rs`.

use rollgate_engine::diagnostic::Code;

use crate::common::{rollgate, run};

/// One file per code, and where the problem is.
const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "RG001",
        "tests/fixtures/invalid/24-tab-indentation.yaml",
        "12:1",
    ),
    (
        "RG002",
        "tests/fixtures/invalid/25-duplicate-keys.yaml",
        "14:5",
    ),
    ("RG003", "tests/fixtures/invalid/41-alias-bomb.yaml", "8:20"),
    (
        "RG004",
        "tests/fixtures/invalid/58-yaml-nan-bound.yaml",
        "12:10",
    ),
    (
        "RG010",
        "tests/fixtures/invalid/01-top-level-key-typo.yaml",
        "5:1",
    ),
    (
        "RG011",
        "tests/fixtures/diagnostics/missing-key.yaml",
        "1:1",
    ),
    (
        "RG012",
        "tests/fixtures/invalid/22-dedented-gate-key-becomes-gate.yaml",
        "14:3",
    ),
    (
        "RG013",
        "tests/fixtures/invalid/21-unknown-on-fail.yaml",
        "14:14",
    ),
    (
        "RG014",
        "tests/fixtures/invalid/10-bad-duration.yaml",
        "15:14",
    ),
    ("RG015", "tests/fixtures/invalid/29-no-stages.yaml", "16:9"),
    (
        "RG101",
        "tests/fixtures/invalid/05-stage-unknown-gate.yaml",
        "22:13",
    ),
    (
        "RG102",
        "tests/fixtures/invalid/04-unknown-metric-misspelt.yaml",
        "13:13",
    ),
    (
        "RG103",
        "tests/fixtures/invalid/07-records-unknown-set.yaml",
        "12:14",
    ),
    (
        "RG104",
        "tests/fixtures/invalid/08-per-env-undeclared-env.yaml",
        "14:31",
    ),
    (
        "RG105",
        "tests/fixtures/invalid/09-per-env-missing-env.yaml",
        "14:10",
    ),
    (
        "RG106",
        "tests/fixtures/invalid/26-duplicate-stage-ids.yaml",
        "19:9",
    ),
    (
        "RG107",
        "tests/fixtures/diagnostics/missing-policy.test.yaml",
        "1:9",
    ),
    (
        "RG108",
        "tests/fixtures/invalid/32-unknown-time-zone.yaml",
        "5:13",
    ),
    (
        "RG109",
        "tests/fixtures/invalid/59-guard-unknown-stage.yaml",
        "11:27",
    ),
    (
        "RG110",
        "tests/fixtures/invalid/67-template-unknown-param.yaml",
        "8:19",
    ),
    (
        "RG201",
        "tests/fixtures/invalid/16-two-gate-kinds.yaml",
        "10:3",
    ),
    (
        "RG202",
        "tests/fixtures/invalid/18-key-of-another-kind.yaml",
        "14:5",
    ),
    (
        "RG203",
        "tests/fixtures/invalid/19-per-check-without-count.yaml",
        "10:3",
    ),
    (
        "RG204",
        "tests/fixtures/invalid/20-min-above-max.yaml",
        "13:24",
    ),
    (
        "RG205",
        "tests/fixtures/invalid/53-compare-same-cohort.yaml",
        "15:17",
    ),
    (
        "RG206",
        "tests/fixtures/invalid/14-bad-aggregate-percentile.yaml",
        "13:16",
    ),
    (
        "RG207",
        "tests/fixtures/invalid/28-stage-checks-nothing.yaml",
        "18:5",
    ),
    (
        "RG208",
        "tests/fixtures/invalid/60-composite-cycle.yaml",
        "9:3",
    ),
    (
        "RG209",
        "tests/fixtures/invalid/62-enforce-from-contradicts-mode.yaml",
        "10:5",
    ),
    (
        "RG301",
        "tests/fixtures/invalid/38-source-two-kinds.yaml",
        "10:7",
    ),
    (
        "RG302",
        "tests/fixtures/diagnostics/empty-query.yaml",
        "7:19",
    ),
    (
        "RG303",
        "tests/fixtures/invalid/36-secret-in-header.yaml",
        "13:26",
    ),
    (
        "RG304",
        "tests/fixtures/diagnostics/not-http-url.yaml",
        "8:14",
    ),
    (
        "RG401",
        "tests/fixtures/invalid/35-script-syntax-error.yaml",
        "21:8",
    ),
    (
        "RG402",
        "tests/fixtures/diagnostics/script-reads-nothing.yaml",
        "9:7",
    ),
    (
        "RG403",
        "tests/fixtures/invalid/66-script-gate-computed-id.yaml",
        "9:7",
    ),
    (
        "RG502",
        "tests/fixtures/tests/bad/typo-gate.test.yaml",
        "10:29",
    ),
    (
        "RG503",
        "tests/fixtures/diagnostics/bad-interval.test.yaml",
        "7:15",
    ),
    ("RG901", "tests/fixtures/diagnostics/warnings.yaml", "11:27"),
    ("RG902", "tests/fixtures/diagnostics/warnings.yaml", "8:3"),
    (
        "RG903",
        "tests/fixtures/diagnostics/graduated-shadow.yaml",
        "10:5",
    ),
];

/// Codes no file can reach through the command line, and why.
const UNREACHABLE: &[(&str, &str)] = &[(
    "RG016",
    "the backstop for a document the schema accepts and the typed policy still rejects; the \
     schema is built so that this does not happen (a whole number beyond 64 bits, the one case \
     found, is RG015 at its place)",
)];

#[test]
fn every_code_has_an_example_or_a_reason() {
    let mut listed: Vec<&str> = EXAMPLES.iter().map(|e| e.0).collect();
    listed.extend(UNREACHABLE.iter().map(|u| u.0));
    listed.sort_unstable();
    let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, all, "each code once, in EXAMPLES or UNREACHABLE");
}

#[test]
fn each_example_reports_its_code_at_its_place() {
    for (code, file, at) in EXAMPLES {
        let out = run(rollgate().args(["validate", file]));
        let want = format!("{file}:{at}: ");
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with(&want) && l.ends_with(&format!(" [{code}]")));
        assert!(
            line.is_some(),
            "{code}: no `{want}... [{code}]` in:\n{}",
            out.stderr
        );
        let warning = code.starts_with("RG9");
        assert_eq!(
            out.code,
            if warning { 0 } else { 2 },
            "{code}: {}",
            out.stderr
        );
    }
}
