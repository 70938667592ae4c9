//! Seed 004 (WeatherVane rollback monitor): checks every 30 s after a promotion.

use super::*;

// ------------------------------------------------------------------------------------------
// Seed 004 (WeatherVane rollback monitor): checks every 30 s after a promotion
// ------------------------------------------------------------------------------------------

/// Three monitoring periods on one day, each 10 minutes after a promotion (entered 10m30s
/// before `now`): healthy, degraded (10% errors from 14:02) and failing (30% errors from 16:05).
pub(super) const WV_HEALTHY: &str = "2026-11-21T12:10:00Z";
pub(super) const WV_DEGRADED: &str = "2026-11-21T14:10:00Z";
const WV_FAILING: &str = "2026-11-21T16:10:00Z";

/// The worker metrics, one sample every 30 s (one health check) from 10:00 to 16:10: 100
/// operations a check on the active worker, 1% errors except during the two episodes; a
/// previous worker with 50% errors and 900 MB, which the policy's `worker="active"` queries
/// must not read; 256 MB and 100 of 1024 file handles on the active worker; no failed health
/// check.
pub(super) fn weathervane_history() -> String {
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
    process_gauges(&mut om, &times);
    om.finish()
}

/// The health-check flag and the process gauges (memory, file handles) of both workers.
fn process_gauges(om: &mut OpenMetrics, times: &[i64]) {
    om.family("wvo_rollback_monitor_health_check_failed", "gauge");
    om.gauge(
        r#"wvo_rollback_monitor_health_check_failed{worker="active"}"#,
        times,
        |_| 0.0,
    );
    om.gauge(
        r#"wvo_rollback_monitor_health_check_failed{worker="previous"}"#,
        times,
        |_| 1.0,
    );
    om.family("process_resident_memory_bytes", "gauge");
    for (worker, mb) in [("active", 256.0), ("previous", 900.0)] {
        om.gauge(
            &format!(r#"process_resident_memory_bytes{{job="wvo-worker",worker="{worker}"}}"#),
            times,
            |_| mb * 1_048_576.0,
        );
    }
    om.family("process_open_fds", "gauge");
    om.gauge(
        r#"process_open_fds{job="wvo-worker",worker="active"}"#,
        times,
        |_| 100.0,
    );
    om.family("process_max_fds", "gauge");
    om.gauge(
        r#"process_max_fds{job="wvo-worker",worker="active"}"#,
        times,
        |_| 1024.0,
    );
}

/// `now` and the entry 10m30s before it, as RFC 3339 texts.
pub(super) fn wv_times(now: &str) -> (String, String) {
    let at = now.parse::<jiff::Timestamp>().unwrap();
    let entered = at - jiff::SignedDuration::from_secs(630);
    (now.to_string(), entered.to_string())
}

pub(super) fn wv_at<'a>(times: &'a (String, String)) -> At<'a> {
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
    wv_healthy(&prom, &dir);
    wv_degraded(&prom, &dir);
    wv_failing(&prom, &dir);
    wv_fetch_then_eval(&prom, &dir);
}

/// Healthy: GO, every gate passes, the evidence names each query, the values are the ones
/// written.
fn wv_healthy(prom: &Prometheus, dir: &std::path::Path) {
    let healthy = wv_times(WV_HEALTHY);
    let ran = run_at(wv_at(&healthy), Some(&prom.url()), dir);
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
}

/// Degraded: still GO, the `warn` gate fails and says so as a warning.
fn wv_degraded(prom: &Prometheus, dir: &std::path::Path) {
    let degraded = wv_times(WV_DEGRADED);
    let ran = run_at(wv_at(&degraded), Some(&prom.url()), dir);
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
}

/// Failing: ROLLBACK (exit 4), the rollback gate fails on the last sample.
fn wv_failing(prom: &Prometheus, dir: &std::path::Path) {
    let failing = wv_times(WV_FAILING);
    let ran = run_at(wv_at(&failing), Some(&prom.url()), dir);
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
}

/// `fetch`, then `eval` of what it wrote: the same ROLLBACK.
fn wv_fetch_then_eval(prom: &Prometheus, dir: &std::path::Path) {
    let failing = wv_times(WV_FAILING);
    let (out, snapshot) = fetch(wv_at(&failing), Some(&prom.url()), dir, "failing.json");
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
