//! The Prometheus source against a real Prometheus on loopback: `rollgate fetch` and
//! `rollgate run` on histories backfilled with `promtool tsdb create-blocks-from openmetrics`.
//!
//! Each test writes a history in OpenMetrics (scenarios of the seed runbooks, at fixed times in
//! the past), starts its own Prometheus on a free loopback port with those blocks, and runs
//! rollgate with `--prometheus-url`, `--now` and `--entered-at` (never the clock). With `CI=true`
//! a missing `prometheus`/`promtool` fails the test; locally the test is skipped with the reason
//! printed. `.ci/run` installs both (Debian package `prometheus`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Run, rollgate, root, run};

// ------------------------------------------------------------------------------------------
// The harness
// ------------------------------------------------------------------------------------------

/// How long a Prometheus may take to become ready and serve its backfilled series.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A Prometheus serving a backfilled history on `127.0.0.1:port`; killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

/// Whether this is a CI run (`CI=true`, or any value but `false`/`0`): tools must be there.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// `name` on `PATH`, as the shell would find it.
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// A fresh directory for one Prometheus: unique, as tests run in parallel; removed when the
/// server is dropped (kept when a test fails, for a look at its TSDB and log).
fn tsdb_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("prom-tsdb-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// A fresh directory for one test's reports and snapshots (named by test, emptied first).
pub(crate) fn fresh_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("prom-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// The distinct series of an OpenMetrics text (`name{labels}` of each sample line) and the
/// first and last sample time (seconds).
fn series_of(openmetrics: &str) -> (BTreeSet<&str>, f64, f64) {
    let mut series = BTreeSet::new();
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for line in openmetrics.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = line.rsplitn(3, ' ');
        let (Some(ts), Some(_value), Some(key)) = (fields.next(), fields.next(), fields.next())
        else {
            panic!("OpenMetrics sample without a timestamp: {line}");
        };
        let ts: f64 = ts
            .parse()
            .unwrap_or_else(|_| panic!("bad timestamp: {line}"));
        first = first.min(ts);
        last = last.max(ts);
        series.insert(key);
    }
    (series, first, last)
}

/// The end of a log file, for failure messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

impl Prometheus {
    /// Backfills `openmetrics` (samples with timestamps in seconds, ending with `# EOF`) into a
    /// fresh TSDB and starts Prometheus on it. `None` (with the reason printed) when
    /// `prometheus` or `promtool` is missing outside CI; with `CI=true` that panics.
    pub fn start(openmetrics: &str) -> Option<Prometheus> {
        let (Some(prometheus), Some(promtool)) = (tool("prometheus"), tool("promtool")) else {
            let reason = "`prometheus` and `promtool` are not on PATH (Debian package \
                          `prometheus`; .ci/run installs it)";
            assert!(
                !in_ci(),
                "CI=true and the Prometheus tests cannot run: {reason}"
            );
            eprintln!("skipped: {reason}");
            return None;
        };
        let (series, first, last) = series_of(openmetrics);
        assert!(!series.is_empty(), "an empty history");
        let dir = tsdb_dir();
        let input = dir.join("history.om");
        let data = dir.join("data");
        std::fs::write(&input, openmetrics).expect("write the history");
        let out = Command::new(&promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&input)
            .arg(&data)
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool tsdb create-blocks-from openmetrics failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            "# No scrape targets: this Prometheus serves a backfilled history only.\n\
             global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        )
        .expect("write prometheus.yml");

        // The port is free when chosen and taken by Prometheus a moment later; another process
        // may win that race, so try again on a new port when the address is in use.
        for _ in 0..3 {
            let port = free_port();
            let log_path = dir.join(format!("prometheus-{port}.log"));
            let log = std::fs::File::create(&log_path).expect("create the log");
            let child = Command::new(&prometheus)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--storage.tsdb.retention.time=100y")
                .arg("--query.lookback-delta=5m")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .expect("prometheus starts");
            let mut prom = Prometheus {
                child: Some(child),
                port,
                dir: dir.clone(),
            };
            match prom.wait_ready(series.len(), first, last) {
                Ok(()) => return Some(prom),
                Err(why) => {
                    prom.stop();
                    let log = tail(&log_path);
                    if log.contains("address already in use") {
                        continue;
                    }
                    panic!("Prometheus on port {port} did not come up: {why}\n{log}");
                }
            }
        }
        panic!("Prometheus found no free loopback port in three tries");
    }

    /// Waits until `/-/ready` answers 200 and `/api/v1/series` lists every backfilled series.
    fn wait_ready(&mut self, expected: usize, first: f64, last: f64) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let series_path = format!(
            "/api/v1/series?match[]={}&start={first}&end={last}",
            encode(r#"{__name__=~".+"}"#)
        );
        let mut last_state = String::from("not started");
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("prometheus exited: {status}"));
            }
            match http_get(self.port, "/-/ready") {
                Ok((200, _)) => match http_get(self.port, &series_path) {
                    Ok((200, body)) => {
                        let found = serde_json::from_str::<Value>(&body)
                            .ok()
                            .and_then(|v| v["data"].as_array().map(Vec::len))
                            .unwrap_or(0);
                        if found == expected {
                            return Ok(());
                        }
                        last_state = format!("{found} of {expected} series queryable");
                    }
                    Ok((status, body)) => last_state = format!("series: HTTP {status}: {body}"),
                    Err(e) => last_state = format!("series: {e}"),
                },
                Ok((status, _)) => last_state = format!("/-/ready: HTTP {status}"),
                Err(e) => last_state = format!("/-/ready: {e}"),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "not ready within {READY_TIMEOUT:?} (last: {last_state})"
        ))
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server: its port refuses connections afterwards.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `GET /api/v1/query_range` (times in unix seconds, step in seconds): status and body.
    pub fn query_range(&self, query: &str, start: i64, end: i64, step: i64) -> (u16, String) {
        let path = format!(
            "/api/v1/query_range?query={}&start={start}&end={end}&step={step}",
            encode(query)
        );
        http_get(self.port, &path).unwrap_or_else(|e| panic!("query_range {query}: {e}"))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
        // A failed test keeps its TSDB and log for a look.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One HTTP/1.1 GET to `127.0.0.1:port` over a plain TCP stream: status and body (chunked
/// transfer coding undone).
fn http_get(port: u16, path: &str) -> io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body).ok_or_else(|| bad("bad chunked body"))?
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

// ------------------------------------------------------------------------------------------
// Histories in OpenMetrics
// ------------------------------------------------------------------------------------------

/// Unix seconds of an RFC 3339 time.
pub(crate) fn unix(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .as_second()
}

/// An OpenMetrics text, one metric family after the other.
#[derive(Debug, Default)]
pub(crate) struct OpenMetrics(String);

impl OpenMetrics {
    pub(crate) fn family(&mut self, name: &str, kind: &str) {
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    /// A counter series starting at 0 at `times[0]`; `increment(t)` is what it grows by from
    /// the sample before `t` to the sample at `t`.
    pub(crate) fn counter(&mut self, series: &str, times: &[i64], increment: impl Fn(i64) -> f64) {
        let mut value = 0.0;
        for (k, &t) in times.iter().enumerate() {
            if k > 0 {
                value += increment(t);
            }
            let _ = writeln!(self.0, "{series} {value} {t}");
        }
    }

    pub(crate) fn gauge(&mut self, series: &str, times: &[i64], value: impl Fn(i64) -> f64) {
        for &t in times {
            let _ = writeln!(self.0, "{series} {} {t}", value(t));
        }
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push_str("# EOF\n");
        self.0
    }
}

/// Sample times from `from` to `to` (inclusive), every `every` seconds.
pub(crate) fn grid(from: i64, to: i64, every: i64) -> Vec<i64> {
    (from..=to)
        .step_by(usize::try_from(every).unwrap())
        .collect()
}

#[test]
fn harness_serves_a_backfilled_history() {
    let from = unix("2026-11-16T00:00:00Z");
    let times = grid(from, from + 3 * 3600, 60);
    let mut om = OpenMetrics::default();
    om.family("demo_requests", "counter");
    om.counter(r#"demo_requests_total{surface="web"}"#, &times, |_| 120.0);
    om.family("demo_temperature", "gauge");
    om.gauge(r#"demo_temperature{room="a b"}"#, &times, |t| {
        ((t - from) / 60) as f64
    });
    let Some(prom) = Prometheus::start(&om.finish()) else {
        return;
    };
    let (status, body) = prom.query_range(
        "sum(rate(demo_requests_total[5m]))",
        from + 3600,
        from + 7200,
        60,
    );
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let result = v["data"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "{body}");
    let values = result[0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 61);
    for pair in values {
        let rate: f64 = pair[1].as_str().unwrap().parse().unwrap();
        assert!((rate - 2.0).abs() < 1e-9, "{pair}");
    }
    let (status, body) = prom.query_range(r#"demo_temperature{room="a b"}"#, from, from + 600, 120);
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let values: Vec<(i64, String)> = v["data"]["result"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_i64().unwrap(), p[1].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(i64, String)> = (0..=5)
        .map(|k| (from + 120 * k, (2 * k).to_string()))
        .collect();
    assert_eq!(values, want);
    // Stopped, the port refuses connections.
    let port = prom.port;
    let mut prom = prom;
    prom.stop();
    assert!(http_get(port, "/-/ready").is_err());
}

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

// ------------------------------------------------------------------------------------------
// Seed 001 (khala WS-only): a business day at external-5
// ------------------------------------------------------------------------------------------

/// Thursday 09:00 in New York: the 5% stage starts.
const K_ENTERED: &str = "2026-11-19T14:00:00Z";
/// Friday 10:00 in New York: one business day and an hour later.
const K_NOW: &str = "2026-11-20T15:00:00Z";

const SURFACES: [&str; 3] = ["web", "desktop", "ios"];
/// Bucket bounds of the replay bootstrap histogram (ms).
const REPLAY_LE: [&str; 9] = [
    "50", "100", "200", "300", "400", "500", "750", "1000", "+Inf",
];
/// Bucket bounds of the delivery lag histogram (ms).
const LAG_LE: [&str; 6] = ["100", "250", "500", "1000", "2500", "+Inf"];

/// What differs from a green day.
#[derive(Debug, Clone, Copy, Default)]
struct KhalaDay {
    /// From this time on, iOS replay bootstraps slow down (p95 470 ms; ceiling 400 ms).
    ios_regression_from: Option<i64>,
    /// Slow-consumer evictions grow steadily, from 0 to 4 a minute (under the 5/min bound).
    growing_evictions: bool,
}

/// Observations a minute in each replay bucket (not cumulative), per surface: p95 is
/// 193.75 ms on web (100 + 100 * 270/288), 292.4 ms on desktop, 379.5 ms on iOS (300 + 100 *
/// 70/88) and, regressed, 470 ms on iOS (400 + 100 * 70/100).
fn replay_per_minute(surface: &str, regressed: bool) -> [f64; 9] {
    match (surface, regressed) {
        ("web", _) => [100.0, 200.0, 288.0, 12.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ("desktop", _) => [50.0, 100.0, 200.0, 238.0, 12.0, 0.0, 0.0, 0.0, 0.0],
        (_, false) => [20.0, 80.0, 200.0, 200.0, 88.0, 12.0, 0.0, 0.0, 0.0],
        (_, true) => [10.0, 40.0, 100.0, 150.0, 200.0, 100.0, 0.0, 0.0, 0.0],
    }
}

/// Expected replay p95 per surface on a green day.
const REPLAY_P95: [(&str, f64); 3] = [
    ("web", 100.0 + 100.0 * 270.0 / 288.0),
    ("desktop", 200.0 + 100.0 * 220.0 / 238.0),
    ("ios", 300.0 + 100.0 * 70.0 / 88.0),
];
const IOS_REGRESSED_P95: f64 = 470.0;

/// A day of khala's WS metrics, one sample a minute, as the runtime and clients export them.
/// Green: 18,000 WS requests a minute (6,000 per surface), 7 auth errors (401/403) a minute
/// (ratio 3.9e-4, budget 1e-3), 18 stale cursors (1e-3, budget 2e-3), 600 rate-limited 429s
/// (which the queries must not count), reconnects easing off hour by hour, an eviction every
/// ten minutes (0.1-0.2/min) beside 300 ordinary disconnects a minute, a constant duplicate
/// count, delivery lag p95 468.75 ms (250 + 250 * 70/80).
fn khala_history(from: i64, to: i64, day: KhalaDay) -> String {
    let times = grid(from, to, 60);
    let minutes = |t: i64| (t - from) / 60;
    let mut om = OpenMetrics::default();
    om.family("khala_ws_requests", "counter");
    for surface in SURFACES {
        om.counter(
            &format!(r#"khala_ws_requests_total{{surface="{surface}"}}"#),
            &times,
            |_| 6000.0,
        );
    }
    om.family("khala_ws_errors", "counter");
    for (code, reason, per_minute) in [
        ("401", "unauthorized", 5.0),
        ("403", "forbidden_topic", 2.0),
        ("410", "stale_cursor", 18.0),
        ("429", "rate_limited", 600.0),
    ] {
        om.counter(
            &format!(r#"khala_ws_errors_total{{code="{code}",reason="{reason}"}}"#),
            &times,
            |_| per_minute,
        );
    }
    om.family("khala_ws_reconnects", "counter");
    om.counter("khala_ws_reconnects_total", &times, |t| {
        (90 - (t - from) / 3600) as f64
    });
    om.family("khala_ws_disconnects", "counter");
    om.counter(
        r#"khala_ws_disconnects_total{cause="slow_consumer_evicted"}"#,
        &times,
        |t| {
            if day.growing_evictions {
                (4 * (t - from) / (to - from)) as f64
            } else if minutes(t) % 10 == 0 {
                1.0
            } else {
                0.0
            }
        },
    );
    om.counter(
        r#"khala_ws_disconnects_total{cause="client_closed"}"#,
        &times,
        |_| 300.0,
    );
    om.family("khala_replay_bootstrap_duration_ms", "histogram");
    for surface in SURFACES {
        for (k, le) in REPLAY_LE.iter().enumerate() {
            om.counter(
                &format!(
                    r#"khala_replay_bootstrap_duration_ms_bucket{{surface="{surface}",le="{le}"}}"#
                ),
                &times,
                |t| {
                    let regressed =
                        surface == "ios" && day.ios_regression_from.is_some_and(|r| t > r);
                    replay_per_minute(surface, regressed)[..=k].iter().sum()
                },
            );
        }
    }
    om.family("khala_client_delivery_lag_ms", "histogram");
    for surface in SURFACES {
        let per_minute = [300.0, 200.0, 80.0, 20.0, 0.0, 0.0];
        for (k, le) in LAG_LE.iter().enumerate() {
            om.counter(
                &format!(r#"khala_client_delivery_lag_ms_bucket{{surface="{surface}",le="{le}"}}"#),
                &times,
                |_| per_minute[..=k].iter().sum(),
            );
        }
    }
    om.family("khala_client_duplicate_messages", "counter");
    for (surface, count) in [("web", 0.0), ("desktop", 0.0), ("ios", 2.0)] {
        om.gauge(
            &format!(r#"khala_client_duplicate_messages_total{{surface="{surface}"}}"#),
            &times,
            |_| count,
        );
    }
    om.finish()
}

fn khala_prometheus(day: KhalaDay) -> Option<Prometheus> {
    Prometheus::start(&khala_history(unix(K_ENTERED) - 3600, unix(K_NOW), day))
}

fn khala_at(policy: &str) -> At<'_> {
    At {
        policy,
        env: "production",
        stage: "external-5",
        now: K_NOW,
        entered_at: K_ENTERED,
    }
}

/// The runbook's policy on one day: the Prometheus-backed gates pass but for `failing`, which
/// fail; the fanout gates (an http source with no server here, and no token) are `error`. They
/// are `on_fail: warn` gates, whose thresholds never change the verdict (policy-v1), but their
/// source failed and missing data is never GO (cli.md): the verdict is NO-GO (exit 1), with a
/// blocker naming the failed source besides the failing gates, and the fanout gates among the
/// warnings.
/// Also the evidence of every Prometheus metric. Returns the run for more assertions.
fn khala_policy_run(prom: &Prometheus, dir: &Path, failing: &[&str]) -> Ran {
    let ran = run_at(khala_at(KHALA), Some(&prom.url()), dir);
    let passing: Vec<&str> = KHALA_PROM_GATES
        .iter()
        .copied()
        .filter(|g| !failing.contains(g))
        .collect();
    ran.assert_statuses(&passing, "pass");
    ran.assert_statuses(failing, "fail");
    ran.assert_statuses(&KHALA_HTTP_GATES, "error");
    for id in KHALA_HTTP_GATES {
        assert_eq!(ran.gate(id)["on_fail"], "warn");
        let message = ran.gate(id)["message"].as_str().unwrap_or("");
        assert!(
            message.contains("ROLLGATE_SECRET_RUNTIME_ADMIN_TOKEN"),
            "{id}: {message}"
        );
    }
    let warned: Vec<&str> = ran.decision["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["gate"].as_str())
        .collect();
    for id in KHALA_HTTP_GATES {
        assert!(
            warned.contains(&id),
            "{id} is not among the warnings: {warned:?}"
        );
    }
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1, "{}", ran.out.stderr);
    assert_eq!(ran.decision["exit_code"], 1);
    let blockers = blocker_ids(&ran.decision);
    let gate_blockers: Vec<&String> = blockers.iter().filter(|b| !b.is_empty()).collect();
    assert_eq!(gate_blockers, failing, "{blockers:?}");
    let source_blocker = ran.decision["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| {
            b["gate"] == ""
                && b["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("a source failed"))
        });
    assert!(
        source_blocker,
        "a blocker names the failed source: {:#}",
        ran.decision["blockers"]
    );
    for (metric, query) in KHALA_QUERIES {
        assert_prom_evidence(&ran.snapshot, metric, query, &prom.url());
    }
    let fanout = &ran.snapshot["evidence"]["fanout_slow_consumer_evictions"];
    assert!(fanout["error"].is_string(), "fanout evidence: {fanout:#}");
    assert_eq!(ran.snapshot["version"], 1);
    assert_eq!(ran.snapshot["environment"], "production");
    assert_eq!(ran.snapshot["stage"], "external-5");
    ran
}

/// The all-Prometheus test policy on the same day: verdict and exit code.
fn khala_slo_run(prom: &Prometheus, dir: &Path, verdict: &str, code: i32) -> Ran {
    let ran = run_at(khala_at(KHALA_SLO), Some(&prom.url()), dir);
    assert_eq!(ran.verdict(), verdict, "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, code, "{}", ran.out.stderr);
    for (metric, query) in KHALA_QUERIES {
        assert_prom_evidence(&ran.snapshot, metric, query, &prom.url());
    }
    ran
}

fn blocker_ids(decision: &Value) -> Vec<String> {
    decision["blockers"]
        .as_array()
        .unwrap_or_else(|| panic!("no blockers list: {decision:#}"))
        .iter()
        .map(|b| {
            b["gate"]
                .as_str()
                .or_else(|| b["id"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn khala_green_business_day() {
    let Some(prom) = khala_prometheus(KhalaDay::default()) else {
        return;
    };
    let dir = fresh_dir("khala-green");
    let ran = khala_policy_run(&prom, &dir, &[]);
    let snap = &ran.snapshot;

    // The values the queries give on this history.
    assert_eq!(snap["taken_at"].as_str().map(unix), Some(unix(K_NOW)));
    assert_eq!(
        snap["stage_entered_at"].as_str().map(unix),
        Some(unix(K_ENTERED))
    );
    let auth = series(snap, "ws_auth_error_rate");
    assert_eq!(auth.len(), 1, "one sum, one series");
    assert_all_near("ws_auth_error_rate", &auth[0].1, 7.0 / 18000.0, 1e-9);
    let stale = series(snap, "ws_stale_cursor_rate");
    assert_all_near("ws_stale_cursor_rate", &stale[0].1, 18.0 / 18000.0, 1e-9);
    for (surface, p95) in REPLAY_P95 {
        let s = series_where(snap, "replay_bootstrap_latency_ms", "surface", surface);
        assert_all_near(surface, &s, p95, 1e-6);
    }
    let replay = series(snap, "replay_bootstrap_latency_ms");
    assert_eq!(replay.len(), 3, "one series per surface");
    for (labels, _) in &replay {
        assert!(labels.get("__name__").is_none(), "{labels}");
        assert_eq!(labels.as_object().map(|m| m.len()), Some(1), "{labels}");
    }
    for surface in SURFACES {
        let s = series_where(snap, "delivery_lag_ms", "surface", surface);
        assert_all_near(surface, &s, 250.0 + 250.0 * 70.0 / 80.0, 1e-6);
    }
    // The whole stage is read: from the stage's entry to now.
    let (first, last) = (auth[0].1[0].0, auth[0].1[auth[0].1.len() - 1].0);
    assert!(first <= unix(K_ENTERED) as f64, "first sample at {first}");
    assert_eq!(last, unix(K_NOW) as f64);
    assert_eq!(
        ran.gate("replay-latency")["value"]
            .as_f64()
            .map(|v| v.round()),
        Some(380.0)
    );

    // The all-Prometheus policy: GO to broad-25.
    let ran = khala_slo_run(&prom, &dir, "go", 0);
    assert_eq!(ran.decision["next_stage"], "broad-25");
    for g in ran.decision["gates"].as_array().unwrap() {
        assert_eq!(g["status"], "pass", "{}", summary(&ran.decision));
    }

    // ROLLGATE_PROMETHEUS_URL wins over the policy's url (which points nowhere).
    let mut cmd = rollgate_at("run", khala_at(KHALA_SLO));
    cmd.env("ROLLGATE_PROMETHEUS_URL", prom.url());
    let ran = run_with(cmd, &dir.join("env"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0);
    assert_prom_evidence(
        &ran.snapshot,
        KHALA_QUERIES[0].0,
        KHALA_QUERIES[0].1,
        &prom.url(),
    );
}

#[test]
fn khala_ios_latency_regression() {
    let now = unix(K_NOW);
    let Some(prom) = khala_prometheus(KhalaDay {
        ios_regression_from: Some(now - 4 * 3600),
        ..KhalaDay::default()
    }) else {
        return;
    };
    let dir = fresh_dir("khala-ios");
    let failing = ["replay-latency", "replay-latency-budget"];
    let ran = khala_policy_run(&prom, &dir, &failing);

    // The ceiling fails for iOS only.
    let latency = ran.gate("replay-latency");
    let by_surface: Vec<(String, String)> = latency["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["labels"]["surface"].as_str().unwrap_or("?").to_string(),
                s["status"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    for (surface, status) in &by_surface {
        let want = if surface == "ios" { "fail" } else { "pass" };
        assert_eq!(status, want, "{surface}: {latency:#}");
    }
    assert_eq!(by_surface.len(), 3, "{latency:#}");
    assert_eq!(
        latency["value"].as_f64().map(f64::round),
        Some(IOS_REGRESSED_P95)
    );
    let budget = ran.gate("replay-latency-budget");
    assert!(
        budget["message"].as_str().unwrap_or("").contains("ios"),
        "{budget:#}"
    );
    let ios = series_where(
        &ran.snapshot,
        "replay_bootstrap_latency_ms",
        "surface",
        "ios",
    );
    let regressed: Vec<(f64, f64)> = ios
        .iter()
        .copied()
        .filter(|&(t, _)| t >= (now - 4 * 3600 + 300) as f64)
        .collect();
    assert_all_near("regressed ios", &regressed, IOS_REGRESSED_P95, 1e-6);

    let ran = khala_slo_run(&prom, &dir, "no-go", 1);
    assert_eq!(blocker_ids(&ran.decision), failing);
}

#[test]
fn khala_growing_evictions() {
    let Some(prom) = khala_prometheus(KhalaDay {
        growing_evictions: true,
        ..KhalaDay::default()
    }) else {
        return;
    };
    let dir = fresh_dir("khala-evictions");
    let ran = khala_policy_run(&prom, &dir, &["slow-consumer-growth"]);
    // Under the rate bound all along: only the trend fails.
    let rate = ran.gate("slow-consumer-evictions")["value"]
        .as_f64()
        .unwrap();
    assert!(rate > 3.0 && rate <= 4.0 + 1e-9, "{rate}");
    let growth = ran.gate("slow-consumer-growth");
    assert!(
        growth["message"]
            .as_str()
            .unwrap_or("")
            .contains("increasing"),
        "{growth:#}"
    );
    let ran = khala_slo_run(&prom, &dir, "no-go", 1);
    assert_eq!(blocker_ids(&ran.decision), ["slow-consumer-growth"]);
}

// ------------------------------------------------------------------------------------------
// Seed 004 (WeatherVane rollback monitor): checks every 30 s after a promotion
// ------------------------------------------------------------------------------------------

/// Three monitoring periods on one day, each 10 minutes after a promotion (entered 10m30s
/// before `now`): healthy, degraded (10% errors from 14:02) and failing (30% errors from 16:05).
const WV_HEALTHY: &str = "2026-11-21T12:10:00Z";
const WV_DEGRADED: &str = "2026-11-21T14:10:00Z";
const WV_FAILING: &str = "2026-11-21T16:10:00Z";

/// The worker metrics, one sample every 30 s (one health check) from 10:00 to 16:10: 100
/// operations a check on the active worker, 1% errors except during the two episodes; a
/// previous worker with 50% errors and 900 MB, which the policy's `worker="active"` queries
/// must not read; 256 MB and 100 of 1024 file handles on the active worker; no failed health
/// check.
fn weathervane_history() -> String {
    let times = grid(
        unix("2026-11-21T10:00:00Z"),
        unix("2026-11-21T16:10:00Z"),
        30,
    );
    let errors = |t: i64| {
        if (unix("2026-11-21T14:02:00Z")..=unix(WV_DEGRADED)).contains(&t) {
            10.0
        } else if t >= unix("2026-11-21T16:05:00Z") {
            30.0
        } else {
            1.0
        }
    };
    let mut om = OpenMetrics::default();
    om.family("wvo_worker_operations", "counter");
    om.counter(
        r#"wvo_worker_operations_total{result="ok",worker="active"}"#,
        &times,
        |t| 100.0 - errors(t),
    );
    om.counter(
        r#"wvo_worker_operations_total{result="error",worker="active"}"#,
        &times,
        errors,
    );
    om.counter(
        r#"wvo_worker_operations_total{result="ok",worker="previous"}"#,
        &times,
        |_| 50.0,
    );
    om.counter(
        r#"wvo_worker_operations_total{result="error",worker="previous"}"#,
        &times,
        |_| 50.0,
    );
    om.family("wvo_rollback_monitor_health_check_failed", "gauge");
    om.gauge(
        r#"wvo_rollback_monitor_health_check_failed{worker="active"}"#,
        &times,
        |_| 0.0,
    );
    om.gauge(
        r#"wvo_rollback_monitor_health_check_failed{worker="previous"}"#,
        &times,
        |_| 1.0,
    );
    om.family("process_resident_memory_bytes", "gauge");
    for (worker, mb) in [("active", 256.0), ("previous", 900.0)] {
        om.gauge(
            &format!(r#"process_resident_memory_bytes{{job="wvo-worker",worker="{worker}"}}"#),
            &times,
            |_| mb * 1_048_576.0,
        );
    }
    om.family("process_open_fds", "gauge");
    om.gauge(
        r#"process_open_fds{job="wvo-worker",worker="active"}"#,
        &times,
        |_| 100.0,
    );
    om.family("process_max_fds", "gauge");
    om.gauge(
        r#"process_max_fds{job="wvo-worker",worker="active"}"#,
        &times,
        |_| 1024.0,
    );
    om.finish()
}

/// `now` and the entry 10m30s before it, as RFC 3339 texts.
fn wv_times(now: &str) -> (String, String) {
    let at = now.parse::<jiff::Timestamp>().unwrap();
    let entered = at - jiff::SignedDuration::from_secs(630);
    (now.to_string(), entered.to_string())
}

fn wv_at<'a>(times: &'a (String, String)) -> At<'a> {
    At {
        policy: WEATHERVANE,
        env: "production",
        stage: "post-promotion",
        now: &times.0,
        entered_at: &times.1,
    }
}

/// Every gate of the monitor reads Prometheus: healthy is GO, degraded GO with a warning,
/// more than 20% errors for five checks ROLLBACK (exit 4), through `run` and through `fetch`
/// then `eval` of the fetched snapshot alike.
#[test]
fn weathervane_healthy_degraded_and_rollback() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("weathervane");

    let healthy = wv_times(WV_HEALTHY);
    let ran = run_at(wv_at(&healthy), Some(&prom.url()), &dir);
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0, "{}", ran.out.stderr);
    for g in ran.decision["gates"].as_array().unwrap() {
        assert_eq!(g["status"], "pass", "{}", summary(&ran.decision));
    }
    for (metric, query) in WEATHERVANE_QUERIES {
        assert_prom_evidence(&ran.snapshot, metric, query, &prom.url());
    }
    let rate = series(&ran.snapshot, "worker_error_rate");
    assert_eq!(rate.len(), 1);
    assert_all_near("healthy error rate", &rate[0].1, 0.01, 1e-9);
    let memory = series(&ran.snapshot, "worker_memory_mb");
    assert_all_near("memory", &memory[0].1, 256.0, 1e-9);
    let fds = series(&ran.snapshot, "worker_fd_usage");
    assert_all_near("fd usage", &fds[0].1, 100.0 / 1024.0, 1e-12);

    let degraded = wv_times(WV_DEGRADED);
    let ran = run_at(wv_at(&degraded), Some(&prom.url()), &dir);
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0, "{}", ran.out.stderr);
    ran.assert_statuses(&["error-rate-degraded"], "fail");
    ran.assert_statuses(
        &[
            "error-rate-threshold",
            "error-rate-rollback",
            "error-rate-with-failures",
        ],
        "pass",
    );
    assert!(
        !ran.decision["warnings"].as_array().unwrap().is_empty(),
        "a degraded error rate is a warning: {:#}",
        ran.decision
    );
    assert_eq!(
        ran.gate("error-rate-degraded")["value"]
            .as_f64()
            .map(|v| (v * 1000.0).round() / 1000.0),
        Some(0.1)
    );

    let failing = wv_times(WV_FAILING);
    let ran = run_at(wv_at(&failing), Some(&prom.url()), &dir);
    assert_eq!(ran.verdict(), "rollback", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 4, "{}", ran.out.stderr);
    ran.assert_statuses(&["error-rate-rollback"], "fail");
    ran.assert_statuses(&["error-rate-threshold"], "fail");
    ran.assert_statuses(
        &["error-rate-with-failures", "health-check-escalation"],
        "pass",
    );
    let rate = series(&ran.snapshot, "worker_error_rate");
    let last = rate[0].1.last().copied().unwrap();
    assert_eq!(last.0, unix(WV_FAILING) as f64);
    assert!((last.1 - 0.3).abs() < 1e-9, "{last:?}");

    // fetch, then eval of what it wrote: the same ROLLBACK.
    let (out, snapshot) = fetch(wv_at(&failing), Some(&prom.url()), &dir, "failing.json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(snapshot["version"], 1);
    assert_eq!(
        snapshot["taken_at"].as_str().map(unix),
        Some(unix(WV_FAILING))
    );
    assert_eq!(snapshot["environment"], "production");
    assert_eq!(snapshot["stage"], "post-promotion");
    assert_eq!(
        snapshot["stage_entered_at"].as_str().map(unix),
        Some(unix(&failing.1))
    );
    for (metric, query) in WEATHERVANE_QUERIES {
        assert_prom_evidence(&snapshot, metric, query, &prom.url());
    }
    let mut cmd = rollgate();
    cmd.args([
        "eval",
        "--policy",
        WEATHERVANE,
        "--env",
        "production",
        "--stage",
        "post-promotion",
        "--entered-at",
        &failing.1,
        "--format",
        "json",
        "--no-report",
        "--snapshot",
    ])
    .arg(dir.join("failing.json"));
    let out = run(&mut cmd);
    assert_eq!(out.code, 4, "{}", out.stderr);
    let decision: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(decision["verdict"], "rollback");
    assert_eq!(
        decision["evaluated_at"].as_str().map(unix),
        Some(unix(WV_FAILING))
    );
}

/// The base URL: `--prometheus-url` over ROLLGATE_PROMETHEUS_URL over the policy's; user and
/// password in it never reach the evidence or the report.
#[test]
fn url_precedence_and_credentials() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("url");
    let healthy = wv_times(WV_HEALTHY);

    // Only the environment variable (the policy names no url): GO.
    let mut cmd = rollgate_at("run", wv_at(&healthy));
    cmd.env("ROLLGATE_PROMETHEUS_URL", prom.url());
    let ran = run_with(cmd, &dir.join("env"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0);
    assert_prom_evidence(
        &ran.snapshot,
        "worker_error_rate",
        WEATHERVANE_QUERIES[0].1,
        &prom.url(),
    );

    // The flag wins over a dead environment variable.
    let mut cmd = rollgate_at("run", wv_at(&healthy));
    cmd.env("ROLLGATE_PROMETHEUS_URL", NOWHERE)
        .args(["--prometheus-url", &prom.url()]);
    let ran = run_with(cmd, &dir.join("flag"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0);

    // Credentials in the URL are accepted, never shown.
    let secret = "s3cr3t-prom-pw-71";
    let with_user = prom
        .url()
        .replace("http://", &format!("http://rollgate:{secret}@"));
    let ran = run_at(wv_at(&healthy), Some(&with_user), &dir.join("creds"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    for (metric, query) in WEATHERVANE_QUERIES {
        assert_prom_evidence(&ran.snapshot, metric, query, &prom.url());
    }
    let everything = format!(
        "{}{}{}{}",
        ran.out.stdout,
        ran.out.stderr,
        ran.snapshot,
        std::fs::read_to_string(root().join(ran.decision["report"].as_str().unwrap())).unwrap()
    );
    assert!(
        !everything.contains(secret),
        "the password leaked:\n{everything}"
    );

    // Without --out, the snapshot goes to stdout: the one --out writes.
    let mut cmd = rollgate_at("fetch", wv_at(&healthy));
    cmd.args(["--prometheus-url", &prom.url()]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let printed: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the snapshot ({e}):\n{}", out.stdout));
    let (_, written) = fetch(wv_at(&healthy), Some(&prom.url()), &dir, "written.json");
    assert_eq!(printed["series"], written["series"]);
    assert_eq!(printed["taken_at"], written["taken_at"]);
}

/// A Prometheus that is gone fails closed: the snapshot is still written with the cause in
/// `evidence.<metric>.error`, fetch exits 1, run gives NO-GO (exit 1, never 0) with every
/// Prometheus gate `error` and the cause in its message; so does the policy's own url when it
/// points nowhere.
#[test]
fn unreachable_prometheus_fails_closed() {
    let Some(mut prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let url = prom.url();
    prom.stop();
    let dir = fresh_dir("stopped");
    let healthy = wv_times(WV_HEALTHY);

    let (out, snapshot) = fetch(wv_at(&healthy), Some(&url), &dir, "stopped.json");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for (metric, query) in WEATHERVANE_QUERIES {
        let ev = &snapshot["evidence"][metric];
        assert_eq!(ev["source"], "prometheus", "{metric}: {ev:#}");
        assert_eq!(ev["query"], query, "{metric}: {ev:#}");
        let error = ev["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{metric}: {ev:#}"));
        assert!(
            error.to_ascii_lowercase().contains("refused"),
            "{metric}: the error does not give the cause: {error}"
        );
        assert!(
            ev["url"].as_str().is_some_and(|u| u.starts_with(&url)),
            "{metric}: {ev:#}"
        );
    }

    let ran = run_at(wv_at(&healthy), Some(&url), &dir);
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1, "{}", ran.out.stderr);
    for g in ran.decision["gates"].as_array().unwrap() {
        assert_eq!(g["status"], "error", "{}", summary(&ran.decision));
        let message = g["message"].as_str().unwrap_or("").to_ascii_lowercase();
        assert!(
            message.contains("refused") || message.contains("worker_"),
            "{}: the message names neither the source nor the cause: {message}",
            g["id"]
        );
    }
    let report = std::fs::read_to_string(root().join(ran.decision["report"].as_str().unwrap()))
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        report.contains("refused"),
        "the report does not say why:\n{report}"
    );

    // The test policy's own url (a closed port), with neither flag nor variable.
    let (out, snapshot) = fetch(khala_at(KHALA_SLO), None, &dir, "policy-url.json");
    assert_eq!(out.code, 1, "{}", out.stderr);
    for (metric, _) in KHALA_QUERIES {
        let ev = &snapshot["evidence"][metric];
        assert!(ev["error"].is_string(), "{metric}: {ev:#}");
        assert!(
            ev["url"].as_str().is_some_and(|u| u.starts_with(NOWHERE)),
            "{metric}: {ev:#}"
        );
    }
    let ran = run_at(khala_at(KHALA_SLO), None, &dir);
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1);
}

/// What Prometheus rejects and what it has nothing for: a query it refuses is an error with
/// its answer's status and message (fetch exits 1, the gate is `error`); a query that matches
/// nothing is an answer (HTTP 200, no series) whose gate is `inconclusive`, never a pass; a
/// policy's `step` is the step of the range query.
#[test]
fn rejected_and_empty_queries() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("edge");
    let policy = dir.join("edge.yaml");
    std::fs::write(
        &policy,
        format!(
            "version: 1\npolicy: prom-edge\ntitle: Rejected, empty and stepped queries\n\
             owner: e2e\nenvironments: [production]\nmetrics:\n\
             \x20 rejected:\n    source:\n      prometheus: 'sum(rate(wvo_worker_operations_total[1m]'\n\
             \x20 absent:\n    source:\n      prometheus: wvo_no_such_metric\n\
             \x20 stepped:\n    source:\n      prometheus:\n        url: {NOWHERE}\n\
             \x20       query: 'max(process_open_fds{{worker=\"active\"}})'\n        step: 1m\n\
             gates:\n\
             \x20 rejected-gate: {{ metric: rejected, window: 10m, aggregate: max, max: 1 }}\n\
             \x20 absent-gate: {{ metric: absent, window: 10m, aggregate: max, max: 1 }}\n\
             \x20 stepped-gate: {{ metric: stepped, window: 10m, aggregate: max, max: 1000, min_samples: 10 }}\n\
             stages:\n  - id: only\n    gates: [rejected-gate, absent-gate, stepped-gate]\n"
        ),
    )
    .unwrap();
    let policy = policy.to_str().unwrap().to_string();
    let (now, entered) = wv_times(WV_HEALTHY);
    let at = At {
        policy: &policy,
        env: "production",
        stage: "only",
        now: &now,
        entered_at: &entered,
    };

    let (out, snapshot) = fetch(at, Some(&prom.url()), &dir, "edge.json");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let rejected = &snapshot["evidence"]["rejected"];
    assert_eq!(rejected["source"], "prometheus", "{rejected:#}");
    assert_eq!(rejected["http_status"], 400, "{rejected:#}");
    let error = rejected["error"].as_str().unwrap_or("");
    assert!(
        error.contains("bad_data"),
        "Prometheus's error is not given: {error}"
    );
    let absent = &snapshot["evidence"]["absent"];
    assert_eq!(absent["http_status"], 200, "{absent:#}");
    assert!(absent.get("error").is_none(), "{absent:#}");
    assert!(
        snapshot["series"]
            .get("absent")
            .is_none_or(|s| s.as_array().is_some_and(Vec::is_empty)),
        "series from nothing: {}",
        snapshot["series"]["absent"]
    );
    let stepped = &snapshot["evidence"]["stepped"];
    let url = stepped["url"].as_str().unwrap_or("");
    assert!(
        url.contains("step=60"),
        "the policy's step is not used: {url}"
    );
    let samples = &series(&snapshot, "stepped")[0].1;
    assert!(samples.len() >= 10, "{samples:?}");
    for pair in samples.windows(2) {
        assert_eq!(pair[1].0 - pair[0].0, 60.0, "{pair:?}");
    }

    let ran = run_at(at, Some(&prom.url()), &dir);
    ran.assert_statuses(&["rejected-gate"], "error");
    ran.assert_statuses(&["absent-gate"], "inconclusive");
    ran.assert_statuses(&["stepped-gate"], "pass");
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1);
}

/// A server that accepts connections and never answers: each request times out
/// (`--timeout`), the gates are `error`, fetch exits 1.
#[test]
fn a_prometheus_that_never_answers_times_out() {
    // Connections complete in the listen backlog; nothing ever reads them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = fresh_dir("hung");
    let times = wv_times(WV_HEALTHY);
    let out_path = dir.join("hung.json");
    let mut cmd = rollgate_timeout("fetch", wv_at(&times), "1s");
    cmd.args(["--prometheus-url", &url, "--deadline", "60s", "--out"])
        .arg(&out_path);
    let (out, snapshot) = fetch_with(cmd, &out_path);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for (metric, _) in WEATHERVANE_QUERIES {
        let error = snapshot["evidence"][metric]["error"].as_str().unwrap_or("");
        assert!(
            error.to_ascii_lowercase().contains("time"),
            "{metric}: the error does not say it timed out: {error}"
        );
    }
    drop(listener);
}

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

#[test]
fn hundred_range_queries_make_one_snapshot() {
    use sha2::{Digest, Sha256};

    let now = unix(BENCH_NOW);
    let from = now - 2 * 3600;
    let times = grid(from, now, 15);
    let mut om = OpenMetrics::default();
    om.family("m", "gauge");
    for i in 0..BENCH_METRICS {
        om.gauge(&format!(r#"m{{i="{i}"}}"#), &times, |t| {
            bench_value(i, (t - from) / 15)
        });
    }
    let Some(prom) = Prometheus::start(&om.finish()) else {
        return;
    };
    let dir = fresh_dir("bench");
    let policy = dir.join("bench.yaml");
    std::fs::write(&policy, bench_policy()).unwrap();
    let policy = policy.to_str().unwrap().to_string();
    let entered = unix(BENCH_NOW) - 3600;
    let entered = jiff::Timestamp::from_second(entered).unwrap().to_string();
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

    let start = now - 3600;
    for i in 0..BENCH_METRICS {
        let metric = format!("m{i}");
        let query = format!(r#"m{{i="{i}"}}"#);
        assert_prom_evidence(&snapshot, &metric, &query, &prom.url());
        let all = series(&snapshot, &metric);
        assert_eq!(all.len(), 1, "{metric}");
        let (labels, samples) = &all[0];
        assert_eq!(
            labels,
            &serde_json::json!({ "i": i.to_string() }),
            "{metric}"
        );
        // The whole hour, every 15 s, to `now`, with the values written.
        assert_eq!(samples.last().map(|s| s.0), Some(now as f64), "{metric}");
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
        // The digest is of Prometheus's answer to the very request the evidence names.
        if i % 25 == 0 {
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

    // The snapshot evaluates: GO, every gate over the 240 samples of its hour (now - 1h, now].
    let mut cmd = rollgate();
    cmd.args([
        "eval",
        "--policy",
        &policy,
        "--env",
        "production",
        "--stage",
        "bench",
        "--entered-at",
        &entered,
        "--format",
        "json",
        "--no-report",
        "--snapshot",
    ])
    .arg(dir.join("bench.json"));
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

    // The range query is `start = now - range`, `end = now`, `step` 15 s: 241 points.
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
    assert_eq!(series(&snapshot, "m0")[0].1.len(), 241);
}

/// Seed 004's monitor: `watch` every minute from 16:00 while the error rate turns red at
/// 16:05; it stops with ROLLBACK (exit 4) at the first tick where five checks in a row are
/// over 20%, every tick's decision is in the ledger, and the chain verifies.
#[test]
fn watch_stops_at_the_first_rollback_tick() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("watch");
    let ledger = dir.join("ledger.jsonl");
    let out = run(rollgate().args([
        "watch",
        "--policy",
        WEATHERVANE,
        "--env",
        "production",
        "--stage",
        "post-promotion",
        "--prometheus-url",
        &prom.url(),
        "--now",
        "2026-11-21T16:00:00Z",
        "--entered-at",
        "2026-11-21T15:55:00Z",
        "--every",
        "1m",
        "--for",
        "10m",
        "--ledger",
        ledger.to_str().unwrap(),
    ]));
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    let ticks: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("tick "))
        .collect();
    let last = ticks.last().unwrap();
    assert!(last.contains("ROLLBACK"), "{}", out.stdout);
    // The line names the gate behind the ROLLBACK, with its status, value and bound.
    assert!(last.contains("rollback by error-rate-"), "{last}");
    assert!(
        last.contains("error-rate-rollback: fail ")
            || last.contains("error-rate-with-failures: fail "),
        "{last}"
    );
    assert!(last.contains("(bound <= "), "{last}");
    assert!(
        out.stderr.contains("ROLLBACK at tick") && out.stderr.contains("(by error-rate-"),
        "{}",
        out.stderr
    );
    assert!(
        ticks.len() < 11,
        "stopped before the period ended: {}",
        out.stdout
    );
    assert!(
        ticks[..ticks.len() - 1]
            .iter()
            .all(|t| !t.contains("ROLLBACK")),
        "{}",
        out.stdout
    );
    // Red data begins at 16:05; five 30 s checks over 20% need a few minutes of it.
    let red_tick = ticks.len();
    assert!((6..=10).contains(&red_tick), "{}", out.stdout);
    let shown = run(rollgate().args(["ledger", "show", ledger.to_str().unwrap()]));
    assert_eq!(
        shown
            .stdout
            .lines()
            .filter(|l| l.contains("decision"))
            .count(),
        ticks.len()
    );
    let verified = run(rollgate().args(["ledger", "verify", ledger.to_str().unwrap()]));
    assert_eq!(verified.code, 0, "{}", verified.stdout);
}

/// `replay` re-evaluates a `run`'s decision from the snapshot kept beside the report: the
/// same bytes; after the policy changes, it says so (exit 1); a tampered decision differs.
#[test]
fn replay_reproduces_a_run() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("replay");
    let policy = dir.join("monitor.yaml");
    std::fs::copy(root().join(WEATHERVANE), &policy).unwrap();
    let reports = dir.join("reports");
    let times = wv_times(WV_DEGRADED);
    let out = run(rollgate().args([
        "run",
        "--policy",
        policy.to_str().unwrap(),
        "--env",
        "production",
        "--stage",
        "post-promotion",
        "--prometheus-url",
        &prom.url(),
        "--now",
        &times.0,
        "--entered-at",
        &times.1,
        "--report-dir",
        reports.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let decision: Value = serde_json::from_str(&out.stdout).unwrap();
    let report = decision["report"].as_str().unwrap().to_owned();
    let json = report.replace(".md", ".json");
    assert!(Path::new(&report.replace(".md", ".snapshot.json")).exists());
    drop(prom);

    let ok = run(rollgate().args(["replay", &json]));
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("REPRODUCED: GO"), "{}", ok.stdout);
    let via_md = run(rollgate().args(["replay", &report]));
    assert_eq!(via_md.code, 0, "{}", via_md.stdout);

    // A gate's message edited by hand: not what the inputs give.
    let tampered = std::fs::read_to_string(&json).unwrap().replacen(
        "\"message\": \"",
        "\"message\": \"edited: ",
        1,
    );
    let t_path = dir.join("tampered.json");
    std::fs::write(&t_path, tampered).unwrap();
    let differs = run(rollgate().args(["replay", t_path.to_str().unwrap()]));
    assert_eq!(differs.code, 1, "{}", differs.stdout);
    assert!(differs.stdout.starts_with("DIFFERS"), "{}", differs.stdout);

    // A comment added to the policy file: replay reads the copy kept beside the reports.
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&policy, text).unwrap();
    let commented = run(rollgate().args(["replay", &json]));
    assert_eq!(commented.code, 0, "{}", commented.stdout);
    // Without that copy, the edited file is read, and is not the policy of the decision.
    let decided: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let sha = decided["inputs"]["policy_sha256"].as_str().unwrap();
    let copy = Path::new(&json)
        .ancestors()
        .nth(4)
        .unwrap()
        .join(format!("policies/{sha}.yaml"));
    std::fs::remove_file(copy).unwrap();
    let changed = run(rollgate().args(["replay", &json]));
    assert_eq!(changed.code, 1, "{}", changed.stdout);
    assert!(
        changed.stdout.contains("has changed since the decision"),
        "{}",
        changed.stdout
    );
}
