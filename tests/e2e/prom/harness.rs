//! The harness itself: a backfilled history is served as written, and a stopped server is gone.

use super::*;
use crate::common::prometheus::http_get;

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
