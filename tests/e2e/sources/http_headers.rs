//! The http source's headers, secrets and failures over time: a header from the environment
//! is sent and never shown; 5xx and dropped connections are retried; timeouts and the
//! deadline bound the fetch.

use super::*;

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
    let reports = case.dir.join("reports");
    let written: Vec<_> = files_under(&reports)
        .into_iter()
        .map(|p| reports.join(p))
        .collect();
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

/// Fetches metric `m` from a server answering `/v` with `slow` (too slowly), with `args`;
/// asserts the fetch failed (exit 1) with an error about time, and returns it.
fn fetch_too_slow(name: &str, slow: Response, args: &[&str]) -> Fetched {
    let srv = Server::start(vec![route("/v", slow)]);
    let case = Case::new(name);
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(args, &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(mentions_time(&err), "{err}");
    f
}

#[test]
fn http_request_timeout_is_an_error() {
    let slow = Response::json(200, r#"{"v": 1}"#).delay(Duration::from_secs(5));
    let f = fetch_too_slow("http-timeout", slow, &["--timeout", "1s"]);
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
    let slow = Response::json(200, format!(r#"{{"v": 1, "pad": "{}"}}"#, "x".repeat(40)))
        .slow(Duration::from_secs(8));
    let f = fetch_too_slow("http-slow-body", slow, &["--timeout", "1s"]);
    assert_no_data(&f, "m");
    assert!(f.elapsed < Duration::from_secs(10), "{:?}", f.elapsed);
}

#[test]
fn http_deadline_bounds_the_whole_fetch() {
    let slow = Response::json(200, r#"{"v": 1}"#).delay(Duration::from_secs(6));
    let args = ["--timeout", "30s", "--deadline", "2s"];
    let f = fetch_too_slow("http-deadline", slow, &args);
    assert!(f.elapsed < Duration::from_millis(4500), "{:?}", f.elapsed);
}
