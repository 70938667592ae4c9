//! Trend gates: the Mann-Kendall test (two-sided p, tie-corrected, as pymannkendall's
//! original_test) and the Theil-Sen slope per hour, in the forbidden direction.

use super::Outcome;
use super::prepare::View;
use crate::decision::{Bound, GateStatus};
use crate::format::fmt_num;
use crate::format::{fmt_p, plural};
use crate::policy::model::{Direction, Trend};

/// Fewer samples than this: the trend is `inconclusive`.
pub const MIN_TREND_SAMPLES: usize = 4;

pub(crate) fn evaluate(g: &Trend, view: &View<'_>, bound: &mut Bound) -> Outcome {
    // Ranks order infinities, so a trend can still be significant and fail; it cannot pass
    // over a window holding an infinity (nonfinite.rs).
    let found = crate::data_rules::infinite::infinities(&view.times, &view.values);
    super::nonfinite::never_pass(judge(g, view, bound), &found)
}

fn judge(g: &Trend, view: &View<'_>, bound: &mut Bound) -> Outcome {
    let Trend {
        forbid,
        alpha,
        max_slope,
        ..
    } = g;
    let n = view.values.len();
    match forbid {
        Direction::Increasing => bound.max = *max_slope,
        Direction::Decreasing => bound.min = max_slope.map(|m| -m),
    }
    if n < MIN_TREND_SAMPLES {
        return Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!("a trend needs at least {MIN_TREND_SAMPLES} samples; the window has {n}"),
        );
    }
    let (Some(mk), Some(slope)) = (
        crate::stats::mann_kendall::original_test(&view.values),
        crate::stats::theil_sen::slope(&view.times, &view.values),
    ) else {
        return Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!(
                "no trend can be computed from these {}",
                plural(n as u64, "sample", "samples")
            ),
        );
    };
    let per_hour = slope * 3600.0;
    let (word, other, sign) = match forbid {
        Direction::Increasing => ("increasing", "decreasing", 1.0),
        Direction::Decreasing => ("decreasing", "increasing", -1.0),
    };
    let significant = mk.p < *alpha && mk.z * sign > 0.0;
    let steep = max_slope.is_some_and(|m| per_hour * sign > m);
    let stats = format!(
        "Mann-Kendall p = {} (alpha {}), Theil-Sen slope {}{}/h over {}",
        fmt_p(mk.p),
        fmt_num(*alpha),
        if per_hour > 0.0 { "+" } else { "" },
        fmt_num(per_hour),
        plural(n as u64, "sample", "samples")
    );
    let mut reasons = Vec::new();
    if significant {
        reasons.push(format!("a significant {word} trend"));
    }
    if steep {
        reasons.push(format!(
            "the slope exceeds the {word} limit of {}/h",
            fmt_num(max_slope.unwrap_or_default())
        ));
    }
    if reasons.is_empty() {
        let mut o = Outcome::new(
            GateStatus::Pass,
            Some(per_hour),
            // A significant trend the other way is said as found: "no significant increasing
            // trend: p = 1.6e-43" read as a contradiction.
            if mk.p < *alpha && mk.z * sign < 0.0 {
                format!("the trend is {other} (significant); {word} is forbidden: {stats}")
            } else {
                format!("no significant {word} trend: {stats}")
            },
        );
        o.margin = mk.p - alpha;
        o
    } else {
        Outcome::new(
            GateStatus::Fail,
            Some(per_hour),
            format!("{}: {stats}", reasons.join(" and ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::decision::GateStatus;
    use crate::eval::{EvalContext, evaluate};

    const POLICY: &str = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  rising:\n    metric: m\n    window: 1h\n    min_samples: 10\n    trend: { forbid: increasing }\nstages:\n  - id: s\n    gates: [rising]\n";

    /// The message of the `rising` gate over 30 samples a minute apart made by `f`.
    fn message(f: impl Fn(f64) -> f64) -> (GateStatus, String) {
        let now = 1_800_000_000.0;
        let samples: Vec<String> = (0..30)
            .map(|i| format!("[{}, {}]", now - 60.0 * (29 - i) as f64, f(i as f64)))
            .collect();
        let json = format!(
            r#"{{"version": 1, "series": {{"m": {{"samples": [{}]}}}}}}"#,
            samples.join(",")
        );
        let snap = crate::snapshot::from_json(json.as_bytes()).unwrap();
        let policy = crate::load::load_policy(POLICY).unwrap().policy;
        let cx = EvalContext::for_test(now);
        let d = evaluate(&policy, &snap, &cx).unwrap();
        (d.gates[0].status, d.gates[0].message.clone())
    }

    /// A significant trend the other way passes and says it was found, with a readable p
    /// (it used to read "no significant increasing trend: p = 0.000000000000...").
    #[test]
    fn a_significant_trend_the_other_way_is_named() {
        let (status, m) = message(|i| 100.0 - i);
        assert_eq!(status, GateStatus::Pass);
        assert!(
            m.starts_with("the trend is decreasing (significant); increasing is forbidden: "),
            "{m}"
        );
        // Reference: S = -435, var(S) = 30*29*65/18, z = 434/sqrt(var), p = 2*norm.sf(z)
        // = 9.709e-15 (scipy); two significant digits below 0.001.
        assert!(m.contains("Mann-Kendall p = 9.7e-15 (alpha 0.05)"), "{m}");
        assert!(m.ends_with("over 30 samples"), "{m}");
    }

    /// No significant trend either way keeps its wording.
    #[test]
    fn no_significant_trend_says_so() {
        let (status, m) = message(|i| {
            if (i as u64).is_multiple_of(2) {
                1.0
            } else {
                2.0
            }
        });
        assert_eq!(status, GateStatus::Pass);
        assert!(m.starts_with("no significant increasing trend: "), "{m}");
    }
}
