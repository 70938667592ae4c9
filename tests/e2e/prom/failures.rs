//! What goes wrong between rollgate and Prometheus: URL precedence and credentials, a server
//! that is down, rejected or empty queries, a server that never answers.

use std::net::TcpListener;

use super::*;

/// The base URL: `--prometheus-url` over ROLLGATE_PROMETHEUS_URL over the policy's; user and
/// password in it never reach the evidence or the report.
#[test]
fn url_precedence_and_credentials() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("url");
    let healthy = wv_times(WV_HEALTHY);

    // Only the environment variable (the policy names no url): GO.
    let mut cmd = rollgate_at("run", wv_at(&healthy));
    cmd.env("ROLLGATE_PROMETHEUS_URL", prom.url());
    let ran = run_with(cmd, &dir.join("env"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0);
    assert_prom_evidence(
        &ran.snapshot,
        "worker_error_rate",
        WEATHERVANE_QUERIES[0].1,
        &prom.url(),
    );

    // The flag wins over a dead environment variable.
    let mut cmd = rollgate_at("run", wv_at(&healthy));
    cmd.env("ROLLGATE_PROMETHEUS_URL", NOWHERE)
        .args(["--prometheus-url", &prom.url()]);
    let ran = run_with(cmd, &dir.join("flag"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 0);

    // Credentials in the URL are accepted, never shown.
    let secret = "s3cr3t-prom-pw-71";
    let with_user = prom
        .url()
        .replace("http://", &format!("http://rollgate:{secret}@"));
    let ran = run_at(wv_at(&healthy), Some(&with_user), &dir.join("creds"));
    assert_eq!(ran.verdict(), "go", "{}", summary(&ran.decision));
    for (metric, query) in WEATHERVANE_QUERIES {
        assert_prom_evidence(&ran.snapshot, metric, query, &prom.url());
    }
    let everything = format!(
        "{}{}{}{}",
        ran.out.stdout,
        ran.out.stderr,
        ran.snapshot,
        std::fs::read_to_string(root().join(ran.decision["report"].as_str().unwrap())).unwrap()
    );
    assert!(
        !everything.contains(secret),
        "the password leaked:\n{everything}"
    );

    // Without --out, the snapshot goes to stdout: the one --out writes.
    let mut cmd = rollgate_at("fetch", wv_at(&healthy));
    cmd.args(["--prometheus-url", &prom.url()]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let printed: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the snapshot ({e}):\n{}", out.stdout));
    let (_, written) = fetch(wv_at(&healthy), Some(&prom.url()), &dir, "written.json");
    assert_eq!(printed["series"], written["series"]);
    assert_eq!(printed["taken_at"], written["taken_at"]);
}

/// A Prometheus that is gone fails closed: the snapshot is still written with the cause in
/// `evidence.<metric>.error`, fetch exits 1, run gives NO-GO (exit 1, never 0) with every
/// Prometheus gate `error` and the cause in its message; so does the policy's own url when it
/// points nowhere.
#[test]
fn unreachable_prometheus_fails_closed() {
    let Some(mut prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let url = prom.url();
    prom.stop();
    let dir = fresh_dir("stopped");
    let healthy = wv_times(WV_HEALTHY);

    let (out, snapshot) = fetch(wv_at(&healthy), Some(&url), &dir, "stopped.json");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for (metric, query) in WEATHERVANE_QUERIES {
        let ev = &snapshot["evidence"][metric];
        assert_eq!(ev["source"], "prometheus", "{metric}: {ev:#}");
        assert_eq!(ev["query"], query, "{metric}: {ev:#}");
        let error = ev["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{metric}: {ev:#}"));
        assert!(
            error.to_ascii_lowercase().contains("refused"),
            "{metric}: the error does not give the cause: {error}"
        );
        assert!(
            ev["url"].as_str().is_some_and(|u| u.starts_with(&url)),
            "{metric}: {ev:#}"
        );
    }

    let ran = run_at(wv_at(&healthy), Some(&url), &dir);
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1, "{}", ran.out.stderr);
    for g in ran.decision["gates"].as_array().unwrap() {
        assert_eq!(g["status"], "error", "{}", summary(&ran.decision));
        let message = g["message"].as_str().unwrap_or("").to_ascii_lowercase();
        assert!(
            message.contains("refused") || message.contains("worker_"),
            "{}: the message names neither the source nor the cause: {message}",
            g["id"]
        );
    }
    let report = std::fs::read_to_string(root().join(ran.decision["report"].as_str().unwrap()))
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        report.contains("refused"),
        "the report does not say why:\n{report}"
    );

    // The test policy's own url (a closed port), with neither flag nor variable.
    let (out, snapshot) = fetch(khala_at(KHALA_SLO), None, &dir, "policy-url.json");
    assert_eq!(out.code, 1, "{}", out.stderr);
    for (metric, _) in KHALA_QUERIES {
        let ev = &snapshot["evidence"][metric];
        assert!(ev["error"].is_string(), "{metric}: {ev:#}");
        assert!(
            ev["url"].as_str().is_some_and(|u| u.starts_with(NOWHERE)),
            "{metric}: {ev:#}"
        );
    }
    let ran = run_at(khala_at(KHALA_SLO), None, &dir);
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1);
}

/// What Prometheus rejects and what it has nothing for: a query it refuses is an error with
/// its answer's status and message (fetch exits 1, the gate is `error`); a query that matches
/// nothing is an answer (HTTP 200, no series) whose gate is `inconclusive`, never a pass; a
/// policy's `step` is the step of the range query.
#[test]
fn rejected_and_empty_queries() {
    let Some(prom) = Prometheus::start(&weathervane_history()) else {
        return;
    };
    let dir = fresh_dir("edge");
    let policy = dir.join("edge.yaml");
    std::fs::write(&policy, edge_policy()).unwrap();
    let policy = policy.to_str().unwrap().to_string();
    let (now, entered) = wv_times(WV_HEALTHY);
    let at = At {
        policy: &policy,
        env: "production",
        stage: "only",
        now: &now,
        entered_at: &entered,
    };

    let (out, snapshot) = fetch(at, Some(&prom.url()), &dir, "edge.json");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    check_edge_evidence(&snapshot);

    let ran = run_at(at, Some(&prom.url()), &dir);
    ran.assert_statuses(&["rejected-gate"], "error");
    ran.assert_statuses(&["absent-gate"], "inconclusive");
    ran.assert_statuses(&["stepped-gate"], "pass");
    assert_eq!(ran.verdict(), "no-go", "{}", summary(&ran.decision));
    assert_eq!(ran.out.code, 1);
}

/// A rejected query, one that matches nothing, and one with the policy's own `step`.
fn edge_policy() -> String {
    format!(
        "version: 1\npolicy: prom-edge\ntitle: Rejected, empty and stepped queries\n\
         owner: e2e\nenvironments: [production]\nmetrics:\n\
         \x20 rejected:\n    source:\n      prometheus: 'sum(rate(wvo_worker_operations_total[1m]'\n\
         \x20 absent:\n    source:\n      prometheus: wvo_no_such_metric\n\
         \x20 stepped:\n    source:\n      prometheus:\n        url: {NOWHERE}\n\
         \x20       query: 'max(process_open_fds{{worker=\"active\"}})'\n        step: 1m\n\
         gates:\n\
         \x20 rejected-gate: {{ metric: rejected, window: 10m, aggregate: max, max: 1 }}\n\
         \x20 absent-gate: {{ metric: absent, window: 10m, aggregate: max, max: 1 }}\n\
         \x20 stepped-gate: {{ metric: stepped, window: 10m, aggregate: max, max: 1000, min_samples: 10 }}\n\
         stages:\n  - id: only\n    gates: [rejected-gate, absent-gate, stepped-gate]\n"
    )
}

/// What the fetch recorded: Prometheus's own error for the rejected query (HTTP 400), an
/// answer without series for the empty one (HTTP 200, no series invented), and the policy's
/// `step` in the stepped query's URL and samples.
fn check_edge_evidence(snapshot: &Value) {
    let rejected = &snapshot["evidence"]["rejected"];
    assert_eq!(rejected["source"], "prometheus", "{rejected:#}");
    assert_eq!(rejected["http_status"], 400, "{rejected:#}");
    let error = rejected["error"].as_str().unwrap_or("");
    assert!(
        error.contains("bad_data"),
        "Prometheus's error is not given: {error}"
    );
    let absent = &snapshot["evidence"]["absent"];
    assert_eq!(absent["http_status"], 200, "{absent:#}");
    assert!(absent.get("error").is_none(), "{absent:#}");
    assert!(
        snapshot["series"]
            .get("absent")
            .is_none_or(|s| s.as_array().is_some_and(Vec::is_empty)),
        "series from nothing: {}",
        snapshot["series"]["absent"]
    );
    let stepped = &snapshot["evidence"]["stepped"];
    let url = stepped["url"].as_str().unwrap_or("");
    assert!(
        url.contains("step=60"),
        "the policy's step is not used: {url}"
    );
    let samples = &series(snapshot, "stepped")[0].1;
    assert!(samples.len() >= 10, "{samples:?}");
    for pair in samples.windows(2) {
        assert_eq!(pair[1].0 - pair[0].0, 60.0, "{pair:?}");
    }
}

/// A server that accepts connections and never answers: each request times out
/// (`--timeout`), the gates are `error`, fetch exits 1.
#[test]
fn a_prometheus_that_never_answers_times_out() {
    // Connections complete in the listen backlog; nothing ever reads them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = fresh_dir("hung");
    let times = wv_times(WV_HEALTHY);
    let out_path = dir.join("hung.json");
    let mut cmd = rollgate_timeout("fetch", wv_at(&times), "1s");
    cmd.args(["--prometheus-url", &url, "--deadline", "60s", "--out"])
        .arg(&out_path);
    let (out, snapshot) = fetch_with(cmd, &out_path);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for (metric, _) in WEATHERVANE_QUERIES {
        let error = snapshot["evidence"][metric]["error"].as_str().unwrap_or("");
        assert!(
            error.to_ascii_lowercase().contains("time"),
            "{metric}: the error does not say it timed out: {error}"
        );
    }
    drop(listener);
}
