//! Reports as anchors of the ledger. A hash chain reveals a removed or altered entry only
//! while a later entry follows it: the last entries can be cut off and what is left still
//! verifies. Every decision written with a ledger names the entry that records it
//! (`inputs.ledger_head`: its sequence number and hash), so the reports kept beside the ledger
//! say how long it was at least; a ledger shorter than a report says, or with another entry at
//! that number, lost or replaced entries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rollgate_engine::decision::{Decision, LedgerHead};

use super::{Entry, LedgerError, Txn};

/// What one report says the ledger holds.
#[derive(Debug, Clone)]
pub struct Claim {
    pub report: PathBuf,
    pub head: LedgerHead,
    pub policy: String,
    pub env: String,
    pub stage: String,
}

impl Claim {
    pub fn of(report: &Path, d: &Decision) -> Option<Claim> {
        Some(Claim {
            report: report.to_owned(),
            head: d.inputs.ledger_head.clone()?,
            policy: d.policy.clone(),
            env: d.environment.clone(),
            stage: d.stage.clone(),
        })
    }

    /// What is wrong when the ledger ends at entry `last`.
    fn past_the_end(&self, last: u64) -> String {
        let n = self.head.seq;
        let missing = if last + 1 == n {
            format!("entry {n} is missing")
        } else {
            format!("entries {}-{n} are missing", last + 1)
        };
        format!(
            "shorter than `{}` says: it ends at entry {last}, the report was recorded as entry {n} (sha256 {}); {missing} (removed after the report was written)",
            self.report.display(),
            self.head.hash
        )
    }

    fn other_entry(&self, e: &Entry) -> String {
        format!(
            "entry {} is not the one `{}` was recorded as: its sha256 is {}, the report says {} (the entry was replaced)",
            e.seq,
            self.report.display(),
            e.hash,
            self.head.hash
        )
    }
}

/// The claims of the decisions (`*.json` beside their `.md`) under `dir`, walked without
/// following symbolic links; files that are not decisions are skipped and counted.
pub fn claims_in(dir: &Path) -> std::io::Result<(Vec<Claim>, usize)> {
    let mut claims = Vec::new();
    let mut skipped = 0;
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        let mut names: Vec<_> = std::fs::read_dir(&d)?.collect::<Result<_, _>>()?;
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let t = e.file_type()?;
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if t.is_dir() {
                todo.push(p);
            } else if t.is_file() && name.ends_with(".json") && !name.ends_with(".snapshot.json") {
                let parsed = std::fs::read(&p)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Decision>(&b).ok());
                match parsed {
                    Some(d) => claims.extend(Claim::of(&p, &d)),
                    None => skipped += 1,
                }
            }
        }
    }
    claims.sort_by(|a, b| a.report.cmp(&b.report));
    Ok((claims, skipped))
}

/// Checks claims against a ledger while it is streamed: feed every entry to `see`, then call
/// `finish` with the number of entries.
pub struct Checker<'a> {
    by_seq: HashMap<u64, Vec<&'a Claim>>,
    pub problems: Vec<String>,
}

impl<'a> Checker<'a> {
    pub fn new(claims: &'a [Claim]) -> Self {
        let mut by_seq: HashMap<u64, Vec<&Claim>> = HashMap::new();
        for c in claims {
            by_seq.entry(c.head.seq).or_default().push(c);
        }
        Checker {
            by_seq,
            problems: Vec::new(),
        }
    }

    pub fn see(&mut self, e: &Entry) {
        for c in self.by_seq.remove(&e.seq).unwrap_or_default() {
            if c.head.hash != e.hash {
                self.problems.push(c.other_entry(e));
            }
        }
    }

    pub fn finish(mut self, entries: u64) -> Vec<String> {
        let mut rest: Vec<&Claim> = self.by_seq.into_values().flatten().collect();
        rest.sort_by(|a, b| (a.head.seq, &a.report).cmp(&(b.head.seq, &b.report)));
        self.problems
            .extend(rest.into_iter().map(|c| c.past_the_end(entries)));
        self.problems
    }
}

/// Checks one claim through the index (`replay`): only the claim's stage is read.
pub fn check_claim(ledger: &Path, c: &Claim) -> Result<Option<String>, LedgerError> {
    let Some(mut txn) = Txn::begin_read(ledger)? else {
        return Ok(Some(c.past_the_end(0)));
    };
    let last = txn.head().entries;
    if last < c.head.seq {
        return Ok(Some(c.past_the_end(last)));
    }
    let found = txn.stage(&c.policy, &c.env, &c.stage, |r| r.seq == c.head.seq)?;
    Ok(match found.first() {
        Some(e) if e.hash == c.head.hash => None,
        Some(e) => Some(c.other_entry(e)),
        None => Some(format!(
            "entry {} is not the one `{}` was recorded as: it records another stage (the entry was replaced)",
            c.head.seq,
            c.report.display()
        )),
    })
}
