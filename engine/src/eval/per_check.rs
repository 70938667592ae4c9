//! Per-check gates: every sample must meet `each`; fail on N violations in a row
//! (`consecutive`) or more than K in the window (`max_failures`).

use super::Outcome;
use super::prepare::View;
use crate::decision::{Bound, GateStatus};
use crate::format::fmt_num;
use crate::format::plural;
use crate::plan::GatePlan;
use crate::policy::model::PerCheck;

pub(crate) fn evaluate(
    g: &PerCheck,
    gp: &GatePlan<'_>,
    view: &View<'_>,
    bound: &mut Bound,
) -> Outcome {
    // An infinite check that violates `each` counts as a violation; one that does not keeps
    // the series from passing (nonfinite.rs).
    let found = crate::data_rules::infinite::infinities(&view.times, &view.values);
    super::nonfinite::never_pass(judge(g, gp, view, bound), &found)
}

/// Every setting this judge reads is per environment, so it comes resolved in the plan
/// (`_g` keeps the kind's struct in the signature: only a per-check gate is judged here).
fn judge(_g: &PerCheck, gp: &GatePlan<'_>, view: &View<'_>, bound: &mut Bound) -> Outcome {
    let (max, min) = (gp.max, gp.min);
    bound.max = max;
    bound.min = min;
    let (consecutive, max_failures) = (gp.consecutive, gp.max_failures);

    let violates = |x: f64| max.is_some_and(|m| x > m) || min.is_some_and(|m| x < m);
    let failures = view.values.iter().filter(|x| violates(**x)).count() as u64;
    let streak = view
        .values
        .iter()
        .rev()
        .take_while(|x| violates(**x))
        .count() as u64;
    let n = view.values.len();
    let last = view.values.last().copied().unwrap_or(f64::NAN);

    let mut reasons = Vec::new();
    let mut margin = f64::INFINITY;
    if let Some(c) = consecutive {
        if streak >= c {
            reasons.push(streak_reason(streak, c));
        }
        margin = margin.min((c as f64 - streak as f64) / c as f64);
    }
    if let Some(k) = max_failures {
        if failures > k {
            reasons.push(format!(
                "{} violate{}, more than the {k} allowed",
                plural(failures, "check", "checks"),
                if failures == 1 { "s" } else { "" }
            ));
        }
        margin = margin.min((k as f64 + 1.0 - failures as f64) / (k as f64 + 1.0));
    }
    let bounds_text = {
        let mut p = Vec::new();
        if let Some(m) = max {
            p.push(format!("<= {}", fmt_num(m)));
        }
        if let Some(m) = min {
            p.push(format!(">= {}", fmt_num(m)));
        }
        p.join(" and ")
    };
    // The value is the latest check, comparable to the per-check bound; the counts are in
    // the message.
    let value = last;
    if reasons.is_empty() {
        let mut o = Outcome::new(
            GateStatus::Pass,
            Some(value),
            format!(
                "{failures} of {} outside {bounds_text}; {streak} in a row at the end; last value {}",
                plural(n as u64, "check", "checks"),
                fmt_num(last)
            ),
        );
        o.margin = margin;
        o
    } else {
        let mut o = Outcome::new(
            GateStatus::Fail,
            Some(value),
            format!(
                "{}: each check must be {bounds_text}; last value {} ({failures} of {} violate)",
                reasons.join("; "),
                fmt_num(last),
                plural(n as u64, "check", "checks")
            ),
        );
        o.margin = margin - 1e12;
        o
    }
}

/// `the last 1 check in a row violates`, `the last 3 checks in a row violate`: the streak
/// that fails the gate, its noun and verb in agreement with the count.
fn streak_reason(streak: u64, limit: u64) -> String {
    let verb = if streak == 1 { "violates" } else { "violate" };
    format!(
        "the last {} in a row {verb} (limit: {limit} in a row)",
        plural(streak, "check", "checks")
    )
}

#[cfg(test)]
mod tests {
    use super::streak_reason;

    #[test]
    fn a_streak_of_one_check_reads_in_the_singular() {
        assert_eq!(
            streak_reason(1, 1),
            "the last 1 check in a row violates (limit: 1 in a row)"
        );
        assert_eq!(
            streak_reason(3, 2),
            "the last 3 checks in a row violate (limit: 2 in a row)"
        );
    }
}
