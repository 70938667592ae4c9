//! From the files of an evaluation to its decision: the ledger's view of the stage, the
//! evaluation id, the report template, and the engine's evaluation itself. Shared by `eval`,
//! `run`, `watch`, `replay` and the other commands that evaluate.

use std::path::Path;

use rollgate_engine::EvalContext;
use rollgate_engine::decision::{Decision, Inputs};

use crate::args::EvalArgs;
use crate::error::CliError;
use crate::files;
use crate::ledger::{LedgerError, StageView};
use crate::output::Template;

/// The ledger's view of the stage at `now` (empty without a ledger); a ledger that cannot be
/// read, or whose chain is broken, is refused.
pub fn ledger_view(
    ledger: Option<&Path>,
    policy: &str,
    env: &str,
    stage: &str,
    now: f64,
) -> Result<StageView, CliError> {
    let Some(path) = ledger else {
        return Ok(StageView {
            digest: crate::identity::LedgerDigest::default().finish(),
            ..Default::default()
        });
    };
    crate::ledger::stage_view(path, policy, env, stage, now).map_err(|e| ledger_refused(path, &e))
}

/// When the environment entered the policy's first stage, by the ledger's latest `enter` of
/// that stage (None without a ledger or an entry): the start of `rollout` windows.
pub fn rollout_start(
    ledger: Option<&Path>,
    policy: &rollgate_engine::policy::model::Policy,
    params: &std::collections::BTreeMap<String, String>,
    env: &str,
    now: f64,
) -> Result<Option<f64>, CliError> {
    let (Some(_), Some(first)) = (ledger, policy.stages.first()) else {
        return Ok(None);
    };
    let key = crate::ledger::subject(&policy.id, params);
    Ok(ledger_view(ledger, &key, env, &first.id, now)?.entered)
}

/// Why a ledger is not used.
pub fn ledger_refused(path: &Path, e: &LedgerError) -> CliError {
    match e {
        LedgerError::Chain { .. } => {
            CliError::Located(format!("{}; a broken ledger is not used", e.located(path)))
        }
        _ => CliError::Located(e.located(path)),
    }
}

/// Sets the evaluation id of a context from its inputs (see `identity`).
pub fn identify(cx: &mut EvalContext, snapshot_identity: &str, view: &StageView) {
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
) -> Result<Option<Template>, CliError> {
    let path = match (flag, &policy.report_template) {
        (Some(p), _) => p.to_owned(),
        (None, Some(rel)) => policy_path.parent().unwrap_or(Path::new(".")).join(rel),
        (None, None) => return Ok(None),
    };
    crate::output::load_template(&path)
        .map(Some)
        .map_err(CliError::Usage)
}

/// An evaluation's decision, with the template of its report and the policy text it was
/// evaluated from (kept beside the report).
pub struct Decided {
    pub decision: Decision,
    pub template: Option<Template>,
    pub policy_text: String,
}

/// Loads, checks and evaluates the files of `eval`.
pub fn decide(args: &EvalArgs) -> Result<Decided, CliError> {
    let (policy_text, loaded) = crate::load::policy_file(&args.policy)?;
    let (snap, snapshot_sha256) = crate::load::snapshot_file(&args.snapshot)?;
    let now = args.now.or(snap.taken_at).unwrap_or_else(clock_now);
    let params = loaded
        .policy
        .resolve_params(&args.params, &snap.params)
        .map_err(|e| evaluation_refused(&e))?;
    let view = ledger_view(
        args.output.ledger.as_deref(),
        &crate::ledger::subject(&loaded.policy.id, &params),
        &args.env,
        &args.stage,
        now,
    )?;
    let entered_at = args.entered_at.or(view.entered).or(snap.stage_entered_at);
    let rollout_started_at = match args.rollout_started_at {
        Some(t) => Some(t),
        None => rollout_start(
            args.output.ledger.as_deref(),
            &loaded.policy,
            &params,
            &args.env,
            now,
        )?
        .or(snap.rollout_started_at),
    };
    let mut cx = EvalContext {
        environment: args.env.clone(),
        stage: args.stage.clone(),
        now,
        entered_at,
        rollout_started_at,
        params,
        owner: args.owner.clone(),
        clock: Some(crate::clock::monotonic()),
        inputs: Inputs {
            policy_sha256: files::sha256_hex(policy_text.as_bytes()),
            snapshot_sha256: snapshot_sha256.clone(),
            rollgate_version: rollgate_engine::VERSION.to_owned(),
            policy_path: Some(args.policy.display().to_string()),
            snapshot_path: Some(args.snapshot.display().to_string()),
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
        rollgate_engine::evaluate_with_history(&loaded.policy, &snap, &cx, &view.history)
            .map_err(|e| evaluation_refused(&e))?;
    Ok(Decided {
        decision,
        template,
        policy_text,
    })
}

/// The engine's refusal to evaluate, with its help when it has one.
pub fn evaluation_refused(e: &rollgate_engine::EvalError) -> CliError {
    match e.help() {
        Some(h) => CliError::usage(format!("{e}; {h}")),
        None => CliError::usage(e.to_string()),
    }
}

/// The clock, read only here, when neither `--now` nor the snapshot's `taken_at` gives the
/// time (the engine never reads it).
pub fn clock_now() -> f64 {
    let ts = jiff::Timestamp::now();
    ts.as_second() as f64
}
