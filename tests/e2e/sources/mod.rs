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

use crate::common::fixtures::files_under;
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

mod command;
mod file;
mod github;
mod http;
mod http_headers;
mod http_malformed;
mod params;
mod stage_selection;
