//! The gate kinds: one struct per kind, [`GateKind`] choosing one, and [`KindKeys`], the one
//! table that knows which keys select a kind and which keys it accepts. Validation is a
//! `match` over these and its "more than one kind" / "belongs to another kind" diagnostics
//! are generated from the table, so a new kind is one struct, one variant, one table row.

use indexmap::IndexMap;

use super::values::{CompareTest, Direction};
use super::{Aggregate, Bounds, Expectation, Script, Tolerance};
use crate::decision::Kind;
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

/// The six gate kinds of policy-v1.
#[derive(Debug, Clone)]
pub enum GateKind {
    Threshold(Threshold),
    PerCheck(PerCheck),
    Trend(Trend),
    Compare(Compare),
    Records(Records),
    Script(Script),
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
        }
    }

    /// The metric the gate reads, if it reads one directly.
    pub fn metric(&self) -> Option<&str> {
        match self {
            GateKind::Threshold(Threshold { metric, .. })
            | GateKind::PerCheck(PerCheck { metric, .. })
            | GateKind::Trend(Trend { metric, .. })
            | GateKind::Compare(Compare { metric, .. }) => Some(metric),
            GateKind::Records(_) | GateKind::Script(_) => None,
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
    pub const ALL: [KindKeys; 6] = [
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
        const ORDER: [Kind; 6] = [
            Kind::Threshold,
            Kind::PerCheck,
            Kind::Trend,
            Kind::Compare,
            Kind::Records,
            Kind::Script,
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
