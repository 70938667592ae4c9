//! Validation of burn-rate gates: declared counters (`bad` or `good`, and `total`), an
//! objective below 100%, and window pairs whose short window is shorter than the long one.

use super::Sink;
use super::gate::Names;
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::{BadEvents, BurnRate, BurnWindows};
use crate::policy::raw::{Name, RawBurnWindows, RawGate};

pub(super) fn check(
    id: &str,
    g: &RawGate,
    ptr: &str,
    names: &Names<'_>,
    sink: &mut Sink<'_>,
) -> Option<BurnRate> {
    let b = g.burn_rate.as_ref()?;
    let bptr = format!("{ptr}/burn_rate");
    let before = sink.error_count();
    let bad = match (&b.bad, &b.good) {
        (Some(bad), None) => counter(bad, &format!("{bptr}/bad"), names, sink).map(BadEvents::Bad),
        (None, Some(good)) => {
            counter(good, &format!("{bptr}/good"), names, sink).map(BadEvents::Good)
        }
        (Some(_), Some(_)) => {
            sink.error_on_key(
                Code::KindNeedsKey,
                &format!("{bptr}/good"),
                format!(
                    "burn-rate gate `{id}` gives both `bad` and `good`: give one, with `total`"
                ),
            );
            None
        }
        (None, None) => {
            sink.error_on_key(
                Code::KindNeedsKey,
                &bptr,
                format!("burn-rate gate `{id}` needs `bad` (a counter of errors) or `good`, with `total`"),
            );
            None
        }
    };
    let total = counter(&b.total, &format!("{bptr}/total"), names, sink);
    let objective = objective(&b.objective, &format!("{bptr}/objective"), sink);
    let (pairs, preset) = match &b.windows {
        RawBurnWindows::Preset(p) => (p.pairs(), Some(*p)),
        RawBurnWindows::Pairs(list) => (pairs(list, &format!("{bptr}/windows"), sink), None),
    };
    (sink.error_count() == before).then_some(BurnRate {
        bad: bad?,
        total: total?,
        objective: objective?,
        pairs,
        preset,
    })
}

/// A declared metric, read as a counter.
fn counter(name: &Name, ptr: &str, names: &Names<'_>, sink: &mut Sink<'_>) -> Option<String> {
    if names.metrics.contains(name.0.as_str()) {
        return Some(name.0.clone());
    }
    sink.error_help(
        Code::UnknownMetric,
        ptr,
        format!("unknown metric `{}`", name.0),
        did_you_mean(&name.0, names.metrics.iter().copied())
            .or_else(|| Some("declare the counter under `metrics`".to_owned())),
    );
    None
}

/// The SLO as a fraction: above 0% and below 100% (a 100% objective has no budget to burn).
fn objective(text: &str, ptr: &str, sink: &mut Sink<'_>) -> Option<f64> {
    let p = super::composite::percent(text, ptr, sink)?;
    if p <= 0.0 || p >= 1.0 {
        sink.error(
            Code::OutOfRange,
            ptr,
            format!("objective `{text}` must be above 0% and below 100%: the error budget is 100% minus the objective"),
        );
        return None;
    }
    Some(p)
}

fn pairs(
    list: &[crate::policy::raw::RawBurnPair],
    ptr: &str,
    sink: &mut Sink<'_>,
) -> Vec<BurnWindows> {
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let pptr = format!("{ptr}/{i}");
        let long = super::source::duration(&p.long.0, &format!("{pptr}/long"), sink);
        let short = super::source::duration(&p.short.0, &format!("{pptr}/short"), sink);
        if !(p.factor.is_finite() && p.factor > 0.0) {
            sink.error(
                Code::OutOfRange,
                &format!("{pptr}/factor"),
                format!("factor must be a positive number, not {}", p.factor),
            );
        }
        let (Some(long), Some(short)) = (long, short) else {
            continue;
        };
        if short >= long {
            sink.error(
                Code::InvalidValue,
                &format!("{pptr}/short"),
                format!("the short window ({short}) must be shorter than the long window ({long}): the short one is what makes the alert stop soon after the burn does"),
            );
        }
        out.push(BurnWindows {
            long,
            short,
            factor: p.factor,
        });
    }
    out
}
