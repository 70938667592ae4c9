//! Script gates through the real evaluator: hostile scripts end as `error` (NO-GO), the
//! Series API against reference values, type strictness, determinism.

use crate::decision::{GateStatus, Inputs, Verdict};
use crate::eval::{EvalContext, evaluate};
use crate::snapshot::from_json;

/// A policy with one script gate.
fn policy(script: &str) -> crate::policy::model::Policy {
    let indented: String = script.lines().map(|l| format!("      {l}\n")).collect();
    let text = format!(
        "version: 1\npolicy: s\nenvironments: [production]\nvars:\n  budget: {{ production: 250, default: 400 }}\n  name: web\nmetrics:\n  lat: {{}}\n  err: {{}}\nrecords:\n  runs: {{}}\ngates:\n  g:\n    window: 10 checks\n    script: |\n{indented}stages:\n  - id: s\n    gates: [g]\n"
    );
    match crate::load::load_policy(&text) {
        Ok(l) => l.policy,
        Err(d) => panic!("{text}\n{d:#?}"),
    }
}

const SNAPSHOT: &str = r#"{"version": 1, "series": {
  "lat": [
    {"labels": {"surface": "web"}, "samples": [[1, 100], [2, 200], [3, 300], [4, 400], [5, "NaN"]]},
    {"labels": {"surface": "ios"}, "samples": [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]]}
  ],
  "err": {"samples": [[1, 0], [2, 5], [3, 1], [4, 7]]}
}, "records": {"runs": [
  {"id": "r1", "status": "SUCCESS", "marks": {"s1": 1, "s2": 1}},
  {"id": "r2", "status": "SUCCESS", "marks": {"s1": 1, "s2": 2}},
  {"id": "r3", "status": "queued", "marks": null}
]}}"#;

fn run(script: &str) -> crate::decision::Decision {
    run_timed(script, None)
}

/// `run`, with a clock for the watchdog.
fn run_timed(
    script: &str,
    clock: Option<crate::script::watchdog::SharedClock>,
) -> crate::decision::Decision {
    let p = policy(script);
    let snap = from_json(SNAPSHOT.as_bytes()).unwrap();
    let cx = EvalContext {
        environment: "production".into(),
        stage: "s".into(),
        now: 5.0,
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock,
        inputs: Inputs::default(),
    };
    evaluate(&p, &snap, &cx).unwrap()
}

/// The watchdog, timed on a fake clock 100 ms later at each reading, stops a script at a
/// known point (the 8th check, 8 x 1024 operations, 800 ms): the gate is `error`, which
/// blocks, and its message gives the limit, the time and the operations done. The same script
/// without a clock is stopped by the operation limit, as in practice.
#[test]
fn a_watchdog_breach_is_an_error_that_says_its_numbers() {
    let clock =
        crate::script::watchdog::SteppingClock::shared(std::time::Duration::from_millis(100));
    let d = run_timed("let s = series(\"err\");\nloop { s.count(); }", Some(clock));
    let g = &d.gates[0];
    assert_eq!((g.status, d.verdict), (GateStatus::Error, Verdict::NoGo));
    assert!(
        g.message.contains(
            "the script ran past the wall-clock watchdog: 800 ms elapsed, limit 750 ms, after 8192 operations"
        ),
        "{}",
        g.message
    );
    let (s, msg, _) = status("let s = series(\"err\");\nloop { s.count(); }");
    assert_eq!(s, GateStatus::Error);
    assert!(msg.contains("more than 2000000 operations"), "{msg}");
}

fn status(script: &str) -> (GateStatus, String, Option<f64>) {
    let d = run(script);
    let g = &d.gates[0];
    if g.status == GateStatus::Error {
        assert_eq!(d.verdict, Verdict::NoGo, "errors block");
    }
    (g.status, g.message.clone(), g.value)
}

#[test]
fn hostile_scripts_end_as_errors() {
    let data = "let s = series(\"err\");\n";
    for (name, body, cause) in [
        ("infinite loop", "loop { }", "too long"),
        (
            "string doubling",
            "let x = \"ab\"; loop { x += x; }",
            "grew past its limit",
        ),
        (
            "array doubling",
            "let a = [1]; loop { a += a; }",
            "grew past its limit",
        ),
        ("recursion", "fn f(n) { f(n + 1) } f(0)", "nested calls"),
        (
            "million keys",
            "let m = #{}; for i in 0..1000000 { m[`k${i}`] = i; } true",
            "too long|wall-clock",
        ),
        ("import", "import \"std\" as x; true", "module"),
        ("eval", "eval(\"1\")", "eval"),
        ("wrong result", "42", "must return a boolean"),
        (
            "missing property",
            "let m = #{a: 1};\nm.b > 0",
            "property `b`|not found",
        ),
        ("mismatched comparison", "0.5 < \"0.01\"", "cannot compare"),
        (
            "mismatched equality",
            "records(\"runs\")[0].status == 200",
            "cannot compare",
        ),
        ("runtime error", "throw \"boom\"", "boom"),
    ] {
        let script = format!("{data}{body}");
        match crate::load::load_policy(&format!(
            "version: 1\npolicy: s\nmetrics:\n  err: {{}}\nrecords:\n  runs: {{}}\ngates:\n  g:\n    script: |\n{}\nstages:\n  - id: s\n    gates: [g]\n",
            script
                .lines()
                .map(|l| format!("      {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )) {
            Err(diags) => {
                // Refused at load time is fine too (exit 2 before anything runs), but then it
                // must say why.
                let text = format!("{diags:?}");
                assert!(text.to_lowercase().contains(cause), "{name}: {text}");
            }
            Ok(_) => {
                let (s, msg, _) = status(&script);
                assert_eq!(s, GateStatus::Error, "{name}: {msg}");
                let lower = msg.to_lowercase();
                assert!(cause.split('|').any(|c| lower.contains(c)), "{name}: {msg}");
                assert!(msg.contains("gate `g`"), "{name}: {msg}");
            }
        }
    }
}

#[test]
fn huge_literals_are_refused_when_compiling() {
    let big = "a".repeat(2 << 20);
    let e = super::compile(&format!("series(\"x\").count() > 0 || \"{big}\" == \"\"")).unwrap_err();
    assert!(
        e.message.to_lowercase().contains("exceeds the maximum"),
        "{}",
        e.message
    );
}

#[test]
fn errors_name_the_script_and_policy_line() {
    let (s, msg, _) = status("let s = series(\"err\");\nlet x = 1;\nthrow \"bad\"");
    assert_eq!(s, GateStatus::Error);
    assert!(msg.contains("script line 3 (policy line 18)"), "{msg}");
}

#[test]
fn series_methods_match_reference_values() {
    // web window (10 checks, NaN skipped): 100 200 300 400.
    for checks in [
        ("last()", 400.0),
        ("first()", 100.0),
        ("min()", 100.0),
        ("max()", 400.0),
        ("avg()", 250.0),
        ("sum()", 1000.0),
        // numpy.std([100, 200, 300, 400]) = 111.80339887498948
        ("stddev()", 111.803_398_874_989_48),
        // numpy.percentile([100, 200, 300, 400], 95) = 385.0
        ("p(95)", 385.0),
        ("p(50.0)", 250.0),
        ("increase()", 300.0),
        // 300 over 3 s
        ("rate()", 100.0),
    ] {
        let (s, msg, v) = status(&format!(
            "let s = series(\"lat\", #{{surface: \"web\"}});\n#{{pass: true, value: s.{}}}",
            checks.0
        ));
        assert_eq!(s, GateStatus::Pass, "{}: {msg}", checks.0);
        let got = v.unwrap();
        assert!(
            (got - checks.1).abs() <= 1e-9 * checks.1.abs(),
            "{}: {got}",
            checks.0
        );
    }
    let (s, msg, v) = status(
        "let s = series(\"lat\", #{surface: \"web\"});\n#{pass: s.count() == 4 && s.values().len() == 4 && s.times()[0] == 1.0 && s.labels().surface == \"web\", value: s.count()}",
    );
    assert_eq!((s, v), (GateStatus::Pass, Some(4.0)), "{msg}");
    // increase handles counter resets: 0 5 1 7 -> 5 + 1 + 6 = 12
    let (_, _, v) = status("#{pass: true, value: series(\"err\").increase()}");
    assert_eq!(v, Some(12.0));
}

#[test]
fn the_worst_surface_within_its_budget() {
    let script = "let worst = 0.0;\nfor s in series_all(\"lat\") {\n  let p = s.p(95);\n  if p > worst { worst = p; }\n}\n#{pass: worst <= vars.budget, value: worst, message: `worst p95 ${worst} ms, budget ${vars.budget} ms`}";
    let (s, msg, v) = status(script);
    assert_eq!(s, GateStatus::Fail, "{msg}");
    // numpy.percentile([100, 200, 300, 400], 95) == 384.99999999999994 (numpy 2.4.6).
    assert_eq!(v, Some(384.999_999_999_999_94));
    assert!(msg.contains("budget 250 ms"), "{msg}");
}

#[test]
fn ambiguous_or_missing_series_are_errors() {
    let (s, msg, _) = status("series(\"lat\").last() > 0.0");
    assert_eq!(s, GateStatus::Error);
    assert!(msg.contains("matched 2 series"), "{msg}");
    let (s, msg, _) = status("series(\"lat\", #{surface: \"tv\"}).last() > 0.0");
    assert_eq!(s, GateStatus::Error);
    assert!(msg.contains("matched no series"), "{msg}");
}

#[test]
fn records_and_print_capture() {
    let script = "let dup = 0;\nfor r in records(\"runs\") {\n  if r.status == \"SUCCESS\" {\n    for k in r.marks.keys() { if r.marks[k] != 1 { dup += 1; print(`run ${r.id} step ${k}`); } }\n  }\n}\ndup == 0";
    let (s, msg, _) = status(script);
    assert_eq!(s, GateStatus::Fail);
    assert!(msg.contains("printed: run r2 step s2"), "{msg}");
}

#[test]
fn scripts_are_deterministic() {
    let script = "let s = series(\"lat\", #{surface: \"ios\"});\n#{pass: true, value: s.stddev() / 3.0 + s.p(33.3)}";
    let a = run(script);
    let b = run(script);
    assert_eq!(
        a.gates[0].value.unwrap().to_bits(),
        b.gates[0].value.unwrap().to_bits()
    );
}

#[test]
fn the_world_is_read_only_and_clockless() {
    // Constants cannot be reassigned; there is no timestamp().
    let (s, msg, _) = status("series(\"err\").count() > 0 && timestamp() > 0");
    assert_eq!(s, GateStatus::Error, "{msg}");
    let (s, _, _) = status("now = 1.0; series(\"err\").count() > 0");
    assert_eq!(s, GateStatus::Error);
}

#[test]
fn min_samples_and_max_age_apply_to_what_scripts_read() {
    // The gate reads `10 checks`; web has 4 non-NaN samples.
    let text = "version: 1\npolicy: s\nmetrics:\n  lat: {}\ngates:\n  g:\n    window: 10 checks\n    min_samples: 5\n    script: 'series(\"lat\", #{surface: \"web\"}).p(95) < 1000.0'\n  h:\n    max_age: 1s\n    script: 'series(\"lat\", #{surface: \"ios\"}).count() > 0'\nstages:\n  - id: s\n    gates: [g, h]\n";
    let p = crate::load::load_policy(text).unwrap().policy;
    let snap = from_json(SNAPSHOT.as_bytes()).unwrap();
    let cx = EvalContext {
        environment: "any".into(),
        stage: "s".into(),
        now: 7.0,
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    };
    let d = evaluate(&p, &snap, &cx).unwrap();
    assert_eq!(
        d.gates[0].status,
        GateStatus::Inconclusive,
        "{}",
        d.gates[0].message
    );
    assert!(
        d.gates[0]
            .message
            .contains("4 samples in the window; at least 5 needed")
    );
    assert_eq!(d.gates[0].samples, 4);
    assert_eq!(
        d.gates[1].status,
        GateStatus::Inconclusive,
        "{}",
        d.gates[1].message
    );
    assert!(
        d.gates[1].message.contains("stale"),
        "{}",
        d.gates[1].message
    );
    assert_eq!(d.verdict, Verdict::NoGo);
}

/// A script reads points filled from old samples: `max_age` counts from the data's time the
/// source recorded (`data_as_of`), and an unknown age is stale.
#[test]
fn scripts_see_the_age_of_the_data_behind_the_points() {
    let text = "version: 1\npolicy: s\nmetrics:\n  lat: {}\ngates:\n  h:\n    max_age: 2s\n    script: 'series(\"lat\", #{surface: \"ios\"}).count() > 0'\nstages:\n  - id: s\n    gates: [h]\n";
    let p = crate::load::load_policy(text).unwrap().policy;
    let cx = EvalContext {
        environment: "any".into(),
        stage: "s".into(),
        now: 6.0,
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    };
    let mut snap = from_json(SNAPSHOT.as_bytes()).unwrap();
    assert_eq!(evaluate(&p, &snap, &cx).unwrap().verdict, Verdict::Go);
    let mut ev = crate::snapshot::Evidence {
        source: "prometheus".into(),
        data_as_of: Some(crate::format::format_time(2.0)),
        ..Default::default()
    };
    snap.evidence.insert("lat".into(), ev.clone());
    let d = evaluate(&p, &snap, &cx).unwrap();
    assert_eq!(d.gates[0].status, GateStatus::Inconclusive);
    assert!(
        d.gates[0].message.contains("4s old"),
        "{}",
        d.gates[0].message
    );
    ev.data_as_of = None;
    ev.data_age_unknown = Some("the query has no selector".into());
    snap.evidence.insert("lat".into(), ev);
    let d = evaluate(&p, &snap, &cx).unwrap();
    assert_eq!(d.gates[0].status, GateStatus::Inconclusive);
    assert!(
        d.gates[0].message.contains("the query has no selector"),
        "{}",
        d.gates[0].message
    );
}
