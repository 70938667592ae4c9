//! A waiver stops blocking at its exact expiry.

use super::*;

// --- 7. waivers ------------------------------------------------------------------------------

/// The failing gate `latency` waived until T: more than 3 days before T it does not block
/// and is listed as waived; within 3 days an "expires" warning is added; at T-1s it still does
/// not block; at exactly T the waiver has expired and the gate blocks again.
#[test]
fn a_waiver_stops_blocking_at_its_exact_expiry() {
    const T: &str = "2026-11-20T18:00:00Z";
    let (dir, file) = scratch("waiver");
    add("enter", &file, "canary", "2026-11-10T10:00:00Z", "ci", &[]);

    // Before the waiver: NO-GO because of latency (on a copy: a red decision in the ledger
    // would restart the hold).
    let probe = dir.join("probe.jsonl");
    std::fs::copy(&file, &probe).unwrap();
    let d = expect_eval(
        &probe,
        "canary",
        "slow.json",
        "2026-11-12T08:00:00Z",
        "no-go",
    );
    assert_eq!(blocking_gates(&d), ["latency"]);

    // A waiver of a gate the policy does not have is refused.
    let before = std::fs::read(&file).unwrap();
    let out = ledger_add(
        "waive",
        &file,
        "canary",
        "2026-11-12T09:00:00Z",
        "ops",
        &["--gate", "latncy", "--until", T, "--reason", "typo"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("latency"),
        "did you mean: {}",
        out.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);

    add(
        "waive",
        &file,
        "canary",
        "2026-11-12T09:00:00Z",
        "ops",
        &[
            "--gate",
            "latency",
            "--until",
            T,
            "--reason",
            "known slow dependency",
            "--ticket",
            "OPS-7",
        ],
    );
    let waived = |d: &Value| {
        warnings(d).iter().any(|(g, m)| {
            g == "latency"
                && m.contains(&format!("waived until {T} by ops"))
                && m.contains("known slow dependency")
                && m.contains("OPS-7")
        })
    };
    let expires = |d: &Value| {
        warnings(d)
            .iter()
            .any(|(g, m)| g == "latency" && m.contains(&format!("expires at {T}")))
    };

    // More than 3 days before T: in force, no expiry warning; the hold has elapsed: GO.
    let d = expect_eval(&file, "canary", "slow.json", "2026-11-17T17:59:59Z", "go");
    assert_eq!(blocking_gates(&d), Vec::<String>::new());
    assert_eq!(d["waivers"][0]["gate"], "latency");
    assert_eq!(d["waivers"][0]["state"], "in-force");
    assert_eq!(d["waivers"][0]["until"], T);
    assert_eq!(d["waivers"][0]["gate_status"], "fail");
    assert_eq!(d["waivers"][0]["by"], "ops");
    assert_eq!(d["waivers"][0]["ticket"], "OPS-7");
    assert!(waived(&d), "{:?}", warnings(&d));
    assert!(!expires(&d), "{:?}", warnings(&d));

    // Within 3 days of T: an "expires" warning.
    let d = expect_eval(&file, "canary", "slow.json", "2026-11-17T18:00:01Z", "go");
    assert!(waived(&d), "{:?}", warnings(&d));
    assert!(expires(&d), "{:?}", warnings(&d));

    // One second before T: still in force.
    let d = expect_eval(&file, "canary", "slow.json", "2026-11-20T17:59:59Z", "go");
    assert_eq!(d["waivers"][0]["state"], "in-force");
    assert_eq!(blocking_gates(&d), Vec::<String>::new());
    assert!(waived(&d), "{:?}", warnings(&d));
    assert!(
        warnings(&d)
            .iter()
            .any(|(g, m)| g == "latency" && m.contains(&format!("expires at {T} (in 1s)"))),
        "{:?}",
        warnings(&d)
    );

    // Exactly T: expired, blocking again, and said so.
    let d = expect_eval(&file, "canary", "slow.json", T, "no-go");
    assert_eq!(d["waivers"][0]["state"], "expired");
    assert_eq!(blocking_gates(&d), ["latency"]);
    assert!(!waived(&d), "{:?}", warnings(&d));
    assert!(
        warnings(&d)
            .iter()
            .any(|(g, m)| g == "latency" && m.contains(&format!("expired at {T}"))),
        "{:?}",
        warnings(&d)
    );

    // A day later: still expired.
    let d = expect_eval(
        &file,
        "canary",
        "slow.json",
        "2026-11-21T18:00:00Z",
        "no-go",
    );
    assert_eq!(d["waivers"][0]["state"], "expired");

    // The waiver covers only its gate: another failing gate blocks while it is in force.
    let d = expect_eval(&file, "canary", "red.json", "2026-11-20T17:00:00Z", "no-go");
    assert_eq!(blocking_gates(&d), ["errors"]);
}
