//! JSON snapshots: any bytes either parse or give an error naming a JSON path; a snapshot that
//! parses survives writing and reading back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_engine::snapshot::{from_json, to_json};

fuzz_target!(|data: &[u8]| {
    match from_json(data) {
        Err(e) => {
            assert!(!e.message.is_empty(), "an error without a message");
            assert!(
                e.path.starts_with('$') || e.path.is_empty(),
                "path {:?}",
                e.path
            );
        }
        Ok(s) => {
            let text = to_json(&s);
            let back = from_json(text.as_bytes())
                .unwrap_or_else(|e| panic!("written snapshot does not read back: {e}\n{text}"));
            rollgate_fuzz::assert_same_snapshot(&s, &back);
        }
    }
});
