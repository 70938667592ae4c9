//! The validated policy. Everything here has been checked: references resolve, per-env
//! values resolve for every declared environment, durations and aggregates parse. Code that
//! evaluates a `Policy` never re-checks these.

use indexmap::IndexMap;

mod kinds;
pub mod source;
pub mod values;

pub use self::kinds::{
    BadEvents, BurnRate, BurnWindows, Compare, GateKind, KindKeys, PerCheck, Records, Score,
    Threshold, Trend,
};
pub use self::source::Source;
pub use self::values::{Absent, BurnPreset, CompareTest, Direction, FileFormat, GateMode, Weekday};
pub use crate::decision::OnFail;

use crate::diagnostic::Pos;
use crate::policy::duration::{Duration, Hold};
use crate::policy::per_env::PerEnv;
use crate::policy::window::Window;

/// A policy ready to evaluate.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// Declared environments; empty means any environment name is accepted and per-env maps
    /// resolve through `default` only.
    pub environments: Vec<String>,
    pub calendar: Calendar,
    /// Declared parameters, in the order written.
    pub params: IndexMap<String, Param>,
    pub vars: IndexMap<String, PerEnv<serde_json::Value>>,
    pub metrics: IndexMap<String, Metric>,
    pub records: IndexMap<String, RecordSet>,
    pub gates: IndexMap<String, Gate>,
    pub guards: Vec<Guard>,
    pub stages: Vec<Stage>,
    /// A custom report template, relative to the policy file (validated to stay inside its
    /// directory).
    pub report_template: Option<String>,
}

impl Policy {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// Whether `env` may be evaluated.
    pub fn knows_env(&self, env: &str) -> bool {
        self.environments.is_empty() || self.environments.iter().any(|e| e == env)
    }
}

/// A declared parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub description: Option<String>,
    /// The pattern as written (or the default one).
    pub pattern_text: String,
    /// `pattern_text`, matched against a whole value.
    pub pattern: regex::Regex,
    pub default: Option<String>,
}

/// The pattern a parameter's values must match unless it declares its own: nothing that can
/// change a query's or a URL's structure.
pub const DEFAULT_PARAM_PATTERN: &str = "^[A-Za-z0-9_.:-]{1,128}$";

impl Param {
    /// Whether `value` matches the pattern, whole.
    pub fn accepts(&self, value: &str) -> bool {
        self.pattern
            .find(value)
            .is_some_and(|m| m.start() == 0 && m.end() == value.len())
    }
}

/// A gate run besides a stage's own, at the stages of its scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    pub gate: String,
    pub scope: GuardScope,
}

/// The stages a guard runs at. A check that only matters once real traffic arrives (an error
/// budget, a support-ticket rate) should not block the first, internal stages.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardScope {
    /// Every stage.
    Every,
    /// The stage with this index and every later one.
    From(usize),
    /// The stages with these indexes.
    Stages(Vec<usize>),
}

impl Guard {
    /// Whether the guard runs at the stage with index `stage`.
    pub fn applies_to(&self, stage: usize) -> bool {
        match &self.scope {
            GuardScope::Every => true,
            GuardScope::From(first) => stage >= *first,
            GuardScope::Stages(list) => list.contains(&stage),
        }
    }
}

/// Business calendar: the zone, weekend days and holidays, deploy hours and freezes.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
    pub weekend: Vec<Weekday>,
    pub holidays: Vec<jiff::civil::Date>,
    pub deploy_hours: Option<DeployHours>,
    pub freezes: Vec<Freeze>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            timezone: jiff::tz::TimeZone::UTC,
            timezone_name: "UTC".into(),
            weekend: vec![Weekday::Sat, Weekday::Sun],
            holidays: Vec::new(),
            deploy_hours: None,
            freezes: Vec::new(),
        }
    }
}

/// The days and local hours promotions may happen, `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployHours {
    pub days: Vec<Weekday>,
    pub from: jiff::civil::Time,
    pub to: jiff::civil::Time,
}

/// A period when nothing is promoted, `[from, to)` in unix seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Freeze {
    pub name: String,
    pub from: f64,
    pub to: f64,
    /// `to` as written, for messages ("until 2027-01-04T00:00 America/New_York").
    pub to_text: String,
    /// The environments frozen; empty: every one.
    pub environments: Vec<String>,
}

/// A declared metric.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub source: Option<Source>,
    /// What a gate reads when the source answered but no series matched.
    pub absent: Absent,
    /// The series every gate reading the metric must see (unless the gate declares its own).
    pub expect: Option<ExpectSeries>,
}

/// The series a gate must see among those it selects: every listed label value present, and
/// at least `min_series` series. A series that disappears (a surface that stopped reporting)
/// must not leave the others to pass for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpectSeries {
    pub labels: IndexMap<String, Vec<String>>,
    pub min_series: Option<u64>,
}

/// A declared record set.
#[derive(Debug, Clone)]
pub struct RecordSet {
    pub name: String,
    pub description: Option<String>,
    /// Dotted paths identifying a record; None: the whole record.
    pub key: Option<Vec<String>>,
    pub source: Option<Source>,
}

/// A gate: common settings and exactly one kind.
#[derive(Debug, Clone)]
pub struct Gate {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub on_fail: OnFail,
    pub window: PerEnv<Window>,
    pub min_samples: PerEnv<u64>,
    /// The staleness rule (the gate's own `max_age`, else `defaults.max_age`, else derived).
    pub max_age: PerEnv<MaxAge>,
    pub select: IndexMap<String, String>,
    /// The gate's own `expect_series`/`min_series`, which replace its metric's.
    pub expect: Option<ExpectSeries>,
    pub remediation: Option<String>,
    /// `mode: shadow` (or `enforce_from`): the gate does not count, or not yet.
    pub shadow: Option<Shadow>,
    pub kind: GateKind,
    /// Where the gate is defined in the policy file (for annotations and diagnostics).
    pub pos: Pos,
}

/// A gate in shadow: evaluated and reported without changing the verdict, so a new check can
/// prove itself on real rollouts before it blocks one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shadow {
    /// From this instant (unix seconds) the gate is enforced; None: in shadow for good.
    pub enforce_from: Option<f64>,
    /// Where `enforce_from` is written, for the warning that it has passed.
    pub pos: Pos,
}

impl Policy {
    /// Warnings for shadow gates whose `enforce_from` is at or before `now`: they are
    /// enforced, so `mode` and `enforce_from` can go. `now` comes from the caller (the
    /// engine reads no clock).
    pub fn graduated_shadows(&self, now: f64) -> Vec<crate::diagnostic::Diagnostic> {
        self.gates
            .values()
            .filter_map(|g| {
                let s = g.shadow?;
                let from = s.enforce_from.filter(|from| *from <= now)?;
                Some(crate::diagnostic::Diagnostic::warning(
                    crate::diagnostic::Code::ShadowGraduated,
                    s.pos,
                    format!("/gates/{}/enforce_from", crate::yaml::escape_token(&g.id)),
                    format!(
                        "gate `{}` is enforced since {}: `mode: shadow` and `enforce_from` can be removed",
                        g.id,
                        crate::format::format_time(from)
                    ),
                ))
            })
            .collect()
    }
}

impl Gate {
    /// Whether the gate is in shadow at `now`.
    pub fn in_shadow(&self, now: f64) -> bool {
        self.shadow
            .is_some_and(|s| s.enforce_from.is_none_or(|from| now < from))
    }
}

/// How old the newest sample of a series may be before the series is stale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MaxAge {
    /// A limit written in the policy (the gate's `max_age` or `defaults.max_age`).
    Limit(Duration),
    /// No limit written: 3 x the median spacing of the series' samples in the window, at
    /// least 1m; 5m for a single sample. Data stops arriving on its own schedule, so the limit
    /// follows the schedule instead of being none.
    #[default]
    Derived,
    /// `max_age: none`: staleness is not checked.
    Unchecked,
}

impl std::fmt::Display for MaxAge {
    /// As the decision JSON spells it: `15m`, `derived` or `none`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxAge::Limit(d) => d.fmt(f),
            MaxAge::Derived => f.write_str("derived"),
            MaxAge::Unchecked => f.write_str("none"),
        }
    }
}

/// Lower and upper inclusive bounds, each possibly per environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    pub max: Option<PerEnv<f64>>,
    pub min: Option<PerEnv<f64>>,
}

/// A script gate's source and where its first line stands in the YAML file.
#[derive(Debug, Clone)]
pub struct Script {
    pub source: String,
    /// YAML line of the script's line 1, and the column its text starts at.
    pub origin: Pos,
    /// Compiled once, when the policy loads; every evaluation reuses it.
    pub ast: rhai::AST,
    /// The gates it reads with `gate("id")`, evaluated before it (in the order first read).
    pub gates: Vec<String>,
}

/// How a series is reduced to one number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    Last,
    First,
    Min,
    Max,
    Avg,
    Sum,
    Count,
    Stddev,
    Increase,
    Rate,
    /// Percentile in [0, 100], interpolated linearly between closest ranks.
    Percentile(f64),
}

/// The aggregate names, for "did you mean" and docs.
pub const AGGREGATE_NAMES: [&str; 14] = [
    "last", "first", "min", "max", "avg", "sum", "count", "stddev", "increase", "rate", "p50",
    "p90", "p95", "p99",
];

impl Aggregate {
    /// Parses `last ... rate`, `pNN` and `pNN.N` (0 to 100).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "last" => Aggregate::Last,
            "first" => Aggregate::First,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "avg" => Aggregate::Avg,
            "sum" => Aggregate::Sum,
            "count" => Aggregate::Count,
            "stddev" => Aggregate::Stddev,
            "increase" => Aggregate::Increase,
            "rate" => Aggregate::Rate,
            _ => {
                let digits = text.strip_prefix('p')?;
                let (int, frac) = match digits.split_once('.') {
                    Some((i, f)) => (i, Some(f)),
                    None => (digits, None),
                };
                let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                if !ok(int) || int.len() > 3 || frac.is_some_and(|f| !ok(f)) {
                    return None;
                }
                let q: f64 = digits.parse().ok()?;
                if !(0.0..=100.0).contains(&q) {
                    return None;
                }
                Aggregate::Percentile(q)
            }
        })
    }
}

impl std::fmt::Display for Aggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Aggregate::Last => "last",
            Aggregate::First => "first",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Avg => "avg",
            Aggregate::Sum => "sum",
            Aggregate::Count => "count",
            Aggregate::Stddev => "stddev",
            Aggregate::Increase => "increase",
            Aggregate::Rate => "rate",
            Aggregate::Percentile(q) => return write!(f, "p{q}"),
        };
        f.write_str(s)
    }
}

/// A compare tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// A fraction of the baseline (10% is 0.10).
    Relative(f64),
    Absolute(f64),
}

/// What a record field must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Equals(serde_json::Value),
    Present(bool),
    In(Vec<serde_json::Value>),
    Range {
        max: Option<f64>,
        min: Option<f64>,
    },
    /// Several checks on one field, all of which must hold.
    All(Vec<Expectation>),
}

/// One stage of the rollout.
#[derive(Debug, Clone)]
pub struct Stage {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub traffic: Option<String>,
    pub hold: PerEnv<Hold>,
    pub gates: Vec<String>,
    /// Who must approve the stage before GO (`Some(vec![])`: anyone); None: no approval.
    pub approval: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aggregates() {
        assert_eq!(Aggregate::parse("p95"), Some(Aggregate::Percentile(95.0)));
        assert_eq!(Aggregate::parse("p99.9"), Some(Aggregate::Percentile(99.9)));
        assert_eq!(Aggregate::parse("p100"), Some(Aggregate::Percentile(100.0)));
        assert_eq!(Aggregate::parse("p0"), Some(Aggregate::Percentile(0.0)));
        assert_eq!(Aggregate::parse("stddev"), Some(Aggregate::Stddev));
        for bad in [
            "p", "p101", "p9.", "p.5", "p-1", "P95", "mean", "p1e2", "p0100",
        ] {
            assert_eq!(Aggregate::parse(bad), None, "{bad}");
        }
        assert_eq!(Aggregate::Percentile(99.9).to_string(), "p99.9");
        assert_eq!(Aggregate::Percentile(95.0).to_string(), "p95");
    }
}
