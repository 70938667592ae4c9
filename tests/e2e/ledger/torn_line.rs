//! A torn last line (a crash mid-write) stops reads and appends until it is removed.

use super::*;

// --- 3. a torn last line ---------------------------------------------------------------------

/// Half a JSON line without a newline at the end (a crash mid-write): verify names the line,
/// `eval --ledger`, `run --ledger` and every `ledger` append refuse (exit 2) and write
/// nothing; once the torn line is removed by hand, appends work again.
#[test]
fn a_torn_last_line_stops_reads_and_appends() {
    let (_dir, file) = scratch("torn");
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

    let mut cmd = rollgate();
    cmd.args([
        "run",
        "--policy",
        &format!("{DIR}/run-policy.yaml"),
        "--env",
        ENV,
        "--stage",
        "canary",
        "--now",
        "2026-11-06T12:00:00Z",
        "--no-report",
        "--format",
        "json",
        "--ledger",
    ])
    .arg(&file);
    let out = run(&mut cmd);
    assert_eq!(
        out.code, 2,
        "run refuses a torn ledger: {}{}",
        out.stdout, out.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), torn, "run appended nothing");

    for (sub, extra) in [
        ("enter", &[][..]),
        ("approve", &[][..]),
        ("note", &["--text", "x"][..]),
        (
            "waive",
            &[
                "--gate",
                "errors",
                "--until",
                "2026-11-07T00:00:00Z",
                "--reason",
                "r",
            ][..],
        ),
    ] {
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
