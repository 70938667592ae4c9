//! Policy test files (`*.test.yaml`): cases that build a snapshot from series notation,
//! evaluate the policy and compare the expectations.

use crate::decision::Verdict;
use crate::diagnostic::{Code, Diagnostic, Pos};
use crate::policy::model::Policy;
use crate::schema::Checked;

mod check;

pub use crate::test_file::{LabelledValues, RawExpect, RawTestCase, RawTestFile, TestSeries};
pub use check::check_against;

/// A test file parsed, schema-checked and typed, with its locations.
#[derive(Debug)]
pub struct LoadedTests {
    pub file: RawTestFile,
    pub doc: crate::load::Document,
}

/// Parses and schema-checks a test file. Err holds every problem found.
pub fn load_test_file(text: &str) -> Result<LoadedTests, Vec<Diagnostic>> {
    let doc = crate::load::document(text).map_err(|d| vec![d])?;
    let mut diags = crate::schema_check::check(Checked::Test, &doc.value, &doc.index);
    if !diags.is_empty() {
        crate::diagnostic::normalize(&mut diags);
        return Err(diags);
    }
    match serde_json::from_value::<RawTestFile>(doc.value.clone()) {
        Ok(file) => Ok(LoadedTests { file, doc }),
        Err(e) => Err(vec![Diagnostic::error(
            Code::BadStructure,
            Pos { line: 1, col: 1 },
            "",
            format!("the test file does not have the expected structure: {e}"),
        )]),
    }
}

/// What one test case gave.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    /// Every expectation that differs, in words (empty: the case passed).
    pub failures: Vec<String>,
    pub decision: crate::decision::Decision,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Builds the snapshot a test case describes: notation samples spaced by `interval`, the last
/// at `now`, `_` leaving a gap.
pub fn build_snapshot(case: &RawTestCase) -> Result<crate::snapshot::Snapshot, String> {
    use crate::snapshot::{Series, Snapshot, parse_time};
    let now = parse_time(&case.now)
        .ok_or_else(|| format!("`now` {}", crate::snapshot::time_problem(&case.now)))?;
    let interval = match &case.interval {
        Some(t) => {
            crate::policy::duration::Duration::parse(&t.0)
                .map_err(|e| e.to_string())?
                .seconds as f64
        }
        None => 60.0,
    };
    let mut snap = Snapshot {
        taken_at: Some(now),
        environment: Some(case.env.clone()),
        stage: Some(case.stage.clone()),
        ..Snapshot::default()
    };
    for (name, s) in &case.series {
        let mut series = Vec::new();
        let entries: Vec<(std::collections::BTreeMap<String, String>, &str)> = match s {
            TestSeries::Notation(n) => vec![(Default::default(), n.as_str())],
            TestSeries::Labelled(list) => {
                let mut notation = Vec::new();
                for l in list {
                    let labels = l.labels.clone().into_iter().collect();
                    match (&l.values, &l.samples) {
                        (Some(v), _) => notation.push((labels, v.as_str())),
                        (None, Some(samples)) => {
                            let mut t = Vec::with_capacity(samples.len());
                            let mut v = Vec::with_capacity(samples.len());
                            for (ts, val) in samples {
                                let (a, b) = explicit_sample(ts, val).ok_or_else(|| {
                                    format!("series `{name}`: a sample is not `[time, value]`")
                                })?;
                                t.push(a);
                                v.push(b);
                            }
                            series.push(Series::new(labels, t, v));
                        }
                        (None, None) => {
                            return Err(format!("series `{name}`: no `values` or `samples`"));
                        }
                    }
                }
                notation
            }
        };
        for (labels, text) in entries {
            let values =
                crate::notation::parse(text).map_err(|e| format!("series `{name}`: {e}"))?;
            let n = values.len();
            let (mut t, mut v) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for (i, x) in values.into_iter().enumerate() {
                if let Some(x) = x {
                    t.push(now - interval * (n - 1 - i) as f64);
                    v.push(x);
                }
            }
            series.push(Series::new(labels, t, v));
        }
        snap.series.insert(name.clone(), series);
    }
    for (name, r) in &case.records {
        snap.records.insert(name.clone(), r.clone());
    }
    Ok(snap)
}

/// Runs one test case against a policy. `clock` times the script watchdog (None: none).
pub fn run_case(
    policy: &Policy,
    case: &RawTestCase,
    params: &[(String, String)],
    inputs: crate::decision::Inputs,
    clock: Option<crate::script::watchdog::SharedClock>,
) -> Result<CaseResult, String> {
    let snap = build_snapshot(case)?;
    let time = |key: &str, t: &Option<String>| -> Result<Option<f64>, String> {
        t.as_deref()
            .map(|t| {
                crate::snapshot::parse_time(t)
                    .ok_or_else(|| format!("`{key}` {}", crate::snapshot::time_problem(t)))
            })
            .transpose()
    };
    let entered_at = time("entered_at", &case.entered_at)?;
    let rollout_started_at = time("rollout_started_at", &case.rollout_started_at)?;
    // The run's `--param`s, then the case's own (which win).
    let given: Vec<(String, String)> = params
        .iter()
        .cloned()
        .chain(case.params.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let params = policy
        .resolve_params(&given, &Default::default())
        .map_err(|e| match e.help() {
            Some(h) => format!("{e}; {h}"),
            None => e.to_string(),
        })?;
    let cx = crate::eval::EvalContext {
        environment: case.env.clone(),
        stage: case.stage.clone(),
        now: snap.taken_at.unwrap_or_default(),
        entered_at,
        rollout_started_at,
        params,
        owner: None,
        clock,
        inputs,
    };
    let d = crate::eval::evaluate(policy, &snap, &cx).map_err(|e| e.to_string())?;
    let failures = failures(&case.expect, &d);
    Ok(CaseResult {
        name: case.name.clone(),
        failures,
        decision: d,
    })
}

/// Where the decision differs from what the case expects, one line per difference.
fn failures(e: &RawExpect, d: &crate::decision::Decision) -> Vec<String> {
    let verdict_word = |v: Verdict| {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let mut failures = Vec::new();
    if let Some(v) = e.verdict
        && v != d.verdict
    {
        failures.push(format!(
            "verdict: expected {}, got {}",
            verdict_word(v),
            verdict_word(d.verdict)
        ));
    }
    for (id, want) in &e.gates {
        failures.extend(gate_failure(id, *want, d));
    }
    if let Some(want) = &e.next_stage
        && *want != d.next_stage
    {
        let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
        failures.push(format!(
            "next_stage: expected {}, got {}",
            show(want),
            show(&d.next_stage)
        ));
    }
    if let Some(want) = &e.blockers {
        let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
        let mut got: Vec<&str> = d
            .blockers
            .iter()
            .filter_map(|b| b.gate.as_deref())
            .collect();
        want.sort_unstable();
        got.sort_unstable();
        if want != got {
            failures.push(format!("blockers: expected {want:?}, got {got:?}"));
        }
    }
    let exact = |key: &str, want: &Option<Vec<String>>, got: Vec<&str>| {
        let mut want: Vec<&str> = want.as_ref()?.iter().map(String::as_str).collect();
        let mut got = got;
        want.sort_unstable();
        got.sort_unstable();
        (want != got).then(|| format!("{key}: expected {want:?}, got {got:?}"))
    };
    let shadow = d.gates.iter().filter(|g| g.shadow).map(|g| g.id.as_str());
    failures.extend(exact("shadow", &e.shadow, shadow.collect()));
    failures.extend(exact(
        "awaiting_approval",
        &e.awaiting_approval,
        d.awaiting_approval(),
    ));
    for (id, want) in &e.pairs {
        failures.extend(pair_failures(id, want, d));
    }
    failures
}

/// A gate anywhere in the decision: evaluated at the stage, or a member of a composite.
fn find_gate<'d>(
    gates: &'d [crate::decision::GateResult],
    id: &str,
) -> Option<&'d crate::decision::GateResult> {
    gates
        .iter()
        .find(|g| g.id == id)
        .or_else(|| gates.iter().find_map(|g| find_gate(&g.members, id)))
}

/// Burn-rate pairs whose status is not the expected one.
fn pair_failures(
    id: &str,
    want: &indexmap::IndexMap<String, crate::decision::GateStatus>,
    d: &crate::decision::Decision,
) -> Vec<String> {
    let word = |s: crate::decision::GateStatus| format!("{s:?}").to_lowercase();
    let Some(g) = find_gate(&d.gates, id) else {
        return vec![format!(
            "pairs of `{id}`: the gate is not evaluated at stage `{}`",
            d.stage
        )];
    };
    let mut out = Vec::new();
    for (pair, status) in want {
        let found = g
            .pairs
            .iter()
            .find(|p| format!("{}/{}", p.long, p.short) == *pair);
        match found {
            None => out.push(format!(
                "pairs of `{id}`: no pair `{pair}` (pairs: {})",
                g.pairs
                    .iter()
                    .map(|p| format!("`{}/{}`", p.long, p.short))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(p) if p.status != *status => out.push(format!(
                "pair `{pair}` of `{id}`: expected {}, got {} (burn rates {} and {} against {})",
                word(*status),
                word(p.status),
                p.long_rate.map_or("unknown".into(), crate::format::fmt_num),
                p.short_rate
                    .map_or("unknown".into(), crate::format::fmt_num),
                crate::format::fmt_num(p.factor)
            )),
            Some(_) => {}
        }
    }
    out
}

/// A gate whose status is not the expected one, with what it compared, so the test's author
/// sees why without running `eval`.
fn gate_failure(
    id: &str,
    want: crate::decision::GateStatus,
    d: &crate::decision::Decision,
) -> Option<String> {
    let word = |s: crate::decision::GateStatus| format!("{s:?}").to_lowercase();
    let Some(g) = find_gate(&d.gates, id) else {
        return Some(format!(
            "gate `{id}`: expected {}, but it is not evaluated at stage `{}` (neither the stage's gate, a guard nor a member of one)",
            word(want),
            d.stage
        ));
    };
    if g.status == want {
        return None;
    }
    let mut bound = Vec::new();
    if let Some(m) = g.bound.max {
        bound.push(format!("<= {}", crate::format::fmt_num(m)));
    }
    if let Some(m) = g.bound.min {
        bound.push(format!(">= {}", crate::format::fmt_num(m)));
    }
    Some(format!(
        "gate `{id}`: expected {}, got {} (value {}, bound {}, window {}, {}): {}",
        word(want),
        word(g.status),
        g.value.map_or("-".into(), crate::format::fmt_num),
        if bound.is_empty() {
            "-".into()
        } else {
            bound.join(" and ")
        },
        g.window,
        crate::format::plural(g.samples, "sample", "samples"),
        g.message
    ))
}

/// An explicit test sample as unix seconds and a value.
fn explicit_sample(
    t: &crate::snapshot::raw::Time,
    v: &crate::snapshot::raw::SampleValue,
) -> Option<(f64, f64)> {
    use crate::snapshot::raw::{SampleValue, Time};
    let t = match t {
        Time::Unix(s) if s.is_finite() => *s,
        Time::Unix(_) => return None,
        Time::Text(s) => crate::snapshot::parse_time(s)?,
    };
    let v = match v {
        SampleValue::Number(n) => *n,
        SampleValue::Text(s) => crate::snapshot::parse_numeric(s)?,
    };
    Some((t, v))
}
