//! The sidecar index (`LEDGER.idx/` beside `LEDGER`): what lets an append and an evaluation
//! cost what they read instead of what the ledger holds.
//!
//! It holds a `head` file (the byte length, entry count and last hash of the ledger prefix it
//! covers) and, per (policy, environment, stage), an append-only file of fixed 32-byte
//! records: sequence number, byte offset, time and kind of each of the stage's entries. It is
//! a cache, never an authority: it is trusted only after the entry at its head is read back
//! from the ledger (reading backwards from the head's offset) and matches the head's count
//! and hash; entries past its head are read, chain-checked and indexed (a crash between the
//! ledger's fsync and the index update leaves exactly such a tail); anything that does not
//! match (a shorter ledger, another last entry, an index entry whose line is not the entry
//! it names) throws the index away and rebuilds it with a full, chain-checked scan. Every
//! entry read through it is checked again (its sequence number and its hash).

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::read::{Head, line_at, line_start_before, parse_line, scan_reader};
use super::{Entry, Kind, LedgerError};

const MAGIC: &str = "rollgate-ledger-index 1";
const RECORD: usize = 32;
/// Records buffered in memory while (re)building, before they are written out.
const FLUSH_BYTES: usize = 4 << 20;

/// One indexed entry of a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub offset: u64,
    /// Seconds since the epoch; NaN when the entry's time does not parse.
    pub time: f64,
    pub kind: Kind,
}

impl Record {
    pub fn of(e: &Entry, offset: u64) -> Record {
        Record {
            seq: e.seq,
            offset,
            time: rollgate_engine::snapshot::parse_time(&e.time).unwrap_or(f64::NAN),
            kind: e.kind,
        }
    }

    fn bytes(&self) -> [u8; RECORD] {
        let mut b = [0u8; RECORD];
        b[..8].copy_from_slice(&self.seq.to_le_bytes());
        b[8..16].copy_from_slice(&self.offset.to_le_bytes());
        b[16..24].copy_from_slice(&self.time.to_le_bytes());
        b[24] = match self.kind {
            Kind::Enter => 0,
            Kind::Decision => 1,
            Kind::Approve => 2,
            Kind::Waive => 3,
            Kind::Note => 4,
            Kind::Override => 5,
        };
        b
    }

    fn parse(b: &[u8]) -> Option<Record> {
        let u = |r: std::ops::Range<usize>| u64::from_le_bytes(b[r].try_into().unwrap_or([0; 8]));
        let kind = match b[24] {
            0 => Kind::Enter,
            1 => Kind::Decision,
            2 => Kind::Approve,
            3 => Kind::Waive,
            4 => Kind::Note,
            5 => Kind::Override,
            _ => return None,
        };
        Some(Record {
            seq: u(0..8),
            offset: u(8..16),
            time: f64::from_bits(u(16..24)),
            kind,
        })
    }
}

/// The file name part of a stage: a digest, so any policy, environment and stage names are
/// safe file names. Two stages sharing one (2^-64) only cost reading the other's entries,
/// which are told apart by their fields.
pub fn stage_key(policy: &str, env: &str, stage: &str) -> String {
    let d = crate::files::sha256_hex(format!("{policy}\0{env}\0{stage}").as_bytes());
    format!("s-{}", &d[..16])
}

/// What the index covers: the ledger's head, and per stage the count, last sequence number
/// and sum of the sequence numbers of its entries, so a stage file that lost, gained or
/// changed records is noticed (and the index rebuilt) instead of hiding entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Covered {
    pub head: Head,
    pub stages: BTreeMap<String, Tally>,
}

/// Count, last sequence number and (wrapping) sum of the sequence numbers of a stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub last: u64,
    pub sum: u64,
}

impl Covered {
    /// Counts one more entry of the stage `key`.
    pub fn take(&mut self, key: &str, seq: u64) {
        let t = self.stages.entry(key.to_owned()).or_default();
        t.count += 1;
        t.last = seq;
        t.sum = t.sum.wrapping_add(seq);
    }
}

/// Why the index could not be used: the ledger itself is broken (reported), or the index
/// cannot be read or written (the caller reads the ledger whole instead).
#[derive(Debug)]
pub enum SyncError {
    Ledger(LedgerError),
    Io,
}

impl From<std::io::Error> for SyncError {
    fn from(_: std::io::Error) -> Self {
        SyncError::Io
    }
}

/// The index directory of one ledger. All its operations run under the ledger's lock.
#[derive(Debug, Clone)]
pub struct Index {
    dir: PathBuf,
}

impl Index {
    pub fn beside(ledger: &Path) -> Index {
        let mut name = ledger.file_name().unwrap_or_default().to_os_string();
        name.push(".idx");
        Index {
            dir: ledger.with_file_name(name),
        }
    }

    /// The ledger's head, with the index brought up to date: trusted after a check against
    /// the ledger, extended over new entries, or rebuilt.
    pub fn sync(&self, file: &File) -> Result<Covered, SyncError> {
        let size = file.metadata()?.len();
        if let Some(c) = self.read_head()
            && holds(file, &c.head, size)?
        {
            if c.head.len == size {
                return Ok(c);
            }
            return self.extend(file, c);
        }
        self.rebuild(file)
    }

    /// Throws the index away and indexes the whole ledger, checking its chain.
    pub fn rebuild(&self, file: &File) -> Result<Covered, SyncError> {
        let _ = std::fs::remove_file(self.dir.join("head"));
        if self.dir.is_dir() {
            for f in std::fs::read_dir(&self.dir)? {
                std::fs::remove_file(f?.path())?;
            }
        }
        self.extend(file, Covered::default())
    }

    /// Indexes the entries after `from` (checking their chain) and writes the new head.
    fn extend(&self, file: &File, from: Covered) -> Result<Covered, SyncError> {
        std::fs::create_dir_all(&self.dir)?;
        let mut reader = file;
        reader.seek(SeekFrom::Start(from.head.len))?;
        let Covered {
            mut head,
            mut stages,
        } = from;
        let mut covered = Covered {
            head: Head::default(),
            stages: std::mem::take(&mut stages),
        };
        let mut pending: HashMap<String, Vec<Record>> = HashMap::new();
        let mut buffered = 0usize;
        let mut failed: Option<std::io::Error> = None;
        let scanned = scan_reader(reader, true, &mut head, |e, off| {
            let key = stage_key(&e.policy, &e.env, &e.stage);
            covered.take(&key, e.seq);
            pending.entry(key).or_default().push(Record::of(e, off));
            buffered += RECORD;
            if buffered > FLUSH_BYTES && failed.is_none() {
                failed = self.flush(&mut pending).err();
                buffered = 0;
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        self.flush(&mut pending)?;
        // The entries before a broken line are indexed; the break is reported.
        covered.head = head;
        self.write_head(&covered)?;
        scanned.map_err(SyncError::Ledger)?;
        Ok(covered)
    }

    fn flush(&self, pending: &mut HashMap<String, Vec<Record>>) -> std::io::Result<()> {
        for (key, recs) in pending.drain() {
            self.add(&key, &recs)?;
        }
        Ok(())
    }

    /// Appends records to a stage's file, first dropping a torn record and any record not
    /// before the first new one (left by a crash between an index write and its head).
    pub fn add(&self, key: &str, recs: &[Record]) -> std::io::Result<()> {
        let Some(first) = recs.first() else {
            return Ok(());
        };
        std::fs::create_dir_all(&self.dir)?;
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.dir.join(key))?;
        let mut len = f.metadata()?.len() / RECORD as u64 * RECORD as u64;
        let mut last = [0u8; RECORD];
        while len > 0 {
            f.seek(SeekFrom::Start(len - RECORD as u64))?;
            f.read_exact(&mut last)?;
            match Record::parse(&last) {
                Some(r) if r.seq < first.seq => break,
                _ => len -= RECORD as u64,
            }
        }
        f.set_len(len)?;
        f.seek(SeekFrom::Start(len))?;
        let bytes: Vec<u8> = recs.iter().flat_map(|r| r.bytes()).collect();
        f.write_all(&bytes)
    }

    /// The stage's records within what is covered, in sequence order; `None` when they are
    /// not what the head counted (the index is then rebuilt).
    pub fn records(&self, key: &str, covered: &Covered) -> std::io::Result<Option<Vec<Record>>> {
        let bytes = match std::fs::read(self.dir.join(key)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut out: Vec<Record> = Vec::new();
        let mut tally = Tally::default();
        for r in bytes.chunks_exact(RECORD).filter_map(Record::parse) {
            if r.seq <= covered.head.entries && out.last().is_none_or(|l| l.seq < r.seq) {
                tally.count += 1;
                tally.last = r.seq;
                tally.sum = tally.sum.wrapping_add(r.seq);
                out.push(r);
            }
        }
        let expected = covered.stages.get(key).copied().unwrap_or_default();
        Ok((tally == expected).then_some(out))
    }

    fn read_head(&self) -> Option<Covered> {
        let text = std::fs::read_to_string(self.dir.join("head")).ok()?;
        let mut lines = text.lines();
        if lines.next()? != MAGIC {
            return None;
        }
        let mut f = lines.next()?.split(' ');
        let (len, entries, hash) = (f.next()?, f.next()?, f.next()?);
        let mut covered = Covered {
            head: Head {
                len: len.parse().ok()?,
                entries: entries.parse().ok()?,
                hash: hash.to_owned(),
            },
            stages: BTreeMap::new(),
        };
        for line in lines {
            let f: Vec<&str> = line.split(' ').collect();
            let [key, count, last, sum] = f[..] else {
                return None;
            };
            let tally = Tally {
                count: count.parse().ok()?,
                last: last.parse().ok()?,
                sum: sum.parse().ok()?,
            };
            covered.stages.insert(key.to_owned(), tally);
        }
        Some(covered)
    }

    /// Replaces the head file (written aside, then renamed: never half-written).
    pub fn write_head(&self, c: &Covered) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join("head.tmp");
        let h = &c.head;
        let mut text = format!("{MAGIC}\n{} {} {}\n", h.len, h.entries, h.hash);
        for (key, t) in &c.stages {
            text.push_str(&format!("{key} {} {} {}\n", t.count, t.last, t.sum));
        }
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, self.dir.join("head"))
    }
}

/// Whether the ledger still holds the entry `h` describes, as its `h.entries`-th entry ending
/// at byte `h.len`: read backwards from there, never from the start.
pub(super) fn holds(file: &File, h: &Head, size: u64) -> std::io::Result<bool> {
    if h.len > size {
        return Ok(false);
    }
    if h.entries == 0 {
        return Ok(h.len == 0);
    }
    let Some(start) = line_start_before(file, h.len)? else {
        return Ok(false);
    };
    Ok(entry_at(file, start)?.is_some_and(|(e, n)| {
        start + n == h.len && e.seq == h.entries && e.hash == h.hash && e.digest() == e.hash
    }))
}

/// The whole entry whose line starts at `offset`, and the line's length.
pub fn entry_at(file: &File, offset: u64) -> std::io::Result<Option<(Entry, u64)>> {
    let line = line_at(file, offset)?;
    Ok(parse_line(&line, 0)
        .ok()
        .filter(|_| line.last() == Some(&b'\n'))
        .map(|e| (e, line.len() as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_torn_or_later_ones_are_dropped_on_add() {
        let dir = std::env::temp_dir().join(format!("rollgate-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ix = Index::beside(&dir.join("l.jsonl"));
        let r = |seq, offset| Record {
            seq,
            offset,
            time: 1.5,
            kind: Kind::Decision,
        };
        ix.add("k", &[r(1, 0), r(3, 100)]).unwrap();
        // A crash left a half record and a record the head never covered.
        let path = dir.join("l.jsonl.idx/k");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&r(5, 300).bytes()).unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        ix.add("k", &[r(5, 320)]).unwrap();
        let mut covered = Covered::default();
        covered.head.entries = 9;
        for seq in [1, 3, 5] {
            covered.take("k", seq);
        }
        assert_eq!(
            ix.records("k", &covered).unwrap(),
            Some(vec![r(1, 0), r(3, 100), r(5, 320)])
        );
        let mut short = Covered::default();
        short.head.entries = 3;
        short.take("k", 1);
        short.take("k", 3);
        assert_eq!(ix.records("k", &short).unwrap().map(|v| v.len()), Some(2));
        // A stage file that lost a record is not what the head counted.
        let mut more = covered.clone();
        more.take("k", 7);
        more.head.entries = 9;
        assert_eq!(ix.records("k", &more).unwrap(), None);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * RECORD as u64);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
