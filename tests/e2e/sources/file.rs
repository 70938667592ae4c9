//! The file source: JSON and CSV records and metrics; a missing or malformed file is an error.

use super::*;

// --- file ------------------------------------------------------------------------------------

#[test]
fn file_json_records_and_metrics() {
    let case = Case::new("file-json");
    let jobs = json!([
        {"id": "j1", "cohort": "canary", "payment_status": "completed"},
        {"id": "j2", "cohort": "control", "latency_ms": 95.5}
    ]);
    case.write(
        "artifacts/jobs.json",
        &json!({"jobs": jobs, "count": 2}).to_string(),
    );
    case.write(
        "artifacts/lag.json",
        r#"{"series": {"lag": [[1795348680, 12], ["2026-11-22T11:59:00Z", "14.5"]]}}"#,
    );
    case.policy(
        r#"metrics:
  lag:
    source:
      file: { path: artifacts/lag.json, pointer: /series/lag }
records:
  jobs:
    source:
      file: { path: artifacts/jobs.json, format: json, pointer: /jobs }
gates:
  lag-low: { metric: lag, max: 100 }
  paid:
    records: jobs
    where: { cohort: canary }
    expect: { payment_status: completed }
stages:
  - id: canary
    gates: [lag-low, paid]
"#,
    );
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(f.snap["records"]["jobs"], jobs, "{}", f.text);
    let mut got = samples(&f.snap, "lag");
    got.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(got, [(NOW_S - 120.0, 12.0), (NOW_S - 60.0, 14.5)]);
    for name in ["lag", "jobs"] {
        assert_eq!(f.snap["evidence"][name]["source"], "file", "{}", f.text);
    }

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
}

/// A case with three CSV files (records `jobs`, metric `latency` with a `surface` label,
/// metric `errors` from a `.txt` read as CSV) and a policy reading them.
fn csv_case() -> Case {
    let case = Case::new("file-csv");
    case.write(
        "artifacts/jobs.csv",
        "id,cohort,latency_ms,backend\nj1,canary,120,kodosumi\nj2,control,95.5,default\n",
    );
    case.write(
        "artifacts/latency.csv",
        "time,value,surface\n2026-11-22T11:58:00Z,180,web\n2026-11-22T11:59:00Z,190,web\n2026-11-22T11:59:00Z,210,ios\n",
    );
    // `format: csv` whatever the extension.
    case.write(
        "artifacts/errors.txt",
        "time,value\n2026-11-22T11:59:00Z,0.001\n2026-11-22T12:00:00Z,0.002\n",
    );
    case.policy(
        r#"metrics:
  latency:
    source:
      file: { path: artifacts/latency.csv }
  errors:
    source:
      file: { path: artifacts/errors.txt, format: csv }
records:
  jobs:
    source:
      file: { path: artifacts/jobs.csv }
gates:
  latency-ok: { metric: latency, max: 500 }
  errors-ok: { metric: errors, max: 0.01 }
  fast: { records: jobs, expect: { latency_ms: { max: 200 } } }
stages:
  - id: canary
    gates: [latency-ok, errors-ok, fast]
"#,
    );
    case
}

/// The samples of `latency` by their `surface` label (the only label), sorted by time.
fn latency_by_surface(snap: &Value) -> BTreeMap<String, Vec<(f64, f64)>> {
    let mut by_surface: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (labels, s) in series(snap, "latency") {
        let key = labels.get("surface").cloned().unwrap_or_default();
        assert_eq!(labels.len(), 1, "{labels:?}");
        by_surface.entry(key).or_default().extend(s);
    }
    for s in by_surface.values_mut() {
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    by_surface
}

#[test]
fn file_csv_records_and_metrics() {
    let case = csv_case();
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let recs = records(&f.snap, "jobs");
    assert_eq!(recs.len(), 2, "{}", f.text);
    assert_eq!(recs[0]["id"], "j1");
    assert_eq!(recs[0]["cohort"], "canary");
    assert_eq!(recs[0]["latency_ms"].as_f64(), Some(120.0), "a number");
    assert_eq!(recs[0]["backend"], "kodosumi");
    assert_eq!(recs[1]["latency_ms"].as_f64(), Some(95.5), "a number");

    assert_eq!(
        latency_by_surface(&f.snap),
        BTreeMap::from([
            ("ios".to_string(), vec![(NOW_S - 60.0, 210.0)]),
            (
                "web".to_string(),
                vec![(NOW_S - 120.0, 180.0), (NOW_S - 60.0, 190.0)]
            ),
        ]),
        "{}",
        f.text
    );
    let mut errors = samples(&f.snap, "errors");
    errors.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(errors, [(NOW_S - 60.0, 0.001), (NOW_S, 0.002)]);

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
}

#[test]
fn file_missing_or_malformed_is_an_error() {
    let case = Case::new("file-missing");
    case.write("artifacts/broken.json", r#"{"jobs": [{"id": "j1"}"#);
    case.policy(
        r#"records:
  gone:
    source:
      file: { path: artifacts/nope.json }
  broken:
    source:
      file: { path: artifacts/broken.json, pointer: /jobs }
gates:
  gone-ok: { records: gone, expect: { id: { present: true } } }
  broken-ok: { records: broken, expect: { id: { present: true } } }
stages:
  - id: canary
    gates: [gone-ok, broken-ok]
"#,
    );
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("gone")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.contains("nope.json"), "{err}");
    assert!(f.error("broken").is_some(), "{}", f.text);
    assert_no_data(&f, "gone");
    assert_no_data(&f, "broken");

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "gone-ok"), "error");
    assert_eq!(gate_status(&decision, "broken-ok"), "error");
}
