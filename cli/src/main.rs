//! The `rollgate` command: reads files, calls the engine, writes outputs, exits with the
//! verdict's code.
#![forbid(unsafe_code)]

mod args;
mod clock;
mod commands;
mod diagnostics;
mod error;
mod evaluate;
mod exit;
mod files;
mod flags;
mod identity;
mod ledger;
mod load;
mod output;
mod sources;
mod version;
mod write;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use exit::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Go.into()
                }
                _ => Exit::Invalid.into(),
            };
        }
    };
    match run(cli.command) {
        Ok(exit) => exit.into(),
        // The one place an error is printed.
        Err(e) => e.report().into(),
    }
}

/// Runs the command: its exit code, or why it refused.
fn run(command: Command) -> Result<Exit, error::CliError> {
    match command {
        Command::Validate { files, now } => Ok(commands::validate::run(&files, now)),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Render(args) => commands::render::run(&args),
        Command::Watch(args) => commands::watch::run(&args),
        Command::Replay { report, ledger } => commands::replay::run(&report, ledger.as_deref()),
        Command::Ledger { command } => commands::ledger::run(&command),
        Command::Fetch(args) => commands::fetch::fetch(&args),
        Command::Run(args) => commands::fetch::run(&args),
        Command::Test(args) if args.capture.is_some() => commands::capture::run(&args),
        Command::Test(args) => commands::test::run(&args),
        Command::DiffPolicy(args) => commands::diff_policy::run(&args),
        Command::Schema { kind } => Ok(commands::meta::schema(kind)),
        Command::Init { template, out } => commands::init::run(template, out.as_deref()),
        Command::Completions { shell } => Ok(commands::meta::completions(shell)),
        Command::Man => Ok(commands::meta::man()),
    }
}
