//! Shared pieces of the fuzz targets: the bundled policies and examples (read once), the
//! ledger line parser compiled from the CLI's own source, and the data-losing mutations of
//! the `eval_lost_data` oracle. See docs/fuzzing.md.

pub mod files;
pub mod lost_data;

/// `cli/src/ledger.rs`, compiled here as it is in the CLI (see files.rs for why).
#[allow(dead_code)]
#[path = "../../cli/src/ledger.rs"]
pub mod ledger;

use std::path::{Path, PathBuf};

/// The repository root (this crate lives in `fuzz/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ has a parent")
        .to_owned()
}

/// Every `*.yaml` policy in `policies/` (not its tests), sorted: (id, text).
pub fn bundled_policies() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = root().join("policies");
    for entry in std::fs::read_dir(&dir).expect("policies/") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".yaml")
            && !id.ends_with(".test")
        {
            let text = std::fs::read_to_string(&path).expect("policy text");
            out.push((id.to_owned(), text));
        }
    }
    out.sort();
    out
}

/// Checks every diagnostic points into the text it came from (line 1..=lines+1), counting
/// lines as YAML does: `\r\n`, `\n` and a lone `\r` each end one.
pub fn assert_located(text: &str, diags: &[rollgate_engine::diagnostic::Diagnostic]) {
    let breaks = text.replace("\r\n", "\n").matches(['\n', '\r']).count();
    let lines = breaks as u32 + 1;
    for d in diags {
        assert!(
            d.pos.line >= 1 && d.pos.line <= lines,
            "diagnostic at line {} of a {}-line text: {}",
            d.pos.line,
            lines - 1,
            d.message
        );
        assert!(
            !d.message.trim().is_empty(),
            "a diagnostic without a message"
        );
    }
}

/// Two snapshots hold the same data: their written JSON is identical (NaN-safe, unlike `==`).
pub fn assert_same_snapshot(
    a: &rollgate_engine::snapshot::Snapshot,
    b: &rollgate_engine::snapshot::Snapshot,
) {
    let (x, y) = (
        rollgate_engine::snapshot::to_json(a),
        rollgate_engine::snapshot::to_json(b),
    );
    assert!(x == y, "snapshot changed on a round trip:\n{x}\n---\n{y}");
}
