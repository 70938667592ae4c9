//! The one error type of the CLI: every command that refuses returns a `CliError`, and `main`
//! prints it once (on stderr) and exits with its code. The texts are the CLI's contract (tests
//! and users grep them): each variant prints exactly what the command used to print itself.

use std::path::Path;

use crate::exit::Exit;

/// Why a command stopped. Every variant is a refusal: nothing was evaluated, recorded or
/// written (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A usage or input problem that is not about one file: `error: MESSAGE`.
    #[error("error: {0}")]
    Usage(String),
    /// A problem with one file: `FILE: MESSAGE`.
    #[error("{file}: {message}")]
    File { file: String, message: String },
    /// A message that already names its place (a ledger error located in its file): printed
    /// as it is.
    #[error("{0}")]
    Located(String),
    /// Already said, with its place, by `diagnostics` (a user file's errors, drawn with their
    /// source lines): nothing more is printed.
    #[error("")]
    Reported,
}

impl CliError {
    /// `error: MESSAGE`.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    /// `FILE: MESSAGE`.
    pub fn file(file: &Path, message: impl Into<String>) -> CliError {
        CliError::File {
            file: file.display().to_string(),
            message: message.into(),
        }
    }

    /// The exit code of the refusal.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Usage(_) | CliError::File { .. } | CliError::Located(_) => Exit::Invalid,
            CliError::Reported => Exit::Invalid,
        }
    }

    /// Prints the error (once; nothing for `Reported`) and returns its exit code.
    pub fn report(&self) -> Exit {
        if !matches!(self, CliError::Reported) {
            eprintln!("{self}");
        }
        self.exit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_prints_its_contract_text() {
        assert_eq!(CliError::usage("bad").to_string(), "error: bad");
        assert_eq!(
            CliError::file(Path::new("a/b.yaml"), "no such file").to_string(),
            "a/b.yaml: no such file"
        );
        assert_eq!(CliError::Located("x:3: y".into()).to_string(), "x:3: y");
        assert_eq!(CliError::Reported.to_string(), "");
    }

    #[test]
    fn every_refusal_exits_2() {
        for e in [
            CliError::usage("u"),
            CliError::file(Path::new("f"), "m"),
            CliError::Located("l".into()),
            CliError::Reported,
        ] {
            assert_eq!(e.exit(), Exit::Invalid);
        }
    }
}
