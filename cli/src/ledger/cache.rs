//! A stage's entries kept in memory between the ticks of `watch`: each tick reads only what
//! was appended since the last one, so its cost does not grow with the ledger (the whole file
//! was read and re-hashed every tick before).
//!
//! The cache is trusted the way the index is: only while the ledger still holds, at the
//! cached length, the entry the cache saw last (read backwards from there). A ledger that was
//! cut, rewritten or replaced is read again through the index.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::index::holds;
use super::read::{Head, not_a_file, scan_reader};
use super::stage::{StageView, view_of};
use super::{Entry, LedgerError, Txn};

/// The entries of one (policy, environment, stage), and where the ledger ended.
#[derive(Debug)]
pub struct StageCache {
    path: PathBuf,
    policy: String,
    env: String,
    stage: String,
    head: Head,
    /// The entries, each with its ledger-digest content (computed once).
    entries: Vec<(Entry, String)>,
    /// Whether the cache was ever filled (a missing ledger is an empty one).
    filled: bool,
}

impl StageCache {
    pub fn new(path: &Path, policy: &str, env: &str, stage: &str) -> Self {
        StageCache {
            path: path.to_owned(),
            policy: policy.to_owned(),
            env: env.to_owned(),
            stage: stage.to_owned(),
            head: Head::default(),
            entries: Vec::new(),
            filled: false,
        }
    }

    /// The stage's view at `now`, after reading what is new.
    pub fn view(&mut self, now: f64) -> Result<StageView, LedgerError> {
        self.refresh()?;
        Ok(view_of(
            self.entries.iter().map(|(e, c)| (e, Some(c.as_str()))),
            &self.policy,
            &self.env,
            &self.stage,
            now,
        ))
    }

    fn refresh(&mut self) -> Result<(), LedgerError> {
        let io = |e: std::io::Error| LedgerError::Io(format!("cannot read: {e}"));
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.head = Head::default();
                self.entries.clear();
                self.filled = true;
                return Ok(());
            }
            Err(e) => return Err(io(e)),
        };
        let meta = file.metadata().map_err(io)?;
        if let Some(what) = not_a_file(&meta) {
            return Err(LedgerError::NotAFile(what));
        }
        file.lock_shared().map_err(io)?;
        let result = self.read_new(&file, meta.len());
        let _ = file.unlock();
        result
    }

    /// Reads the entries after the cached head, or everything again (through the index) when
    /// the ledger no longer holds that head.
    fn read_new(&mut self, file: &File, size: u64) -> Result<(), LedgerError> {
        let io = |e: std::io::Error| LedgerError::Io(format!("cannot read: {e}"));
        let still = self.filled && holds(file, &self.head, size).map_err(io)?;
        if !still {
            // Read under the index's exclusive lock: released here, taken there.
            let _ = file.unlock();
            let Some(mut txn) = Txn::begin_read(&self.path)? else {
                self.head = Head::default();
                self.entries.clear();
                self.filled = true;
                return Ok(());
            };
            self.entries = txn
                .stage(&self.policy, &self.env, &self.stage, |_| true)?
                .into_iter()
                .map(|e| {
                    let c = crate::identity::content(&e);
                    (e, c)
                })
                .collect();
            self.head = txn.head().clone();
            self.filled = true;
            return Ok(());
        }
        if size == self.head.len {
            return Ok(());
        }
        let mut reader = file;
        reader.seek(SeekFrom::Start(self.head.len)).map_err(io)?;
        let (policy, env, stage) = (&self.policy, &self.env, &self.stage);
        let entries = &mut self.entries;
        scan_reader(reader, true, &mut self.head, |e, _| {
            if &e.policy == policy && &e.env == env && &e.stage == stage {
                entries.push((e.clone(), crate::identity::content(e)));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Kind, entry};
    use super::*;
    use serde_json::json;

    fn add(path: &Path, kind: Kind, time: &str, stage: &str) {
        let e = entry(kind, time.into(), "p", "prod", stage, "me", json!({}));
        super::super::append(path, e).unwrap();
    }

    #[test]
    fn each_view_reads_only_what_is_new_and_a_cut_ledger_is_read_again() {
        let dir = std::env::temp_dir().join(format!("rollgate-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("L.jsonl");
        let now = rollgate_engine::snapshot::parse_time("2026-01-01T05:00:00Z").unwrap();
        let mut cache = StageCache::new(&path, "p", "prod", "canary");
        assert_eq!(cache.view(now).unwrap().entered, None, "no ledger yet");
        add(&path, Kind::Note, "2026-01-01T00:00:00Z", "other");
        add(&path, Kind::Enter, "2026-01-01T01:00:00Z", "canary");
        let first = cache.view(now).unwrap();
        assert!(first.entered.is_some());
        // The first line overwritten in place: a view that re-read the ledger would refuse it.
        let text = std::fs::read_to_string(&path).unwrap();
        let n = text.lines().next().unwrap().len();
        std::fs::write(&path, format!("{}{}", "x".repeat(n), &text[n..])).unwrap();
        add(&path, Kind::Approve, "2026-01-01T02:00:00Z", "canary");
        let second = cache.view(now).unwrap();
        assert_eq!(second.history.approvals.len(), 1);
        assert_ne!(second.digest, first.digest);
        // Cut back to a valid ledger without the approval: read again, the approval gone.
        std::fs::write(&path, &text).unwrap();
        let third = cache.view(now).unwrap();
        assert_eq!(third.history.approvals.len(), 0);
        assert_eq!(third.digest, first.digest);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
