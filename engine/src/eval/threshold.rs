//! Threshold gates: an aggregate of the window within inclusive bounds.

use super::Outcome;
use super::prepare::View;
use crate::decision::{Bound, GateStatus};
use crate::format::fmt_num;
use crate::format::plural;
use crate::plan::GatePlan;
use crate::policy::model::Threshold;

pub(crate) fn evaluate(
    g: &Threshold,
    gp: &GatePlan<'_>,
    view: &View<'_>,
    bound: &mut Bound,
) -> Outcome {
    let aggregate = &g.aggregate;
    let (max, min) = (gp.max, gp.min);
    bound.max = max;
    bound.min = min;
    let n = view.values.len();
    let found = crate::data_rules::infinite::infinities(&view.times, &view.values);
    let Some(v) = crate::stats::aggregate::apply(*aggregate, &view.times, &view.values) else {
        let o = Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!("{aggregate} cannot be computed from {n} sample(s)"),
        );
        return super::nonfinite::never_pass(o, &found);
    };
    // An infinite aggregate that violates a bound fails here; one that does not, or a
    // finite aggregate of a window holding an infinity, cannot pass (nonfinite.rs).
    let counted = plural(n as u64, "sample", "samples");
    let o = judge(&aggregate.to_string(), v, max, min, &counted);
    super::nonfinite::never_pass(o, &found)
}

/// Pass when `min <= v <= max`; the margin is the headroom in units of the bound.
pub(crate) fn judge(what: &str, v: f64, max: Option<f64>, min: Option<f64>, note: &str) -> Outcome {
    let over = max.filter(|m| v > *m);
    let under = min.filter(|m| v < *m);
    let (status, message) = match (over, under) {
        (Some(m), _) => (
            GateStatus::Fail,
            format!(
                "{what} is {}, above the maximum {} ({note})",
                fmt_num(v),
                fmt_num(m)
            ),
        ),
        (_, Some(m)) => (
            GateStatus::Fail,
            format!(
                "{what} is {}, below the minimum {} ({note})",
                fmt_num(v),
                fmt_num(m)
            ),
        ),
        _ => {
            let mut parts = Vec::new();
            if let Some(m) = max {
                parts.push(format!("<= {}", fmt_num(m)));
            }
            if let Some(m) = min {
                parts.push(format!(">= {}", fmt_num(m)));
            }
            (
                GateStatus::Pass,
                format!(
                    "{what} is {}, within {} ({note})",
                    fmt_num(v),
                    parts.join(" and ")
                ),
            )
        }
    };
    let mut o = Outcome::new(status, Some(v), message);
    if status == GateStatus::Pass {
        o.margin = headroom(v, max, min).unwrap_or(f64::INFINITY);
    } else {
        // Among failures, the one furthest past its bound is the worst; every failure
        // stays below every pass.
        o.margin = headroom(v, max, min).map_or(f64::NEG_INFINITY, |h| h - 1e12);
    }
    o
}

/// How far `v` is from its nearest bound, as a fraction of that bound (negative past it).
pub fn headroom(v: f64, max: Option<f64>, min: Option<f64>) -> Option<f64> {
    let rel = |d: f64, b: f64| d / if b == 0.0 { 1.0 } else { b.abs() };
    let a = max.map(|m| rel(m - v, m));
    let b = min.map(|m| rel(v - m, m));
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!(
            judge("max", 5.0, Some(5.0), None, "").status,
            GateStatus::Pass
        );
        assert_eq!(
            judge("max", 5.0, None, Some(5.0), "").status,
            GateStatus::Pass
        );
        assert_eq!(
            judge("max", 5.1, Some(5.0), None, "").status,
            GateStatus::Fail
        );
        assert_eq!(
            judge("max", 4.9, None, Some(5.0), "").status,
            GateStatus::Fail
        );
    }

    #[test]
    fn worse_failures_have_smaller_margins() {
        let a = judge("p95", 300.0, Some(250.0), None, "");
        let b = judge("p95", 260.0, Some(250.0), None, "");
        assert!(a.margin < b.margin);
        let pass_near = judge("p95", 249.0, Some(250.0), None, "");
        let pass_far = judge("p95", 100.0, Some(250.0), None, "");
        assert!(b.margin < pass_near.margin && pass_near.margin < pass_far.margin);
        assert_eq!(headroom(200.0, Some(250.0), None), Some(0.2));
    }
}
