//! End-to-end tests: run the real `rollgate` binary on files in `tests/fixtures/` and the
//! policies in `policies/`, one module per topic.

mod additions;
mod common;
mod diagnostic_codes;
mod docs;
mod duplicates;
mod examples;
mod expected_series;
mod hostile;
mod init;
mod invalid;
mod ledger;
mod ledger_faults;
mod ledger_head;
mod limits;
mod messages;
mod metamorphic;
mod migrations;
mod nonfinite;
mod policies;
mod policy_tests;
mod prom;
mod readme;
mod render_failures;
mod replay_policy;
mod report_writes;
mod reports;
mod retries;
mod schema;
mod sources;
mod staleness;
mod valid;
mod watch;
mod wording;
