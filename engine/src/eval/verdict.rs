//! Gate results + hold -> verdict, blockers, warnings and next stage, by the rules of
//! policy-v1: ROLLBACK, then NO-GO, then HOLD, then GO. Missing data never proves health.

use super::EvalContext;
use crate::decision::{
    Blocker, Decision, GateResult, GateStatus, HoldStatus, StageState, StageStatus, Verdict,
    Warning,
};
use crate::policy::duration::Hold;
use crate::policy::model::{Policy, Stage};
use crate::snapshot::format_time;

pub(crate) fn decide(
    policy: &Policy,
    stage: &Stage,
    gates: Vec<GateResult>,
    cx: &EvalContext,
) -> Decision {
    let env = cx.environment.as_str();
    let mut blockers = Vec::new();
    let mut warnings = Vec::new();
    let mut rollback = false;
    for g in &gates {
        let status_word = match g.status {
            GateStatus::Pass => continue,
            GateStatus::Fail => "failed",
            GateStatus::Inconclusive => "inconclusive",
            GateStatus::Error => "error",
        };
        match g.on_fail.as_str() {
            "warn" => warnings.push(Warning {
                gate: g.id.clone(),
                message: format!("{status_word}: {}", g.message),
            }),
            on_fail => {
                if on_fail == "rollback" && g.status == GateStatus::Fail {
                    rollback = true;
                }
                blockers.push(Blocker {
                    gate: g.id.clone(),
                    reason: format!("{status_word}: {}", g.message),
                    remediation: g.remediation.clone(),
                });
            }
        }
    }

    let hold = *stage.hold.resolve(env).expect("validated");
    let hold_status = hold_status(policy, hold, cx);
    let entry_unknown = !hold.is_zero() && cx.entered_at.is_none();
    if entry_unknown {
        blockers.push(Blocker {
            gate: String::new(),
            reason: format!(
                "stage `{}` must be held for {hold}, but the time it was entered is unknown; pass `--entered-at` or set `stage_entered_at` in the snapshot",
                stage.id
            ),
            remediation: None,
        });
    }
    let verdict = if rollback {
        Verdict::Rollback
    } else if !blockers.is_empty() {
        Verdict::NoGo
    } else if hold_status.remaining_s.is_some_and(|r| r > 0) {
        Verdict::Hold
    } else {
        Verdict::Go
    };

    let index = policy
        .stages
        .iter()
        .position(|s| s.id == stage.id)
        .expect("stage of the policy");
    let next_stage = (verdict == Verdict::Go)
        .then(|| policy.stages.get(index + 1).map(|s| s.id.clone()))
        .flatten();
    let stages = policy
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageStatus {
            id: s.id.clone(),
            traffic: s.traffic.clone(),
            hold: s.hold.resolve(env).map(ToString::to_string),
            state: match i.cmp(&index) {
                std::cmp::Ordering::Less => StageState::Passed,
                std::cmp::Ordering::Equal => StageState::Current,
                std::cmp::Ordering::Greater => StageState::Pending,
            },
        })
        .collect();

    Decision {
        policy: policy.id.clone(),
        title: policy.title.clone(),
        environment: cx.environment.clone(),
        stage: stage.id.clone(),
        verdict,
        exit_code: verdict.exit_code(),
        next_stage,
        evaluated_at: format_time(cx.now),
        owner: cx.owner.clone().or_else(|| policy.owner.clone()),
        entered_at: cx.entered_at.map(format_time),
        hold: Some(hold_status),
        stages,
        gates,
        blockers,
        warnings,
        inputs: cx.inputs.clone(),
        report: None,
    }
}

/// Required, elapsed and remaining hold time, and the earliest time a GO is possible.
fn hold_status(policy: &Policy, hold: Hold, cx: &EvalContext) -> HoldStatus {
    let (required, business) = match hold {
        Hold::Elapsed(d) => (d.seconds, false),
        Hold::BusinessDays(n) => (i64::from(n) * 86_400, true),
    };
    let mut status = HoldStatus {
        hold: hold.to_string(),
        required_s: required,
        elapsed_s: None,
        remaining_s: None,
        earliest_go_at: None,
    };
    if required == 0 {
        status.elapsed_s = cx.entered_at.map(|e| (cx.now - e).max(0.0).floor() as i64);
        status.remaining_s = Some(0);
        return status;
    }
    let Some(entered) = cx.entered_at else {
        return status;
    };
    let cal = &policy.calendar;
    let elapsed = if business {
        cal.business_seconds(entered, cx.now)
    } else {
        (cx.now - entered).max(0.0)
    };
    let earliest = if business {
        cal.add_business_seconds(entered, required as f64)
    } else {
        Some(entered + required as f64)
    };
    let elapsed_s = elapsed.floor() as i64;
    status.elapsed_s = Some(elapsed_s);
    // In the hold's own units (business seconds for `Nbd`), as `elapsed_s`; the wall-clock
    // answer is `earliest_go_at`.
    status.remaining_s = Some((required - elapsed_s).max(0));
    status.earliest_go_at = earliest.map(format_time);
    status
}
