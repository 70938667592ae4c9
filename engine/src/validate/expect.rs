//! `expect_series` and `min_series`, on a metric or a gate: the series a gate must see.

use indexmap::IndexMap;

use super::Sink;
use crate::diagnostic::Code;
use crate::policy::model::ExpectSeries;
use crate::yaml::escape_token;

/// Checks one declaration at `ptr` (a metric or a gate); None when it declares nothing.
pub(crate) fn check(
    labels: Option<&IndexMap<String, Vec<String>>>,
    min_series: Option<u64>,
    ptr: &str,
    sink: &mut Sink<'_>,
) -> Option<ExpectSeries> {
    if labels.is_none() && min_series.is_none() {
        return None;
    }
    let labels = labels.cloned().unwrap_or_default();
    for (label, values) in &labels {
        let lptr = format!("{ptr}/expect_series/{}", escape_token(label));
        if values.is_empty() {
            sink.error(Code::OutOfRange,
                &lptr,
                format!("`expect_series` lists no value of `{label}`: list the values every gate must see, like `[web, desktop, ios]`"),
            );
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                sink.error(
                    Code::ListedTwice,
                    &format!("{lptr}/{i}"),
                    format!("`{label}={v}` is listed twice in `expect_series`"),
                );
            }
        }
    }
    Some(ExpectSeries { labels, min_series })
}

/// A gate's own declaration that its `select` makes impossible (it expects `surface=ios` but
/// selects `surface=web`): the gate could never pass, so it is refused.
pub(crate) fn against_select(
    expect: &ExpectSeries,
    select: &IndexMap<String, String>,
    ptr: &str,
    sink: &mut Sink<'_>,
) {
    for (label, values) in &expect.labels {
        let Some(chosen) = select.get(label) else {
            continue;
        };
        for (i, v) in values.iter().enumerate() {
            if v != chosen {
                sink.error(Code::NothingCanPass,
                    &format!("{ptr}/expect_series/{}/{i}", escape_token(label)),
                    format!(
                        "`expect_series` wants `{label}={v}`, but `select` reads only `{label}={chosen}`: the gate could never see it"
                    ),
                );
            }
        }
    }
}
