//! Scratch directories and what is in them: every test works in its own directory under the
//! target dir, emptied first (tests run in parallel, and a rerun must not see old files).

use std::path::{Path, PathBuf};

/// A fresh, empty directory `TARGET_TMPDIR/NAME` (kept after the test, for a look when it
/// fails).
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// A fresh directory for one Prometheus test's reports and snapshots (named by test).
pub fn fresh_dir(test: &str) -> PathBuf {
    scratch_dir(&format!("prom-{test}"))
}

/// Every file below `dir` (recursively), as paths relative to `dir`, sorted; a directory that
/// cannot be read counts as empty.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    out.sort();
    out
}

/// [`files_under`] as strings, for comparing with lists of names.
pub fn file_names(dir: &Path) -> Vec<String> {
    files_under(dir)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// [`file_names`] without the policy copies (`policies/<sha256>.yaml`), which every report of
/// one policy version shares: the files of the reports themselves.
pub fn report_files(dir: &Path) -> Vec<String> {
    file_names(dir)
        .into_iter()
        .filter(|n| !Path::new(n).starts_with("policies"))
        .collect()
}
