//! Snapshot -> JSON (snapshot-v1), deterministic: what `rollgate fetch` writes and what
//! `rollgate run` keeps beside each report, so the decision can be replayed from it.

use std::fmt::Write;

use super::{Snapshot, format_time};

/// A time as JSON: whole seconds as integers, others with their fraction.
fn time(t: f64) -> String {
    if t.fract() == 0.0 && t.abs() < 9e15 {
        format!("{}", t as i64)
    } else {
        format!("{t}")
    }
}

/// A value as JSON: numbers, or `"NaN"`, `"+Inf"`, `"-Inf"` as Prometheus writes them.
fn value(v: f64) -> String {
    if v.is_nan() {
        "\"NaN\"".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "\"+Inf\"".into()
        } else {
            "\"-Inf\"".into()
        }
    } else if v.fract() == 0.0 && v.abs() < 9e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The snapshot as JSON text (one series per line, so diffs and reviews stay readable).
pub fn to_json(s: &Snapshot) -> String {
    let mut out = String::from("{\n  \"version\": 1");
    if let Some(t) = s.taken_at {
        let _ = write!(out, ",\n  \"taken_at\": {}", string(&format_time(t)));
    }
    if let Some(e) = &s.environment {
        let _ = write!(out, ",\n  \"environment\": {}", string(e));
    }
    if let Some(st) = &s.stage {
        let _ = write!(out, ",\n  \"stage\": {}", string(st));
    }
    if let Some(t) = s.stage_entered_at {
        let _ = write!(
            out,
            ",\n  \"stage_entered_at\": {}",
            string(&format_time(t))
        );
    }
    if let Some(t) = s.rollout_started_at {
        let _ = write!(
            out,
            ",\n  \"rollout_started_at\": {}",
            string(&format_time(t))
        );
    }
    if !s.params.is_empty() {
        out.push_str(",\n  \"params\": {");
        for (i, (k, v)) in s.params.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(out, "{sep}\n    {}: {}", string(k), string(v));
        }
        out.push_str("\n  }");
    }
    out.push_str(",\n  \"series\": {");
    for (i, (name, list)) in s.series.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n    {}: [",
            if i == 0 { "" } else { "," },
            string(name)
        );
        for (j, series) in list.iter().enumerate() {
            let labels = serde_json::to_string(&series.labels).unwrap_or_else(|_| "{}".into());
            let _ = write!(
                out,
                "{}\n      {{\"labels\": {labels}, \"samples\": [",
                if j == 0 { "" } else { "," }
            );
            for (k, (t, v)) in series.times.iter().zip(series.values.iter()).enumerate() {
                let _ = write!(
                    out,
                    "{}[{}, {}]",
                    if k == 0 { "" } else { ", " },
                    time(*t),
                    value(*v)
                );
            }
            out.push_str("]}");
        }
        out.push_str(if list.is_empty() { "]" } else { "\n    ]" });
    }
    out.push_str(if s.series.is_empty() { "}" } else { "\n  }" });
    for (key, json) in [
        ("records", serde_json::to_string_pretty(&s.records)),
        ("evidence", serde_json::to_string_pretty(&s.evidence)),
    ] {
        let json = json.unwrap_or_else(|_| "{}".into()).replace('\n', "\n  ");
        let _ = write!(out, ",\n  \"{key}\": {json}");
    }
    out.push_str("\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::from_json;
    use super::*;

    #[test]
    fn round_trips() {
        let json = br#"{"version": 1, "taken_at": "2026-11-22T12:00:00Z", "environment": "production",
          "series": {"m": [{"labels": {"a": "b"}, "samples": [[1, 0.5], [2.5, "NaN"], [3, "+Inf"], [4, 7]]}], "empty": []},
          "records": {"jobs": [{"id": 1}]},
          "evidence": {"m": {"source": "prometheus", "query": "up", "http_status": 200}}}"#;
        let s = from_json(json).unwrap();
        let text = to_json(&s);
        let again = from_json(text.as_bytes()).unwrap();
        assert_eq!(to_json(&again), text);
        assert_eq!(again.series["m"][0].times.len(), 4);
        assert!(again.series["m"][0].values[1].is_nan());
        assert!(
            text.contains("[1, 0.5], [2.5, \"NaN\"], [3, \"+Inf\"], [4, 7]"),
            "{text}"
        );
    }
}
