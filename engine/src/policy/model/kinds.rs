//! The gate kinds: one struct per kind, [`GateKind`] choosing one, and [`KindKeys`], the one
//! table that knows which keys select a kind and which keys it accepts. Validation is a
//! `match` over these and its "more than one kind" / "belongs to another kind" diagnostics
//! are generated from the table, so a new kind is one struct, one variant, one table row.

use indexmap::IndexMap;

use super::values::{BurnPreset, CompareTest, Direction};
use super::{Aggregate, Bounds, Expectation, Script, Tolerance};
use crate::decision::Kind;
use crate::policy::duration::Duration;
use crate::policy::per_env::PerEnv;

/// A threshold gate: an aggregate of the metric within bounds.
#[derive(Debug, Clone)]
pub struct Threshold {
    pub metric: String,
    pub aggregate: Aggregate,
    pub bounds: Bounds,
}

/// A per-check gate: every sample within bounds, with a tolerance of violations.
#[derive(Debug, Clone)]
pub struct PerCheck {
    pub metric: String,
    pub each: Bounds,
    pub consecutive: Option<PerEnv<u64>>,
    pub max_failures: Option<PerEnv<u64>>,
}

/// A trend gate: Mann-Kendall test and Theil-Sen slope.
#[derive(Debug, Clone)]
pub struct Trend {
    pub metric: String,
    pub forbid: Direction,
    pub alpha: f64,
    pub max_slope: Option<f64>,
}

/// A compare gate: candidate against baseline series of one metric.
#[derive(Debug, Clone)]
pub struct Compare {
    pub metric: String,
    pub candidate: IndexMap<String, String>,
    pub baseline: IndexMap<String, String>,
    /// The baseline is read this far back (a week-ago or pre-deployment baseline); None:
    /// over the same window as the candidate.
    pub offset: Option<Duration>,
    pub aggregate: Aggregate,
    pub max_increase: Option<Tolerance>,
    pub max_decrease: Option<Tolerance>,
    pub test: Option<CompareTest>,
    pub alpha: f64,
}

/// A records gate: what every counted record must satisfy, and how many must be counted.
#[derive(Debug, Clone)]
pub struct Records {
    pub records: String,
    pub filter: IndexMap<String, serde_json::Value>,
    pub expect: IndexMap<String, Expectation>,
    pub min_count: PerEnv<u64>,
}

/// A score over member gates: the weighted share of passing members against `min`.
#[derive(Debug, Clone)]
pub struct Score {
    /// Members and their positive weights, in the order written.
    pub weights: IndexMap<String, f64>,
    /// The least passing score, as a fraction (90% is 0.9).
    pub min: f64,
    /// Members that must pass whatever the score.
    pub key: Vec<String>,
}

/// Where a burn-rate gate's bad events come from.
#[derive(Debug, Clone, PartialEq)]
pub enum BadEvents {
    /// A counter of bad events.
    Bad(String),
    /// A counter of good events: bad = total - good.
    Good(String),
}

/// One window pair of a burn-rate gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnWindows {
    pub long: Duration,
    pub short: Duration,
    pub factor: f64,
}

/// A multi-window, multi-burn-rate SLO gate over two counters.
#[derive(Debug, Clone)]
pub struct BurnRate {
    pub bad: BadEvents,
    pub total: String,
    /// The SLO as a fraction (99.9% is 0.999); the error budget is 1 - objective.
    pub objective: f64,
    pub pairs: Vec<BurnWindows>,
    /// The preset the pairs came from, for reports.
    pub preset: Option<BurnPreset>,
}

impl BurnRate {
    /// The longest window of any pair: how far back the counters are read.
    pub fn longest(&self) -> Duration {
        self.pairs
            .iter()
            .map(|p| p.long.max(p.short))
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

impl BurnPreset {
    /// The SRE workbook's pairs for a 30-day period.
    pub fn pairs(self) -> Vec<BurnWindows> {
        let w = |long: i64, short: i64, factor: f64| BurnWindows {
            long: Duration { seconds: long },
            short: Duration { seconds: short },
            factor,
        };
        match self {
            BurnPreset::Page => vec![w(3_600, 300, 14.4), w(21_600, 1_800, 6.0)],
            BurnPreset::Ticket => vec![w(86_400, 7_200, 3.0), w(259_200, 21_600, 1.0)],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BurnPreset::Page => "page",
            BurnPreset::Ticket => "ticket",
        }
    }
}

/// The gate kinds.
#[derive(Debug, Clone)]
pub enum GateKind {
    Threshold(Threshold),
    PerCheck(PerCheck),
    Trend(Trend),
    Compare(Compare),
    Records(Records),
    Script(Script),
    AllOf(Vec<String>),
    AnyOf(Vec<String>),
    Score(Score),
    BurnRate(BurnRate),
}

impl GateKind {
    /// The kind's name, as the decision records it.
    pub fn kind(&self) -> Kind {
        match self {
            GateKind::Threshold(_) => Kind::Threshold,
            GateKind::PerCheck(_) => Kind::PerCheck,
            GateKind::Trend(_) => Kind::Trend,
            GateKind::Compare(_) => Kind::Compare,
            GateKind::Records(_) => Kind::Records,
            GateKind::Script(_) => Kind::Script,
            GateKind::AllOf(_) => Kind::AllOf,
            GateKind::AnyOf(_) => Kind::AnyOf,
            GateKind::Score(_) => Kind::Score,
            GateKind::BurnRate(_) => Kind::BurnRate,
        }
    }

    /// The gates this gate is judged from, evaluated before it: a composite's members in the
    /// order written, the gates a script reads with `gate("id")` (none for other kinds).
    pub fn members(&self) -> Vec<&str> {
        match self {
            GateKind::AllOf(m) | GateKind::AnyOf(m) => m.iter().map(String::as_str).collect(),
            GateKind::Script(s) => s.gates.iter().map(String::as_str).collect(),
            GateKind::Score(s) => s.weights.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The metric the gate reads, if it reads one directly.
    pub fn metric(&self) -> Option<&str> {
        match self {
            GateKind::Threshold(Threshold { metric, .. })
            | GateKind::PerCheck(PerCheck { metric, .. })
            | GateKind::Trend(Trend { metric, .. })
            | GateKind::Compare(Compare { metric, .. }) => Some(metric),
            GateKind::Records(_)
            | GateKind::Script(_)
            | GateKind::AllOf(_)
            | GateKind::AnyOf(_)
            | GateKind::Score(_)
            | GateKind::BurnRate(_) => None,
        }
    }
}

/// What a kind's keys are: the keys that select it and the optional gate keys it accepts
/// (besides the keys every gate takes: title, description, on_fail, remediation).
#[derive(Debug, Clone, Copy)]
pub struct KindKeys {
    pub kind: Kind,
    /// Any of these keys makes the gate this kind.
    pub selects: &'static [&'static str],
    /// The kind-specific keys it accepts.
    pub accepts: &'static [&'static str],
    /// Said after the kind when a key belongs to it alone (`per-check gates (with `each`)`).
    pub hint: &'static str,
    /// Whether the gate reads series (and so takes `defaults:` for window, samples, age).
    pub reads_series: bool,
}

/// Keys accepted by every kind that reads one metric's series.
const METRIC_KEYS: [&str; 7] = [
    "metric",
    "select",
    "min_samples",
    "max_age",
    "window",
    "expect_series",
    "min_series",
];

impl KindKeys {
    /// Every kind, in the order diagnostics list them (the kind is detected in this order).
    pub const ALL: [KindKeys; 10] = [
        KindKeys {
            kind: Kind::AllOf,
            selects: &["all_of"],
            accepts: &[],
            hint: "",
            reads_series: false,
        },
        KindKeys {
            kind: Kind::AnyOf,
            selects: &["any_of"],
            accepts: &[],
            hint: "",
            reads_series: false,
        },
        KindKeys {
            kind: Kind::Score,
            selects: &["score"],
            accepts: &[],
            hint: "",
            reads_series: false,
        },
        KindKeys {
            kind: Kind::BurnRate,
            selects: &["burn_rate"],
            accepts: &["select", "max_age"],
            hint: "",
            reads_series: true,
        },
        KindKeys {
            kind: Kind::Script,
            selects: &["script"],
            accepts: &["min_samples", "max_age", "window"],
            hint: "",
            reads_series: true,
        },
        KindKeys {
            kind: Kind::Records,
            selects: &["records"],
            accepts: &["where", "expect", "min_count"],
            hint: "",
            reads_series: false,
        },
        KindKeys {
            kind: Kind::Compare,
            selects: &["compare"],
            accepts: &METRIC_KEYS,
            hint: "",
            reads_series: true,
        },
        KindKeys {
            kind: Kind::Trend,
            selects: &["trend"],
            accepts: &METRIC_KEYS,
            hint: "",
            reads_series: true,
        },
        KindKeys {
            kind: Kind::PerCheck,
            selects: &["each"],
            accepts: &[
                "metric",
                "select",
                "min_samples",
                "max_age",
                "window",
                "expect_series",
                "min_series",
                "consecutive",
                "max_failures",
            ],
            hint: " (with `each`)",
            reads_series: true,
        },
        KindKeys {
            kind: Kind::Threshold,
            selects: &["max", "min", "aggregate"],
            accepts: &[
                "metric",
                "select",
                "min_samples",
                "max_age",
                "window",
                "expect_series",
                "min_series",
                "aggregate",
            ],
            hint: "",
            reads_series: true,
        },
    ];

    /// The kind-specific keys in the order their diagnostics are reported.
    pub const OPTIONAL: [&'static str; 13] = [
        "metric",
        "select",
        "aggregate",
        "consecutive",
        "max_failures",
        "where",
        "expect",
        "min_count",
        "min_samples",
        "max_age",
        "window",
        "expect_series",
        "min_series",
    ];

    /// Whether the kind accepts `key`.
    pub fn accepts(&self, key: &str) -> bool {
        self.accepts.contains(&key)
    }

    /// The kinds a key belongs to, in words: `threshold, per-check and compare gates`.
    pub fn owners_of(key: &str) -> String {
        // Listed in the decision's order of kinds, not the detection order.
        const ORDER: [Kind; 10] = [
            Kind::Threshold,
            Kind::PerCheck,
            Kind::Trend,
            Kind::Compare,
            Kind::Records,
            Kind::Script,
            Kind::AllOf,
            Kind::AnyOf,
            Kind::Score,
            Kind::BurnRate,
        ];
        let owners: Vec<&KindKeys> = ORDER
            .iter()
            .filter_map(|k| Self::ALL.iter().find(|e| e.kind == *k))
            .filter(|e| e.accepts(key))
            .collect();
        let names: Vec<&str> = owners.iter().map(|e| e.kind.as_str()).collect();
        let hint = match owners.as_slice() {
            [only] => only.hint,
            _ => "",
        };
        let listed = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            Some((last, _)) => (*last).to_owned(),
            None => String::new(),
        };
        format!("{listed} gates{hint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_worded_from_the_table() {
        assert_eq!(
            KindKeys::owners_of("metric"),
            "threshold, per-check, trend and compare gates"
        );
        assert_eq!(
            KindKeys::owners_of("window"),
            "threshold, per-check, trend, compare and script gates"
        );
        assert_eq!(KindKeys::owners_of("aggregate"), "threshold gates");
        assert_eq!(
            KindKeys::owners_of("consecutive"),
            "per-check gates (with `each`)"
        );
        assert_eq!(KindKeys::owners_of("min_count"), "records gates");
    }

    #[test]
    fn every_optional_key_has_an_owner_and_every_accepted_key_is_listed() {
        for key in KindKeys::OPTIONAL {
            assert!(KindKeys::ALL.iter().any(|k| k.accepts(key)), "{key}");
        }
        for k in KindKeys::ALL {
            for key in k.accepts {
                assert!(KindKeys::OPTIONAL.contains(key), "{key}");
            }
        }
    }
}
