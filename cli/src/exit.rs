//! Exit codes, as a typed enum so every path through the CLI names its meaning.

use std::process::ExitCode;

/// The process exit codes of cli.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// GO (and success for commands that do not evaluate).
    Go = 0,
    /// NO-GO (and, for `test`, a failed test).
    NoGo = 1,
    /// Invalid input or usage: nothing was evaluated and nothing was written. Also a report
    /// that could not be written ("could not write ..."): nothing is then left on disk and
    /// nothing is recorded.
    Invalid = 2,
    /// HOLD.
    Hold = 3,
    /// ROLLBACK.
    Rollback = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// The table printed in `--help` and the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  GO (or: the command succeeded)
  1  NO-GO
  2  invalid input or usage: nothing was evaluated and nothing was written
     (also a report that could not be written: \"could not write ...\", nothing kept)
  3  HOLD
  4  ROLLBACK";
