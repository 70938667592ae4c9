//! Sources under oversized, encoded and refused answers, and commands that print without end
//! or leave children behind: each is an error (or a record that says so) with its reason,
//! bounded in time and memory, and never GO.

use std::time::{Duration, Instant};

use crate::common::httpd::{Response, Server, route, sequence};
use crate::common::policy_text;
use crate::sources::{Case, http_metric, records};

/// A policy with one http metric read at /v.
fn metric_at(case: &Case, srv: &Server) {
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
}

/// fetch: exit 1 (NO-GO), the error of `m` contains each word; returns the error.
fn fails_with(case: &Case, extra: &[&str], words: &[&str]) -> String {
    let f = case.fetch(extra, &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error:\n{}", f.shown()));
    for w in words {
        assert!(err.contains(w), "`{w}` not in: {err}");
    }
    let (_, decision) = case.run(extra, &[]);
    assert_eq!(decision["verdict"], "no-go");
    err
}

#[test]
fn an_answer_over_max_response_is_refused_announced_or_streamed() {
    let big = format!(r#"{{"v": 1, "pad": "{}"}}"#, "x".repeat(3 << 20));
    for (name, response) in [
        ("sized", Response::json(200, big.clone())),
        ("unsized", Response::json(200, big.clone()).unsized_body()),
    ] {
        let srv = Server::start(vec![route("/v", response)]);
        let case = Case::new(&format!("max-response-{name}"));
        metric_at(&case, &srv);
        let err = fails_with(
            &case,
            &["--max-response", "1MiB"],
            &["larger than 1 MiB", "--max-response"],
        );
        // Not retried: it would be as large the next time.
        assert!(!err.contains("attempts"), "{err}");
        // Within the default limit it is read.
        let f = case.fetch(&[], &[]);
        assert_eq!(f.out.code, 0, "{}", f.shown());
    }
    let case = Case::new("max-response-flag");
    let srv = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    metric_at(&case, &srv);
    let f = case.fetch(&["--max-response", "lots"], &[]);
    assert_eq!(f.out.code, 2, "{}", f.shown());
    assert!(f.out.stderr.contains("--max-response"), "{}", f.out.stderr);
}

#[test]
fn compressed_answers_are_refused_with_that_reason() {
    let gz = vec![
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05,
    ];
    for (name, response, want) in [
        (
            "header",
            Response::json(200, "xx").header("Content-Encoding", "gzip"),
            "`gzip`-encoded",
        ),
        (
            "magic",
            Response::status(200)
                .header("Content-Type", "application/json")
                .bytes(gz.clone()),
            "gzip-compressed",
        ),
    ] {
        let srv = Server::start(vec![route("/v", response)]);
        let case = Case::new(&format!("gzip-{name}"));
        metric_at(&case, &srv);
        let err = fails_with(&case, &[], &[want]);
        assert!(!err.contains("not valid JSON"), "{err}");
    }
}

#[test]
fn too_many_requests_and_text_5xx_say_their_status() {
    for (status, text) in [(429, "slow down, please"), (503, "upstream is restarting")] {
        let srv = Server::start(vec![route(
            "/v",
            Response::status(status)
                .header("Content-Type", "text/plain")
                .body(text),
        )]);
        let case = Case::new(&format!("status-{status}"));
        metric_at(&case, &srv);
        let err = fails_with(&case, &[], &[&format!("HTTP {status}"), text]);
        assert!(!err.contains("JSON"), "{err}");
        assert!(err.contains("after 3 attempts"), "{err}");
    }
    // A 429 then an answer: retried, and read.
    let srv = Server::start(vec![sequence(
        "/v",
        vec![Response::status(429), Response::json(200, r#"{"v": 2}"#)],
    )]);
    let case = Case::new("status-429-then-ok");
    metric_at(&case, &srv);
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(srv.hits("/v"), 2);
}

#[test]
fn a_refused_redirect_is_asked_once() {
    let srv = Server::start(vec![route(
        "/v",
        Response::status(302).header("Location", "http://localhost:1/elsewhere"),
    )]);
    let case = Case::new("redirect-once");
    metric_at(&case, &srv);
    let err = fails_with(&case, &[], &["redirect"]);
    assert!(!err.contains("attempts"), "{err}");
    // fetch and run each asked once.
    assert_eq!(srv.hits("/v"), 2);
}

// --- commands ----------------------------------------------------------------------------------

/// Records `out` from the command `argv` (a YAML flow list, 60 s timeout), read by gate
/// `pass`.
fn command_policy(case: &Case, argv: &str) {
    let extra = "        timeout: 60s\n";
    case.policy(&policy_text::command_policy("out", "pass", argv, extra));
}

#[test]
fn a_command_printing_without_end_is_stopped_and_says_so() {
    let case = Case::new("cmd-flood");
    command_policy(&case, r#"[sh, -c, "echo first; yes flood"]"#);
    let started = Instant::now();
    let f = case.fetch(&["--allow-exec"], &[]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let r = &records(&f.snap, "out")[0];
    assert_eq!(r["output_limit"], true, "{r}");
    assert_eq!(r["output_truncated"], true);
    assert!(r["exit_code"].is_null());
    assert!(r["output_bytes"].as_u64().unwrap() > 64 << 20);
    assert!(r["tail"].as_str().unwrap().ends_with("flood"), "{r}");
    let warnings = f.snap["evidence"]["out"]["warnings"].to_string();
    assert!(warnings.contains("output limit"), "{warnings}");
    let (_, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(decision["verdict"], "no-go");
}

#[test]
fn a_command_printing_a_lot_keeps_its_tail_and_finishes() {
    let case = Case::new("cmd-long");
    // About 3 MB, then a last line: more than is kept, less than the limit.
    command_policy(
        &case,
        r#"[sh, -c, "yes 0123456789 | head -n 300000; echo LAST"]"#,
    );
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let r = &records(&f.snap, "out")[0];
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["output_truncated"], true);
    assert!(r.get("output_limit").is_none());
    assert_eq!(r["output_bytes"], 300_000 * 11 + 5);
    assert!(r["tail"].as_str().unwrap().ends_with("LAST"), "{r}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_command_leaves_nothing_running() {
    let case = Case::new("cmd-background");
    command_policy(
        &case,
        r#"[sh, -c, "sleep 300 & echo $! > bg.pid; echo started"]"#,
    );
    let started = Instant::now();
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert!(started.elapsed() < Duration::from_secs(30));
    let pid = std::fs::read_to_string(case.dir.join("bg.pid")).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    // Gone, or a zombie waiting for its new parent: not running.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = std::fs::read_to_string(&stat)
            .ok()
            .and_then(|s| s.rsplit(')').next().map(|r| r.trim().chars().next()))
            .flatten();
        if matches!(state, None | Some('Z' | 'X')) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the background child still runs: {state:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
