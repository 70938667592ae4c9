//! YAML snapshots: any text either parses or gives an error; a snapshot that parses reads the
//! same when written as JSON and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_engine::snapshot::{from_json, from_yaml, to_json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match from_yaml(text) {
        Err(e) => assert!(!e.message.is_empty(), "an error without a message"),
        Ok(s) => {
            let json = to_json(&s);
            let back = from_json(json.as_bytes()).unwrap_or_else(|e| {
                panic!("YAML snapshot written as JSON does not read back: {e}\n{json}")
            });
            rollgate_fuzz::assert_same_snapshot(&s, &back);
        }
    }
});
