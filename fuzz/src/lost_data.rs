//! The "never GO when the input lost data" oracle: a bundled example that is not GO stays not
//! GO after any sequence of data-losing mutations.
//!
//! Only mutations after which GO would be wrong whatever the policy says are used, so a GO is
//! a fail-open, never a false alarm:
//!
//! - a metric removed (unless the policy reads its absence as zero, `absent: zero`);
//! - a series emptied (its labels kept, every sample gone);
//! - every value of a series made NaN ("every sample in the window is NaN");
//! - some values of a series made +Inf or -Inf (an infinity can make a gate fail, never pass);
//! - every sample of a series moved past `now` (nothing at or before `now` is left);
//! - a record set emptied or removed;
//! - `taken_at` dropped and the snapshot evaluated by a clock at least a day later (not for
//!   HOLD examples: one whose gates read records only may legitimately finish its hold).
//!
//! Removing one series among several, some samples, some records, or making some values NaN
//! is deliberately not here: the remaining data can honestly pass (a NaN is skipped and
//! counted; a series set is complete only where the policy declares it).

use std::collections::BTreeSet;
use std::sync::Arc;

use rollgate_engine::decision::{Inputs, Verdict};
use rollgate_engine::{EvalContext, evaluate};
use rollgate_engine::policy::model::Policy;
use rollgate_engine::snapshot::Snapshot;

/// A bundled example whose verdict is not GO, ready to evaluate.
#[derive(Debug)]
pub struct Example {
    /// `examples/<policy>/<name>.json`.
    pub path: String,
    pub policy: Arc<Policy>,
    /// Metrics the policy reads as zero when absent (`absent: zero`): removing them is not a loss.
    pub absent_zero: Arc<BTreeSet<String>>,
    pub snapshot: Snapshot,
    pub cx: EvalContext,
    pub verdict: Verdict,
}

/// One data-losing mutation. Indices are taken modulo what exists.
#[derive(Debug, Clone, Copy)]
pub enum Loss {
    DropMetric(usize),
    EmptySeries(usize, usize),
    AllNaN(usize, usize),
    /// Metric, series, first sample, and a code: bit 0 the sign, bits 1-2 how many (1-4).
    Inf(usize, usize, usize, usize),
    PastNow(usize, usize),
    DropRecords(usize, bool),
    /// Seconds (at least a day) the clock is later than the dropped `taken_at`.
    DropTakenAt(u32),
}

/// Every bundled example (`examples/*/*.json`) that is not GO, sorted by path.
pub fn load_examples() -> Vec<Example> {
    let root = crate::root();
    let mut out = Vec::new();
    // The bundled policies with their examples, then the 0.2 additions' (burn-rate and
    // composite gates, shadow and approve gates) with theirs.
    let mut sets: Vec<(String, String, std::path::PathBuf)> = crate::bundled_policies()
        .into_iter()
        .map(|(id, text)| {
            let dir = root.join("examples").join(&id);
            (id, text, dir)
        })
        .collect();
    let additions = root.join("tests/fixtures/additions");
    let mut ids: Vec<String> = std::fs::read_dir(additions.join("examples"))
        .expect("additions' examples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    for id in ids {
        let text = std::fs::read_to_string(additions.join(format!("{id}.yaml"))).expect("policy");
        let dir = additions.join("examples").join(&id);
        sets.push((id, text, dir));
    }
    for (id, text, dir) in sets {
        let policy = Arc::new(
            rollgate_engine::load_policy(&text)
                .unwrap_or_else(|e| panic!("policies/{id}.yaml: {e:?}"))
                .policy,
        );
        let absent_zero = Arc::new(absent_zero(&text));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.expect("entry").path()).collect();
        files.sort();
        for path in files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let bytes = std::fs::read(&path).expect("example");
            let snapshot = rollgate_engine::snapshot::from_json(&bytes).expect("example parses");
            let cx = EvalContext {
                environment: snapshot.environment.clone().expect("example names its env"),
                stage: snapshot.stage.clone().expect("example names its stage"),
                now: snapshot.taken_at.expect("example has taken_at"),
                entered_at: snapshot.stage_entered_at,
                rollout_started_at: None,
                params: Default::default(),
                owner: None,
                // No watchdog: fuzzing must not depend on time (the operation limit bounds scripts).
                clock: None,
                inputs: Inputs::default(),
            };
            let verdict = evaluate(&policy, &snapshot, &cx)
                .expect("example evaluates")
                .verdict;
            if verdict != Verdict::Go {
                out.push(Example {
                    path: path.strip_prefix(&root).unwrap().display().to_string(),
                    policy: Arc::clone(&policy),
                    absent_zero: Arc::clone(&absent_zero),
                    snapshot,
                    cx,
                    verdict,
                });
            }
        }
    }
    assert!(!out.is_empty(), "no example that is not GO");
    out
}

/// Metrics declared `absent: zero` in the policy text (read from the YAML, so this holds
/// whether or not the engine knows the key yet).
fn absent_zero(text: &str) -> BTreeSet<String> {
    let doc = rollgate_engine::load_document(text).expect("bundled policy parses");
    doc.value
        .get("metrics")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.get("absent").and_then(|a| a.as_str()) == Some("zero"))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Applies the losses to a copy of the example's snapshot and context.
pub fn apply(ex: &Example, losses: &[Loss]) -> (Snapshot, EvalContext) {
    let mut s = ex.snapshot.clone();
    let mut cx = ex.cx.clone();
    for loss in losses {
        apply_one(ex, &mut s, &mut cx, *loss);
    }
    (s, cx)
}

fn apply_one(ex: &Example, s: &mut Snapshot, cx: &mut EvalContext, loss: Loss) {
    match loss {
        Loss::DropMetric(m) => {
            let n = s.series.len();
            if n > 0
                && !ex
                    .absent_zero
                    .contains(s.series.get_index(m % n).unwrap().0)
            {
                s.series.shift_remove_index(m % n);
            }
        }
        Loss::EmptySeries(m, i) => {
            if let Some(x) = series(s, m, i) {
                x.times = Arc::from([]);
                x.values = Arc::from([]);
            }
        }
        Loss::AllNaN(m, i) => {
            if let Some(x) = series(s, m, i) {
                x.values = x.values.iter().map(|_| f64::NAN).collect();
            }
        }
        Loss::Inf(m, i, from, code) => {
            if let Some(x) = series(s, m, i) {
                let mut v = x.values.to_vec();
                let len = v.len();
                let inf = if code % 2 == 1 {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                };
                for k in 0..((code >> 1) % 4 + 1).min(len) {
                    v[(from + k) % len] = inf;
                }
                x.values = v.into();
            }
        }
        Loss::PastNow(m, i) => {
            let now = cx.now;
            if let Some(x) = series(s, m, i) {
                x.times = (0..x.times.len()).map(|k| now + 1.0 + k as f64).collect();
            }
        }
        Loss::DropRecords(r, remove) => {
            let n = s.records.len();
            if n > 0 {
                if remove {
                    s.records.shift_remove_index(r % n);
                } else {
                    s.records[r % n].clear();
                }
            }
        }
        Loss::DropTakenAt(later) => {
            if ex.verdict != Verdict::Hold
                && let Some(t) = s.taken_at.take()
            {
                cx.now = t + 86_400.0 + f64::from(later % (30 * 86_400));
            }
        }
    }
}

/// The `i`th series of the `m`th metric (modulo what exists).
fn series(s: &mut Snapshot, m: usize, i: usize) -> Option<&mut rollgate_engine::snapshot::Series> {
    let n = s.series.len();
    if n == 0 {
        return None;
    }
    let list = &mut s.series[m % n];
    let k = list.len();
    if k == 0 {
        return None;
    }
    Some(&mut list[i % k])
}

/// Evaluates the mutated example and panics, naming the example and the losses, on GO.
pub fn check(ex: &Example, losses: &[Loss]) {
    let (s, cx) = apply(ex, losses);
    // An evaluation error is not GO (the CLI exits 2).
    if let Ok(d) = evaluate(&ex.policy, &s, &cx) {
        assert!(
            d.verdict != Verdict::Go,
            "fail-open: {} was {:?}; after losing data ({losses:?}) it is GO",
            ex.path,
            ex.verdict
        );
    }
}
