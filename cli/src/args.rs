//! The command line, defined once with clap; completions and the man page come from it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;
use crate::flags::{duration, every, param, period, time};

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
        /// The time a shadow gate's `enforce_from` is compared with (RFC 3339); default the
        /// clock. A date that has passed is a warning: the key can go.
        #[arg(long, value_name = "TIME", value_parser = time)]
        now: Option<f64>,
    },
    /// Evaluate one stage of one environment against a snapshot; print the decision; exit
    /// with the verdict's code.
    Eval(EvalArgs),
    /// Run the policy's sources for a stage's windows and write a snapshot (stdout by
    /// default). Exit 1 when a source failed (the snapshot records why).
    Fetch(FetchArgs),
    /// Fetch, then evaluate: the usual CI call. The snapshot is kept beside the report.
    Run(RunArgs),
    /// The rollout ledger: an append-only, hash-chained record of stage entries, decisions,
    /// approvals and waivers.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Fetch and evaluate every `--every` for `--for` (a post-promotion monitor); exit 4 at
    /// once on ROLLBACK, otherwise with the last verdict.
    Watch(WatchArgs),
    /// Re-evaluate a stored decision from its recorded policy and snapshot and confirm it is
    /// byte-identical (exit 0), or show the difference (exit 1).
    Replay {
        /// The decision JSON beside a report (or the report itself).
        report: PathBuf,
        /// The ledger the decision was made with, if any.
        #[arg(long, value_name = "FILE")]
        ledger: Option<PathBuf>,
    },
    /// Run policy test files (`*.test.yaml`; a directory: every one below it). The last
    /// line is `N passed, N failed`. With `--capture`, write a test case from a snapshot.
    Test(TestArgs),
    /// Evaluate stored snapshots under two versions of a policy and list every decision
    /// that would flip, with the gates responsible.
    DiffPolicy(DiffPolicyArgs),
    /// Re-render a stored decision (the JSON beside a report) in another format.
    Render(RenderArgs),
    /// Write a commented starter policy and its test file (which validate and pass), to
    /// start from something that works.
    Init {
        /// Which starter: a canary rollout, a blue-green switch, post-release monitoring, or
        /// an SLO-gated rollout (burn rates, freezes, deploy hours).
        #[arg(long, value_enum)]
        template: InitTemplate,
        /// The policy file to write (its test file is written beside it, `NAME.test.yaml`);
        /// default `TEMPLATE.yaml` in the current directory. Existing files are never
        /// overwritten.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
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

/// The starters `rollgate init` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InitTemplate {
    Canary,
    BlueGreen,
    Monitor,
    Slo,
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
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub now: Option<f64>,
    /// When the stage was entered (RFC 3339); default the snapshot's `stage_entered_at`.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub entered_at: Option<f64>,
    /// When the environment entered the policy's first stage (RFC 3339), for `rollout`
    /// windows; default the ledger's latest `enter` of the first stage, else the snapshot's
    /// `rollout_started_at`.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub rollout_started_at: Option<f64>,
    /// Who is named in the decision statement (default: the policy's `owner`).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// A policy parameter, `NAME=VALUE` (repeatable); default the snapshot's `params`, else
    /// the parameter's `default`.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
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
    /// A ledger to read stage entries, approvals and waivers from, and to append the decision
    /// to (once per distinct evaluation).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
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

/// Flags of `test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Test files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Run only tests whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub run: Option<String>,
    /// A policy parameter for every test case, `NAME=VALUE` (repeatable); a case's own
    /// `params` win.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
    /// `text` (a line per test), or `junit` (XML on stdout, the summary on stderr).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TestFormat,
    /// List, per policy, gates never evaluated by any test and gates never seen failing.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when a policy's coverage is below PCT (compared exactly).
    #[arg(long, value_name = "PCT")]
    pub coverage_threshold: Option<String>,
    /// Write a test case from this snapshot that expects today's decision (with --policy,
    /// --env, --stage).
    #[arg(long, value_name = "SNAPSHOT", requires_all = ["policy", "env", "stage"])]
    pub capture: Option<PathBuf>,
    /// The policy (for --capture).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The environment (for --capture).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// The stage (for --capture).
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// Evaluation time for --capture (default: the snapshot's `taken_at`).
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub now: Option<f64>,
    /// Stage entry time for --capture (default: the snapshot's `stage_entered_at`).
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub entered_at: Option<f64>,
    /// The captured test's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Where --capture writes the test file (default: stdout). An existing file is not
    /// overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Output of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Text,
    Junit,
}

/// Flags of `diff-policy`.
#[derive(Debug, clap::Args)]
pub struct DiffPolicyArgs {
    /// The policy as it is.
    pub old: PathBuf,
    /// The policy as proposed.
    pub new: PathBuf,
    /// A directory of stored snapshots (searched recursively; each is evaluated at its
    /// recorded environment, stage and time).
    #[arg(long, value_name = "DIR")]
    pub snapshots: PathBuf,
}

/// What `fetch` and `run` fetch, and how.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The environment.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The stage whose gates (and the guards) are fetched for.
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// The end of every window (RFC 3339); default the clock.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub now: Option<f64>,
    /// When the stage was entered (RFC 3339), for holds and `stage` windows.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub entered_at: Option<f64>,
    /// When the environment entered the policy's first stage (RFC 3339), for `rollout`
    /// windows; default the ledger's latest `enter` of the first stage.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub rollout_started_at: Option<f64>,
    /// A policy parameter, `NAME=VALUE` (repeatable); default the parameter's `default`.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
    /// Prometheus base URL, overriding the policy's (also ROLLGATE_PROMETHEUS_URL).
    #[arg(long, value_name = "URL")]
    pub prometheus_url: Option<String>,
    /// Let `command` sources run: any program, or with `=PROG,...` only those programs (as
    /// written in the policy's `argv[0]`).
    #[arg(
        long,
        value_name = "PROGRAMS",
        num_args = 0..=1,
        require_equals = true,
        value_delimiter = ',',
        action = clap::ArgAction::Append
    )]
    pub allow_exec: Option<Vec<String>>,
    /// A host that may receive the operator's credentials (header secrets, the Prometheus
    /// and GitHub tokens) and that sources may reach even at a link-local or metadata
    /// address. Repeatable; `name`, `name:port` or `*.example.com`. Also
    /// ROLLGATE_ALLOW_HOSTS (comma-separated).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// A directory `file` sources may read below, besides the policy's directory and the
    /// working directory. Repeatable.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// Per-request timeout.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    pub timeout: i64,
    /// The largest answer read from a server (`256MiB`, `1GiB`, ...): a larger one is an
    /// error, stopped as soon as it passes the limit.
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    pub max_response: String,
    /// Deadline for the whole fetch.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = duration)]
    pub deadline: i64,
    /// History read for gates without a bounded window (the whole snapshot, or `stage` with
    /// no entry time).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration)]
    pub lookback: i64,
}

/// Flags of `fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Write the snapshot here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Flags of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Who is named in the decision statement (default: the policy's `owner`).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Which stage a ledger entry is about.
#[derive(Debug, Clone, clap::Args)]
pub struct LedgerTarget {
    /// The ledger file (JSON Lines; created if missing).
    pub file: PathBuf,
    /// The policy: its id, or its file.
    #[arg(long, value_name = "POLICY")]
    pub policy: String,
    #[arg(long, value_name = "ENV")]
    pub env: String,
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// When (RFC 3339); default the clock.
    #[arg(long, value_name = "TIME", value_parser = time)]
    pub at: Option<f64>,
    /// Who (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// The parameters of the rollout this entry is about, `NAME=VALUE` (repeatable): a
    /// parameterized policy keeps one ledger history per set of values.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<(String, String)>,
}

/// `ledger` subcommands.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Record that a stage was entered (holds count from here).
    Enter(LedgerTarget),
    /// Record a named person's approval of a stage.
    Approve(LedgerTarget),
    /// Waive a gate until an expiry: while it fails, it does not block.
    Waive {
        #[command(flatten)]
        target: LedgerTarget,
        #[arg(long, value_name = "GATE")]
        gate: String,
        /// Expiry (RFC 3339).
        #[arg(long, value_name = "TIME", value_parser = time)]
        until: f64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long, value_name = "ID")]
        ticket: Option<String>,
    },
    /// Let a stage promote through a freeze or outside deploy hours (an emergency): shown in
    /// the report as "freeze overridden by NAME: REASON (TICKET)". Rolling back never needs
    /// one.
    Override {
        #[command(flatten)]
        target: LedgerTarget,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long, value_name = "ID")]
        ticket: String,
        /// When it stops applying (RFC 3339); default: for the rest of this visit of the stage.
        #[arg(long, value_name = "TIME", value_parser = time)]
        until: Option<f64>,
    },
    /// Record a note.
    Note {
        #[command(flatten)]
        target: LedgerTarget,
        #[arg(long, value_name = "TEXT")]
        text: String,
    },
    /// Print the entries (one line each), optionally of one policy, environment or stage.
    Show {
        file: PathBuf,
        #[arg(long)]
        policy: Option<String>,
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        stage: Option<String>,
    },
    /// Recompute the hash chain; exit 1 at the first entry altered, removed or reordered.
    /// With `--against`, also exit 1 when a report says the ledger held an entry it no longer
    /// holds (its last entries were removed, or replaced).
    Verify {
        file: PathBuf,
        /// A report directory (walked) whose decisions name the entries that recorded them.
        #[arg(long, value_name = "REPORT_DIR")]
        against: Option<PathBuf>,
        /// Drop a torn last line (a crash mid-append) and record a `note` entry saying what
        /// was dropped; anything else wrong is still reported, never repaired.
        #[arg(long)]
        repair_tail: bool,
    },
}

/// Flags of `watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Time between ticks.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = every)]
    pub every: f64,
    /// How long to watch, in wall time: a tick that would start after it does not start.
    #[arg(long = "for", value_name = "DURATION", default_value = "10m", value_parser = period)]
    pub period: f64,
    /// The ledger each decision is appended to.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// How each tick is printed: `text` (one line) or `json` (one JSON object per line).
    #[arg(long, value_enum, default_value = "text")]
    pub format: WatchFormat,
    /// Also write each tick's decision as FORMAT to PATH (replaced every tick), or to stdout
    /// without `=PATH`, as `eval -o` does; repeatable.
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]", value_parser = parse_output)]
    pub outputs: Vec<OutputSpec>,
    /// A custom minijinja template for `-o markdown`.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

/// How `watch` prints its ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// One line per tick.
    Text,
    /// One JSON object per tick, one per line.
    Json,
}
