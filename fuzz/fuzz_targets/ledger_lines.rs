//! Ledger lines (`cli/src/ledger.rs`, compiled as the CLI compiles it): any text either parses
//! or names a line inside it; parsed entries written back as lines parse to the same entries,
//! and verification of any parsed chain answers without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_fuzz::ledger::{LedgerError, parse, verify};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(entries) => {
            let mut back = String::new();
            for e in &entries {
                back.push_str(&serde_json::to_string(e).expect("an entry serializes"));
                back.push('\n');
            }
            assert_eq!(parse(&back).expect("written entries parse"), entries);
            if let Some((n, why)) = verify(&entries) {
                assert!(
                    n >= 1 && n <= entries.len(),
                    "problem at entry {n} of {}",
                    entries.len()
                );
                assert!(!why.is_empty());
            }
        }
        Err(e) => {
            let lines = text.split_inclusive('\n').count();
            match e {
                LedgerError::Torn { line } | LedgerError::Malformed { line, .. } => {
                    assert!(line >= 1 && line <= lines, "line {line} of {lines}")
                }
                LedgerError::Io(m) => panic!("parse gave an I/O error: {m}"),
            }
        }
    }
});
