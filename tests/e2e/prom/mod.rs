//! The Prometheus source against a real Prometheus on loopback: `rollgate fetch` and
//! `rollgate run` on histories backfilled with `promtool tsdb create-blocks-from openmetrics`.
//!
//! Each test writes a history in OpenMetrics (scenarios of the seed runbooks, at fixed times in
//! the past), starts its own Prometheus (the harness in `common/prometheus.rs`) on a free
//! loopback port with those blocks, and runs rollgate with `--prometheus-url`, `--now` and
//! `--entered-at` (never the clock). With `CI=true` a missing `prometheus`/`promtool` fails the
//! test; locally the test is skipped with the reason printed. `.ci/run` installs both (Debian
//! package `prometheus`).
//!
//! This file holds what the scenarios share (running rollgate against the server, reading
//! snapshots); each scenario file below holds one topic.

mod bench;
mod failures;
mod fresh;
mod harness;
mod khala;
mod watch_replay;
mod weathervane;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

pub(crate) use crate::common::fixtures::fresh_dir;
pub(crate) use crate::common::prometheus::{OpenMetrics, Prometheus, grid, unix};
use crate::common::{Run, rollgate, root, run};
use khala::khala_at;
use weathervane::{WV_DEGRADED, WV_HEALTHY, weathervane_history, wv_at, wv_times};

// ------------------------------------------------------------------------------------------
// Running rollgate against the server
// ------------------------------------------------------------------------------------------

/// The test policy whose gates all read Prometheus (khala's SLO gates).
const KHALA_SLO: &str = "tests/fixtures/prometheus/khala-slo.yaml";
const KHALA: &str = "policies/khala-ws-only.yaml";
const WEATHERVANE: &str = "policies/weathervane-monitor.yaml";

/// The Prometheus metrics of khala-ws-only (and of the test policy): name and query as the
/// policy's folded YAML gives it.
const KHALA_QUERIES: [(&str, &str); 7] = [
    (
        "ws_auth_error_rate",
        r#"sum(rate(khala_ws_errors_total{code=~"401|403"}[5m])) / clamp_min(sum(rate(khala_ws_requests_total[5m])), 1e-9)"#,
    ),
    (
        "ws_stale_cursor_rate",
        r#"sum(rate(khala_ws_errors_total{code="410",reason="stale_cursor"}[5m])) / clamp_min(sum(rate(khala_ws_requests_total[5m])), 1e-9)"#,
    ),
    (
        "replay_bootstrap_latency_ms",
        "histogram_quantile(0.95, sum by (surface, le) (rate(khala_replay_bootstrap_duration_ms_bucket[5m])))",
    ),
    (
        "ws_reconnect_rate",
        "sum(rate(khala_ws_reconnects_total[5m]))",
    ),
    (
        "slow_consumer_eviction_rate",
        r#"60 * sum(rate(khala_ws_disconnects_total{cause="slow_consumer_evicted"}[5m]))"#,
    ),
    (
        "duplicate_messages_total",
        "sum by (surface) (khala_client_duplicate_messages_total)",
    ),
    (
        "delivery_lag_ms",
        "histogram_quantile(0.95, sum by (surface, le) (rate(khala_client_delivery_lag_ms_bucket[5m])))",
    ),
];

/// khala-ws-only's gates and guards at external-5 that read Prometheus only.
const KHALA_PROM_GATES: [&str; 11] = [
    "auth-error-budget",
    "stale-cursor-budget",
    "replay-latency",
    "replay-latency-budget",
    "reconnect-trend",
    "slow-consumer-evictions",
    "slow-consumer-growth",
    "near-real-time",
    "auth-errors-sustained",
    "reconnect-storm",
    "duplicate-free",
];

/// khala-ws-only's external-5 gates that read the runtime's fanout endpoint (http), which has no
/// server in these tests.
const KHALA_HTTP_GATES: [&str; 2] = ["fanout-evictions", "stale-cursor-topics"];

const WEATHERVANE_QUERIES: [(&str, &str); 4] = [
    (
        "worker_error_rate",
        r#"sum(rate(wvo_worker_operations_total{result="error", worker="active"}[1m])) / clamp_min(sum(rate(wvo_worker_operations_total{worker="active"}[1m])), 1e-9)"#,
    ),
    (
        "health_check_failed",
        r#"max(wvo_rollback_monitor_health_check_failed{worker="active"})"#,
    ),
    (
        "worker_memory_mb",
        r#"max(process_resident_memory_bytes{job="wvo-worker", worker="active"}) / 1048576"#,
    ),
    (
        "worker_fd_usage",
        r#"max(process_open_fds{job="wvo-worker", worker="active"} / process_max_fds{job="wvo-worker", worker="active"})"#,
    ),
];

/// A loopback address nothing listens on (the discard port).
const NOWHERE: &str = "http://127.0.0.1:9";

/// One evaluation: policy, environment, stage and the two times, always explicit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    pub policy: &'a str,
    pub env: &'a str,
    pub stage: &'a str,
    pub now: &'a str,
    pub entered_at: &'a str,
}

/// `rollgate SUBCOMMAND` for `at`, with an environment that cannot leak in: no
/// ROLLGATE_PROMETHEUS_URL or tokens from the caller, and a dead proxy (loopback exempt) so that
/// sources with no server here (khala's fanout endpoint) fail at once instead of reaching out.
pub(crate) fn rollgate_at(subcommand: &str, at: At<'_>) -> Command {
    rollgate_timeout(subcommand, at, "10s")
}

/// [`rollgate_at`] with another per-request `--timeout`.
fn rollgate_timeout(subcommand: &str, at: At<'_>, timeout: &str) -> Command {
    let mut cmd = rollgate();
    cmd.env_remove("ROLLGATE_PROMETHEUS_URL")
        .env_remove("ROLLGATE_SECRET_RUNTIME_ADMIN_TOKEN")
        .env_remove("ROLLGATE_PROMETHEUS_TOKEN")
        .env_remove("ROLLGATE_PROMETHEUS_USER")
        .env_remove("ROLLGATE_PROMETHEUS_PASSWORD")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN");
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        cmd.env(var, NOWHERE).env(var.to_ascii_lowercase(), NOWHERE);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    cmd.args([
        subcommand,
        "--policy",
        at.policy,
        "--env",
        at.env,
        "--stage",
        at.stage,
        "--now",
        at.now,
        "--entered-at",
        at.entered_at,
        "--timeout",
        timeout,
    ]);
    cmd
}

/// `rollgate fetch --out DIR/NAME`: the run and the snapshot it wrote.
pub(crate) fn fetch(at: At<'_>, url: Option<&str>, dir: &Path, name: &str) -> (Run, Value) {
    let out_path = dir.join(name);
    let mut cmd = rollgate_at("fetch", at);
    cmd.arg("--out").arg(&out_path);
    if let Some(url) = url {
        cmd.args(["--prometheus-url", url]);
    }
    fetch_with(cmd, &out_path)
}

fn fetch_with(mut cmd: Command, out_path: &Path) -> (Run, Value) {
    let out = run(&mut cmd);
    let text = std::fs::read_to_string(out_path).unwrap_or_else(|e| {
        panic!(
            "fetch wrote no snapshot ({e}); exit {}\n{}\n{}",
            out.code, out.stdout, out.stderr
        )
    });
    let snapshot = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the snapshot is not JSON ({e}):\n{text}"));
    (out, snapshot)
}

/// What `rollgate run --format json --report-dir DIR` gave: the run, the decision and the
/// snapshot written beside the report.
#[derive(Debug)]
pub(crate) struct Ran {
    pub out: Run,
    pub decision: Value,
    pub snapshot: Value,
}

impl Ran {
    fn gate(&self, id: &str) -> &Value {
        gate(&self.decision, id)
    }

    fn status(&self, id: &str) -> &str {
        self.gate(id)["status"].as_str().unwrap_or("")
    }

    pub(crate) fn verdict(&self) -> &str {
        self.decision["verdict"].as_str().unwrap_or("")
    }

    /// Asserts gate statuses, showing every gate's status and message when one differs.
    pub(crate) fn assert_statuses(&self, ids: &[&str], want: &str) {
        for id in ids {
            assert_eq!(
                self.status(id),
                want,
                "gate {id}: {}\nall gates:\n{}",
                self.gate(id),
                summary(&self.decision)
            );
        }
    }
}

pub(crate) fn gate<'a>(decision: &'a Value, id: &str) -> &'a Value {
    decision["gates"]
        .as_array()
        .and_then(|gates| gates.iter().find(|g| g["id"] == id))
        .unwrap_or_else(|| panic!("no gate {id} in the decision:\n{decision:#}"))
}

/// One line per gate: id, status, value, message.
pub(crate) fn summary(decision: &Value) -> String {
    let mut out = String::new();
    for g in decision["gates"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {} {} value={} {}",
            g["id"].as_str().unwrap_or("?"),
            g["status"].as_str().unwrap_or("?"),
            g["value"],
            g["message"].as_str().unwrap_or("")
        );
    }
    out
}

pub(crate) fn run_at(at: At<'_>, url: Option<&str>, dir: &Path) -> Ran {
    let mut cmd = rollgate_at("run", at);
    if let Some(url) = url {
        cmd.args(["--prometheus-url", url]);
    }
    run_with(cmd, dir)
}

fn run_with(mut cmd: Command, dir: &Path) -> Ran {
    cmd.args(["--format", "json", "--report-dir"]).arg(dir);
    let out = run(&mut cmd);
    let decision: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "run printed no decision ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
            out.code, out.stdout, out.stderr
        )
    });
    let report = decision["report"]
        .as_str()
        .unwrap_or_else(|| panic!("the decision names no report:\n{decision:#}"));
    let report = root().join(report);
    assert!(report.is_file(), "no report at {}", report.display());
    let beside = report.with_extension("snapshot.json");
    let text = std::fs::read_to_string(&beside)
        .unwrap_or_else(|e| panic!("no snapshot beside the report ({}): {e}", beside.display()));
    let snapshot: Value = serde_json::from_str(&text).expect("the kept snapshot is JSON");
    // The decision, as JSON, beside the report too.
    assert!(report.with_extension("json").is_file());
    Ran {
        out,
        decision,
        snapshot,
    }
}

/// A sample's time (unix seconds or RFC 3339) and value (number or numeric string).
fn sample(pair: &Value) -> (f64, f64) {
    let time = match &pair[0] {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse::<jiff::Timestamp>().map_or_else(
            |_| s.parse().unwrap(),
            |t| t.as_millisecond() as f64 / 1000.0,
        ),
        other => panic!("a sample time {other}"),
    };
    let value = match &pair[1] {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("a sample value {s:?}")),
        other => panic!("a sample value {other}"),
    };
    (time, value)
}

/// A snapshot's series of one metric: labels and samples, whichever form it was written in.
pub(crate) fn series(snapshot: &Value, metric: &str) -> Vec<(Value, Vec<(f64, f64)>)> {
    let entry = &snapshot["series"][metric];
    let list = match entry {
        Value::Array(list) => list.clone(),
        Value::Object(_) => vec![entry.clone()],
        _ => panic!(
            "no series {metric} in the snapshot:\n{}",
            snapshot["series"]
        ),
    };
    list.iter()
        .map(|s| {
            let samples = s["samples"]
                .as_array()
                .unwrap_or_else(|| panic!("{metric}: no samples: {s}"))
                .iter()
                .map(sample)
                .collect();
            (s["labels"].clone(), samples)
        })
        .collect()
}

/// The series of `metric` whose label `key` is `value`.
fn series_where(snapshot: &Value, metric: &str, key: &str, value: &str) -> Vec<(f64, f64)> {
    series(snapshot, metric)
        .into_iter()
        .find(|(labels, _)| labels[key] == value)
        .unwrap_or_else(|| panic!("{metric}: no series with {key}={value}"))
        .1
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The evidence of a metric fetched from Prometheus at `base`: source, the policy's query,
/// the URL (without credentials), when, HTTP 200, the digest of the answer, no error.
fn assert_prom_evidence(snapshot: &Value, metric: &str, query: &str, base: &str) {
    let ev = &snapshot["evidence"][metric];
    assert_eq!(ev["source"], "prometheus", "{metric}: {ev:#}");
    assert_eq!(ev["query"], query, "{metric}: {ev:#}");
    let url = ev["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{metric}: no url: {ev:#}"));
    assert!(
        url.starts_with(base),
        "{metric}: url {url} is not on {base}"
    );
    let fetched_at = ev["fetched_at"].as_str().unwrap_or("");
    assert!(
        fetched_at.parse::<jiff::Timestamp>().is_ok(),
        "{metric}: fetched_at {fetched_at:?} is not RFC 3339"
    );
    assert_eq!(ev["http_status"], 200, "{metric}: {ev:#}");
    let digest = ev["sha256"].as_str().unwrap_or("");
    assert!(is_sha256(digest), "{metric}: sha256 {digest:?}");
    assert!(
        ev.get("warnings").is_none_or(Value::is_array),
        "{metric}: warnings is not a list: {ev:#}"
    );
    assert!(ev.get("error").is_none(), "{metric}: {ev:#}");
}

/// Every value of `samples` within `tol` of `want`.
fn assert_all_near(what: &str, samples: &[(f64, f64)], want: f64, tol: f64) {
    assert!(!samples.is_empty(), "{what}: no samples");
    for &(t, v) in samples {
        assert!((v - want).abs() <= tol, "{what}: {v} at {t}, want {want}");
    }
}
