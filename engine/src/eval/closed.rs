//! Freezes and deploy hours in the verdict: whether promotions are closed at `now` for the
//! environment, an override recorded in the ledger, and the earliest GO moved past both.

use super::EvalContext;
use crate::decision::{CalendarStatus, HoldStatus, OverrideStatus};
use crate::format::format_time;
use crate::history::History;
use crate::policy::model::Policy;
use crate::promotion_window::Closed;

/// Why promotions are closed at `now` (None: open), with the override that lets this stage
/// through; moves `hold.earliest_go_at` to the first open instant at or after it.
pub(crate) fn status(
    policy: &Policy,
    cx: &EvalContext,
    history: &History,
    hold: &mut HoldStatus,
) -> Option<CalendarStatus> {
    let cal = &policy.calendar;
    let env = cx.environment.as_str();
    let overridden = override_in_force(cx, history);
    if overridden.is_none() {
        // The earliest GO is the hold's, or now, moved to the next open instant.
        let earliest = match (&hold.earliest_go_at, hold.required_s) {
            (Some(t), _) => crate::snapshot::parse_time(t),
            (None, 0) => Some(cx.now),
            (None, _) => None,
        };
        if let Some(e) = earliest.map(|e| e.max(cx.now))
            && cal.closed_at(e, env).is_some()
        {
            hold.earliest_go_at = cal.next_open(e, env).map(format_time);
        }
    }
    let closed = cal.closed_at(cx.now, env)?;
    let opens = cal.next_open(cx.now, env);
    Some(CalendarStatus {
        message: cal.closed_message(closed, opens),
        freeze: match closed {
            Closed::Freeze(f) => Some(f.name.clone()),
            Closed::OutsideHours => None,
        },
        opens_at: opens.map(format_time),
        overridden,
    })
}

/// The latest override made since the stage was entered, at or before `now`, not expired.
fn override_in_force(cx: &EvalContext, history: &History) -> Option<OverrideStatus> {
    let since = cx.entered_at.unwrap_or(f64::NEG_INFINITY);
    let o = history
        .overrides
        .iter()
        .filter(|o| o.at >= since && o.at <= cx.now && o.until.is_none_or(|u| cx.now < u))
        .max_by(|a, b| a.at.total_cmp(&b.at))?;
    Some(OverrideStatus {
        by: o.by.clone(),
        reason: o.reason.clone(),
        ticket: o.ticket.clone(),
        at: format_time(o.at),
        until: o.until.map(format_time),
    })
}
