//! Parameters and templated sources: one policy, two services. The file path names the
//! service, the snapshot and the decision carry the values, reports go under
//! POLICY/PARAMS/ENV/STAGE, each service keeps its own ledger history, and a value that could
//! change a path's or a query's structure is refused before anything runs.

use super::*;

fn params_case(name: &str) -> Case {
    let case = Case::new(name);
    for (service, lag) in [("checkout", 12), ("cart", 500)] {
        case.write(
            &format!("artifacts/{service}-production.json"),
            &format!(r#"{{"series": {{"lag": [[1795348680, {lag}]]}}}}"#),
        );
    }
    case.policy(
        r#"params:
  service: { description: the service, pattern: "^[a-z0-9-]{1,63}$" }
metrics:
  lag:
    source:
      file: { path: "artifacts/{{ params.service }}-{{ env }}.json", pointer: /series/lag }
gates:
  lag-low: { metric: lag, max: 100, max_age: none }
stages:
  - id: canary
    gates: [lag-low]
"#,
    );
    case
}

#[test]
fn one_policy_serves_two_services() {
    let case = params_case("params-two-services");
    let f = case.fetch(&["--param", "service=checkout"], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    assert_eq!(f.snap["params"]["service"], "checkout", "{}", f.text);
    assert!(
        f.snap["evidence"]["lag"]
            .to_string()
            .contains("artifacts/checkout-production.json"),
        "the evidence records the rendered path: {}",
        f.text
    );
    let reports = case.dir.join("reports");
    let dir = reports.to_str().unwrap();
    let (out, d) = case.run(&["--param", "service=checkout", "--report-dir", dir], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(d["params"]["service"], "checkout");
    assert!(
        d["report"]
            .as_str()
            .unwrap()
            .contains("sources-e2e/service=checkout/production/canary/"),
        "{d}"
    );
    // Replay finds the policy copy kept beside the reports, one level further up.
    let json = d["report"].as_str().unwrap().replace(".md", ".json");
    let mut replay = rollgate();
    replay.current_dir(&case.dir).args(["replay", &json]);
    let r = run(&mut replay);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("REPRODUCED"), "{r:?}");
    assert!(!r.stderr.contains("no stored copy"), "{r:?}");
    let (out, d) = case.run(&["--param", "service=cart", "--report-dir", dir], &[]);
    assert_eq!(out.code, 1, "cart lags: {}{}", out.stdout, out.stderr);
    assert!(
        d["report"].as_str().unwrap().contains("/service=cart/"),
        "{d}"
    );
    // The report names the values under its title.
    let md = std::fs::read_to_string(case.dir.join(d["report"].as_str().unwrap()))
        .or_else(|_| std::fs::read_to_string(d["report"].as_str().unwrap()))
        .unwrap();
    assert!(md.contains("| Params | service=cart |"), "{md}");
}

#[test]
fn bad_or_missing_values_are_refused_before_anything_runs() {
    let case = params_case("params-refused");
    for (args, want) in [
        (
            vec![],
            "param `service` of policy `sources-e2e` is required",
        ),
        (
            vec!["--param", "service=../etc"],
            "is not a value of param `service`",
        ),
        (
            vec!["--param", "servce=checkout"],
            "did you mean `service`?",
        ),
        (vec!["--param", "service"], "is not `NAME=VALUE`"),
    ] {
        let f = case.fetch(&args, &[]);
        assert_eq!(f.out.code, 2, "{args:?}: {}", f.shown());
        assert!(f.out.stderr.contains(want), "{args:?}: {}", f.out.stderr);
        assert!(f.text.is_empty(), "nothing written");
    }
}

#[test]
fn each_set_of_values_keeps_its_own_ledger_history() {
    let case = params_case("params-ledger");
    let ledger = case.dir.join("ledger.jsonl");
    let l = ledger.to_str().unwrap();
    let mut enter = rollgate();
    enter.current_dir(&case.dir);
    enter.args([
        "ledger",
        "enter",
        l,
        "--policy",
        "policy.yaml",
        "--env",
        "production",
    ]);
    enter.args([
        "--stage",
        "canary",
        "--param",
        "service=cart",
        "--at",
        "2026-11-22T10:00:00Z",
    ]);
    let out = run(&mut enter);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("sources-e2e/service=cart/production/canary"),
        "{}",
        out.stdout
    );
    let (_, cart) = case.run(&["--param", "service=cart", "--ledger", l], &[]);
    assert_eq!(cart["entered_at"], "2026-11-22T10:00:00Z", "{cart}");
    let (_, checkout) = case.run(&["--param", "service=checkout", "--ledger", l], &[]);
    assert_eq!(
        checkout["entered_at"],
        Value::Null,
        "another service's entry is not this one's: {checkout}"
    );
}
