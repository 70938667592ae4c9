//! Writing reports: `REPORT_DIR/POLICY/ENV/STAGE/STAMP.md` with `STAMP.json` beside it,
//! atomically (a temporary file in the same directory, fsync, then a hard link that fails
//! if the name exists, so nothing is ever overwritten, even by a concurrent run). If the
//! files exist with identical bytes, nothing is written and the run succeeds (a retried CI
//! job is harmless); with other bytes, the new report takes a suffix from its digest.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use rollgate_engine::decision::Decision;

/// The files of one report, rendered for a given report path.
pub struct Rendered {
    pub markdown: String,
    pub json: String,
    /// Extra files beside the report (`STAMP.snapshot.json` for `run`), by suffix.
    pub extra: Vec<(String, Vec<u8>)>,
}

/// What happened on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Written(PathBuf),
    /// The same report was already there: nothing was written.
    Unchanged(PathBuf),
}

/// `YYYYMMDDTHHMMSSZ` of a decision's `evaluated_at`.
pub fn stamp(evaluated_at: &str) -> String {
    let digits: String = evaluated_at
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{digits}Z")
}

/// Writes the report of `decision`, choosing its final name. `render` is called with the
/// candidate markdown path (it goes into the decision's `report` field) and returns the
/// bytes to write.
pub fn write_report(
    report_dir: &Path,
    decision: &Decision,
    mut render: impl FnMut(&str) -> Rendered,
) -> Result<Outcome, String> {
    let dir = report_dir
        .join(&decision.policy)
        .join(&decision.environment)
        .join(&decision.stage);
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let base = stamp(&decision.evaluated_at);
    let mut suffix = String::new();
    for attempt in 0..3 {
        let name = format!("{base}{suffix}");
        let md_path = dir.join(format!("{name}.md"));
        let shown = md_path.to_string_lossy().into_owned();
        let r = render(&shown);
        let mut files: Vec<(PathBuf, &[u8])> = vec![
            (dir.join(format!("{name}.json")), r.json.as_bytes()),
            (md_path.clone(), r.markdown.as_bytes()),
        ];
        for (ext, bytes) in &r.extra {
            files.push((dir.join(format!("{name}{ext}")), bytes));
        }
        let existing: Vec<bool> = files.iter().map(|(p, _)| p.exists()).collect();
        if existing.iter().all(|e| *e) && files.iter().all(|(p, b)| same_bytes(p, b)) {
            return Ok(Outcome::Unchanged(md_path));
        }
        if existing.iter().all(|e| !*e) {
            for (p, b) in &files {
                create_new(p, b)?;
            }
            sync_dir(&dir);
            return Ok(Outcome::Written(md_path));
        }
        // Taken by a different report: name this one by its own digest.
        let digest = crate::files::sha256_hex(r.json.as_bytes());
        suffix = if attempt == 0 {
            format!("-{}", &digest[..12])
        } else {
            format!("-{}-{attempt}", &digest[..12])
        };
    }
    Err(format!(
        "cannot find a free report name under `{}`",
        dir.display()
    ))
}

fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    fs::read(path).is_ok_and(|b| b == bytes)
}

/// Writes a new file atomically; fails if the name exists.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    result.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("`{}` already exists; not overwriting it", path.display())
        } else {
            format!("cannot write `{}`: {e}", path.display())
        }
    })
}

/// Writes (or replaces) a file atomically: for `-o FORMAT=PATH` outputs, which the user
/// names and may rewrite.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_compact_utc() {
        assert_eq!(stamp("2026-11-23T15:00:00Z"), "20261123T150000Z");
        assert_eq!(stamp("2026-11-23T15:00:00.5Z"), "20261123T150000Z");
    }
}
