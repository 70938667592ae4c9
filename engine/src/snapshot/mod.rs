//! The metric snapshot (snapshot-v1) as evaluation reads it: series as sorted columns of
//! times and values, records as JSON objects, evidence per metric.
//!
//! Snapshots can hold a day of 1 s samples for dozens of metrics, so they are deserialized
//! straight into columns (`parse.rs`), never through a dynamic tree.

mod parse;
pub mod raw;
mod scalar;
mod write;

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;

/// Times are written in one place, with the other text formatting.
pub use crate::format::format_time;
pub use parse::{SnapshotError, from_json, from_yaml};
pub use raw::Evidence;
pub use scalar::parse_value as parse_numeric;
pub use write::to_json;

/// One moment's data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub taken_at: Option<f64>,
    pub environment: Option<String>,
    pub stage: Option<String>,
    pub stage_entered_at: Option<f64>,
    pub rollout_started_at: Option<f64>,
    /// The parameters the data was fetched with, in name order.
    pub params: std::collections::BTreeMap<String, String>,
    /// Metric name -> its series (one per label set).
    pub series: IndexMap<String, Vec<Series>>,
    pub records: IndexMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
    pub evidence: IndexMap<String, Evidence>,
    /// Problems that do not stop an evaluation (unknown top-level keys), for the CLI to show.
    pub warnings: Vec<String>,
}

/// One series: labels, and samples as two columns sorted by time, one sample per time. The
/// columns are shared (`Arc`), so a script's view of a day of samples copies nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    /// Unix seconds, strictly increasing.
    pub times: Arc<[f64]>,
    /// Values; NaN where the source said NaN.
    pub values: Arc<[f64]>,
}

impl Series {
    /// Builds a series from samples in any order: sorted by time (stable), keeping the last
    /// sample of each time, as snapshot-v1 says.
    pub fn new(
        labels: BTreeMap<String, String>,
        mut times: Vec<f64>,
        mut values: Vec<f64>,
    ) -> Series {
        let sorted_unique = times.windows(2).all(|w| w[0] < w[1]);
        if !sorted_unique {
            let mut order: Vec<usize> = (0..times.len()).collect();
            order.sort_by(|a, b| times[*a].total_cmp(&times[*b]));
            let mut t2 = Vec::with_capacity(order.len());
            let mut v2 = Vec::with_capacity(order.len());
            for i in order {
                let t = times[i];
                if t2.last() == Some(&t) {
                    // Stable sort keeps input order within one time: the later one wins.
                    *v2.last_mut().expect("same length") = values[i];
                } else {
                    t2.push(t);
                    v2.push(values[i]);
                }
            }
            times = t2;
            values = v2;
        }
        Series {
            labels,
            times: times.into(),
            values: values.into(),
        }
    }

    /// Whether every label of `select` is on this series with that value.
    pub fn matches(&self, select: &IndexMap<String, String>) -> bool {
        select
            .iter()
            .all(|(k, v)| self.labels.get(k).is_some_and(|l| l == v))
    }
}

/// How old the samples behind a metric are, beyond the times of its series' points.
#[derive(Debug, Clone, PartialEq)]
pub enum DataAge {
    /// Each point's time is its data's time (files, HTTP, hand-written snapshots).
    PointTimes,
    /// No value is from data newer than this (unix seconds), whatever its point's time.
    AsOf(f64),
    /// The fetcher could not tell how old the data is: why.
    Unknown(String),
}

impl Evidence {
    /// What the evidence says about the age of the data (a `data_as_of` that is not a time
    /// is an unknown age, never a fresh one).
    pub fn data_age(&self) -> DataAge {
        if let Some(why) = &self.data_age_unknown {
            return DataAge::Unknown(why.clone());
        }
        match &self.data_as_of {
            None => DataAge::PointTimes,
            Some(t) => match parse_time(t) {
                Some(v) => DataAge::AsOf(v),
                None => DataAge::Unknown(format!("`data_as_of` `{t}` is not an RFC 3339 time")),
            },
        }
    }
}

/// The newest non-NaN point of a series at or before `now`, no newer than the data behind it
/// (`age`): the time `max_age` counts from.
pub fn newest_data_at(series: &Series, now: f64, age: &DataAge) -> Option<f64> {
    let end = series.times.partition_point(|t| *t <= now);
    let newest = (0..end)
        .rev()
        .find(|i| !series.values[*i].is_nan())
        .map(|i| series.times[i])?;
    match age {
        DataAge::AsOf(t) => Some(newest.min(*t)),
        DataAge::PointTimes | DataAge::Unknown(_) => Some(newest),
    }
}

/// Parses an RFC 3339 time into unix seconds.
pub fn parse_time(text: &str) -> Option<f64> {
    let ts: jiff::Timestamp = text.trim().parse().ok()?;
    Some(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) / 1e9)
}

/// Why `text` is not a time rollgate takes, in words: not RFC 3339, or RFC 3339 outside the
/// range of times rollgate represents (`9999-12-31T23:59:59Z` is well formed, but past it).
pub fn time_problem(text: &str) -> String {
    let t = text.trim();
    let shaped = t.len() >= 20
        && t.as_bytes()[4] == b'-'
        && t.as_bytes()[10].eq_ignore_ascii_case(&b't')
        && t.get(..19)
            .is_some_and(|civil| civil.parse::<jiff::civil::DateTime>().is_ok());
    if shaped {
        format!(
            "`{t}` is outside the times rollgate can represent ({} to {} UTC)",
            jiff::Timestamp::MIN.strftime("%Y-%m-%d"),
            jiff::Timestamp::MAX.strftime("%Y-%m-%d")
        )
    } else {
        format!("`{t}` is not an RFC 3339 time like `2026-11-23T15:00:00Z`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_times_are_not_called_malformed() {
        assert!(parse_time("9999-12-31T23:59:59Z").is_none());
        let e = time_problem("9999-12-31T23:59:59Z");
        assert!(
            e.contains("outside the times") && e.contains("9999-12-30"),
            "{e}"
        );
        assert!(time_problem("yesterday").contains("not an RFC 3339 time"));
        assert!(time_problem("2026-13-01T00:00:00Z").contains("not an RFC 3339 time"));
    }

    #[test]
    fn new_sorts_and_keeps_the_last_duplicate() {
        let s = Series::new(
            BTreeMap::new(),
            vec![3.0, 1.0, 2.0, 1.0],
            vec![30.0, 10.0, 20.0, 11.0],
        );
        assert_eq!(&s.times[..], &[1.0, 2.0, 3.0]);
        assert_eq!(&s.values[..], &[11.0, 20.0, 30.0]);
    }

    #[test]
    fn the_data_behind_a_point_can_be_older_than_the_point() {
        let s = Series::new(
            BTreeMap::new(),
            vec![100.0, 115.0, 130.0, 145.0],
            vec![1.0, 2.0, f64::NAN, 2.0],
        );
        assert_eq!(newest_data_at(&s, 140.0, &DataAge::PointTimes), Some(115.0));
        assert_eq!(
            newest_data_at(&s, 200.0, &DataAge::AsOf(120.0)),
            Some(120.0)
        );
        // The step is older than the data's time: the step counts.
        assert_eq!(
            newest_data_at(&s, 200.0, &DataAge::AsOf(150.0)),
            Some(145.0)
        );
        assert_eq!(newest_data_at(&s, 99.0, &DataAge::AsOf(50.0)), None);
        let mut ev = Evidence::default();
        assert_eq!(ev.data_age(), DataAge::PointTimes);
        ev.data_as_of = Some("1970-01-01T00:02:00Z".into());
        assert_eq!(ev.data_age(), DataAge::AsOf(120.0));
        ev.data_as_of = Some("soon".into());
        assert!(matches!(ev.data_age(), DataAge::Unknown(w) if w.contains("soon")));
        ev.data_age_unknown = Some("no selector".into());
        assert_eq!(ev.data_age(), DataAge::Unknown("no selector".into()));
    }

    #[test]
    fn times_round_trip() {
        let t = parse_time("2026-11-22T12:00:00Z").unwrap();
        assert_eq!(t, 1_795_348_800.0);
        assert_eq!(format_time(t), "2026-11-22T12:00:00Z");
        assert_eq!(parse_time("2026-11-22T13:00:00+01:00"), Some(t));
        assert_eq!(format_time(t + 0.5), "2026-11-22T12:00:00.5Z");
        assert!(parse_time("yesterday").is_none());
    }
}
