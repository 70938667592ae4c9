//! Snapshot deserialization straight into columns: each `[time, value]` pair is pushed into
//! two `Vec<f64>` as it is read, so a 90 MB snapshot costs about what serde_json's parse of
//! it costs. A path stack remembers where the reader is, so an error names its JSON path
//! (`$.series.latency_ms[1].samples[3][1]`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::scalar::{TimeSeed, ValueSeed};
use super::{Evidence, Series, Snapshot};

/// Why a snapshot could not be read: what, and where (JSON path, and line/column when the
/// parser knows it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SnapshotError {
    pub path: String,
    pub message: String,
}

/// Reads a JSON snapshot.
pub fn from_json(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let path = PathStack::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = SnapshotSeed { path: &path }
        .deserialize(&mut de)
        .and_then(|s| de.end().map(|()| s));
    finish(result.map_err(|e| e.to_string()), &path)
}

/// Reads a YAML snapshot (bounded: aliases, nesting and size, as for policies but larger).
pub fn from_yaml(text: &str) -> Result<Snapshot, SnapshotError> {
    let path = PathStack::default();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(1 << 30);
    budget.max_nodes = 50_000_000;
    budget.max_events = 100_000_000;
    budget.max_total_scalar_bytes = 1 << 30;
    budget.max_aliases = 1_000;
    budget.max_depth = 32;
    budget.max_documents = 1;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.with_snippet = false;
    // Samples may be NaN or infinite in YAML (`.nan`, `-.inf`) as in JSON (`"NaN"`, `"-Inf"`);
    // times may not, which their own parse checks.
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        SnapshotSeed { path: &path }.deserialize(de)
    });
    finish(
        result.map_err(|e| {
            let raw = e.without_snippet().to_string();
            raw.lines().next().unwrap_or_default().to_owned()
        }),
        &path,
    )
}

fn finish(result: Result<Snapshot, String>, path: &PathStack) -> Result<Snapshot, SnapshotError> {
    match result {
        Ok(snap) => Ok(snap),
        Err(message) => Err(SnapshotError {
            path: path.render(),
            message,
        }),
    }
}

/// Where the reader is: coarse segments (keys, entry indexes) plus the sample being read.
#[derive(Default)]
struct PathStack {
    segs: RefCell<Vec<String>>,
    sample: Cell<Option<(usize, usize)>>,
    /// Samples in the last series read: the capacity reserved for the next one (series of
    /// one snapshot usually have the same length), so columns are not regrown and copied.
    last_len: Cell<usize>,
}

impl PathStack {
    fn push(&self, seg: String) {
        self.segs.borrow_mut().push(seg);
    }
    fn pop(&self) {
        self.segs.borrow_mut().pop();
    }
    fn render(&self) -> String {
        let mut s = String::from("$");
        for seg in self.segs.borrow().iter() {
            s.push_str(seg);
        }
        if let Some((i, j)) = self.sample.get() {
            s.push_str(&format!("[{i}][{j}]"));
        }
        s
    }
}

fn key_seg(key: &str) -> String {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty() {
        format!(".{key}")
    } else {
        format!("[{}]", serde_json::Value::String(key.to_owned()))
    }
}

struct SnapshotSeed<'p> {
    path: &'p PathStack,
}

impl<'de> DeserializeSeed<'de> for SnapshotSeed<'_> {
    type Value = Snapshot;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Snapshot, D::Error> {
        d.deserialize_map(self)
    }
}

const TOP_KEYS: [&str; 10] = [
    "version",
    "taken_at",
    "environment",
    "stage",
    "stage_entered_at",
    "rollout_started_at",
    "params",
    "series",
    "records",
    "evidence",
];

impl<'de> Visitor<'de> for SnapshotSeed<'_> {
    type Value = Snapshot;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a snapshot object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Snapshot, A::Error> {
        let mut snap = Snapshot::default();
        let mut version = None;
        while let Some(key) = map.next_key::<String>()? {
            self.path.push(key_seg(&key));
            match key.as_str() {
                "version" => {
                    let v: u64 = map.next_value()?;
                    if v != 1 {
                        return Err(de::Error::custom(format!(
                            "unsupported snapshot version {v}; this rollgate reads version 1"
                        )));
                    }
                    version = Some(v);
                }
                "taken_at" => snap.taken_at = Some(map.next_value_seed(TimeSeed)?),
                "stage_entered_at" => snap.stage_entered_at = Some(map.next_value_seed(TimeSeed)?),
                "rollout_started_at" => {
                    snap.rollout_started_at = Some(map.next_value_seed(TimeSeed)?);
                }
                "params" => snap.params = map.next_value()?,
                "environment" => snap.environment = Some(map.next_value()?),
                "stage" => snap.stage = Some(map.next_value()?),
                "series" => {
                    snap.series = map.next_value_seed(SeriesMapSeed { path: self.path })?;
                }
                "records" => {
                    snap.records = map.next_value::<IndexMap<
                        String,
                        Vec<serde_json::Map<String, serde_json::Value>>,
                    >>()?;
                }
                "evidence" => snap.evidence = map.next_value::<IndexMap<String, Evidence>>()?,
                other => {
                    // Other tools add their own keys; a typo of ours is worth a warning.
                    let help = crate::diagnostic::did_you_mean(other, TOP_KEYS)
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    snap.warnings
                        .push(format!("unknown top-level key `{other}` ignored{help}"));
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            self.path.pop();
        }
        if version.is_none() {
            return Err(de::Error::custom("missing required key `version`"));
        }
        Ok(snap)
    }
}

struct SeriesMapSeed<'p> {
    path: &'p PathStack,
}

impl<'de> DeserializeSeed<'de> for SeriesMapSeed<'_> {
    type Value = IndexMap<String, Vec<Series>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SeriesMapSeed<'_> {
    type Value = IndexMap<String, Vec<Series>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map from metric name to series")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::new();
        while let Some(name) = map.next_key::<String>()? {
            self.path.push(key_seg(&name));
            let series = map.next_value_seed(EntriesSeed { path: self.path })?;
            for (i, s) in series.iter().enumerate() {
                if series[..i].iter().any(|o| o.labels == s.labels) {
                    self.path.push(format!("[{i}]"));
                    return Err(de::Error::custom(format!(
                        "two series of `{name}` have the same labels"
                    )));
                }
            }
            if out.insert(name.clone(), series).is_some() {
                return Err(de::Error::custom(format!("metric `{name}` appears twice")));
            }
            self.path.pop();
        }
        Ok(out)
    }
}

/// One `{labels, samples}` object or a list of them.
struct EntriesSeed<'p> {
    path: &'p PathStack,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = Vec<Series>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Series>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = Vec<Series>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a series object `{labels, samples}` or a list of them")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Series>, A::Error> {
        Ok(vec![EntrySeed { path: self.path }.visit_map(map)?])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Series>, A::Error> {
        let mut out = Vec::new();
        loop {
            self.path.push(format!("[{}]", out.len()));
            match seq.next_element_seed(EntrySeed { path: self.path })? {
                Some(s) => out.push(s),
                None => {
                    self.path.pop();
                    break;
                }
            }
            self.path.pop();
        }
        Ok(out)
    }
}

struct EntrySeed<'p> {
    path: &'p PathStack,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Series;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Series, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = Series;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a series object `{labels, samples}`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Series, A::Error> {
        let mut labels = BTreeMap::new();
        let mut columns = Columns::default();
        let mut has_samples = false;
        while let Some(key) = map.next_key::<String>()? {
            self.path.push(key_seg(&key));
            match key.as_str() {
                "labels" => labels = map.next_value::<BTreeMap<String, String>>()?,
                "samples" => {
                    map.next_value_seed(SamplesSeed {
                        path: self.path,
                        columns: &mut columns,
                    })?;
                    has_samples = true;
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown key `{other}` in a series (expected `labels` and `samples`)"
                    )));
                }
            }
            self.path.pop();
        }
        if !has_samples {
            return Err(de::Error::custom("missing required key `samples`"));
        }
        Ok(Series::new(labels, columns.times, columns.values))
    }
}

/// The columns of one series while it is read.
#[derive(Default)]
struct Columns {
    times: Vec<f64>,
    values: Vec<f64>,
}

/// Pushes `[time, value]` pairs into the series' columns.
struct SamplesSeed<'p, 's> {
    path: &'p PathStack,
    columns: &'s mut Columns,
}

impl<'de> DeserializeSeed<'de> for SamplesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of `[time, value]` samples")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let n = seq.size_hint().unwrap_or(self.path.last_len.get());
        self.columns.times.reserve(n);
        self.columns.values.reserve(n);
        // The sample's place in the path is written only when reading it fails (a write per
        // sample costs more than the rest of this loop).
        let mut i = 0;
        loop {
            let pair = seq
                .next_element_seed(PairSeed {
                    path: self.path,
                    index: i,
                })
                .inspect_err(|_| {
                    if self.path.sample.get().is_none() {
                        self.path.sample.set(Some((i, 0)));
                    }
                })?;
            let Some((t, v)) = pair else { break };
            self.columns.times.push(t);
            self.columns.values.push(v);
            i += 1;
        }
        self.path.last_len.set(i);
        Ok(())
    }
}

struct PairSeed<'p> {
    path: &'p PathStack,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for PairSeed<'_> {
    type Value = (f64, f64);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(f64, f64), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PairSeed<'_> {
    type Value = (f64, f64);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sample `[time, value]`")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(f64, f64), A::Error> {
        // On failure, the path names item 0 until the time is read, item 1 after.
        let t = match seq.next_element_seed(TimeSeed) {
            Ok(Some(t)) => t,
            other => {
                self.path.sample.set(Some((self.index, 0)));
                return Err(other.err().unwrap_or_else(short_sample));
            }
        };
        match value_and_end(&mut seq) {
            Ok(v) => Ok((t, v)),
            Err(e) => {
                self.path.sample.set(Some((self.index, 1)));
                Err(e)
            }
        }
    }
}

/// The value of a sample, and that nothing follows it.
fn value_and_end<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<f64, A::Error> {
    let v = seq.next_element_seed(ValueSeed)?.ok_or_else(short_sample)?;
    if seq.next_element::<de::IgnoredAny>()?.is_some() {
        return Err(short_sample());
    }
    Ok(v)
}

fn short_sample<E: de::Error>() -> E {
    E::custom("a sample is `[time, value]`: two items")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spec_example() {
        let json = br#"{
          "version": 1, "taken_at": "2026-11-22T12:00:00Z", "environment": "production",
          "stage": "external-5", "stage_entered_at": "2026-11-21T09:00:00Z",
          "series": {
            "auth_error_rate": [
              { "labels": { "surface": "web" },
                "samples": [[1763805600, 0.0004], ["2026-11-22T11:01:00Z", "0.0005"]] }
            ],
            "slow_consumer_evicted": { "samples": [[1763805660, 1], [1763805600, 0]] }
          },
          "records": { "jobs": [ { "id": "j1", "cohort": "canary" } ] },
          "evidence": { "auth_error_rate": { "source": "prometheus", "query": "q" } }
        }"#;
        let s = from_json(json).unwrap();
        assert_eq!(s.taken_at, Some(1_795_348_800.0));
        let web = &s.series["auth_error_rate"][0];
        assert_eq!(web.labels["surface"], "web");
        assert_eq!(&web.values[..], &[0.0004, 0.0005]);
        let ev = &s.series["slow_consumer_evicted"][0];
        assert_eq!(
            &ev.times[..],
            &[1_763_805_600.0, 1_763_805_660.0],
            "sorted on load"
        );
        assert_eq!(s.records["jobs"].len(), 1);
        assert_eq!(s.evidence["auth_error_rate"].source, "prometheus");
    }

    #[test]
    fn errors_name_the_json_path() {
        let json = br#"{"version": 1, "series": {"m": [{"samples": [[1, 2]]}, {"labels": {"a": "b"}, "samples": [[1, 2], [2, "x"]]}]}}"#;
        let e = from_json(json).unwrap_err();
        assert_eq!(e.path, "$.series.m[1].samples[1][1]");
        assert!(e.message.contains("`x` is not a number"), "{}", e.message);

        let e = from_json(br#"{"version": 1, "series": {"m": {"samples": [["soon", 1]]}}}"#)
            .unwrap_err();
        assert_eq!(e.path, "$.series.m.samples[0][0]");

        let e = from_json(br#"{"series": {}}"#).unwrap_err();
        assert!(
            e.message.contains("missing required key `version`"),
            "{}",
            e.message
        );

        let s = from_json(br#"{"version": 1, "taken": 5}"#).unwrap();
        assert!(
            s.warnings[0].contains("did you mean `taken_at`"),
            "{:?}",
            s.warnings
        );

        let e =
            from_json(br#"{"version": 1, "series": {"m": {"samples": [[1, 2, 3]]}}}"#).unwrap_err();
        assert!(e.message.contains("two items"), "{}", e.message);

        assert!(from_json(br#"{"version": 1} x"#).is_err(), "trailing data");
        assert!(from_json(br#"{"version": 2}"#).is_err());
    }

    #[test]
    fn sample_errors_name_the_sample_and_item() {
        for (samples, path) in [
            ("[[1, 2], 5]", "$.series.m.samples[1][0]"),
            ("[[1, 2], []]", "$.series.m.samples[1][0]"),
            ("[[1, 2], [3]]", "$.series.m.samples[1][1]"),
            ("[[1, 2], [3, 4, 5]]", "$.series.m.samples[1][1]"),
            ("[[1, 2], [3, 4 5]]", "$.series.m.samples[1][1]"),
            ("[[1, 2], [null, 4]]", "$.series.m.samples[1][0]"),
            ("[[1, 2] 3]", "$.series.m.samples[1][0]"),
        ] {
            let json = format!(r#"{{"version": 1, "series": {{"m": {{"samples": {samples}}}}}}}"#);
            let e = from_json(json.as_bytes()).unwrap_err();
            assert_eq!(e.path, path, "{samples}: {}", e.message);
        }
        // A failure after the samples names no sample.
        let e = from_json(br#"{"version": 1, "series": {"m": {"samples": [[1, 2]], "x": 1}}}"#)
            .unwrap_err();
        assert_eq!(e.path, "$.series.m.x");
        // Series of different lengths read whole, whatever was reserved.
        let s = from_json(
            br#"{"version": 1, "series": {"a": {"samples": [[1, 1], [2, 2], [3, 3]]}, "b": {"samples": [[1, 1]]}, "c": {"samples": [[1, 1], [2, 2], [3, 3], [4, 4]]}}}"#,
        )
        .unwrap();
        let lens: Vec<usize> = s.series.values().map(|v| v[0].times.len()).collect();
        assert_eq!(lens, [3, 1, 4]);
    }

    #[test]
    fn reads_yaml_too() {
        let y = "version: 1\nseries:\n  m:\n    - labels: {surface: ios}\n      samples: [[1, 0.5], [2, NaN]]\n";
        let s = from_yaml(y).unwrap();
        assert_eq!(&s.series["m"][0].times[..], &[1.0, 2.0]);
        assert!(s.series["m"][0].values[1].is_nan());
    }
}
