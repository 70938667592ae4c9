//! The command line, defined once with clap; completions and the man page come from it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;

/// rollgate: evaluate release-gate policies against metric snapshots.
#[derive(Debug, Parser)]
#[command(
    name = "rollgate",
    version = crate::version::SHORT,
    long_version = crate::version::LONG,
    about = "Evaluate release-gate policies: GO / HOLD / NO-GO / ROLLBACK",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policies and `*.test.yaml` files: schema, references, per-environment values,
    /// durations, script syntax. Prints `file:line:col: message` for each problem.
    Validate {
        /// Policy files or policy test files (`*.test.yaml`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of a file format (draft-07).
    Schema {
        #[arg(value_enum)]
        kind: SchemaArg,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// The schemas `rollgate schema` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaArg {
    Policy,
    Snapshot,
    Decision,
    Test,
}
