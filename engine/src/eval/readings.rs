//! The readings of the language made explicit (stage windows, staleness, several series,
//! compare sides, relative tolerances): one test pins each. Guards-only stages are pinned in
//! validate/tests.rs.

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::Series;

const NOW: f64 = 1_800_000_000.0;

fn cx(entered_at: Option<f64>) -> EvalContext {
    EvalContext {
        environment: "any".into(),
        stage: "s".into(),
        now: NOW,
        entered_at,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    }
}

fn policy(gates: &str, ids: &str) -> Policy {
    let text = format!(
        "version: 1\npolicy: p\nmetrics:\n  m: {{}}\ngates:\n{gates}stages:\n  - id: s\n    gates: [{ids}]\n"
    );
    crate::load::load_policy(&text)
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
        .policy
}

/// A series with `labels` (k=v pairs) at the given (time, value) pairs.
fn series(labels: &[(&str, &str)], samples: &[(f64, f64)]) -> Series {
    Series::new(
        labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        samples.iter().map(|s| s.0).collect(),
        samples.iter().map(|s| s.1).collect(),
    )
}

fn snapshot(list: Vec<Series>) -> Snapshot {
    let mut s = Snapshot::default();
    s.series.insert("m".into(), list);
    s
}

fn only_gate(d: &Decision) -> &crate::decision::GateResult {
    &d.gates[0]
}

#[test]
fn a_stage_window_holds_entry_to_now_inclusive() {
    let p = policy(
        "  g:\n    metric: m\n    window: stage\n    aggregate: count\n    min: 0\n",
        "g",
    );
    let entered = NOW - 600.0;
    let s = snapshot(vec![series(
        &[],
        &[
            (entered - 1.0, 1.0),
            (entered, 1.0),
            (NOW - 1.0, 1.0),
            (NOW, 1.0),
            (NOW + 1.0, 1.0),
        ],
    )]);
    let d = evaluate(&p, &s, &cx(Some(entered))).unwrap();
    // entered_at <= t <= now: the samples at the entry time and at now, not the ones
    // just before the entry or after now.
    assert_eq!(only_gate(&d).value, Some(3.0), "{}", only_gate(&d).message);
}

#[test]
fn staleness_is_judged_by_the_newest_non_nan_sample_at_or_before_now() {
    let p = policy(
        "  g:\n    metric: m\n    window: 1d\n    max: 10\n    max_age: 5m\n",
        "g",
    );
    // A NaN at now - 1m and a sample after now are not signs of life: the newest usable
    // sample is 10m old.
    let s = snapshot(vec![series(
        &[],
        &[
            (NOW - 600.0, 1.0),
            (NOW - 60.0, f64::NAN),
            (NOW + 30.0, 1.0),
        ],
    )]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    let g = only_gate(&d);
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(g.message.contains("10m old"), "{}", g.message);
    assert_eq!(
        g.series[0].newest_at.as_deref(),
        Some(crate::format::format_time(NOW - 600.0).as_str())
    );
    // A real sample within max_age is fresh.
    let s = snapshot(vec![series(&[], &[(NOW - 600.0, 1.0), (NOW - 60.0, 1.0)])]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    assert_eq!(only_gate(&d).status, GateStatus::Pass);
}

#[test]
fn several_series_any_fail_then_error_then_inconclusive() {
    use GateStatus::*;
    assert_eq!(combine(&[Inconclusive, Error, Fail, Pass]), Fail);
    assert_eq!(combine(&[Inconclusive, Pass, Error]), Error);
    assert_eq!(combine(&[Pass, Inconclusive]), Inconclusive);
    assert_eq!(combine(&[Pass, Pass]), Pass);
    // Through an evaluation: one series fails, another is stale; the rollback gate fails,
    // so the verdict is ROLLBACK, not NO-GO.
    let p = policy(
        "  g:\n    metric: m\n    window: 1d\n    max: 10\n    max_age: 5m\n    on_fail: rollback\n",
        "g",
    );
    let s = snapshot(vec![
        series(&[("surface", "ios")], &[(NOW - 3600.0, 1.0)]),
        series(&[("surface", "web")], &[(NOW - 60.0, 50.0)]),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    let g = only_gate(&d);
    let statuses: Vec<GateStatus> = g.series.iter().map(|s| s.status).collect();
    assert_eq!(statuses, vec![Inconclusive, Fail]);
    assert_eq!(g.status, Fail);
    assert_eq!(d.verdict, Verdict::Rollback);
}

const COMPARE: &str = "  c:\n    metric: m\n    window: 10 checks\n    max_age: 5m\n    min_samples: 3\n    compare:\n      candidate: { track: canary }\n      baseline: { track: stable }\n      aggregate: avg\n      max_increase: 10%\n";

#[test]
fn compare_sides_pool_every_matching_series() {
    let p = policy(COMPARE, "c");
    // Candidate: two series, 1 sample of 10 and 2 of 40: the pooled avg is 30 (the avg of
    // the two series' avgs would be 25). Baseline 28: 30 is within 10% of it.
    let s = snapshot(vec![
        series(
            &[("track", "canary"), ("region", "a")],
            &[(NOW - 60.0, 10.0)],
        ),
        series(
            &[("track", "canary"), ("region", "b")],
            &[(NOW - 120.0, 40.0), (NOW - 60.0, 40.0)],
        ),
        series(
            &[("track", "stable")],
            &[(NOW - 180.0, 28.0), (NOW - 120.0, 28.0), (NOW - 60.0, 28.0)],
        ),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    let g = only_gate(&d);
    assert_eq!(g.status, GateStatus::Pass, "{}", g.message);
    assert_eq!(g.value, Some(30.0));
    assert_eq!(g.series[0].samples, 3, "min_samples counts the pooled side");
}

#[test]
fn a_stale_matching_series_makes_its_compare_side_inconclusive() {
    let p = policy(COMPARE, "c");
    let fresh = |v: f64| [(NOW - 180.0, v), (NOW - 120.0, v), (NOW - 60.0, v)];
    // Candidate region b stopped reporting two days ago; region a is fresh. Before the fix
    // the pooled side still compared and passed.
    let two_days = NOW - 2.0 * 86_400.0;
    let s = snapshot(vec![
        series(&[("track", "canary"), ("region", "a")], &fresh(100.0)),
        series(
            &[("track", "canary"), ("region", "b")],
            &[(two_days - 60.0, 100.0), (two_days, 100.0)],
        ),
        series(&[("track", "stable")], &fresh(100.0)),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    let g = only_gate(&d);
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
    assert!(
        g.message
            .starts_with("candidate: series {region=\"b\", track=\"canary\"} stale data"),
        "{}",
        g.message
    );
    assert_ne!(d.verdict, Verdict::Go);
    // The case: the whole candidate is two days old.
    let s = snapshot(vec![
        series(
            &[("track", "canary")],
            &[
                (two_days - 60.0, 100.0),
                (two_days, 100.0),
                (two_days + 1.0, 100.0),
            ],
        ),
        series(&[("track", "stable")], &fresh(100.0)),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    assert_eq!(only_gate(&d).status, GateStatus::Inconclusive);
    // A stale baseline likewise.
    let s = snapshot(vec![
        series(&[("track", "canary")], &fresh(100.0)),
        series(
            &[("track", "stable")],
            &[
                (two_days - 60.0, 100.0),
                (two_days, 100.0),
                (two_days + 1.0, 100.0),
            ],
        ),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    let g = only_gate(&d);
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(g.message.starts_with("baseline: series"), "{}", g.message);
}

#[test]
fn a_matching_series_with_no_samples_in_the_window_makes_its_side_inconclusive() {
    // No max_age: the empty series is missing data all the same.
    let p = policy(
        &COMPARE
            .replace("    max_age: 5m\n", "")
            .replace("10 checks", "5m"),
        "c",
    );
    let fresh = |v: f64| [(NOW - 180.0, v), (NOW - 120.0, v), (NOW - 60.0, v)];
    let s = snapshot(vec![
        series(&[("track", "canary"), ("region", "a")], &fresh(100.0)),
        series(
            &[("track", "canary"), ("region", "b")],
            &[(NOW - 3600.0, 100.0)],
        ),
        series(&[("track", "stable")], &fresh(100.0)),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    let g = only_gate(&d);
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(
        g.message.contains("no samples in the window"),
        "{}",
        g.message
    );
    // min_samples applies to each side's pool: 2 baseline samples of the 3 needed.
    let s = snapshot(vec![
        series(&[("track", "canary")], &fresh(100.0)),
        series(&[("track", "stable")], &fresh(100.0)[1..]),
    ]);
    let d = evaluate(&p, &s, &cx(None)).unwrap();
    assert_eq!(
        only_gate(&d).message,
        "baseline has 2 samples; at least 3 needed on each side"
    );
}

/// Candidate and baseline each with three samples of one value.
fn compare_of(candidate: f64, baseline: f64, tolerance: &str) -> crate::decision::GateResult {
    let gates = COMPARE.replace("max_increase: 10%", tolerance);
    let p = policy(&gates, "c");
    let three = |v: f64| [(NOW - 180.0, v), (NOW - 120.0, v), (NOW - 60.0, v)];
    let s = snapshot(vec![
        series(&[("track", "canary")], &three(candidate)),
        series(&[("track", "stable")], &three(baseline)),
    ]);
    evaluate(&p, &s, &cx(None)).unwrap().gates.remove(0)
}

#[test]
fn relative_tolerances_are_relative_to_the_baselines_magnitude() {
    // Baseline -10, max_increase 10%: up to -10 + |-10| x 0.1 = -9 is allowed.
    let g = compare_of(-9.0, -10.0, "max_increase: 10%");
    assert_eq!(g.status, GateStatus::Pass);
    assert_eq!(g.bound.max, Some(-9.0));
    assert_eq!(
        g.message,
        "candidate avg -9 vs baseline -10 (+10.0%): within tolerance"
    );
    let g = compare_of(-8.5, -10.0, "max_increase: 10%");
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(
        g.message,
        "candidate avg -8.5 vs baseline -10 (+15.0%): above the limit -9"
    );
    // max_decrease: below -11 fails, and the change is negative.
    let g = compare_of(-11.5, -10.0, "max_decrease: 10%");
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(g.bound.min, Some(-11.0));
    assert!(g.message.contains("(-15.0%)"), "{}", g.message);
    // Positive baselines read as before.
    let g = compare_of(90.0, 100.0, "max_decrease: 5%");
    assert_eq!(
        g.message,
        "candidate avg 90 vs baseline 100 (-10.0%): below the limit 95"
    );
}

#[test]
fn a_stage_of_guards_only_evaluates_its_guards() {
    let text = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  g:\n    metric: m\n    window: 1h\n    max: 10\nguards: [g]\nstages:\n  - id: s\n";
    let p = crate::load::load_policy(text).unwrap().policy;
    let ok = snapshot(vec![series(&[], &[(NOW - 60.0, 1.0)])]);
    let d = evaluate(&p, &ok, &cx(None)).unwrap();
    assert_eq!((d.gates.len(), d.gates[0].guard), (1, true));
    assert_eq!(d.verdict, Verdict::Go);
    let bad = snapshot(vec![series(&[], &[(NOW - 60.0, 11.0)])]);
    assert_eq!(
        evaluate(&p, &bad, &cx(None)).unwrap().verdict,
        Verdict::NoGo
    );
}
