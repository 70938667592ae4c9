//! Two writers racing for the ledger's lock lose nothing and keep the chain.

use super::*;

const PER_WRITER: usize = 500;

/// Two threads `w1` and `w2`, started together, each appending PER_WRITER notes
/// (`"w1 0"`, `"w1 1"`, ...) to `file` by running the binary.
fn race_two_writers(file: &Path) {
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        for w in ["w1", "w2"] {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..PER_WRITER {
                    let text = format!("{w} {i}");
                    let out = ledger_add_for(
                        "ledger-demo",
                        "note",
                        file,
                        "canary",
                        "2026-11-06T10:00:00Z",
                        w,
                        &["--text", &text],
                    );
                    assert_eq!(out.code, 0, "{w} append {i}: {}{}", out.stdout, out.stderr);
                }
            });
        }
    });
}

/// Every entry of each writer is there once, in its order.
fn assert_each_writer_complete_in_order(entries: &[Value]) {
    let mut seen = std::collections::BTreeSet::new();
    for w in ["w1", "w2"] {
        let mine: Vec<usize> = entries
            .iter()
            .filter(|e| e["actor"] == w)
            .map(|e| {
                let text = e["payload"]["text"].as_str().unwrap();
                assert!(seen.insert(text.to_owned()), "`{text}` appears twice");
                text.strip_prefix(&format!("{w} "))
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            mine,
            (0..PER_WRITER).collect::<Vec<_>>(),
            "every entry of {w}, once, in its order"
        );
    }
}

/// Two writers appending 500 entries each at the same time (each a thread running the binary
/// 500 times, so two `rollgate` processes race for the lock throughout): 1,000 entries, the
/// chain valid, sequence numbers 1..=1000, every entry there once, each writer's in its order.
#[test]
fn two_concurrent_writers_lose_nothing() {
    let (_dir, file) = scratch("concurrent");
    let start = Instant::now();
    race_two_writers(&file);
    let appended = start.elapsed();
    let out = verify(&file);
    eprintln!(
        "concurrency: 2 x {PER_WRITER} appends in {:.1} s, verify in {:.2} s",
        appended.as_secs_f64(),
        (start.elapsed() - appended).as_secs_f64()
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("1000 entries, chain valid"),
        "{}",
        out.stdout
    );

    let entries = crate::common::ledger::entries(&file);
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=1000).collect::<Vec<u64>>(),
        "no gap, no duplicate"
    );
    assert_each_writer_complete_in_order(&entries);
    // The writers really interleaved (both were appending at the same time).
    let switches = entries
        .windows(2)
        .filter(|p| p[0]["actor"] != p[1]["actor"])
        .count();
    assert!(switches > 1, "the writers never interleaved");
}
