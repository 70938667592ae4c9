//! Malformed http answers are errors, never zeros; redirects are followed on the same host
//! only.

use super::*;

// --- http: malformed answers -----------------------------------------------------------------

#[test]
fn http_truncated_body_is_an_error() {
    let body = r#"{"v": 12345, "more": [1, 2, 3]}"#;
    let srv = Server::start(vec![route("/v", Response::json(200, body).truncated(9))]);
    let case = Case::new("http-truncated");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    assert!(f.error("m").is_some(), "{}", f.text);
    assert_no_data(&f, "m");
}

/// One malformed answer: the metric's name, its route, the answer and the JSON pointer.
type Malformed = (&'static str, &'static str, Response, &'static str);

/// Every kind of malformed answer, each on its own route.
fn malformed_answers() -> Vec<Malformed> {
    vec![
        (
            "truncated_json",
            "/truncated-json",
            Response::json(200, r#"{"v": 1"#),
            "/v",
        ),
        (
            "html_page",
            "/html",
            Response::html(
                200,
                "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            ),
            "/v",
        ),
        (
            "wrong_type",
            "/object",
            Response::json(200, r#"{"v": {"count": 1}}"#),
            "/v",
        ),
        (
            "non_numeric",
            "/text",
            Response::json(200, r#"{"v": "n/a"}"#),
            "/v",
        ),
        (
            "non_numeric_series",
            "/series",
            Response::json(200, r#"{"v": [[1795348740, 1], [1795348800, "abc"]]}"#),
            "/v",
        ),
        (
            "null_value",
            "/null",
            Response::json(200, r#"{"v": null}"#),
            "/v",
        ),
        (
            "pointer_missing",
            "/missing",
            Response::json(200, r#"{"w": 1}"#),
            "/v",
        ),
        ("empty_body", "/empty", Response::json(200, ""), "/v"),
        (
            "bool_value",
            "/bool",
            Response::json(200, r#"{"v": true}"#),
            "/v",
        ),
    ]
}

/// A policy reading metric NAME from each case's route (gate NAME with dashes), and two record
/// sets (`rec_lists`, `rec_number`) whose pointers point at a list of lists and at a number;
/// returns it with the ids of its gates.
fn malformed_policy(cases: &[Malformed]) -> (String, Vec<String>) {
    let mut metrics = String::from("metrics:\n");
    let mut gates = String::from("gates:\n");
    let mut ids = Vec::new();
    for (name, path, _, pointer) in cases {
        metrics.push_str(&format!(
            "  {name}:\n    source:\n      http: {{ url: \"@BASE@{path}\", pointer: {pointer} }}\n"
        ));
        let id = name.replace('_', "-");
        gates.push_str(&format!("  {id}:\n    metric: {name}\n    max: 1000\n"));
        ids.push(id);
    }
    // Records: a pointer to a list of lists, and to a number. (A single object is one
    // record, as a file source's `{status, result, error}`.)
    let rec_yaml = "records:\n  rec_lists:\n    source:\n      http: { url: \"@BASE@/series\", pointer: /v }\n  rec_number:\n    source:\n      http: { url: \"@BASE@/number\", pointer: /v }\n";
    gates.push_str("  rec-lists:\n    records: rec_lists\n    expect: { count: 1 }\n");
    gates.push_str("  rec-number:\n    records: rec_number\n    expect: { count: 1 }\n");
    ids.push("rec-lists".into());
    ids.push("rec-number".into());
    let body = format!(
        "{metrics}{rec_yaml}{gates}stages:\n  - id: canary\n    gates: [{}]\n",
        ids.join(", ")
    );
    (body, ids)
}

/// Every kind of malformed answer is a source error, never a zero: each metric (and record
/// set) reads its own route, all in one fetch.
#[test]
fn http_malformed_answers_are_errors_never_zeros() {
    let cases = malformed_answers();
    let (body, ids) = malformed_policy(&cases);
    let mut routes: Vec<_> = cases
        .iter()
        .map(|(_, path, resp, _)| route(path, resp.clone()))
        .collect();
    routes.push(route("/number", Response::json(200, r#"{"v": 3}"#)));
    let srv = Server::start(routes);
    let case = Case::new("http-malformed");
    case.policy(&body.replace("@BASE@", srv.base()));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let mut wrong = Vec::new();
    let names = cases.iter().map(|c| c.0).chain(["rec_lists", "rec_number"]);
    for name in names {
        if f.error(name).is_none() {
            wrong.push(format!("{name}: no error"));
        }
        if !samples(&f.snap, name).is_empty() || !records(&f.snap, name).is_empty() {
            wrong.push(format!("{name}: data despite a malformed answer"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}\n{}", f.text);

    // And through `run`: every gate is `error`, NO-GO.
    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "no-go");
    for id in &ids {
        assert_eq!(gate_status(&decision, id), "error", "{id}");
    }
}

// --- http: redirects -------------------------------------------------------------------------

#[test]
fn http_redirect_to_the_same_host_is_followed() {
    let srv = Server::start(vec![
        route("/old", Response::status(302).header("Location", "/new")),
        route(
            "/new",
            Response::status(301).header("Location", "@BASE@/newest"),
        ),
        route("/newest", Response::json(200, r#"{"v": 9}"#)),
    ]);
    let case = Case::new("http-redirect-same");
    case.policy(&http_metric(
        &format!("{}/old", srv.base()),
        &format!("        pointer: /v\n{}", bearer_header()),
    ));
    let f = case.fetch(
        &["--allow-host", &host_of(&srv)],
        &[("ROLLGATE_SECRET_E2E_TOKEN", SECRET)],
    );
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(samples(&f.snap, "m"), [(NOW_S, 9.0)]);
    assert_eq!(srv.hits("/newest"), 1);
}

#[test]
fn http_redirect_to_another_host_is_an_error_and_never_followed() {
    let other = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    let srv = Server::start(vec![route(
        "/v",
        Response::status(302).header("Location", format!("http://localhost:{}/v", other.port())),
    )]);
    let case = Case::new("http-redirect-other");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        &format!("        pointer: /v\n{}", bearer_header()),
    ));
    let f = case.fetch(
        &["--allow-host", &host_of(&srv)],
        &[("ROLLGATE_SECRET_E2E_TOKEN", SECRET)],
    );
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("m")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.to_ascii_lowercase().contains("redirect"), "{err}");
    assert_no_data(&f, "m");
    assert!(!f.shown().contains(SECRET));
    let seen = other.requests();
    assert!(
        seen.iter().all(|r| r.header("authorization").is_none()),
        "the credential leaked to another host: {seen:?}"
    );
    assert!(seen.is_empty(), "the redirect was followed: {seen:?}");
}
