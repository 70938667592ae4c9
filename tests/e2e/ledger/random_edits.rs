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

/// One random edit: the edited text, what verify should say, and a description.
struct Edit {
    edited: String,
    expect: Expect,
    what: String,
}

const KINDS: [&str; 5] = ["flip", "delete", "swap", "truncate", "cut"];
const ALPHABET: &[u8] = b"abcdefxyzAZ0123456789{}[]\":,-.\\ ";

fn join(v: &[String]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

fn owned_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.to_string()).collect()
}

/// Flips one byte of the file to another character of `ALPHABET`.
fn flip(rng: &mut Rng, text: &str) -> Edit {
    let pos = rng.below(text.len());
    let old = text.as_bytes()[pos];
    let new = loop {
        let c = ALPHABET[rng.below(ALPHABET.len())];
        if c != old {
            break c;
        }
    };
    let mut bytes = text.as_bytes().to_vec();
    bytes[pos] = new;
    let line = text[..pos].matches('\n').count() + 1;
    Edit {
        edited: String::from_utf8(bytes).unwrap(),
        expect: Expect::Caught(line),
        what: format!(
            "byte {pos} (line {line}) {:?} -> {:?}",
            old as char, new as char
        ),
    }
}

/// Deletes one line; deleting the last one cannot be seen.
fn delete(rng: &mut Rng, text: &str) -> Edit {
    let mut v = owned_lines(text);
    let n = v.len();
    let k = rng.below(n);
    v.remove(k);
    let expect = if k + 1 == n {
        Expect::Undetectable(n - 1)
    } else {
        Expect::Caught(k + 1)
    };
    let what = format!("delete line {}", k + 1);
    Edit {
        edited: join(&v),
        expect,
        what,
    }
}

/// Swaps two different lines: caught at the first of them.
fn swap(rng: &mut Rng, text: &str) -> Edit {
    let mut v = owned_lines(text);
    let n = v.len();
    let a = rng.below(n);
    let b = loop {
        let b = rng.below(n);
        if b != a {
            break b;
        }
    };
    v.swap(a, b);
    let what = format!("swap lines {} and {}", a + 1, b + 1);
    Edit {
        edited: join(&v),
        expect: Expect::Caught(a.min(b) + 1),
        what,
    }
}

/// Truncates one line (keeping at least one byte of it).
fn truncate(rng: &mut Rng, text: &str) -> Edit {
    let mut v = owned_lines(text);
    let k = rng.below(v.len());
    let keep = 1 + rng.below(v[k].len() - 1);
    v[k].truncate(keep);
    let what = format!("truncate line {} to {keep} bytes", k + 1);
    Edit {
        edited: join(&v),
        expect: Expect::Caught(k + 1),
        what,
    }
}

/// Cuts the file anywhere: at a line end it removes trailing entries (undetectable),
/// elsewhere it leaves a torn last line.
fn cut(rng: &mut Rng, text: &str) -> Edit {
    let at = 1 + rng.below(text.len() - 1);
    let kept = &text[..at];
    let expect = if kept.ends_with('\n') {
        Expect::Undetectable(kept.matches('\n').count())
    } else {
        Expect::Caught(kept.matches('\n').count() + 1)
    };
    let what = format!("cut the file at byte {at}");
    Edit {
        edited: kept.to_owned(),
        expect,
        what,
    }
}

/// A verified ledger holding every kind of entry, at least 12 lines, as text.
fn base_ledger(dir: &Path) -> String {
    let base = dir.join("base.jsonl");
    mixed_ledger(&base);
    let out = verify(&base);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(text.is_ascii(), "the edits below work on bytes");
    let n = text.lines().count();
    assert!(n >= 12, "{n} entries");
    let kinds_present: std::collections::BTreeSet<String> = entries(&base)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds_present.into_iter().collect::<Vec<_>>(),
        ["approve", "decision", "enter", "note", "waive"]
    );
    text
}

/// What the edits found wrong: unexpected answers, and right lines in the wrong format.
#[derive(Default)]
struct Findings {
    undetectable: usize,
    problems: Vec<String>,
    wrong_format: Vec<String>,
}

/// Verifies edit `i` written to `file` (a copy kept in `dir` when it goes wrong) and records
/// what does not match its expectation.
fn check_edit(i: usize, edit: &Edit, dir: &Path, file: &Path, found: &mut Findings) {
    let Edit {
        edited,
        expect,
        what,
    } = edit;
    std::fs::write(file, edited).unwrap();
    let out = verify(file);
    let keep_copy = || {
        let copy = dir.join(format!("edit-{i}.jsonl"));
        std::fs::write(&copy, edited).unwrap();
        copy.display().to_string()
    };
    match *expect {
        Expect::Undetectable(left) => {
            found.undetectable += 1;
            if out.code != 0 || !out.stdout.contains(&format!("{left} entries, chain valid")) {
                found.problems.push(format!(
                    "edit {i} ({what}): removing trailing entries cannot be detected, yet verify said (exit {}) {} [{}]",
                    out.code,
                    out.stdout.trim_end(),
                    keep_copy()
                ));
            }
        }
        Expect::Caught(line) => {
            if out.code != 1 {
                found.problems.push(format!(
                    "edit {i} ({what}): not caught: exit {} {}{} [{}]",
                    out.code,
                    out.stdout.trim_end(),
                    out.stderr.trim_end(),
                    keep_copy()
                ));
            } else if named_line(&out, file) != Some(line) {
                found.problems.push(format!(
                    "edit {i} ({what}): expected line {line}: {} [{}]",
                    out.stdout.trim_end(),
                    keep_copy()
                ));
            } else if let Err(e) = reported_line(&out, file) {
                found.wrong_format.push(format!("edit {i} ({what}): {e}"));
            }
        }
    }
}

/// At least 200 random single edits of a ledger holding every kind of entry (flip a
/// character, delete a line, swap two lines, truncate a line, cut the file anywhere): every
/// edit is caught, at its line, except the removal of trailing entries, which a hash chain
/// alone cannot see (asserted as such).
#[test]
fn random_edits_are_caught() {
    const EDITS: usize = 300;
    let (dir, file) = scratch("random-edits");
    let text = base_ledger(&dir);
    let mut rng = Rng(0x5eed_1ed6_e200_0001);
    let mut counts = [0usize; 5];
    let mut found = Findings::default();
    for i in 0..EDITS {
        let kind = rng.below(KINDS.len());
        counts[kind] += 1;
        let edit = [flip, delete, swap, truncate, cut][kind](&mut rng, &text);
        assert_ne!(
            edit.edited, text,
            "edit {i} ({}) changes the file",
            edit.what
        );
        check_edit(i, &edit, &dir, &file, &mut found);
    }
    eprintln!(
        "random edits: {EDITS} ({}), {} removed trailing entries (undetectable by design)",
        KINDS
            .iter()
            .zip(counts)
            .map(|(k, c)| format!("{c} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        found.undetectable
    );
    assert!(
        counts.iter().all(|&c| c >= 30),
        "every kind of edit is exercised: {counts:?}"
    );
    let Findings {
        problems,
        wrong_format,
        ..
    } = found;
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
