//! Burn-rate gates: how fast an SLO's error budget burns, over pairs of windows (the SRE
//! workbook's multi-window, multi-burn-rate alerts). Over a window, the error ratio is
//! increase(bad) / increase(total) summed over the selected series, counter resets added
//! back as `increase` does; the burn rate is that ratio over the budget (1 - objective). A
//! pair fails when the rates over its long and its short window both exceed its factor. A
//! window without traffic, or without two samples, leaves its pair unknown: never a pass.

use super::prepare::{View, series_of};
use super::{EvalContext, Outcome, apply};
use crate::decision::{Bound, BurnPair, GateResult, GateStatus};
use crate::format::fmt_num;
use crate::plan::GatePlan;
use crate::policy::model::{BadEvents, BurnRate, BurnWindows, Policy};
use crate::snapshot::Snapshot;

pub(crate) fn evaluate(
    policy: &Policy,
    b: &BurnRate,
    gp: &GatePlan<'_>,
    snapshot: &Snapshot,
    cx: &EvalContext,
    result: &mut GateResult,
) {
    let (events, good) = match &b.bad {
        BadEvents::Bad(m) => (m, false),
        BadEvents::Good(m) => (m, true),
    };
    let read = |metric: &str| -> Result<Vec<View<'_>>, Outcome> {
        let views = series_of(&policy.metrics[metric], gp, snapshot, cx)?;
        if let Some(Err(o)) = views.iter().map(|v| v.ready.clone()).find(Result::is_err) {
            return Err(Outcome {
                message: format!("counter `{metric}`: {}", o.message),
                ..o
            });
        }
        if views
            .iter()
            .any(|v| v.values.iter().any(|x| !x.is_finite()))
        {
            return Err(Outcome::new(
                GateStatus::Inconclusive,
                None,
                format!(
                    "counter `{metric}` has an infinite sample in the window: no rate can be read from it"
                ),
            ));
        }
        Ok(views)
    };
    let (events_views, total_views) = match (read(events), read(&b.total)) {
        (Ok(e), Ok(t)) => (e, t),
        (Err(o), _) | (_, Err(o)) => return apply(result, o),
    };
    result.samples = events_views
        .iter()
        .chain(&total_views)
        .map(|v| v.values.len() as u64)
        .sum();
    let budget = 1.0 - b.objective;
    result.pairs = b
        .pairs
        .iter()
        .map(|p| {
            let rate = |w: f64| {
                burn(
                    increase(&events_views, cx.now - w),
                    increase(&total_views, cx.now - w),
                    good,
                    budget,
                )
            };
            judge_pair(p, rate(p.long.seconds as f64), rate(p.short.seconds as f64))
        })
        .collect();
    let outcome = summarize(&result.pairs, b);
    if let Some(worst) = worst_pair(&result.pairs) {
        result.bound = Bound {
            max: Some(worst.factor),
            min: None,
        };
    }
    apply(result, outcome);
}

/// Increase of every series over the window starting at `from` (from the last sample at or
/// before `from` when the view holds one, else the window's first), summed; None when a
/// series has fewer than two samples to take it from.
fn increase(views: &[View<'_>], from: f64) -> Option<f64> {
    let mut sum = 0.0;
    for v in views {
        let start = v.times.partition_point(|t| *t <= from).saturating_sub(1);
        let values = &v.values[start..];
        if values.len() < 2 {
            return None;
        }
        sum += crate::stats::aggregate::increase(values);
    }
    Some(sum)
}

/// The burn rate from the increases of the events and the total; None without traffic.
fn burn(events: Option<f64>, total: Option<f64>, good: bool, budget: f64) -> Option<f64> {
    let (events, total) = (events?, total?);
    if total <= 0.0 {
        return None;
    }
    let bad = if good {
        (total - events).max(0.0)
    } else {
        events
    };
    Some(bad / total / budget)
}

fn judge_pair(p: &BurnWindows, long: Option<f64>, short: Option<f64>) -> BurnPair {
    let status = match (long, short) {
        (Some(l), Some(s)) if l > p.factor && s > p.factor => GateStatus::Fail,
        (Some(_), Some(_)) => GateStatus::Pass,
        _ => GateStatus::Inconclusive,
    };
    BurnPair {
        long: p.long.to_string(),
        short: p.short.to_string(),
        factor: p.factor,
        long_rate: long,
        short_rate: short,
        status,
    }
}

/// The pair that decides: the first failing one, else the first unknown one, else the one
/// closest to its factor.
fn worst_pair(pairs: &[BurnPair]) -> Option<&BurnPair> {
    let effective = |p: &BurnPair| match (p.long_rate, p.short_rate) {
        (Some(l), Some(s)) => l.min(s) / p.factor,
        _ => f64::NEG_INFINITY,
    };
    pairs
        .iter()
        .find(|p| p.status == GateStatus::Fail)
        .or_else(|| pairs.iter().find(|p| p.status == GateStatus::Inconclusive))
        .or_else(|| {
            pairs
                .iter()
                .max_by(|a, b| effective(a).total_cmp(&effective(b)))
        })
}

fn pair_text(p: &BurnPair) -> String {
    let r = |x: Option<f64>| x.map_or("unknown (no traffic or under two samples)".into(), fmt_num);
    format!(
        "burn rate {} over {} and {} over {} against {}",
        r(p.long_rate),
        p.long,
        r(p.short_rate),
        p.short,
        fmt_num(p.factor)
    )
}

fn summarize(pairs: &[BurnPair], b: &BurnRate) -> Outcome {
    let preset = b
        .preset
        .map(|p| format!(" ({})", p.as_str()))
        .unwrap_or_default();
    let worst = worst_pair(pairs).expect("a burn-rate gate has at least one pair");
    // The deciding value: the smaller of the pair's two rates, which must exceed the factor.
    let value = match (worst.long_rate, worst.short_rate) {
        (Some(l), Some(s)) => Some(l.min(s)),
        _ => None,
    };
    let objective = fmt_num(b.objective * 100.0);
    match worst.status {
        GateStatus::Fail => Outcome::new(
            GateStatus::Fail,
            value,
            format!(
                "{}: both exceed it, the {objective}% objective's budget burns too fast{preset}",
                pair_text(worst)
            ),
        ),
        GateStatus::Inconclusive => Outcome::new(
            GateStatus::Inconclusive,
            value,
            format!("{}{preset}", pair_text(worst)),
        ),
        _ => Outcome::new(
            GateStatus::Pass,
            value,
            format!(
                "no pair exceeds its factor{preset}; closest: {}",
                pair_text(worst)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::decision::GateStatus;
    use crate::eval::{EvalContext, evaluate};

    /// `good` counters: bad = total - good. 1,000 requests and 990 good ones a minute is a
    /// 1% error ratio: a burn rate of 10 at 99.9%, above 6 but below 14.4.
    #[test]
    fn good_counters_count_the_rest_as_bad() {
        let text = "version: 1\npolicy: p\nmetrics:\n  ok: {}\n  all: {}\ngates:\n  b:\n    burn_rate: { good: ok, total: all, objective: 99.9%, windows: page }\n    max_age: none\nstages:\n  - id: s\n    gates: [b]\n";
        let policy = crate::load::load_policy(text).unwrap().policy;
        let mut json = String::from(r#"{"version": 1, "series": {"#);
        for (k, (name, per)) in [("ok", 990.0), ("all", 1000.0)].iter().enumerate() {
            let samples: Vec<String> = (0..=400)
                .map(|i| format!("[{}, {}]", i * 60, per * f64::from(i)))
                .collect();
            let sep = if k == 0 { "" } else { "," };
            json.push_str(&format!(
                r#"{sep}"{name}": [{{"labels": {{}}, "samples": [{}]}}]"#,
                samples.join(",")
            ));
        }
        json.push_str("}}");
        let snap = crate::snapshot::from_json(json.as_bytes()).unwrap();
        let d = evaluate(&policy, &snap, &EvalContext::for_test(24_000.0)).unwrap();
        let g = &d.gates[0];
        assert_eq!(g.status, GateStatus::Fail, "{}", g.message);
        let rates: Vec<(GateStatus, f64)> = g
            .pairs
            .iter()
            .map(|p| (p.status, p.long_rate.unwrap()))
            .collect();
        assert_eq!(rates.len(), 2);
        assert_eq!(rates[0].0, GateStatus::Pass, "10 is below 14.4");
        assert_eq!(rates[1].0, GateStatus::Fail, "10 is above 6 on 6h and 30m");
        assert!((rates[0].1 - 10.0).abs() < 1e-9, "{rates:?}");
    }

    #[test]
    fn no_traffic_or_one_sample_is_unknown() {
        assert_eq!(super::burn(Some(5.0), Some(0.0), false, 0.001), None);
        assert_eq!(super::burn(None, Some(10.0), false, 0.001), None);
        // More good events than events (scrape skew) is no error, not a negative ratio.
        assert_eq!(super::burn(Some(12.0), Some(10.0), true, 0.001), Some(0.0));
    }
}
