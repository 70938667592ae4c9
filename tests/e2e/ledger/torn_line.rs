//! A torn last line (a crash mid-write) stops reads and appends until it is removed.

use super::*;

/// A ledger of two entries whose third line is half written, without a newline (a crash
/// mid-write); returns its path, the whole two lines, and the torn text.
fn torn_ledger(name: &str) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let (_dir, file) = scratch(name);
    add("enter", &file, "canary", "2026-11-06T10:00:00Z", "ci", &[]);
    add(
        "note",
        &file,
        "canary",
        "2026-11-06T10:01:00Z",
        "ci",
        &["--text", "started"],
    );
    let whole = std::fs::read(&file).unwrap();
    let mut torn = whole.clone();
    torn.extend_from_slice(br#"{"seq":3,"time":"2026-11-06T10:0"#);
    std::fs::write(&file, &torn).unwrap();
    (file, whole, torn)
}

/// `eval --ledger` and `run --ledger` refuse a torn ledger (exit 2, naming line 3) and
/// append nothing.
#[test]
fn a_torn_last_line_stops_reads() {
    let (file, _, torn) = torn_ledger("torn");
    let (out, _) = eval_with(
        &file,
        "canary",
        "green.json",
        "2026-11-06T12:00:00Z",
        &["--format", "text"],
    );
    assert_eq!(
        out.code, 2,
        "eval refuses a torn ledger: {}{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains("line 3") && out.stderr.contains("torn"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), torn, "eval appended nothing");

    let policy = format!("{DIR}/run-policy.yaml");
    let out = run(&mut run_canary(&policy, "2026-11-06T12:00:00Z", &file));
    assert_eq!(
        out.code, 2,
        "run refuses a torn ledger: {}{}",
        out.stdout, out.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), torn, "run appended nothing");
}

/// Every `ledger` append refuses (exit 2, saying torn) and writes nothing; once the torn line
/// is removed by hand, appends work again; verify reports it as `FILE:3: why`.
#[test]
fn a_torn_last_line_stops_appends_until_removed() {
    let (file, whole, torn) = torn_ledger("torn-appends");
    let waive = [
        "--gate",
        "errors",
        "--until",
        "2026-11-07T00:00:00Z",
        "--reason",
        "r",
    ];
    let subs: [(&str, &[&str]); 4] = [
        ("enter", &[]),
        ("approve", &[]),
        ("note", &["--text", "x"]),
        ("waive", &waive),
    ];
    for (sub, extra) in subs {
        let out = ledger_add(sub, &file, "canary", "2026-11-06T12:00:00Z", "ci", extra);
        assert_eq!(
            out.code, 2,
            "ledger {sub} refuses to append: {}{}",
            out.stdout, out.stderr
        );
        assert!(out.stderr.contains("torn"), "{}", out.stderr);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            torn,
            "{sub} appended nothing"
        );
    }

    // Removed by hand: the ledger is whole again and takes appends.
    std::fs::write(&file, &whole).unwrap();
    add("enter", &file, "canary", "2026-11-06T12:00:00Z", "ci", &[]);
    assert_eq!(verify(&file).code, 0);

    // Checked last: verify reports the torn line as `FILE:3: why`.
    std::fs::write(&file, &torn).unwrap();
    let mut wrong_format = Vec::new();
    assert_rejected_at(&file, 3, "torn", &mut wrong_format);
    assert_all_reported_as_file_line(&wrong_format);
}
