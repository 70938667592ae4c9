//! The rollout ledger: an append-only JSON Lines file (default
//! `docs/sync/status/ledger.jsonl`, versioned beside the reports) whose entries form a hash
//! chain. Each entry holds its sequence number, time, kind, policy, environment, stage, actor,
//! payload, the sha256 of the previous entry and its own. Appends take an exclusive lock,
//! write one line and fsync, so concurrent writers lose nothing and keep the chain valid; a
//! failed append is undone; a torn last line (a crash mid-write) is reported, never silently
//! used, and `ledger verify --repair-tail` drops it. Reads stream the file line by line.

mod anchor;
mod append;
mod cache;
mod index;
mod read;
mod stage;
mod txn;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use anchor::{Checker, Claim, check_claim, claims_in};
pub use append::{append, repair_tail};
pub use cache::StageCache;
pub use read::scan;
#[cfg(fuzzing)]
pub use read::{parse, verify};
pub use stage::{StageView, decision_entry, find_decision, record_decision, stage_view};
pub use txn::Txn;

/// The ledger key of a rollout: the policy id, or `ID/PARAMS` for a parameterized policy
/// (`checkout-slo/service=checkout`, the values as in report paths), so each set of values
/// keeps its own stage entries, decisions, approvals, waivers and overrides.
pub fn subject(policy: &str, params: &std::collections::BTreeMap<String, String>) -> String {
    if params.is_empty() {
        policy.to_owned()
    } else {
        format!(
            "{policy}/{}",
            rollgate_engine::policy::params::params_text(params)
        )
    }
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A stage was entered.
    Enter,
    /// An evaluation: verdict, gate statuses, report path, input digests, evaluation id.
    Decision,
    /// A named person approved a stage.
    Approve,
    /// A gate waived until an expiry, with owner, reason and ticket.
    Waive,
    Note,
    /// An emergency promotion through a freeze or outside deploy hours, with reason and
    /// ticket (and optionally an expiry).
    Override,
}

/// One ledger entry. Field order is the hashed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub time: String,
    pub kind: Kind,
    pub policy: String,
    pub env: String,
    pub stage: String,
    pub actor: String,
    pub payload: Value,
    pub prev: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl Entry {
    /// sha256 of the entry's canonical JSON without `hash`.
    pub fn digest(&self) -> String {
        let mut e = self.clone();
        e.hash = String::new();
        let text = serde_json::to_string(&e).unwrap_or_default();
        crate::files::sha256_hex(text.as_bytes())
    }
}

/// Why a ledger cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    Io(String),
    /// The path exists but is not a regular file (a device, a FIFO, a directory).
    NotAFile(String),
    /// The last line has no newline or does not parse: a crash mid-write.
    Torn {
        line: usize,
    },
    /// A line that does not parse as an entry.
    Malformed {
        line: usize,
        why: String,
    },
    /// The hash chain is broken at this entry (removed, reordered or altered entries).
    Chain {
        line: usize,
        why: String,
    },
}

impl LedgerError {
    /// The 1-based line of the problem, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            LedgerError::Io(_) | LedgerError::NotAFile(_) => None,
            LedgerError::Torn { line }
            | LedgerError::Malformed { line, .. }
            | LedgerError::Chain { line, .. } => Some(*line),
        }
    }

    /// `FILE:N: why` (or `FILE: why`), as every rollgate diagnostic.
    pub fn located(&self, file: &std::path::Path) -> String {
        match self.line() {
            Some(n) => format!("{}:{n}: {self}", file.display()),
            None => format!("{}: {self}", file.display()),
        }
    }
}

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerError::Io(m) => f.write_str(m),
            LedgerError::NotAFile(what) => write!(
                f,
                "is {what}, not a regular file; a ledger is a file of JSON lines"
            ),
            LedgerError::Torn { line } => write!(
                f,
                "line {line} is torn (incomplete: a crash while writing?); it is not used, and nothing is appended until it is removed (`rollgate ledger verify --repair-tail`)"
            ),
            LedgerError::Malformed { line, why } => {
                write!(f, "line {line} is not a ledger entry: {why}")
            }
            LedgerError::Chain { why, .. } => f.write_str(why),
        }
    }
}

/// A new entry with the chain fields empty (append fills them).
pub fn entry(
    kind: Kind,
    time: String,
    policy: &str,
    env: &str,
    stage: &str,
    actor: &str,
    payload: Value,
) -> Entry {
    Entry {
        seq: 0,
        time,
        kind,
        policy: policy.to_owned(),
        env: env.to_owned(),
        stage: stage.to_owned(),
        actor: actor.to_owned(),
        payload,
        prev: String::new(),
        hash: String::new(),
    }
}

/// Who is acting: `--by`, else the user running rollgate.
pub fn actor(by: Option<&str>) -> String {
    by.map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
