//! One module per command.

pub mod capture;
pub mod conclude;
pub mod diff_policy;
pub mod eval;
pub mod fetch;
pub mod init;
pub mod ledger;
pub mod meta;
pub mod render;
pub mod replay;
pub mod test;
pub mod validate;
pub mod watch;
mod watch_schedule;
mod watch_signals;
mod watch_tick;
