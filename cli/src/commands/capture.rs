//! `rollgate test --capture SNAPSHOT --policy P --env E --stage S`: from an incident to a
//! test. Writes a test case that expects the decision rollgate gives today: the data in
//! series notation where the series are regular, explicit samples otherwise.

use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;
use rollgate_engine::decision::Inputs;
use rollgate_engine::{EvalContext, evaluate};
// `capture` writes a policy skeleton, so it builds the policy as written (raw), not a
// validated one.
use rollgate_engine::policy::raw::DurationText;
use rollgate_engine::policy_test::{
    LabelledValues, RawExpect, RawTestCase, RawTestFile, TestSeries,
};
use rollgate_engine::snapshot::raw::{SampleValue, Time};
use rollgate_engine::snapshot::{Series, format_time};

use crate::args::TestArgs;
use crate::error::CliError;
use crate::exit::Exit;

pub fn run(args: &TestArgs) -> Result<Exit, CliError> {
    let (Some(snap_path), Some(policy_path), Some(env), Some(stage)) =
        (&args.capture, &args.policy, &args.env, &args.stage)
    else {
        return Err(CliError::usage(
            "--capture needs --policy, --env and --stage",
        ));
    };
    let (_, loaded) = crate::load::policy_file(policy_path)?;
    let (snap, _) = crate::load::snapshot_file(snap_path)?;
    let now = args
        .now
        .or(snap.taken_at)
        .ok_or_else(|| CliError::usage("the snapshot has no `taken_at`; pass --now"))?;
    let entered_at = args.entered_at.or(snap.stage_entered_at);
    let mut cx = context(env, stage, now, entered_at);
    cx.rollout_started_at = snap.rollout_started_at;
    cx.params = loaded
        .policy
        .resolve_params(&args.params, &snap.params)
        .map_err(|e| crate::evaluate::evaluation_refused(&e))?;
    let d = evaluate(&loaded.policy, &snap, &cx).map_err(|e| CliError::usage(e.to_string()))?;
    let interval = common_interval(snap.series.values().flatten(), now);
    let (series, any_notation) = test_series(&snap, &loaded.policy, now, interval);
    let records = snap
        .records
        .iter()
        .filter(|(k, _)| loaded.policy.records.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let out_dir = args
        .out
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let case = RawTestCase {
        name: args.name.clone().unwrap_or_else(|| {
            format!(
                "captured from {} at {}: {}",
                snap_path.display(),
                format_time(now),
                d.verdict.label()
            )
        }),
        env: env.clone(),
        stage: stage.clone(),
        now: format_time(now),
        entered_at: entered_at.map(format_time),
        rollout_started_at: snap.rollout_started_at.map(format_time),
        params: cx.params.clone().into_iter().collect(),
        interval: interval.filter(|_| any_notation).map(interval_text),
        series,
        records,
        expect: expectations(&d),
    };
    let file = RawTestFile {
        policy: relative(policy_path, out_dir)
            .display()
            .to_string()
            .replace('\\', "/"),
        tests: vec![case],
    };
    write_test(args.out.as_deref(), snap_path, now, &file)?;
    Ok(Exit::Go)
}

/// The context of the captured evaluation: no files are named or hashed (a test has none).
fn context(env: &str, stage: &str, now: f64, entered_at: Option<f64>) -> EvalContext {
    EvalContext {
        environment: env.to_owned(),
        stage: stage.to_owned(),
        now,
        entered_at,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: Some(crate::clock::monotonic()),
        inputs: Inputs {
            policy_sha256: String::new(),
            snapshot_sha256: String::new(),
            rollgate_version: rollgate_engine::VERSION.to_owned(),
            policy_path: None,
            snapshot_path: None,
            evaluation_id: None,
            ledger_head: None,
        },
    }
}

/// The series of the snapshot that the policy declares, each in series notation when it is
/// regular at `interval`, as explicit samples otherwise; `true` when any uses the notation.
fn test_series(
    snap: &rollgate_engine::snapshot::Snapshot,
    policy: &rollgate_engine::policy::model::Policy,
    now: f64,
    interval: Option<f64>,
) -> (IndexMap<String, TestSeries>, bool) {
    let mut series = IndexMap::new();
    let mut any_notation = false;
    for (name, list) in &snap.series {
        // Only what the policy declares can be in a test.
        if !policy.metrics.contains_key(name) {
            continue;
        }
        let mut entries = Vec::new();
        for s in list {
            let labels = s.labels.clone().into_iter().collect();
            match interval.and_then(|i| notation(s, now, i)) {
                Some(n) => {
                    any_notation = true;
                    entries.push(LabelledValues {
                        labels,
                        values: Some(n),
                        samples: None,
                    });
                }
                None => entries.push(LabelledValues {
                    labels,
                    values: None,
                    samples: Some(
                        s.times
                            .iter()
                            .zip(s.values.iter())
                            .map(|(t, v)| (Time::Unix(*t), sample_value(*v)))
                            .collect(),
                    ),
                }),
            }
        }
        series.insert(name.clone(), TestSeries::Labelled(entries));
    }
    (series, any_notation)
}

/// The test's `interval`, as a duration text.
fn interval_text(seconds: f64) -> DurationText {
    DurationText(
        rollgate_engine::policy::duration::Duration {
            seconds: seconds as i64,
        }
        .to_string(),
    )
}

/// What the test expects: the decision rollgate gives today.
fn expectations(d: &rollgate_engine::decision::Decision) -> RawExpect {
    RawExpect {
        verdict: Some(d.verdict),
        gates: d.gates.iter().map(|g| (g.id.clone(), g.status)).collect(),
        next_stage: Some(d.next_stage.clone()),
        blockers: Some(d.blockers.iter().filter_map(|b| b.gate.clone()).collect()),
        pairs: d
            .gates
            .iter()
            .filter(|g| !g.pairs.is_empty())
            .map(|g| {
                let pairs = g
                    .pairs
                    .iter()
                    .map(|p| (format!("{}/{}", p.long, p.short), p.status))
                    .collect();
                (g.id.clone(), pairs)
            })
            .collect(),
        shadow: d.gates.iter().any(|g| g.shadow).then(|| {
            d.gates
                .iter()
                .filter(|g| g.shadow)
                .map(|g| g.id.clone())
                .collect()
        }),
        awaiting_approval: {
            let awaiting = d.awaiting_approval();
            (!awaiting.is_empty()).then(|| awaiting.iter().map(|g| (*g).to_owned()).collect())
        },
    }
}

/// Prints the test file, or writes it to `out` (never over an existing file).
fn write_test(
    out: Option<&Path>,
    snap_path: &Path,
    now: f64,
    file: &RawTestFile,
) -> Result<(), CliError> {
    let mut yaml = format!(
        "# Captured by `rollgate test --capture` from {}: expects the decision rollgate gave\n# at {}. Edit the expectations to what the policy should say.\n",
        snap_path.display(),
        format_time(now)
    );
    yaml.push_str(
        &serde_saphyr::to_string(file)
            .map_err(|e| CliError::usage(format!("cannot write the test as YAML: {e}")))?,
    );
    match out {
        None => print!("{yaml}"),
        Some(p) => {
            crate::write::create_new(p, yaml.as_bytes()).map_err(CliError::Usage)?;
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}

fn sample_value(v: f64) -> SampleValue {
    if v.is_finite() {
        SampleValue::Number(v)
    } else if v.is_nan() {
        SampleValue::Text("NaN".into())
    } else if v > 0.0 {
        SampleValue::Text("+Inf".into())
    } else {
        SampleValue::Text("-Inf".into())
    }
}

/// The smallest spacing between consecutive samples of any series at or before `now`, in
/// whole seconds.
fn common_interval<'a>(all: impl Iterator<Item = &'a Series>, now: f64) -> Option<f64> {
    let mut best: Option<f64> = None;
    for s in all {
        for w in s.times.windows(2) {
            let d = w[1] - w[0];
            if w[1] <= now && d > 0.0 {
                best = Some(best.map_or(d, |b: f64| b.min(d)));
            }
        }
    }
    best.filter(|i| *i >= 1.0 && i.fract() == 0.0)
}

/// The series in notation, when every sample sits on the grid `now - k * interval` and none
/// is after `now`: runs of one value become `vxN`, gaps `_` or `_xN`.
fn notation(s: &Series, now: f64, interval: f64) -> Option<String> {
    if s.times.is_empty() || s.times.iter().any(|t| *t > now) {
        return None;
    }
    let mut slots: Vec<Option<f64>> = Vec::new();
    let first_k = ((now - s.times[0]) / interval).round();
    if first_k > 1_000_000.0 {
        return None;
    }
    slots.resize(first_k as usize + 1, None);
    for (t, v) in s.times.iter().zip(s.values.iter()) {
        let k = (now - t) / interval;
        if k.fract() != 0.0 {
            return None;
        }
        let idx = first_k as usize - k as usize;
        slots[idx] = Some(*v);
    }
    let fmt = |v: f64| {
        if v.is_nan() {
            "NaN".to_owned()
        } else if v.is_infinite() {
            if v > 0.0 { "Inf".into() } else { "-Inf".into() }
        } else {
            format!("{v}")
        }
    };
    let mut parts = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let mut j = i + 1;
        while j < slots.len() && same(slots[j], slots[i]) {
            j += 1;
        }
        let run = j - i;
        parts.push(match slots[i] {
            None if run == 1 => "_".to_owned(),
            None => format!("_x{run}"),
            Some(v) if run == 1 => fmt(v),
            Some(v) => format!("{}x{}", fmt(v), run - 1),
        });
        i = j;
    }
    Some(parts.join(" "))
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.to_bits() == y.to_bits(),
        _ => false,
    }
}

/// `target` relative to `from_dir` (both taken from the current directory).
fn relative(target: &Path, from_dir: &Path) -> PathBuf {
    let abs = |p: &Path| {
        let p = if p.is_absolute() {
            p.to_owned()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    let (t, f) = (abs(target), abs(from_dir));
    let tc: Vec<_> = t.components().collect();
    let fc: Vec<_> = f.components().collect();
    let common = tc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..fc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_series_become_notation() {
        let s = Series::new(
            Default::default(),
            vec![100.0, 160.0, 220.0, 340.0, 400.0],
            vec![1.0, 1.0, 1.0, 2.5, f64::NAN],
        );
        assert_eq!(notation(&s, 400.0, 60.0).as_deref(), Some("1x2 _ 2.5 NaN"));
        assert_eq!(
            notation(&s, 460.0, 60.0).as_deref(),
            Some("1x2 _ 2.5 NaN _")
        );
        assert_eq!(notation(&s, 430.0, 60.0), None, "off the grid");
        assert_eq!(notation(&s, 300.0, 60.0), None, "samples after now");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("policies/a.yaml"), Path::new("policies")),
            PathBuf::from("a.yaml")
        );
        assert_eq!(
            relative(Path::new("policies/a.yaml"), Path::new("tests/x")),
            PathBuf::from("../../policies/a.yaml")
        );
    }
}
