//! Compare gates: candidate (canary) vs baseline (control) series of one metric, with a
//! relative or absolute tolerance and, optionally, a one-sided Mann-Whitney U test that must
//! also be significant for a failure.

use std::collections::BTreeMap;

use super::prepare::{self, View};
use super::{EvalContext, Outcome, apply};
use crate::decision::{GateResult, GateStatus, SeriesResult};
use crate::format::plural;
use crate::format::{fmt_num, fmt_p};
use crate::plan::GatePlan;
use crate::policy::model::{Compare, Tolerance};
use crate::snapshot::Snapshot;
use crate::stats::mann_whitney::{self, Alternative};

/// One side, pooled over every series its labels select.
struct Side {
    labels: BTreeMap<String, String>,
    times: Vec<f64>,
    values: Vec<f64>,
    nan: u64,
    newest: Option<f64>,
    problem: Option<Outcome>,
}

pub(crate) fn evaluate(
    spec: &crate::policy::model::Metric,
    gp: &GatePlan<'_>,
    g: &Compare,
    snapshot: &Snapshot,
    cx: &EvalContext,
    result: &mut GateResult,
) {
    let Compare {
        metric,
        candidate,
        baseline,
        aggregate,
        ..
    } = g;
    let views = match prepare::series_of(spec, gp, snapshot, cx) {
        Ok(v) => v,
        Err(o) => return apply(result, o),
    };
    // An expected series that is missing: the sides cannot be judged whole.
    if let Some(Err(o)) = views.iter().find(|v| v.missing).map(|v| &v.ready) {
        return apply(result, o.clone());
    }
    let cand = side(metric, &views, candidate);
    let base = match g.offset {
        None => side(metric, &views, baseline),
        // The same window, `offset` earlier: every instant a window is cut from moves back.
        Some(off) => {
            let off = off.seconds as f64;
            let mut earlier = cx.clone();
            earlier.now -= off;
            earlier.entered_at = cx.entered_at.map(|e| e - off);
            earlier.rollout_started_at = cx.rollout_started_at.map(|e| e - off);
            match prepare::series_of(spec, gp, snapshot, &earlier) {
                Ok(v) => side(metric, &v, baseline),
                Err(o) => {
                    return apply(
                        result,
                        Outcome {
                            message: format!(
                                "baseline {off_text} earlier: {}",
                                o.message,
                                off_text = g.offset.map(|d| d.to_string()).unwrap_or_default()
                            ),
                            ..o
                        },
                    );
                }
            }
        }
    };
    let need = gp.rules.min_samples;
    let outcome = [("candidate", &cand), ("baseline", &base)]
        .into_iter()
        .find_map(|(name, s)| missing(name, s, need))
        .unwrap_or_else(|| compared(g, &cand, &base, result));
    let aggr = |s: &Side| crate::stats::aggregate::apply(*aggregate, &s.times, &s.values);
    result.samples = cand.values.len() as u64;
    for (s, value) in [(&cand, outcome.value), (&base, aggr(&base))] {
        result.series.push(SeriesResult {
            labels: s.labels.clone(),
            status: outcome.status,
            value,
            samples: s.values.len() as u64,
            nan_samples: s.nan,
            newest_at: s.newest.map(crate::format::format_time),
            message: outcome.message.clone(),
            points: prepare::thin(&s.times, &s.values),
        });
    }
    apply(result, outcome);
    if let Some(off) = g.offset {
        result.message.push_str(&format!(
            "; baseline: the same window {off} earlier, up to {}",
            crate::format::format_time(cx.now - off.seconds as f64)
        ));
    }
}

/// Pools every series matching `labels` into one side. A matching series that is stale or
/// has no samples in the window is the side's problem (it makes the gate inconclusive).
fn side(metric: &str, views: &[View<'_>], labels: &indexmap::IndexMap<String, String>) -> Side {
    let chosen: Vec<&View<'_>> = views
        .iter()
        .filter(|v| labels.iter().all(|(k, val)| v.labels.get(k) == Some(val)))
        .collect();
    let mut s = Side {
        labels: labels.clone().into_iter().collect(),
        times: Vec::new(),
        values: Vec::new(),
        nan: 0,
        newest: None,
        problem: None,
    };
    if chosen.is_empty() {
        s.problem = Some(Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!(
                "no series of metric `{metric}` matches {}",
                crate::format::label_text(&s.labels)
            ),
        ));
        return s;
    }
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    for v in chosen {
        // `max_age` holds for each matching series, and one with nothing in the window is
        // missing data; `min_samples` is checked on the pooled side (`missing`).
        if let Err(o) = &v.ready
            && (v.stale || v.values.is_empty())
        {
            s.problem.get_or_insert_with(|| {
                Outcome::new(
                    o.status,
                    None,
                    format!(
                        "series {} {}",
                        crate::format::label_text(&v.labels),
                        o.message
                    ),
                )
            });
        }
        s.nan += v.nan;
        s.newest = match (s.newest, v.newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        pairs.extend(v.times.iter().copied().zip(v.values.iter().copied()));
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    (s.times, s.values) = pairs.into_iter().unzip();
    s
}

/// Why side `name` cannot be compared (a problem of one of its series, or fewer pooled
/// samples than `min_samples`), if it cannot.
fn missing(name: &str, s: &Side, need: u64) -> Option<Outcome> {
    if let Some(p) = &s.problem {
        return Some(Outcome::new(
            p.status,
            None,
            format!("{name}: {}", p.message),
        ));
    }
    ((s.values.len() as u64) < need.max(1)).then(|| {
        Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!(
                "{name} has {}; at least {need} needed on each side",
                plural(s.values.len() as u64, "sample", "samples")
            ),
        )
    })
}

/// Both sides have data: their aggregates against the tolerance. Non-finite aggregates or
/// limits are inconclusive, and infinite samples on either side keep the gate from passing.
fn compared(g: &Compare, cand: &Side, base: &Side, result: &mut GateResult) -> Outcome {
    let Compare {
        aggregate,
        max_increase,
        max_decrease,
        test,
        alpha,
        ..
    } = g;
    let aggr = |s: &Side| crate::stats::aggregate::apply(*aggregate, &s.times, &s.values);
    let (Some(c), Some(b)) = (aggr(cand), aggr(base)) else {
        return Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!("{aggregate} cannot be computed for both sides"),
        );
    };
    let hi = max_increase.map(|t| limit(b, t, 1.0));
    let lo = max_decrease.map(|t| limit(b, t, -1.0));
    let unusable = if !c.is_finite() || !b.is_finite() {
        Some("a side that is not finite cannot be compared")
    } else if hi.into_iter().chain(lo).any(|x| !x.is_finite()) {
        Some("the tolerance gives no finite limit")
    } else {
        None
    };
    let o = match unusable {
        Some(why) => Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!(
                "candidate {aggregate} {} vs baseline {}: {why}",
                fmt_num(c),
                fmt_num(b)
            ),
        ),
        None => {
            result.bound.max = hi;
            result.bound.min = lo;
            judge(
                cand,
                base,
                c,
                b,
                hi,
                lo,
                *test,
                *alpha,
                &aggregate.to_string(),
                max_increase.or(*max_decrease),
            )
        }
    };
    let mut found = crate::data_rules::infinite::infinities(&cand.times, &cand.values);
    found.extend(crate::data_rules::infinite::infinities(
        &base.times,
        &base.values,
    ));
    super::nonfinite::never_pass(o, &found)
}

/// The bound a tolerance gives around the baseline, upwards (dir 1) or downwards (dir -1).
fn limit(base: f64, t: Tolerance, dir: f64) -> f64 {
    match t {
        Tolerance::Absolute(a) => base + dir * a,
        Tolerance::Relative(r) => base + dir * base.abs() * r,
    }
}

/// How the candidate differs from the baseline: absolute for an absolute tolerance, else in %
/// of |baseline| with the sign of the change (-9 against -10 is +10.0%); nothing against 0.
fn change_text(c: f64, b: f64, tolerance: Option<Tolerance>) -> String {
    if matches!(tolerance, Some(Tolerance::Absolute(_))) {
        format!(" ({}{})", if c >= b { "+" } else { "" }, fmt_num(c - b))
    } else if b == 0.0 {
        String::new()
    } else {
        format!(" ({:+.1}%)", (c - b) / b.abs() * 100.0)
    }
}

/// A tolerance exceeded (`exceeded` says how) fails only when the Mann-Whitney test finds the
/// shift significant; a test that cannot be computed is inconclusive.
fn significance(
    cand: &Side,
    base: &Side,
    alt: Alternative,
    alpha: f64,
    c: f64,
    head: &str,
    exceeded: &str,
) -> Outcome {
    match mann_whitney::test(&cand.values, &base.values, alt) {
        Some(mw) if mw.p < alpha => Outcome::new(
            GateStatus::Fail,
            Some(c),
            format!(
                "{head}: {exceeded} and significant (Mann-Whitney U = {}, p = {} < {})",
                fmt_num(mw.u),
                fmt_p(mw.p),
                fmt_num(alpha)
            ),
        ),
        Some(mw) => {
            let mut o = Outcome::new(
                GateStatus::Pass,
                Some(c),
                format!(
                    "{head}: {exceeded} but not significant (Mann-Whitney p = {} >= {})",
                    fmt_p(mw.p),
                    fmt_num(alpha)
                ),
            );
            o.margin = 0.0;
            o
        }
        None => Outcome::new(
            GateStatus::Inconclusive,
            Some(c),
            format!("{head}: the Mann-Whitney test could not be computed"),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    cand: &Side,
    base: &Side,
    c: f64,
    b: f64,
    hi: Option<f64>,
    lo: Option<f64>,
    test: Option<crate::policy::model::CompareTest>,
    alpha: f64,
    what: &str,
    tolerance: Option<Tolerance>,
) -> Outcome {
    let change = change_text(c, b, tolerance);
    let head = format!(
        "candidate {what} {} vs baseline {}{change}",
        fmt_num(c),
        fmt_num(b)
    );
    let exceeded = if hi.is_some_and(|h| c > h) {
        Some((Alternative::Greater, hi.unwrap_or_default(), "above"))
    } else if lo.is_some_and(|l| c < l) {
        Some((Alternative::Less, lo.unwrap_or_default(), "below"))
    } else {
        None
    };
    let Some((alt, bound, word)) = exceeded else {
        let mut o = Outcome::new(
            GateStatus::Pass,
            Some(c),
            format!("{head}: within tolerance"),
        );
        o.margin = super::threshold::headroom(c, hi, lo).unwrap_or(f64::INFINITY);
        return o;
    };
    if test.is_some() {
        let exceeded = format!("{word} the limit {}", fmt_num(bound));
        significance(cand, base, alt, alpha, c, &head, &exceeded)
    } else {
        Outcome::new(
            GateStatus::Fail,
            Some(c),
            format!("{head}: {word} the limit {}", fmt_num(bound)),
        )
    }
}
