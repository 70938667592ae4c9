//! Trend gates: the Mann-Kendall test (two-sided p, tie-corrected, as pymannkendall's
//! original_test) and the Theil-Sen slope per hour, in the forbidden direction.

use super::prepare::View;
use super::{Outcome, fmt_num};
use crate::decision::{Bound, GateStatus};
use crate::policy::model::{Direction, Trend};

/// Fewer samples than this: the trend is `inconclusive`.
pub const MIN_TREND_SAMPLES: usize = 4;

pub(crate) fn evaluate(g: &Trend, view: &View<'_>, bound: &mut Bound) -> Outcome {
    // Ranks order infinities, so a trend can still be significant and fail; it cannot pass
    // over a window holding an infinity (nonfinite.rs).
    let found = super::nonfinite::infinities(&view.times, &view.values);
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
            format!("no trend can be computed from these {n} samples"),
        );
    };
    let per_hour = slope * 3600.0;
    let (word, sign) = match forbid {
        Direction::Increasing => ("increasing", 1.0),
        Direction::Decreasing => ("decreasing", -1.0),
    };
    let significant = mk.p < *alpha && mk.z * sign > 0.0;
    let steep = max_slope.is_some_and(|m| per_hour * sign > m);
    let stats = format!(
        "Mann-Kendall p = {} (alpha {}), Theil-Sen slope {}{}/h over {n} samples",
        fmt_num(mk.p),
        fmt_num(*alpha),
        if per_hour > 0.0 { "+" } else { "" },
        fmt_num(per_hour)
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
            format!("no significant {word} trend: {stats}"),
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
