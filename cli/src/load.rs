//! Reading the user's policy and snapshot files: bytes from disk, parsed and checked, with
//! every refusal naming the file (a policy's errors drawn with their source lines).

use std::path::Path;

use rollgate_engine::snapshot::{self, Snapshot};

use crate::diagnostics::{Style, emit};
use crate::error::CliError;
use crate::files;

/// Largest snapshot read (bytes): a day of 1 s samples for 100 metrics is about 180 MB.
const MAX_SNAPSHOT_BYTES: u64 = 2 << 30;

/// Snapshots below this size are hashed on the parsing thread: hashing them takes well under
/// a millisecond, not worth starting a thread for.
const HASH_ON_SECOND_CORE_FROM: usize = 256 << 10;

/// Reads and validates a policy file: its text and what the engine loaded from it. Its
/// diagnostics are printed here (`CliError::Reported`).
pub fn policy_file(path: &Path) -> Result<(String, rollgate_engine::Loaded), CliError> {
    let text = files::read_text(path).map_err(|m| CliError::file(path, m))?;
    let loaded = rollgate_engine::load_policy(&text).map_err(|diags| {
        emit(&path.display().to_string(), &text, &diags, Style::detect());
        CliError::Reported
    })?;
    Ok((text, loaded))
}

/// Reads a snapshot file (JSON, or YAML by extension) and its sha256, hashing a large one on
/// the second core while parsing. Its warnings are printed.
pub fn snapshot_file(path: &Path) -> Result<(Snapshot, String), CliError> {
    let bytes = files::read_bytes(path, MAX_SNAPSHOT_BYTES).map_err(|m| CliError::file(path, m))?;
    let (snap, sha) = if bytes.len() < HASH_ON_SECOND_CORE_FROM {
        (parse_snapshot(path, &bytes), files::sha256_hex(&bytes))
    } else {
        std::thread::scope(|s| {
            let hasher = s.spawn(|| files::sha256_hex(&bytes));
            let parsed = parse_snapshot(path, &bytes);
            (parsed, hasher.join().unwrap_or_default())
        })
    };
    let snap = snap.map_err(|e| CliError::file(path, format!("at `{}`: {}", e.path, e.message)))?;
    for w in &snap.warnings {
        eprintln!("{}: warning: {w}", path.display());
    }
    Ok((snap, sha))
}

fn parse_snapshot(path: &Path, bytes: &[u8]) -> Result<Snapshot, snapshot::SnapshotError> {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if yaml {
        let text = std::str::from_utf8(bytes).map_err(|e| snapshot::SnapshotError {
            path: "$".into(),
            message: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        })?;
        snapshot::from_yaml(text)
    } else {
        snapshot::from_json(bytes)
    }
}
