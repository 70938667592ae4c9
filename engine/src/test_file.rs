//! The shape of a policy test file (`*.test.yaml`) as written: the types serde reads and
//! schemars turns into `schemas/test.schema.json`. Apart from running the tests
//! (`policy_test`), so the schema module can describe them without depending on the runner.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::decision::{GateStatus, Verdict};

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
    /// When the environment entered the policy's first stage (RFC 3339), for `rollout`
    /// windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_started_at: Option<String>,
    /// The policy's parameters for this case, `{service: checkout}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, String>,
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

/// One labelled series: in notation (`values`), or as explicit `[time, value]` samples
/// (`samples`, as `rollgate test --capture` writes irregular series).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelledValues {
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<
        Vec<(
            crate::snapshot::raw::Time,
            crate::snapshot::raw::SampleValue,
        )>,
    >,
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
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_or_null"
    )]
    #[schemars(schema_with = "nullable_text")]
    pub next_stage: Option<Option<String>>,
    /// The exact list of blocking gate ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockers: Option<Vec<String>>,
    /// Burn-rate gates' window pairs by `LONG/SHORT` (`1h/5m`), each with its status.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub pairs: IndexMap<String, IndexMap<String, GateStatus>>,
    /// The exact list of gates evaluated in shadow (reported, not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<Vec<String>>,
    /// The exact list of failed `on_fail: approve` gates awaiting a person's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting_approval: Option<Vec<String>>,
}

/// A key that is present (`Some`), possibly with `null` (`Some(None)`); absent is `None`.
fn present_or_null<'de, D>(d: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(d).map(Some)
}

/// Text or null: the one place a test file may say `null` (no next stage).
fn nullable_text(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Expected next stage; `null` for none.",
        "type": ["string", "null"],
        "x-nullable": true
    })
}
