//! The github_issues source against the test server as the API: by number, by labels with
//! pagination (bounded), and 404.

use super::*;

// --- github_issues ---------------------------------------------------------------------------

fn issue(number: u64, state: &str, labels: &[&str]) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/widgets/issues/{number}"),
        "html_url": format!("https://github.com/acme/widgets/issues/{number}"),
        "number": number,
        "title": format!("Issue {number}: fix the thing"),
        "state": state,
        "labels": labels.iter().map(|l| json!({"id": 1, "name": l, "color": "ff0000"})).collect::<Vec<_>>(),
        "user": {"login": "someone"},
        "body": "long text",
    })
}

/// The record rollgate keeps of `issue(...)`.
fn check_issue_record(r: &Value, number: u64, state: &str, labels: &[&str]) {
    assert_eq!(r["number"], number, "{r}");
    assert_eq!(r["title"], format!("Issue {number}: fix the thing"), "{r}");
    assert_eq!(r["state"], state, "{r}");
    assert_eq!(r["labels"], json!(labels), "{r}");
    let url = r["url"].as_str().unwrap_or_else(|| panic!("url: {r}"));
    assert!(
        url == format!("https://github.com/acme/widgets/issues/{number}")
            || url == format!("https://api.github.com/repos/acme/widgets/issues/{number}"),
        "{r}"
    );
}

#[test]
fn github_issues_by_number_with_the_token_as_bearer() {
    let srv = Server::start(vec![
        route(
            "/repos/acme/widgets/issues/1858",
            Response::json(200, issue(1858, "closed", &["dep", "runtime"]).to_string()),
        ),
        route(
            "/repos/acme/widgets/issues/1859",
            Response::json(200, issue(1859, "open", &[]).to_string()),
        ),
    ]);
    let case = Case::new("gh-numbers");
    case.policy(&format!(
        r#"records:
  deps:
    source:
      github_issues: {{ repo: acme/widgets, numbers: [1858, 1859], api_url: "{}" }}
gates:
  deps-closed:
    records: deps
    expect: {{ state: closed }}
stages:
  - id: canary
    gates: [deps-closed]
"#,
        srv.base()
    ));
    let f = case.fetch(
        &["--allow-host", &host_of(&srv)],
        &[("GITHUB_TOKEN", GH_TOKEN)],
    );
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let recs = records(&f.snap, "deps");
    assert_eq!(recs.len(), 2, "{}", f.text);
    check_issue_record(&recs[0], 1858, "closed", &["dep", "runtime"]);
    check_issue_record(&recs[1], 1859, "open", &[]);
    assert_eq!(f.snap["evidence"]["deps"]["source"], "github_issues");
    assert!(!f.shown().contains(GH_TOKEN), "{}", f.shown());

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {GH_TOKEN}").as_str())
        );
    }

    // One open dependency: NO-GO, and the token nowhere in the output.
    let (out, decision) = case.run(
        &["--allow-host", &host_of(&srv)],
        &[("GITHUB_TOKEN", GH_TOKEN)],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(gate_status(&decision, "deps-closed"), "fail");
    assert!(!out.stdout.contains(GH_TOKEN) && !out.stderr.contains(GH_TOKEN));
}

/// The issues labelled dep and blocker, on two pages: page 1 (issues 1 and 2) links to
/// page 2 (issue 3) as `next`.
fn two_pages_of_labelled_issues() -> Server {
    let next =
        "@BASE@/repos/acme/widgets/issues?labels=dep%2Cblocker&state=all&per_page=100&page=2";
    Server::start(vec![
        route(
            "/repos/acme/widgets/issues?page=2",
            Response::json(
                200,
                json!([issue(3, "closed", &["dep", "blocker"])]).to_string(),
            )
            .header(
                "Link",
                "<@BASE@/repos/acme/widgets/issues?labels=dep%2Cblocker&state=all&per_page=100&page=1>; rel=\"prev\", <@BASE@/repos/acme/widgets/issues?labels=dep%2Cblocker&state=all&per_page=100&page=1>; rel=\"first\"",
            ),
        ),
        route(
            "/repos/acme/widgets/issues",
            Response::json(
                200,
                json!([
                    issue(1, "closed", &["dep", "blocker"]),
                    issue(2, "closed", &["blocker", "dep"])
                ])
                .to_string(),
            )
            .header(
                "Link",
                format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""),
            ),
        ),
    ])
}

/// Records `deps`: the issues of acme/widgets labelled dep and blocker; at least 3, closed.
const LABELS_POLICY: &str = r#"records:
  deps:
    source:
      github_issues: { repo: acme/widgets, labels: [dep, blocker] }
gates:
  deps-closed:
    records: deps
    expect: { state: closed }
    min_count: 3
stages:
  - id: canary
    gates: [deps-closed]
"#;

#[test]
fn github_issues_by_labels_follow_the_next_page() {
    let srv = two_pages_of_labelled_issues();
    let case = Case::new("gh-labels");
    case.policy(LABELS_POLICY);
    // The API URL from the environment; no token: no Authorization header.
    let f = case.fetch(&[], &[("ROLLGATE_GITHUB_API_URL", srv.base())]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let mut numbers: Vec<u64> = records(&f.snap, "deps")
        .iter()
        .map(|r| r["number"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3], "{}", f.text);
    check_issue_record(
        records(&f.snap, "deps")
            .iter()
            .find(|r| r["number"] == 2)
            .unwrap(),
        2,
        "closed",
        &["blocker", "dep"],
    );

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let first = &reqs[0];
    assert_eq!(first.path(), "/repos/acme/widgets/issues");
    assert_eq!(first.param("labels").as_deref(), Some("dep,blocker"));
    assert_eq!(first.param("state").as_deref(), Some("all"));
    assert_eq!(first.param("per_page").as_deref(), Some("100"));
    assert_eq!(reqs[1].param("page").as_deref(), Some("2"));
    assert!(reqs.iter().all(|r| r.header("authorization").is_none()));
}

#[test]
fn github_issues_pagination_is_bounded() {
    // Every page says there is another.
    let srv = Server::start(vec![route(
        "/repos/acme/widgets/issues",
        Response::json(200, json!([issue(1, "closed", &["dep"])]).to_string()).header(
            "Link",
            "<@BASE@/repos/acme/widgets/issues?labels=dep&state=all&per_page=100&page=2>; rel=\"next\"",
        ),
    )]);
    let case = Case::new("gh-endless");
    case.policy(&format!(
        r#"records:
  deps:
    source:
      github_issues: {{ repo: acme/widgets, labels: [dep], api_url: "{}" }}
gates:
  deps-closed: {{ records: deps, expect: {{ state: closed }} }}
stages:
  - id: canary
    gates: [deps-closed]
"#,
        srv.base()
    ));
    let f = case.fetch(&["--deadline", "60s"], &[]);
    assert_ne!(f.out.code, 2, "{}", f.shown());
    let hits = srv.hits("/repos/acme/widgets/issues");
    assert!((2..=200).contains(&hits), "{hits} pages read");
    assert!(f.elapsed < Duration::from_secs(30), "{:?}", f.elapsed);
}

#[test]
fn github_issue_404_is_an_error() {
    let srv = Server::start(vec![route(
        "/repos/acme/widgets/issues/1",
        Response::json(200, issue(1, "closed", &[]).to_string()),
    )]);
    let case = Case::new("gh-404");
    case.policy(&format!(
        r#"records:
  deps:
    source:
      github_issues: {{ repo: acme/widgets, numbers: [1, 2], api_url: "{}" }}
gates:
  deps-closed: {{ records: deps, expect: {{ state: closed }} }}
stages:
  - id: canary
    gates: [deps-closed]
"#,
        srv.base()
    ));
    // The allowance as a CI job's environment gives it, beside another host.
    let allow = format!("prom.internal:9090, {}", host_of(&srv));
    let f = case.fetch(
        &[],
        &[("GITHUB_TOKEN", GH_TOKEN), ("ROLLGATE_ALLOW_HOSTS", &allow)],
    );
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("deps")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    let low = err.to_ascii_lowercase();
    assert!(low.contains("404") || low.contains("not found"), "{err}");
    assert!(!f.shown().contains(GH_TOKEN));
    assert!(srv.hits("/repos/acme/widgets/issues/2") >= 1);

    let (out, decision) = case.run(
        &[],
        &[("GITHUB_TOKEN", GH_TOKEN), ("ROLLGATE_ALLOW_HOSTS", &allow)],
    );
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "deps-closed"), "error");
}
