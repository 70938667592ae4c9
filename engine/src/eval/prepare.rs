//! The common first steps of every metric gate: find the metric's series, apply `select`
//! (or read an absent series as 0 where the metric says `absent: zero`), cut the window, drop
//! (and count) NaN samples, and fail closed on missing, all-NaN, stale or too few data.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{EvalContext, Outcome};
use crate::decision::GateStatus;

use crate::data_rules::expected::missing;
use crate::format::plural;
use crate::plan::GatePlan;
use crate::policy::model::Absent;
use crate::policy::model::{Gate, Metric};
use crate::script::run::DataRules;
use crate::snapshot::{DataAge, Series, Snapshot, newest_data_at};
use crate::window::cut;

/// Most points kept per series for sparklines and charts.
pub const MAX_POINTS: usize = 64;

/// One selected series, cut to the window and ready to evaluate (or why not).
#[derive(Debug)]
pub(crate) struct View<'a> {
    pub labels: Cow<'a, BTreeMap<String, String>>,
    /// Times and values in the window, NaN samples removed.
    pub times: Cow<'a, [f64]>,
    pub values: Cow<'a, [f64]>,
    pub nan: u64,
    /// Newest non-NaN sample at or before now (whole series, not just the window).
    pub newest: Option<f64>,
    /// Ok when the view has enough fresh data; else the inconclusive outcome.
    pub ready: Result<(), Outcome>,
    /// The series is stale (`max_age`): compare sides need to tell this from a side's
    /// pooled sample count, which they check themselves.
    pub stale: bool,
    /// The series is not in the snapshot: `absent: zero` read it as 0 at now.
    pub absent_zero: bool,
    /// A series `expect_series`/`min_series` wanted and the snapshot lacks (always
    /// inconclusive, `ready` says which).
    pub missing: bool,
}

impl View<'_> {
    /// The window's samples thinned to at most MAX_POINTS, evenly spaced, last kept.
    pub fn points(&self) -> Vec<[f64; 2]> {
        thin(&self.times, &self.values)
    }
}

/// Evenly spaced points of a series (always including the last). Infinite samples are left
/// out: a chart cannot draw them, JSON has no number for them (they would be `null`, which
/// the decision schema and `replay` refuse), and the gate's message names them.
pub(crate) fn thin(times: &[f64], values: &[f64]) -> Vec<[f64; 2]> {
    if values.iter().any(|v| v.is_infinite()) {
        let (t, v): (Vec<f64>, Vec<f64>) = times
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_finite())
            .map(|(t, v)| (*t, *v))
            .unzip();
        return thin(&t, &v);
    }
    let n = values.len();
    if n <= MAX_POINTS {
        return times.iter().zip(values).map(|(t, v)| [*t, *v]).collect();
    }
    (0..MAX_POINTS)
        .map(|k| {
            let i = (k * (n - 1)) / (MAX_POINTS - 1);
            [times[i], values[i]]
        })
        .collect()
}

/// The gate's series of `metric`, each prepared; Err when there is none to read.
pub(crate) fn series_of<'a>(
    spec: &Metric,
    gp: &GatePlan<'_>,
    snapshot: &'a Snapshot,
    cx: &EvalContext,
) -> Result<Vec<View<'a>>, Outcome> {
    let gate = gp.gate;
    let metric = spec.name.as_str();
    if let Some(err) = snapshot.evidence.get(metric).and_then(|e| e.error.as_ref()) {
        return Err(Outcome::new(
            GateStatus::Error,
            None,
            format!("the source of metric `{metric}` failed: {err}"),
        ));
    }
    let Some(all) = snapshot.series.get(metric) else {
        return Err(Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!("no data for metric `{metric}` in the snapshot"),
        ));
    };
    let selected: Vec<&Series> = all.iter().filter(|s| s.matches(&gate.select)).collect();
    let missing = missing_series(spec, gate, &selected);
    if selected.is_empty() && !missing.is_empty() {
        let why: Vec<String> = missing.iter().map(|(_, m)| m.clone()).collect();
        return Err(Outcome::new(GateStatus::Inconclusive, None, why.join("; ")));
    }
    if selected.is_empty() && spec.absent == Absent::Zero {
        return Ok(vec![absent_zero(cx.now)]);
    }
    if selected.is_empty() {
        let sel: BTreeMap<String, String> = gate.select.clone().into_iter().collect();
        return Err(Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!(
                "no series of metric `{metric}` matches {} ({} series in the snapshot)",
                crate::format::label_text(&sel),
                all.len()
            ),
        ));
    }
    let age = snapshot
        .evidence
        .get(metric)
        .map_or(DataAge::PointTimes, |e| e.data_age());
    let mut views: Vec<View<'a>> = selected
        .into_iter()
        .map(|s| view(s, &gp.rules, cx, &age))
        .collect();
    views.extend(missing.into_iter().map(|(labels, why)| View {
        labels: Cow::Owned(labels),
        times: Cow::Owned(Vec::new()),
        values: Cow::Owned(Vec::new()),
        nan: 0,
        newest: None,
        ready: Err(Outcome::new(GateStatus::Inconclusive, None, why)),
        stale: false,
        absent_zero: false,
        missing: true,
    }));
    Ok(views)
}

/// The series the gate expects (its own `expect_series`/`min_series`, else its metric's) that
/// are not among `selected`.
fn missing_series(
    spec: &Metric,
    gate: &Gate,
    selected: &[&Series],
) -> Vec<(BTreeMap<String, String>, String)> {
    match (&gate.expect, &spec.expect) {
        (Some(e), _) => missing(e, true, &gate.select, selected, &spec.name),
        (None, Some(e)) => missing(e, false, &gate.select, selected, &spec.name),
        (None, None) => Vec::new(),
    }
}

/// The series `absent: zero` reads when the source answered and nothing matched: the single
/// value 0 at now, which satisfies `min_samples` (a counter of 5xx that was never incremented
/// is "no 5xx at all", not missing data).
fn absent_zero<'a>(now: f64) -> View<'a> {
    View {
        labels: Cow::Owned(BTreeMap::new()),
        times: Cow::Owned(vec![now]),
        values: Cow::Owned(vec![0.0]),
        nan: 0,
        newest: Some(now),
        ready: Ok(()),
        stale: false,
        absent_zero: true,
        missing: false,
    }
}

/// The window's samples without its NaN samples (`nan` of them), borrowed when there are none.
fn without_nan<'a>(
    times: &'a [f64],
    values: &'a [f64],
    nan: usize,
) -> (Cow<'a, [f64]>, Cow<'a, [f64]>) {
    if nan == 0 {
        return (Cow::Borrowed(times), Cow::Borrowed(values));
    }
    let keep = values.len() - nan;
    let (mut t, mut x) = (Vec::with_capacity(keep), Vec::with_capacity(keep));
    for (ti, xi) in times.iter().zip(values) {
        if !xi.is_nan() {
            t.push(*ti);
            x.push(*xi);
        }
    }
    (Cow::Owned(t), Cow::Owned(x))
}

/// Why the window's data is stale, if it is: older than `max_age` allows, or of an age the
/// source could not tell (points whose times say nothing about the data behind them are
/// never fresh).
fn staleness(
    rules: &DataRules,
    times: &[f64],
    age: &DataAge,
    newest: Option<f64>,
    now: f64,
) -> Option<String> {
    let limit = crate::data_rules::freshness::limit(rules.max_age, times)?;
    if let DataAge::Unknown(why) = age {
        return Some(format!(
            "stale data: the age of the samples behind these points is unknown ({why})"
        ));
    }
    crate::data_rules::freshness::stale(&limit, newest, now).map(|why| format!("stale data: {why}"))
}

/// Prepares one series; `age` is what the source said about the age of its data.
pub(crate) fn view<'a>(
    series: &'a Series,
    rules: &DataRules,
    cx: &EvalContext,
    age: &DataAge,
) -> View<'a> {
    let window = rules.window;
    let newest = newest_data_at(series, cx.now, age);
    let mut v = View {
        labels: Cow::Borrowed(&series.labels),
        times: Cow::Borrowed(&[]),
        values: Cow::Borrowed(&[]),
        nan: 0,
        newest,
        ready: Ok(()),
        stale: false,
        absent_zero: false,
        missing: false,
    };
    let anchors = crate::window::Anchors {
        entered_at: cx.entered_at,
        rollout_started_at: cx.rollout_started_at,
    };
    let part = match cut(series, window, cx.now, anchors) {
        Ok(p) => p,
        Err(e) => {
            v.ready = Err(Outcome::new(GateStatus::Inconclusive, None, e.to_string()));
            return v;
        }
    };
    let nan = part.values.iter().filter(|x| x.is_nan()).count();
    (v.times, v.values) = without_nan(part.times, part.values, nan);
    v.nan = nan as u64;
    if nan > 0 && v.values.is_empty() {
        // Not stale and not "no samples": the source answered, with nothing usable.
        let msg = format!(
            "every sample in the window is NaN ({})",
            plural(nan as u64, "sample", "samples")
        );
        v.ready = Err(Outcome::new(GateStatus::Inconclusive, None, msg));
        return v;
    }
    if let Some(why) = staleness(rules, &v.times, age, newest, cx.now) {
        v.ready = Err(Outcome::new(GateStatus::Inconclusive, None, why));
        v.stale = true;
        return v;
    }
    let need = rules.min_samples;
    let have = v.values.len() as u64;
    if have < need.max(1) {
        let nan_note = if nan > 0 {
            format!(" ({nan} NaN samples skipped)")
        } else {
            String::new()
        };
        let msg = if have == 0 {
            format!("no samples in the window ({window}){nan_note}")
        } else {
            format!(
                "{} in the window ({window}){nan_note}; at least {need} needed",
                plural(have, "sample", "samples")
            )
        };
        v.ready = Err(Outcome::new(GateStatus::Inconclusive, None, msg));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thins_to_the_limit_keeping_ends() {
        let t: Vec<f64> = (0..1000).map(f64::from).collect();
        let p = thin(&t, &t);
        assert_eq!(p.len(), MAX_POINTS);
        assert_eq!(p[0], [0.0, 0.0]);
        assert_eq!(p[MAX_POINTS - 1], [999.0, 999.0]);
        assert_eq!(thin(&t[..3], &t[..3]).len(), 3);
        let inf = f64::INFINITY;
        assert_eq!(
            thin(&[1.0, 2.0, 3.0], &[0.5, -inf, inf]),
            vec![[1.0, 0.5]],
            "no point JSON cannot hold"
        );
    }
}
