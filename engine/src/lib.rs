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

// The public API. These modules are the types a caller names (the policy model, snapshots,
// decisions, diagnostics, history read from a ledger, rendering and the schemas); the entry
// points below are re-exported by name. Everything else is an implementation detail, visible
// to the crate only, so it can change without breaking the CLI, the fuzz targets or benches.
pub mod decision;
pub mod diagnostic;
pub mod format;
pub mod history;
pub mod plan;
pub mod policy;
pub mod policy_test;
pub mod render;
pub mod schema;
pub mod snapshot;
pub mod template;

pub use eval::{EvalContext, evaluate, evaluate_with_history};
pub use load::{Loaded, document as load_document, load_policy};
pub use notation::{MAX_SAMPLES as MAX_NOTATION_SAMPLES, parse as parse_notation};
pub use refusal::EvalError;
pub use script::compile as compile_script;
pub use script::run::Sandbox;
pub use script::watchdog::{Clock, SharedClock};
pub use window::Anchors;
pub use yaml::MAX_DOCUMENT_BYTES;

pub(crate) mod calendar;
pub(crate) mod data_rules;
pub(crate) mod eval;
pub(crate) mod load;
pub(crate) mod locate;
pub(crate) mod notation;
pub(crate) mod promotion_window;
pub(crate) mod refusal;
pub(crate) mod schema_check;
pub(crate) mod script;
pub(crate) mod stats;
pub(crate) mod suggest;
pub(crate) mod test_file;
pub(crate) mod validate;
pub(crate) mod whole_numbers;
pub(crate) mod window;
pub(crate) mod yaml;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod module_graph_tests;
