//! One decision entry per distinct evaluation.

use super::*;

// --- 8. idempotence --------------------------------------------------------------------------

/// The same evaluation twice (same inputs, environment, stage and time) is one decision
/// entry, and the second run says so; another `--now`, or another snapshot, is another entry.
#[test]
fn the_same_evaluation_is_recorded_once() {
    let (_dir, file) = scratch("idempotence");
    add("enter", &file, "canary", "2026-11-06T10:00:00Z", "ci", &[]);

    let (first, _) = eval(&file, "canary", "green.json", "2026-11-06T10:10:00Z");
    assert_eq!(first.code, 3, "{}", first.stderr);
    assert!(
        first.stderr.contains("ledger: recorded as entry 2"),
        "{}",
        first.stderr
    );
    let after_first = std::fs::read(&file).unwrap();

    let (again, _) = eval(&file, "canary", "green.json", "2026-11-06T10:10:00Z");
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("found this evaluation's decision (hold) as entry 2")
            && again.stderr.contains("not recorded twice"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        after_first,
        "nothing appended"
    );
    assert_eq!(decisions(&file).len(), 1);

    let (later, _) = eval(&file, "canary", "green.json", "2026-11-06T10:20:00Z");
    assert_eq!(later.code, 3);
    assert!(
        later.stderr.contains("ledger: recorded as entry 3"),
        "{}",
        later.stderr
    );
    // Same time, other data: another evaluation.
    let (other, _) = eval(&file, "canary", "slow.json", "2026-11-06T10:20:00Z");
    assert_eq!(other.code, 1);
    assert!(
        other.stderr.contains("ledger: recorded as entry 4"),
        "{}",
        other.stderr
    );
    let ds = decisions(&file);
    assert_eq!(
        ds.iter()
            .map(|d| (
                d["time"].as_str().unwrap(),
                d["payload"]["verdict"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("2026-11-06T10:10:00Z", "hold"),
            ("2026-11-06T10:20:00Z", "hold"),
            ("2026-11-06T10:20:00Z", "no-go")
        ]
    );
    assert_eq!(verify(&file).code, 0);
}
