//! Reading user files: size-limited, UTF-8, with messages that name the file.

use std::path::Path;

use rollgate_engine::diagnostic::{Code, Diagnostic};
use rollgate_engine::policy_test;

/// Reads a YAML/JSON input file, refusing oversized ones before reading them whole.
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = read_bytes(path, rollgate_engine::MAX_DOCUMENT_BYTES as u64)?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads a file whole, refusing directories and files over `limit` bytes before reading.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    if meta.is_dir() {
        return Err("is a directory, not a file".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "file is {} bytes; the limit is {limit} bytes",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))
}

/// Reads a stored decision (the JSON beside a report); the error is printed.
pub fn read_decision(path: &Path) -> Result<(String, rollgate_engine::decision::Decision), ()> {
    let shown = path.display().to_string();
    let text = read_text(path).map_err(|m| eprintln!("{shown}: {m}"))?;
    let d = serde_json::from_str(&text).map_err(|e| {
        eprintln!(
            "{shown}:{}:{}: not a rollgate decision: {e}",
            e.line(),
            e.column()
        );
    })?;
    Ok((text, d))
}

/// Plain words for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Every problem of a policy test file, including those of its references into the policy.
pub fn check_test_file(path: &Path, text: &str) -> Vec<Diagnostic> {
    let tests = match policy_test::load_test_file(text) {
        Ok(t) => t,
        Err(diags) => return diags,
    };
    let policy_ref = &tests.file.policy;
    let policy_path = path.parent().unwrap_or(Path::new(".")).join(policy_ref);
    let at = tests.doc.index.value_pos("/policy");
    let policy_text = match read_text(&policy_path) {
        Ok(t) => t,
        Err(m) => {
            return vec![Diagnostic::error(
                Code::BadPolicyReference,
                at,
                "/policy",
                format!("policy `{policy_ref}`: {m}"),
            )];
        }
    };
    match rollgate_engine::load_policy(&policy_text) {
        Ok(loaded) => policy_test::check_against(&tests, &loaded.policy),
        Err(_) => vec![Diagnostic::error(
            Code::BadPolicyReference,
            at,
            "/policy",
            format!(
                "policy `{policy_ref}` is invalid; run `rollgate validate {}`",
                policy_path.display()
            ),
        )],
    }
}

/// Lowercase hex sha256 of some bytes, for input digests.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Writes a file that must not exist yet (`create_new`: no race can overwrite one).
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
