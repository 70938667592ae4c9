//! Data sources as written in a policy (part of the raw policy types, kept apart so each file
//! stays small): Prometheus, HTTP, command, GitHub issues and files.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::model::source::SECRET_PREFIX;
pub use super::model::values::FileFormat;
use super::raw::DurationText;

/// Where data comes from: exactly one of the source kinds.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// A PromQL range query: the query itself, or `{query, url, step}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusSource>,
    /// An HTTP GET of a JSON document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpSource>,
    /// A command run without a shell (only with `--allow-exec`); yields one record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandSource>,
    /// Issues of a GitHub repository, as records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_issues: Option<GithubIssuesSource>,
    /// A JSON or CSV file another job produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileSource>,
}

/// A PromQL query, short or long form.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PrometheusSource {
    Query(String),
    Full(PrometheusQuery),
}

/// The long form of a Prometheus source.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrometheusQuery {
    pub query: String,
    /// Base URL; overridden by `--prometheus-url` or `ROLLGATE_PROMETHEUS_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Resolution step of the range query; default keeps a query under 11,000 points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<DurationText>,
}

/// An HTTP JSON source.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpSource {
    pub url: String,
    /// JSON pointer (`/jobs`) to a number, an array of `[t, v]`, or an array of records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Request headers. Secrets come only from environment variables named `ROLLGATE_SECRET_*`: `{env: ROLLGATE_SECRET_NAME}`, and go only to hosts the operator allowed.
    #[serde(default)]
    pub headers: IndexMap<String, HeaderValue>,
    /// For records: yield the response itself (status, latency, content type) as one record.
    #[serde(default)]
    pub response: bool,
}

/// A header value: literal text, or taken from an environment variable.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum HeaderValue {
    Literal(String),
    Env(EnvHeader),
}

/// A header value read from an environment variable at fetch time.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvHeader {
    /// The environment variable holding the value; its name must start with
    /// `ROLLGATE_SECRET_`.
    #[schemars(regex(pattern = crate::policy::patterns::IDENTIFIER))]
    pub env: String,
    /// Text put before the value, like `Bearer `.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A command source.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandSource {
    /// The program and its arguments; run directly, never through a shell.
    #[schemars(length(min = 1))]
    pub argv: Vec<String>,
    /// Stop the command after this long; default `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
    /// How many of the last output lines to keep as evidence; default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub tail_lines: Option<u32>,
}

/// Issues of a GitHub repository.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubIssuesSource {
    /// `owner/name`.
    #[schemars(regex(pattern = crate::policy::patterns::REPOSITORY))]
    pub repo: String,
    /// Issue numbers to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<Vec<u64>>,
    /// Or: all issues with these labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// API base URL, for GitHub Enterprise; default `https://api.github.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

/// A file on disk.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSource {
    pub path: String,
    /// `json` or `csv`; default from the file's extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<FileFormat>,
    /// JSON pointer to the data inside a JSON file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}
