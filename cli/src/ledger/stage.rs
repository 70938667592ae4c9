//! What an evaluation reads from the ledger (the stage's history, its entry time and the
//! digest of the entries read, which is part of the evaluation's identity) and how it records
//! its decision: once per evaluation id.

use std::path::Path;

use rollgate_engine::history::{Approval, History, Override, PastDecision, Waiver};
use rollgate_engine::snapshot::parse_time;
use serde_json::Value;

use super::{Entry, Kind, LedgerError};
use crate::identity::LedgerDigest;

/// The ledger's view of one (policy, environment, stage) at `now`.
#[derive(Debug, Clone, Default)]
pub struct StageView {
    pub history: History,
    /// The latest `enter` entry at or before `now`.
    pub entered: Option<f64>,
    /// Digest of the entries read (see `identity::LedgerDigest`).
    pub digest: String,
}

/// The stage's view at `now`, from its entries found through the index (see `index`): the
/// cost follows the stage's history, not the ledger's length. Decisions at `now` itself are
/// not history: they are this evaluation's earlier attempt, or another evaluation of the same
/// instant.
pub fn stage_view(
    path: &Path,
    policy: &str,
    env: &str,
    stage: &str,
    now: f64,
) -> Result<StageView, LedgerError> {
    let Some(mut txn) = super::Txn::begin_read(path)? else {
        return Ok(view_of([], policy, env, stage, now));
    };
    // Entries after `now` are never read (a NaN time is read, and skipped below).
    let entries = txn.stage(policy, env, stage, |r| r.time <= now || r.time.is_nan())?;
    Ok(view_of(
        entries.iter().map(|e| (e, None)),
        policy,
        env,
        stage,
        now,
    ))
}

/// The view of a stage at `now` from its entries in ledger order (any others are skipped),
/// each with its digest content when it is known already.
pub fn view_of<'a>(
    entries: impl IntoIterator<Item = (&'a Entry, Option<&'a str>)>,
    policy: &str,
    env: &str,
    stage: &str,
    now: f64,
) -> StageView {
    let mut h = History::default();
    let mut entered = None;
    let mut digest = LedgerDigest::default();
    for (e, known) in entries {
        digest.add_content(e, known, policy, env, stage, now);
        if e.policy != policy || e.env != env || e.stage != stage {
            continue;
        }
        let Some(at) = parse_time(&e.time) else {
            continue;
        };
        if at > now {
            continue;
        }
        take(e, at, now, &mut h, &mut entered);
    }
    // Decisions before the latest entry belong to an earlier visit of the stage.
    if let Some(en) = entered {
        h.decisions.retain(|d| d.at >= en);
        h.approvals.retain(|a| a.at >= en);
        h.overrides.retain(|o| o.at >= en);
    }
    StageView {
        history: h,
        entered,
        digest: digest.finish(),
    }
}

/// Adds one entry of the stage, at `at <= now`, to the history.
fn take(e: &Entry, at: f64, now: f64, h: &mut History, entered: &mut Option<f64>) {
    match e.kind {
        Kind::Enter => *entered = Some(entered.map_or(at, |x: f64| x.max(at))),
        Kind::Decision if at < now => {
            if let Some(v) = e
                .payload
                .get("verdict")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
            {
                // The gates that failed: an `approve` gate's approval must come after its
                // first failure.
                let failed = e
                    .payload
                    .get("gates")
                    .and_then(Value::as_object)
                    .map(|gates| {
                        gates
                            .iter()
                            .filter(|(_, s)| s.as_str() == Some("fail"))
                            .map(|(id, _)| id.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                h.decisions.push(PastDecision {
                    at,
                    verdict: v,
                    failed,
                });
            }
        }
        Kind::Decision => {}
        Kind::Approve => h.approvals.push(Approval {
            at,
            by: e.actor.clone(),
        }),
        Kind::Waive => {
            let gate = e.payload["gate"].as_str().unwrap_or_default().to_owned();
            if let Some(until) = e.payload["until"].as_str().and_then(parse_time) {
                h.waivers.push(Waiver {
                    gate,
                    at,
                    until,
                    by: e.actor.clone(),
                    reason: e.payload["reason"].as_str().unwrap_or_default().to_owned(),
                    ticket: e.payload["ticket"].as_str().map(str::to_owned),
                });
            }
        }
        Kind::Override => h.overrides.push(Override {
            at,
            until: e.payload["until"].as_str().and_then(parse_time),
            by: e.actor.clone(),
            reason: e.payload["reason"].as_str().unwrap_or_default().to_owned(),
            ticket: e.payload["ticket"].as_str().map(str::to_owned),
        }),
        Kind::Note => {}
    }
}

/// The payload of a decision entry.
fn payload(d: &rollgate_engine::decision::Decision) -> Value {
    let gates: serde_json::Map<String, Value> = d
        .gates
        .iter()
        .map(|g| {
            (
                g.id.clone(),
                serde_json::to_value(g.status).unwrap_or(Value::Null),
            )
        })
        .collect();
    let mut p = serde_json::json!({
        "verdict": d.verdict,
        "exit_code": d.exit_code,
        "gates": gates,
        "report": d.report,
        "inputs": { "policy_sha256": d.inputs.policy_sha256, "snapshot_sha256": d.inputs.snapshot_sha256 },
    });
    if let Some(id) = &d.inputs.evaluation_id {
        p["evaluation_id"] = Value::from(id.clone());
    }
    p
}

/// The entry recording a decision (chain fields empty).
pub fn decision_entry(d: &rollgate_engine::decision::Decision, actor: &str) -> Entry {
    super::entry(
        Kind::Decision,
        d.evaluated_at.clone(),
        &super::subject(&d.policy, &d.params),
        &d.environment,
        &d.stage,
        actor,
        payload(d),
    )
}

/// This evaluation's decision, when the ledger already records it (same evaluation id: same
/// inputs, environment, stage, time and ledger history): a retried job is recorded once.
/// Only the stage's decisions at the decision's time are read.
pub fn find_decision(
    txn: &mut super::Txn,
    d: &rollgate_engine::decision::Decision,
) -> Result<Option<Entry>, LedgerError> {
    let at = parse_time(&d.evaluated_at);
    let key = super::subject(&d.policy, &d.params);
    let candidates = txn.stage(&key, &d.environment, &d.stage, |r| {
        r.kind == Kind::Decision && at.is_none_or(|t| r.time == t)
    })?;
    let payload = payload(d);
    Ok(candidates.into_iter().find(|x| {
        if x.time != d.evaluated_at {
            return false;
        }
        match (x.payload.get("evaluation_id"), payload.get("evaluation_id")) {
            (Some(a), Some(b)) => a == b,
            // Entries written before evaluation ids: equal payloads are the same evaluation.
            _ => x.payload == payload,
        }
    }))
}

/// Appends a decision entry unless the ledger already records this evaluation; the entry,
/// and whether it was appended.
pub fn record_decision(
    path: &Path,
    d: &rollgate_engine::decision::Decision,
    actor: &str,
) -> Result<(Entry, bool), LedgerError> {
    let mut txn = super::Txn::begin(path)?;
    if let Some(found) = find_decision(&mut txn, d)? {
        return Ok((found, false));
    }
    txn.append(decision_entry(d, actor)).map(|e| (e, true))
}
