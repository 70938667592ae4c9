//! 100 range queries make one snapshot (no timing assertion: the time is printed).

use std::fmt::Write as _;
use std::time::Instant;

use super::*;
use crate::common::prometheus::http_get;

// ------------------------------------------------------------------------------------------
// 100 range queries (no timing assertion: the time is printed)
// ------------------------------------------------------------------------------------------

const BENCH_NOW: &str = "2026-11-18T12:00:00Z";
const BENCH_METRICS: usize = 100;

/// A policy with 100 Prometheus metrics `m{i="K"}`, each read by a one-hour gate.
fn bench_policy() -> String {
    let mut p = String::from(
        "version: 1\npolicy: prom-bench\ntitle: 100 Prometheus metrics\nowner: e2e\n\
         environments: [production]\nmetrics:\n",
    );
    for i in 0..BENCH_METRICS {
        let _ = writeln!(
            p,
            "  m{i}:\n    source:\n      prometheus: {{ query: 'm{{i=\"{i}\"}}', url: \"{NOWHERE}\" }}"
        );
    }
    p.push_str("gates:\n");
    for i in 0..BENCH_METRICS {
        let _ = writeln!(
            p,
            "  g{i}:\n    metric: m{i}\n    window: 1h\n    aggregate: max\n    max: 1000000\n    min_samples: 200"
        );
    }
    p.push_str("stages:\n  - id: bench\n    gates:\n");
    for i in 0..BENCH_METRICS {
        let _ = writeln!(p, "      - g{i}");
    }
    p
}

/// `m{i="K"}` at sample `j` (every 15 s).
fn bench_value(i: usize, j: i64) -> f64 {
    (i * 1000) as f64 + j as f64
}

/// Two hours of `m{i="K"}` for every metric, every 15 s, up to `now`.
fn bench_history(from: i64, now: i64) -> String {
    let times = grid(from, now, 15);
    let mut om = OpenMetrics::default();
    om.family("m", "gauge");
    for i in 0..BENCH_METRICS {
        om.gauge(&format!(r#"m{{i="{i}"}}"#), &times, |t| {
            bench_value(i, (t - from) / 15)
        });
    }
    om.finish()
}

#[test]
fn hundred_range_queries_make_one_snapshot() {
    let now = unix(BENCH_NOW);
    let from = now - 2 * 3600;
    let Some(prom) = Prometheus::start(&bench_history(from, now)) else {
        return;
    };
    let dir = fresh_dir("bench");
    let policy = dir.join("bench.yaml");
    std::fs::write(&policy, bench_policy()).unwrap();
    let policy = policy.to_str().unwrap().to_string();
    let entered = jiff::Timestamp::from_second(now - 3600)
        .unwrap()
        .to_string();
    let at = At {
        policy: &policy,
        env: "production",
        stage: "bench",
        now: BENCH_NOW,
        entered_at: &entered,
    };

    let started = Instant::now();
    let (out, snapshot) = fetch(at, Some(&prom.url()), &dir, "bench.json");
    let elapsed = started.elapsed();
    eprintln!(
        "fetch of {BENCH_METRICS} range queries (1h at 15s) into one snapshot: {:.3} s wall \
         (target under 2 s)",
        elapsed.as_secs_f64()
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for i in 0..BENCH_METRICS {
        check_bench_series(&snapshot, i, now, from, &prom);
    }
    check_bench_eval(&policy, &entered, &dir.join("bench.json"));
    check_range_query(&snapshot, now);
}

/// Metric `m{i}` holds the whole hour, every 15 s, to `now`, with the values written; every
/// 25th metric's digest is checked against Prometheus's answer to the very request its
/// evidence names.
fn check_bench_series(snapshot: &Value, i: usize, now: i64, from: i64, prom: &Prometheus) {
    use sha2::{Digest, Sha256};
    let metric = format!("m{i}");
    let query = format!(r#"m{{i="{i}"}}"#);
    assert_prom_evidence(snapshot, &metric, &query, &prom.url());
    let all = series(snapshot, &metric);
    assert_eq!(all.len(), 1, "{metric}");
    let (labels, samples) = &all[0];
    assert_eq!(
        labels,
        &serde_json::json!({ "i": i.to_string() }),
        "{metric}"
    );
    assert_eq!(samples.last().map(|s| s.0), Some(now as f64), "{metric}");
    let start = now - 3600;
    assert!(
        samples[0].0 <= start as f64,
        "{metric}: starts at {}",
        samples[0].0
    );
    for pair in samples.windows(2) {
        assert_eq!(pair[1].0 - pair[0].0, 15.0, "{metric}: {pair:?}");
    }
    for &(t, v) in samples {
        let j = (t as i64 - from) / 15;
        assert_eq!(v, bench_value(i, j), "{metric} at {t}");
    }
    if i.is_multiple_of(25) {
        let url = snapshot["evidence"][&metric]["url"].as_str().unwrap();
        let (status, body) = http_get(prom.port, &url[prom.url().len()..]).unwrap();
        assert_eq!(status, 200);
        let digest = format!("{:x}", Sha256::digest(body.as_bytes()));
        assert_eq!(
            snapshot["evidence"][&metric]["sha256"], digest,
            "{metric}: the digest is not that of the answer to {url}"
        );
    }
}

/// The snapshot evaluates: GO, every gate over the 240 samples of its hour (now - 1h, now].
fn check_bench_eval(policy: &str, entered: &str, snapshot: &std::path::Path) {
    let mut cmd = rollgate();
    cmd.args(["eval", "--policy", policy, "--env", "production"])
        .args(["--stage", "bench", "--entered-at", entered])
        .args(["--format", "json", "--no-report", "--snapshot"])
        .arg(snapshot);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let decision: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(decision["verdict"], "go");
    let gates = decision["gates"].as_array().unwrap();
    assert_eq!(gates.len(), BENCH_METRICS);
    for g in gates {
        assert_eq!(g["status"], "pass", "{g:#}");
        assert_eq!(g["samples"], 240, "{g:#}");
    }
}

/// The range query is `start = now - range`, `end = now`, `step` 15 s: 241 points.
fn check_range_query(snapshot: &Value, now: i64) {
    let start = now - 3600;
    let url = snapshot["evidence"]["m0"]["url"].as_str().unwrap();
    let params: Vec<&str> = url.split_once('?').map_or("", |q| q.1).split('&').collect();
    for want in [
        format!("start={start}"),
        format!("end={now}"),
        "step=15".to_string(),
    ] {
        assert!(
            params.contains(&want.as_str()),
            "the range query is not {want}: {url}"
        );
    }
    assert_eq!(series(snapshot, "m0")[0].1.len(), 241);
}
