//! Properties of evaluation that must hold for any data (proptest).

use proptest::prelude::*;

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::Series;

const POLICY: &str = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  hi-max:\n    metric: m\n    aggregate: max\n    max: 0.5\n  hi-p95:\n    metric: m\n    aggregate: p95\n    max: 0.5\n    on_fail: warn\n  hi-avg:\n    metric: m\n    aggregate: avg\n    max: 0.5\n    on_fail: rollback\n  hi-last:\n    metric: m\n    max: 0.5\n  streak:\n    metric: m\n    each: { max: 0.8 }\n    consecutive: 3\n    max_failures: 5\n  rising:\n    metric: m\n    min_samples: 5\n    trend: { forbid: increasing }\nstages:\n  - id: s\n    gates: [hi-max, hi-p95, hi-avg, hi-last, streak, rising]\n";

fn policy() -> Policy {
    crate::load::load_policy(POLICY).unwrap().policy
}

fn cx() -> EvalContext {
    EvalContext {
        environment: "any".into(),
        stage: "s".into(),
        now: 1_000.0,
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    }
}

fn snapshot(times: Vec<f64>, values: Vec<f64>) -> Snapshot {
    let mut s = Snapshot::default();
    s.series.insert(
        "m".into(),
        vec![Series::new(Default::default(), times, values)],
    );
    s
}

/// Values in [0, 1] (sometimes NaN), at distinct times before `now`.
fn samples() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![9 => 0.0f64..1.0, 1 => Just(f64::NAN)], 0..40)
}

/// The values one second apart, the last at `now` (fresh under the derived `max_age`).
fn decide(values: &[f64]) -> Decision {
    let n = values.len();
    let times: Vec<f64> = (0..n).map(|i| 1_000.0 - (n - 1 - i) as f64).collect();
    evaluate(&policy(), &snapshot(times, values.to_vec()), &cx()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn input_order_never_changes_the_decision(values in samples(), seed in any::<u64>()) {
        let times: Vec<f64> = (0..values.len()).map(|i| 100.0 + i as f64).collect();
        let mut order: Vec<usize> = (0..values.len()).collect();
        // A deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let t2: Vec<f64> = order.iter().map(|i| times[*i]).collect();
        let v2: Vec<f64> = order.iter().map(|i| values[*i]).collect();
        let a = evaluate(&policy(), &snapshot(times, values), &cx()).unwrap();
        let b = evaluate(&policy(), &snapshot(t2, v2), &cx()).unwrap();
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    }

    #[test]
    fn a_sample_above_max_never_turns_fail_into_pass(values in samples(), extra in 0.51f64..10.0) {
        let before = decide(&values);
        let mut more = values.clone();
        more.push(extra);
        let after = decide(&more);
        for id in ["hi-max", "hi-p95", "hi-avg", "hi-last"] {
            let b = before.gates.iter().find(|g| g.id == id).unwrap().status;
            let a = after.gates.iter().find(|g| g.id == id).unwrap().status;
            if b == GateStatus::Fail {
                prop_assert_eq!(a, GateStatus::Fail, "{}", id);
            }
            if id == "hi-max" || id == "hi-last" {
                prop_assert_eq!(a, GateStatus::Fail, "{} with {} appended", id, extra);
            }
        }
    }

    #[test]
    fn nan_never_passes(n in 0usize..30) {
        let d = decide(&vec![f64::NAN; n]);
        for g in &d.gates {
            prop_assert_ne!(g.status, GateStatus::Pass, "{}", g.id);
        }
        prop_assert_ne!(d.verdict, Verdict::Go);
    }

    #[test]
    fn never_go_while_a_blocking_gate_does_not_pass(values in samples()) {
        let d = decide(&values);
        let blocking_not_pass = d
            .gates
            .iter()
            .any(|g| g.on_fail != crate::decision::OnFail::Warn && g.status != GateStatus::Pass);
        if blocking_not_pass {
            prop_assert_ne!(d.verdict, Verdict::Go);
            prop_assert!(!d.blockers.is_empty());
        }
        let rollback = d.gates.iter().any(|g| g.on_fail == crate::decision::OnFail::Rollback && g.status == GateStatus::Fail);
        prop_assert_eq!(rollback, d.verdict == Verdict::Rollback);
        prop_assert_eq!(d.exit_code, d.verdict.exit_code());
    }
}

/// Every time-series gate kind, each reading its data through `10 checks` with `max_age: 5m`.
const EVERY_KIND: &str = "version: 1\npolicy: p\nmetrics:\n  m: {}\n  c: {}\ngates:\n  thr:\n    metric: m\n    window: 10 checks\n    max_age: 5m\n    aggregate: avg\n    max: 2\n  each:\n    metric: m\n    window: 10 checks\n    max_age: 5m\n    each: { max: 2 }\n    max_failures: 0\n  trend:\n    metric: m\n    window: 10 checks\n    max_age: 5m\n    min_samples: 10\n    trend: { forbid: increasing, alpha: 0.0001 }\n  cmp:\n    metric: c\n    window: 10 checks\n    max_age: 5m\n    compare:\n      candidate: { track: canary }\n      baseline: { track: stable }\n      aggregate: avg\n      max_increase: 50%\n  cmp-abs:\n    metric: c\n    window: 10 checks\n    max_age: 5m\n    compare:\n      candidate: { track: canary }\n      baseline: { track: stable }\n      aggregate: p50\n      max_increase: 5\n      test: mann-whitney\n    min_samples: 5\n  scr:\n    window: 10 checks\n    max_age: 5m\n    script: 'series(\"m\").avg() < 2.0 && series(\"c\", #{track: \"canary\"}).count() > 0'\nstages:\n  - id: s\n    gates: [thr, each, trend, cmp, cmp-abs, scr]\n";

/// `m`, and `c` for both tracks, with the same values one minute apart, the newest `age`
/// seconds before now.
fn every_kind_snapshot(values: &[f64], age: f64) -> Snapshot {
    let n = values.len();
    let times: Vec<f64> = (0..n)
        .map(|i| 1_000_000.0 - age - 60.0 * (n - 1 - i) as f64)
        .collect();
    let labelled = |track: &str| {
        Series::new(
            [("track".to_owned(), track.to_owned())]
                .into_iter()
                .collect(),
            times.clone(),
            values.to_vec(),
        )
    };
    let mut s = Snapshot::default();
    s.series.insert(
        "m".into(),
        vec![Series::new(
            Default::default(),
            times.clone(),
            values.to_vec(),
        )],
    );
    s.series
        .insert("c".into(), vec![labelled("canary"), labelled("stable")]);
    s
}

fn every_kind(values: &[f64], age: f64) -> Decision {
    let p = crate::load::load_policy(EVERY_KIND).unwrap().policy;
    let mut c = cx();
    c.now = 1_000_000.0;
    evaluate(&p, &every_kind_snapshot(values, age), &c).unwrap()
}

#[test]
fn fresh_data_passes_every_kind() {
    // The control for the stale property below: the same data, fresh, is GO.
    let d = every_kind(&[0.5, 0.4, 0.6, 0.5, 0.45, 0.55, 0.5, 0.4, 0.6, 0.5], 30.0);
    for g in &d.gates {
        assert_eq!(g.status, GateStatus::Pass, "{}: {}", g.id, g.message);
    }
    assert_eq!(d.verdict, Verdict::Go);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Shifting every sample back past `max_age` makes data stale: no gate of any kind may
    /// pass on it, and the verdict is never GO.
    #[test]
    fn stale_data_never_passes_any_gate_kind(
        values in prop::collection::vec(prop_oneof![9 => 0.0f64..1.0, 1 => Just(f64::NAN)], 1..30),
        age in 301.0f64..200_000.0,
    ) {
        let d = every_kind(&values, age);
        for g in &d.gates {
            prop_assert_ne!(g.status, GateStatus::Pass, "{}: {}", g.id, g.message);
        }
        prop_assert_ne!(d.verdict, Verdict::Go);
    }
}
