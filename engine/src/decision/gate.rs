//! One gate's result in the decision: status, value against bound, the series read, and
//! what the 0.2 kinds add (a composite's members, a burn-rate gate's pairs, shadow and
//! approval state).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{GateStatus, Kind, OnFail};

/// The result of one gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateResult {
    pub id: String,
    pub title: String,
    /// `threshold`, `per-check`, `trend`, `compare`, `records` or `script`.
    pub kind: Kind,
    pub status: GateStatus,
    /// `block`, `warn` or `rollback`.
    pub on_fail: OnFail,
    /// Whether the gate is a guard (evaluated at every stage).
    pub guard: bool,
    /// The deciding value (the worst series' value).
    pub value: Option<f64>,
    pub bound: Bound,
    pub window: String,
    /// Samples read (of the deciding series; records counted for records gates).
    pub samples: u64,
    pub series: Vec<SeriesResult>,
    pub message: String,
    pub remediation: Option<String>,
    /// Line of the gate in the policy file.
    pub line: Option<u32>,
    /// Where the gate's data came from (the snapshot's evidence for its metric or records).
    pub evidence: Option<crate::snapshot::Evidence>,
    /// The staleness rule of a gate that reads series: a duration (`15m`, the gate's
    /// `max_age` or `defaults.max_age`), `derived` (3 x the median spacing of each series'
    /// samples in the window, at least 1m; 5m for a single sample) or `none` (staleness not
    /// checked). Absent for records gates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    /// `mode: shadow` (and not yet `enforce_from`): evaluated and reported under "Shadow
    /// gates", never changing the verdict.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shadow: bool,
    /// When a shadow gate starts to count (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_from: Option<String>,
    /// An `on_fail: approve` gate that failed: who approved it, or that it awaits approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<GateApproval>,
    /// A composite's members, evaluated as usual, in the order written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<GateResult>,
    /// As a member of a `score` composite: its weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// As a member of a `score` composite: a key member, which must pass.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub key: bool,
    /// A burn-rate gate's window pairs, each with its two burn rates against its factor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<BurnPair>,
}

/// The approval of a failed `on_fail: approve` gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateApproval {
    /// When the gate first failed at this stage (the approval must come after it).
    pub failed_since: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

/// One window pair of a burn-rate gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurnPair {
    /// The long window (`1h`).
    pub long: String,
    /// The short window (`5m`).
    pub short: String,
    /// The burn rate both must exceed to fail.
    pub factor: f64,
    /// Burn rate over the long window (none: no traffic or no data).
    pub long_rate: Option<f64>,
    pub short_rate: Option<f64>,
    pub status: GateStatus,
}

/// The bounds in force for the evaluated environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
}

/// One series read by a gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesResult {
    pub labels: std::collections::BTreeMap<String, String>,
    pub status: GateStatus,
    pub value: Option<f64>,
    pub samples: u64,
    /// NaN samples skipped.
    pub nan_samples: u64,
    /// Time of the newest sample read (RFC 3339).
    pub newest_at: Option<String>,
    pub message: String,
    /// The window's values, thinned to at most 64 points, for sparklines and charts.
    pub points: Vec<[f64; 2]>,
}
