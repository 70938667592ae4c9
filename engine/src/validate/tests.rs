//! Validation messages: each problem once, at the offending token, in the user's words.

use crate::load::load_policy;

/// Every problem of a policy, as `line:col: message; help`.
fn problems(text: &str) -> Vec<String> {
    match load_policy(text) {
        Ok(loaded) => loaded.warnings.iter().map(ToString::to_string).collect(),
        Err(diags) => diags.iter().map(ToString::to_string).collect(),
    }
}

const HEAD: &str = "version: 1\npolicy: p\nenvironments: [production, staging]\nmetrics:\n  err:\n    unit: ratio\n";

#[test]
fn a_misspelt_environment_is_reported_once() {
    let text = format!(
        "{HEAD}gates:\n  g:\n    metric: err\n    max: {{ production: 0.1, stagin: 0.2 }}\nstages:\n  - id: s\n    gates: [g]\n"
    );
    assert_eq!(
        problems(&text),
        [
            "10:29: `stagin` is not a declared environment (declared: `production`, `staging`); did you mean `staging`?"
        ]
    );
    // A missing environment with no near key is still reported.
    let text = text.replace("stagin:", "qa:");
    assert_eq!(problems(&text).len(), 2, "{:?}", problems(&text));
}

#[test]
fn a_misspelt_reference_does_not_make_its_gate_unused() {
    let text = format!(
        "{HEAD}gates:\n  g-errors:\n    metric: err\n    max: 0.1\nguards: [g-error]\nstages:\n  - id: s\n    hold: 1h\n"
    );
    assert_eq!(
        problems(&text),
        ["11:10: unknown gate `g-error`; did you mean `g-errors`?"]
    );
    let text = text.replace("g-error]", "latency]");
    assert_eq!(
        problems(&text),
        [
            "8:3: warning: gate `g-errors` is not used by any stage, guard or composite that is used",
            "11:10: unknown gate `latency`; declare it under `gates` (declared: `g-errors`)"
        ]
    );
}

#[test]
fn duplicate_stage_ids_name_the_first() {
    let text = "version: 1\npolicy: p\nstages:\n  - id: a\n    hold: 1h\n  - id: a\n    hold: 2h\n";
    assert_eq!(
        problems(text),
        ["6:9: stage id `a` is used twice (first at line 4); stage ids must be unique"]
    );
}

#[test]
fn impossible_dates_say_why() {
    let text = "version: 1\npolicy: p\ncalendar:\n  holidays: [2026-02-29, 2026-13-01]\nstages:\n  - id: a\n    hold: 1bd\n";
    assert_eq!(
        problems(text),
        [
            "4:14: `2026-02-29` is not a real date: February 2026 has 28 days",
            "4:26: `2026-13-01` is not a real date: there is no month 13",
        ]
    );
}

#[test]
fn min_above_max_points_at_the_min_in_force() {
    let text = format!(
        "{HEAD}gates:\n  g:\n    metric: err\n    min: {{ production: 5, default: 1 }}\n    max: 3\nstages:\n  - id: s\n    gates: [g]\n"
    );
    assert_eq!(
        problems(&text),
        ["10:24: in gate `g`, `min` (5) is above `max` (3) for `production`: nothing could pass"]
    );
}

#[test]
fn scripts_must_name_declared_metrics() {
    let text = format!(
        "{HEAD}gates:\n  g:\n    script: |\n      let a = 1;\n      series(\"er\").last() < a\nstages:\n  - id: s\n    gates: [g]\n"
    );
    assert_eq!(
        problems(&text),
        ["11:14: unknown metric `er` in `series(...)`; did you mean `err`?"]
    );
}

#[test]
fn sources_with_two_kinds_and_secrets() {
    let text = "version: 1\npolicy: p\nmetrics:\n  m:\n    source:\n      prometheus: up\n      file: { path: x.csv }\n  n:\n    source:\n      prometheus: { query: up, url: \"https://u:hunter2@prom:9090/x\" }\nstages:\n  - id: a\n    hold: 1h\n";
    let found = problems(text);
    assert_eq!(
        found[0],
        "7:7: `source` of metric `m` has more than one kind: `prometheus` and `file`; a source has exactly one"
    );
    assert!(
        found[1].starts_with("10:37: the URL `https://***@prom:9090/x` carries credentials"),
        "{found:?}"
    );
    assert!(!found.concat().contains("hunter2"), "never echo a secret");
}

#[test]
fn schema_messages_speak_plainly() {
    let text = "version: 1\npolicy: p\ntitle:\nmetrics:\n  m:\n    unit: ratio\n  source: x\nremediation: y\nrecords:\n  r:\n    source:\n      http: { url: \"https://x\", response: no }\nstages:\n  - id: a\n    hold: 1h\n";
    assert_eq!(
        problems(text),
        [
            "3:1: `title` must be text, found nothing (null); write a value after `title:`, or remove the line",
            "7:3: metric `source` must be a map, found `x`; `source` is a metric key, not a metric: indent it under the metric it belongs to",
            "8:1: unknown top-level key `remediation`; `remediation` is a gate key: indent it under the gate it belongs to",
            "12:43: `source.http.response` of record set `r` must be `true` or `false`, found `no`; did you mean `false`? only `true` and `false` are booleans",
        ]
    );
}

#[test]
fn time_and_id_patterns_suggest_a_spelling() {
    let text = "version: 1\npolicy: Khala_WS\nstages:\n  - id: a\n    hold: 2 business days\n  - id: b\n    hold: 1.5bd\n";
    assert_eq!(
        problems(text),
        [
            "2:9: `policy`: `Khala_WS` is not a valid id (lowercase letters, digits and `-`); did you mean `khala-ws`?",
            "5:11: `hold` of stage `a`: `2 business days` is not a hold: a duration like `60m` or `24h`, or business days like `1bd`; did you mean `2bd`?",
            "7:11: `hold` of stage `b`: `1.5bd` is not a hold: a duration like `60m` or `24h`, or business days like `1bd`; business-day holds count whole days, like `1bd` or `2bd`",
        ]
    );
    let v2 = "version: 2\npolicy: p\nstages:\n  - id: a\n    hold: 1h\n";
    assert_eq!(
        problems(v2),
        ["1:10: unsupported policy language version `2`: this rollgate reads `version: 1`"]
    );
}

#[test]
fn wrong_shapes_get_a_corrected_spelling() {
    let text = "version: \"1\"\npolicy: p\nenvironments: production\nmetrics:\n  m: {}\ngates:\n  g:\n    metric: m\n    max: 0.5%\n    min_samples: \"10\"\nstages:\n  - id: s\n    gates: g\n";
    assert_eq!(
        problems(text),
        [
            "1:10: `version` must be a whole number, found the text `\"1\"`; remove the quotes: `1`",
            "3:15: `environments` must be a list, found `production`; write a list, even of one item: did you mean `[production]`?",
            "9:10: `max` of gate `g` must be a number, or a map from environment name to a number, found `0.5%`; write a fraction, not a percentage: did you mean `0.005`?",
            "10:18: `min_samples` of gate `g` must be a whole number, or a map from environment name to a whole number, found the text `\"10\"`; remove the quotes: `10`",
            "13:12: `gates` of stage `s` must be a list, found `g`; write a list, even of one item: did you mean `[g]`?",
        ],
        "and no warning that `g` is unused"
    );
}

#[test]
fn a_typo_inside_an_expectation_is_an_unknown_key() {
    let text = "version: 1\npolicy: p\nrecords:\n  r: {}\ngates:\n  g:\n    records: r\n    expect:\n      a.b: { presnt: true }\nstages:\n  - id: s\n    gates: [g]\n";
    assert_eq!(
        problems(text),
        ["9:14: unknown key `presnt` in `expect.a.b` of gate `g`; did you mean `present`?"]
    );
}

#[test]
fn a_comparison_reports_all_its_problems() {
    let text = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  g:\n    metric: m\n    compare:\n      candidate: { c: a }\n      baseline: { c: a }\nstages:\n  - id: s\n    gates: [g]\n";
    assert_eq!(
        problems(text),
        [
            "8:5: `compare` of gate `g` needs `max_increase`, `max_decrease` or both",
            "10:17: `compare.baseline` of gate `g` selects the same series as `candidate`: the comparison could never fail",
        ]
    );
}

#[test]
fn a_stage_whose_only_checks_are_guards_is_valid() {
    let guarded = format!(
        "{HEAD}gates:\n  g:\n    metric: err\n    max: 0.1\nguards: [g]\nstages:\n  - id: a\n    gates: []\n  - id: b\n"
    );
    let loaded = load_policy(&guarded).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let stage = loaded.policy.stage("b").unwrap();
    assert!(stage.gates.is_empty());
    // Without the guard the stage checks nothing, which is refused.
    let bare = guarded
        .replace("guards: [g]\n", "")
        .replace("gates: []", "gates: [g]");
    assert_eq!(
        problems(&bare),
        [
            "14:5: stage `b` has no gates, no guards that run at it and no hold, so it checks nothing; add `gates`, `guards` or a `hold`"
        ]
    );
}

/// A scoped guard names declared stages, one way; a stage outside every guard's scope with
/// nothing else to check is refused as before.
#[test]
fn scoped_guards_name_declared_stages() {
    let base = format!(
        "{HEAD}gates:\n  g:\n    metric: err\n    max: 0.1\n  h:\n    metric: err\n    max: 0.2\nguards:\n  - {{ gate: g, from: b }}\n  - {{ gate: h, stages: [a, c] }}\nstages:\n  - id: a\n  - id: b\n  - id: c\n    gates: [g]\n"
    );
    assert_eq!(
        problems(&base),
        ["21:13: warning: gate `g` is a guard that runs at this stage already"]
    );
    let typo = base.replace("from: b", "from: bb");
    assert_eq!(
        problems(&typo)[..1],
        ["15:22: unknown stage `bb` (stages: `a`, `b`, `c`); did you mean `b`?"]
    );
    let both = base.replace("from: b", "from: b, stages: [b]");
    assert_eq!(
        problems(&both)[..1],
        [
            "15:25: guard `g` gives both `from` and `stages`: give one (`from` runs it at that stage and the later ones)"
        ]
    );
    // `h` runs at a and c only, so b (before `g`'s scope was moved) checks nothing.
    let uncovered = base.replace("from: b", "from: c");
    assert_eq!(
        problems(&uncovered)[0],
        "19:5: stage `b` has no gates, no guards that run at it and no hold, so it checks nothing; add `gates`, `guards` or a `hold`"
    );
    let twice = base.replace("gate: h,", "gate: g,");
    assert!(
        problems(&twice).contains(&"16:13: gate `g` is listed twice in `guards`".to_owned()),
        "{:?}",
        problems(&twice)
    );
    let unknown = base.replace("gate: h,", "gate: hh,");
    assert!(
        problems(&unknown)[0].starts_with("16:13: unknown gate `hh`; did you mean `h`?"),
        "{:?}",
        problems(&unknown)
    );
}

#[test]
fn sources_come_out_typed() {
    use crate::policy::duration::Duration;
    use crate::policy::model::Source;
    use crate::policy::model::source::{Header, Issues};
    let text = "version: 1\npolicy: p\nmetrics:\n  m:\n    source:\n      prometheus: { query: up, step: 2m }\nrecords:\n  r:\n    source:\n      http: { url: \"https://x/y\", headers: { Authorization: { env: ROLLGATE_SECRET_T, prefix: \"Bearer \" }, Accept: json } }\n  i:\n    source:\n      github_issues: { repo: o/r, labels: [bug] }\nstages:\n  - id: a\n    hold: 1h\n";
    let policy = load_policy(text).unwrap().policy;
    let step = policy.metrics["m"]
        .source
        .as_ref()
        .unwrap()
        .prometheus_step();
    assert_eq!(step, Some(Duration { seconds: 120 }));
    let Some(Source::Http(h)) = &policy.records["r"].source else {
        panic!("an http source")
    };
    assert_eq!(
        h.headers["Authorization"],
        Header::Secret {
            env: "ROLLGATE_SECRET_T".into(),
            prefix: Some("Bearer ".into())
        }
    );
    assert_eq!(h.headers["Accept"], Header::Literal("json".into()));
    let Some(Source::GithubIssues(g)) = &policy.records["i"].source else {
        panic!("a github source")
    };
    assert_eq!(g.select, Issues::Labels(vec!["bug".into()]));
}
