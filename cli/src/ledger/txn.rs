//! A locked session on the ledger: its head and a stage's entries found through the index
//! (see `index`), an entry sealed (sequence, `prev`, hash) before it is written, so a report
//! can name it, then appended. The lock is held until the session is dropped, so nothing
//! comes between the head read and the append.

use std::fs::File;
use std::path::Path;

use super::append::{open_locked, write_or_undo};
use super::index::{Covered, Index, Record, SyncError, entry_at, stage_key};
use super::read::{Head, not_a_file, scan_reader};
use super::{Entry, LedgerError};

/// A locked ledger.
pub struct Txn {
    file: File,
    covered: Covered,
    /// `None` when the index cannot be used (a read-only directory): entries are then found
    /// by reading the ledger whole, as correct and slower.
    index: Option<Index>,
}

impl Drop for Txn {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

impl Txn {
    /// Opens (creating) and locks the ledger for appending.
    pub fn begin(path: &Path) -> Result<Txn, LedgerError> {
        let file = open_locked(path)?;
        Txn::on(file, path)
    }

    /// Opens and locks an existing ledger to read it; `None` when there is none.
    pub fn begin_read(path: &Path) -> Result<Option<Txn>, LedgerError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(LedgerError::Io(format!("cannot read: {e}"))),
        };
        if let Some(what) = not_a_file(&meta) {
            return Err(LedgerError::NotAFile(what));
        }
        let io = |e: std::io::Error| LedgerError::Io(format!("cannot read: {e}"));
        let file = File::open(path).map_err(io)?;
        if let Some(what) = file.metadata().ok().as_ref().and_then(not_a_file) {
            return Err(LedgerError::NotAFile(what));
        }
        file.lock().map_err(io)?;
        Txn::on(file, path).map(Some)
    }

    fn on(file: File, path: &Path) -> Result<Txn, LedgerError> {
        let index = Index::beside(path);
        match index.sync(&file) {
            Ok(covered) => Ok(Txn {
                file,
                covered,
                index: Some(index),
            }),
            Err(SyncError::Ledger(e)) => Err(e),
            Err(SyncError::Io) => {
                let mut head = Head::default();
                let mut reader = &file;
                std::io::Seek::rewind(&mut reader).map_err(|e| LedgerError::Io(e.to_string()))?;
                scan_reader(reader, true, &mut head, |_, _| {})?;
                Ok(Txn {
                    file,
                    covered: Covered {
                        head,
                        ..Covered::default()
                    },
                    index: None,
                })
            }
        }
    }

    /// The last entry's sequence number and hash, and the ledger's length.
    pub fn head(&self) -> &Head {
        &self.covered.head
    }

    /// The entries of (policy, env, stage) whose index record `want` accepts, in sequence
    /// order. Each is read in place and checked; one that is not what the index says makes
    /// the index be rebuilt (and the ledger's chain checked) before trying again.
    pub fn stage(
        &mut self,
        policy: &str,
        env: &str,
        stage: &str,
        want: impl Fn(&Record) -> bool,
    ) -> Result<Vec<Entry>, LedgerError> {
        let ours = |e: &Entry| e.policy == policy && e.env == env && e.stage == stage;
        let key = stage_key(policy, env, stage);
        for _attempt in 0..2 {
            let Some(index) = &self.index else { break };
            let Ok(recs) = index.records(&key, &self.covered) else {
                break;
            };
            let mut out = Vec::new();
            // Records not counted by the head, or naming a line that is not the entry they
            // say (another sequence number, another stage, altered), make the index stale.
            let mut stale = recs.is_none();
            for r in recs.iter().flatten().filter(|r| want(r)) {
                match entry_at(&self.file, r.offset) {
                    Ok(Some((e, _)))
                        if e.seq == r.seq
                            && e.hash == e.digest()
                            && stage_key(&e.policy, &e.env, &e.stage) == key =>
                    {
                        // Another stage with the same key (2^-64) is skipped.
                        if ours(&e) {
                            out.push(e);
                        }
                    }
                    _ => {
                        stale = true;
                        break;
                    }
                }
            }
            if !stale {
                return Ok(out);
            }
            match index.rebuild(&self.file) {
                Ok(c) => self.covered = c,
                Err(SyncError::Ledger(e)) => return Err(e),
                Err(SyncError::Io) => break,
            }
        }
        // Without a usable index: the whole ledger, read as a stream.
        self.index = None;
        let mut out = Vec::new();
        let mut head = Head::default();
        let mut reader = &self.file;
        std::io::Seek::rewind(&mut reader).map_err(|e| LedgerError::Io(e.to_string()))?;
        scan_reader(reader, true, &mut head, |e, off| {
            if ours(e) && want(&Record::of(e, off)) {
                out.push(e.clone());
            }
        })?;
        Ok(out)
    }

    /// The entry with its chain fields filled in as the next entry of this ledger.
    pub fn seal(&self, mut entry: Entry) -> Entry {
        entry.seq = self.covered.head.entries + 1;
        entry.prev = self.covered.head.hash.clone();
        entry.hash = String::new();
        entry.hash = entry.digest();
        entry
    }

    /// Appends the entry (sealed here), all or nothing, and indexes it. An index that cannot
    /// be written is left behind and caught up by the next session.
    pub fn append(&mut self, entry: Entry) -> Result<Entry, LedgerError> {
        let entry = self.seal(entry);
        let mut line = serde_json::to_string(&entry).map_err(|e| LedgerError::Io(e.to_string()))?;
        line.push('\n');
        let offset = self.covered.head.len;
        write_or_undo(&mut self.file, offset, line.as_bytes())?;
        self.covered.head = Head {
            entries: entry.seq,
            hash: entry.hash.clone(),
            len: offset + line.len() as u64,
        };
        let key = stage_key(&entry.policy, &entry.env, &entry.stage);
        self.covered.take(&key, entry.seq);
        if let Some(index) = &self.index {
            let _ = index
                .add(&key, &[Record::of(&entry, offset)])
                .and_then(|()| index.write_head(&self.covered));
        }
        Ok(entry)
    }
}
