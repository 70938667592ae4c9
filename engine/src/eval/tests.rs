//! Evaluation at the edges, with values computed by hand from policy-v1.

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::{Evidence, Series, from_json, parse_time};

const POLICY: &str = r#"
version: 1
policy: demo
owner: team
environments: [production, staging]
metrics:
  err: {}
  lat: {}
  evict: {}
records:
  jobs: {}
gates:
  err-max:
    metric: err
    window: 10m
    aggregate: max
    max: { production: 0.01, default: 0.05 }
    min_samples: 3
  lat-p95:
    metric: lat
    aggregate: p95
    max: 250
    max_age: 5m
  err-streak:
    metric: err
    each: { max: 0.2 }
    consecutive: 3
    on_fail: rollback
  evict-trend:
    metric: evict
    trend: { forbid: increasing }
    min_samples: 8
    on_fail: warn
  jobs-ok:
    records: jobs
    where: { cohort: canary }
    expect: { status: completed }
    min_count: 2
guards: [err-streak]
stages:
  - id: canary
    hold: 30m
    gates: [err-max, lat-p95, jobs-ok]
  - id: wide
    hold: 1bd
    gates: [err-max, evict-trend]
  - id: full
    gates: [err-max]
"#;

fn policy() -> Policy {
    crate::load::load_policy(POLICY).unwrap().policy
}

const T0: f64 = 1_800_000_000.0;

/// A snapshot with `err` samples every minute ending at T0, `lat` and a rising `evict`
/// likewise, and jobs.
fn snapshot(err: &[f64], lat: &[f64], jobs: &str) -> Snapshot {
    let samples = |v: &[f64]| {
        let n = v.len();
        v.iter()
            .enumerate()
            .map(|(i, x)| {
                let t = T0 - 60.0 * (n - 1 - i) as f64;
                if x.is_nan() {
                    format!("[{t}, \"NaN\"]")
                } else {
                    format!("[{t}, {x}]")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let json = format!(
        r#"{{"version": 1, "series": {{
            "err": {{"samples": [{}]}},
            "lat": [{{"labels": {{"surface": "web"}}, "samples": [{}]}},
                    {{"labels": {{"surface": "ios"}}, "samples": [{}]}}],
            "evict": {{"samples": [{}]}}
        }}, "records": {{"jobs": {jobs}}}}}"#,
        samples(err),
        samples(lat),
        samples(lat),
        samples(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    );
    from_json(json.as_bytes()).unwrap()
}

fn cx(env: &str, stage: &str, entered: Option<f64>) -> EvalContext {
    EvalContext {
        environment: env.into(),
        stage: stage.into(),
        now: T0,
        entered_at: entered,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs {
            policy_sha256: "p".into(),
            snapshot_sha256: "s".into(),
            rollgate_version: "test".into(),
            policy_path: None,
            snapshot_path: None,
            evaluation_id: None,
            ledger_head: None,
        },
    }
}

const GOOD_JOBS: &str = r#"[{"id": "a", "cohort": "canary", "status": "completed"},
    {"id": "b", "cohort": "canary", "status": "completed"},
    {"id": "c", "cohort": "control", "status": "failed"}]"#;

fn gate<'a>(d: &'a Decision, id: &str) -> &'a crate::decision::GateResult {
    d.gates.iter().find(|g| g.id == id).unwrap()
}

#[test]
fn green_and_held_long_enough_is_go() {
    let s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let d = evaluate(
        &policy(),
        &s,
        &cx("production", "canary", Some(T0 - 1800.0)),
    )
    .unwrap();
    assert_eq!(d.verdict, Verdict::Go, "{:#?}", d.gates);
    assert_eq!(d.next_stage.as_deref(), Some("wide"));
    assert_eq!(d.exit_code, 0);
    let h = d.hold.as_ref().unwrap();
    assert_eq!(
        (h.required_s, h.elapsed_s, h.remaining_s),
        (1800, Some(1800), Some(0))
    );
    assert_eq!(d.gates.len(), 4, "stage gates then the guard");
    assert!(gate(&d, "err-streak").guard);
    assert_eq!(gate(&d, "lat-p95").series.len(), 2, "each series listed");
}

#[test]
fn hold_not_elapsed_is_hold_with_remaining_time() {
    let s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let d = evaluate(
        &policy(),
        &s,
        &cx("production", "canary", Some(T0 - 1000.0)),
    )
    .unwrap();
    assert_eq!(d.verdict, Verdict::Hold);
    assert_eq!(d.next_stage, None);
    let h = d.hold.as_ref().unwrap();
    assert_eq!(h.remaining_s, Some(800));
    assert_eq!(
        h.earliest_go_at.as_deref(),
        Some(crate::format::format_time(T0 + 800.0).as_str())
    );
}

#[test]
fn unknown_entry_time_with_a_hold_is_no_go() {
    let s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("production", "canary", None)).unwrap();
    assert_eq!(d.verdict, Verdict::NoGo);
    assert!(
        d.blockers
            .iter()
            .any(|b| b.gate.is_none() && b.reason.contains("entered"))
    );
    // The last stage has no hold: no entry time needed.
    let d = evaluate(&policy(), &s, &cx("production", "full", None)).unwrap();
    assert_eq!(d.verdict, Verdict::Go);
    assert_eq!(d.next_stage, None);
}

#[test]
fn per_env_bounds_apply() {
    // max over 10m is 0.03: fails production's 0.01, passes staging's default 0.05.
    let s = snapshot(&[0.001, 0.03, 0.001], &[100.0; 3], GOOD_JOBS);
    let prod = evaluate(&policy(), &s, &cx("production", "full", None)).unwrap();
    assert_eq!(gate(&prod, "err-max").status, GateStatus::Fail);
    assert_eq!(gate(&prod, "err-max").bound.max, Some(0.01));
    assert_eq!(prod.verdict, Verdict::NoGo);
    assert_eq!(prod.blockers[0].gate.as_deref(), Some("err-max"));
    let stg = evaluate(&policy(), &s, &cx("staging", "full", None)).unwrap();
    assert_eq!(gate(&stg, "err-max").status, GateStatus::Pass);
    assert_eq!(stg.verdict, Verdict::Go);
}

#[test]
fn exactly_at_the_bound_passes() {
    let s = snapshot(&[0.01, 0.01, 0.01], &[250.0; 3], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    assert_eq!(gate(&d, "err-max").status, GateStatus::Pass);
    assert_eq!(gate(&d, "lat-p95").status, GateStatus::Pass);
}

#[test]
fn too_few_samples_and_nan_are_inconclusive_and_block() {
    let s = snapshot(&[0.001, f64::NAN, f64::NAN], &[100.0; 3], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("production", "full", None)).unwrap();
    let g = gate(&d, "err-max");
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert_eq!(g.series[0].nan_samples, 2);
    assert!(g.message.contains("at least 3"), "{}", g.message);
    assert_eq!(d.verdict, Verdict::NoGo);
}

#[test]
fn stale_data_is_inconclusive() {
    let mut s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    for series in s.series.get_mut("lat").unwrap() {
        *series = Series::new(
            series.labels.clone(),
            series.times[..3].to_vec(),
            series.values[..3].to_vec(),
        );
    }
    let d = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    let g = gate(&d, "lat-p95");
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(g.message.contains("stale"), "{}", g.message);
}

/// Points at fresh step times filled from old samples (a Prometheus range query's lookback)
/// are as old as the samples the source says they are; an unknown age never passes
/// `max_age`. Without the evidence, the same points are fresh and pass.
#[test]
fn points_filled_from_old_samples_are_stale() {
    let s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    assert_eq!(gate(&d, "lat-p95").status, GateStatus::Pass);
    let with = |ev: Evidence| {
        let mut s = s.clone();
        s.evidence.insert("lat".into(), ev);
        evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap()
    };
    let old = Evidence {
        source: "prometheus".into(),
        data_as_of: Some(crate::format::format_time(T0 - 400.0)),
        ..Evidence::default()
    };
    let d = with(old.clone());
    let g = gate(&d, "lat-p95");
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.message);
    assert!(g.message.contains("6m40s old"), "{}", g.message);
    assert_eq!(
        g.series[0].newest_at.as_deref(),
        old.data_as_of.as_deref(),
        "the newest sample shown is the data's time"
    );
    let fresh = Evidence {
        data_as_of: Some(crate::format::format_time(T0 - 20.0)),
        ..old.clone()
    };
    assert_eq!(gate(&with(fresh), "lat-p95").status, GateStatus::Pass);
    let unknown = Evidence {
        data_age_unknown: Some("no selector answered".into()),
        ..old
    };
    let d = with(unknown);
    let g = gate(&d, "lat-p95");
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(g.message.contains("no selector answered"), "{}", g.message);
    // A gate without `max_age` is not affected by the age.
    assert_eq!(gate(&d, "err-max").status, GateStatus::Pass);
}

#[test]
fn missing_metric_fails_closed() {
    let mut s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    s.series.shift_remove("err");
    let d = evaluate(&policy(), &s, &cx("production", "full", None)).unwrap();
    assert_eq!(gate(&d, "err-max").status, GateStatus::Inconclusive);
    assert_eq!(
        d.verdict,
        Verdict::NoGo,
        "a rollback guard without data blocks too"
    );
    assert_eq!(gate(&d, "err-streak").status, GateStatus::Inconclusive);
}

#[test]
fn consecutive_violations_roll_back() {
    let s = snapshot(&[0.3, 0.001, 0.3, 0.3, 0.3], &[100.0; 5], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("staging", "full", None)).unwrap();
    let g = gate(&d, "err-streak");
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(g.value, Some(0.3), "the latest check");
    assert!(
        g.message.contains("the last 3 checks in a row violate"),
        "{}",
        g.message
    );
    assert_eq!(d.verdict, Verdict::Rollback);
    assert_eq!(d.exit_code, 4);
    // Two in a row is not enough.
    let s = snapshot(&[0.3, 0.001, 0.001, 0.3, 0.3], &[100.0; 5], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("staging", "full", None)).unwrap();
    assert_eq!(gate(&d, "err-streak").status, GateStatus::Pass);
}

#[test]
fn warn_gates_never_change_the_verdict() {
    let s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let d = evaluate(&policy(), &s, &cx("production", "wide", Some(0.0))).unwrap();
    assert_eq!(gate(&d, "evict-trend").status, GateStatus::Fail);
    assert_eq!(d.verdict, Verdict::Go);
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].gate, "evict-trend");
}

#[test]
fn records_gates_count_and_check() {
    let bad = r#"[{"id": "a", "cohort": "canary", "status": "completed"},
        {"id": "b", "cohort": "canary", "status": "awaiting_payment"}]"#;
    let s = snapshot(&[0.001; 10], &[100.0; 10], bad);
    let d = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    let g = gate(&d, "jobs-ok");
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.message
            .contains("record id=b: `status` is `awaiting_payment`"),
        "{}",
        g.message
    );
    let few = r#"[{"id": "a", "cohort": "canary", "status": "completed"}]"#;
    let s = snapshot(&[0.001; 10], &[100.0; 10], few);
    let d = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    assert_eq!(gate(&d, "jobs-ok").status, GateStatus::Inconclusive);
}

#[test]
fn refuses_unknown_stage_env_and_mismatched_snapshots() {
    let mut s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let p = policy();
    assert!(matches!(
        evaluate(&p, &s, &cx("prod", "canary", None)),
        Err(EvalError::UnknownEnvironment { .. })
    ));
    let e = evaluate(&p, &s, &cx("production", "canry", None)).unwrap_err();
    assert_eq!(e.help(), Some("did you mean `canary`?"));
    s.environment = Some("staging".into());
    assert!(matches!(
        evaluate(&p, &s, &cx("production", "canary", None)),
        Err(EvalError::SnapshotMismatch { .. })
    ));
}

#[test]
fn samples_after_now_are_never_read() {
    let s = snapshot(&[0.001, 0.001, 0.001, 0.5], &[100.0; 4], GOOD_JOBS);
    let mut c = cx("production", "full", None);
    c.now = T0 - 60.0;
    let d = evaluate(&policy(), &s, &c).unwrap();
    assert_eq!(gate(&d, "err-max").status, GateStatus::Pass);
    assert_eq!(d.evaluated_at, crate::format::format_time(T0 - 60.0));
}

#[test]
fn business_day_hold_from_friday() {
    let p = policy();
    let s = snapshot(&[0.001; 10], &[100.0; 10], GOOD_JOBS);
    let friday = parse_time("2027-01-08T10:00:00Z").unwrap();
    let mut c = cx("production", "wide", Some(friday));
    c.now = parse_time("2027-01-11T09:00:00Z").unwrap();
    let held = evaluate(&p, &s, &c);
    // The samples lie after `now` (the gates are inconclusive); the hold is what is checked.
    let d = held.unwrap();
    let h = d.hold.as_ref().unwrap();
    assert_eq!(h.earliest_go_at.as_deref(), Some("2027-01-11T10:00:00Z"));
    assert_eq!(h.remaining_s, Some(3600));
}

#[test]
fn same_inputs_same_json() {
    let s = snapshot(&[0.001, 0.03, 0.2], &[100.0, 300.0, 120.0], GOOD_JOBS);
    let a = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    let b = evaluate(&policy(), &s, &cx("production", "canary", Some(0.0))).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}
