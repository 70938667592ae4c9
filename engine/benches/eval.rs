//! Engine benchmarks (docs/performance.md): snapshot parsing, 100 threshold gates, the same
//! 100 gates as scripts, and creating the script engine plus compiling 100 scripts.
//!
//!     cargo bench -p rollgate-engine --bench eval
//!
//! The snapshot is generated here, in memory: 50 metrics x 7,200 one-second samples (2 h,
//! about 7.5 MB of JSON), the shape of scripts/gen_workloads.py's `large.json` with fewer
//! samples so that `cargo bench` stays quick. Every gate passes, so every gate is evaluated
//! in full.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rollgate_engine::Sandbox;
use rollgate_engine::decision::{Inputs, Verdict};
use rollgate_engine::policy::model::Policy;
use rollgate_engine::snapshot::{self, Snapshot};
use rollgate_engine::{EvalContext, evaluate};

const METRICS: usize = 50;
const SAMPLES: u64 = 7_200;
/// 2026-11-22T12:00:00Z
const TAKEN_AT: u64 = 1_795_348_800;

/// The snapshot as compact JSON: values in thousandths from a triangle wave plus LCG noise,
/// all between 100 and 229 (below every bound).
fn snapshot_json() -> Vec<u8> {
    let mut s = String::with_capacity(8 << 20);
    s.push_str(
        r#"{"version":1,"taken_at":"2026-11-22T12:00:00Z","environment":"production","stage":"full","stage_entered_at":"2026-11-20T12:00:00Z","series":{"#,
    );
    let first = TAKEN_AT - (SAMPLES - 1);
    for m in 0..METRICS {
        if m > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""m{m:02}":{{"labels":{{"service":"api"}},"samples":["#);
        let mut state = (m as u64 + 1).wrapping_mul(2_654_435_761) & 0xFFFF_FFFF;
        let period = 3_600 + 97 * m as u64;
        for i in 0..SAMPLES {
            state = (state.wrapping_mul(1_664_525) + 1_013_904_223) & 0xFFFF_FFFF;
            let phase = i % period;
            let wave = 40_000 * phase.min(period - phase) / period;
            let v = 100_000 + 1_000 * m as u64 + wave + state % 60_000;
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "[{},{}.{:03}]", first + i, v / 1000, v % 1000);
        }
        s.push_str("]}");
    }
    s.push_str("}}");
    s.into_bytes()
}

/// (id, metric, window, aggregate, script method, bound): p95 over 1 h and max over 1 d of
/// every metric.
fn gates() -> Vec<(
    String,
    String,
    &'static str,
    &'static str,
    &'static str,
    f64,
)> {
    (0..METRICS)
        .flat_map(|m| {
            let name = format!("m{m:02}");
            [
                (
                    format!("{name}-p95-1h"),
                    name.clone(),
                    "1h",
                    "p95",
                    "p(95)",
                    250.0,
                ),
                (format!("{name}-max-1d"), name, "1d", "max", "max()", 400.0),
            ]
        })
        .collect()
}

/// The policy: 100 threshold gates, or the same 100 gates as scripts.
fn policy_yaml(scripts: bool) -> String {
    let mut y = String::from(
        "version: 1\npolicy: bench\nowner: perf\nenvironments: [production]\nmetrics:\n",
    );
    for m in 0..METRICS {
        let _ = writeln!(y, "  m{m:02}: {{ unit: ms }}");
    }
    y.push_str("gates:\n");
    let gates = gates();
    for (id, metric, window, agg, method, bound) in &gates {
        let _ = writeln!(y, "  {id}:\n    window: {window}");
        if scripts {
            let _ = writeln!(
                y,
                "    script: 'series(\"{metric}\").{method} <= {bound:.1}'"
            );
        } else {
            let _ = writeln!(
                y,
                "    metric: {metric}\n    aggregate: {agg}\n    max: {bound:.1}"
            );
        }
    }
    y.push_str("stages:\n  - id: full\n    gates:\n");
    for (id, ..) in &gates {
        let _ = writeln!(y, "      - {id}");
    }
    y
}

fn load(yaml: &str) -> Policy {
    match rollgate_engine::load_policy(yaml) {
        Ok(loaded) => loaded.policy,
        Err(diags) => panic!("the bench policy does not load: {diags:?}"),
    }
}

fn context(snap: &Snapshot) -> EvalContext {
    EvalContext {
        environment: "production".into(),
        stage: "full".into(),
        now: snap.taken_at.expect("taken_at"),
        entered_at: snap.stage_entered_at,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs {
            policy_sha256: String::new(),
            snapshot_sha256: String::new(),
            rollgate_version: rollgate_engine::VERSION.into(),
            policy_path: None,
            snapshot_path: None,
            evaluation_id: None,
            ledger_head: None,
        },
    }
}

fn benches(c: &mut Criterion) {
    let json = snapshot_json();
    let snap = snapshot::from_json(&json).expect("the bench snapshot parses");
    let cx = context(&snap);
    let threshold = load(&policy_yaml(false));
    let scripted = load(&policy_yaml(true));
    for policy in [&threshold, &scripted] {
        let d = evaluate(policy, &snap, &cx).expect("evaluates");
        assert_eq!(d.verdict, Verdict::Go, "every gate passes");
    }

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.sample_size(20);
    g.bench_function("snapshot_50x7200", |b| {
        b.iter(|| snapshot::from_json(black_box(&json)).expect("parses"));
    });
    // The parse floor (engine/examples/parse_floor.rs): serde_json into derived structs, then
    // split into columns. What `snapshot_50x7200` is measured against.
    g.bench_function("floor_50x7200", |b| {
        b.iter(|| floor::parse(black_box(&json)));
    });
    g.finish();

    let mut g = c.benchmark_group("eval");
    g.bench_function("threshold_100", |b| {
        b.iter(|| evaluate(black_box(&threshold), &snap, &cx).expect("evaluates"));
    });
    g.bench_function("script_100", |b| {
        b.iter(|| evaluate(black_box(&scripted), &snap, &cx).expect("evaluates"));
    });
    g.finish();

    let sources: Vec<String> = gates()
        .iter()
        .map(|(_, metric, _, _, method, bound)| {
            format!("series(\"{metric}\").{method} <= {bound:.1}")
        })
        .collect();
    let mut g = c.benchmark_group("script");
    g.bench_function("engine_and_compile_100", |b| {
        b.iter(|| {
            let anchors = rollgate_engine::Anchors {
                entered_at: cx.entered_at,
                rollout_started_at: None,
            };
            let sandbox = Sandbox::new(&scripted, &snap, cx.now, anchors, None);
            let asts: Vec<_> = sources
                .iter()
                .map(|s| rollgate_engine::compile_script(s).expect("compiles"))
                .collect();
            (sandbox, asts)
        });
    });
    g.bench_function("load_script_policy_100", |b| {
        let yaml = policy_yaml(true);
        b.iter(|| load(black_box(&yaml)));
    });
    g.finish();
}

/// The parse floor, as in engine/examples/parse_floor.rs.
mod floor {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Snapshot {
        series: BTreeMap<String, Entry>,
    }

    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        labels: BTreeMap<String, String>,
        samples: Vec<(f64, f64)>,
    }

    /// Labels, times and values of each series.
    pub type Columns = Vec<(BTreeMap<String, String>, Vec<f64>, Vec<f64>)>;

    pub fn parse(json: &[u8]) -> Columns {
        let snap: Snapshot = serde_json::from_slice(json).expect("parses");
        snap.series
            .into_values()
            .map(|e| {
                let (t, v) = e.samples.into_iter().unzip();
                (e.labels, t, v)
            })
            .collect()
    }
}

criterion_group!(eval_benches, benches);
criterion_main!(eval_benches);
