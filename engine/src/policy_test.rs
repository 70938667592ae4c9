//! Policy test files (`*.test.yaml`): cases that build a snapshot from series notation,
//! evaluate the policy and compare the expectations.

use crate::decision::Verdict;
use crate::diagnostic::{Code, Diagnostic, Pos, did_you_mean};
use crate::policy::model::Policy;
use crate::schema::Checked;
use crate::yaml::escape_token;

pub use crate::test_file::{LabelledValues, RawExpect, RawTestCase, RawTestFile, TestSeries};

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

/// Checks a test file's references against its (valid) policy: environments, stages, gates,
/// metrics and record sets exist; times and intervals parse.
pub fn check_against(tests: &LoadedTests, policy: &Policy) -> Vec<Diagnostic> {
    let index = &tests.doc.index;
    let mut out = Vec::new();
    let mut err = |code: Code, ptr: String, msg: String, help: Option<String>| {
        out.push(Diagnostic::error(code, index.value_pos(&ptr), ptr, msg).with_help(help));
    };
    for (i, t) in tests.file.tests.iter().enumerate() {
        let base = format!("/tests/{i}");
        if !policy.knows_env(&t.env) {
            err(
                Code::TestUnknownName,
                format!("{base}/env"),
                format!("policy `{}` has no environment `{}`", policy.id, t.env),
                did_you_mean(&t.env, policy.environments.iter().map(String::as_str)),
            );
        }
        if policy.stage(&t.stage).is_none() {
            err(
                Code::TestUnknownName,
                format!("{base}/stage"),
                format!("policy `{}` has no stage `{}`", policy.id, t.stage),
                did_you_mean(&t.stage, policy.stages.iter().map(|s| s.id.as_str())),
            );
        }
        for (key, value) in [("now", Some(&t.now)), ("entered_at", t.entered_at.as_ref())] {
            if let Some(v) = value
                && v.parse::<jiff::Timestamp>().is_err()
            {
                err(
                    Code::TestBadValue,
                    format!("{base}/{key}"),
                    crate::snapshot::time_problem(v),
                    None,
                );
            }
        }
        for (name, series) in &t.series {
            let sptr = format!("{base}/series/{}", escape_token(name));
            let texts: Vec<(String, &str)> = match series {
                TestSeries::Notation(n) => vec![(sptr.clone(), n.as_str())],
                TestSeries::Labelled(list) => list
                    .iter()
                    .enumerate()
                    .filter_map(|(j, l)| {
                        l.values
                            .as_deref()
                            .map(|v| (format!("{sptr}/{j}/values"), v))
                    })
                    .collect(),
            };
            for (ptr, text) in texts {
                if let Err(e) = crate::notation::parse(text) {
                    err(
                        Code::TestBadValue,
                        ptr,
                        format!("series notation: {e}"),
                        None,
                    );
                }
            }
            if let TestSeries::Labelled(list) = series {
                for (j, l) in list.iter().enumerate() {
                    if l.values.is_some() == l.samples.is_some() {
                        err(
                            Code::BadStructure,
                            format!("{sptr}/{j}"),
                            "give either `values` (notation) or `samples` (`[time, value]` pairs)"
                                .into(),
                            None,
                        );
                    }
                    for (k, (t, v)) in l.samples.iter().flatten().enumerate() {
                        if explicit_sample(t, v).is_none() {
                            err(Code::TestBadValue,
                                format!("{sptr}/{j}/samples/{k}"),
                                "a sample is `[time, value]`: unix seconds or RFC 3339, and a number or numeric text".into(),
                                None,
                            );
                        }
                    }
                }
            }
        }
        if let Some(iv) = &t.interval {
            match crate::policy::duration::Duration::parse(&iv.0) {
                Ok(d) if d.seconds > 0 => {}
                Ok(_) => err(
                    Code::TestBadValue,
                    format!("{base}/interval"),
                    "the interval must be longer than zero".into(),
                    None,
                ),
                Err(e) => err(
                    Code::TestBadValue,
                    format!("{base}/interval"),
                    e.to_string(),
                    None,
                ),
            }
        }
        for name in t.series.keys() {
            if !policy.metrics.contains_key(name) {
                err(
                    Code::TestUnknownName,
                    format!("{base}/series/{}", escape_token(name)),
                    format!("policy `{}` declares no metric `{name}`", policy.id),
                    did_you_mean(name, policy.metrics.keys().map(String::as_str)),
                );
            }
        }
        for name in t.records.keys() {
            if !policy.records.contains_key(name) {
                err(
                    Code::TestUnknownName,
                    format!("{base}/records/{}", escape_token(name)),
                    format!("policy `{}` declares no record set `{name}`", policy.id),
                    did_you_mean(name, policy.records.keys().map(String::as_str)),
                );
            }
        }
        let gate_ids = || policy.gates.keys().map(String::as_str);
        for gate in t.expect.gates.keys() {
            if !policy.gates.contains_key(gate) {
                err(
                    Code::TestUnknownName,
                    format!("{base}/expect/gates/{}", escape_token(gate)),
                    format!("policy `{}` has no gate `{gate}`", policy.id),
                    did_you_mean(gate, gate_ids()),
                );
            }
        }
        for (j, gate) in t.expect.blockers.iter().flatten().enumerate() {
            if !policy.gates.contains_key(gate) {
                err(
                    Code::TestUnknownName,
                    format!("{base}/expect/blockers/{j}"),
                    format!("policy `{}` has no gate `{gate}`", policy.id),
                    did_you_mean(gate, gate_ids()),
                );
            }
        }
        if let Some(Some(next)) = &t.expect.next_stage
            && policy.stage(next).is_none()
        {
            err(
                Code::TestUnknownName,
                format!("{base}/expect/next_stage"),
                format!("policy `{}` has no stage `{next}`", policy.id),
                did_you_mean(next, policy.stages.iter().map(|s| s.id.as_str())),
            );
        }
    }
    out
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
    inputs: crate::decision::Inputs,
    clock: Option<crate::script::watchdog::SharedClock>,
) -> Result<CaseResult, String> {
    use crate::decision::GateStatus;
    let snap = build_snapshot(case)?;
    let entered_at = match &case.entered_at {
        Some(t) => Some(
            crate::snapshot::parse_time(t)
                .ok_or_else(|| format!("`entered_at` {}", crate::snapshot::time_problem(t)))?,
        ),
        None => None,
    };
    let cx = crate::eval::EvalContext {
        environment: case.env.clone(),
        stage: case.stage.clone(),
        now: snap.taken_at.unwrap_or_default(),
        entered_at,
        owner: None,
        clock,
        inputs,
    };
    let d = crate::eval::evaluate(policy, &snap, &cx).map_err(|e| e.to_string())?;
    let word = |s: GateStatus| format!("{s:?}").to_lowercase();
    let verdict_word = |v: Verdict| {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let mut failures = Vec::new();
    let e = &case.expect;
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
        match d.gates.iter().find(|g| &g.id == id) {
            None => failures.push(format!(
                "gate `{id}`: expected {}, but it is not evaluated at stage `{}` (neither the stage's gate nor a guard)",
                word(*want),
                d.stage
            )),
            Some(g) if g.status != *want => {
                let mut bound = Vec::new();
                if let Some(m) = g.bound.max {
                    bound.push(format!("<= {}", crate::format::fmt_num(m)));
                }
                if let Some(m) = g.bound.min {
                    bound.push(format!(">= {}", crate::format::fmt_num(m)));
                }
                failures.push(format!(
                    "gate `{id}`: expected {}, got {} (value {}, bound {}, window {}, {}): {}",
                    word(*want),
                    word(g.status),
                    g.value.map_or("-".into(), crate::format::fmt_num),
                    if bound.is_empty() { "-".into() } else { bound.join(" and ") },
                    g.window,
                    crate::format::plural(g.samples, "sample", "samples"),
                    g.message
                ));
            }
            Some(_) => {}
        }
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
    Ok(CaseResult {
        name: case.name.clone(),
        failures,
        decision: d,
    })
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
