//! The policy as written, continued: the settings of the compare, composite and burn-rate
//! gate kinds (re-exported by `raw`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::values::{BurnPreset, CompareTest};
use super::raw::{DurationText, Id, Name};

/// A score over member gates (Keptn's total score, Kayenta's weighted groups).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScore {
    /// The member gates and their weights (positive numbers).
    #[schemars(extend("minProperties" = 2))]
    pub weights: IndexMap<Id, f64>,
    /// The least score that passes, as a percentage (`90%`).
    #[schemars(regex(pattern = crate::policy::patterns::PERCENT))]
    pub min: String,
    /// Members that must pass whatever the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub key: Option<Vec<Id>>,
}

/// A multi-window, multi-burn-rate SLO gate over counters.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBurnRate {
    /// Counter of bad events (errors); or give `good`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad: Option<Name>,
    /// Counter of good events; bad = total - good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good: Option<Name>,
    /// Counter of all events.
    pub total: Name,
    /// The SLO, as a percentage (`99.9%`).
    #[schemars(regex(pattern = crate::policy::patterns::PERCENT))]
    pub objective: String,
    /// `page`, `ticket`, or a list of `{long, short, factor}`.
    pub windows: RawBurnWindows,
}

/// Window pairs: a preset or written out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawBurnWindows {
    Preset(BurnPreset),
    Pairs(#[schemars(length(min = 1))] Vec<RawBurnPair>),
}

/// One window pair: the gate fails when the burn rate over both windows exceeds `factor`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBurnPair {
    pub long: DurationText,
    pub short: DurationText,
    #[schemars(range(min = 0.0))]
    pub factor: f64,
}

/// Canary vs control.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCompare {
    /// Labels selecting the candidate (canary) series.
    pub candidate: IndexMap<String, String>,
    /// Labels selecting the baseline (control) series, or `{offset: 7d}` (with optional
    /// `labels`): the same series (the candidate's labels unless given) an offset earlier.
    pub baseline: RawBaseline,
    /// The aggregate compared; default `p50`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<String>,
    /// Largest allowed increase of candidate over baseline: `10%` (relative) or a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_increase: Option<Tolerance>,
    /// Largest allowed decrease of candidate under baseline: `10%` or a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_decrease: Option<Tolerance>,
    /// With `mann-whitney`, a failure also needs the one-sided test to be significant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<CompareTest>,
    /// Significance level of the test; default 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub alpha: Option<f64>,
}

/// The baseline of a comparison: other series now, or series an offset earlier.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawBaseline {
    Shifted(RawShiftedBaseline),
    Labels(IndexMap<String, String>),
}

/// A time-shifted baseline: the window moved back by `offset`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShiftedBaseline {
    /// How far back: the baseline reads (now - offset - window, now - offset].
    pub offset: DurationText,
    /// Labels of the baseline series; default the candidate's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<IndexMap<String, String>>,
}

/// A tolerance: a percentage of the baseline (`10%`) or an absolute number.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Tolerance {
    Absolute(#[schemars(range(min = 0.0))] f64),
    Relative(#[schemars(regex(pattern = crate::policy::patterns::PERCENT))] String),
}
