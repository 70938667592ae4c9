//! `rollgate replay REPORT.json`: re-evaluates a stored decision from the policy and snapshot
//! it recorded (both must still match their digests) and confirms the decision is
//! byte-identical, or shows where it differs (exit 1).

use std::path::{Path, PathBuf};

use rollgate_engine::EvalContext;

use rollgate_engine::decision::Decision;

use crate::error::CliError;
use crate::evaluate::ledger_view;
use crate::exit::Exit;

pub fn run(report: &Path, ledger: Option<&Path>) -> Result<Exit, CliError> {
    // The `.md` report or its `.json` decision.
    let json_path: PathBuf = if report.extension().is_some_and(|e| e == "md") {
        report.with_extension("json")
    } else {
        report.to_owned()
    };
    // `read_decision` has said why it failed.
    let (text, stored) =
        crate::files::read_decision(&json_path).map_err(|()| CliError::Reported)?;
    let (Some(policy_path), Some(snapshot_path)) =
        (&stored.inputs.policy_path, &stored.inputs.snapshot_path)
    else {
        return Err(CliError::file(
            &json_path,
            "the decision does not record its policy and snapshot paths; it cannot be replayed",
        ));
    };
    let with_params = !stored.params.is_empty();
    let (policy_path, copied) = policy_source(&json_path, &stored.inputs, policy_path, with_params);
    let (policy_text, loaded) = crate::load::policy_file(&policy_path)?;
    let policy_sha = crate::files::sha256_hex(policy_text.as_bytes());
    if policy_sha != stored.inputs.policy_sha256 {
        let what = if copied {
            "the stored policy copy does not match its digest: it was changed"
        } else {
            "has changed since the decision"
        };
        println!(
            "NOT REPRODUCIBLE: `{}` {what} (sha256 {} then, {policy_sha} now)",
            policy_path.display(),
            stored.inputs.policy_sha256
        );
        return Ok(Exit::NoGo);
    }
    let (snap, snap_sha) = crate::load::snapshot_file(Path::new(snapshot_path))?;
    if snap_sha != stored.inputs.snapshot_sha256 {
        println!(
            "NOT REPRODUCIBLE: `{snapshot_path}` has changed since the decision (sha256 {} then, {snap_sha} now)",
            stored.inputs.snapshot_sha256
        );
        return Ok(Exit::NoGo);
    }
    if let Some(l) = ledger
        && let Some(problem) = ledger_lost_entry(l, &json_path, &stored)?
    {
        println!("LEDGER CHANGED: {}: {problem}", l.display());
        return Ok(Exit::NoGo);
    }
    let fresh = reevaluate(&json_path, &stored, &loaded.policy, &snap, ledger)?;
    if fresh == text {
        println!(
            "REPRODUCED: {} for `{}` in `{}` at `{}` ({}), byte for byte",
            stored.verdict.label(),
            stored.policy,
            stored.environment,
            stored.stage,
            stored.evaluated_at
        );
        return Ok(Exit::Go);
    }
    println!(
        "DIFFERS: re-evaluating gives another decision than `{}`:",
        json_path.display()
    );
    print_differences(&text, &fresh);
    Ok(Exit::NoGo)
}

/// A ledger that no longer holds the entry that recorded the decision lost entries: what is
/// wrong, if anything.
fn ledger_lost_entry(
    ledger: &Path,
    json_path: &Path,
    stored: &Decision,
) -> Result<Option<String>, CliError> {
    let Some(claim) = crate::ledger::Claim::of(json_path, stored) else {
        return Ok(None);
    };
    crate::ledger::check_claim(ledger, &claim).map_err(|e| CliError::Located(e.located(ledger)))
}

/// The decision JSON of evaluating the stored decision's inputs again.
fn reevaluate(
    json_path: &Path,
    stored: &Decision,
    policy: &rollgate_engine::policy::model::Policy,
    snap: &rollgate_engine::snapshot::Snapshot,
    ledger: Option<&Path>,
) -> Result<String, CliError> {
    let now = rollgate_engine::snapshot::parse_time(&stored.evaluated_at)
        .ok_or_else(|| CliError::file(json_path, "`evaluated_at` is not a time"))?;
    let entered_at = stored
        .entered_at
        .as_deref()
        .and_then(rollgate_engine::snapshot::parse_time);
    let key = crate::ledger::subject(&policy.id, &stored.params);
    let view = ledger_view(ledger, &key, &stored.environment, &stored.stage, now)?;
    let cx = EvalContext {
        environment: stored.environment.clone(),
        stage: stored.stage.clone(),
        now,
        entered_at,
        rollout_started_at: stored
            .rollout_started_at
            .as_deref()
            .and_then(rollgate_engine::snapshot::parse_time),
        params: stored.params.clone(),
        owner: stored.owner.clone(),
        clock: Some(crate::clock::monotonic()),
        inputs: stored.inputs.clone(),
    };
    let mut again = rollgate_engine::evaluate_with_history(policy, snap, &cx, &view.history)
        .map_err(|e| CliError::usage(e.to_string()))?;
    again.report = stored.report.clone();
    // Where the decision was recorded is not recomputed: it was checked above.
    again.inputs.ledger_head = stored.inputs.ledger_head.clone();
    Ok(rollgate_engine::render::json::to_string(&again))
}

/// The first ten lines that differ between the stored and the fresh decision JSON.
fn print_differences(text: &str, fresh: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (text.lines().collect(), fresh.lines().collect());
    let mut shown_lines = 0;
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(""),
            b.get(i).copied().unwrap_or(""),
        );
        if x != y {
            let (x, y) = if x.trim() == y.trim() {
                // Only whitespace differs: show it, or the two lines would look the same.
                (visible(x), visible(y))
            } else {
                (x.trim().to_owned(), y.trim().to_owned())
            };
            println!("  line {}:\n  - {x}\n  + {y}", i + 1);
            shown_lines += 1;
            if shown_lines == 10 {
                println!("  ...");
                break;
            }
        }
    }
}

/// The policy to re-evaluate with: the copy kept beside the reports (`policies/<sha256>.yaml`
/// under the report directory, four levels above `POLICY/ENV/STAGE/STAMP.json`, five above
/// `POLICY/PARAMS/ENV/STAGE/STAMP.json` for a decision with parameters), so an edit of the
/// policy file since (a comment) does not matter; the recorded path when there is no copy,
/// said on stderr. `true` when it is the copy.
fn policy_source(
    json_path: &Path,
    inputs: &rollgate_engine::decision::Inputs,
    recorded: &str,
    with_params: bool,
) -> (PathBuf, bool) {
    let report_dir = json_path.ancestors().nth(if with_params { 5 } else { 4 });
    if let Some(dir) = report_dir {
        let copy = crate::write::policy_copy(dir, &inputs.policy_sha256);
        if copy.exists() {
            return (copy, true);
        }
        eprintln!(
            "note: no stored copy of the policy at `{}`; reading `{recorded}`",
            copy.display()
        );
    }
    (PathBuf::from(recorded), false)
}

/// A line with its whitespace made visible (`·` a space, `→` a tab), for lines that differ
/// only there.
fn visible(line: &str) -> String {
    format!(
        "{} (whitespace shown: · space, → tab)",
        line.replace(' ', "·").replace('\t', "→")
    )
}
