//! `rollgate fetch` (sources -> snapshot) and `rollgate run` (fetch, evaluate, report with
//! the snapshot beside it). A source that fails is recorded in the snapshot's evidence; its
//! gates are then `error`, so `run` says NO-GO, never GO.

use std::io::{IsTerminal, Write};
use std::path::Path;

use rollgate_engine::Loaded;
use rollgate_engine::decision::Inputs;
use rollgate_engine::snapshot::{self, Snapshot};
use rollgate_engine::{EvalContext, EvalError};

use crate::args::{FetchArgs, RunArgs, SourceArgs};
use crate::error::CliError;
use crate::evaluate::{identify, ledger_view, template_for};
use crate::exit::Exit;
use crate::sources;

pub fn fetch(args: &FetchArgs) -> Result<Exit, CliError> {
    let (_, _, snap) = fetched(&args.source, None)?;
    let text = snapshot::to_json(&snap);
    let written = match &args.out {
        Some(p) => {
            crate::write::replace(p, text.as_bytes()).map(|()| eprintln!("wrote {}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| e.to_string())
        }
    };
    written.map_err(CliError::Usage)?;
    Ok(if snap.evidence.values().any(|e| e.error.is_some()) {
        Exit::NoGo
    } else {
        Exit::Go
    })
}

pub fn run(args: &RunArgs) -> Result<Exit, CliError> {
    let (policy_text, loaded, snap) = fetched(&args.source, args.output.ledger.as_deref())?;
    let now = snap.taken_at.unwrap_or_default();
    let view = ledger_view(
        args.output.ledger.as_deref(),
        &crate::ledger::subject(&loaded.policy.id, &snap.params),
        &args.source.env,
        &args.source.stage,
        now,
    )?;
    let (decision, bytes) = evaluate_fetched(
        &policy_text,
        &loaded,
        &snap,
        &args.source,
        args.owner.clone(),
        &view,
    )?;
    let template = template_for(
        args.output.template.as_deref(),
        &args.source.policy,
        &loaded.policy,
    )?;
    super::conclude::conclude(
        decision,
        &args.output,
        template.as_ref(),
        vec![(".snapshot.json".to_owned(), bytes)],
        &policy_text,
    )
}

/// Evaluates a snapshot rollgate fetched (for `run` and each `watch` tick): its evaluation
/// id leaves out the fetch times, so the same data fetched again is the same evaluation.
/// Returns the decision and the snapshot's bytes (kept beside `run`'s report).
pub fn evaluate_fetched(
    policy_text: &str,
    loaded: &Loaded,
    snap: &Snapshot,
    src: &SourceArgs,
    owner: Option<String>,
    view: &crate::ledger::StageView,
) -> Result<(rollgate_engine::decision::Decision, Vec<u8>), CliError> {
    let bytes = snapshot::to_json(snap).into_bytes();
    let mut cx = EvalContext {
        environment: src.env.clone(),
        stage: src.stage.clone(),
        now: snap.taken_at.unwrap_or_default(),
        entered_at: snap.stage_entered_at,
        rollout_started_at: snap.rollout_started_at,
        params: snap.params.clone(),
        owner,
        clock: Some(crate::clock::monotonic()),
        inputs: Inputs {
            policy_sha256: crate::files::sha256_hex(policy_text.as_bytes()),
            snapshot_sha256: crate::files::sha256_hex(&bytes),
            rollgate_version: rollgate_engine::VERSION.to_owned(),
            policy_path: Some(src.policy.display().to_string()),
            snapshot_path: None,
            evaluation_id: None,
            ledger_head: None,
        },
    };
    identify(&mut cx, &crate::identity::fetched_snapshot(snap), view);
    let d = rollgate_engine::evaluate_with_history(&loaded.policy, snap, &cx, &view.history)
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok((d, bytes))
}

/// Loads the policy, checks the environment and stage, fetches. Source failures are
/// printed (and kept in the evidence); invalid input is Err.
fn fetched(a: &SourceArgs, ledger: Option<&Path>) -> Result<(String, Loaded, Snapshot), CliError> {
    let (text, loaded) = crate::load::policy_file(&a.policy)?;
    let policy = &loaded.policy;
    // The plan of the stage in the environment: also what refuses an undeclared one.
    let plan = policy
        .plan(&a.env, &a.stage)
        .map_err(|e| refused(&policy.id, &e))?;
    let now = a.now.unwrap_or_else(|| sources::clock().floor());
    let params = policy
        .resolve_params(&a.params, &Default::default())
        .map_err(|e| refused(&policy.id, &e))?;
    let key = crate::ledger::subject(&policy.id, &params);
    let entered_at = match a.entered_at {
        Some(t) => Some(t),
        // The ledger's latest `enter`, when no flag gives the entry time.
        None => ledger_view(ledger, &key, &a.env, &a.stage, now)?.entered,
    };
    let rollout_started_at = match a.rollout_started_at {
        Some(t) => Some(t),
        None => crate::evaluate::rollout_start(ledger, policy, &params, &a.env, now)?,
    };
    let prometheus_url = a.prometheus_url.clone().or_else(|| {
        std::env::var("ROLLGATE_PROMETHEUS_URL")
            .ok()
            .filter(|s| !s.is_empty())
    });
    if let Some(u) = &prometheus_url {
        let ok = reqwest::Url::parse(u).is_ok_and(|x| matches!(x.scheme(), "http" | "https"));
        if !ok {
            return Err(CliError::usage(format!(
                "the Prometheus URL `{}` is not an http(s) URL",
                rollgate_engine::format::redact_url(u)
            )));
        }
    }
    let reach = operator_reach(a, prometheus_url.as_deref())?;
    let max_response = sources::parse_size(&a.max_response)
        .map_err(|e| CliError::usage(format!("--max-response: {e}")))?;
    let opts = sources::Options {
        environment: a.env.clone(),
        stage: a.stage.clone(),
        now,
        entered_at,
        rollout_started_at,
        params,
        prometheus_url,
        reach: std::sync::Arc::new(reach),
        max_response,
        timeout: std::time::Duration::from_secs(a.timeout as u64),
        deadline: std::time::Duration::from_secs(a.deadline as u64),
        lookback: a.lookback as f64,
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    };
    for name in sources::sourceless(policy, &plan, &opts) {
        eprintln!(
            "note: `{name}` has no source in the policy; gates reading it will be inconclusive"
        );
    }
    let snap = sources::fetch(policy, &plan, &opts);
    for (name, e) in &snap.evidence {
        if let Some(why) = &e.error {
            eprintln!("error: source of `{name}` failed: {why}");
        }
    }
    Ok((text, loaded, snap))
}

/// Says why the policy has no plan for the flags (an undeclared environment or stage).
fn refused(policy: &str, e: &EvalError) -> CliError {
    let help = e.help().map(|h| format!("; {h}")).unwrap_or_default();
    CliError::usage(match e {
        EvalError::UnknownEnvironment { env, .. } => {
            format!("policy `{policy}` has no environment `{env}`{help}")
        }
        EvalError::UnknownStage { stage, .. } => {
            format!("policy `{policy}` has no stage `{stage}`{help}")
        }
        EvalError::SnapshotMismatch { .. }
        | EvalError::UnknownParam { .. }
        | EvalError::MissingParam { .. }
        | EvalError::BadParam { .. } => format!("{e}{help}"),
    })
}

/// The operator's grants (flags and environment; never the policy): hosts that may receive
/// credentials, directories files are read below, programs that may run.
fn operator_reach(
    a: &SourceArgs,
    prometheus_url: Option<&str>,
) -> Result<sources::Reach, CliError> {
    use sources::Grant;
    let invalid = |what: &str, why: String| CliError::usage(format!("{what}: {why}"));
    let mut reach = sources::Reach::default();
    if let Some(u) = prometheus_url {
        reach
            .allow(Grant::Url(u))
            .map_err(|e| invalid("the Prometheus URL", e))?;
    }
    reach
        .allow(Grant::Url(&sources::github_api_url()))
        .map_err(|e| invalid("ROLLGATE_GITHUB_API_URL", e))?;
    for h in &a.allow_host {
        reach
            .allow(Grant::Host(h))
            .map_err(|e| invalid("--allow-host", e))?;
    }
    if let Ok(list) = std::env::var("ROLLGATE_ALLOW_HOSTS") {
        for h in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            reach
                .allow(Grant::Host(h))
                .map_err(|e| invalid("ROLLGATE_ALLOW_HOSTS", e))?;
        }
    }
    let policy_dir = match a.policy.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    reach
        .allow_dir(policy_dir)
        .map_err(|e| invalid("the policy's directory", e))?;
    reach
        .allow_dir(Path::new("."))
        .map_err(|e| invalid("the working directory", e))?;
    for d in &a.allow_path {
        reach.allow_dir(d).map_err(|e| invalid("--allow-path", e))?;
    }
    reach.set_exec(match &a.allow_exec {
        None => sources::Exec::Never,
        Some(list) if list.is_empty() => sources::Exec::Any,
        Some(list) => {
            let programs: Vec<String> = list
                .iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            if programs.is_empty() {
                // `--allow-exec=$EMPTY` must not widen to every program.
                return Err(invalid(
                    "--allow-exec",
                    "`=` lists no program; give `--allow-exec` alone to allow any".into(),
                ));
            }
            sources::Exec::Only(programs)
        }
    });
    Ok(reach)
}

/// Fetch for one tick of `watch` (source failures printed, kept in the evidence).
pub fn fetched_for_watch(a: &SourceArgs, ledger: Option<&Path>) -> Result<Snapshot, CliError> {
    fetched(a, ledger).map(|(_, _, s)| s)
}
