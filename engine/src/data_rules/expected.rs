//! The series a reader expects and does not get: what `expect_series` (on a metric or a gate)
//! demands of what was selected. Gates and scripts apply it alike, so a script cannot see
//! fewer series than a gate would without saying so.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::policy::model::ExpectSeries;
use crate::snapshot::Series;

/// The expected series that are not among `selected`, each with the labels it would have and
/// why it is missing ("no series with surface=ios"). A metric's declaration (`own` false)
/// holds for what a reader selects: label values its `select` excludes are not expected of
/// it, and `min_series` holds only for readers without `select`.
pub(crate) fn missing(
    expect: &ExpectSeries,
    own: bool,
    select: &IndexMap<String, String>,
    selected: &[&Series],
    metric: &str,
) -> Vec<(BTreeMap<String, String>, String)> {
    let mut out = Vec::new();
    for (label, values) in &expect.labels {
        for v in values {
            let excluded = select.get(label).is_some_and(|chosen| chosen != v);
            if excluded && !own {
                continue;
            }
            let seen = selected.iter().any(|s| s.labels.get(label) == Some(v));
            if !seen {
                let labels = BTreeMap::from([(label.clone(), v.clone())]);
                out.push((labels, format!("no series with {label}={v}")));
            }
        }
    }
    if let Some(n) = expect.min_series
        && (own || select.is_empty())
        && (selected.len() as u64) < n
    {
        out.push((
            BTreeMap::new(),
            format!(
                "{} series of metric `{metric}`; at least {n} expected (`min_series`)",
                selected.len()
            ),
        ));
    }
    out
}
