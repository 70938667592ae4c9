//! Validation of one gate: its kind (exactly one), the keys that belong to it, its
//! references and its values.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::{EnvCheck, Sink};
use crate::diagnostic::did_you_mean;
use crate::policy::duration::Duration;
use crate::policy::model::{
    AGGREGATE_NAMES, Aggregate, Bounds, Expectation, Gate, GateKind, Script, Tolerance,
};
use crate::policy::per_env::{PerEnv, RawPerEnv};
use crate::policy::raw::{OnFail, RawBounds, RawCheck, RawExpectation, RawGate, Scalar};
use crate::policy::window::Window;
use crate::yaml::escape_token;

/// Declared names gates may refer to.
pub(crate) struct Names<'a> {
    pub metrics: BTreeSet<&'a str>,
    pub records: BTreeSet<&'a str>,
}

/// The six kinds and the keys that select each.
const KIND_KEYS: [(&str, &str); 6] = [
    ("script", "script"),
    ("records", "records"),
    ("compare", "compare"),
    ("trend", "trend"),
    ("per-check", "each"),
    ("threshold", "max`/`min`/`aggregate"),
];

pub(crate) fn check(
    id: &str,
    g: &RawGate,
    names: &Names<'_>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<Gate> {
    let ptr = format!("/gates/{}", escape_token(id));
    let errors_before = sink.diags.len();
    let present = [
        g.script.is_some(),
        g.records.is_some(),
        g.compare.is_some(),
        g.trend.is_some(),
        g.each.is_some(),
        g.max.is_some() || g.min.is_some() || g.aggregate.is_some(),
    ];
    let kinds: Vec<usize> = (0..6).filter(|i| present[*i]).collect();
    let kind = match kinds.as_slice() {
        [k] => *k,
        [] => {
            sink.error_on_key(
                &ptr,
                format!(
                    "gate `{id}` has no kind: give one of `max`/`min` (threshold), `each` (per check), `trend`, `compare`, `records` or `script`"
                ),
            );
            return None;
        }
        many => {
            let listed: Vec<String> = many
                .iter()
                .map(|k| format!("{} (`{}`)", KIND_KEYS[*k].0, KIND_KEYS[*k].1))
                .collect();
            sink.error_on_key(
                &ptr,
                format!(
                    "gate `{id}` has more than one kind: {}; a gate has exactly one",
                    listed.join(" and ")
                ),
            );
            return None;
        }
    };

    // Keys that belong to other kinds.
    let foreign: &[(&str, bool, &str)] = &[
        (
            "metric",
            g.metric.is_some(),
            "threshold, per-check, trend and compare",
        ),
        (
            "select",
            g.select.is_some(),
            "threshold, per-check, trend and compare",
        ),
        ("aggregate", g.aggregate.is_some(), "threshold"),
        (
            "consecutive",
            g.consecutive.is_some(),
            "per-check (with `each`)",
        ),
        (
            "max_failures",
            g.max_failures.is_some(),
            "per-check (with `each`)",
        ),
        ("where", g.where_.is_some(), "records"),
        ("expect", g.expect.is_some(), "records"),
        ("min_count", g.min_count.is_some(), "records"),
        (
            "min_samples",
            g.min_samples.is_some(),
            "threshold, per-check, trend, compare and script",
        ),
        (
            "max_age",
            g.max_age.is_some(),
            "threshold, per-check, trend, compare and script",
        ),
        (
            "window",
            g.window.is_some(),
            "threshold, per-check, trend, compare and script",
        ),
    ];
    let allowed: &[&str] = match kind {
        0 => &["min_samples", "max_age", "window"],
        1 => &["where", "expect", "min_count"],
        2 => &["metric", "select", "min_samples", "max_age", "window"],
        3 => &["metric", "select", "min_samples", "max_age", "window"],
        4 => &[
            "metric",
            "select",
            "min_samples",
            "max_age",
            "window",
            "consecutive",
            "max_failures",
        ],
        _ => &[
            "metric",
            "select",
            "aggregate",
            "min_samples",
            "max_age",
            "window",
        ],
    };
    for (key, is_set, belongs) in foreign {
        if *is_set && !allowed.contains(key) {
            sink.error_on_key(
                &format!("{ptr}/{key}"),
                format!(
                    "`{key}` does not apply to {} gates (it belongs to {belongs} gates)",
                    KIND_KEYS[kind].0
                ),
            );
        }
    }

    let metric = if allowed.contains(&"metric") {
        match &g.metric {
            Some(m) if names.metrics.contains(m.0.as_str()) => Some(m.0.clone()),
            Some(m) => {
                sink.error_help(
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
                    &ptr,
                    format!(
                        "gate `{id}` is a {} gate and needs `metric`",
                        KIND_KEYS[kind].0
                    ),
                );
                None
            }
        }
    } else {
        None
    };

    let window = match &g.window {
        Some(w) => envs.resolve(w, &format!("{ptr}/window"), sink, |t| {
            Window::parse(&t.0).map_err(|e| e.to_string())
        }),
        None => Some(PerEnv::one(Window::All)),
    };
    let min_samples = match &g.min_samples {
        Some(m) => envs.resolve(m, &format!("{ptr}/min_samples"), sink, |n| Ok(*n)),
        None => Some(PerEnv::one(1)),
    };
    let max_age = g.max_age.as_ref().map(|m| {
        envs.resolve(
            m,
            &format!("{ptr}/max_age"),
            sink,
            |t| match Duration::parse(&t.0) {
                Ok(d) if d.seconds == 0 => {
                    Err("a `max_age` of zero makes every sample stale".into())
                }
                Ok(d) => Ok(d),
                Err(e) => Err(e.to_string()),
            },
        )
    });

    let kind = match kind {
        0 => script(g, &ptr, sink),
        1 => records(g, &ptr, names, envs, sink),
        2 => compare(g, &ptr, metric.clone(), sink),
        3 => {
            let t = g.trend.as_ref()?;
            metric.clone().map(|metric| GateKind::Trend {
                metric,
                forbid: t.forbid,
                alpha: t.alpha.unwrap_or(0.05),
                max_slope: t.max_slope,
            })
        }
        4 => per_check(g, &ptr, metric.clone(), envs, sink),
        _ => threshold(g, &ptr, metric.clone(), envs, sink),
    };

    if sink.diags[errors_before..]
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error)
    {
        return None;
    }
    Some(Gate {
        id: id.to_owned(),
        title: g.title.clone().unwrap_or_else(|| id.to_owned()),
        description: g.description.clone(),
        on_fail: g.on_fail.unwrap_or(OnFail::Block),
        window: window?,
        min_samples: min_samples?,
        max_age: max_age.flatten(),
        select: g.select.clone().unwrap_or_default(),
        remediation: g.remediation.clone(),
        kind: kind?,
        pos: sink.index.key_pos(&ptr),
    })
}

fn list(names: &BTreeSet<&str>) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn aggregate(text: &str, ptr: &str, sink: &mut Sink<'_>) -> Option<Aggregate> {
    let parsed = Aggregate::parse(text);
    if parsed.is_none() {
        sink.error_help(
            ptr,
            format!(
                "unknown aggregate `{text}`: use one of `last first min max avg sum count stddev increase rate` or a percentile like `p95` or `p99.9`"
            ),
            did_you_mean(text, AGGREGATE_NAMES),
        );
    }
    parsed
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
        let mut names: Vec<&str> = envs.envs.iter().map(String::as_str).collect();
        if names.is_empty() {
            names.push("default");
        }
        for env in names {
            if let (Some(h), Some(l)) = (hi.resolve(env), lo.resolve(env))
                && l > h
            {
                sink.error(
                    &format!("{ptr}/min"),
                    format!("`min` ({l}) is above `max` ({h}) for `{env}`: nothing could pass"),
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
) -> Option<GateKind> {
    let agg = match &g.aggregate {
        Some(a) => aggregate(a, &format!("{ptr}/aggregate"), sink),
        None => Some(Aggregate::Last),
    };
    if g.max.is_none() && g.min.is_none() {
        sink.error_on_key(ptr, "a threshold gate needs `max`, `min` or both");
        return None;
    }
    let b = bounds(g.max.as_ref(), g.min.as_ref(), ptr, envs, sink)?;
    Some(GateKind::Threshold {
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
) -> Option<GateKind> {
    let RawBounds { max, min } = g.each.as_ref()?;
    let eptr = format!("{ptr}/each");
    if max.is_none() && min.is_none() {
        sink.error(&eptr, "`each` needs `max`, `min` or both");
        return None;
    }
    let each = bounds(max.as_ref(), min.as_ref(), &eptr, envs, sink);
    if g.consecutive.is_none() && g.max_failures.is_none() {
        sink.error_on_key(
            ptr,
            "a per-check gate needs `consecutive: N`, `max_failures: K` or both",
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
    Some(GateKind::PerCheck {
        metric: metric?,
        each: each?,
        consecutive,
        max_failures,
    })
}

fn tolerance(
    t: &crate::policy::raw::Tolerance,
    ptr: &str,
    sink: &mut Sink<'_>,
) -> Option<Tolerance> {
    match t {
        crate::policy::raw::Tolerance::Absolute(v) => Some(Tolerance::Absolute(*v)),
        crate::policy::raw::Tolerance::Relative(text) => {
            match text.trim_end_matches('%').parse::<f64>() {
                Ok(p) if p.is_finite() => Some(Tolerance::Relative(p / 100.0)),
                _ => {
                    sink.error(ptr, format!("`{text}` is not a percentage like `10%`"));
                    None
                }
            }
        }
    }
}

fn compare(
    g: &RawGate,
    ptr: &str,
    metric: Option<String>,
    sink: &mut Sink<'_>,
) -> Option<GateKind> {
    let c = g.compare.as_ref()?;
    let cptr = format!("{ptr}/compare");
    let agg = aggregate(
        c.aggregate.as_deref().unwrap_or("p50"),
        &format!("{cptr}/aggregate"),
        sink,
    );
    if c.max_increase.is_none() && c.max_decrease.is_none() {
        sink.error(
            &cptr,
            "`compare` needs `max_increase`, `max_decrease` or both",
        );
        return None;
    }
    for (side, labels) in [("candidate", &c.candidate), ("baseline", &c.baseline)] {
        if labels.is_empty() {
            sink.error(
                &format!("{cptr}/{side}"),
                format!("`{side}` must name at least one label, like `{{cohort: canary}}`"),
            );
        }
    }
    if c.candidate == c.baseline {
        sink.error(
            &format!("{cptr}/baseline"),
            "`baseline` selects the same series as `candidate`",
        );
        return None;
    }
    let inc = match &c.max_increase {
        Some(t) => Some(tolerance(t, &format!("{cptr}/max_increase"), sink)?),
        None => None,
    };
    let dec = match &c.max_decrease {
        Some(t) => Some(tolerance(t, &format!("{cptr}/max_decrease"), sink)?),
        None => None,
    };
    if c.alpha.is_some() && c.test.is_none() {
        sink.error(
            &format!("{cptr}/alpha"),
            "`alpha` needs `test: mann-whitney`",
        );
    }
    Some(GateKind::Compare {
        metric: metric?,
        candidate: c.candidate.clone(),
        baseline: c.baseline.clone(),
        aggregate: agg?,
        max_increase: inc,
        max_decrease: dec,
        test: c.test,
        alpha: c.alpha.unwrap_or(0.05),
    })
}

fn records(
    g: &RawGate,
    ptr: &str,
    names: &Names<'_>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<GateKind> {
    let name = g.records.as_ref()?;
    if !names.records.contains(name.0.as_str()) {
        sink.error_help(
            &format!("{ptr}/records"),
            format!("unknown record set `{}`", name.0),
            did_you_mean(&name.0, names.records.iter().copied()).or_else(|| {
                Some(format!(
                    "declare it under `records` (declared: {})",
                    list(&names.records)
                ))
            }),
        );
    }
    let mut ok = true;
    let mut path_ok = |sink: &mut Sink<'_>, p: &str, key: &str| {
        if key.is_empty() || key.split('.').any(str::is_empty) {
            sink.error_on_key(
                p,
                format!("`{key}` is not a dotted path like `execution_meta.worker_request_id`"),
            );
            ok = false;
        }
    };
    let filter: IndexMap<String, serde_json::Value> = g.where_.clone().unwrap_or_default();
    for key in filter.keys() {
        path_ok(sink, &format!("{ptr}/where/{}", escape_token(key)), key);
    }
    let mut expect = IndexMap::new();
    for (key, e) in g.expect.iter().flatten() {
        let eptr = format!("{ptr}/expect/{}", escape_token(key));
        path_ok(sink, &eptr, key);
        expect.insert(key.clone(), expectation(e, &eptr, sink)?);
    }
    if g.expect.as_ref().is_none_or(IndexMap::is_empty) && g.min_count.is_none() {
        sink.error_on_key(
            ptr,
            "a records gate needs `expect` (what every record must satisfy), `min_count`, or both",
        );
        return None;
    }
    let min_count = match &g.min_count {
        Some(m) => envs.resolve(m, &format!("{ptr}/min_count"), sink, |n| Ok(*n))?,
        None => PerEnv::one(1),
    };
    ok.then_some(GateKind::Records {
        records: name.0.clone(),
        filter,
        expect,
        min_count,
    })
}

fn expectation(e: &RawExpectation, ptr: &str, sink: &mut Sink<'_>) -> Option<Expectation> {
    match e {
        RawExpectation::Equals(s) => Some(Expectation::Equals(scalar(s))),
        RawExpectation::Check(RawCheck {
            present,
            in_,
            max,
            min,
            equals,
        }) => {
            let mut all = Vec::new();
            if let Some(p) = present {
                all.push(Expectation::Present(*p));
            }
            if let Some(list) = in_ {
                if list.is_empty() {
                    sink.error(
                        &format!("{ptr}/in"),
                        "`in` with an empty list can never hold",
                    );
                    return None;
                }
                all.push(Expectation::In(list.clone()));
            }
            if let (Some(hi), Some(lo)) = (max, min)
                && lo > hi
            {
                sink.error(
                    &format!("{ptr}/min"),
                    format!("`min` ({lo}) is above `max` ({hi})"),
                );
                return None;
            }
            if max.is_some() || min.is_some() {
                all.push(Expectation::Range {
                    max: *max,
                    min: *min,
                });
            }
            if let Some(v) = equals {
                all.push(Expectation::Equals(v.clone()));
            }
            if all.is_empty() {
                sink.error(
                    ptr,
                    "an expectation needs `present`, `in`, `max`, `min` or `equals`",
                );
                return None;
            }
            Some(if all.len() == 1 {
                all.remove(0)
            } else {
                Expectation::All(all)
            })
        }
    }
}

fn scalar(s: &Scalar) -> serde_json::Value {
    match s {
        Scalar::Bool(b) => serde_json::Value::Bool(*b),
        Scalar::Int(i) => serde_json::Value::from(*i),
        Scalar::Float(f) => serde_json::Value::from(*f),
        Scalar::Text(t) => serde_json::Value::String(t.clone()),
    }
}

fn script(g: &RawGate, ptr: &str, sink: &mut Sink<'_>) -> Option<GateKind> {
    let source = g.script.as_ref()?;
    let sptr = format!("{ptr}/script");
    let origin = crate::script::origin(sink.source, sink.index.value_pos(&sptr));
    if source.trim().is_empty() {
        sink.error(&sptr, "the script is empty");
        return None;
    }
    if let Err(e) = crate::script::compile(source) {
        let pos = crate::script::yaml_pos(origin, e.line, e.col);
        sink.error_at(pos, &sptr, format!("script syntax error: {}", e.message));
        return None;
    }
    Some(GateKind::Script(Script {
        source: source.clone(),
        origin,
    }))
}
