//! The sentences of the report: the one a person signs (the statement) and, for each gate
//! that does not pass, what would flip it.

use super::escape::md;
use super::view::bound_text;
use crate::decision::{Decision, GateResult, GateStatus, Kind, OnFail, Verdict};
use crate::format::{fmt_num, human};

/// The one sentence a person signs.
pub(super) fn statement(d: &Decision, owner: &str) -> String {
    let who = format!("Decided for {} at {}.", md(owner), d.evaluated_at);
    let (p, e, s) = (&d.policy, &d.environment, &d.stage);
    match d.verdict {
        Verdict::Go => match &d.next_stage {
            Some(n) => format!("**GO**: promote `{p}` in `{e}` from `{s}` to `{n}`. {who}"),
            None => format!(
                "**GO**: `{s}` is the last stage of `{p}` in `{e}`; the rollout is complete. {who}"
            ),
        },
        Verdict::Hold => {
            let h = d.hold.as_ref();
            let mut left = h
                .and_then(|h| h.remaining_s)
                .map_or("an unknown time".into(), human);
            if h.is_some_and(|h| h.hold.ends_with("bd")) {
                left.push_str(" of business time");
            }
            let at = h
                .and_then(|h| h.earliest_go_at.clone())
                .unwrap_or_else(|| "unknown".into());
            if let Some(c) = d.calendar.as_ref().filter(|c| c.overridden.is_none()) {
                return format!(
                    "**HOLD**: keep `{p}` in `{e}` at `{s}`: {}; the earliest GO is {at}. Rolling back is never blocked. {who}",
                    md(&c.message)
                );
            }
            let gates_awaiting = d.awaiting_approval();
            if !gates_awaiting.is_empty() {
                let listed: Vec<String> = gates_awaiting.iter().map(|g| format!("`{g}`")).collect();
                return format!(
                    "**HOLD**: keep `{p}` in `{e}` at `{s}`: awaiting approval: {} failed; a person may approve it (`rollgate ledger approve`) or the rollout stays here. {who}",
                    listed.join(", ")
                );
            }
            let awaiting = d.approval.as_ref().is_some_and(|a| a.approved_by.is_none());
            let held = h.and_then(|h| h.remaining_s).is_some_and(|r| r > 0);
            match (held, awaiting) {
                (false, true) => format!(
                    "**HOLD**: keep `{p}` in `{e}` at `{s}`: every gate passes, but the stage awaits its approval (`rollgate ledger approve`). {who}"
                ),
                (true, true) => format!(
                    "**HOLD**: keep `{p}` in `{e}` at `{s}`: every gate passes, but the stage must be held {left} more (the earliest GO is {at}) and awaits its approval. {who}"
                ),
                _ => format!(
                    "**HOLD**: keep `{p}` in `{e}` at `{s}`: every gate passes, but the stage must be held {left} more; the earliest GO is {at}. {who}"
                ),
            }
        }
        Verdict::NoGo => format!(
            "**NO-GO**: do not promote `{p}` in `{e}` beyond `{s}`: {} blocker{} must be cleared first (see below). {who}",
            d.blockers.len(),
            if d.blockers.len() == 1 { "" } else { "s" }
        ),
        Verdict::Rollback => {
            let failed: Vec<String> = d
                .gates
                .iter()
                .filter(|g| g.on_fail == OnFail::Rollback && g.status == GateStatus::Fail)
                .map(|g| format!("`{}`", g.id))
                .collect();
            format!(
                "**ROLLBACK**: roll `{p}` in `{e}` back from `{s}` now: rollback gate{} {} failed. {who}",
                if failed.len() == 1 { "" } else { "s" },
                failed.join(", ")
            )
        }
    }
}

/// The smallest change that would flip a gate that does not pass.
pub(super) fn flip(g: &GateResult) -> String {
    let v = g.value.map(fmt_num);
    match (g.status, g.kind) {
        (GateStatus::Fail, Kind::Threshold | Kind::Compare) => {
            match (g.value, g.bound.max, g.bound.min) {
                (Some(x), Some(m), _) if x > m => format!(
                    "must fall to {} or below; it is {}",
                    fmt_num(m),
                    v.unwrap_or_default()
                ),
                (Some(x), _, Some(m)) if x < m => format!(
                    "must rise to {} or above; it is {}",
                    fmt_num(m),
                    v.unwrap_or_default()
                ),
                _ => md(&g.message),
            }
        }
        (GateStatus::Fail, Kind::PerCheck) => format!(
            "the coming checks must be within {} each (the latest is {}), until the violations no longer exceed the gate's limits",
            bound_text(g.bound.max, g.bound.min),
            v.unwrap_or_else(|| "-".into())
        ),
        (GateStatus::Fail, Kind::Trend) => format!(
            "the series must stop trending in the forbidden direction; now: {}",
            md(&g.message)
        ),
        (GateStatus::Fail, Kind::Records) => match g.value {
            Some(1.0) => "every counted record must meet the expectations; 1 does not".to_owned(),
            _ => format!(
                "every counted record must meet the expectations; {} do not",
                v.unwrap_or_else(|| "some".into())
            ),
        },
        (GateStatus::Fail, Kind::Script) => {
            format!("the script must pass; now: {}", md(&g.message))
        }
        (GateStatus::Fail, Kind::AllOf | Kind::AnyOf | Kind::Score) => {
            format!("enough members must pass; now: {}", md(&g.message))
        }
        (GateStatus::Fail, Kind::BurnRate) => format!(
            "the error ratio must fall until no pair's long and short burn rates both exceed its factor; now: {}",
            md(&g.message)
        ),
        (GateStatus::Inconclusive, _) => format!("provide enough fresh data: {}", md(&g.message)),
        (GateStatus::Error, _) => format!("fix the failure: {}", md(&g.message)),
        (GateStatus::Pass, _) => String::new(),
    }
}
