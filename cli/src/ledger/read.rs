//! Reading a ledger as a stream: one line at a time, each bounded, the hash chain checked as
//! it goes, so memory does not grow with the ledger and a device or a runaway line cannot
//! exhaust it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{Entry, GENESIS, LedgerError};

/// Longest line accepted (bytes). An entry is a few hundred bytes; a decision of a policy with
/// hundreds of gates a few tens of kilobytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Where the ledger ends: its entry count, last hash and the length of its whole lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub entries: u64,
    pub hash: String,
    /// Bytes of complete, valid lines: where the next entry goes (and where a failed append
    /// or a torn tail is cut back to).
    pub len: u64,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            entries: 0,
            hash: GENESIS.to_owned(),
            len: 0,
        }
    }
}

/// What kind of thing a path is, in words, when it is not a regular file.
pub fn not_a_file(meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_fifo() {
        "a pipe"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Some(what.to_owned())
}

/// Streams the ledger at `path` through `each` (checking the chain when `verify`); a missing
/// file is an empty ledger. Refuses anything but a regular file.
pub fn scan(path: &Path, verify: bool, mut each: impl FnMut(&Entry)) -> Result<Head, LedgerError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Head::default()),
        Err(e) => return Err(LedgerError::Io(format!("cannot read: {e}"))),
    };
    if let Some(what) = not_a_file(&meta) {
        return Err(LedgerError::NotAFile(what));
    }
    let file = File::open(path).map_err(|e| LedgerError::Io(format!("cannot read: {e}")))?;
    let mut head = Head::default();
    scan_reader(file, verify, &mut head, |e, _| each(e))?;
    Ok(head)
}

/// Streams entries from a reader positioned at `head.len` (0, or the end of the entry
/// `head` describes, to continue a chain); `each` gets every entry and the offset of its
/// line. `head` is left at the end of the last valid line, also when an error stops the scan
/// (so a torn tail can be cut back to it).
pub fn scan_reader(
    r: impl Read,
    verify: bool,
    head: &mut Head,
    mut each: impl FnMut(&Entry, u64),
) -> Result<(), LedgerError> {
    let mut reader = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| LedgerError::Io(format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        let line = head.entries as usize + 1;
        let e = parse_line(&buf, line)?;
        if verify {
            check_link(&e, line, &head.hash).map_err(|why| LedgerError::Chain { line, why })?;
        }
        each(&e, head.len);
        head.entries += 1;
        head.len += n as u64;
        head.hash = e.hash;
    }
}

/// One line (with its newline, if it has one) as an entry.
pub(super) fn parse_line(buf: &[u8], line: usize) -> Result<Entry, LedgerError> {
    let complete = buf.last() == Some(&b'\n');
    if !complete && buf.len() > MAX_LINE_BYTES {
        return Err(LedgerError::Malformed {
            line,
            why: format!("the line is longer than {MAX_LINE_BYTES} bytes"),
        });
    }
    let Ok(text) = std::str::from_utf8(buf) else {
        return Err(if complete {
            LedgerError::Malformed {
                line,
                why: "the line is not UTF-8 text".into(),
            }
        } else {
            LedgerError::Torn { line }
        });
    };
    if text.trim().is_empty() {
        // Every line of a ledger is an entry: an empty one was inserted by hand.
        return Err(LedgerError::Malformed {
            line,
            why: "the line is empty".into(),
        });
    }
    match serde_json::from_str::<Entry>(text.trim_end()) {
        _ if !complete => Err(LedgerError::Torn { line }),
        Ok(e) => Ok(e),
        Err(e) => {
            // serde's position is within the line: give the column only.
            let msg = e.to_string();
            let why = match msg.rfind(" at line ") {
                Some(at) => format!("{} (column {})", &msg[..at], e.column()),
                None => msg,
            };
            Err(LedgerError::Malformed { line, why })
        }
    }
}

/// Whether entry `n` follows the entry whose hash is `prev`; the reason when it does not.
fn check_link(e: &Entry, n: usize, prev: &str) -> Result<(), String> {
    if e.seq != n as u64 {
        return Err(format!(
            "entry {n} has sequence number {}: an entry before it was removed, or entries were reordered",
            e.seq
        ));
    }
    if e.prev != prev {
        return Err(format!(
            "entry {n} does not follow entry {}: its `prev` is not that entry's hash (an entry was removed, reordered or altered)",
            n - 1
        ));
    }
    if e.hash != e.digest() {
        return Err(format!(
            "entry {n} was altered: its content does not match its hash"
        ));
    }
    Ok(())
}

/// The line that starts at `offset` (with its newline), read in place: at most
/// `MAX_LINE_BYTES` and one byte more.
pub fn line_at(file: &File, offset: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 4096];
    loop {
        let n = file.read_at(&mut chunk, offset + out.len() as u64)?;
        if n == 0 {
            return Ok(out);
        }
        if let Some(i) = chunk[..n].iter().position(|&b| b == b'\n') {
            out.extend_from_slice(&chunk[..=i]);
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
        if out.len() > MAX_LINE_BYTES {
            return Ok(out);
        }
    }
}

/// The offset of the line that ends (with its newline) at `end`, found by reading backwards:
/// the last entry is found without reading the ledger from its start. `None` when no line
/// start is found within `MAX_LINE_BYTES`.
pub fn line_start_before(file: &File, end: u64) -> std::io::Result<Option<u64>> {
    use std::os::unix::fs::FileExt;
    // The byte at end - 1 is the line's own newline.
    let mut pos = end.saturating_sub(1);
    let mut chunk = vec![0u8; 4096];
    while pos > 0 {
        if end - pos > MAX_LINE_BYTES as u64 + 1 {
            return Ok(None);
        }
        let from = pos.saturating_sub(chunk.len() as u64);
        let len = (pos - from) as usize;
        file.read_exact_at(&mut chunk[..len], from)?;
        if let Some(i) = chunk[..len].iter().rposition(|&b| b == b'\n') {
            return Ok(Some(from + i as u64 + 1));
        }
        pos = from;
    }
    Ok(Some(0))
}

/// Parses a whole ledger text (tests).
#[cfg(test)]
pub fn parse(text: &str) -> Result<Vec<Entry>, LedgerError> {
    let mut out = Vec::new();
    scan_reader(text.as_bytes(), false, &mut Head::default(), |e, _| {
        out.push(e.clone())
    })?;
    Ok(out)
}

/// The first break in a chain of entries, with its 1-based line (tests).
#[cfg(test)]
pub fn verify(entries: &[Entry]) -> Option<(usize, String)> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        if let Err(why) = check_link(e, i + 1, &prev) {
            return Some((i + 1, why));
        }
        prev = e.hash.clone();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{Kind, entry};
    use super::*;
    use serde_json::Value;

    fn chain(n: usize) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for i in 0..n {
            let mut e = entry(
                Kind::Note,
                format!("2026-11-22T12:00:0{i}Z"),
                "p",
                "e",
                "s",
                "me",
                Value::from(i),
            );
            e.seq = i as u64 + 1;
            e.prev = out.last().map_or(GENESIS.to_owned(), |l| l.hash.clone());
            e.hash = e.digest();
            out.push(e);
        }
        out
    }

    fn text(c: &[Entry]) -> String {
        c.iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect()
    }

    #[test]
    fn a_valid_chain_verifies_and_edits_are_caught() {
        let c = chain(5);
        assert_eq!(verify(&c), None);
        let mut altered = c.clone();
        altered[2].actor = "mallory".into();
        assert_eq!(verify(&altered).unwrap().0, 3);
        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).unwrap().0, 2);
        let mut reordered = c.clone();
        reordered.swap(1, 2);
        assert_eq!(verify(&reordered).unwrap().0, 2);
        let mut rehashed = c.clone();
        rehashed[4].payload = Value::from("x");
        rehashed[4].hash = rehashed[4].digest();
        assert_eq!(
            verify(&rehashed),
            None,
            "the last entry may be re-hashed: only a later entry or an anchored copy reveals it"
        );
        // The streaming scan finds the same line.
        let mut head = Head::default();
        let err = scan_reader(text(&altered).as_bytes(), true, &mut head, |_, _| {}).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert_eq!(head.entries, 2);
    }

    #[test]
    fn torn_last_lines_are_refused_and_the_head_stays_before_them() {
        let c = chain(2);
        let mut t = text(&c);
        assert_eq!(parse(&t).unwrap().len(), 2);
        let whole = t.len() as u64;
        t.push_str("{\"seq\": 3, \"ti");
        assert_eq!(parse(&t), Err(LedgerError::Torn { line: 3 }));
        let mut head = Head::default();
        let err = scan_reader(t.as_bytes(), true, &mut head, |_, _| {}).unwrap_err();
        assert_eq!(err, LedgerError::Torn { line: 3 });
        assert_eq!(
            (head.entries, head.len, head.hash.as_str()),
            (2, whole, c[1].hash.as_str())
        );
        let whole_but_no_newline: String = serde_json::to_string(&c[0]).unwrap();
        assert_eq!(
            parse(&whole_but_no_newline),
            Err(LedgerError::Torn { line: 1 })
        );
    }

    #[test]
    fn a_line_longer_than_the_bound_is_refused_without_reading_it_whole() {
        let long = "x".repeat(MAX_LINE_BYTES + 10) + "\n";
        let err = parse(&long).unwrap_err();
        assert!(
            matches!(&err, LedgerError::Malformed { line: 1, why } if why.contains("longer than")),
            "{err:?}"
        );
    }
}
