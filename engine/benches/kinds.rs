//! Benchmarks of the 0.2 gate kinds (docs/performance.md):
//!
//! - a burn-rate gate (`windows: ticket`: 1d/2h and 3d/6h) over a week of 15 s counters,
//!   against two threshold gates (`increase` of each counter over the week) on the same data:
//!   the burn rate must cost no more than the two thresholds;
//! - 100 threshold gates alone, and the same gates as members of 10 `score` composites and 10
//!   `all_of` composites: what judging composites adds.
//!
//!     cargo bench -p rollgate-engine --bench kinds

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rollgate_engine::decision::{Inputs, Verdict};
use rollgate_engine::policy::model::Policy;
use rollgate_engine::snapshot::{self, Snapshot};
use rollgate_engine::{EvalContext, evaluate};

/// 2026-11-22T12:00:00Z
const TAKEN_AT: u64 = 1_795_348_800;
/// A week of 15 s samples.
const WEEK: u64 = 7 * 86_400 / 15;

/// Two counters over a week: 1,000 requests and 0.2 errors per sample (a burn rate of 0.2 at
/// a 99.9% objective), each as one series.
fn counters_json() -> Vec<u8> {
    let mut s = String::from(r#"{"version":1,"taken_at":"2026-11-22T12:00:00Z","series":{"#);
    let first = TAKEN_AT - 15 * (WEEK - 1);
    for (k, (name, per)) in [("requests", 1_000.0), ("errors", 0.2)].iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""{name}":{{"labels":{{"service":"api"}},"samples":["#);
        for i in 0..WEEK {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "[{},{}]", first + 15 * i, per * i as f64);
        }
        s.push_str("]}");
    }
    s.push_str("}}");
    s.into_bytes()
}

const BURN: &str = "version: 1\npolicy: burn\nmetrics:\n  requests: {}\n  errors: {}\ngates:\n  slo:\n    burn_rate: { bad: errors, total: requests, objective: 99.9%, windows: ticket }\nstages:\n  - id: s\n    gates: [slo]\n";

const TWO_THRESHOLDS: &str = "version: 1\npolicy: two\nmetrics:\n  requests: {}\n  errors: {}\ngates:\n  r: { metric: requests, window: 7d, aggregate: increase, min: 0 }\n  e: { metric: errors, window: 7d, aggregate: increase, min: 0 }\nstages:\n  - id: s\n    gates: [r, e]\n";

/// 50 metrics x 2,880 samples (12 h at 15 s) for the composites.
fn metrics_json() -> Vec<u8> {
    let mut s = String::from(r#"{"version":1,"taken_at":"2026-11-22T12:00:00Z","series":{"#);
    let n = 2_880u64;
    for m in 0..50 {
        if m > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""m{m:02}":{{"labels":{{}},"samples":["#);
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            let v = 100 + (i * 7 + m) % 100;
            let _ = write!(s, "[{},{v}]", TAKEN_AT - 15 * (n - 1 - i));
        }
        s.push_str("]}");
    }
    s.push_str("}}");
    s.into_bytes()
}

/// 100 threshold gates (p95 over 1h and max over 6h of each metric); with `composites`, the
/// stage's gates are 10 scores and 10 all_of over them instead.
fn thresholds_yaml(composites: bool) -> String {
    let mut y = String::from("version: 1\npolicy: many\nmetrics:\n");
    for m in 0..50 {
        let _ = writeln!(y, "  m{m:02}: {{}}");
    }
    y.push_str("gates:\n");
    let mut ids = Vec::new();
    for m in 0..50 {
        let _ = writeln!(
            y,
            "  m{m:02}-p95: {{ metric: m{m:02}, window: 1h, aggregate: p95, max: 250 }}"
        );
        let _ = writeln!(
            y,
            "  m{m:02}-max: {{ metric: m{m:02}, window: 6h, aggregate: max, max: 400 }}"
        );
        ids.push(format!("m{m:02}-p95"));
        ids.push(format!("m{m:02}-max"));
    }
    let stage: Vec<String> = if composites {
        let mut out = Vec::new();
        for (k, chunk) in ids.chunks(10).enumerate() {
            let weights: Vec<String> = chunk.iter().map(|id| format!("{id}: 1")).collect();
            let _ = writeln!(
                y,
                "  score-{k}: {{ score: {{ weights: {{ {} }}, min: 90% }} }}",
                weights.join(", ")
            );
            let _ = writeln!(y, "  all-{k}: {{ all_of: [{}] }}", chunk.join(", "));
            out.push(format!("score-{k}"));
            out.push(format!("all-{k}"));
        }
        out
    } else {
        ids
    };
    let _ = writeln!(y, "stages:\n  - id: s\n    gates: [{}]", stage.join(", "));
    y
}

fn load(yaml: &str) -> Policy {
    match rollgate_engine::load_policy(yaml) {
        Ok(l) => l.policy,
        Err(d) => panic!("the bench policy does not load: {d:?}"),
    }
}

fn context(snap: &Snapshot) -> EvalContext {
    EvalContext {
        environment: "default".into(),
        stage: "s".into(),
        now: snap.taken_at.expect("taken_at"),
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    }
}

fn benches(c: &mut Criterion) {
    let counters = snapshot::from_json(&counters_json()).expect("parses");
    let cx = context(&counters);
    let burn = load(BURN);
    let two = load(TWO_THRESHOLDS);
    for p in [&burn, &two] {
        assert_eq!(evaluate(p, &counters, &cx).unwrap().verdict, Verdict::Go);
    }
    let mut g = c.benchmark_group("kinds");
    g.bench_function("burn_rate_ticket_week_15s", |b| {
        b.iter(|| evaluate(black_box(&burn), &counters, &cx).unwrap());
    });
    g.bench_function("two_thresholds_week_15s", |b| {
        b.iter(|| evaluate(black_box(&two), &counters, &cx).unwrap());
    });

    let metrics = snapshot::from_json(&metrics_json()).expect("parses");
    let cx = context(&metrics);
    let plain = load(&thresholds_yaml(false));
    let composed = load(&thresholds_yaml(true));
    for p in [&plain, &composed] {
        assert_eq!(evaluate(p, &metrics, &cx).unwrap().verdict, Verdict::Go);
    }
    g.bench_function("threshold_100_12h_15s", |b| {
        b.iter(|| evaluate(black_box(&plain), &metrics, &cx).unwrap());
    });
    g.bench_function("composites_20_over_100", |b| {
        b.iter(|| evaluate(black_box(&composed), &metrics, &cx).unwrap());
    });
    g.finish();
}

criterion_group!(kinds_benches, benches);
criterion_main!(kinds_benches);
