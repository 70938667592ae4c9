//! Files another job produced: JSON (with a pointer) or CSV (a header row; numeric-looking
//! cells become numbers; for a metric, columns `time` and `value` and any others as labels).
//! Paths are relative to the current directory (the CI workspace), and only files below the
//! policy's directory, the working directory or an `--allow-path` directory are read
//! (symlinks resolved, and checked again on the opened file). Errors say where a file is
//! wrong, never what it holds.

use std::collections::BTreeMap;
use std::io::Read;

use rollgate_engine::policy::model::FileFormat;
use rollgate_engine::policy::model::source::File;
use rollgate_engine::snapshot::{Evidence, Series, format_time, parse_numeric, parse_time};
use serde_json::Value;

use super::{Data, Fetched, Job, Options, clock};

/// The largest file read (a data file another job wrote, not an archive).
pub const MAX_FILE: u64 = 256 << 20;

pub(crate) fn fetch(job: &Job, src: &File, opts: &Options) -> Fetched {
    let ev = Evidence {
        source: "file".into(),
        url: Some(format!("file:{}", src.path)),
        fetched_at: Some(format_time(clock())),
        ..Evidence::default()
    };
    let bytes = match read_inside(&src.path, opts) {
        Ok(b) => b,
        Err(why) => return Err((ev, why)),
    };
    let mut ev = ev;
    ev.sha256 = Some(crate::files::sha256_hex(&bytes));
    let format = src
        .format
        .unwrap_or(if src.path.to_ascii_lowercase().ends_with(".csv") {
            FileFormat::Csv
        } else {
            FileFormat::Json
        });
    let data = match format {
        FileFormat::Json => {
            super::http::read(&bytes, src.pointer.as_deref(), job.records, opts.now, false)
        }
        FileFormat::Csv => csv(&String::from_utf8_lossy(&bytes), job.records),
    };
    match data {
        Ok(d) => Ok((d, ev)),
        Err(e) => Err((ev, format!("`{}`: {e}", src.path))),
    }
}

/// Reads a regular file below an allowed directory, at most [`MAX_FILE`] bytes.
fn read_inside(path: &str, opts: &Options) -> Result<Vec<u8>, String> {
    let real = opts.reach.file(path)?;
    let cannot =
        |e: &std::io::Error| format!("cannot read `{path}`: {}", crate::files::io_reason(e));
    let meta = std::fs::metadata(&real).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        // A FIFO or a device would block or never end.
        return Err(format!("cannot read `{path}`: it is not a regular file"));
    }
    let file = std::fs::File::open(&real).map_err(|e| cannot(&e))?;
    // The path may have changed between the check and the open (a symlink swapped in): ask
    // the kernel what was opened, and check that.
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()));
        if let Ok(opened) = opened
            && !opts.reach.file_still_inside(&opened)
        {
            return Err(format!(
                "refused to read `{path}`: it moved outside the allowed directories while being opened"
            ));
        }
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!(
            "cannot read `{path}`: it is larger than {} MiB",
            MAX_FILE >> 20
        ));
    }
    Ok(bytes)
}

/// Parses simple CSV (quoted fields with `""` escapes; no embedded newlines).
fn csv(text: &str, records: bool) -> Result<Data, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split(lines.next().ok_or("the file is empty")?);
    let rows: Vec<Vec<String>> = lines.map(split).collect();
    for (i, r) in rows.iter().enumerate() {
        if r.len() != header.len() {
            return Err(format!(
                "row {} has {} cells; the header has {}",
                i + 2,
                r.len(),
                header.len()
            ));
        }
    }
    if records {
        return Ok(Data::Records(
            rows.iter()
                .map(|r| {
                    header
                        .iter()
                        .zip(r)
                        .map(|(h, c)| {
                            let v = c
                                .parse::<i64>()
                                .map(Value::from)
                                .ok()
                                .or_else(|| {
                                    c.parse::<f64>()
                                        .ok()
                                        .filter(|f| f.is_finite())
                                        .map(Value::from)
                                })
                                .unwrap_or_else(|| Value::from(c.clone()));
                            (h.clone(), v)
                        })
                        .collect()
                })
                .collect(),
        ));
    }
    let ti = header
        .iter()
        .position(|h| h == "time")
        .ok_or("a metric CSV needs a `time` column")?;
    let vi = header
        .iter()
        .position(|h| h == "value")
        .ok_or("a metric CSV needs a `value` column")?;
    let mut by_labels: BTreeMap<BTreeMap<String, String>, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let t = r[ti]
            .parse::<f64>()
            .ok()
            .or_else(|| parse_time(&r[ti]))
            .ok_or(format!("row {}: the `time` cell is not a time", i + 2))?;
        let v = parse_numeric(&r[vi])
            .ok_or(format!("row {}: the `value` cell is not a number", i + 2))?;
        let labels = header
            .iter()
            .zip(r)
            .enumerate()
            .filter(|(j, _)| *j != ti && *j != vi)
            .map(|(_, (h, c))| (h.clone(), c.clone()))
            .collect();
        let e = by_labels.entry(labels).or_default();
        e.0.push(t);
        e.1.push(v);
    }
    Ok(Data::Series(
        by_labels
            .into_iter()
            .map(|(l, (t, v))| Series::new(l, t, v))
            .collect(),
    ))
}

fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur).trim().to_owned()),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur.trim().to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_and_series() {
        let Data::Records(r) = csv("id,seen_count,note\nr1,1,\"a, b\"\nr2,2,x\n", true).unwrap()
        else {
            panic!()
        };
        assert_eq!(r[1]["seen_count"], Value::from(2));
        assert_eq!(r[0]["note"], Value::from("a, b"));
        let Data::Series(s) =
            csv("time,value,surface\n1,0.5,web\n2,0.7,web\n1,9,ios\n", false).unwrap()
        else {
            panic!()
        };
        assert_eq!(s.len(), 2);
        assert!(csv("time,value\n1\n", false).is_err());
        assert!(csv("time,value\n1,abc\n", false).is_err());
    }
}
