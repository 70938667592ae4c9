//! `expect_series` and `min_series` (policy additions 0.2, "Expected series"): a series that
//! disappears makes its gate inconclusive, naming it, instead of leaving the others to pass.

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::Series;

const NOW: f64 = 1_800_000_000.0;

fn cx() -> EvalContext {
    EvalContext {
        environment: "any".into(),
        stage: "s".into(),
        now: NOW,
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    }
}

fn policy(metric: &str, gate: &str) -> Result<Policy, Vec<String>> {
    let text = format!(
        "version: 1\npolicy: p\nmetrics:\n  lat: {{{metric}}}\ngates:\n  g:\n    metric: lat\n    aggregate: p95\n    max: 400\n{gate}stages:\n  - id: s\n    gates: [g]\n"
    );
    crate::load::load_policy(&text)
        .map(|l| l.policy)
        .map_err(|e| {
            e.iter()
                .map(|d| format!("{}:{} {}", d.pos.line, d.pos.col, d.message))
                .collect()
        })
}

/// One series per surface, ten fresh samples of `v` each.
fn surfaces(list: &[(&str, f64)]) -> Snapshot {
    let mut s = Snapshot::default();
    let series = list
        .iter()
        .map(|(surface, v)| {
            Series::new(
                [("surface".to_owned(), (*surface).to_owned())].into(),
                (0..10).map(|i| NOW - 60.0 * (9 - i) as f64).collect(),
                vec![*v; 10],
            )
        })
        .collect();
    s.series.insert("lat".into(), series);
    s
}

const THREE: &str = " expect_series: { surface: [web, desktop, ios] } ";

#[test]
fn a_dropped_surface_is_inconclusive_and_named() {
    let p = policy(THREE, "").unwrap();
    let d = evaluate(&p, &surfaces(&[("web", 180.0), ("desktop", 220.0)]), &cx()).unwrap();
    let g = &d.gates[0];
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
    assert_eq!(
        g.message,
        "1 of 3 series do not pass; worst: {surface=\"ios\"} no series with surface=ios"
    );
    assert_eq!(g.series[2].labels["surface"], "ios");
    assert_eq!(d.verdict, Verdict::NoGo);
    // All three present: pass.
    let all = surfaces(&[("web", 180.0), ("desktop", 220.0), ("ios", 300.0)]);
    assert_eq!(evaluate(&p, &all, &cx()).unwrap().verdict, Verdict::Go);
    // A failing surface still fails (a rollback gate still rolls back).
    let d = evaluate(&p, &surfaces(&[("web", 900.0), ("desktop", 220.0)]), &cx()).unwrap();
    assert_eq!(d.gates[0].status, GateStatus::Fail);
    // Nothing at all: every missing one is named.
    let d = evaluate(&p, &surfaces(&[]), &cx()).unwrap();
    assert_eq!(
        d.gates[0].message,
        "no series with surface=web; no series with surface=desktop; no series with surface=ios"
    );
}

#[test]
fn min_series_counts_the_selected_series() {
    let p = policy("", "    min_series: 3\n").unwrap();
    let d = evaluate(&p, &surfaces(&[("web", 180.0), ("desktop", 220.0)]), &cx()).unwrap();
    assert_eq!(d.gates[0].status, GateStatus::Inconclusive);
    assert!(
        d.gates[0]
            .message
            .ends_with("2 series of metric `lat`; at least 3 expected (`min_series`)"),
        "{}",
        d.gates[0].message
    );
    let all = surfaces(&[("web", 180.0), ("desktop", 220.0), ("ios", 300.0)]);
    assert_eq!(evaluate(&p, &all, &cx()).unwrap().verdict, Verdict::Go);
}

#[test]
fn a_gates_declaration_overrides_its_metrics() {
    // The metric wants three surfaces; this gate is content with web and desktop.
    let p = policy(THREE, "    expect_series: { surface: [web, desktop] }\n").unwrap();
    let two = surfaces(&[("web", 180.0), ("desktop", 220.0)]);
    assert_eq!(evaluate(&p, &two, &cx()).unwrap().verdict, Verdict::Go);
    // A metric's declaration holds for what a gate selects: a web-only gate expects web only.
    let p = policy(THREE, "    select: { surface: web }\n").unwrap();
    assert_eq!(evaluate(&p, &two, &cx()).unwrap().verdict, Verdict::Go);
    let d = evaluate(&p, &surfaces(&[("desktop", 220.0)]), &cx()).unwrap();
    assert_eq!(d.gates[0].message, "no series with surface=web");
}

#[test]
fn compare_gates_and_scripts_see_missing_series_too() {
    let text = "version: 1\npolicy: p\nmetrics:\n  lat: { expect_series: { surface: [web, desktop, ios] } }\ngates:\n  c:\n    metric: lat\n    compare: { candidate: { surface: web }, baseline: { surface: desktop }, aggregate: avg, max_increase: 50% }\n  s:\n    script: 'series_all(\"lat\").len() >= 0'\nstages:\n  - id: s\n    gates: [c, s]\n";
    let p = crate::load::load_policy(text).unwrap().policy;
    let d = evaluate(&p, &surfaces(&[("web", 180.0), ("desktop", 220.0)]), &cx()).unwrap();
    for g in &d.gates {
        assert_eq!(
            g.status,
            GateStatus::Inconclusive,
            "{}: {}",
            g.id,
            g.message
        );
        assert!(
            g.message.contains("no series with surface=ios"),
            "{}",
            g.message
        );
    }
    let all = surfaces(&[("web", 180.0), ("desktop", 200.0), ("ios", 300.0)]);
    assert_eq!(evaluate(&p, &all, &cx()).unwrap().verdict, Verdict::Go);
}

#[test]
fn validation_refuses_declarations_that_cannot_hold() {
    let e = policy(" expect_series: { surface: [] } ", "").unwrap_err();
    assert!(
        e[0].contains("`expect_series` lists no value of `surface`"),
        "{e:?}"
    );
    let e = policy(" expect_series: { surface: [web, web] } ", "").unwrap_err();
    assert!(e[0].contains("`surface=web` is listed twice"), "{e:?}");
    let e = policy(
        "",
        "    select: { surface: web }\n    expect_series: { surface: [web, ios] }\n",
    )
    .unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("11:37 ") && e[0].contains("`select` reads only `surface=web`"),
        "{e:?}"
    );
    let e = policy("", "    min_series: 0\n").unwrap_err();
    assert!(e[0].starts_with("10:17 "), "{e:?}");
    let text = "version: 1\npolicy: p\nrecords:\n  r: {}\ngates:\n  g:\n    records: r\n    min_count: 1\n    min_series: 2\nstages:\n  - id: s\n    gates: [g]\n";
    let e = crate::load::load_policy(text).unwrap_err();
    assert!(
        e[0].message
            .contains("`min_series` does not apply to records gate"),
        "{e:?}"
    );
}
