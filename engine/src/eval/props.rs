//! Properties of evaluation that must hold for any data (proptest).

use proptest::prelude::*;

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::Series;

const POLICY: &str = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  hi-max:\n    metric: m\n    aggregate: max\n    max: 0.5\n  hi-p95:\n    metric: m\n    aggregate: p95\n    max: 0.5\n    on_fail: warn\n  hi-avg:\n    metric: m\n    aggregate: avg\n    max: 0.5\n    on_fail: rollback\n  hi-last:\n    metric: m\n    max: 0.5\n  streak:\n    metric: m\n    each: { max: 0.8 }\n    consecutive: 3\n    max_failures: 5\n  rising:\n    metric: m\n    trend: { forbid: increasing }\nstages:\n  - id: s\n    gates: [hi-max, hi-p95, hi-avg, hi-last, streak, rising]\n";

fn policy() -> Policy {
    crate::load::load_policy(POLICY).unwrap().policy
}

fn cx() -> EvalContext {
    EvalContext {
        environment: "any".into(),
        stage: "s".into(),
        now: 1_000.0,
        entered_at: None,
        owner: None,
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

fn decide(values: &[f64]) -> Decision {
    let times: Vec<f64> = (0..values.len()).map(|i| 100.0 + i as f64).collect();
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
            .any(|g| g.on_fail != "warn" && g.status != GateStatus::Pass);
        if blocking_not_pass {
            prop_assert_ne!(d.verdict, Verdict::Go);
            prop_assert!(!d.blockers.is_empty());
        }
        let rollback = d.gates.iter().any(|g| g.on_fail == "rollback" && g.status == GateStatus::Fail);
        prop_assert_eq!(rollback, d.verdict == Verdict::Rollback);
        prop_assert_eq!(d.exit_code, d.verdict.exit_code());
    }
}
