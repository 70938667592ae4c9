//! The CLI's `files` module, reduced to the one function `cli/src/ledger.rs` calls.
//!
//! The ledger line parser lives in the CLI binary crate, which has no library target. Rather
//! than move code the CLI owns, this crate compiles that same file as its `ledger` module
//! (see lib.rs), with this stand-in for its one helper: the target fuzzes the real
//! `ledger::parse` and `ledger::verify`, byte for byte the CLI's.

use sha2::{Digest, Sha256};

/// Lowercase hex sha256, as `cli/src/files.rs` computes it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
