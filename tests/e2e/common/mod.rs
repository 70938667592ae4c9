//! Helpers shared by the end-to-end tests, one job a module: running the binary (`cmd`),
//! scratch directories and files (`fixtures`), the rollout ledger (`ledger`), the loopback
//! HTTP test server (`httpd`) and the loopback Prometheus (`prometheus`).

pub mod cmd;
pub mod fixtures;
pub mod httpd;
pub mod ledger;
pub mod policy_text;
pub mod prometheus;

pub use cmd::{Run, rollgate, root, run};
