//! The rule for non-finite values in every gate kind: NaN is skipped and counted; an infinity
//! can make a gate fail, never pass.

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::Series;

const NOW: f64 = 1_800_000_000.0;
const INF: f64 = f64::INFINITY;

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

/// One gate `g` over metric `m` (and records `r`), evaluated on `values` one minute apart
/// ending at now (a series per entry of `tracks`, labelled `track`).
fn run(gate: &str, tracks: &[(&str, &[f64])], records: &str) -> Decision {
    let text = format!(
        "version: 1\npolicy: p\nmetrics:\n  m: {{}}\nrecords:\n  r: {{}}\ngates:\n  g:\n{gate}stages:\n  - id: s\n    gates: [g]\n"
    );
    let p = crate::load::load_policy(&text)
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
        .policy;
    let mut s = Snapshot::default();
    let list = tracks
        .iter()
        .map(|(track, values)| {
            let n = values.len();
            let times = (0..n).map(|i| NOW - 60.0 * (n - 1 - i) as f64).collect();
            let labels = if track.is_empty() {
                Default::default()
            } else {
                [("track".to_owned(), (*track).to_owned())]
                    .into_iter()
                    .collect()
            };
            Series::new(labels, times, values.to_vec())
        })
        .collect();
    s.series.insert("m".into(), list);
    if !records.is_empty() {
        let json = format!(r#"{{"version": 1, "records": {{"r": {records}}}}}"#);
        s.records = crate::snapshot::from_json(json.as_bytes()).unwrap().records;
    }
    evaluate(&p, &s, &cx()).unwrap()
}

fn status(d: &Decision) -> GateStatus {
    d.gates[0].status
}

const MINUS: &[f64] = &[0.5, 0.6, -INF];

#[test]
fn minus_inf_under_a_max_is_never_go_for_any_aggregate() {
    // The reported fail-open: these were GO (last, avg, sum, increase and rate are -Inf).
    for agg in ["last", "avg", "sum", "increase", "rate"] {
        let d = run(
            &format!("    metric: m\n    window: 1h\n    aggregate: {agg}\n    max: 0.01\n"),
            &[("", MINUS)],
            "",
        );
        assert_eq!(
            status(&d),
            GateStatus::Inconclusive,
            "{agg}: {}",
            d.gates[0].message
        );
        assert_ne!(d.verdict, Verdict::Go, "{agg}");
        let m = &d.gates[0].message;
        assert!(
            m.contains("1 infinite sample (-Inf at 2027-01-15T08:00:00Z)"),
            "{agg}: {m}"
        );
    }
}

#[test]
fn minus_inf_under_each_is_never_go() {
    for rule in ["consecutive: 3", "max_failures: 5"] {
        let d = run(
            &format!("    metric: m\n    window: 1h\n    each: {{ max: 0.01 }}\n    {rule}\n"),
            &[("", MINUS)],
            "",
        );
        assert_eq!(
            status(&d),
            GateStatus::Inconclusive,
            "{rule}: {}",
            d.gates[0].message
        );
        assert_ne!(d.verdict, Verdict::Go);
    }
    // +Inf violates `each: {max}`: it counts, and three in a row fail.
    let d = run(
        "    metric: m\n    window: 1h\n    each: { max: 0.01 }\n    consecutive: 3\n    on_fail: rollback\n",
        &[("", &[0.001, INF, INF, INF])],
        "",
    );
    assert_eq!(status(&d), GateStatus::Fail);
    assert_eq!(d.verdict, Verdict::Rollback);
}

#[test]
fn an_infinite_aggregate_that_violates_the_bound_fails() {
    let gate = |agg: &str, bound: &str| {
        format!(
            "    metric: m\n    window: 1h\n    aggregate: {agg}\n    {bound}\n    on_fail: rollback\n"
        )
    };
    let d = run(&gate("last", "max: 0.01"), &[("", &[0.001, INF])], "");
    assert_eq!(status(&d), GateStatus::Fail, "{}", d.gates[0].message);
    assert_eq!(d.verdict, Verdict::Rollback);
    let d = run(&gate("avg", "min: 0.5"), &[("", MINUS)], "");
    assert_eq!(status(&d), GateStatus::Fail, "{}", d.gates[0].message);
    // A finite aggregate that fails on its own still fails.
    let d = run(&gate("max", "max: 0.01"), &[("", MINUS)], "");
    assert_eq!(status(&d), GateStatus::Fail);
}

#[test]
fn a_finite_aggregate_over_an_infinite_sample_cannot_pass() {
    let gate =
        |agg: &str| format!("    metric: m\n    window: 1h\n    aggregate: {agg}\n    max: 0.01\n");
    for (agg, values) in [
        ("p50", &[0.001, 0.002, INF][..]),
        ("max", &[0.001, -INF][..]),
        ("min", &[0.001, INF][..]),
        ("count", &[0.001, -INF][..]),
    ] {
        let gate = gate(agg).replace(
            "max: 0.01",
            if agg == "count" {
                "max: 5"
            } else {
                "max: 0.01"
            },
        );
        let d = run(&gate, &[("", values)], "");
        assert_eq!(
            status(&d),
            GateStatus::Inconclusive,
            "{agg}: {}",
            d.gates[0].message
        );
    }
    // stddev of an infinity is undefined: inconclusive, naming it.
    let d = run(&gate("stddev"), &[("", &[0.001, INF])], "");
    assert_eq!(status(&d), GateStatus::Inconclusive);
    assert!(
        d.gates[0].message.contains("+Inf at"),
        "{}",
        d.gates[0].message
    );
}

#[test]
fn a_trend_over_an_infinite_sample_cannot_pass() {
    let d = run(
        "    metric: m\n    window: 1h\n    min_samples: 5\n    trend: { forbid: increasing }\n",
        &[("", &[5.0, 4.0, 3.0, 2.0, -INF])],
        "",
    );
    assert_eq!(
        status(&d),
        GateStatus::Inconclusive,
        "{}",
        d.gates[0].message
    );
}

const COMPARE: &str = "    metric: m\n    window: 1h\n    compare:\n      candidate: { track: canary }\n      baseline: { track: stable }\n      aggregate: avg\n      max_increase: 10%\n";

#[test]
fn compare_sides_that_are_not_finite_are_inconclusive() {
    let ok: &[f64] = &[100.0, 100.0, 100.0];
    for (cand, base) in [
        (&[100.0, -INF][..], ok),
        (ok, &[100.0, INF][..]),
        (&[INF, INF][..], &[INF, INF][..]),
    ] {
        let d = run(COMPARE, &[("canary", cand), ("stable", base)], "");
        let g = &d.gates[0];
        assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
        assert!(g.message.contains("not finite"), "{}", g.message);
        assert!(!g.message.contains("within tolerance"), "{}", g.message);
    }
    // A finite aggregate over an infinite sample: not a pass either.
    let p50 = COMPARE.replace("aggregate: avg", "aggregate: p50");
    let d = run(
        &p50,
        &[("canary", &[100.0, 100.0, INF]), ("stable", ok)],
        "",
    );
    assert_eq!(
        status(&d),
        GateStatus::Inconclusive,
        "{}",
        d.gates[0].message
    );
    // A tolerance whose limit overflows gives no finite bound (was "bound <= NaN/inf").
    let wide = COMPARE.replace("max_increase: 10%", "max_increase: 1e308");
    let big: &[f64] = &[1.5e308];
    let d = run(&wide, &[("canary", big), ("stable", big)], "");
    let g = &d.gates[0];
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
    assert!(g.message.contains("no finite limit"), "{}", g.message);
    assert_eq!(g.bound.max, None);
}

#[test]
fn records_with_an_infinite_checked_number_cannot_pass() {
    let gate = "    records: r\n    expect: { latency: { max: 0.01 } }\n";
    let d = run(
        gate,
        &[],
        r#"[{"id": "a", "latency": "-Inf"}, {"id": "b", "latency": 0.001}]"#,
    );
    let g = &d.gates[0];
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
    assert!(
        g.message.contains("record id=a: `latency` is -Inf"),
        "{}",
        g.message
    );
    let d = run(gate, &[], r#"[{"id": "a", "latency": "+Inf"}]"#);
    assert_eq!(status(&d), GateStatus::Fail);
}

#[test]
fn scripts_reading_an_infinite_sample_cannot_pass() {
    // Rhai compares floats with a relative epsilon, so `-inf < 0.01` and `-inf > 0.01` are
    // both false; `!(x > bound)` is how an infinity turned a script into a pass.
    let gate = "    window: 1h\n    script: '!(series(\"m\").last() > 0.01)'\n";
    let d = run(gate, &[("", MINUS)], "");
    let g = &d.gates[0];
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
    assert!(
        g.message
            .contains("series m{} holds 1 infinite sample (-Inf at"),
        "{}",
        g.message
    );
    assert_ne!(d.verdict, Verdict::Go);
    // The script can still fail on it.
    let gate = "    window: 1h\n    script: 'series(\"m\").sum() > 0.0'\n";
    assert_eq!(status(&run(gate, &[("", MINUS)], "")), GateStatus::Fail);
    // Finite data passes as before.
    let gate = "    window: 1h\n    script: '!(series(\"m\").last() > 1.0)'\n";
    assert_eq!(
        status(&run(gate, &[("", &[0.5, 0.6])], "")),
        GateStatus::Pass
    );
}
