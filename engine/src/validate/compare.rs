//! Validation of compare gates: two sides that can differ (other labels, or the same series
//! an `offset` earlier), a tolerance, and the test's settings.

use super::Sink;
use crate::diagnostic::Code;
use crate::policy::model::{Compare, Tolerance};
use crate::policy::raw::RawGate;

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
                    sink.error(
                        Code::BadFormat,
                        ptr,
                        format!("`{text}` is not a percentage like `10%`"),
                    );
                    None
                }
            }
        }
    }
}

pub(super) fn check(
    g: &RawGate,
    ptr: &str,
    metric: Option<String>,
    sink: &mut Sink<'_>,
) -> Option<Compare> {
    let c = g.compare.as_ref()?;
    let cptr = format!("{ptr}/compare");
    let agg = super::gate::aggregate(
        c.aggregate.as_deref().unwrap_or("p50"),
        &format!("{cptr}/aggregate"),
        sink,
    );
    // Every problem of the comparison is reported, not only the first.
    let mut ok = true;
    let (baseline, offset) = match &c.baseline {
        crate::policy::raw::RawBaseline::Labels(l) => (l.clone(), None),
        crate::policy::raw::RawBaseline::Shifted(s) => {
            let offset = offset(&s.offset.0, &format!("{cptr}/baseline/offset"), sink);
            ok &= offset.is_some();
            (
                s.labels.clone().unwrap_or_else(|| c.candidate.clone()),
                offset,
            )
        }
    };
    ok &= sides(&c.candidate, &baseline, offset.is_some(), &cptr, sink);
    if c.max_increase.is_none() && c.max_decrease.is_none() {
        ok = false;
        sink.error_on_key(
            Code::KindNeedsKey,
            &cptr,
            format!(
                "{} needs `max_increase`, `max_decrease` or both",
                crate::locate::place(sink.doc, &cptr)
            ),
        );
    }
    if !ok {
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
            Code::KindNeedsKey,
            &format!("{cptr}/alpha"),
            "`alpha` needs `test: mann-whitney`",
        );
    }
    Some(Compare {
        metric: metric?,
        candidate: c.candidate.clone(),
        baseline,
        offset,
        aggregate: agg?,
        max_increase: inc,
        max_decrease: dec,
        test: c.test,
        alpha: c.alpha.unwrap_or(0.05),
    })
}

/// A baseline offset: a positive duration.
fn offset(text: &str, ptr: &str, sink: &mut Sink<'_>) -> Option<crate::policy::duration::Duration> {
    match crate::policy::duration::Duration::parse(text) {
        Ok(d) if d.seconds > 0 => Some(d),
        Ok(_) => {
            sink.error(
                Code::OutOfRange,
                ptr,
                "a baseline offset of 0s compares the series with itself: give how far back, like `7d`",
            );
            None
        }
        Err(e) => {
            sink.error(Code::BadFormat, ptr, e.to_string());
            None
        }
    }
}

/// Each side names a label, and the sides differ (unless the baseline is shifted in time:
/// the same series an offset earlier is another sample). False when one is reported.
fn sides(
    candidate: &indexmap::IndexMap<String, String>,
    baseline: &indexmap::IndexMap<String, String>,
    shifted: bool,
    cptr: &str,
    sink: &mut Sink<'_>,
) -> bool {
    let mut ok = true;
    for (side, labels) in [("candidate", candidate), ("baseline", baseline)] {
        if labels.is_empty() {
            ok = false;
            sink.error(
                Code::OutOfRange,
                &format!("{cptr}/{side}"),
                format!("`{side}` must name at least one label, like `{{cohort: canary}}`"),
            );
        }
    }
    if !candidate.is_empty() && candidate == baseline && !shifted {
        ok = false;
        let bptr = format!("{cptr}/baseline");
        let what = crate::locate::place(sink.doc, &bptr);
        sink.error(
            Code::NothingCanFail,
            &bptr,
            format!(
                "{what} selects the same series as `candidate`: the comparison could never fail"
            ),
        );
    }
    ok
}
