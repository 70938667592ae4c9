//! Writing reports: `REPORT_DIR/POLICY/ENV/STAGE/STAMP.md` with `STAMP.json` (and, for
//! `run`, `STAMP.snapshot.json`) beside it. The set is written all or nothing: every file goes
//! to a temporary file in the same directory and is synced, then each is hard-linked to its
//! name (a link fails if the name exists, so nothing is ever overwritten), the markdown last;
//! any failure removes what this write created. The stage directory is locked meanwhile, so
//! concurrent evaluations choose names one at a time. A report whose decision has the same
//! evaluation id is this evaluation's, written by an earlier attempt: nothing is written
//! again. A name taken by another evaluation makes this one take a suffix from its id.
//! Directories below the report dir that are symbolic links are refused: reports are never
//! written outside it.

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
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Written now: the markdown path and every file created (to undo them if need be).
    Written(PathBuf, Vec<PathBuf>),
    /// This evaluation's report was already there (an earlier attempt): its markdown path
    /// and stored decision. Nothing was written.
    Existing(PathBuf, Box<Decision>),
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

/// Creates `base/parts...` one level at a time, refusing any level that is a symbolic link
/// (or not a directory).
fn ensure_dir(base: &Path, parts: &[&str]) -> Result<PathBuf, String> {
    fs::create_dir_all(base).map_err(|e| format!("could not create `{}`: {e}", base.display()))?;
    let mut dir = base.to_owned();
    for part in parts {
        dir.push(part);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("could not create `{}`: {e}", dir.display())),
        }
        let meta = fs::symlink_metadata(&dir)
            .map_err(|e| format!("could not create `{}`: {e}", dir.display()))?;
        if meta.file_type().is_symlink() {
            return Err(format!(
                "`{}` is a symbolic link; reports are only written inside the report directory",
                dir.display()
            ));
        }
        if !meta.is_dir() {
            return Err(format!("`{}` is not a directory", dir.display()));
        }
    }
    Ok(dir)
}

/// The stored decision of a report name, when it is complete and has evaluation id `id`.
fn same_evaluation(json: &Path, others: &[PathBuf], id: &str) -> Option<Decision> {
    if !others.iter().all(|p| p.exists()) {
        return None;
    }
    let text = crate::files::read_text(json).ok()?;
    let d: Decision = serde_json::from_str(&text).ok()?;
    (d.inputs.evaluation_id.as_deref() == Some(id)).then_some(d)
}

/// Writes the report of `decision` (which has an evaluation id), choosing its final name.
/// `render` is called with the chosen markdown path (it goes into the decision's `report`
/// field) and returns the bytes; `extras` are the suffixes of the extra files it returns.
/// A render that fails (a hostile template) fails the write before any file is created.
pub fn write_report(
    report_dir: &Path,
    decision: &Decision,
    extras: &[String],
    mut render: impl FnMut(&str) -> Result<Rendered, String>,
) -> Result<Outcome, String> {
    // A parameterized policy's reports go to POLICY/PARAMS/ENV/STAGE (PARAMS the values as
    // `name=value,...` in name order, encoded so no value can leave its directory).
    let mut params = rollgate_engine::policy::params::params_text(&decision.params);
    // A directory name has at most 255 bytes: long values are named by their digest.
    if params.len() > 200 {
        params = format!(
            "params-{}",
            &crate::files::sha256_hex(params.as_bytes())[..16]
        );
    }
    let mut segments: Vec<&str> = vec![&decision.policy];
    if !params.is_empty() {
        segments.push(&params);
    }
    segments.extend([decision.environment.as_str(), decision.stage.as_str()]);
    let dir = ensure_dir(report_dir, &segments)?;
    let lock = File::open(&dir).map_err(|e| format!("could not open `{}`: {e}", dir.display()))?;
    lock.lock()
        .map_err(|e| format!("could not lock `{}`: {e}", dir.display()))?;
    let base = stamp(&decision.evaluated_at);
    let id = decision.inputs.evaluation_id.clone().unwrap_or_default();
    let key = if id.is_empty() {
        let r = render(&dir.join(format!("{base}.md")).to_string_lossy())?;
        crate::files::sha256_hex(r.json.as_bytes())
    } else {
        id.clone()
    };
    let mut names = vec![base.clone(), format!("{base}-{}", &key[..12])];
    names.extend((1..=3).map(|n| format!("{base}-{}-{n}", &key[..12])));
    for name in names {
        let md = dir.join(format!("{name}.md"));
        let json = dir.join(format!("{name}.json"));
        let mut others = vec![md.clone()];
        others.extend(extras.iter().map(|x| dir.join(format!("{name}{x}"))));
        let taken = json.exists() || others.iter().any(|p| p.exists());
        if !taken {
            let r = render(&md.to_string_lossy())?;
            let mut files: Vec<(PathBuf, &[u8])> = r
                .extra
                .iter()
                .map(|(x, b)| (dir.join(format!("{name}{x}")), b.as_slice()))
                .collect();
            files.push((json, r.json.as_bytes()));
            files.push((md.clone(), r.markdown.as_bytes()));
            let created = create_set(&files)?;
            sync_dir(&dir);
            return Ok(Outcome::Written(md, created));
        }
        if !id.is_empty()
            && let Some(stored) = same_evaluation(&json, &others, &id)
        {
            return Ok(Outcome::Existing(md, Box::new(stored)));
        }
    }
    Err(format!(
        "could not find a free report name under `{}`",
        dir.display()
    ))
}

/// Where the reports under `report_dir` keep the policy bytes they were evaluated from:
/// `policies/<sha256>.yaml`, named by the digest the decision records (`inputs.policy_sha256`),
/// so `replay` reads the very bytes and an edit of the policy file (a comment) cannot break it.
pub fn policy_copy(report_dir: &Path, sha256: &str) -> PathBuf {
    report_dir.join("policies").join(format!("{sha256}.yaml"))
}

/// Keeps the policy bytes of a report about to be written (see `policy_copy`). Returns the
/// file when this call created it (to remove if the report set then fails); a copy already
/// there with the same bytes is shared. A copy whose bytes do not match its name was tampered
/// with: refused, and nothing is written.
pub fn store_policy(
    report_dir: &Path,
    sha256: &str,
    text: &str,
) -> Result<Option<PathBuf>, String> {
    let path = policy_copy(report_dir, sha256);
    let check = |path: &Path| -> Result<Option<PathBuf>, String> {
        let found = crate::files::sha256_hex(&fs::read(path).map_err(|e| {
            format!(
                "could not read `{}`: {}",
                path.display(),
                crate::files::io_reason(&e)
            )
        })?);
        if found == sha256 {
            Ok(None)
        } else {
            Err(format!(
                "the stored policy `{}` does not match its digest (sha256 {found}); it was changed: remove it to store the policy again",
                path.display()
            ))
        }
    };
    if fs::symlink_metadata(&path).is_ok() {
        return check(&path);
    }
    ensure_dir(report_dir, &["policies"])?;
    match create_new(&path, text.as_bytes()) {
        Ok(()) => Ok(Some(path)),
        // Stored meanwhile by a concurrent evaluation of the same policy.
        Err(_) if path.exists() => check(&path),
        Err(e) => Err(e),
    }
}

/// Creates every file or none: temporary files first (synced), then links to the final
/// names in order. On failure, removes what was created and says which file failed.
fn create_set(files: &[(PathBuf, &[u8])]) -> Result<Vec<PathBuf>, String> {
    let mut temps = Vec::new();
    let mut linked = Vec::new();
    let result = (|| {
        // The smallest first: a full disk then fails on the large file with the small
        // ones already written, the case an all-or-nothing write exists for.
        let mut order: Vec<&(PathBuf, &[u8])> = files.iter().collect();
        order.sort_by_key(|(_, b)| b.len());
        for (path, bytes) in order {
            let tmp = temp_name(path);
            temps.push(tmp.clone());
            write_synced(&tmp, bytes).map_err(|e| (path.clone(), e))?;
        }
        // Linked in the given order (the markdown last: a report is there once it is).
        for (path, _) in files {
            fs::hard_link(temp_name(path), path).map_err(|e| (path.clone(), e))?;
            linked.push(path.clone());
        }
        Ok(())
    })();
    for t in &temps {
        let _ = fs::remove_file(t);
    }
    match result {
        Ok(()) => Ok(linked),
        Err((path, e)) => {
            for p in &linked {
                let _ = fs::remove_file(p);
            }
            Err(format!(
                "could not write `{}`: {}; no file of the report was kept",
                path.display(),
                crate::files::io_reason(&e)
            ))
        }
    }
}

/// Removes the files of a report written by this run (a GO that could not be recorded).
pub fn remove_set(files: &[PathBuf]) {
    for p in files {
        let _ = fs::remove_file(p);
    }
}

fn temp_name(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
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

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rollgate-write-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The second file cannot be linked (its name is taken by a directory): the first,
    /// already linked, is removed again, and no temporary file stays.
    #[test]
    fn a_set_whose_second_file_fails_to_link_leaves_nothing() {
        let dir = scratch("link");
        fs::create_dir(dir.join("r.md")).unwrap();
        let files: Vec<(PathBuf, &[u8])> =
            vec![(dir.join("r.json"), b"{}"), (dir.join("r.md"), b"# GO")];
        let err = create_set(&files).unwrap_err();
        assert!(
            err.contains("could not write") && err.contains("r.md"),
            "{err}"
        );
        assert_eq!(listing(&dir), ["r.md"], "only the directory that was there");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The second temporary file cannot be created (a full disk, as far as the writer can
    /// tell): the first is removed, nothing is linked.
    #[test]
    fn a_set_whose_second_file_fails_to_write_leaves_nothing() {
        let dir = scratch("temp");
        let files: Vec<(PathBuf, &[u8])> = vec![
            (dir.join("r.json"), b"{}"),
            (dir.join("r.md"), b"# GO, longer"),
        ];
        fs::create_dir(temp_name(&files[1].0)).unwrap();
        let err = create_set(&files).unwrap_err();
        assert!(
            err.contains("could not write") && err.contains("r.md"),
            "{err}"
        );
        fs::remove_dir(temp_name(&files[1].0)).unwrap();
        assert_eq!(listing(&dir), Vec::<String>::new());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stamps_are_compact_utc() {
        assert_eq!(stamp("2026-11-23T15:00:00Z"), "20261123T150000Z");
        assert_eq!(stamp("2026-11-23T15:00:00.5Z"), "20261123T150000Z");
    }
}
