//! Policy test files (`*.test.yaml`): cases that build a snapshot from series notation,
//! evaluate the policy and compare the expectations.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::decision::{GateStatus, Verdict};
use crate::diagnostic::{Diagnostic, Pos, did_you_mean};
use crate::policy::model::Policy;
use crate::schema::SchemaKind;
use crate::yaml::escape_token;

/// A policy test file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rollgate policy tests")]
pub struct RawTestFile {
    /// The policy under test, relative to this file.
    pub policy: String,
    #[schemars(length(min = 1))]
    pub tests: Vec<RawTestCase>,
}

/// One test case.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTestCase {
    pub name: String,
    pub env: String,
    pub stage: String,
    /// The evaluation time (RFC 3339); the last notation sample stands here.
    pub now: String,
    /// When the stage was entered (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered_at: Option<String>,
    /// Spacing of notation samples, like `1m`; default `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<crate::policy::raw::DurationText>,
    /// Metric -> notation (`"0.1x59"`), or a list of `{labels, values}`.
    #[serde(default)]
    pub series: IndexMap<String, TestSeries>,
    #[serde(default)]
    pub records: IndexMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
    pub expect: RawExpect,
}

/// A metric's data in a test: one notation string, or one per label set.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TestSeries {
    Notation(String),
    Labelled(Vec<LabelledValues>),
}

/// One labelled series in notation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelledValues {
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    pub values: String,
}

/// What the decision must be; every key is optional.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default)]
    pub gates: IndexMap<String, GateStatus>,
    /// Expected next stage; `null` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_stage: Option<Option<String>>,
    /// The exact list of blocking gate ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockers: Option<Vec<String>>,
}

/// A test file parsed, schema-checked and typed, with its locations.
#[derive(Debug)]
pub struct LoadedTests {
    pub file: RawTestFile,
    pub doc: crate::load::Document,
}

/// Parses and schema-checks a test file. Err holds every problem found.
pub fn load_test_file(text: &str) -> Result<LoadedTests, Vec<Diagnostic>> {
    let doc = crate::load::document(text).map_err(|d| vec![d])?;
    let mut diags = crate::schema_check::check(SchemaKind::Test, &doc.value, &doc.index);
    if !diags.is_empty() {
        crate::diagnostic::normalize(&mut diags);
        return Err(diags);
    }
    match serde_json::from_value::<RawTestFile>(doc.value.clone()) {
        Ok(file) => Ok(LoadedTests { file, doc }),
        Err(e) => Err(vec![Diagnostic::error(
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
    let mut err = |ptr: String, msg: String, help: Option<String>| {
        out.push(Diagnostic::error(index.value_pos(&ptr), ptr, msg).with_help(help));
    };
    for (i, t) in tests.file.tests.iter().enumerate() {
        let base = format!("/tests/{i}");
        if !policy.knows_env(&t.env) {
            err(
                format!("{base}/env"),
                format!("policy `{}` has no environment `{}`", policy.id, t.env),
                did_you_mean(&t.env, policy.environments.iter().map(String::as_str)),
            );
        }
        if policy.stage(&t.stage).is_none() {
            err(
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
                    format!("{base}/{key}"),
                    format!("`{v}` is not an RFC 3339 time like `2026-11-23T15:00:00Z`"),
                    None,
                );
            }
        }
        if let Some(iv) = &t.interval {
            match crate::policy::duration::Duration::parse(&iv.0) {
                Ok(d) if d.seconds > 0 => {}
                Ok(_) => err(
                    format!("{base}/interval"),
                    "the interval must be longer than zero".into(),
                    None,
                ),
                Err(e) => err(format!("{base}/interval"), e.to_string(), None),
            }
        }
        for name in t.series.keys() {
            if !policy.metrics.contains_key(name) {
                err(
                    format!("{base}/series/{}", escape_token(name)),
                    format!("policy `{}` declares no metric `{name}`", policy.id),
                    did_you_mean(name, policy.metrics.keys().map(String::as_str)),
                );
            }
        }
        for name in t.records.keys() {
            if !policy.records.contains_key(name) {
                err(
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
                    format!("{base}/expect/gates/{}", escape_token(gate)),
                    format!("policy `{}` has no gate `{gate}`", policy.id),
                    did_you_mean(gate, gate_ids()),
                );
            }
        }
        for (j, gate) in t.expect.blockers.iter().flatten().enumerate() {
            if !policy.gates.contains_key(gate) {
                err(
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
                format!("{base}/expect/next_stage"),
                format!("policy `{}` has no stage `{next}`", policy.id),
                did_you_mean(next, policy.stages.iter().map(|s| s.id.as_str())),
            );
        }
    }
    out
}
