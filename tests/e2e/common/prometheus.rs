//! The Prometheus harness: a real Prometheus on a free loopback port, serving a history
//! backfilled with `promtool tsdb create-blocks-from openmetrics`, and the OpenMetrics writer
//! that builds those histories. With `CI=true` a missing `prometheus`/`promtool` fails the
//! test; locally the test is skipped with the reason printed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

// ------------------------------------------------------------------------------------------
// The harness
// ------------------------------------------------------------------------------------------

/// How long a Prometheus may take to become ready and serve its backfilled series.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A Prometheus serving a backfilled history on `127.0.0.1:port`; killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    child: Option<Child>,
    pub(crate) port: u16,
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

/// Backfills `openmetrics` into a fresh TSDB under `dir` with promtool, and writes a
/// configuration without scrape targets; returns the data directory and the configuration.
fn backfill(promtool: &Path, openmetrics: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let input = dir.join("history.om");
    let data = dir.join("data");
    std::fs::write(&input, openmetrics).expect("write the history");
    let out = Command::new(promtool)
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
    (data, config)
}

/// Starts Prometheus on the backfilled data, on loopback port `port`, its output in `log_path`.
fn spawn(prometheus: &Path, config: &Path, data: &Path, port: u16, log_path: &Path) -> Child {
    let log = std::fs::File::create(log_path).expect("create the log");
    Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=100y")
        .arg("--query.lookback-delta=5m")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .expect("prometheus starts")
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
        let (data, config) = backfill(&promtool, openmetrics, &dir);

        // The port is free when chosen and taken by Prometheus a moment later; another process
        // may win that race, so try again on a new port when the address is in use.
        for _ in 0..3 {
            let port = free_port();
            let log_path = dir.join(format!("prometheus-{port}.log"));
            let child = spawn(&prometheus, &config, &data, port, &log_path);
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
pub(crate) fn http_get(port: u16, path: &str) -> io::Result<(u16, String)> {
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
