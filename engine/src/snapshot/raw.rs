//! The metric snapshot (snapshot-v1): the data of one moment, kept beside each report so any
//! decision can be replayed. These types describe the format (and its schema); evaluation
//! reads snapshots into columns.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A metric snapshot, version 1. Only `version` is required.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rollgate metric snapshot, version 1")]
pub struct RawSnapshot {
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// When the data was taken (RFC 3339); the default `now` of an evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<Time>,
    /// When present, must equal the evaluated environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// When present, must equal the evaluated stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// When the stage was entered; used when `--entered-at` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_entered_at: Option<Time>,
    /// When the environment entered the policy's first stage (the start of `rollout`
    /// windows); used when neither `--rollout-started-at` nor the ledger gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_started_at: Option<Time>,
    /// The policy parameters the data was fetched with; used for those `--param` does not
    /// give.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, String>,
    /// Metric name -> one series or a list of series (one per label set).
    #[serde(default)]
    pub series: IndexMap<String, SeriesEntries>,
    /// Record-set name -> records.
    #[serde(default)]
    pub records: IndexMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
    /// Metric or record-set name -> where the data came from.
    #[serde(default)]
    pub evidence: IndexMap<String, Evidence>,
}

/// One series or several.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SeriesEntries {
    One(SeriesEntry),
    Many(Vec<SeriesEntry>),
}

/// One series: its labels and samples.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesEntry {
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// `[time, value]` pairs, in any order; for one time, the last pair wins.
    pub samples: Vec<(Time, SampleValue)>,
}

/// A time: unix seconds (integer or fractional) or RFC 3339 text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Time {
    Unix(f64),
    Text(String),
}

/// A sample value: a number, or numeric text as Prometheus writes it (`"0.5"`, `"NaN"`, `"+Inf"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SampleValue {
    Number(f64),
    Text(String),
}

/// Where one metric or record set came from. Never holds a secret. Fields beyond these are
/// kept as they are (other tools record more).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Source kind: `prometheus`, `http`, `command`, `github_issues`, `file`, `manual`, `test`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// URL with credentials removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(
        default,
        deserialize_with = "argv_or_line",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<CommandLine>")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// sha256 of the raw answer, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Warnings the source returned (Prometheus `warnings`/`infos`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set when the source failed; its gates are `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the stalest input series behind the metric last had a sample (RFC 3339). A
    /// Prometheus range query fills each step with the last sample it has (up to its lookback
    /// delta), so a step's time is not its data's time: this is. `max_age` counts from the
    /// earlier of this and a series' newest step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_as_of: Option<String>,
    /// Why the age of the metric's underlying samples could not be established; a gate with
    /// `max_age` on it is then `inconclusive` (fail closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_age_unknown: Option<String>,
    /// Anything else the fetcher recorded.
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

/// A command as argv or as one line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CommandLine {
    Argv(Vec<String>),
    Line(String),
}

fn argv_or_line<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(match Option::<CommandLine>::deserialize(d)? {
        None => None,
        Some(CommandLine::Argv(a)) => Some(a),
        Some(CommandLine::Line(l)) => Some(vec![l]),
    })
}
