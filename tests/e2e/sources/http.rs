//! The http source's data shapes: a number at a JSON pointer, arrays of pairs, records,
//! and `response` records (status and body) for health checks and served documents.

use super::*;

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
