//! Stale data fails closed by default (policy additions 0.2, section 1): a snapshot without
//! `taken_at` is evaluated at the clock, and data a week old is stale even though no gate of
//! the bundled policy writes a `max_age`.

use serde_json::Value;

use crate::common::{rollgate, root, run};

const EXAMPLE: &str = "examples/khala-ws-only/go-internal-canary.json";

/// The GO example moved in time so that its newest sample is `age_s` before the clock, with
/// `taken_at` dropped; returns the file and the moved `taken_at` (RFC 3339).
fn moved(dir: &std::path::Path, age_s: i64) -> (std::path::PathBuf, String) {
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let mut snap: Value = serde_json::from_str(&text).unwrap();
    let ts = |v: &Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let taken = ts(&snap["taken_at"]);
    let target = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(age_s);
    let shift = target.as_second() - taken.as_second();
    let move_time = |v: &mut Value| {
        let t = ts(v) + jiff::SignedDuration::from_secs(shift);
        *v = Value::String(t.to_string());
    };
    move_time(&mut snap["stage_entered_at"]);
    for e in snap["evidence"].as_object_mut().unwrap().values_mut() {
        move_time(&mut e["fetched_at"]);
    }
    for metric in snap["series"].as_object_mut().unwrap().values_mut() {
        let list = match metric {
            Value::Array(list) => list.iter_mut().collect::<Vec<_>>(),
            one => vec![one],
        };
        for s in list {
            for sample in s["samples"].as_array_mut().unwrap() {
                let t = sample[0].as_i64().unwrap() + shift;
                sample[0] = Value::from(t);
            }
        }
    }
    let now = (taken + jiff::SignedDuration::from_secs(shift)).to_string();
    snap.as_object_mut().unwrap().remove("taken_at");
    let path = dir.join(format!("moved-{age_s}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&snap).unwrap()).unwrap();
    (path, now)
}

fn eval(snapshot: &std::path::Path, now: Option<&str>) -> Value {
    let mut cmd = rollgate();
    cmd.args([
        "eval",
        "--policy",
        "policies/khala-ws-only.yaml",
        "--env",
        "production",
        "--stage",
        "internal-canary",
        "--no-report",
        "--format",
        "json",
        "--snapshot",
    ]);
    cmd.arg(snapshot);
    if let Some(now) = now {
        cmd.args(["--now", now]);
    }
    let out = run(&mut cmd);
    assert!(out.stderr.is_empty() || out.code != 2, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr))
}

#[test]
fn week_old_data_without_taken_at_is_never_go_at_the_clock() {
    let dir = std::env::temp_dir().join(format!("rollgate-staleness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, then) = moved(&dir, 7 * 86_400);
    // At the time the data was taken it is the GO its name says: the test can fail.
    let d = eval(&path, Some(&then));
    assert_eq!(d["verdict"], "go", "{d:#}");
    // At the clock, a week later, every metric gate is stale.
    let d = eval(&path, None);
    assert_ne!(d["verdict"], "go");
    let composite =
        |g: &&Value| ["all-of", "any-of", "score"].contains(&g["kind"].as_str().unwrap());
    let stale: Vec<&Value> = d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] != "records" && !composite(g))
        .collect();
    assert!(!stale.is_empty());
    // A composite of stale members is inconclusive too.
    for g in d["gates"].as_array().unwrap().iter().filter(composite) {
        assert_eq!(g["status"], "inconclusive", "{g:#}");
    }
    for g in stale {
        assert_eq!(g["status"], "inconclusive", "{g:#}");
        assert_eq!(g["max_age"], "derived", "{g:#}");
        let m = g["message"].as_str().unwrap();
        assert!(
            m.contains("stale") && m.contains("the newest sample is 7d"),
            "{m}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_format_says_when_staleness_is_not_checked() {
    for format in ["text", "markdown", "github", "junit", "json"] {
        let out = run(rollgate().args([
            "eval",
            "--policy",
            "tests/fixtures/ledger/policy.yaml",
            "--env",
            "production",
            "--stage",
            "full",
            "--snapshot",
            "tests/fixtures/ledger/green.json",
            "--now",
            "2026-11-06T10:00:00Z",
            "--no-report",
            "--format",
            format,
        ]));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        assert!(
            out.stdout.contains("staleness not checked"),
            "{format}: {}",
            out.stdout
        );
    }
}
