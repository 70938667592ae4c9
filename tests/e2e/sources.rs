//! `rollgate fetch` and `rollgate run` against real sources: the http source (against the
//! test server in `httpd.rs`), github_issues (the same server as the API), command and file.
//! Each test writes its policy into a fresh directory under the target dir, with the server's
//! address substituted, and runs with an explicit `--now`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::httpd::{Response, Server, route, sequence};
use crate::common::{Run, rollgate, run};

const NOW: &str = "2026-11-22T12:00:00Z";
/// NOW as unix seconds.
const NOW_S: f64 = 1_795_348_800.0;
const SECRET: &str = "s3cr3t-e2e-token-0f9a";
const GH_TOKEN: &str = "ghp_e2eTokenNeverPrinted42";

// --- helpers ---------------------------------------------------------------------------------

/// A fresh directory for one test, and the commands run in it.
pub(crate) struct Case {
    pub(crate) dir: PathBuf,
}

/// What `fetch` printed, and the snapshot it wrote (`Null` when none).
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) out: Run,
    pub(crate) text: String,
    pub(crate) snap: Value,
    elapsed: Duration,
}

impl Fetched {
    pub(crate) fn error(&self, name: &str) -> Option<String> {
        self.snap["evidence"][name]["error"]
            .as_str()
            .map(str::to_string)
    }

    /// Everything the run showed: stdout, stderr and the snapshot.
    pub(crate) fn shown(&self) -> String {
        format!("{}\n{}\n{}", self.out.stdout, self.out.stderr, self.text)
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Case {
    /// `sources-NAME-PID`: concurrent runs of the suite never share a directory. Removed
    /// when the test passes, kept for a look when it fails.
    pub(crate) fn new(name: &str) -> Case {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sources-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Case { dir }
    }

    pub(crate) fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes `policy.yaml`: the common head, then `body` (metrics, records, gates, stages).
    pub(crate) fn policy(&self, body: &str) {
        self.write(
            "policy.yaml",
            &format!("version: 1\npolicy: sources-e2e\nenvironments: [production]\n{body}"),
        );
    }

    /// `rollgate SUB --policy policy.yaml --env production --stage STAGE --now NOW`, run in
    /// the case's directory with no proxy, token or API URL from the outer environment.
    pub(crate) fn cmd(&self, sub: &str) -> Command {
        self.cmd_at(sub, "canary")
    }

    fn cmd_at(&self, sub: &str, stage: &str) -> Command {
        let mut cmd = rollgate();
        cmd.current_dir(&self.dir);
        for var in [
            "GITHUB_TOKEN",
            "ROLLGATE_GITHUB_API_URL",
            "ROLLGATE_PROMETHEUS_URL",
            "ROLLGATE_SECRET_E2E_TOKEN",
            "ROLLGATE_ALLOW_HOSTS",
            "ROLLGATE_PROMETHEUS_TOKEN",
            "ROLLGATE_PROMETHEUS_USER",
            "ROLLGATE_PROMETHEUS_PASSWORD",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
        ] {
            cmd.env_remove(var);
        }
        cmd.args([
            sub,
            "--policy",
            "policy.yaml",
            "--env",
            "production",
            "--stage",
            stage,
            "--now",
            NOW,
        ]);
        cmd
    }

    /// `fetch --out snapshot.json` with extra flags and environment variables.
    pub(crate) fn fetch(&self, extra: &[&str], envs: &[(&str, &str)]) -> Fetched {
        let out_file = self.dir.join("snapshot.json");
        let _ = std::fs::remove_file(&out_file);
        let mut cmd = self.cmd("fetch");
        cmd.args(["--out", "snapshot.json"]).args(extra);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let out = run(&mut cmd);
        let elapsed = start.elapsed();
        let text = std::fs::read_to_string(&out_file).unwrap_or_default();
        let snap = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("the snapshot is JSON ({e}):\n{text}"))
        };
        Fetched {
            out,
            text,
            snap,
            elapsed,
        }
    }

    /// `run --format json --no-report` (plus extra flags); the decision printed.
    pub(crate) fn run(&self, extra: &[&str], envs: &[(&str, &str)]) -> (Run, Value) {
        let mut cmd = self.cmd("run");
        cmd.args(["--format", "json"]).args(extra);
        if !extra.contains(&"--report-dir") {
            cmd.arg("--no-report");
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = run(&mut cmd);
        let decision = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        (out, decision)
    }
}

/// `127.0.0.1:PORT` of a test server: what a CI job passes to `--allow-host` (or puts in
/// ROLLGATE_ALLOW_HOSTS) so the operator's credentials may go there.
pub(crate) fn host_of(srv: &Server) -> String {
    format!("127.0.0.1:{}", srv.port())
}

/// RFC 3339 or unix seconds (number or numeric text) to unix seconds.
fn unix(t: &Value) -> f64 {
    match t {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => match s.parse::<jiff::Timestamp>() {
            Ok(ts) => ts.as_millisecond() as f64 / 1000.0,
            Err(_) => s.parse().unwrap_or_else(|_| panic!("`{s}` is not a time")),
        },
        other => panic!("{other} is not a time"),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("`{s}` is not a number")),
        other => panic!("{other} is not a number"),
    }
}

type Labels = BTreeMap<String, String>;

/// The series of one metric in a snapshot: (labels, [(unix time, value)]), one entry or a
/// list of them.
fn series(snap: &Value, name: &str) -> Vec<(Labels, Vec<(f64, f64)>)> {
    let entries = match &snap["series"][name] {
        Value::Null => return Vec::new(),
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    entries
        .iter()
        .map(|e| {
            let labels = e["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let samples = e["samples"]
                .as_array()
                .unwrap_or_else(|| panic!("`{name}` has samples: {e}"))
                .iter()
                .map(|s| (unix(&s[0]), number(&s[1])))
                .collect();
            (labels, samples)
        })
        .collect()
}

/// All samples of a metric, whatever their labels.
fn samples(snap: &Value, name: &str) -> Vec<(f64, f64)> {
    series(snap, name)
        .into_iter()
        .flat_map(|(_, s)| s)
        .collect()
}

pub(crate) fn records(snap: &Value, name: &str) -> Vec<Value> {
    snap["records"][name]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A failed source leaves no data behind: no samples (never zeros), no records.
fn assert_no_data(f: &Fetched, name: &str) {
    assert!(
        samples(&f.snap, name).is_empty(),
        "`{name}` failed but has samples:\n{}",
        f.text
    );
    assert!(
        records(&f.snap, name).is_empty(),
        "`{name}` failed but has records:\n{}",
        f.text
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A policy with one http metric `m` (read by gate `g` of stage `canary`).
pub(crate) fn http_metric(url: &str, extra: &str) -> String {
    format!(
        r#"metrics:
  m:
    source:
      http:
        url: "{url}"
{extra}gates:
  g:
    metric: m
    max: 1000
stages:
  - id: canary
    gates: [g]
"#
    )
}

fn bearer_header() -> &'static str {
    "        headers:\n          Authorization: { env: ROLLGATE_SECRET_E2E_TOKEN, prefix: \"Bearer \" }\n"
}

/// The `--timeout`-class of error words.
fn mentions_time(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("time") || m.contains("deadline")
}

// --- http: data shapes -----------------------------------------------------------------------

#[test]
fn http_number_at_pointer_is_one_sample_at_now_with_evidence() {
    let body = r#"{"delivery_metrics": {"slow_consumer_evictions": 7, "other": 1}}"#;
    let srv = Server::start(vec![route("/metrics", Response::json(200, body))]);
    let case = Case::new("http-number");
    case.policy(&http_metric(
        &format!(
            "{}/metrics?topic_limit=20&access_token=hunter2secret&api_key=zzkey99",
            srv.base()
        ),
        "        pointer: /delivery_metrics/slow_consumer_evictions\n",
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(f.snap["version"], 1);
    assert_eq!(f.snap["environment"], "production");
    assert_eq!(f.snap["stage"], "canary");
    assert_eq!(unix(&f.snap["taken_at"]), NOW_S, "taken_at is --now");
    assert_eq!(samples(&f.snap, "m"), [(NOW_S, 7.0)], "one sample at --now");

    let ev = &f.snap["evidence"]["m"];
    assert_eq!(ev["source"], "http", "{ev}");
    let url = ev["url"]
        .as_str()
        .unwrap_or_else(|| panic!("evidence url: {ev}"));
    assert!(
        url.contains("/metrics") && url.contains("topic_limit=20"),
        "{url}"
    );
    for secret in ["hunter2secret", "zzkey99"] {
        assert!(
            !f.shown().contains(secret),
            "`{secret}` shown:\n{}",
            f.shown()
        );
    }
    assert!(ev["fetched_at"].is_string(), "{ev}");
    assert_eq!(ev["http_status"], 200, "{ev}");
    assert_eq!(ev["sha256"], sha256_hex(body.as_bytes()), "{ev}");
    assert!(ev.get("error").is_none_or(Value::is_null), "{ev}");

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].param("topic_limit").as_deref(), Some("20"));
}

#[test]
fn http_array_of_pairs_is_a_series_and_placeholders_are_times() {
    let body =
        r#"{"data": {"values": [[1795345260, 0.1], [1795345320, "0.25"], [1795348800, 3]]}}"#;
    let srv = Server::start(vec![route("/range", Response::json(200, body))]);
    let case = Case::new("http-series");
    case.policy(&format!(
        r#"metrics:
  m:
    source:
      http:
        url: "{}/range?start={{{{ window_start }}}}&end={{{{ window_end }}}}&now={{{{ now }}}}"
        pointer: /data/values
gates:
  g:
    metric: m
    window: 1h
    max: 1000
stages:
  - id: canary
    gates: [g]
"#,
        srv.base()
    ));
    let f = case.fetch(&["--lookback", "1h"], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let mut got = samples(&f.snap, "m");
    got.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(
        got,
        [
            (1_795_345_260.0, 0.1),
            (1_795_345_320.0, 0.25),
            (1_795_348_800.0, 3.0)
        ]
    );

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let time = |k: &str| {
        let v = reqs[0]
            .param(k)
            .unwrap_or_else(|| panic!("no `{k}` in {}", reqs[0].target));
        assert!(!v.contains("{{"), "placeholder left: {}", reqs[0].target);
        unix(&Value::String(v))
    };
    assert_eq!(time("now"), NOW_S, "{}", reqs[0].target);
    assert_eq!(time("end"), NOW_S, "{}", reqs[0].target);
    assert_eq!(time("start"), NOW_S - 3600.0, "{}", reqs[0].target);
}

#[test]
fn http_records_at_pointer() {
    let jobs = json!([
        {"id": "j1", "cohort": "canary", "payment_status": "completed",
         "execution_meta": {"worker_request_id": "w-1"}},
        {"id": "j2", "cohort": "control", "n": 3}
    ]);
    let body = json!({"jobs": jobs, "total": 2}).to_string();
    let srv = Server::start(vec![route("/jobs", Response::json(200, body.clone()))]);
    let case = Case::new("http-records");
    case.policy(&format!(
        r#"records:
  jobs:
    source:
      http: {{ url: "{}/jobs", pointer: /jobs }}
gates:
  paid:
    records: jobs
    where: {{ cohort: canary }}
    expect: {{ payment_status: completed }}
stages:
  - id: canary
    gates: [paid]
"#,
        srv.base()
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(f.snap["records"]["jobs"], jobs, "{}", f.text);
    let ev = &f.snap["evidence"]["jobs"];
    assert_eq!(ev["source"], "http", "{ev}");
    assert_eq!(ev["sha256"], sha256_hex(body.as_bytes()), "{ev}");
}

/// Seed 000: "GET /health is healthy, /openapi.json is served".
fn health_policy(case: &Case, srv: &Server) {
    case.policy(&format!(
        r#"records:
  ui_health:
    source:
      http: {{ url: "{base}/health", response: true }}
  ui_openapi:
    source:
      http: {{ url: "{base}/openapi.json", response: true }}
gates:
  ui-healthy:
    records: ui_health
    expect: {{ status: 200 }}
  openapi-served:
    records: ui_openapi
    expect: {{ status: 200, ok: true }}
stages:
  - id: canary
    gates: [ui-healthy, openapi-served]
"#,
        base = srv.base()
    ));
}

#[test]
fn http_response_records_for_health_and_openapi() {
    let srv = Server::start(vec![
        route("/health", Response::json(200, r#"{"status":"ok"}"#)),
        route(
            "/openapi.json",
            Response::json(200, r#"{"openapi":"3.1.0","paths":{}}"#),
        ),
    ]);
    let case = Case::new("http-response");
    health_policy(&case, &srv);
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    for (name, path) in [("ui_health", "/health"), ("ui_openapi", "/openapi.json")] {
        let recs = records(&f.snap, name);
        assert_eq!(recs.len(), 1, "{name}: {}", f.text);
        let r = &recs[0];
        assert_eq!(r["url"], format!("{}{path}", srv.base()), "{r}");
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["ok"], true, "{r}");
        assert!(r["latency_ms"].as_f64().is_some_and(|l| l >= 0.0), "{r}");
        assert!(
            r["content_type"]
                .as_str()
                .is_some_and(|c| c.starts_with("application/json")),
            "{r}"
        );
        assert_eq!(f.snap["evidence"][name]["source"], "http");
        assert_eq!(f.snap["evidence"][name]["http_status"], 200);
    }

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
}

#[test]
fn http_response_503_is_data_and_fails_the_gate() {
    let srv = Server::start(vec![
        route(
            "/health",
            Response::html(503, "<html><body>The current node timed out</body></html>"),
        ),
        route("/openapi.json", Response::json(200, "{}")),
    ]);
    let case = Case::new("http-response-503");
    health_policy(&case, &srv);
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "a 503 is data, not a failure: {}", f.shown());
    assert_eq!(f.error("ui_health"), None);
    let r = &records(&f.snap, "ui_health")[0];
    assert_eq!(r["status"], 503, "{r}");
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["content_type"]
            .as_str()
            .is_some_and(|c| c.starts_with("text/html")),
        "{r}"
    );

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "no-go");
    assert_eq!(gate_status(&decision, "ui-healthy"), "fail");
    assert_eq!(gate_status(&decision, "openapi-served"), "pass");
}

#[test]
fn http_response_record_when_the_connection_fails_is_an_error() {
    let srv = Server::start(vec![
        route("/health", Response::hang_up()),
        route("/openapi.json", Response::json(200, "{}")),
    ]);
    let case = Case::new("http-response-hangup");
    health_policy(&case, &srv);
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    assert!(f.error("ui_health").is_some(), "{}", f.text);
    assert_no_data(&f, "ui_health");
    assert_eq!(f.error("ui_openapi"), None, "{}", f.text);
    assert_eq!(records(&f.snap, "ui_openapi")[0]["status"], 200);

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "ui-healthy"), "error");
}

fn gate_status(decision: &Value, id: &str) -> String {
    decision["gates"]
        .as_array()
        .unwrap_or_else(|| panic!("gates: {decision}"))
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no gate `{id}`: {decision}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

// --- http: headers and secrets ---------------------------------------------------------------

#[test]
fn http_header_from_env_is_sent_and_never_shown() {
    let srv = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    let case = Case::new("http-header");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n        headers:\n          Authorization: { env: ROLLGATE_SECRET_E2E_TOKEN, prefix: \"Bearer \" }\n          X-Lane: lane-khala-7\n",
    ));
    let envs = [("ROLLGATE_SECRET_E2E_TOKEN", SECRET)];

    let allow = host_of(&srv);
    // To stdout this time.
    let mut cmd = case.cmd("fetch");
    cmd.envs(envs).args(["--allow-host", &allow]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let snap: Value = serde_json::from_str(&out.stdout).expect("the snapshot on stdout");
    assert_eq!(samples(&snap, "m"), [(NOW_S, 1.0)]);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(reqs[0].header("x-lane"), Some("lane-khala-7"));
    for value in [SECRET, "lane-khala-7"] {
        assert!(
            !out.stdout.contains(value) && !out.stderr.contains(value),
            "header value `{value}` shown:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }

    // run, with reports written: nowhere either.
    let (out, decision) = case.run(&["--report-dir", "reports", "--allow-host", &allow], &envs);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    let written = files_under(&case.dir.join("reports"));
    assert!(
        written
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".snapshot.json")),
        "run keeps the snapshot beside the report: {written:?}"
    );
    for p in written {
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains(SECRET), "{} shows the secret", p.display());
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn http_missing_env_var_is_an_error_naming_it_and_nothing_is_sent() {
    let srv = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    let case = Case::new("http-missing-env");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        &format!("        pointer: /v\n{}", bearer_header()),
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.contains("ROLLGATE_SECRET_E2E_TOKEN"), "{err}");
    assert_no_data(&f, "m");
    assert!(srv.requests().is_empty(), "never a request without it");
}

// --- http: retries, timeouts, deadline -------------------------------------------------------

#[test]
fn http_5xx_is_retried_then_succeeds() {
    let srv = Server::start(vec![sequence(
        "/v",
        vec![
            Response::json(500, r#"{"error":"boom"}"#),
            Response::status(502),
            Response::json(200, r#"{"v": 5}"#),
        ],
    )]);
    let case = Case::new("http-retry-ok");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(samples(&f.snap, "m"), [(NOW_S, 5.0)]);
    assert_eq!(f.snap["evidence"]["m"]["http_status"], 200);
    assert_eq!(srv.hits("/v"), 3);
}

#[test]
fn http_connection_closed_unanswered_is_retried() {
    let srv = Server::start(vec![sequence(
        "/v",
        vec![Response::hang_up(), Response::json(200, r#"{"v": 4}"#)],
    )]);
    let case = Case::new("http-retry-hangup");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(samples(&f.snap, "m"), [(NOW_S, 4.0)]);
    assert_eq!(srv.hits("/v"), 2);
}

#[test]
fn http_always_500_is_an_error_after_three_attempts() {
    let srv = Server::start(vec![route("/v", Response::json(500, r#"{"v": 0}"#))]);
    let case = Case::new("http-retry-fail");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.contains("500"), "{err}");
    assert_no_data(&f, "m");
    assert_eq!(srv.hits("/v"), 3, "three attempts");
}

#[test]
fn http_request_timeout_is_an_error() {
    let srv = Server::start(vec![route(
        "/v",
        Response::json(200, r#"{"v": 1}"#).delay(Duration::from_secs(5)),
    )]);
    let case = Case::new("http-timeout");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&["--timeout", "1s"], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(mentions_time(&err), "{err}");
    assert_no_data(&f, "m");
    assert!(
        f.elapsed < Duration::from_secs(10),
        "each attempt stops after 1 s: {:?}",
        f.elapsed
    );
}

#[test]
fn http_slow_body_beyond_the_timeout_is_an_error() {
    // The bytes keep coming (every 160 ms), but the whole answer takes 8 s.
    let srv = Server::start(vec![route(
        "/v",
        Response::json(200, format!(r#"{{"v": 1, "pad": "{}"}}"#, "x".repeat(40)))
            .slow(Duration::from_secs(8)),
    )]);
    let case = Case::new("http-slow-body");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&["--timeout", "1s"], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(mentions_time(&err), "{err}");
    assert_no_data(&f, "m");
    assert!(f.elapsed < Duration::from_secs(10), "{:?}", f.elapsed);
}

#[test]
fn http_deadline_bounds_the_whole_fetch() {
    let srv = Server::start(vec![route(
        "/v",
        Response::json(200, r#"{"v": 1}"#).delay(Duration::from_secs(6)),
    )]);
    let case = Case::new("http-deadline");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&["--timeout", "30s", "--deadline", "2s"], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(mentions_time(&err), "{err}");
    assert!(f.elapsed < Duration::from_millis(4500), "{:?}", f.elapsed);
}

// --- http: malformed answers -----------------------------------------------------------------

#[test]
fn http_truncated_body_is_an_error() {
    let body = r#"{"v": 12345, "more": [1, 2, 3]}"#;
    let srv = Server::start(vec![route("/v", Response::json(200, body).truncated(9))]);
    let case = Case::new("http-truncated");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    assert!(f.error("m").is_some(), "{}", f.text);
    assert_no_data(&f, "m");
}

/// Every kind of malformed answer is a source error, never a zero: each metric (and record
/// set) reads its own route, all in one fetch.
#[test]
fn http_malformed_answers_are_errors_never_zeros() {
    let cases: [(&str, &str, Response, &str); 9] = [
        (
            "truncated_json",
            "/truncated-json",
            Response::json(200, r#"{"v": 1"#),
            "/v",
        ),
        (
            "html_page",
            "/html",
            Response::html(
                200,
                "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            ),
            "/v",
        ),
        (
            "wrong_type",
            "/object",
            Response::json(200, r#"{"v": {"count": 1}}"#),
            "/v",
        ),
        (
            "non_numeric",
            "/text",
            Response::json(200, r#"{"v": "n/a"}"#),
            "/v",
        ),
        (
            "non_numeric_series",
            "/series",
            Response::json(200, r#"{"v": [[1795348740, 1], [1795348800, "abc"]]}"#),
            "/v",
        ),
        (
            "null_value",
            "/null",
            Response::json(200, r#"{"v": null}"#),
            "/v",
        ),
        (
            "pointer_missing",
            "/missing",
            Response::json(200, r#"{"w": 1}"#),
            "/v",
        ),
        ("empty_body", "/empty", Response::json(200, ""), "/v"),
        (
            "bool_value",
            "/bool",
            Response::json(200, r#"{"v": true}"#),
            "/v",
        ),
    ];
    let mut metrics = String::from("metrics:\n");
    let mut gates = String::from("gates:\n");
    let mut ids = Vec::new();
    for (name, path, _, pointer) in &cases {
        metrics.push_str(&format!(
            "  {name}:\n    source:\n      http: {{ url: \"@BASE@{path}\", pointer: {pointer} }}\n"
        ));
        let id = name.replace('_', "-");
        gates.push_str(&format!("  {id}:\n    metric: {name}\n    max: 1000\n"));
        ids.push(id);
    }
    // Records: a pointer to a list of lists, and to a number. (A single object is one
    // record, as a file source's `{status, result, error}`.)
    let rec_yaml = "records:\n  rec_lists:\n    source:\n      http: { url: \"@BASE@/series\", pointer: /v }\n  rec_number:\n    source:\n      http: { url: \"@BASE@/number\", pointer: /v }\n";
    gates.push_str("  rec-lists:\n    records: rec_lists\n    expect: { count: 1 }\n");
    gates.push_str("  rec-number:\n    records: rec_number\n    expect: { count: 1 }\n");
    ids.push("rec-lists".into());
    ids.push("rec-number".into());

    let mut routes: Vec<_> = cases
        .iter()
        .map(|(_, path, resp, _)| route(path, resp.clone()))
        .collect();
    routes.push(route("/number", Response::json(200, r#"{"v": 3}"#)));
    let srv = Server::start(routes);
    let case = Case::new("http-malformed");
    let body = format!(
        "{metrics}{rec_yaml}{gates}stages:\n  - id: canary\n    gates: [{}]\n",
        ids.join(", ")
    )
    .replace("@BASE@", srv.base());
    case.policy(&body);
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let mut wrong = Vec::new();
    let names = cases.iter().map(|c| c.0).chain(["rec_lists", "rec_number"]);
    for name in names {
        if f.error(name).is_none() {
            wrong.push(format!("{name}: no error"));
        }
        if !samples(&f.snap, name).is_empty() || !records(&f.snap, name).is_empty() {
            wrong.push(format!("{name}: data despite a malformed answer"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}\n{}", f.text);

    // And through `run`: every gate is `error`, NO-GO.
    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "no-go");
    for id in &ids {
        assert_eq!(gate_status(&decision, id), "error", "{id}");
    }
}

// --- http: redirects -------------------------------------------------------------------------

#[test]
fn http_redirect_to_the_same_host_is_followed() {
    let srv = Server::start(vec![
        route("/old", Response::status(302).header("Location", "/new")),
        route(
            "/new",
            Response::status(301).header("Location", "@BASE@/newest"),
        ),
        route("/newest", Response::json(200, r#"{"v": 9}"#)),
    ]);
    let case = Case::new("http-redirect-same");
    case.policy(&http_metric(
        &format!("{}/old", srv.base()),
        &format!("        pointer: /v\n{}", bearer_header()),
    ));
    let f = case.fetch(
        &["--allow-host", &host_of(&srv)],
        &[("ROLLGATE_SECRET_E2E_TOKEN", SECRET)],
    );
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(samples(&f.snap, "m"), [(NOW_S, 9.0)]);
    assert_eq!(srv.hits("/newest"), 1);
}

#[test]
fn http_redirect_to_another_host_is_an_error_and_never_followed() {
    let other = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    let srv = Server::start(vec![route(
        "/v",
        Response::status(302).header("Location", format!("http://localhost:{}/v", other.port())),
    )]);
    let case = Case::new("http-redirect-other");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        &format!("        pointer: /v\n{}", bearer_header()),
    ));
    let f = case.fetch(
        &["--allow-host", &host_of(&srv)],
        &[("ROLLGATE_SECRET_E2E_TOKEN", SECRET)],
    );
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.to_ascii_lowercase().contains("redirect"), "{err}");
    assert_no_data(&f, "m");
    assert!(!f.shown().contains(SECRET));
    let seen = other.requests();
    assert!(
        seen.iter().all(|r| r.header("authorization").is_none()),
        "the credential leaked to another host: {seen:?}"
    );
    assert!(seen.is_empty(), "the redirect was followed: {seen:?}");
}

// --- run and stage selection -----------------------------------------------------------------

#[test]
fn run_with_a_failed_source_is_no_go_with_error_gates() {
    let srv = Server::start(vec![route("/v", Response::json(500, "{}"))]);
    let case = Case::new("run-failed-source");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1, "fail closed: {}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "no-go", "{decision}");
    assert_eq!(gate_status(&decision, "g"), "error");
    let blocker = decision["blockers"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["gate"] == "g"))
        .unwrap_or_else(|| panic!("g blocks: {decision}"));
    let gate = decision["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "g")
        .unwrap();
    let why = format!("{blocker} {gate}");
    assert!(why.contains("500"), "the report says why: {why}");

    // The markdown report too.
    let mut cmd = case.cmd("run");
    cmd.args(["--format", "markdown", "--no-report"]);
    let md = run(&mut cmd);
    assert_eq!(md.code, 1);
    assert!(md.stdout.contains("500"), "{}", md.stdout);
}

#[test]
fn fetch_reads_only_the_stages_gates_and_guards() {
    let srv = Server::start(vec![
        route("/own", Response::json(200, r#"{"v": 1}"#)),
        route("/guard", Response::json(200, r#"{"v": 2}"#)),
        route("/later", Response::json(200, r#"{"v": 3}"#)),
    ]);
    let case = Case::new("stage-sources");
    case.policy(
        &r#"metrics:
  own:
    source:
      http: { url: "@BASE@/own", pointer: /v }
  guarded:
    source:
      http: { url: "@BASE@/guard", pointer: /v }
  later:
    source:
      http: { url: "@BASE@/later", pointer: /v }
gates:
  own-gate: { metric: own, max: 10 }
  guard-gate: { metric: guarded, max: 10 }
  later-gate: { metric: later, max: 10 }
guards: [guard-gate]
stages:
  - id: canary
    gates: [own-gate]
  - id: broad
    gates: [later-gate]
"#
        .replace("@BASE@", srv.base()),
    );
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(samples(&f.snap, "own"), [(NOW_S, 1.0)]);
    assert_eq!(samples(&f.snap, "guarded"), [(NOW_S, 2.0)]);
    assert!(samples(&f.snap, "later").is_empty());
    assert!(f.snap["evidence"].get("later").is_none(), "{}", f.text);
    assert_eq!(srv.hits("/later"), 0);
}

#[test]
fn fetch_with_invalid_input_exits_2_and_fetches_nothing() {
    let srv = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    let case = Case::new("invalid-input");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let mut cmd = case.cmd_at("fetch", "no-such-stage");
    cmd.args(["--out", "snapshot.json"]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no-such-stage"), "{}", out.stderr);
    assert!(!case.dir.join("snapshot.json").exists());

    let mut cmd = case.cmd("fetch");
    cmd.args(["--out", "snapshot.json", "--timeout", "banana"]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("banana"), "{}", out.stderr);
    assert!(!case.dir.join("snapshot.json").exists());
    assert!(srv.requests().is_empty());
}

// --- github_issues ---------------------------------------------------------------------------

fn issue(number: u64, state: &str, labels: &[&str]) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/widgets/issues/{number}"),
        "html_url": format!("https://github.com/acme/widgets/issues/{number}"),
        "number": number,
        "title": format!("Issue {number}: fix the thing"),
        "state": state,
        "labels": labels.iter().map(|l| json!({"id": 1, "name": l, "color": "ff0000"})).collect::<Vec<_>>(),
        "user": {"login": "someone"},
        "body": "long text",
    })
}

/// The record rollgate keeps of `issue(...)`.
fn check_issue_record(r: &Value, number: u64, state: &str, labels: &[&str]) {
    assert_eq!(r["number"], number, "{r}");
    assert_eq!(r["title"], format!("Issue {number}: fix the thing"), "{r}");
    assert_eq!(r["state"], state, "{r}");
    assert_eq!(r["labels"], json!(labels), "{r}");
    let url = r["url"].as_str().unwrap_or_else(|| panic!("url: {r}"));
    assert!(
        url == format!("https://github.com/acme/widgets/issues/{number}")
            || url == format!("https://api.github.com/repos/acme/widgets/issues/{number}"),
        "{r}"
    );
}

#[test]
fn github_issues_by_number_with_the_token_as_bearer() {
    let srv = Server::start(vec![
        route(
            "/repos/acme/widgets/issues/1858",
            Response::json(200, issue(1858, "closed", &["dep", "runtime"]).to_string()),
        ),
        route(
            "/repos/acme/widgets/issues/1859",
            Response::json(200, issue(1859, "open", &[]).to_string()),
        ),
    ]);
    let case = Case::new("gh-numbers");
    case.policy(&format!(
        r#"records:
  deps:
    source:
      github_issues: {{ repo: acme/widgets, numbers: [1858, 1859], api_url: "{}" }}
gates:
  deps-closed:
    records: deps
    expect: {{ state: closed }}
stages:
  - id: canary
    gates: [deps-closed]
"#,
        srv.base()
    ));
    let f = case.fetch(
        &["--allow-host", &host_of(&srv)],
        &[("GITHUB_TOKEN", GH_TOKEN)],
    );
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let recs = records(&f.snap, "deps");
    assert_eq!(recs.len(), 2, "{}", f.text);
    check_issue_record(&recs[0], 1858, "closed", &["dep", "runtime"]);
    check_issue_record(&recs[1], 1859, "open", &[]);
    assert_eq!(f.snap["evidence"]["deps"]["source"], "github_issues");
    assert!(!f.shown().contains(GH_TOKEN), "{}", f.shown());

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {GH_TOKEN}").as_str())
        );
    }

    // One open dependency: NO-GO, and the token nowhere in the output.
    let (out, decision) = case.run(
        &["--allow-host", &host_of(&srv)],
        &[("GITHUB_TOKEN", GH_TOKEN)],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(gate_status(&decision, "deps-closed"), "fail");
    assert!(!out.stdout.contains(GH_TOKEN) && !out.stderr.contains(GH_TOKEN));
}

#[test]
fn github_issues_by_labels_follow_the_next_page() {
    let next =
        "@BASE@/repos/acme/widgets/issues?labels=dep%2Cblocker&state=all&per_page=100&page=2";
    let srv = Server::start(vec![
        route(
            "/repos/acme/widgets/issues?page=2",
            Response::json(
                200,
                json!([issue(3, "closed", &["dep", "blocker"])]).to_string(),
            )
            .header(
                "Link",
                "<@BASE@/repos/acme/widgets/issues?labels=dep%2Cblocker&state=all&per_page=100&page=1>; rel=\"prev\", <@BASE@/repos/acme/widgets/issues?labels=dep%2Cblocker&state=all&per_page=100&page=1>; rel=\"first\"",
            ),
        ),
        route(
            "/repos/acme/widgets/issues",
            Response::json(
                200,
                json!([
                    issue(1, "closed", &["dep", "blocker"]),
                    issue(2, "closed", &["blocker", "dep"])
                ])
                .to_string(),
            )
            .header(
                "Link",
                format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""),
            ),
        ),
    ]);
    let case = Case::new("gh-labels");
    case.policy(
        r#"records:
  deps:
    source:
      github_issues: { repo: acme/widgets, labels: [dep, blocker] }
gates:
  deps-closed:
    records: deps
    expect: { state: closed }
    min_count: 3
stages:
  - id: canary
    gates: [deps-closed]
"#,
    );
    // The API URL from the environment; no token: no Authorization header.
    let f = case.fetch(&[], &[("ROLLGATE_GITHUB_API_URL", srv.base())]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let mut numbers: Vec<u64> = records(&f.snap, "deps")
        .iter()
        .map(|r| r["number"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3], "{}", f.text);
    check_issue_record(
        records(&f.snap, "deps")
            .iter()
            .find(|r| r["number"] == 2)
            .unwrap(),
        2,
        "closed",
        &["blocker", "dep"],
    );

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let first = &reqs[0];
    assert_eq!(first.path(), "/repos/acme/widgets/issues");
    assert_eq!(first.param("labels").as_deref(), Some("dep,blocker"));
    assert_eq!(first.param("state").as_deref(), Some("all"));
    assert_eq!(first.param("per_page").as_deref(), Some("100"));
    assert_eq!(reqs[1].param("page").as_deref(), Some("2"));
    assert!(reqs.iter().all(|r| r.header("authorization").is_none()));
}

#[test]
fn github_issues_pagination_is_bounded() {
    // Every page says there is another.
    let srv = Server::start(vec![route(
        "/repos/acme/widgets/issues",
        Response::json(200, json!([issue(1, "closed", &["dep"])]).to_string()).header(
            "Link",
            "<@BASE@/repos/acme/widgets/issues?labels=dep&state=all&per_page=100&page=2>; rel=\"next\"",
        ),
    )]);
    let case = Case::new("gh-endless");
    case.policy(&format!(
        r#"records:
  deps:
    source:
      github_issues: {{ repo: acme/widgets, labels: [dep], api_url: "{}" }}
gates:
  deps-closed: {{ records: deps, expect: {{ state: closed }} }}
stages:
  - id: canary
    gates: [deps-closed]
"#,
        srv.base()
    ));
    let f = case.fetch(&["--deadline", "60s"], &[]);
    assert_ne!(f.out.code, 2, "{}", f.shown());
    let hits = srv.hits("/repos/acme/widgets/issues");
    assert!((2..=200).contains(&hits), "{hits} pages read");
    assert!(f.elapsed < Duration::from_secs(30), "{:?}", f.elapsed);
}

#[test]
fn github_issue_404_is_an_error() {
    let srv = Server::start(vec![route(
        "/repos/acme/widgets/issues/1",
        Response::json(200, issue(1, "closed", &[]).to_string()),
    )]);
    let case = Case::new("gh-404");
    case.policy(&format!(
        r#"records:
  deps:
    source:
      github_issues: {{ repo: acme/widgets, numbers: [1, 2], api_url: "{}" }}
gates:
  deps-closed: {{ records: deps, expect: {{ state: closed }} }}
stages:
  - id: canary
    gates: [deps-closed]
"#,
        srv.base()
    ));
    // The allowance as a CI job's environment gives it, beside another host.
    let allow = format!("prom.internal:9090, {}", host_of(&srv));
    let f = case.fetch(
        &[],
        &[("GITHUB_TOKEN", GH_TOKEN), ("ROLLGATE_ALLOW_HOSTS", &allow)],
    );
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("deps")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    let low = err.to_ascii_lowercase();
    assert!(low.contains("404") || low.contains("not found"), "{err}");
    assert!(!f.shown().contains(GH_TOKEN));
    assert!(srv.hits("/repos/acme/widgets/issues/2") >= 1);

    let (out, decision) = case.run(
        &[],
        &[("GITHUB_TOKEN", GH_TOKEN), ("ROLLGATE_ALLOW_HOSTS", &allow)],
    );
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "deps-closed"), "error");
}

// --- command ---------------------------------------------------------------------------------

fn command_policy(case: &Case, argv: &Value, extra: &str) {
    case.policy(&format!(
        r#"records:
  tests:
    source:
      command:
        argv: {argv}
{extra}gates:
  tests-pass:
    records: tests
    expect: {{ exit_code: 0 }}
stages:
  - id: canary
    gates: [tests-pass]
"#
    ));
}

/// The tail as lines, whether kept as one text or a list of lines.
fn tail_lines(r: &Value) -> Vec<String> {
    match &r["tail"] {
        Value::String(s) => s.lines().map(str::to_string).collect(),
        Value::Array(a) => a
            .iter()
            .map(|l| l.as_str().unwrap_or_default().trim_end().to_string())
            .collect(),
        other => panic!("tail: {other}"),
    }
}

#[test]
fn command_needs_allow_exec() {
    let case = Case::new("cmd-no-exec");
    command_policy(&case, &json!(["sh", "-c", "touch ran.marker"]), "");
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("tests")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.contains("--allow-exec"), "{err}");
    assert_no_data(&f, "tests");
    assert!(!case.dir.join("ran.marker").exists(), "the command ran");

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "tests-pass"), "error");
}

#[test]
fn command_records_exit_code_and_tail() {
    let case = Case::new("cmd-exit");
    let script = "for i in $(seq 1 30); do echo line $i; done; echo oops >&2; exit 3";
    let argv = json!(["sh", "-c", script]);
    command_policy(&case, &argv, "        tail_lines: 5\n");
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_eq!(f.out.code, 0, "the command answered: {}", f.shown());
    let recs = records(&f.snap, "tests");
    assert_eq!(recs.len(), 1, "{}", f.text);
    let r = &recs[0];
    assert_eq!(r["exit_code"], 3, "{r}");
    assert_eq!(r["timed_out"], false, "{r}");
    assert!(r["duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "{r}");
    assert_eq!(
        tail_lines(r),
        ["line 27", "line 28", "line 29", "line 30", "oops"],
        "{r}"
    );
    assert!(
        r["sha256"]
            .as_str()
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())),
        "{r}"
    );
    match &r["command"] {
        Value::Array(_) => assert_eq!(r["command"], argv, "{r}"),
        Value::String(s) => assert!(s.starts_with("sh") && s.contains("seq 1 30"), "{r}"),
        other => panic!("command: {other}"),
    }
    let ev = &f.snap["evidence"]["tests"];
    assert_eq!(ev["source"], "command", "{ev}");
    assert_eq!(ev["exit_code"], 3, "{ev}");

    let (out, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "tests-pass"), "fail");
}

#[test]
fn command_argv_is_never_a_shell_line() {
    let case = Case::new("cmd-argv");
    let arg = "$HOME; echo injected > pwned.txt";
    command_policy(&case, &json!(["echo", arg]), "");
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let r = &records(&f.snap, "tests")[0];
    assert_eq!(r["exit_code"], 0, "{r}");
    assert_eq!(tail_lines(r), [arg], "{r}");
    assert!(!case.dir.join("pwned.txt").exists());

    let (out, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
}

#[test]
fn command_timeout_kills_it() {
    let case = Case::new("cmd-timeout");
    // `sleep` is a child of `sh`: it holds the output pipes until it too is killed.
    command_policy(
        &case,
        &json!(["sh", "-c", "echo started; sleep 30; echo finished"]),
        "        timeout: 1s\n",
    );
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_ne!(f.out.code, 2, "{}", f.shown());
    assert!(f.elapsed < Duration::from_secs(10), "{:?}", f.elapsed);
    let recs = records(&f.snap, "tests");
    assert_eq!(recs.len(), 1, "{}", f.text);
    let r = &recs[0];
    assert_eq!(r["timed_out"], true, "{r}");
    assert_ne!(r["exit_code"], 0, "{r}");
    let tail = tail_lines(r);
    assert!(tail.contains(&"started".to_string()), "{r}");
    assert!(!tail.contains(&"finished".to_string()), "{r}");

    let (out, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_ne!(gate_status(&decision, "tests-pass"), "pass");
}

#[test]
fn command_timeout_kills_its_children_too() {
    let case = Case::new("cmd-timeout-children");
    // Without a shell of its own: the subshell would outlive `sh` unless the whole process
    // group is stopped.
    command_policy(
        &case,
        &json!([
            "sh",
            "-c",
            "(sleep 2; touch late.marker) & echo started; wait"
        ]),
        "        timeout: 1s\n",
    );
    let start = Instant::now();
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_ne!(f.out.code, 2, "{}", f.shown());
    std::thread::sleep(Duration::from_millis(3500).saturating_sub(start.elapsed()));
    assert!(
        !case.dir.join("late.marker").exists(),
        "a child of the timed-out command kept running"
    );
}

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

#[test]
fn file_csv_records_and_metrics() {
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
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let recs = records(&f.snap, "jobs");
    assert_eq!(recs.len(), 2, "{}", f.text);
    assert_eq!(recs[0]["id"], "j1");
    assert_eq!(recs[0]["cohort"], "canary");
    assert_eq!(recs[0]["latency_ms"].as_f64(), Some(120.0), "a number");
    assert_eq!(recs[0]["backend"], "kodosumi");
    assert_eq!(recs[1]["latency_ms"].as_f64(), Some(95.5), "a number");

    let mut by_surface: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (labels, s) in series(&f.snap, "latency") {
        let key = labels.get("surface").cloned().unwrap_or_default();
        assert_eq!(labels.len(), 1, "{labels:?}");
        by_surface.entry(key).or_default().extend(s);
    }
    for s in by_surface.values_mut() {
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    assert_eq!(
        by_surface,
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
