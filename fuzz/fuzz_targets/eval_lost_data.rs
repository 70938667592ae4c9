//! Evaluation under lost data: the fuzzer picks a bundled example that is not GO and a
//! sequence of data-losing mutations (fuzz/src/lost_data.rs lists them and why each is one);
//! the verdict must never be GO.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use rollgate_fuzz::lost_data::{Example, Loss, check, load_examples};

thread_local! {
    // Loaded once; a policy holds compiled scripts, which are not `Sync`.
    static EXAMPLES: &'static [Example] = Box::leak(load_examples().into_boxed_slice());
}

fn examples() -> &'static [Example] {
    EXAMPLES.with(|e| *e)
}

fn loss(u: &mut Unstructured) -> Result<Loss> {
    let a = u.int_in_range(0..=63)?;
    let b = u.int_in_range(0..=63)?;
    Ok(match u.int_in_range(0..=6)? {
        0 => Loss::DropMetric(a),
        1 => Loss::EmptySeries(a, b),
        2 => Loss::AllNaN(a, b),
        3 => Loss::Inf(a, b, u.int_in_range(0..=4095)?, u.int_in_range(0..=7)?),
        4 => Loss::PastNow(a, b),
        5 => Loss::DropRecords(a, u.arbitrary()?),
        _ => Loss::DropTakenAt(u.arbitrary()?),
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let all = examples();
    let Ok(i) = u.int_in_range(0..=all.len() - 1) else {
        return;
    };
    let mut losses = Vec::new();
    while losses.len() < 4 && !u.is_empty() {
        match loss(&mut u) {
            Ok(l) => losses.push(l),
            Err(_) => break,
        }
    }
    if !losses.is_empty() {
        check(&all[i], &losses);
    }
});
