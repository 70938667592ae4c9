//! Appending to the ledger under an exclusive lock, all or nothing: a failed write is cut
//! back to the ledger's previous length before the lock is released, so a full disk leaves
//! the ledger as it was, never with a torn line. `repair_tail` drops a torn last line left by
//! a crash (power loss, `kill -9`) and records that it did.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};

use std::path::Path;

use serde_json::json;

use super::read::{Head, not_a_file, scan_reader};
use super::{Entry, Kind, LedgerError};

/// Opens (creating) the ledger for appending, refusing anything but a regular file, and
/// locks it.
pub(super) fn open_locked(path: &Path) -> Result<File, LedgerError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| LedgerError::Io(format!("cannot create `{}`: {e}", dir.display())))?;
    }
    if let Ok(meta) = std::fs::metadata(path)
        && let Some(what) = not_a_file(&meta)
    {
        return Err(LedgerError::NotAFile(what));
    }
    let io = |e: std::io::Error| LedgerError::Io(e.to_string());
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    // Checked again on the open file: the path may have been swapped meanwhile.
    if let Some(what) = file.metadata().ok().as_ref().and_then(not_a_file) {
        return Err(LedgerError::NotAFile(what));
    }
    file.lock().map_err(io)?;
    Ok(file)
}

/// Appends one entry (seq, prev and hash are filled in) under an exclusive lock, in time
/// independent of the ledger's length (see `index`).
pub fn append(path: &Path, entry: Entry) -> Result<Entry, LedgerError> {
    super::txn::Txn::begin(path)?.append(entry)
}

/// Writes `bytes` at the end and syncs; on failure, cuts the file back to `len` (what it was)
/// and says whether that worked.
pub(super) fn write_or_undo(file: &mut File, len: u64, bytes: &[u8]) -> Result<(), LedgerError> {
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    let Err(e) = written else { return Ok(()) };
    match file.set_len(len).and_then(|()| file.sync_all()) {
        Ok(()) => Err(LedgerError::Io(format!(
            "could not append: {e}; the ledger is left as it was"
        ))),
        Err(undo) => Err(LedgerError::Io(format!(
            "could not append: {e}; undoing the partial write failed too ({undo}): run `rollgate ledger verify --repair-tail`"
        ))),
    }
}

/// What `repair_tail` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    /// The line that was dropped, its length and sha256.
    pub line: usize,
    pub bytes: u64,
    pub sha256: String,
    /// The note entry recording the repair.
    pub note: Entry,
}

/// Drops a torn last line (and only that: a malformed line before the end, or a broken chain,
/// is left for a person to look at), then appends a `note` entry saying what was dropped.
/// `Ok(None)` when the tail was whole.
pub fn repair_tail(path: &Path, actor: &str, now: String) -> Result<Option<Repaired>, LedgerError> {
    let mut file = open_locked(path)?;
    let result = (|| {
        let mut head = Head::default();
        let mut last = None;
        let torn = match scan_reader(&file, true, &mut head, |e, _| {
            last = Some((e.policy.clone(), e.env.clone(), e.stage.clone()));
        }) {
            Ok(()) => return Ok(None),
            Err(LedgerError::Torn { line }) => line,
            Err(other) => return Err(other),
        };
        let size = file
            .metadata()
            .map_err(|e| LedgerError::Io(e.to_string()))?
            .len();
        let mut dropped = Vec::new();
        file.seek(SeekFrom::Start(head.len))
            .map_err(|e| LedgerError::Io(e.to_string()))?;
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&file, size - head.len),
            &mut dropped,
        )
        .map_err(|e| LedgerError::Io(e.to_string()))?;
        file.set_len(head.len)
            .and_then(|()| file.sync_all())
            .map_err(|e| LedgerError::Io(format!("could not cut the torn line: {e}")))?;
        let sha256 = crate::files::sha256_hex(&dropped);
        let (policy, env, stage) =
            last.unwrap_or_else(|| ("ledger".into(), "-".into(), "-".into()));
        let mut note = super::entry(
            Kind::Note,
            now,
            &policy,
            &env,
            &stage,
            actor,
            json!({
                "text": format!("repair-tail: dropped torn line {torn} ({} bytes, sha256 {sha256})", dropped.len()),
                "repair": { "line": torn, "bytes": dropped.len(), "sha256": sha256 },
            }),
        );
        note.seq = head.entries + 1;
        note.prev = head.hash.clone();
        note.hash = note.digest();
        let mut line = serde_json::to_string(&note).map_err(|e| LedgerError::Io(e.to_string()))?;
        line.push('\n');
        write_or_undo(&mut file, head.len, line.as_bytes())?;
        Ok(Some(Repaired {
            line: torn,
            bytes: dropped.len() as u64,
            sha256,
            note,
        }))
    })();
    let _ = file.unlock();
    result
}
