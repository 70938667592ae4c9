//! The ledger's head in every decision (issue 12): a decision written with `--ledger` names the
//! entry that records it, so cutting the ledger's last entries (which leaves a valid chain) is
//! caught by `ledger verify --against REPORT_DIR` and by `replay --ledger`. And the sidecar
//! index (issue 12, the 1,000,000-entry ledger): a missing, stale or lying index is rebuilt,
//! never trusted; an append does not read the ledger from its start.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::fixtures::scratch_dir;
use crate::common::ledger::canary_eval_args;
use crate::common::{rollgate, run};

const DIR: &str = "tests/fixtures/ledger";
const POLICY: &str = "tests/fixtures/ledger/policy.yaml";

fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("ledger-head-{name}"))
}

/// `eval` of the canary at `now` with the ledger and a report directory; the decision.
fn eval(dir: &Path, snapshot: &str, now: &str, report: bool) -> (crate::common::Run, Value) {
    let mut cmd = rollgate();
    let rd = dir.join("rd");
    let rd = report.then_some(rd.as_path());
    canary_eval_args(&mut cmd, snapshot, now, &dir.join("L.jsonl"), rd);
    let out = run(&mut cmd);
    let d = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", out.stdout, out.stderr));
    (out, d)
}

fn verify_against(dir: &Path) -> crate::common::Run {
    let mut cmd = rollgate();
    cmd.args(["ledger", "verify"])
        .arg(dir.join("L.jsonl"))
        .arg("--against")
        .arg(dir.join("rd"));
    run(&mut cmd)
}

fn replay(json: &Path, ledger: &Path) -> crate::common::Run {
    let mut cmd = rollgate();
    cmd.arg("replay").arg(json).arg("--ledger").arg(ledger);
    run(&mut cmd)
}

fn note(file: &Path, stage: &str, text: &str) -> crate::common::Run {
    let mut cmd = rollgate();
    cmd.args(["ledger", "note"]).arg(file).args([
        "--policy",
        "ledger-demo",
        "--env",
        "production",
        "--stage",
        stage,
        "--at",
        "2026-01-01T00:00:00Z",
        "--by",
        "alice",
        "--text",
        text,
    ]);
    run(&mut cmd)
}

/// Before: the decision named no entry; with its last entry cut, `verify` said "chain valid"
/// and nothing could tell.
#[test]
fn a_ledger_cut_after_its_reports_is_caught() {
    let dir = scratch("cut");
    let file = dir.join("L.jsonl");
    let (a, first) = eval(&dir, "red.json", "2026-01-01T03:00:00Z", true);
    assert_eq!(a.code, 1, "{}", a.stderr);
    let (b, second) = eval(&dir, "red.json", "2026-01-01T04:00:00Z", true);
    assert_eq!(b.code, 1, "{}", b.stderr);
    assert_eq!(first["inputs"]["ledger_head"]["seq"], 1);
    assert_eq!(second["inputs"]["ledger_head"]["seq"], 2);
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(second["inputs"]["ledger_head"]["hash"], lines[1]["hash"]);
    let json = dir.join("rd/ledger-demo/production/canary/20260101T040000Z.json");
    let stored: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        stored["inputs"]["ledger_head"],
        second["inputs"]["ledger_head"]
    );
    let md = std::fs::read_to_string(json.with_extension("md")).unwrap();
    assert!(md.contains("| Ledger head | entry 2 (sha256 `"), "{md}");

    let ok = verify_against(&dir);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("2 reports in"), "{}", ok.stdout);
    assert_eq!(replay(&json, &file).code, 0);

    // The last entry cut off: the chain still verifies, the report says otherwise.
    let text = std::fs::read_to_string(&file).unwrap();
    let first_line = text.lines().next().unwrap().to_owned() + "\n";
    std::fs::write(&file, &first_line).unwrap();
    let mut plain = rollgate();
    plain.args(["ledger", "verify"]).arg(&file);
    assert_eq!(run(&mut plain).code, 0, "a cut chain is still a chain");
    let cut = verify_against(&dir);
    assert_eq!(cut.code, 1, "{}{}", cut.stdout, cut.stderr);
    assert!(
        cut.stdout.contains("20260101T040000Z.json")
            && cut.stdout.contains("ends at entry 1")
            && cut.stdout.contains("entry 2 is missing"),
        "{}",
        cut.stdout
    );
    let r = replay(&json, &file);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("entry 2 is missing"), "{}", r.stdout);

    // Cut further and another entry appended in place of the lost ones: replaced, not short.
    std::fs::write(&file, "").unwrap();
    assert_eq!(note(&file, "full", "a new beginning").code, 0);
    let replaced = verify_against(&dir);
    assert_eq!(replaced.code, 1, "{}", replaced.stdout);
    assert!(
        replaced.stdout.contains("entry 1 is not the one")
            && replaced.stdout.contains("20260101T030000Z.json")
            && replaced.stdout.contains("entry 2 is missing"),
        "{}",
        replaced.stdout
    );
}

/// Without `--ledger`, the decision has no `ledger_head` (its bytes are as before).
#[test]
fn no_ledger_no_head() {
    let mut cmd = rollgate();
    cmd.args(["eval", "--policy", POLICY, "--env", "production"])
        .args([
            "--stage",
            "canary",
            "--snapshot",
            &format!("{DIR}/red.json"),
        ])
        .args([
            "--now",
            "2026-01-01T03:00:00Z",
            "--format",
            "json",
            "--no-report",
        ]);
    let out = run(&mut cmd);
    assert!(!out.stdout.contains("ledger_head"), "{}", out.stdout);
}

/// A retried evaluation names the entry its first attempt appended.
#[test]
fn a_retry_names_the_first_entry() {
    let dir = scratch("retry");
    let (_, first) = eval(&dir, "red.json", "2026-01-01T03:00:00Z", false);
    assert_eq!(note(&dir.join("L.jsonl"), "full", "later").code, 0);
    let (again, second) = eval(&dir, "red.json", "2026-01-01T03:00:00Z", false);
    assert!(
        again.stderr.contains("not recorded twice"),
        "{}",
        again.stderr
    );
    assert_eq!(
        first["inputs"]["ledger_head"],
        second["inputs"]["ledger_head"]
    );
}

/// The index is a cache: deleted, garbled, or copied from another ledger, the decisions are
/// those of the ledger itself.
#[test]
fn a_missing_stale_or_lying_index_is_rebuilt() {
    let dir = scratch("index");
    let file = dir.join("L.jsonl");
    let idx = dir.join("L.jsonl.idx");
    let mut cmd = rollgate();
    cmd.args(["ledger", "enter"]).arg(&file).args([
        "--policy",
        "ledger-demo",
        "--env",
        "production",
        "--stage",
        "canary",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(run(&mut cmd).code, 0);
    for i in 0..5 {
        assert_eq!(note(&file, "full", &format!("note {i}")).code, 0);
    }
    assert!(idx.join("head").is_file(), "appends keep an index");
    let (_, reference) = eval(&dir, "green.json", "2026-01-01T03:00:00Z", false);
    let expect = |d: &Value, why: &str| {
        assert_eq!(d["verdict"], reference["verdict"], "{why}");
        assert_eq!(d["entered_at"], reference["entered_at"], "{why}");
        assert_eq!(
            d["inputs"]["evaluation_id"], reference["inputs"]["evaluation_id"],
            "{why}"
        );
    };
    // Each case evaluates the same instant again: the retry finds its entry through the index.
    std::fs::remove_dir_all(&idx).unwrap();
    let (_, d) = eval(&dir, "green.json", "2026-01-01T03:00:00Z", false);
    expect(&d, "index deleted");
    // The head garbled.
    std::fs::write(idx.join("head"), "rollgate-ledger-index 1\n5 999 nothing\n").unwrap();
    let (_, d) = eval(&dir, "green.json", "2026-01-01T03:00:00Z", false);
    expect(&d, "head garbled");
    // Every stage file swapped for the notes' one: offsets that name other entries.
    let stage_files: Vec<PathBuf> = std::fs::read_dir(&idx)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("s-"))
        .collect();
    assert_eq!(stage_files.len(), 2);
    let (big, small) = {
        let mut v = stage_files.clone();
        v.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
        (v[1].clone(), v[0].clone())
    };
    std::fs::copy(&big, &small).unwrap();
    let (out, d) = eval(&dir, "green.json", "2026-01-01T03:00:00Z", false);
    expect(&d, "stage file lying");
    assert!(out.stderr.contains("not recorded twice"), "{}", out.stderr);
    // The ledger cut back under the index: the index is not trusted past the ledger's end.
    let text = std::fs::read_to_string(&file).unwrap();
    let keep: String = text.lines().take(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, keep).unwrap();
    let (out, d) = eval(&dir, "green.json", "2026-01-01T03:00:00Z", false);
    assert!(out.stderr.contains("recorded as entry 2"), "{}", out.stderr);
    assert_eq!(d["entered_at"], reference["entered_at"]);
    let mut v = rollgate();
    v.args(["ledger", "verify"]).arg(&file);
    assert_eq!(run(&mut v).code, 0);
}

/// An append reads the ledger's end, not its start: an old entry overwritten in place (same
/// length) does not slow or stop it (`ledger verify` is what reads everything, and says so).
/// Before: every append read and parsed the whole file, and refused at line 1.
#[test]
fn an_append_does_not_read_the_ledger_from_its_start() {
    let dir = scratch("tail");
    let file = dir.join("L.jsonl");
    for i in 0..3 {
        assert_eq!(note(&file, "full", &format!("note {i}")).code, 0);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let first_len = text.lines().next().unwrap().len();
    let garbled = format!("{}\n{}", "x".repeat(first_len), &text[first_len + 1..]);
    std::fs::write(&file, garbled).unwrap();
    let out = note(&file, "full", "still appended");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("#4 "), "{}", out.stdout);
    let mut v = rollgate();
    v.args(["ledger", "verify"]).arg(&file);
    let checked = run(&mut v);
    assert_eq!(checked.code, 1, "verify reads every line");
    assert!(checked.stdout.contains(":1:"), "{}", checked.stdout);
}
