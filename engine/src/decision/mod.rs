//! The decision: the source of truth of an evaluation. Every output format (markdown, junit,
//! github, text) is a pure function of it, and it is what `--format json` prints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod gate;

pub use gate::{Bound, BurnPair, GateApproval, GateResult, SeriesResult};

/// The outcome of evaluating one stage of one environment at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rollgate decision")]
pub struct Decision {
    /// Policy id.
    pub policy: String,
    pub title: String,
    pub environment: String,
    pub stage: String,
    pub verdict: Verdict,
    /// The process exit code this verdict gives (0 GO, 1 NO-GO, 3 HOLD, 4 ROLLBACK).
    pub exit_code: u8,
    /// On GO: the stage to promote to (none after the last).
    pub next_stage: Option<String>,
    /// RFC 3339, UTC.
    pub evaluated_at: String,
    pub owner: Option<String>,
    /// When the stage was entered, if known.
    pub entered_at: Option<String>,
    /// When the environment entered the policy's first stage (the start of `rollout`
    /// windows), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_started_at: Option<String>,
    /// The policy's parameters this decision was evaluated with (`--param`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
    pub hold: Option<HoldStatus>,
    pub stages: Vec<StageStatus>,
    pub gates: Vec<GateResult>,
    pub blockers: Vec<Blocker>,
    pub warnings: Vec<Warning>,
    pub inputs: Inputs,
    /// Path of the markdown report written for this decision, if any.
    pub report: Option<String>,
    /// The stage's approval, when the policy requires one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalStatus>,
    /// Waivers (from the ledger) of the evaluated gates: in force or expired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverStatus>,
    /// A freeze or the deploy hours closing promotions at the evaluated time (which turns a
    /// GO into HOLD unless overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarStatus>,
}

/// Why promotions are closed at the evaluated time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarStatus {
    /// "frozen by year-end until ..." or "outside deploy hours; the next window opens at ...".
    pub message: String,
    /// The freeze's name, when a freeze closes them.
    pub freeze: Option<String>,
    /// When promotions open again (RFC 3339, UTC), when known.
    pub opens_at: Option<String>,
    /// The ledger override letting this evaluation promote anyway.
    pub overridden: Option<OverrideStatus>,
}

impl CalendarStatus {
    /// The rule in force, and the override that let the stage through, in words: "frozen by
    /// year-end until ...; freeze overridden by NAME: REASON (TICKET)".
    pub fn words(&self) -> String {
        match &self.overridden {
            None => self.message.clone(),
            Some(o) => {
                let what = if self.freeze.is_some() {
                    "freeze"
                } else {
                    "deploy hours"
                };
                let ticket = o
                    .ticket
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                format!(
                    "{}; {what} overridden by {}: {}{ticket}",
                    self.message, o.by, o.reason
                )
            }
        }
    }
}

/// A ledger `override` entry in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideStatus {
    pub by: String,
    pub reason: String,
    pub ticket: Option<String>,
    pub at: String,
    pub until: Option<String>,
}

impl Decision {
    /// The failed `on_fail: approve` gates that await a person's approval (which is why a
    /// decision whose gates otherwise pass is HOLD).
    pub fn awaiting_approval(&self) -> Vec<&str> {
        self.gates
            .iter()
            .filter(|g| {
                !g.shadow
                    && g.on_fail == OnFail::Approve
                    && g.status == GateStatus::Fail
                    && g.approval.as_ref().is_none_or(|a| a.approved_by.is_none())
                    // A waiver in force answers for the gate (it is a warning instead).
                    && !self
                        .waivers
                        .iter()
                        .any(|w| w.gate == g.id && w.state == WaiverState::InForce)
            })
            .map(|g| g.id.as_str())
            .collect()
    }

    /// The gates evaluated without a staleness check (`max_age: none`), which every format
    /// names so a reader knows the data's age was not checked.
    pub fn staleness_unchecked(&self) -> Vec<&str> {
        self.gates
            .iter()
            .filter(|g| g.max_age.as_deref() == Some("none"))
            .map(|g| g.id.as_str())
            .collect()
    }
}

/// What a failing gate does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnFail {
    /// NO-GO.
    Block,
    /// Reported as a warning; never changes the verdict.
    Warn,
    /// ROLLBACK.
    Rollback,
    /// HOLD, awaiting a person's approval in the ledger; once approved after the failure,
    /// the gate counts as passed with approval.
    Approve,
}

impl OnFail {
    /// The spelling of the policy and the decision JSON (`block`, `warn`, `rollback`,
    /// `approve`).
    pub fn as_str(self) -> &'static str {
        match self {
            OnFail::Block => "block",
            OnFail::Warn => "warn",
            OnFail::Rollback => "rollback",
            OnFail::Approve => "approve",
        }
    }
}

impl std::fmt::Display for OnFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A gate's kind. The decision records only its name (the policy holds the kind's settings),
/// so a decision can be read and rendered without the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Threshold,
    PerCheck,
    Trend,
    Compare,
    Records,
    Script,
    /// Composite: every member passes.
    AllOf,
    /// Composite: some member passes.
    AnyOf,
    /// Composite: the weighted share of passing members.
    Score,
    /// Error-budget burn rate over pairs of windows.
    BurnRate,
}

impl Kind {
    /// The spelling of the decision JSON (`threshold`, `per-check`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Threshold => "threshold",
            Kind::PerCheck => "per-check",
            Kind::Trend => "trend",
            Kind::Compare => "compare",
            Kind::Records => "records",
            Kind::Script => "script",
            Kind::AllOf => "all-of",
            Kind::AnyOf => "any-of",
            Kind::Score => "score",
            Kind::BurnRate => "burn-rate",
        }
    }

    /// Whether the kind combines other gates (members) instead of reading data.
    pub fn is_composite(self) -> bool {
        matches!(self, Kind::AllOf | Kind::AnyOf | Kind::Score)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a waiver still covers its gate at the evaluated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    /// Before its `until`: a failing gate is reported as a warning instead of blocking.
    InForce,
    /// Past its `until`: the gate decides again, and a warning says the waiver expired.
    Expired,
}

impl WaiverState {
    /// The spelling of the decision JSON (`in-force`, `expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::InForce => "in-force",
            WaiverState::Expired => "expired",
        }
    }
}

/// Whether the stage's required approval has been given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStatus {
    /// Who may approve; empty: anyone.
    pub by: Vec<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

/// A waiver of a gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverStatus {
    pub gate: String,
    /// `in-force` or `expired`.
    pub state: WaiverState,
    pub until: String,
    pub by: String,
    pub reason: String,
    pub ticket: Option<String>,
    /// The gate's status under the waiver.
    pub gate_status: GateStatus,
}

/// One past decision of the stage, for the hold's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldEvent {
    pub at: String,
    pub verdict: Verdict,
}

/// GO / HOLD / NO-GO / ROLLBACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Verdict {
    #[serde(rename = "go")]
    Go,
    #[serde(rename = "hold")]
    Hold,
    #[serde(rename = "no-go")]
    NoGo,
    #[serde(rename = "rollback")]
    Rollback,
}

impl Verdict {
    /// The exit code of cli.md.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Go => 0,
            Verdict::NoGo => 1,
            Verdict::Hold => 3,
            Verdict::Rollback => 4,
        }
    }

    /// Upper-case label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Go => "GO",
            Verdict::Hold => "HOLD",
            Verdict::NoGo => "NO-GO",
            Verdict::Rollback => "ROLLBACK",
        }
    }
}

/// The stage's hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldStatus {
    /// The hold as written (`60m`, `1bd`).
    pub hold: String,
    /// Required hold in seconds (business days count 86,400 s each).
    pub required_s: i64,
    /// Counted time since entry (business time for business-day holds).
    pub elapsed_s: Option<i64>,
    pub remaining_s: Option<i64>,
    /// The earliest time a GO is possible (RFC 3339, UTC).
    pub earliest_go_at: Option<String>,
    /// When a NO-GO or ROLLBACK after the entry restarted the hold clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_at: Option<String>,
    /// Decisions recorded for the stage since its entry (from the ledger).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HoldEvent>,
}

/// Where each stage of the policy stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageStatus {
    pub id: String,
    pub traffic: Option<String>,
    pub hold: Option<String>,
    /// `passed` (before the evaluated stage), `current`, `pending` (after).
    pub state: StageState,
}

/// A stage's place relative to the evaluated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageState {
    Passed,
    Current,
    Pending,
}

/// A gate's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GateStatus {
    Pass,
    Fail,
    /// Not enough data to decide (too few, stale or no samples).
    Inconclusive,
    /// The gate could not be evaluated (script error, limit, source failure).
    Error,
}

/// A gate that stops the promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Blocker {
    /// The gate id, or empty for a blocker that is not a gate (an unknown entry time, a failed
    /// source, an unrecorded GO): `None` in Rust, `""` in JSON.
    #[serde(with = "empty_is_none")]
    #[schemars(with = "String")]
    pub gate: Option<String>,
    pub reason: String,
    pub remediation: Option<String>,
}

/// Something reported that does not change the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Warning {
    pub gate: String,
    pub message: String,
}

/// What the decision was computed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    pub policy_sha256: String,
    pub snapshot_sha256: String,
    pub rollgate_version: String,
    /// The policy file as given on the command line.
    pub policy_path: Option<String>,
    /// The snapshot file as given on the command line.
    pub snapshot_path: Option<String>,
    /// The identity of the evaluation: a sha256 of what it was computed from (policy and
    /// snapshot digests, environment, stage, time, flags and the ledger entries it read),
    /// never of its result. A retried evaluation has the same id, so the ledger records it
    /// once and its report is written once. Absent where nothing is recorded (policy tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_id: Option<String>,
    /// The ledger entry that records this decision (its own entry, appended after the
    /// entries the evaluation read, so the ledger's head at that moment; for a retried
    /// evaluation, the entry its first attempt appended). A ledger with fewer entries, or
    /// another entry at that number, lost or replaced entries after the decision: `ledger
    /// verify --against` and `replay --ledger` say so. Absent without a ledger, or when the
    /// decision could not be recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_head: Option<LedgerHead>,
}

/// A position in the ledger's hash chain: an entry's sequence number and its sha256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerHead {
    /// 1-based sequence number of the entry.
    pub seq: u64,
    /// The entry's `hash`: the sha256 of its canonical JSON.
    pub hash: String,
}

/// `Blocker.gate` in JSON: the gate id, or `""` for a blocker that is not a gate (the spelling
/// decisions have always had, so recorded decisions and reports keep their bytes).
mod empty_is_none {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(gate: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(gate.as_deref().unwrap_or(""))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let gate = String::deserialize(d)?;
        Ok((!gate.is_empty()).then_some(gate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str` (for text) and serde (for JSON) spell every variant the same way.
    #[test]
    fn text_and_json_spell_alike() {
        let json = |v: serde_json::Value| v.as_str().unwrap().to_owned();
        for o in [
            OnFail::Block,
            OnFail::Warn,
            OnFail::Rollback,
            OnFail::Approve,
        ] {
            assert_eq!(json(serde_json::to_value(o).unwrap()), o.as_str());
            assert_eq!(o.to_string(), o.as_str());
        }
        let kinds = [
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
        for k in kinds {
            assert_eq!(json(serde_json::to_value(k).unwrap()), k.as_str());
        }
        for w in [WaiverState::InForce, WaiverState::Expired] {
            assert_eq!(json(serde_json::to_value(w).unwrap()), w.as_str());
        }
        assert_eq!(Kind::PerCheck.as_str(), "per-check");
        assert_eq!(WaiverState::InForce.as_str(), "in-force");
    }

    /// A misspelt `on_fail`, kind or waiver state in a decision is rejected, never read as
    /// another value (a misspelt `rollback` used to become NO-GO).
    #[test]
    fn misspellings_are_rejected() {
        assert!(serde_json::from_str::<OnFail>("\"rollbak\"").is_err());
        assert!(serde_json::from_str::<OnFail>("\"Rollback\"").is_err());
        assert!(serde_json::from_str::<Kind>("\"per_check\"").is_err());
        assert!(serde_json::from_str::<WaiverState>("\"in_force\"").is_err());
        assert_eq!(
            serde_json::from_str::<OnFail>("\"rollback\"").unwrap(),
            OnFail::Rollback
        );
    }

    /// A blocker that is not a gate keeps its JSON spelling `""` both ways.
    #[test]
    fn blocker_without_gate_is_an_empty_string() {
        let stage = Blocker {
            gate: None,
            reason: "r".into(),
            remediation: None,
        };
        let text = serde_json::to_string(&stage).unwrap();
        assert_eq!(text, r#"{"gate":"","reason":"r","remediation":null}"#);
        assert_eq!(serde_json::from_str::<Blocker>(&text).unwrap(), stage);
        let gate = Blocker {
            gate: Some("err".into()),
            ..stage
        };
        let text = serde_json::to_string(&gate).unwrap();
        assert_eq!(text, r#"{"gate":"err","reason":"r","remediation":null}"#);
        assert_eq!(serde_json::from_str::<Blocker>(&text).unwrap(), gate);
        assert!(
            serde_json::from_str::<Blocker>(r#"{"gate":null,"reason":"r","remediation":null}"#)
                .is_err()
        );
    }
}
