//! Gate results + hold -> verdict, blockers, warnings and next stage, by the rules of
//! policy-v1: ROLLBACK, then NO-GO, then HOLD, then GO. Missing data never proves health.

use super::EvalContext;
use crate::decision::{
    ApprovalStatus, Blocker, Decision, GateResult, GateStatus, HoldEvent, HoldStatus, OnFail,
    StageState, StageStatus, Verdict, WaiverState, WaiverStatus, Warning,
};
use crate::format::format_time;
use crate::history::History;
use crate::plan::Plan;
use crate::policy::duration::Hold;
use crate::policy::model::{Policy, Stage};

pub(crate) fn decide(
    policy: &Policy,
    plan: &Plan<'_>,
    mut gates: Vec<GateResult>,
    cx: &EvalContext,
    history: &History,
) -> Decision {
    super::approve::approvals(&mut gates, plan.stage, cx, history);
    let mut warnings = Vec::new();
    let waivers = waivers(&gates, history, cx.now, &mut warnings);
    let judged = judge_gates(&gates, &waivers);
    warnings.extend(judged.warnings);
    let mut blockers = judged.blockers;
    blockers.extend(failed_sources(&gates));
    let (stage, hold) = (plan.stage, plan.hold);
    let mut hold_status = hold_status(policy, hold, cx, history);
    if !hold.is_zero() && cx.entered_at.is_none() {
        blockers.push(Blocker {
            gate: None,
            reason: format!(
                "stage `{}` must be held for {hold}, but the time it was entered is unknown; pass `--entered-at` or set `stage_entered_at` in the snapshot",
                stage.id
            ),
            remediation: None,
        });
    }
    let approval = approval(stage, cx, history);
    let awaiting =
        approval.as_ref().is_some_and(|a| a.approved_by.is_none()) || !judged.awaiting.is_empty();
    let calendar = super::closed::status(policy, cx, history, &mut hold_status);
    let closed = calendar.as_ref().is_some_and(|c| c.overridden.is_none());
    let verdict = if judged.rollback {
        Verdict::Rollback
    } else if !blockers.is_empty() {
        Verdict::NoGo
    } else if hold_status.remaining_s.is_some_and(|r| r > 0) || awaiting || closed {
        Verdict::Hold
    } else {
        Verdict::Go
    };
    if let Some(entered) = cx.entered_at {
        hold_status.history = hold_history(entered, cx.now, history);
    }
    let next_stage = (verdict == Verdict::Go)
        .then(|| {
            policy
                .stages
                .get(plan.stage_index + 1)
                .map(|s| s.id.clone())
        })
        .flatten();
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
        rollout_started_at: cx.rollout_started_at.map(format_time),
        params: cx.params.clone(),
        hold: Some(hold_status),
        stages: stage_statuses(policy, plan.stage_index, &cx.environment),
        gates,
        blockers,
        warnings,
        inputs: cx.inputs.clone(),
        report: None,
        approval,
        waivers,
        calendar,
    }
}

/// What the gates that did not pass say: blockers, warnings, and whether a `rollback` gate
/// failed.
struct Judged {
    blockers: Vec<Blocker>,
    warnings: Vec<Warning>,
    rollback: bool,
    /// Failed `on_fail: approve` gates without an approval since: HOLD.
    awaiting: Vec<String>,
}

/// Each gate that did not pass becomes a warning (`on_fail: warn`, or waived) or a blocker; a
/// failed `rollback` gate asks for a rollback. An inconclusive or erring `rollback` gate only
/// blocks: rolling back needs evidence of harm. A failed `approve` gate awaits a person (or
/// passes with the approval given since); shadow gates change nothing.
fn judge_gates(gates: &[GateResult], waivers: &[WaiverStatus]) -> Judged {
    let mut out = Judged {
        blockers: Vec::new(),
        warnings: Vec::new(),
        rollback: false,
        awaiting: Vec::new(),
    };
    for g in gates.iter().filter(|g| !g.shadow) {
        let status_word = match g.status {
            GateStatus::Pass => continue,
            GateStatus::Fail => "failed",
            GateStatus::Inconclusive => "inconclusive",
            GateStatus::Error => "error",
        };
        let in_force = waivers
            .iter()
            .find(|w| w.gate == g.id && w.state == WaiverState::InForce);
        if let Some(w) = in_force.filter(|_| g.on_fail != OnFail::Warn) {
            out.warnings.push(Warning {
                gate: g.id.clone(),
                message: format!(
                    "{status_word} but waived until {} by {} ({}{}): {}",
                    w.until,
                    w.by,
                    w.reason,
                    w.ticket
                        .as_deref()
                        .map(|t| format!(", {t}"))
                        .unwrap_or_default(),
                    g.message
                ),
            });
            continue;
        }
        let approved = g
            .approval
            .as_ref()
            .and_then(|a| Some((a.approved_by.as_deref()?, a.approved_at.as_deref()?)));
        match (g.on_fail, g.status, approved) {
            (OnFail::Approve, GateStatus::Fail, Some((by, at))) => out.warnings.push(Warning {
                gate: g.id.clone(),
                message: format!(
                    "failed, passed with approval by {by} at {at}: {}",
                    g.message
                ),
            }),
            (OnFail::Approve, GateStatus::Fail, None) => out.awaiting.push(g.id.clone()),
            _ => judge_one(g, status_word, &mut out),
        }
    }
    out
}

/// A gate that did not pass, by its `on_fail` alone.
fn judge_one(g: &GateResult, status_word: &str, out: &mut Judged) {
    match g.on_fail {
        OnFail::Warn => out.warnings.push(Warning {
            gate: g.id.clone(),
            message: format!("{status_word}: {}", g.message),
        }),
        OnFail::Block | OnFail::Rollback | OnFail::Approve => {
            if g.on_fail == OnFail::Rollback && g.status == GateStatus::Fail {
                out.rollback = true;
            }
            out.blockers.push(Blocker {
                gate: Some(g.id.clone()),
                reason: format!("{status_word}: {}", g.message),
                remediation: g.remediation.clone(),
            });
        }
    }
}

/// A source that failed leaves its data missing: that is never GO, even when only `warn`
/// gates read it (their own thresholds still never change the verdict). One blocker per
/// failure, naming the first gate that reads it.
fn failed_sources(gates: &[GateResult]) -> Vec<Blocker> {
    let mut failed: Vec<(&str, &str)> = Vec::new();
    for g in gates {
        if let Some(err) = g.evidence.as_ref().and_then(|e| e.error.as_deref())
            && g.on_fail == OnFail::Warn
            && !g.shadow
            && !failed.iter().any(|(_, e)| *e == err)
        {
            failed.push((g.id.as_str(), err));
        }
    }
    failed
        .into_iter()
        .map(|(gate, err)| Blocker {
            gate: None,
            reason: format!("a source failed, so data gate `{gate}` reads is missing: {err}"),
            remediation: Some("Fix the source (or its credentials) and evaluate again.".into()),
        })
        .collect()
}

/// The stage's approval: the latest approval by an allowed approver since the stage was
/// entered (any approval when the stage names no one).
fn approval(stage: &Stage, cx: &EvalContext, history: &History) -> Option<ApprovalStatus> {
    let by = stage.approval.as_ref()?;
    let since = cx.entered_at.unwrap_or(f64::NEG_INFINITY);
    let given = history
        .approvals
        .iter()
        .filter(|a| a.at >= since && a.at <= cx.now && (by.is_empty() || by.contains(&a.by)))
        .max_by(|a, b| a.at.total_cmp(&b.at));
    Some(ApprovalStatus {
        by: by.clone(),
        approved_by: given.map(|a| a.by.clone()),
        approved_at: given.map(|a| format_time(a.at)),
    })
}

/// The decisions recorded for this stage since it was entered, up to now.
fn hold_history(entered: f64, now: f64, history: &History) -> Vec<HoldEvent> {
    history
        .decisions
        .iter()
        .filter(|d| d.at >= entered && d.at <= now)
        .map(|d| HoldEvent {
            at: format_time(d.at),
            verdict: d.verdict,
        })
        .collect()
}

/// Every stage of the policy, placed relative to the current one.
fn stage_statuses(policy: &Policy, current: usize, env: &str) -> Vec<StageStatus> {
    policy
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageStatus {
            id: s.id.clone(),
            traffic: s.traffic.clone(),
            hold: s.hold.resolve(env).map(ToString::to_string),
            state: match i.cmp(&current) {
                std::cmp::Ordering::Less => StageState::Passed,
                std::cmp::Ordering::Equal => StageState::Current,
                std::cmp::Ordering::Greater => StageState::Pending,
            },
        })
        .collect()
}

/// The latest waiver of each evaluated gate, in force or expired, with warnings for expired
/// waivers and those expiring within three days.
fn waivers(
    gates: &[GateResult],
    history: &History,
    now: f64,
    warnings: &mut Vec<Warning>,
) -> Vec<WaiverStatus> {
    let mut out = Vec::new();
    for g in gates {
        let Some(w) = history
            .waivers
            .iter()
            .filter(|w| w.gate == g.id && w.at <= now)
            .max_by(|a, b| a.at.total_cmp(&b.at))
        else {
            continue;
        };
        let in_force = now < w.until;
        if !in_force {
            warnings.push(Warning {
                gate: g.id.clone(),
                message: format!(
                    "the waiver of this gate expired at {}",
                    format_time(w.until)
                ),
            });
        } else if w.until - now < crate::history::WAIVER_WARNING_S {
            warnings.push(Warning {
                gate: g.id.clone(),
                message: format!(
                    "the waiver of this gate expires at {} (in {})",
                    format_time(w.until),
                    crate::format::human((w.until - now).ceil() as i64)
                ),
            });
        }
        out.push(WaiverStatus {
            gate: g.id.clone(),
            state: if in_force {
                WaiverState::InForce
            } else {
                WaiverState::Expired
            },
            until: format_time(w.until),
            by: w.by.clone(),
            reason: w.reason.clone(),
            ticket: w.ticket.clone(),
            gate_status: g.status,
        });
    }
    out
}

/// Required, elapsed and remaining hold time, and the earliest time a GO is possible.
fn hold_status(policy: &Policy, hold: Hold, cx: &EvalContext, history: &History) -> HoldStatus {
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
        restarted_at: None,
        history: Vec::new(),
    };
    if required == 0 {
        status.elapsed_s = cx.entered_at.map(|e| (cx.now - e).max(0.0).floor() as i64);
        status.remaining_s = Some(0);
        return status;
    }
    let Some(entered) = cx.entered_at else {
        return status;
    };
    // A hold means green throughout: a red decision since the entry restarts the clock.
    let start = history.hold_start(entered, cx.now);
    if start != entered {
        status.restarted_at = Some(format_time(start));
    }
    let entered = start;
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
