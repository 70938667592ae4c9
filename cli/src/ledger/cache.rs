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
    entries: Vec<Entry>,
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
            &self.entries,
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
            self.entries = txn.stage(&self.policy, &self.env, &self.stage, |_| true)?;
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
                entries.push(e.clone());
            }
        })
    }
}
