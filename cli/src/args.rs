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
    /// Evaluate one stage of one environment against a snapshot; print the decision; exit
    /// with the verdict's code.
    Eval(EvalArgs),
    /// Re-render a stored decision (the JSON beside a report) in another format.
    Render(RenderArgs),
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

/// Flags of `eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The environment evaluated (one of the policy's `environments`).
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The stage evaluated (its id).
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// The metric snapshot (JSON, or YAML by extension).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// Evaluation time (RFC 3339); default the snapshot's `taken_at`, else the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// When the stage was entered (RFC 3339); default the snapshot's `stage_entered_at`.
    #[arg(long, value_name = "TIME")]
    pub entered_at: Option<String>,
    /// Who is named in the decision statement (default: the policy's `owner`).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How a decision is shown and kept (shared by `eval` and `run`).
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format on stdout; default `text` on a terminal, `json` otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write FORMAT to PATH (or to stdout without `=PATH`); repeatable:
    /// `-o junit=gate.xml -o markdown=summary.md`.
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]", value_parser = parse_output)]
    pub outputs: Vec<OutputSpec>,
    /// Where reports are written: REPORT_DIR/POLICY/ENV/STAGE/STAMP.md and .json.
    #[arg(long, value_name = "DIR", default_value = "docs/sync/status")]
    pub report_dir: PathBuf,
    /// Write no report (nothing is written to disk, except `-o` files).
    #[arg(long)]
    pub no_report: bool,
    /// A custom minijinja template for the markdown report (other `*.j2` files in its
    /// directory may be included by name). Overrides the policy's `report.template`.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

/// One `-o FORMAT[=PATH]`.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    pub format: Format,
    pub path: Option<PathBuf>,
}

fn parse_output(s: &str) -> Result<OutputSpec, String> {
    let (f, path) = match s.split_once('=') {
        Some((f, p)) if !p.is_empty() => (f, Some(PathBuf::from(p))),
        Some((_, _)) => return Err("a path must follow `=`".into()),
        None => (s, None),
    };
    let format = <Format as ValueEnum>::from_str(f, true)
        .map_err(|_| format!("unknown format `{f}` (text, json, markdown, junit, github)"))?;
    Ok(OutputSpec { format, path })
}

/// Output formats of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A short colored summary.
    Text,
    /// The decision JSON.
    Json,
    /// The go/no-go markdown report.
    Markdown,
    /// JUnit XML: one case per gate and series.
    Junit,
    /// GitHub Actions annotations (and the markdown in `$GITHUB_STEP_SUMMARY` when set).
    Github,
}

/// Flags of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// A decision JSON (`--format json` output, or the `.json` beside a report).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// A custom minijinja template for markdown.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}
