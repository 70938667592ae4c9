//! rollgate's engine: the policy language, its loading and validation, evaluation and
//! rendering. Pure: no file, network, process or clock access; the CLI does all I/O.
//!
//! The engine reads no clock of its own (`engine/clippy.toml` forbids `Instant::now` and
//! `SystemTime::now`): the evaluation time is `EvalContext::now`, and the script watchdog,
//! the one non-determinism backstop, is timed on the clock the caller passes in
//! `EvalContext::clock` (`script::watchdog`). The operation limit is what stops a runaway
//! script in practice; the watchdog only stops scripts whose few operations are slow.
#![forbid(unsafe_code)]
// The engine is pure: it never prints (the CLI owns stdout and stderr).
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod calendar;
pub mod decision;
pub mod diagnostic;
pub mod eval;
pub mod format;
pub mod history;
pub mod load;
pub mod locate;
pub mod notation;
pub mod plan;
pub mod policy;
pub mod policy_test;
pub mod refusal;
pub mod render;
pub mod schema;
pub mod schema_check;
pub mod script;
pub mod snapshot;
pub mod stats;
pub(crate) mod suggest;
pub mod test_file;
pub mod validate;
pub mod window;
pub mod yaml;

/// This crate's version, reported in decisions and `--version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod module_graph_tests;
