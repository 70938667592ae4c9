//! Series notation: any text either expands or names the segment at fault; expansions stay
//! under the cap, and expanding segment by segment gives the same samples as the whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_engine::{MAX_NOTATION_SAMPLES as MAX_SAMPLES, parse_notation as parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(samples) => {
            assert!(samples.len() <= MAX_SAMPLES, "{} samples", samples.len());
            // Each segment of the (first) line expanded alone, concatenated, is the whole.
            let line = text.split('\n').next().unwrap_or_default().trim_end();
            let mut joined = Vec::new();
            for seg in line.split([' ', '\t', '\r']).filter(|s| !s.is_empty()) {
                joined.extend(parse(seg).expect("a segment of a valid notation is valid"));
            }
            assert_eq!(joined.len(), samples.len());
            for (a, b) in joined.iter().zip(&samples) {
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
            }
        }
        Err(e) => {
            let segments = text
                .split([' ', '\t', '\n', '\r'])
                .filter(|s| !s.is_empty())
                .count();
            assert!(
                e.segment >= 1 && e.segment <= segments.max(1),
                "segment {} of {segments}",
                e.segment
            );
            assert!(!e.reason.is_empty());
        }
    }
});
