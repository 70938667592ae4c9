//! Hundreds of seeded random single edits of a ledger: each is caught at its line, except
//! the removal of trailing entries.

use super::*;

/// What a random edit should make `verify` say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// exit 1, naming this 1-based line.
    Caught(usize),
    /// Trailing entries removed: exit 0 with this many entries (the documented limitation).
    Undetectable(usize),
}

/// At least 200 random single edits of a ledger holding every kind of entry (flip a
/// character, delete a line, swap two lines, truncate a line, cut the file anywhere): every
/// edit is caught, at its line, except the removal of trailing entries, which a hash chain
/// alone cannot see (asserted as such).
#[test]
fn random_edits_are_caught() {
    const EDITS: usize = 300;
    const KINDS: [&str; 5] = ["flip", "delete", "swap", "truncate", "cut"];
    let (dir, file) = scratch("random-edits");
    let base = dir.join("base.jsonl");
    mixed_ledger(&base);
    let out = verify(&base);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(text.is_ascii(), "the edits below work on bytes");
    let ls: Vec<&str> = text.lines().collect();
    let n = ls.len();
    assert!(n >= 12, "{n} entries");
    let kinds_present: std::collections::BTreeSet<String> = entries(&base)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds_present.into_iter().collect::<Vec<_>>(),
        ["approve", "decision", "enter", "note", "waive"]
    );
    let join = |v: &[String]| -> String { v.iter().map(|l| format!("{l}\n")).collect() };
    let owned = || -> Vec<String> { ls.iter().map(|l| l.to_string()).collect() };
    const ALPHABET: &[u8] = b"abcdefxyzAZ0123456789{}[]\":,-.\\ ";

    let mut rng = Rng(0x5eed_1ed6_e200_0001);
    let mut counts = [0usize; 5];
    let mut undetectable = 0;
    let mut wrong_format = Vec::new();
    let mut problems = Vec::new();
    for i in 0..EDITS {
        let kind = rng.below(KINDS.len());
        counts[kind] += 1;
        let (edited, expect, what) = match KINDS[kind] {
            "flip" => {
                let pos = rng.below(text.len());
                let old = text.as_bytes()[pos];
                let new = loop {
                    let c = ALPHABET[rng.below(ALPHABET.len())];
                    if c != old {
                        break c;
                    }
                };
                let mut bytes = text.clone().into_bytes();
                bytes[pos] = new;
                let line = text[..pos].matches('\n').count() + 1;
                (
                    String::from_utf8(bytes).unwrap(),
                    Expect::Caught(line),
                    format!(
                        "byte {pos} (line {line}) {:?} -> {:?}",
                        old as char, new as char
                    ),
                )
            }
            "delete" => {
                let k = rng.below(n);
                let mut v = owned();
                v.remove(k);
                let expect = if k + 1 == n {
                    Expect::Undetectable(n - 1)
                } else {
                    Expect::Caught(k + 1)
                };
                (join(&v), expect, format!("delete line {}", k + 1))
            }
            "swap" => {
                let a = rng.below(n);
                let b = loop {
                    let b = rng.below(n);
                    if b != a {
                        break b;
                    }
                };
                let mut v = owned();
                v.swap(a, b);
                (
                    join(&v),
                    Expect::Caught(a.min(b) + 1),
                    format!("swap lines {} and {}", a + 1, b + 1),
                )
            }
            "truncate" => {
                let k = rng.below(n);
                let keep = 1 + rng.below(ls[k].len() - 1);
                let mut v = owned();
                v[k].truncate(keep);
                (
                    join(&v),
                    Expect::Caught(k + 1),
                    format!("truncate line {} to {keep} bytes", k + 1),
                )
            }
            "cut" => {
                let at = 1 + rng.below(text.len() - 1);
                let kept = &text[..at];
                let expect = if kept.ends_with('\n') {
                    Expect::Undetectable(kept.matches('\n').count())
                } else {
                    Expect::Caught(kept.matches('\n').count() + 1)
                };
                (
                    kept.to_owned(),
                    expect,
                    format!("cut the file at byte {at}"),
                )
            }
            _ => unreachable!(),
        };
        assert_ne!(edited, text, "edit {i} ({what}) changes the file");
        std::fs::write(&file, &edited).unwrap();
        let out = verify(&file);
        let keep_copy = || {
            let copy = dir.join(format!("edit-{i}.jsonl"));
            std::fs::write(&copy, &edited).unwrap();
            copy.display().to_string()
        };
        match expect {
            Expect::Undetectable(left) => {
                undetectable += 1;
                if out.code != 0 || !out.stdout.contains(&format!("{left} entries, chain valid")) {
                    problems.push(format!(
                        "edit {i} ({what}): removing trailing entries cannot be detected, yet verify said (exit {}) {} [{}]",
                        out.code,
                        out.stdout.trim_end(),
                        keep_copy()
                    ));
                }
            }
            Expect::Caught(line) => {
                if out.code != 1 {
                    problems.push(format!(
                        "edit {i} ({what}): not caught: exit {} {}{} [{}]",
                        out.code,
                        out.stdout.trim_end(),
                        out.stderr.trim_end(),
                        keep_copy()
                    ));
                } else if named_line(&out, &file) != Some(line) {
                    problems.push(format!(
                        "edit {i} ({what}): expected line {line}: {} [{}]",
                        out.stdout.trim_end(),
                        keep_copy()
                    ));
                } else if let Err(e) = reported_line(&out, &file) {
                    wrong_format.push(format!("edit {i} ({what}): {e}"));
                }
            }
        }
    }
    eprintln!(
        "random edits: {EDITS} ({}), {undetectable} removed trailing entries (undetectable by design)",
        KINDS
            .iter()
            .zip(counts)
            .map(|(k, c)| format!("{c} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        counts.iter().all(|&c| c >= 30),
        "every kind of edit is exercised: {counts:?}"
    );
    assert!(
        problems.is_empty(),
        "{} of {EDITS} edits were not reported as expected:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        wrong_format.is_empty(),
        "{} of {EDITS} edits were caught at the right line, but not reported as `FILE:N: why`; e.g.:\n{}",
        wrong_format.len(),
        wrong_format
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
