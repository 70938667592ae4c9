//! The policy as written, continued: the settings of the composite and burn-rate gate kinds
//! (re-exported by `raw`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::values::BurnPreset;
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
