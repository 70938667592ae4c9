//! A waiver stops blocking at its exact expiry.

use super::*;

const T: &str = "2026-11-20T18:00:00Z";

/// A ledger in `NAME`'s scratch dir: canary entered on 2026-11-10, and the failing gate
/// `latency` waived until T by ops (ticket OPS-7).
fn waived_ledger(name: &str) -> PathBuf {
    let (_, file) = scratch(name);
    add("enter", &file, "canary", "2026-11-10T10:00:00Z", "ci", &[]);
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
    file
}

/// The decision lists `latency` as waived until T by ops, with reason and ticket.
fn waived(d: &Value) -> bool {
    warnings(d).iter().any(|(g, m)| {
        g == "latency"
            && m.contains(&format!("waived until {T} by ops"))
            && m.contains("known slow dependency")
            && m.contains("OPS-7")
    })
}

/// `latency` has a warning containing `words`.
fn latency_warns(d: &Value, words: &str) -> bool {
    warnings(d)
        .iter()
        .any(|(g, m)| g == "latency" && m.contains(words))
}

/// Before any waiver `latency` blocks; a waiver of a gate the policy does not have is refused
/// (and the ledger is unchanged).
#[test]
fn before_a_waiver_latency_blocks_and_a_misspelt_gate_is_refused() {
    let (dir, file) = scratch("waiver-before");
    add("enter", &file, "canary", "2026-11-10T10:00:00Z", "ci", &[]);
    // On a copy: a red decision in the ledger would restart the hold.
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
}

/// More than 3 days before T the waived gate does not block and is listed as waived, with
/// no expiry warning; the hold has elapsed: GO.
#[test]
fn a_waiver_in_force_unblocks_its_gate() {
    let file = waived_ledger("waiver-in-force");
    let d = expect_eval(&file, "canary", "slow.json", "2026-11-17T17:59:59Z", "go");
    assert_eq!(blocking_gates(&d), Vec::<String>::new());
    assert_eq!(d["waivers"][0]["gate"], "latency");
    assert_eq!(d["waivers"][0]["state"], "in-force");
    assert_eq!(d["waivers"][0]["until"], T);
    assert_eq!(d["waivers"][0]["gate_status"], "fail");
    assert_eq!(d["waivers"][0]["by"], "ops");
    assert_eq!(d["waivers"][0]["ticket"], "OPS-7");
    assert!(waived(&d), "{:?}", warnings(&d));
    assert!(
        !latency_warns(&d, &format!("expires at {T}")),
        "{:?}",
        warnings(&d)
    );
}

/// Within 3 days of T an "expires" warning is added; at T-1s the waiver is still in force.
#[test]
fn a_waiver_warns_of_its_expiry_within_3_days() {
    let file = waived_ledger("waiver-expiring");
    let d = expect_eval(&file, "canary", "slow.json", "2026-11-17T18:00:01Z", "go");
    assert!(waived(&d), "{:?}", warnings(&d));
    assert!(
        latency_warns(&d, &format!("expires at {T}")),
        "{:?}",
        warnings(&d)
    );

    let d = expect_eval(&file, "canary", "slow.json", "2026-11-20T17:59:59Z", "go");
    assert_eq!(d["waivers"][0]["state"], "in-force");
    assert_eq!(blocking_gates(&d), Vec::<String>::new());
    assert!(waived(&d), "{:?}", warnings(&d));
    let in_1s = format!("expires at {T} (in 1s)");
    assert!(latency_warns(&d, &in_1s), "{:?}", warnings(&d));
}

/// At exactly T the waiver has expired, the gate blocks again and the decision says so; a
/// day later it is still expired.
#[test]
fn a_waiver_stops_blocking_at_its_exact_expiry() {
    let file = waived_ledger("waiver");
    let d = expect_eval(&file, "canary", "slow.json", T, "no-go");
    assert_eq!(d["waivers"][0]["state"], "expired");
    assert_eq!(blocking_gates(&d), ["latency"]);
    assert!(!waived(&d), "{:?}", warnings(&d));
    assert!(
        latency_warns(&d, &format!("expired at {T}")),
        "{:?}",
        warnings(&d)
    );

    let d = expect_eval(
        &file,
        "canary",
        "slow.json",
        "2026-11-21T18:00:00Z",
        "no-go",
    );
    assert_eq!(d["waivers"][0]["state"], "expired");
}

/// The waiver covers only its gate: another failing gate blocks while it is in force.
#[test]
fn a_waiver_covers_only_its_gate() {
    let file = waived_ledger("waiver-other-gate");
    let d = expect_eval(&file, "canary", "red.json", "2026-11-20T17:00:00Z", "no-go");
    assert_eq!(blocking_gates(&d), ["errors"]);
}
