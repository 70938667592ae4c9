//! Old data is never fresh: a Prometheus range query fills every step up to `now` with the
//! last sample it has (up to its lookback delta, 5 minutes here), so a history that ends 30 s
//! before `now` still answers with points at `now`. `fetch` records how old the samples behind
//! each query are (`data_as_of`), and `run` and `watch` then find the gates with `max_age: 10s`
//! inconclusive, for a bare selector, an aggregation and a ratio alike. The real Prometheus of
//! `prom.rs` serves the history.

use serde_json::Value;

use super::{
    At, OpenMetrics, Prometheus, fetch, fresh_dir, gate, grid, rollgate_at, run_at, series,
    summary, unix,
};
use crate::common::run;

/// The end of the backfilled history.
const END: &str = "2026-11-25T12:00:00Z";
const ENTERED: &str = "2026-11-25T11:00:00Z";

/// Gauges and a counter sampled every 5 s for the hour before END, then nothing.
fn history() -> String {
    let end = unix(END);
    let times = grid(end - 3600, end, 5);
    let mut om = OpenMetrics::default();
    om.family("fresh_gauge", "gauge");
    for instance in ["a", "b"] {
        om.gauge(
            &format!(r#"fresh_gauge{{job="w",instance="{instance}"}}"#),
            &times,
            |_| 1.0,
        );
    }
    om.family("fresh_other", "gauge");
    om.gauge(r#"fresh_other{job="w",instance="a"}"#, &times, |_| 2.0);
    om.family("fresh_requests", "counter");
    om.counter(r#"fresh_requests_total{job="w"}"#, &times, |_| 10.0);
    om.finish()
}

/// Metrics read through a bare selector, an aggregation of rates, a ratio, and a constant
/// (which reads no series); each gate needs data at most 10 s old.
const POLICY: &str = r#"version: 1
policy: prom-fresh
title: Old data is not fresh
owner: e2e
environments: [production]
metrics:
  raw:
    source:
      prometheus: 'fresh_gauge{instance="a"}'
  rate:
    source:
      prometheus: 'sum(rate(fresh_requests_total[1m]))'
  ratio:
    source:
      prometheus: 'sum(fresh_gauge) / clamp_min(sum(rate(fresh_requests_total[1m])), 1e-9)'
  constant:
    source:
      prometheus: 'vector(1)'
gates:
  raw-fresh: { metric: raw, window: 5m, aggregate: max, max: 100, max_age: 10s }
  rate-fresh: { metric: rate, window: 5m, aggregate: max, max: 100, max_age: 10s }
  ratio-fresh: { metric: ratio, window: 5m, aggregate: max, max: 100, max_age: 10s }
  constant-fresh: { metric: constant, window: 5m, aggregate: max, max: 100, max_age: 10s }
stages:
  - id: only
    gates: [raw-fresh, rate-fresh, ratio-fresh, constant-fresh]
"#;

const READ: [&str; 3] = ["raw-fresh", "rate-fresh", "ratio-fresh"];

fn at<'a>(policy: &'a str, now: &'a str) -> At<'a> {
    At {
        policy,
        env: "production",
        stage: "only",
        now,
        entered_at: ENTERED,
    }
}

#[test]
fn data_that_stopped_arriving_is_stale_for_fetch_run_and_watch() {
    let Some(prom) = Prometheus::start(&history()) else {
        return;
    };
    let dir = fresh_dir("fresh");
    let policy = dir.join("fresh.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap().to_owned();
    fresh_at_the_end(&prom, &policy, &dir);
    stale_thirty_seconds_later(&prom, &policy, &dir);
    unknown_age_past_the_lookback(&prom, &policy, &dir);
    watch_is_never_go(&prom, &policy, &dir);
}

/// At the end of the history, everything is fresh: GO.
fn fresh_at_the_end(prom: &Prometheus, policy: &str, dir: &std::path::Path) {
    let ran = run_at(at(policy, END), Some(&prom.url()), &dir.join("at-end"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    for metric in ["raw", "rate", "ratio"] {
        assert_eq!(
            ran.snapshot["evidence"][metric]["data_as_of"], END,
            "{metric}"
        );
    }
    // `vector(1)` reads no series: its points' times are its data's times.
    let constant = &ran.snapshot["evidence"]["constant"];
    assert!(constant.get("data_as_of").is_none(), "{constant:#}");
    assert!(constant.get("data_age_unknown").is_none(), "{constant:#}");
}

/// 30 s later the steps still reach `now` (the lookback fills them), but the data is 30 s
/// old: stale, never GO; the report's evidence says how old the data is.
fn stale_thirty_seconds_later(prom: &Prometheus, policy: &str, dir: &std::path::Path) {
    let later = "2026-11-25T12:00:30Z";
    let (out, snapshot) = fetch(at(policy, later), Some(&prom.url()), dir, "later.json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let raw = series(&snapshot, "raw");
    assert_eq!(
        raw[0].1.last().map(|s| s.0),
        Some(unix(later) as f64),
        "the range query fills the steps up to now: {raw:?}"
    );
    for metric in ["raw", "rate", "ratio"] {
        assert_eq!(snapshot["evidence"][metric]["data_as_of"], END, "{metric}");
    }
    let ran = run_at(at(policy, later), Some(&prom.url()), &dir.join("later"));
    ran.assert_statuses(&READ, "inconclusive");
    ran.assert_statuses(&["constant-fresh"], "pass");
    for id in READ {
        let g = gate(&ran.decision, id);
        let message = g["message"].as_str().unwrap_or("");
        assert!(message.contains("30s old"), "{id}: {message}");
        assert_eq!(g["series"][0]["newest_at"], END, "{id}");
    }
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1);
    // The report's evidence says how old the data is.
    let report = crate::common::root().join(ran.decision["report"].as_str().unwrap());
    let markdown = std::fs::read_to_string(report).unwrap();
    assert!(
        markdown.contains("data as of 2026-11-25T12:00:00Z"),
        "{markdown}"
    );
}

/// Past the lookback, nothing the queries read has a sample before now: an unknown age.
fn unknown_age_past_the_lookback(prom: &Prometheus, policy: &str, dir: &std::path::Path) {
    let (_, snapshot) = fetch(
        at(policy, "2026-11-25T12:04:00Z"),
        Some(&prom.url()),
        dir,
        "much-later.json",
    );
    assert_eq!(snapshot["evidence"]["raw"]["data_as_of"], END);
    let (_, snapshot) = fetch(
        at(policy, "2026-11-25T12:06:00Z"),
        Some(&prom.url()),
        dir,
        "past-lookback.json",
    );
    for metric in ["raw", "rate", "ratio"] {
        let ev = &snapshot["evidence"][metric];
        if ev.get("error").is_none() && !series(&snapshot, metric).is_empty() {
            let why = ev["data_age_unknown"].as_str().unwrap_or("");
            assert!(why.contains("lookback"), "{metric}: {ev:#}");
        }
    }
}

/// `watch` replaying the same moments: no tick is GO.
fn watch_is_never_go(prom: &Prometheus, policy: &str, dir: &std::path::Path) {
    let later = "2026-11-25T12:00:30Z";
    let ledger = dir.join("ledger.jsonl");
    let mut cmd = rollgate_at("watch", at(policy, later));
    cmd.args([
        "--prometheus-url",
        &prom.url(),
        "--every",
        "10s",
        "--for",
        "20s",
    ])
    .args(["--format", "json", "--ledger"])
    .arg(&ledger);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let ticks: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(ticks.len(), 3, "{}", out.stdout);
    for t in &ticks {
        assert_eq!(t["verdict"], "no-go", "{t:#}");
        let not_passing: Vec<&str> = t["not_passing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["gate"].as_str().unwrap())
            .collect();
        assert_eq!(not_passing, READ, "{t:#}");
    }
}

/// A query over several metric names keeps `__name__` when it is all that tells the series
/// apart.
#[test]
fn series_that_differ_only_by_name_keep_it() {
    let Some(prom) = Prometheus::start(&history()) else {
        return;
    };
    let dir = fresh_dir("by-name");
    let policy = dir.join("by-name.yaml");
    std::fs::write(
        &policy,
        "version: 1\npolicy: prom-by-name\ntitle: Two names\nowner: e2e\nenvironments: [production]\n\
         metrics:\n  both:\n    source:\n      prometheus: '{__name__=~\"fresh_gauge|fresh_other\", instance=\"a\"}'\n\
         gates:\n  both-low: { metric: both, window: 5m, aggregate: max, max: 100 }\n\
         stages:\n  - id: only\n    gates: [both-low]\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap().to_owned();
    let (out, snapshot) = fetch(at(&policy, END), Some(&prom.url()), &dir, "both.json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut names: Vec<String> = series(&snapshot, "both")
        .iter()
        .map(|(labels, _)| labels["__name__"].as_str().unwrap_or("").to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["fresh_gauge", "fresh_other"],
        "{:#}",
        snapshot["series"]
    );
}
