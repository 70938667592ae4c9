//! Metamorphic properties over every bundled example: an example that is not GO stays not GO
//! when its data loses something. Each example (`examples/<policy>/<verdict>-<what>.json`) is
//! evaluated in process through the engine, as `rollgate eval` evaluates it (now = `taken_at`,
//! entry time = `stage_entered_at`), then again after each mutation:
//!
//! - removing a series (each series of each metric, in turn);
//! - removing samples: the newest half of a series, or all of them (data that stopped
//!   arriving; removing an arbitrary old sample is not data loss, it may be the spike itself);
//! - setting values non-finite: every sample of a series NaN; the newest sample NaN, `+Inf` or
//!   `-Inf`; the largest sample `-Inf` and the smallest `+Inf` (hiding the outlier that fails);
//! - duplicating records (the whole list, and its first record);
//! - shifting times past `now` (every sample of a series, or its newest half);
//! - dropping `taken_at` (so `now` is the clock, days or weeks after the data).
//!
//! None of these may turn a non-GO example into GO. The campaign covers the bundled examples
//! and the 0.2 additions' (burn-rate and composite gates, shadow and approve gates, rollout
//! windows and week-ago baselines, freezes, scripts reading other gates).

use std::path::PathBuf;
use std::sync::Arc;

use rollgate_engine::decision::{Decision, Verdict};
use rollgate_engine::policy::model::Policy;
use rollgate_engine::snapshot::{Series, Snapshot};
use rollgate_engine::{EvalContext, evaluate};

use crate::common::root;

struct Example {
    file: PathBuf,
    policy: Policy,
    snapshot: Snapshot,
    env: String,
    stage: String,
}

/// Each examples directory with its policy: the bundled ones (`examples/<id>/` beside
/// `policies/<id>.yaml`), then the 0.2 additions' (composites, burn rates, shadow and approve
/// gates: `tests/fixtures/additions/examples/<id>/` beside `tests/fixtures/additions/<id>.yaml`).
fn example_dirs() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for (examples, policies) in [
        ("examples", "policies"),
        (
            "tests/fixtures/additions/examples",
            "tests/fixtures/additions",
        ),
    ] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(examples))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() && !p.ends_with("migrations"))
            .collect();
        dirs.sort();
        for dir in dirs {
            let id = dir.file_name().unwrap().to_string_lossy().into_owned();
            out.push((dir, root().join(format!("{policies}/{id}.yaml"))));
        }
    }
    out
}

fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    for (dir, policy_file) in example_dirs() {
        let text = std::fs::read_to_string(&policy_file).unwrap();
        let policy = rollgate_engine::load_policy(&text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", policy_file.display()))
            .policy;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let snapshot = rollgate_engine::snapshot::from_json(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            out.push(Example {
                env: snapshot
                    .environment
                    .clone()
                    .expect("examples name their environment"),
                stage: snapshot.stage.clone().expect("examples name their stage"),
                file,
                policy: policy.clone(),
                snapshot,
            });
        }
    }
    assert!(out.len() >= 40, "found only {} examples", out.len());
    out
}

/// `now` as `rollgate eval` takes it: the snapshot's `taken_at`, else the clock (read once
/// per test, so that evaluating twice gives the same decision).
fn decide(ex: &Example, snap: &Snapshot, clock: f64) -> Decision {
    let now = snap.taken_at.unwrap_or(clock);
    let cx = EvalContext {
        environment: ex.env.clone(),
        stage: ex.stage.clone(),
        now,
        entered_at: snap.stage_entered_at,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Default::default(),
    };
    evaluate(&ex.policy, snap, &cx).unwrap_or_else(|e| panic!("{}: {e}", ex.file.display()))
}

/// Rebuilds series `i` of `metric` with new (time, value) columns.
fn with_series(
    snap: &Snapshot,
    metric: &str,
    i: usize,
    f: impl FnOnce(&mut Vec<f64>, &mut Vec<f64>),
) -> Snapshot {
    let mut s = snap.clone();
    let old = &s.series[metric][i];
    let (mut t, mut v) = (old.times.to_vec(), old.values.to_vec());
    f(&mut t, &mut v);
    s.series[metric][i] = Series::new(old.labels.clone(), t, v);
    s
}

/// Mutations of a snapshot, with what each does.
type Mutations = Vec<(String, Snapshot)>;

/// Every mutation of an example's snapshot, named.
fn mutations(ex: &Example) -> Mutations {
    let snap = &ex.snapshot;
    let now = snap.taken_at.expect("examples have taken_at");
    let mut out = Vec::new();
    let mut dropped = snap.clone();
    dropped.taken_at = None;
    out.push(("drop taken_at".to_owned(), dropped));
    for (metric, list) in &snap.series {
        for (i, series) in list.iter().enumerate() {
            let name = |what: &str| {
                format!(
                    "{what} of {metric}{}",
                    rollgate_engine::format::label_text(&series.labels)
                )
            };
            let mut removed = snap.clone();
            removed.series[metric].remove(i);
            out.push((name("remove series"), removed));
            if series.values.is_empty() {
                continue;
            }
            for (what, s) in series_mutations(snap, now, metric, i) {
                out.push((name(&what), s));
            }
        }
    }
    out.extend(record_mutations(snap));
    out
}

/// The mutations of series `i` of `metric` (which has samples): samples lost, non-finite,
/// or in the future.
fn series_mutations(snap: &Snapshot, now: f64, metric: &str, i: usize) -> Mutations {
    let series = &snap.series[metric][i];
    let n = series.values.len();
    let edit =
        |f: &dyn Fn(&mut Vec<f64>, &mut Vec<f64>)| with_series(snap, metric, i, |t, v| f(t, v));
    let mut out: Mutations = vec![
        (
            "remove the newest half".into(),
            edit(&|t, v| {
                t.truncate(n / 2);
                v.truncate(n / 2);
            }),
        ),
        (
            "remove every sample".into(),
            edit(&|t, v| {
                t.clear();
                v.clear();
            }),
        ),
        ("every sample NaN".into(), edit(&|_, v| v.fill(f64::NAN))),
    ];
    out.extend(non_finite_mutations(snap, now, metric, i));
    out.push((
        "every sample past now".into(),
        edit(&|t, _| {
            let first = t[0];
            for x in t.iter_mut() {
                *x = now + 60.0 + (*x - first);
            }
        }),
    ));
    out.push((
        "the newest half past now".into(),
        edit(&|t, _| {
            let shift = now + 60.0 - t[n / 2];
            for x in t[n / 2..].iter_mut() {
                *x += shift.max(0.0);
            }
        }),
    ));
    out
}

/// The newest sample (at or before now, which `last` and staleness read) NaN or infinite;
/// the largest finite sample -Inf, the smallest +Inf.
fn non_finite_mutations(snap: &Snapshot, now: f64, metric: &str, i: usize) -> Mutations {
    let series = &snap.series[metric][i];
    let mut out = Vec::new();
    let newest = series.times.iter().rposition(|t| *t <= now);
    for (label, x) in [
        ("NaN", f64::NAN),
        ("+Inf", f64::INFINITY),
        ("-Inf", f64::NEG_INFINITY),
    ] {
        if let Some(k) = newest {
            out.push((
                format!("newest sample {label}"),
                with_series(snap, metric, i, |_, v| v[k] = x),
            ));
        }
    }
    let finite = |v: &Arc<[f64]>, pick_max: bool| {
        (0..v.len()).filter(|k| v[*k].is_finite()).reduce(|a, b| {
            let better = if pick_max { v[b] > v[a] } else { v[b] < v[a] };
            if better { b } else { a }
        })
    };
    if let Some(k) = finite(&series.values, true) {
        out.push((
            "largest sample -Inf".into(),
            with_series(snap, metric, i, |_, v| v[k] = f64::NEG_INFINITY),
        ));
    }
    if let Some(k) = finite(&series.values, false) {
        out.push((
            "smallest sample +Inf".into(),
            with_series(snap, metric, i, |_, v| v[k] = f64::INFINITY),
        ));
    }
    out
}

/// Each record set written twice, and its first record duplicated.
fn record_mutations(snap: &Snapshot) -> Mutations {
    let mut out = Vec::new();
    for (set, list) in &snap.records {
        if list.is_empty() {
            continue;
        }
        let mut twice = snap.clone();
        let copy = twice.records[set].clone();
        twice.records[set].extend(copy);
        out.push((format!("records {set} written twice"), twice));
        let mut first = snap.clone();
        let r = first.records[set][0].clone();
        first.records[set].push(r);
        out.push((format!("first record of {set} duplicated"), first));
    }
    out
}

#[test]
fn data_loss_never_turns_a_non_go_example_into_go() {
    let mut checked = 0usize;
    let mut examples_checked = 0usize;
    let mut broken = Vec::new();
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for ex in examples() {
        let base = decide(&ex, &ex.snapshot, clock);
        let name = ex.file.file_name().unwrap().to_string_lossy().into_owned();
        // The property is about examples that are not GO; the example's own verdict is
        // checked against its name in examples.rs.
        if base.verdict == Verdict::Go {
            continue;
        }
        examples_checked += 1;
        for (what, snap) in mutations(&ex) {
            checked += 1;
            let d = decide(&ex, &snap, clock);
            if d.verdict == Verdict::Go {
                broken.push(format!("{name}: {what}"));
            }
            // Evaluation stays deterministic under mutations (one in ten, to keep it quick).
            if checked.is_multiple_of(10) {
                assert!(
                    d == decide(&ex, &snap, clock),
                    "{name}: {what} is not deterministic"
                );
            }
        }
    }
    eprintln!("metamorphic: {checked} mutations of {examples_checked} non-GO examples");
    assert!(
        broken.is_empty(),
        "{} of {checked} mutations turned a non-GO example into GO:\n{}",
        broken.len(),
        broken.join("\n")
    );
    assert!(examples_checked >= 20, "{examples_checked} non-GO examples");
    assert!(checked > 500, "only {checked} mutations");
}
