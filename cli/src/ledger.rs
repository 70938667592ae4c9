//! The rollout ledger: an append-only JSON Lines file (default
//! `docs/sync/status/ledger.jsonl`, versioned beside the reports) whose entries form a hash
//! chain. Each entry holds its sequence number, time, kind, policy, environment, stage, actor,
//! payload, the sha256 of the previous entry and its own. Appends take an exclusive lock,
//! write one line and fsync, so concurrent writers lose nothing and keep the chain valid; a
//! torn last line (a crash mid-write) is reported, never silently used.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A stage was entered.
    Enter,
    /// An evaluation: verdict, gate statuses, report path, input digests.
    Decision,
    /// A named person approved a stage.
    Approve,
    /// A gate waived until an expiry, with owner, reason and ticket.
    Waive,
    Note,
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
    /// The last line has no newline or does not parse: a crash mid-write.
    Torn {
        line: usize,
    },
    /// A line that does not parse as an entry.
    Malformed {
        line: usize,
        why: String,
    },
}

impl LedgerError {
    /// The 1-based line of the problem, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            LedgerError::Io(_) => None,
            LedgerError::Torn { line } | LedgerError::Malformed { line, .. } => Some(*line),
        }
    }

    /// `FILE:N: why` (or `FILE: why`), as every rollgate diagnostic.
    pub fn located(&self, file: &Path) -> String {
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
            LedgerError::Torn { line } => write!(
                f,
                "line {line} is torn (incomplete: a crash while writing?); it is not used, and nothing is appended until it is removed by hand"
            ),
            LedgerError::Malformed { line, why } => {
                write!(f, "line {line} is not a ledger entry: {why}")
            }
        }
    }
}

/// Parses the whole ledger text.
pub fn parse(text: &str) -> Result<Vec<Entry>, LedgerError> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, raw) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        let complete = raw.ends_with('\n');
        if raw.trim().is_empty() {
            // Every line of a ledger is an entry: an empty one was inserted by hand.
            return Err(LedgerError::Malformed {
                line: i + 1,
                why: "the line is empty".into(),
            });
        }
        match serde_json::from_str::<Entry>(raw.trim_end()) {
            Ok(e) if complete => out.push(e),
            Ok(_) | Err(_) if last && !complete => return Err(LedgerError::Torn { line: i + 1 }),
            Ok(_) => unreachable!("complete lines are handled above"),
            Err(e) => {
                // serde's position is within the line: give the column only.
                let text = e.to_string();
                let why = match text.rfind(" at line ") {
                    Some(at) => format!("{} (column {})", &text[..at], e.column()),
                    None => text,
                };
                return Err(LedgerError::Malformed { line: i + 1, why });
            }
        }
    }
    Ok(out)
}

/// Reads a ledger; a missing file is an empty ledger.
pub fn read(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    match std::fs::read_to_string(path) {
        Ok(t) => parse(&t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(LedgerError::Io(format!(
            "cannot read `{}`: {e}",
            path.display()
        ))),
    }
}

/// The first problem in the chain, in words, with its 1-based entry line; None when valid.
pub fn verify(entries: &[Entry]) -> Option<(usize, String)> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        if e.seq != n as u64 {
            return Some((
                n,
                format!(
                    "entry {n} has sequence number {}: an entry before it was removed, or entries were reordered",
                    e.seq
                ),
            ));
        }
        if e.prev != prev {
            return Some((
                n,
                format!(
                    "entry {n} does not follow entry {}: its `prev` is not that entry's hash (an entry was removed, reordered or altered)",
                    n - 1
                ),
            ));
        }
        let h = e.digest();
        if e.hash != h {
            return Some((
                n,
                format!("entry {n} was altered: its content does not match its hash"),
            ));
        }
        prev = h;
    }
    None
}

/// Appends one entry (seq, prev and hash are filled in) under an exclusive lock; `dedup`
/// sees the existing entries and may return one to report instead of appending (the same
/// evaluation appended twice is one entry).
pub fn append(
    path: &Path,
    mut entry: Entry,
    dedup: impl Fn(&[Entry]) -> Option<Entry>,
) -> Result<(Entry, bool), LedgerError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| LedgerError::Io(format!("cannot create `{}`: {e}", dir.display())))?;
    }
    let io = |e: std::io::Error| LedgerError::Io(format!("`{}`: {e}", path.display()));
    let mut file: File = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.lock().map_err(io)?;
    let result = (|| {
        let mut text = String::new();
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.read_to_string(&mut text).map_err(io)?;
        let entries = parse(&text)?;
        if let Some(found) = dedup(&entries) {
            return Ok((found, false));
        }
        let (seq, prev) = entries
            .last()
            .map_or((1, GENESIS.to_owned()), |l| (l.seq + 1, l.hash.clone()));
        entry.seq = seq;
        entry.prev = prev;
        entry.hash = String::new();
        entry.hash = entry.digest();
        let mut line = serde_json::to_string(&entry).map_err(|e| LedgerError::Io(e.to_string()))?;
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok((entry, true))
    })();
    let _ = file.unlock();
    result
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

/// What the ledger says of one (policy, environment, stage) up to `now`: the history the
/// engine evaluates with, and the latest entry time.
pub fn history_for(
    entries: &[Entry],
    policy: &str,
    env: &str,
    stage: &str,
    now: f64,
) -> (rollgate_engine::history::History, Option<f64>) {
    use rollgate_engine::history::{Approval, History, PastDecision, Waiver};
    use rollgate_engine::snapshot::parse_time;
    let mut h = History::default();
    let mut entered = None;
    for e in entries
        .iter()
        .filter(|e| e.policy == policy && e.env == env && e.stage == stage)
    {
        let Some(at) = parse_time(&e.time) else {
            continue;
        };
        if at > now {
            continue;
        }
        match e.kind {
            Kind::Enter => entered = Some(entered.map_or(at, |x: f64| x.max(at))),
            Kind::Decision => {
                if let Some(v) = e
                    .payload
                    .get("verdict")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                {
                    h.decisions.push(PastDecision { at, verdict: v });
                }
            }
            Kind::Approve => h.approvals.push(Approval {
                at,
                by: e.actor.clone(),
            }),
            Kind::Waive => {
                let gate = e.payload["gate"].as_str().unwrap_or_default().to_owned();
                if let Some(until) = e.payload["until"].as_str().and_then(parse_time) {
                    h.waivers.push(Waiver {
                        gate,
                        at,
                        until,
                        by: e.actor.clone(),
                        reason: e.payload["reason"].as_str().unwrap_or_default().to_owned(),
                        ticket: e.payload["ticket"].as_str().map(str::to_owned),
                    });
                }
            }
            Kind::Note => {}
        }
    }
    // Decisions before the latest entry belong to an earlier visit of the stage.
    if let Some(en) = entered {
        h.decisions.retain(|d| d.at >= en);
        h.approvals.retain(|a| a.at >= en);
    }
    (h, entered)
}

/// Appends a decision entry, unless the same evaluation (same input digests, environment,
/// stage and time) is already there: a retried job is recorded once.
pub fn record_decision(
    path: &Path,
    d: &rollgate_engine::decision::Decision,
    actor: &str,
) -> Result<(Entry, bool), LedgerError> {
    let gates: serde_json::Map<String, Value> = d
        .gates
        .iter()
        .map(|g| {
            (
                g.id.clone(),
                serde_json::to_value(g.status).unwrap_or(Value::Null),
            )
        })
        .collect();
    let payload = serde_json::json!({
        "verdict": d.verdict,
        "exit_code": d.exit_code,
        "gates": gates,
        "report": d.report,
        "inputs": { "policy_sha256": d.inputs.policy_sha256, "snapshot_sha256": d.inputs.snapshot_sha256 },
    });
    let e = entry(
        Kind::Decision,
        d.evaluated_at.clone(),
        &d.policy,
        &d.environment,
        &d.stage,
        actor,
        payload.clone(),
    );
    append(path, e, |existing| {
        existing
            .iter()
            .find(|x| {
                x.kind == Kind::Decision
                    && x.policy == d.policy
                    && x.env == d.environment
                    && x.stage == d.stage
                    && x.time == d.evaluated_at
                    // Equal unless the ledger's history changed since (an approval or a
                    // waiver recorded late): then the new decision is recorded too.
                    && x.payload == payload
            })
            .cloned()
    })
}

/// Who is acting: `--by`, else the user running rollgate.
pub fn actor(by: Option<&str>) -> String {
    by.map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for i in 0..n {
            let mut e = entry(
                Kind::Note,
                format!("2026-11-22T12:00:0{i}Z"),
                "p",
                "e",
                "s",
                "me",
                Value::from(i),
            );
            e.seq = i as u64 + 1;
            e.prev = out.last().map_or(GENESIS.to_owned(), |l| l.hash.clone());
            e.hash = e.digest();
            out.push(e);
        }
        out
    }

    #[test]
    fn a_valid_chain_verifies_and_edits_are_caught() {
        let c = chain(5);
        assert_eq!(verify(&c), None);
        let mut altered = c.clone();
        altered[2].actor = "mallory".into();
        assert_eq!(verify(&altered).unwrap().0, 3);
        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).unwrap().0, 2);
        let mut reordered = c.clone();
        reordered.swap(1, 2);
        assert_eq!(verify(&reordered).unwrap().0, 2);
        let mut rehashed = c.clone();
        rehashed[4].payload = Value::from("x");
        rehashed[4].hash = rehashed[4].digest();
        assert_eq!(
            verify(&rehashed),
            None,
            "the last entry may be re-hashed: only a later entry or an anchored copy reveals it"
        );
    }

    #[test]
    fn torn_last_lines_are_refused() {
        let c = chain(2);
        let mut text: String = c
            .iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect();
        assert_eq!(parse(&text).unwrap().len(), 2);
        text.push_str("{\"seq\": 3, \"ti");
        assert_eq!(parse(&text), Err(LedgerError::Torn { line: 3 }));
        let whole_but_no_newline: String = serde_json::to_string(&c[0]).unwrap();
        assert_eq!(
            parse(&whole_but_no_newline),
            Err(LedgerError::Torn { line: 1 })
        );
    }
}
