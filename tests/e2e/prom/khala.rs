//! Seed 001 (khala WS-only): a business day at external-5, green and with each regression.

use super::*;

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
    let mut om = OpenMetrics::default();
    khala_counters(&mut om, &times, from, to, day);
    khala_histograms(&mut om, &times, day);
    om.finish()
}

/// Requests, errors by code, reconnects, disconnects by cause.
fn khala_counters(om: &mut OpenMetrics, times: &[i64], from: i64, to: i64, day: KhalaDay) {
    let minutes = |t: i64| (t - from) / 60;
    om.family("khala_ws_requests", "counter");
    for surface in SURFACES {
        om.counter(
            &format!(r#"khala_ws_requests_total{{surface="{surface}"}}"#),
            times,
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
            times,
            |_| per_minute,
        );
    }
    om.family("khala_ws_reconnects", "counter");
    om.counter("khala_ws_reconnects_total", times, |t| {
        (90 - (t - from) / 3600) as f64
    });
    om.family("khala_ws_disconnects", "counter");
    om.counter(
        r#"khala_ws_disconnects_total{cause="slow_consumer_evicted"}"#,
        times,
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
        times,
        |_| 300.0,
    );
}

/// Replay bootstrap and delivery lag histograms by surface, and the duplicate counts.
fn khala_histograms(om: &mut OpenMetrics, times: &[i64], day: KhalaDay) {
    om.family("khala_replay_bootstrap_duration_ms", "histogram");
    for surface in SURFACES {
        for (k, le) in REPLAY_LE.iter().enumerate() {
            om.counter(
                &format!(
                    r#"khala_replay_bootstrap_duration_ms_bucket{{surface="{surface}",le="{le}"}}"#
                ),
                times,
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
                times,
                |_| per_minute[..=k].iter().sum(),
            );
        }
    }
    om.family("khala_client_duplicate_messages", "counter");
    for (surface, count) in [("web", 0.0), ("desktop", 0.0), ("ios", 2.0)] {
        om.gauge(
            &format!(r#"khala_client_duplicate_messages_total{{surface="{surface}"}}"#),
            times,
            |_| count,
        );
    }
}

fn khala_prometheus(day: KhalaDay) -> Option<Prometheus> {
    Prometheus::start(&khala_history(unix(K_ENTERED) - 3600, unix(K_NOW), day))
}

pub(super) fn khala_at(policy: &str) -> At<'_> {
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
