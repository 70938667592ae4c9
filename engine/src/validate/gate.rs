//! Validation of one gate: its kind (exactly one), the keys that belong to it, its
//! references and its values.

use std::collections::BTreeSet;

use super::{EnvCheck, Sink};
use crate::decision::Kind;
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::{
    AGGREGATE_NAMES, Aggregate, Bounds, Gate, GateKind, KindKeys, MaxAge, OnFail, PerCheck,
    Threshold, Trend,
};
use crate::policy::per_env::{PerEnv, RawPerEnv};
use crate::policy::raw::{RawBounds, RawGate};
use crate::policy::window::Window;
use crate::yaml::escape_token;

/// Declared names gates may refer to.
pub(crate) struct Names<'a> {
    pub metrics: BTreeSet<&'a str>,
    pub records: BTreeSet<&'a str>,
    /// Every gate of the file, for composites' members.
    pub gates: &'a BTreeSet<String>,
}

pub(crate) fn check(
    id: &str,
    g: &RawGate,
    names: &Names<'_>,
    envs: &EnvCheck<'_>,
    defaults: &super::defaults::Defaults,
    sink: &mut Sink<'_>,
) -> Option<Gate> {
    let ptr = format!("/gates/{}", escape_token(id));
    let errors_before = sink.error_count();
    let keys = kind_of(id, g, &ptr, sink)?;
    foreign_keys(id, g, keys, &ptr, sink);
    let metric = metric(id, g, keys, names, &ptr, sink);
    let series = series_settings(g, keys, envs, defaults, &ptr, sink);
    let expect = super::expect::check(g.expect_series.as_ref(), g.min_series, &ptr, sink);
    if let (Some(e), Some(select)) = (&expect, &g.select) {
        super::expect::against_select(e, select, &ptr, sink);
    }
    let kind = build_kind(id, keys.kind, g, &ptr, metric, names, envs, sink);
    if let (Some(k), Some(s)) = (&kind, &series) {
        super::power::check(&ptr, k, &s.min_samples, sink);
    }
    if sink.error_count() > errors_before {
        return None;
    }
    let SeriesSettings {
        window,
        min_samples,
        max_age,
    } = series?;
    Some(Gate {
        id: id.to_owned(),
        title: g.title.clone().unwrap_or_else(|| id.to_owned()),
        description: g.description.clone(),
        on_fail: g.on_fail.unwrap_or(OnFail::Block),
        window,
        min_samples,
        max_age,
        select: g.select.clone().unwrap_or_default(),
        expect,
        remediation: g.remediation.clone(),
        shadow: None,
        kind: kind?,
        pos: sink.index.key_pos(&ptr),
    })
}

/// The gate's one kind, from the keys that select each ([`KindKeys::ALL`]); none or several
/// is an error.
fn kind_of(id: &str, g: &RawGate, ptr: &str, sink: &mut Sink<'_>) -> Option<&'static KindKeys> {
    let set = g.kind_keys_set();
    let selected = |k: &KindKeys| -> Vec<&'static str> {
        k.selects
            .iter()
            .copied()
            .filter(|s| set.contains(s))
            .collect()
    };
    let kinds: Vec<&'static KindKeys> = KindKeys::ALL
        .iter()
        .filter(|k| !selected(k).is_empty())
        .collect();
    match kinds.as_slice() {
        [k] => return Some(k),
        [] => sink.error_on_key(Code::GateKind,
            ptr,
            format!(
                "gate `{id}` has no kind: give one of `max`/`min` (threshold), `each` (per check), `trend`, `compare`, `records`, `script`, `all_of`, `any_of`, `score` or `burn_rate`"
            ),
        ),
        many => {
            let listed: Vec<String> = many
                .iter()
                .map(|k| format!("{} (`{}`)", k.kind, selected(k).join("`, `")))
                .collect();
            sink.error_on_key(Code::GateKind,
                ptr,
                format!(
                    "gate `{id}` has more than one kind: {}; a gate has exactly one",
                    listed.join(" and ")
                ),
            );
        }
    }
    None
}

/// Reports keys the gate sets that belong to other kinds.
fn foreign_keys(id: &str, g: &RawGate, keys: &KindKeys, ptr: &str, sink: &mut Sink<'_>) {
    let set = g.kind_keys_set();
    for key in KindKeys::OPTIONAL {
        if set.contains(&key) && !keys.accepts(key) {
            sink.error_on_key(
                Code::KeyOfAnotherKind,
                &format!("{ptr}/{key}"),
                format!(
                    "`{key}` does not apply to {} gate `{id}`: it belongs to {}",
                    keys.kind,
                    KindKeys::owners_of(key)
                ),
            );
        }
    }
}

/// The declared metric a metric-reading kind names; None (reported) when missing or unknown,
/// and for kinds that read no single metric.
fn metric(
    id: &str,
    g: &RawGate,
    keys: &KindKeys,
    names: &Names<'_>,
    ptr: &str,
    sink: &mut Sink<'_>,
) -> Option<String> {
    if !keys.accepts("metric") {
        return None;
    }
    match &g.metric {
        Some(m) if names.metrics.contains(m.0.as_str()) => Some(m.0.clone()),
        Some(m) => {
            sink.error_help(
                Code::UnknownMetric,
                &format!("{ptr}/metric"),
                format!("unknown metric `{}`", m.0),
                did_you_mean(&m.0, names.metrics.iter().copied()).or_else(|| {
                    Some(format!(
                        "declare it under `metrics` (declared: {})",
                        list(&names.metrics)
                    ))
                }),
            );
            None
        }
        None => {
            sink.error_on_key(
                Code::KindNeedsKey,
                ptr,
                format!("gate `{id}` is a {} gate and needs `metric`", keys.kind),
            );
            None
        }
    }
}

/// The settings of how series are read: window, samples and staleness.
struct SeriesSettings {
    window: PerEnv<Window>,
    min_samples: PerEnv<u64>,
    max_age: PerEnv<MaxAge>,
}

/// The gate's own window, min_samples and max_age, else `defaults:` (for the kinds that read
/// series; a records gate reads none, so it takes the whole set, one record, no staleness).
fn series_settings(
    g: &RawGate,
    keys: &KindKeys,
    envs: &EnvCheck<'_>,
    defaults: &super::defaults::Defaults,
    ptr: &str,
    sink: &mut Sink<'_>,
) -> Option<SeriesSettings> {
    let window = match &g.window {
        Some(w) => envs.resolve(w, &format!("{ptr}/window"), sink, |t| {
            Window::parse(&t.0).map_err(|e| e.to_string())
        }),
        None if !keys.reads_series => Some(PerEnv::one(Window::All)),
        None => Some(defaults.window.clone()),
    };
    let min_samples = match &g.min_samples {
        Some(m) => envs.resolve(m, &format!("{ptr}/min_samples"), sink, |n| Ok(*n)),
        None if !keys.reads_series => Some(PerEnv::one(1)),
        None => Some(defaults.min_samples.clone()),
    };
    let max_age = match &g.max_age {
        Some(m) => envs.resolve(m, &format!("{ptr}/max_age"), sink, |t| {
            super::defaults::max_age(&t.0)
        }),
        None if !keys.reads_series => Some(PerEnv::one(MaxAge::Unchecked)),
        None => Some(defaults.max_age.clone()),
    };
    Some(SeriesSettings {
        window: window?,
        min_samples: min_samples?,
        max_age: max_age?,
    })
}

/// Builds the kind's settings: one arm per kind.
#[allow(clippy::too_many_arguments)]
fn build_kind(
    id: &str,
    kind: Kind,
    g: &RawGate,
    ptr: &str,
    metric: Option<String>,
    names: &Names<'_>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<GateKind> {
    match kind {
        Kind::Script => super::script::check(id, g, ptr, names, sink).map(GateKind::Script),
        Kind::Records => super::records::check(g, ptr, names, envs, sink).map(GateKind::Records),
        Kind::Compare => super::compare::check(g, ptr, metric, sink).map(GateKind::Compare),
        Kind::Trend => {
            let t = g.trend.as_ref()?;
            Some(GateKind::Trend(Trend {
                metric: metric?,
                forbid: t.forbid,
                alpha: t.alpha.unwrap_or(0.05),
                max_slope: t.max_slope,
            }))
        }
        Kind::PerCheck => per_check(g, ptr, metric, envs, sink).map(GateKind::PerCheck),
        Kind::Threshold => threshold(g, ptr, metric, envs, sink).map(GateKind::Threshold),
        Kind::AllOf => {
            let list = g.all_of.as_deref()?;
            super::composite::members(id, list, &format!("{ptr}/all_of"), names.gates, sink)
                .map(GateKind::AllOf)
        }
        Kind::AnyOf => {
            let list = g.any_of.as_deref()?;
            super::composite::members(id, list, &format!("{ptr}/any_of"), names.gates, sink)
                .map(GateKind::AnyOf)
        }
        Kind::Score => super::composite::score(id, g, &format!("{ptr}/score"), names.gates, sink)
            .map(GateKind::Score),
        Kind::BurnRate => super::burn_rate::check(id, g, ptr, names, sink).map(GateKind::BurnRate),
    }
}

pub(super) fn list(names: &BTreeSet<&str>) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn aggregate(text: &str, ptr: &str, sink: &mut Sink<'_>) -> Option<Aggregate> {
    let parsed = Aggregate::parse(text);
    if parsed.is_some() {
        return parsed;
    }
    let percentile = text
        .strip_prefix(['p', 'P'])
        .and_then(|q| q.parse::<f64>().ok())
        .filter(|q| q.is_finite());
    match percentile {
        Some(q) if !(0.0..=100.0).contains(&q) => sink.error(Code::BadAggregate,
            ptr,
            format!("aggregate `{text}` is not a percentile: percentiles run from `p0` to `p100`"),
        ),
        _ => sink.error_help(Code::BadAggregate,
            ptr,
            format!(
                "unknown aggregate `{text}`: use one of `last first min max avg sum count stddev increase rate` or a percentile like `p95` or `p99.9`"
            ),
            aggregate_guess(text).map(|g| format!("did you mean `{g}`?")),
        ),
    }
    None
}

/// The aggregate a misspelt or synonymous name most likely means.
fn aggregate_guess(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower != text && Aggregate::parse(&lower).is_some() {
        return Some(lower);
    }
    let synonym = match lower.as_str() {
        "mean" | "average" | "avrg" | "average_value" => Some("avg"),
        "median" => Some("p50"),
        "std" | "stdev" | "sd" | "std_dev" => Some("stddev"),
        "latest" | "current" | "newest" => Some("last"),
        "oldest" | "earliest" => Some("first"),
        "total" => Some("sum"),
        "maximum" | "peak" => Some("max"),
        "minimum" => Some("min"),
        _ => None,
    };
    synonym
        .or_else(|| crate::diagnostic::closest(&lower, AGGREGATE_NAMES))
        .map(str::to_owned)
}

fn bounds(
    max: Option<&RawPerEnv<f64>>,
    min: Option<&RawPerEnv<f64>>,
    ptr: &str,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<Bounds> {
    let finite = |v: &f64| {
        if v.is_finite() {
            Ok(*v)
        } else {
            Err("a bound must be a finite number".to_owned())
        }
    };
    let max = match max {
        Some(m) => Some(envs.resolve(m, &format!("{ptr}/max"), sink, finite)?),
        None => None,
    };
    let min = match min {
        Some(m) => Some(envs.resolve(m, &format!("{ptr}/min"), sink, finite)?),
        None => None,
    };
    if let (Some(hi), Some(lo)) = (&max, &min) {
        let (gate_ptr, prefix) = match ptr.strip_suffix("/each") {
            Some(g) => (g, "each."),
            None => (ptr, ""),
        };
        let gate = crate::locate::place(sink.doc, gate_ptr);
        let mut names: Vec<&str> = envs.envs.iter().map(String::as_str).collect();
        if names.is_empty() {
            names.push("default");
        }
        for env in names {
            if let (Some(h), Some(l)) = (hi.resolve(env), lo.resolve(env))
                && l > h
            {
                // Point at the `min` value in force for this environment.
                let by_env = format!("{ptr}/min/{}", escape_token(env));
                let at = if sink.index.contains(&by_env) {
                    by_env
                } else {
                    format!("{ptr}/min")
                };
                let for_env = if envs.envs.is_empty() {
                    String::new()
                } else {
                    format!(" for `{env}`")
                };
                sink.error(Code::NothingCanPass,
                    &at,
                    format!(
                        "in {gate}, `{prefix}min` ({l}) is above `{prefix}max` ({h}){for_env}: nothing could pass"
                    ),
                );
                return None;
            }
        }
    }
    Some(Bounds { max, min })
}

fn threshold(
    g: &RawGate,
    ptr: &str,
    metric: Option<String>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<Threshold> {
    let agg = match &g.aggregate {
        Some(a) => aggregate(a, &format!("{ptr}/aggregate"), sink),
        None => Some(Aggregate::Last),
    };
    if g.max.is_none() && g.min.is_none() {
        sink.error_on_key(
            Code::KindNeedsKey,
            ptr,
            format!(
                "threshold {} needs `max`, `min` or both",
                crate::locate::place(sink.doc, ptr)
            ),
        );
        return None;
    }
    let b = bounds(g.max.as_ref(), g.min.as_ref(), ptr, envs, sink)?;
    Some(Threshold {
        metric: metric?,
        aggregate: agg?,
        bounds: b,
    })
}

fn per_check(
    g: &RawGate,
    ptr: &str,
    metric: Option<String>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<PerCheck> {
    let RawBounds { max, min } = g.each.as_ref()?;
    let eptr = format!("{ptr}/each");
    if max.is_none() && min.is_none() {
        sink.error(
            Code::KindNeedsKey,
            &eptr,
            "`each` needs `max`, `min` or both",
        );
        return None;
    }
    let each = bounds(max.as_ref(), min.as_ref(), &eptr, envs, sink);
    if g.consecutive.is_none() && g.max_failures.is_none() {
        sink.error_on_key(Code::KindNeedsKey,
            ptr,
            format!(
                "per-check {} needs `consecutive: N` (fail when the last N checks all violate `each`), `max_failures: K` (fail when more than K do), or both",
                crate::locate::place(sink.doc, ptr)
            ),
        );
        return None;
    }
    let consecutive = match &g.consecutive {
        Some(c) => Some(envs.resolve(c, &format!("{ptr}/consecutive"), sink, |n| {
            if *n == 0 {
                Err("`consecutive` must be at least 1".into())
            } else {
                Ok(*n)
            }
        })?),
        None => None,
    };
    let max_failures = match &g.max_failures {
        Some(k) => Some(envs.resolve(k, &format!("{ptr}/max_failures"), sink, |n| Ok(*n))?),
        None => None,
    };
    Some(PerCheck {
        metric: metric?,
        each: each?,
        consecutive,
        max_failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_aggregates() {
        assert_eq!(aggregate_guess("avrg").as_deref(), Some("avg"));
        assert_eq!(aggregate_guess("P95").as_deref(), Some("p95"));
        assert_eq!(aggregate_guess("median").as_deref(), Some("p50"));
        assert_eq!(aggregate_guess("zzzzzzzz"), None);
    }
}
