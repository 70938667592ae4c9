//! Each kind of tampering (change, delete, reorder, truncate) is caught at its line; what a
//! hash chain alone cannot see is asserted as such.

use super::*;

/// A ledger of five notes in `DIR/base.jsonl`, verified; returns its path and text.
fn five_notes(dir: &Path) -> (PathBuf, String) {
    let base = dir.join("base.jsonl");
    for i in 1..=5 {
        add(
            "note",
            &base,
            "canary",
            &format!("2026-11-06T10:0{i}:00Z"),
            "ci",
            &["--text", &format!("note {i}")],
        );
    }
    let text = std::fs::read_to_string(&base).unwrap();
    assert_eq!(text.lines().count(), 5);
    let out = verify(&base);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("5 entries, chain valid"),
        "{}",
        out.stdout
    );
    (base, text)
}

/// Writes `ls` to `file`, one line each.
fn write_lines(file: &Path, ls: &[String]) {
    let joined: String = ls.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(file, joined).unwrap();
}

/// The lines of `text`, to edit.
fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(|l| l.to_string()).collect()
}

/// Line `k` with its note's text changed and its hash recomputed: consistent by itself.
fn forge(ls: &[String], k: usize, actor: Option<&str>) -> Value {
    let mut e: Value = serde_json::from_str(&ls[k]).unwrap();
    e["payload"]["text"] = Value::from("forged");
    if let Some(a) = actor {
        e["actor"] = Value::from(a);
    }
    rehash(&mut e);
    e
}

/// One edit of the five notes: what it does, the line verify must name, and words of the
/// reason.
type Tampering = (&'static str, fn(&mut Vec<String>), usize, &'static str);

const TAMPERINGS: &[Tampering] = &[
    (
        "a note's text changed",
        |ls| ls[2] = ls[2].replace("note 3", "note X"),
        3,
        "altered",
    ),
    (
        "the sequence number changed",
        |ls| ls[2] = ls[2].replace("\"seq\":3", "\"seq\":9"),
        3,
        "sequence number",
    ),
    (
        "the first entry's actor changed",
        |ls| ls[0] = ls[0].replace("\"actor\":\"ci\"", "\"actor\":\"mallory\""),
        1,
        "altered",
    ),
    (
        "the second line deleted",
        |ls| drop(ls.remove(1)),
        2,
        "removed",
    ),
    (
        "the first line deleted",
        |ls| drop(ls.remove(0)),
        1,
        "removed",
    ),
    ("lines 2 and 4 swapped", |ls| ls.swap(1, 3), 2, "reordered"),
    (
        "the last two lines swapped",
        |ls| ls.swap(3, 4),
        4,
        "reordered",
    ),
    (
        "line 3 cut in the middle (its newline kept)",
        |ls| {
            let half = ls[2].len() / 2;
            ls[2].truncate(half)
        },
        3,
        "line 3",
    ),
    // Rewritten with a consistent hash, in the middle: the next entry no longer follows it.
    (
        "line 3 rewritten with a consistent hash",
        |ls| ls[2] = serde_json::to_string(&forge(ls, 2, None)).unwrap(),
        4,
        "does not follow entry 3",
    ),
];

/// Changing, deleting, reordering or truncating a line is caught at that line.
#[test]
fn each_kind_of_tampering_is_caught_at_its_line() {
    let (dir, file) = scratch("tamper");
    let (_, text) = five_notes(&dir);
    let mut wrong_format = Vec::new();
    for (what, edit, line, words) in TAMPERINGS {
        let mut ls = lines_of(&text);
        edit(&mut ls);
        write_lines(&file, &ls);
        eprintln!("tampering: {what}");
        assert_rejected_at(&file, *line, words, &mut wrong_format);
    }
    // Truncated: the last line cut in the middle, no newline (a torn write).
    let cut = text.len() - text.lines().nth(4).unwrap().len() / 2;
    std::fs::write(&file, &text[..cut]).unwrap();
    assert_rejected_at(&file, 5, "torn", &mut wrong_format);
    assert_all_reported_as_file_line(&wrong_format);
}

/// The documented limitation, asserted: removing the last entry, or rewriting it with a
/// consistent hash, is not detectable by a hash chain alone, except by comparing the last
/// hash with a copy kept elsewhere.
#[test]
fn a_removed_or_rehashed_last_entry_is_not_detectable_alone() {
    let (dir, file) = scratch("tamper-last");
    let (_, text) = five_notes(&dir);
    let mut ls = lines_of(&text);
    ls.pop();
    write_lines(&file, &ls);
    let out = verify(&file);
    assert_eq!(
        out.code, 0,
        "a hash chain alone cannot tell a removed last entry from one never written: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("4 entries, chain valid"),
        "{}",
        out.stdout
    );
    let mut ls = lines_of(&text);
    let e = forge(&ls, 4, Some("mallory"));
    ls[4] = serde_json::to_string(&e).unwrap();
    write_lines(&file, &ls);
    let out = verify(&file);
    assert_eq!(
        out.code, 0,
        "a consistently re-hashed last entry is indistinguishable from a genuine one: {}",
        out.stdout
    );
    let genuine: Value = serde_json::from_str(text.lines().nth(4).unwrap()).unwrap();
    assert_ne!(genuine["hash"], e["hash"]);
}

/// Once an entry follows a consistently re-hashed last entry, it is caught (the next entry
/// names the genuine hash).
#[test]
fn a_rehashed_last_entry_is_caught_once_an_entry_follows() {
    let (dir, file) = scratch("tamper-next");
    let (base, text) = five_notes(&dir);
    let longer = dir.join("longer.jsonl");
    std::fs::copy(&base, &longer).unwrap();
    add(
        "note",
        &longer,
        "canary",
        "2026-11-06T10:06:00Z",
        "ci",
        &["--text", "note 6"],
    );
    let longer = std::fs::read_to_string(&longer).unwrap();
    let mut next = lines_of(&text);
    next[4] = serde_json::to_string(&forge(&next, 4, Some("mallory"))).unwrap();
    next.push(longer.lines().nth(5).unwrap().to_owned());
    write_lines(&file, &next);
    let mut wrong_format = Vec::new();
    assert_rejected_at(&file, 6, "does not follow entry 5", &mut wrong_format);
    assert_all_reported_as_file_line(&wrong_format);
}
