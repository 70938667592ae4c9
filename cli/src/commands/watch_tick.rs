//! What `watch` prints per tick, for the person on call (one line) or for other tools (one
//! JSON object per line): the verdict, the gate behind a ROLLBACK, every gate that does not
//! pass with its status, value and bound, and why a source failed.

use rollgate_engine::decision::{Decision, GateResult, GateStatus, OnFail, Verdict, WaiverState};
use rollgate_engine::format::fmt_num;
use serde_json::{Value, json};

/// Where a tick stands in the watch's schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// 1-based slot of this tick.
    pub tick: u64,
    /// Ticks the period holds.
    pub of: u64,
    /// Seconds after its slot's time the tick started, when that counts as late.
    pub late_by: Option<f64>,
    /// Slots skipped before this tick because the previous one ran past them.
    pub skipped: u64,
}

/// `fail`, `error`, `inconclusive`, or `warning` for a `warn` gate that does not pass.
fn shown_status(g: &GateResult) -> &'static str {
    if g.on_fail == OnFail::Warn {
        return "warning";
    }
    match g.status {
        GateStatus::Pass => "pass",
        GateStatus::Fail => "fail",
        GateStatus::Inconclusive => "inconclusive",
        GateStatus::Error => "error",
    }
}

/// Whether a waiver in force covers the gate (it then does not decide the verdict).
fn waived(d: &Decision, gate: &str) -> bool {
    d.waivers
        .iter()
        .any(|w| w.gate == gate && w.state == WaiverState::InForce)
}

/// The gates whose failure made the verdict ROLLBACK.
pub fn rollback_by(d: &Decision) -> Vec<&str> {
    if d.verdict != Verdict::Rollback {
        return Vec::new();
    }
    d.gates
        .iter()
        .filter(|g| {
            g.on_fail == OnFail::Rollback && g.status == GateStatus::Fail && !waived(d, &g.id)
        })
        .map(|g| g.id.as_str())
        .collect()
}

/// Each failed source's reason once, with the gates that read it.
fn failed_sources(d: &Decision) -> Vec<(Vec<&str>, &str)> {
    let mut out: Vec<(Vec<&str>, &str)> = Vec::new();
    for g in &d.gates {
        let Some(err) = g.evidence.as_ref().and_then(|e| e.error.as_deref()) else {
            continue;
        };
        match out.iter_mut().find(|(_, e)| *e == err) {
            Some((gates, _)) => gates.push(&g.id),
            None => out.push((vec![&g.id], err)),
        }
    }
    out
}

/// `all 3 gates pass`, and for a stage with one gate `the only gate passes` (not "all 1
/// gates pass").
fn all_pass(n: usize) -> String {
    if n == 1 {
        "the only gate passes".to_owned()
    } else {
        format!("all {n} gates pass")
    }
}

fn bound_text(g: &GateResult) -> Option<String> {
    let mut b = Vec::new();
    if let Some(m) = g.bound.max {
        b.push(format!("<= {}", fmt_num(m)));
    }
    if let Some(m) = g.bound.min {
        b.push(format!(">= {}", fmt_num(m)));
    }
    (!b.is_empty()).then(|| b.join(", "))
}

/// `id: fail 0.31 (bound <= 0.2)`, `id: inconclusive (stale data: ...)`.
fn gate_text(g: &GateResult) -> String {
    let mut s = format!("{}: {}", g.id, shown_status(g));
    if let Some(v) = g.value {
        s.push(' ');
        s.push_str(&fmt_num(v));
    }
    let from_source = g.evidence.as_ref().is_some_and(|e| e.error.is_some());
    match (g.status, bound_text(g)) {
        (GateStatus::Fail, Some(b)) => s.push_str(&format!(" (bound {b})")),
        // The source's failure is said once, at the end of the line.
        (GateStatus::Error, _) if from_source => {}
        _ => s.push_str(&format!(" ({})", g.message.trim())),
    }
    s
}

fn schedule_text(p: &Place) -> String {
    let mut notes = Vec::new();
    if let Some(late) = p.late_by {
        notes.push(format!("late by {late:.1}s"));
    }
    match p.skipped {
        0 => {}
        1 => notes.push("1 missed tick skipped".to_owned()),
        n => notes.push(format!("{n} missed ticks skipped")),
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", notes.join(", "))
    }
}

/// The one-line summary of a tick.
pub fn text(d: &Decision, p: &Place) -> String {
    let mut parts = Vec::new();
    let by = rollback_by(d);
    if !by.is_empty() {
        parts.push(format!("rollback by {}", by.join(", ")));
    }
    let not_passing: Vec<&GateResult> = d
        .gates
        .iter()
        .filter(|g| g.status != GateStatus::Pass)
        .collect();
    parts.extend(not_passing.iter().map(|g| gate_text(g)));
    for (gates, err) in failed_sources(d) {
        parts.push(format!("source failed ({}): {err}", gates.join(", ")));
    }
    if not_passing.is_empty() {
        parts.push(all_pass(d.gates.len()));
    }
    let others: Vec<&str> = d
        .blockers
        .iter()
        .filter(|b| b.gate.is_none() && !b.reason.starts_with("a source failed"))
        .map(|b| b.reason.as_str())
        .collect();
    parts.extend(others.iter().map(|r| r.to_string()));
    if d.verdict == Verdict::Hold
        && let Some(h) = &d.hold
        && let Some(left) = h.remaining_s.filter(|s| *s > 0)
    {
        parts.push(format!(
            "hold {} left{}",
            rollgate_engine::format::human(left),
            h.earliest_go_at
                .as_deref()
                .map(|t| format!(", earliest GO {t}"))
                .unwrap_or_default()
        ));
    }
    format!(
        "tick {}/{} {} {:<8}{} {}",
        p.tick,
        p.of,
        d.evaluated_at,
        d.verdict.label(),
        schedule_text(p),
        parts.join("; ")
    )
}

/// The tick as one JSON object (one line).
pub fn json(d: &Decision, p: &Place) -> String {
    let gates: Vec<Value> = d
        .gates
        .iter()
        .filter(|g| g.status != GateStatus::Pass)
        .map(|g| {
            json!({
                "gate": g.id,
                "status": shown_status(g),
                "gate_status": g.status,
                "on_fail": g.on_fail,
                "value": g.value,
                "bound": g.bound,
                "message": g.message,
            })
        })
        .collect();
    let sources: Vec<Value> = failed_sources(d)
        .into_iter()
        .map(|(gates, err)| json!({ "gates": gates, "error": err }))
        .collect();
    let v = json!({
        "tick": p.tick,
        "of": p.of,
        "evaluated_at": d.evaluated_at,
        "policy": d.policy,
        "environment": d.environment,
        "stage": d.stage,
        "verdict": d.verdict,
        "exit_code": d.exit_code,
        "late_by_s": p.late_by,
        "skipped_ticks": p.skipped,
        "rollback_by": rollback_by(d),
        "not_passing": gates,
        "sources_failed": sources,
        "blockers": d.blockers.iter().map(|b| json!({"gate": b.gate.as_deref().unwrap_or(""), "reason": b.reason})).collect::<Vec<_>>(),
    });
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::all_pass;

    #[test]
    fn one_passing_gate_is_not_all_1_gates() {
        assert_eq!(all_pass(1), "the only gate passes");
        assert_eq!(all_pass(3), "all 3 gates pass");
    }
}
