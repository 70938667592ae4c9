//! `rollgate eval`: load the policy and the snapshot, evaluate, print the decision, exit
//! with the verdict's code.

use std::path::Path;

use rollgate_engine::EvalContext;
use rollgate_engine::decision::{Decision, Inputs};
use rollgate_engine::snapshot::{self, Snapshot};

use crate::args::EvalArgs;
use crate::diagnostics::{Style, emit};
use crate::exit::Exit;
use crate::files;

/// Largest snapshot read (bytes): a day of 1 s samples for 100 metrics is about 180 MB.
const MAX_SNAPSHOT_BYTES: u64 = 2 << 30;

pub fn run(args: &EvalArgs) -> Exit {
    match decide(args) {
        Ok((decision, template, policy)) => super::conclude::conclude(
            decision,
            &args.output,
            template.as_ref(),
            Vec::new(),
            &policy,
        ),
        Err(exit) => exit,
    }
}

pub use super::conclude::verdict_exit;

/// The ledger's view of the stage at `now` (empty without a ledger); a ledger that cannot be
/// read, or whose chain is broken, is refused (printed, exit 2).
pub fn ledger_view(
    ledger: Option<&Path>,
    policy: &str,
    env: &str,
    stage: &str,
    now: f64,
) -> Result<crate::ledger::StageView, Exit> {
    let Some(path) = ledger else {
        return Ok(crate::ledger::StageView {
            digest: crate::identity::LedgerDigest::default().finish(),
            ..Default::default()
        });
    };
    crate::ledger::stage_view(path, policy, env, stage, now).map_err(|e| ledger_refused(path, &e))
}

/// Says why a ledger is not used (printed); exit 2.
pub fn ledger_refused(path: &Path, e: &crate::ledger::LedgerError) -> Exit {
    match e {
        crate::ledger::LedgerError::Chain { .. } => {
            eprintln!("{}; a broken ledger is not used", e.located(path));
        }
        _ => eprintln!("{}", e.located(path)),
    }
    Exit::Invalid
}

/// Sets the evaluation id of a context from its inputs (see `identity`).
pub fn identify(cx: &mut EvalContext, snapshot_identity: &str, view: &crate::ledger::StageView) {
    cx.inputs.evaluation_id = Some(crate::identity::evaluation_id(
        cx,
        snapshot_identity,
        &view.digest,
    ));
}

/// The report template: `--template`, else the policy's `report.template` (relative to the
/// policy file).
pub fn template_for(
    flag: Option<&Path>,
    policy_path: &Path,
    policy: &rollgate_engine::policy::model::Policy,
) -> Result<Option<crate::output::Template>, Exit> {
    let path = match (flag, &policy.report_template) {
        (Some(p), _) => p.to_owned(),
        (None, Some(rel)) => policy_path.parent().unwrap_or(Path::new(".")).join(rel),
        (None, None) => return Ok(None),
    };
    crate::output::load_template(&path).map(Some).map_err(|m| {
        eprintln!("error: {m}");
        Exit::Invalid
    })
}

/// Reads and validates a policy file (diagnostics printed on failure).
pub fn load_policy_file(path: &Path) -> Result<(String, rollgate_engine::Loaded), Exit> {
    let shown = path.display().to_string();
    let text = files::read_text(path).map_err(|m| {
        eprintln!("{shown}: {m}");
        Exit::Invalid
    })?;
    let loaded = rollgate_engine::load_policy(&text).map_err(|diags| {
        emit(&shown, &text, &diags, Style::detect());
        Exit::Invalid
    })?;
    Ok((text, loaded))
}

/// Snapshots below this size are hashed on the parsing thread: hashing them takes well under
/// a millisecond, not worth starting a thread for.
const HASH_ON_SECOND_CORE_FROM: usize = 256 << 10;

/// Reads a snapshot file (JSON, or YAML by extension) and its sha256, hashing a large one on
/// the second core while parsing.
pub fn load_snapshot_file(path: &Path) -> Result<(Snapshot, String), Exit> {
    let shown = path.display().to_string();
    let bytes = files::read_bytes(path, MAX_SNAPSHOT_BYTES).map_err(|m| {
        eprintln!("{shown}: {m}");
        Exit::Invalid
    })?;
    let (snap, sha) = if bytes.len() < HASH_ON_SECOND_CORE_FROM {
        (parse_snapshot(path, &bytes), files::sha256_hex(&bytes))
    } else {
        std::thread::scope(|s| {
            let hasher = s.spawn(|| files::sha256_hex(&bytes));
            let parsed = parse_snapshot(path, &bytes);
            (parsed, hasher.join().unwrap_or_default())
        })
    };
    let snap = snap.map_err(|e| {
        eprintln!("{shown}: at `{}`: {}", e.path, e.message);
        Exit::Invalid
    })?;
    for w in &snap.warnings {
        eprintln!("{shown}: warning: {w}");
    }
    Ok((snap, sha))
}

/// Loads, checks and evaluates; every refusal has been printed when Err returns.
/// The decision, its template, and the policy text it was evaluated from (kept beside the
/// report).
pub fn decide(
    args: &EvalArgs,
) -> Result<(Decision, Option<crate::output::Template>, String), Exit> {
    let policy_path = args.policy.display().to_string();
    let (policy_text, loaded) = load_policy_file(&args.policy)?;
    let snap_path = args.snapshot.display().to_string();
    let (snap, snapshot_sha256) = load_snapshot_file(&args.snapshot)?;
    let now = match &args.now {
        Some(t) => time_flag("--now", t)?,
        None => match snap.taken_at {
            Some(t) => t,
            None => clock_now(),
        },
    };
    let view = ledger_view(
        args.output.ledger.as_deref(),
        &loaded.policy.id,
        &args.env,
        &args.stage,
        now,
    )?;
    let entered_at = match &args.entered_at {
        Some(t) => Some(time_flag("--entered-at", t)?),
        None => view.entered.or(snap.stage_entered_at),
    };
    let mut cx = EvalContext {
        environment: args.env.clone(),
        stage: args.stage.clone(),
        now,
        entered_at,
        owner: args.owner.clone(),
        clock: Some(crate::clock::monotonic()),
        inputs: Inputs {
            policy_sha256: files::sha256_hex(policy_text.as_bytes()),
            snapshot_sha256: snapshot_sha256.clone(),
            rollgate_version: rollgate_engine::VERSION.to_owned(),
            policy_path: Some(policy_path),
            snapshot_path: Some(snap_path),
            evaluation_id: None,
            ledger_head: None,
        },
    };
    // A snapshot file is identified by its bytes.
    identify(&mut cx, &snapshot_sha256, &view);
    let template = template_for(
        args.output.template.as_deref(),
        &args.policy,
        &loaded.policy,
    )?;
    let decision =
        rollgate_engine::evaluate_with_history(&loaded.policy, &snap, &cx, &view.history).map_err(
            |e| {
                match e.help() {
                    Some(h) => eprintln!("error: {e}; {h}"),
                    None => eprintln!("error: {e}"),
                }
                Exit::Invalid
            },
        )?;
    Ok((decision, template, policy_text))
}

fn parse_snapshot(path: &Path, bytes: &[u8]) -> Result<Snapshot, snapshot::SnapshotError> {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if yaml {
        let text = std::str::from_utf8(bytes).map_err(|e| snapshot::SnapshotError {
            path: "$".into(),
            message: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        })?;
        snapshot::from_yaml(text)
    } else {
        snapshot::from_json(bytes)
    }
}

/// Parses an RFC 3339 flag value; a bad one is a usage error (exit 2).
pub fn time_flag(flag: &str, value: &str) -> Result<f64, Exit> {
    snapshot::parse_time(value).ok_or_else(|| {
        eprintln!("error: {flag} {}", snapshot::time_problem(value));
        Exit::Invalid
    })
}

/// The clock, read only here, when neither `--now` nor the snapshot's `taken_at` gives the
/// time (the engine never reads it).
fn clock_now() -> f64 {
    let ts = jiff::Timestamp::now();
    ts.as_second() as f64
}

/// A positive duration flag (`--timeout 30s`), in seconds; a bad one is a usage error.
pub fn duration_flag(flag: &str, value: &str) -> Result<i64, Exit> {
    rollgate_engine::policy::duration::Duration::parse(value)
        .ok()
        .filter(|d| d.seconds > 0)
        .map(|d| d.seconds)
        .ok_or_else(|| {
            eprintln!("error: {flag} `{value}` is not a duration like `30s` or `2m`");
            Exit::Invalid
        })
}
