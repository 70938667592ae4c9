//! What an evaluation reads from the ledger (the stage's history, its entry time and the
//! digest of the entries read, which is part of the evaluation's identity) and how it records
//! its decision: once per evaluation id.

use std::path::Path;

use rollgate_engine::history::{Approval, History, PastDecision, Waiver};
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

/// Streams the ledger (checking its chain) into the stage's view at `now`. Decisions at `now`
/// itself are not history: they are this evaluation's earlier attempt, or another evaluation
/// of the same instant.
pub fn stage_view(
    path: &Path,
    policy: &str,
    env: &str,
    stage: &str,
    now: f64,
) -> Result<StageView, LedgerError> {
    let mut h = History::default();
    let mut entered = None;
    let mut digest = LedgerDigest::default();
    super::scan(path, true, |e| {
        digest.add(e, policy, env, stage, now);
        if e.policy != policy || e.env != env || e.stage != stage {
            return;
        }
        let Some(at) = parse_time(&e.time) else {
            return;
        };
        if at > now {
            return;
        }
        take(e, at, now, &mut h, &mut entered);
    })?;
    // Decisions before the latest entry belong to an earlier visit of the stage.
    if let Some(en) = entered {
        h.decisions.retain(|d| d.at >= en);
        h.approvals.retain(|a| a.at >= en);
    }
    Ok(StageView {
        history: h,
        entered,
        digest: digest.finish(),
    })
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
                h.decisions.push(PastDecision { at, verdict: v });
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

/// Appends a decision entry, unless this evaluation (same evaluation id: same inputs,
/// environment, stage, time and ledger history) is already there: a retried job is recorded
/// once, and the entry found is returned with `false`.
pub fn record_decision(
    path: &Path,
    d: &rollgate_engine::decision::Decision,
    actor: &str,
) -> Result<(Entry, bool), LedgerError> {
    let payload = payload(d);
    let e = super::entry(
        Kind::Decision,
        d.evaluated_at.clone(),
        &d.policy,
        &d.environment,
        &d.stage,
        actor,
        payload.clone(),
    );
    super::append(path, e, |x| {
        let same_stage = x.kind == Kind::Decision
            && x.policy == d.policy
            && x.env == d.environment
            && x.stage == d.stage
            && x.time == d.evaluated_at;
        if !same_stage {
            return false;
        }
        match (x.payload.get("evaluation_id"), payload.get("evaluation_id")) {
            (Some(a), Some(b)) => a == b,
            // Entries written before evaluation ids: equal payloads are the same evaluation.
            _ => x.payload == payload,
        }
    })
}
