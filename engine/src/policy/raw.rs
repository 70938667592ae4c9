//! The policy as written: serde types that mirror the YAML one to one, with unknown keys
//! rejected. schemars derives `schemas/policy.schema.json` from these types, so every doc
//! comment here is what an editor shows on hover. Meaning is checked later, in `validate`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::model::values::{Absent, BurnPreset, CompareTest, Direction, GateMode, Weekday};
use super::per_env::RawPerEnv;
pub use super::raw_kinds::*;
pub use super::raw_source::*;

/// A rollgate gate policy (version 1): the stages of a rollout and the gates that must pass.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rollgate policy, version 1")]
pub struct RawPolicy {
    /// Policy language version; always 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The policy's id, used in report paths: lowercase letters, digits and `-`.
    #[schemars(regex(pattern = crate::policy::patterns::ID), length(max = 64))]
    pub policy: String,
    /// A title for reports; defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who is named in the decision statement unless `--owner` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The environments this policy can be evaluated in. Per-environment maps may name only
    /// these (and `default`).
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub environments: Vec<EnvName>,
    /// Business calendar: the zone and business days of holds written in business days
    /// (`1bd`), deploy hours and freeze periods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<RawCalendar>,
    /// Parameters, so one policy serves many services: given with `--param NAME=VALUE`, used
    /// in source templates as `{{ params.NAME }}`.
    #[serde(default)]
    pub params: IndexMap<Name, RawParam>,
    /// Named values that scripts read as `vars.NAME`; each may differ per environment.
    #[serde(default)]
    pub vars: IndexMap<String, RawPerEnv<serde_json::Value>>,
    /// Numeric time series the gates read.
    #[serde(default)]
    pub metrics: IndexMap<Name, RawMetric>,
    /// Sets of JSON objects the gates read (jobs, runs, issues, command results).
    #[serde(default)]
    pub records: IndexMap<Name, RawRecordSet>,
    /// The gates, by id.
    #[serde(default)]
    pub gates: IndexMap<Id, RawGate>,
    /// Settings every metric and script gate takes unless it sets its own key: a gate's own
    /// `max_age`, `min_samples` or `window` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<RawDefaults>,
    /// Gates evaluated at every stage besides the stage's own: a gate id, or
    /// `{gate: ID, from: STAGE}` (that stage and the later ones), or
    /// `{gate: ID, stages: [IDS]}` (those stages).
    #[serde(default)]
    pub guards: Vec<RawGuard>,
    /// The rollout, in order.
    #[schemars(length(min = 1))]
    pub stages: Vec<RawStage>,
    /// How reports of this policy are rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<RawReport>,
}

/// A guard: a gate id (every stage) or a gate scoped to some stages.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawGuard {
    Every(Id),
    Scoped(RawScopedGuard),
}

impl RawGuard {
    /// The guarded gate's id.
    pub fn gate(&self) -> &str {
        match self {
            RawGuard::Every(id) | RawGuard::Scoped(RawScopedGuard { gate: id, .. }) => &id.0,
        }
    }
}

/// A guard that runs at some stages only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScopedGuard {
    /// The gate.
    pub gate: Id,
    /// The first stage the guard runs at; it runs at every later stage too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Id>,
    /// The stages the guard runs at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub stages: Option<Vec<Id>>,
}

/// A parameter of the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawParam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A regular expression every value must match whole; default
    /// `^[A-Za-z0-9_.:-]{1,128}$` (no quotes, braces, slashes or spaces: a value cannot change
    /// a query's or a URL's structure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub pattern: Option<String>,
    /// The value when none is given; without one the parameter is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Report settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    /// A minijinja template for the markdown report, relative to the policy file and inside
    /// its directory; other `*.j2` files beside it may be included by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// An environment name: lowercase letters, digits, `-` and `_` (not `default`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct EnvName(
    #[schemars(regex(pattern = crate::policy::patterns::NAME), length(max = 64))] pub String,
);

/// A gate or stage id: lowercase letters, digits, `-` and `_`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Id(
    #[schemars(regex(pattern = crate::policy::patterns::NAME), length(max = 64))] pub String,
);

/// A metric or record-set name: letters, digits and `_`, as Prometheus names are.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Name(
    #[schemars(regex(pattern = crate::policy::patterns::IDENTIFIER), length(max = 128))] pub String,
);

/// A duration: `30s`, `5m`, `1h`, `1h30m`, `2d`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct DurationText(
    #[schemars(
        regex(pattern = crate::policy::patterns::DURATION),
        length(min = 2)
    )]
    pub String,
);

/// A staleness limit: a duration (`15m`), or `none` to opt out of the staleness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct MaxAgeText(
    #[schemars(
        regex(pattern = crate::policy::patterns::MAX_AGE),
        length(min = 2)
    )]
    pub String,
);

/// Policy-wide settings of metric and script gates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    /// Staleness limit of every gate that sets none; `none` opts out. Without it, each series
    /// gets 3 x the median spacing of its samples in the window (at least 1m; 5m for a single
    /// sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<RawPerEnv<MaxAgeText>>,
    /// `min_samples` of every gate that sets none; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples: Option<RawPerEnv<u64>>,
    /// `window` of every gate that sets none; default the whole snapshot up to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<RawPerEnv<WindowText>>,
}

/// A hold: a duration (`60m`, `24h`) or business days (`1bd`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct HoldText(
    #[schemars(
        regex(pattern = crate::policy::patterns::HOLD),
        length(min = 2)
    )]
    pub String,
);

/// A window: a duration (`1h`), the last N checks (`5 checks`), or `stage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct WindowText(
    #[schemars(
        regex(pattern = crate::policy::patterns::WINDOW),
        length(min = 2)
    )]
    pub String,
);

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct DateText(#[schemars(regex(pattern = crate::policy::patterns::DATE))] pub String);

/// The business calendar.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    /// IANA time zone name, like `America/New_York`; default `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Days that are not business days; default `[sat, sun]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub weekend: Option<Vec<Weekday>>,
    /// Dates that are not business days.
    #[serde(default)]
    pub holidays: Vec<DateText>,
    /// When promotions may happen; outside these hours a GO waits (HOLD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_hours: Option<RawDeployHours>,
    /// Periods when nothing is promoted: a GO waits (HOLD) until the freeze ends or a ledger
    /// `override` lets it through. Rolling back is never blocked.
    #[serde(default)]
    pub freezes: Vec<RawFreeze>,
}

/// Days and local hours when promotions may happen.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeployHours {
    /// The days; default every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub days: Option<Vec<Weekday>>,
    /// Local time of the calendar's zone the window opens (`09:00`).
    #[schemars(regex(pattern = crate::policy::patterns::CLOCK))]
    pub from: String,
    /// Local time it closes (exclusive; `16:00`).
    #[schemars(regex(pattern = crate::policy::patterns::CLOCK))]
    pub to: String,
}

/// A freeze period.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFreeze {
    /// Named in the report: "frozen by NAME until ...".
    #[schemars(length(min = 1, max = 128))]
    pub name: String,
    /// Start: a date or a local time of the calendar's zone, or RFC 3339 with an offset.
    #[schemars(regex(pattern = crate::policy::patterns::DATE_OR_TIME))]
    pub from: String,
    /// End (exclusive), written as `from`.
    #[schemars(regex(pattern = crate::policy::patterns::DATE_OR_TIME))]
    pub to: String,
    /// The environments frozen; default every environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub environments: Option<Vec<EnvName>>,
}

/// A numeric time series.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unit for reports: `ratio`, `ms`, `count`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Where rollgate fetches it; without a source the data must come in the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<RawSource>,
    /// When the source answered but no series matched a gate: `inconclusive` (default) or
    /// `zero` (read one series with the value 0 at now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<Absent>,
    /// Label values every gate reading this metric must see among its series,
    /// `{surface: [web, desktop, ios]}`; a missing one makes the gate `inconclusive`. A gate's
    /// own `expect_series` or `min_series` replaces this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_series: Option<IndexMap<String, Vec<String>>>,
    /// Fewest series a gate reading this metric (without `select`) must see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_series: Option<u64>,
}

/// A set of records (JSON objects).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRecordSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Dotted paths that identify a record (`[id]`, `[job.id, attempt]`): records with the same
    /// key count once, and the same key with different content is an `error`. Default: the
    /// whole record (identical records count once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub key: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<RawSource>,
}

/// What a failing gate does to the verdict: one type for the policy and the decision.
pub use crate::decision::OnFail;

/// A gate. Exactly one kind, chosen by its keys: threshold (`aggregate`/`max`/`min`), per
/// check (`each`), trend (`trend`), compare (`compare`), records (`records`), script
/// (`script`), composite (`all_of`, `any_of`, `score`) or burn rate (`burn_rate`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGate {
    /// Words for the report; default the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `block` (NO-GO, the default), `warn` (reported, never blocks), `rollback` (ROLLBACK),
    /// `approve` (HOLD until a person approves the stage in the ledger after the failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_fail: Option<OnFail>,
    /// `enforce` (the default) or `shadow`: evaluated and reported under "Shadow gates",
    /// never changing the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<GateMode>,
    /// Keeps the gate in shadow until this date (`2027-01-15`, midnight in the calendar's
    /// zone) or time (RFC 3339 with an offset); from then on its `on_fail` applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::policy::patterns::DATE_OR_TIME))]
    pub enforce_from: Option<String>,
    /// Which samples are read; default the whole snapshot up to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<RawPerEnv<WindowText>>,
    /// Fewer samples in the window: the gate is `inconclusive`. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples: Option<RawPerEnv<u64>>,
    /// The newest sample must be at most this old, else the data is stale (`inconclusive`);
    /// `none`: staleness not checked. Default `defaults.max_age`, else 3 x the median spacing
    /// of each series' samples in the window (at least 1m; 5m for a single sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<RawPerEnv<MaxAgeText>>,
    /// Label values that must be present among the selected series,
    /// `{surface: [web, desktop, ios]}`; a missing one makes the gate `inconclusive`.
    /// Replaces the metric's declaration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_series: Option<IndexMap<String, Vec<String>>>,
    /// Fewest selected series; fewer makes the gate `inconclusive`. Replaces the metric's
    /// declaration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_series: Option<u64>,
    /// Label matchers choosing which series of the metric are read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<IndexMap<String, String>>,
    /// What to do when the gate does not pass; printed under blockers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,

    /// The metric read (threshold, per check, trend and compare gates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<Name>,
    /// Threshold: `last first min max avg sum count stddev increase rate` or a percentile
    /// `pNN`/`pNN.N`; default `last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<String>,
    /// Threshold: the aggregate must be at most this (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<RawPerEnv<f64>>,
    /// Threshold: the aggregate must be at least this (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<RawPerEnv<f64>>,

    /// Per check: bounds every sample must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<RawBounds>,
    /// Per check: fails when the N most recent samples all violate `each`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive: Option<RawPerEnv<u64>>,
    /// Per check: fails when more than K samples in the window violate `each`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_failures: Option<RawPerEnv<u64>>,

    /// Trend: Mann-Kendall test and Theil-Sen slope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<RawTrend>,

    /// Compare: candidate vs baseline series of the metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<RawCompare>,

    /// Records: the record set read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Name>,
    /// Records: which records count, `{dotted.path: value}`.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_: Option<IndexMap<String, serde_json::Value>>,
    /// Records: what every counted record must satisfy, `{dotted.path: expectation}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<IndexMap<String, RawExpectation>>,
    /// Records: fewer counted records: `inconclusive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<RawPerEnv<u64>>,

    /// Script: a Rhai expression or block returning a bool or `#{pass, value, message}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,

    /// Composite: passes when every member gate passes, fails when one fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 2), extend("uniqueItems" = true))]
    pub all_of: Option<Vec<Id>>,
    /// Composite: passes when a member gate passes, fails when every one fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 2), extend("uniqueItems" = true))]
    pub any_of: Option<Vec<Id>>,
    /// Composite: the weighted share of passing member gates against a minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<RawScore>,

    /// Burn rate: how fast an SLO's error budget burns, over pairs of windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_rate: Option<RawBurnRate>,
}

impl RawGate {
    /// The kind-specific keys this gate sets, as written (the keys `model::KindKeys` knows):
    /// validation works out the gate's kind and its misplaced keys from this list.
    pub fn kind_keys_set(&self) -> Vec<&'static str> {
        [
            ("script", self.script.is_some()),
            ("records", self.records.is_some()),
            ("compare", self.compare.is_some()),
            ("trend", self.trend.is_some()),
            ("each", self.each.is_some()),
            ("max", self.max.is_some()),
            ("min", self.min.is_some()),
            ("aggregate", self.aggregate.is_some()),
            ("metric", self.metric.is_some()),
            ("select", self.select.is_some()),
            ("consecutive", self.consecutive.is_some()),
            ("max_failures", self.max_failures.is_some()),
            ("where", self.where_.is_some()),
            ("expect", self.expect.is_some()),
            ("min_count", self.min_count.is_some()),
            ("min_samples", self.min_samples.is_some()),
            ("max_age", self.max_age.is_some()),
            ("window", self.window.is_some()),
            ("expect_series", self.expect_series.is_some()),
            ("min_series", self.min_series.is_some()),
            ("all_of", self.all_of.is_some()),
            ("any_of", self.any_of.is_some()),
            ("score", self.score.is_some()),
            ("burn_rate", self.burn_rate.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(k, _)| k)
        .collect()
    }
}

/// Bounds for each sample (per check gates).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBounds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<RawPerEnv<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<RawPerEnv<f64>>,
}

/// A trend test.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTrend {
    /// The direction that fails the gate.
    pub forbid: Direction,
    /// Significance level of the Mann-Kendall test; default 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub alpha: Option<f64>,
    /// Fails when the Theil-Sen slope per hour exceeds this in the forbidden direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_slope: Option<f64>,
}

/// What a record's field must be: a value (equality) or a check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawExpectation {
    Check(RawCheck),
    Equals(Scalar),
}

/// A scalar JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// A check on a record field. Give one or more of the keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub struct RawCheck {
    /// `true`: the field exists and is not null; `false`: it is absent or null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    /// The field equals one of these.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub in_: Option<Vec<serde_json::Value>>,
    /// The field is a number at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The field is a number at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The field equals this value (any JSON, objects and arrays included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
}

/// One stage of the rollout.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who gets the new version at this stage, in words (`5%`, `internal cohort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<String>,
    /// How long the stage must be held, green, before GO: a duration or `Nbd`. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<RawPerEnv<HoldText>>,
    /// The gates of this stage, by id.
    #[serde(default)]
    pub gates: Vec<Id>,
    /// A person must approve the stage (a ledger `approve` entry) before it can be GO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<RawApproval>,
}

/// An approval requirement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApproval {
    /// Whether an approval is required.
    pub required: bool,
    /// Who may approve (names as recorded with `rollgate ledger approve --by`); empty: anyone.
    #[serde(default)]
    pub by: Vec<String>,
}
