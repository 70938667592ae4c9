//! Small value enums shared by the policy as written and the validated model. They live in
//! the model (nothing past validation names `policy::raw`); `raw` re-exports them so serde
//! and schemars see the same types, doc comments included.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a gate reads when the source answered but no series matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Absent {
    /// No series: the gate is `inconclusive` (the default).
    #[default]
    Inconclusive,
    /// No series: one series with the single value 0 at now (a counter of errors that has
    /// never been incremented, which Prometheus answers with an empty result).
    Zero,
}

/// Whether a gate's result counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GateMode {
    /// The gate's `on_fail` applies (the default).
    #[default]
    Enforce,
    /// Evaluated and reported under "Shadow gates", never changing the verdict (until
    /// `enforce_from`, when given).
    Shadow,
}

/// The SRE workbook's window pairs for a 30-day SLO period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BurnPreset {
    /// 14.4 over 1h and 5m, 6 over 6h and 30m: burning a month's budget in days.
    Page,
    /// 3 over 1d and 2h, 1 over 3d and 6h: burning it within the month.
    Ticket,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A trend direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Increasing,
    Decreasing,
}

/// A statistical test for compare gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CompareTest {
    MannWhitney,
}

/// A data file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Json,
    Csv,
}
