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
    /// `watch` stopped by SIGINT (Ctrl-C) before its period ended (128 + 2).
    Interrupted = 130,
    /// `watch` stopped by SIGTERM before its period ended (128 + 15).
    Terminated = 143,
}

impl Exit {
    /// The exit of a watch stopped by signal `number`.
    pub fn from_signal(number: i32) -> Exit {
        if number == 15 {
            Exit::Terminated
        } else {
            Exit::Interrupted
        }
    }
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
  4  ROLLBACK
  130, 143  watch: stopped by SIGINT / SIGTERM before its period ended (after the tick in
            progress, its decision recorded; a ROLLBACK still exits 4)";
