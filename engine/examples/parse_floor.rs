//! The parse floor of docs/performance.md: the least a program can do to read a snapshot
//! into typed columns with serde_json. Reads the file, deserializes it with a plain
//! `#[derive(Deserialize)]` struct (`Vec<(f64, f64)>` samples per series), splits every
//! series into a times and a values column, and prints the sample count.
//!
//!     cargo build --release --example parse_floor
//!     target/release/examples/parse_floor /tmp/rollgate-bench/large.json
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Snapshot {
    #[allow(dead_code)]
    taken_at: Option<String>,
    series: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    samples: Vec<(f64, f64)>,
}

/// One series as two columns.
struct Columns {
    #[allow(dead_code)]
    labels: BTreeMap<String, String>,
    times: Vec<f64>,
    values: Vec<f64>,
}

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: parse_floor SNAPSHOT.json");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{}: {e}", path.to_string_lossy());
        std::process::exit(2);
    });
    let snap: Snapshot = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        eprintln!("{}: {e}", path.to_string_lossy());
        std::process::exit(2);
    });
    let columns: Vec<Columns> = snap
        .series
        .into_values()
        .map(|e| {
            let (times, values) = e.samples.into_iter().unzip();
            Columns {
                labels: e.labels,
                times,
                values,
            }
        })
        .collect();
    let n: usize = columns.iter().map(|c| c.times.len()).sum();
    assert!(columns.iter().all(|c| c.values.len() == c.times.len()));
    println!("{n}");
}
