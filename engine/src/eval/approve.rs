//! `on_fail: approve`: a failing gate asks a person instead of blocking. The gate awaits an
//! `approve` entry for the stage made after its first failure at the stage (so an approval
//! given before anything failed approves nothing), by one of the stage's approvers when the
//! stage names them. Only a `fail` is approvable: missing data still blocks.

use super::EvalContext;
use crate::decision::{GateApproval, GateResult, GateStatus, OnFail};
use crate::format::format_time;
use crate::history::History;
use crate::policy::model::Stage;

/// Fills the approval of every failed `approve` gate that counts (not in shadow).
pub(crate) fn approvals(
    gates: &mut [GateResult],
    stage: &Stage,
    cx: &EvalContext,
    history: &History,
) {
    let since = cx.entered_at.unwrap_or(f64::NEG_INFINITY);
    let approvers = stage.approval.as_deref().unwrap_or(&[]);
    for g in gates
        .iter_mut()
        .filter(|g| g.on_fail == OnFail::Approve && g.status == GateStatus::Fail && !g.shadow)
    {
        // The first recorded failure since the entry, else this evaluation.
        let failed_since = history
            .decisions
            .iter()
            .filter(|d| d.at >= since && d.at <= cx.now && d.failed.contains(&g.id))
            .map(|d| d.at)
            .reduce(f64::min)
            .unwrap_or(cx.now);
        let given = history
            .approvals
            .iter()
            .filter(|a| a.at >= failed_since && a.at <= cx.now)
            .filter(|a| approvers.is_empty() || approvers.contains(&a.by))
            .max_by(|a, b| a.at.total_cmp(&b.at));
        g.approval = Some(GateApproval {
            failed_since: format_time(failed_since),
            approved_by: given.map(|a| a.by.clone()),
            approved_at: given.map(|a| format_time(a.at)),
        });
    }
}
