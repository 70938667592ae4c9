//! `run` with a failed source, and `fetch` reading only the selected stage's gates and guards.

use super::*;

// --- run and stage selection -----------------------------------------------------------------

#[test]
fn run_with_a_failed_source_is_no_go_with_error_gates() {
    let srv = Server::start(vec![route("/v", Response::json(500, "{}"))]);
    let case = Case::new("run-failed-source");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1, "fail closed: {}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "no-go", "{decision}");
    assert_eq!(gate_status(&decision, "g"), "error");
    let blocker = decision["blockers"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["gate"] == "g"))
        .unwrap_or_else(|| panic!("g blocks: {decision}"));
    let gate = decision["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "g")
        .unwrap();
    let why = format!("{blocker} {gate}");
    assert!(why.contains("500"), "the report says why: {why}");

    // The markdown report too.
    let mut cmd = case.cmd("run");
    cmd.args(["--format", "markdown", "--no-report"]);
    let md = run(&mut cmd);
    assert_eq!(md.code, 1);
    assert!(md.stdout.contains("500"), "{}", md.stdout);
}

#[test]
fn fetch_reads_only_the_stages_gates_and_guards() {
    let srv = Server::start(vec![
        route("/own", Response::json(200, r#"{"v": 1}"#)),
        route("/guard", Response::json(200, r#"{"v": 2}"#)),
        route("/later", Response::json(200, r#"{"v": 3}"#)),
    ]);
    let case = Case::new("stage-sources");
    case.policy(
        &r#"metrics:
  own:
    source:
      http: { url: "@BASE@/own", pointer: /v }
  guarded:
    source:
      http: { url: "@BASE@/guard", pointer: /v }
  later:
    source:
      http: { url: "@BASE@/later", pointer: /v }
gates:
  own-gate: { metric: own, max: 10 }
  guard-gate: { metric: guarded, max: 10 }
  later-gate: { metric: later, max: 10 }
guards: [guard-gate]
stages:
  - id: canary
    gates: [own-gate]
  - id: broad
    gates: [later-gate]
"#
        .replace("@BASE@", srv.base()),
    );
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(samples(&f.snap, "own"), [(NOW_S, 1.0)]);
    assert_eq!(samples(&f.snap, "guarded"), [(NOW_S, 2.0)]);
    assert!(samples(&f.snap, "later").is_empty());
    assert!(f.snap["evidence"].get("later").is_none(), "{}", f.text);
    assert_eq!(srv.hits("/later"), 0);
}

#[test]
fn fetch_with_invalid_input_exits_2_and_fetches_nothing() {
    let srv = Server::start(vec![route("/v", Response::json(200, r#"{"v": 1}"#))]);
    let case = Case::new("invalid-input");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let mut cmd = case.cmd_at("fetch", "no-such-stage");
    cmd.args(["--out", "snapshot.json"]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no-such-stage"), "{}", out.stderr);
    assert!(!case.dir.join("snapshot.json").exists());

    let mut cmd = case.cmd("fetch");
    cmd.args(["--out", "snapshot.json", "--timeout", "banana"]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("banana"), "{}", out.stderr);
    assert!(!case.dir.join("snapshot.json").exists());
    assert!(srv.requests().is_empty());
}
