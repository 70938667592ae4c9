//! The compact terminal summary: verdict, one line per gate with value and bound, what
//! blocks, and the time left on a hold. Colors only when asked (the CLI honors NO_COLOR and
//! non-terminals).

use std::fmt::Write;

use crate::decision::{Decision, GateResult, GateStatus, Kind, OnFail, Verdict};
use crate::format::{fmt_num, human};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Go => "1;32",
        Verdict::Hold => "1;33",
        Verdict::NoGo => "1;31",
        Verdict::Rollback => "1;35",
    }
}

/// Renders the summary.
pub fn render(d: &Decision, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {} · {} · {} · {}",
        p.wrap(verdict_color(d.verdict), d.verdict.label()),
        p.bold(&d.policy),
        d.environment,
        d.stage,
        d.evaluated_at
    );
    if !d.params.is_empty() {
        let _ = writeln!(
            out,
            "  params: {}",
            d.params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let width = d.gates.iter().map(|g| g.id.len()).max().unwrap_or(0);
    for g in d.gates.iter().filter(|g| !g.shadow) {
        gate_block(&mut out, &p, g, width, 0);
    }
    shadow_gates(&mut out, &p, d, width);
    if !d.blockers.is_empty() {
        let _ = writeln!(out, "{}", p.bold("Blockers:"));
        for b in &d.blockers {
            let who = b.gate.as_deref().unwrap_or("stage");
            let _ = writeln!(out, "  - {who}: {}", b.reason);
            if let Some(r) = &b.remediation {
                let _ = writeln!(out, "    remediation: {}", r.trim());
            }
        }
    }
    if !d.warnings.is_empty() {
        let _ = writeln!(out, "{}", p.bold("Warnings:"));
        for w in &d.warnings {
            let _ = writeln!(out, "  - {}: {}", w.gate, w.message);
        }
    }
    let awaiting = d.awaiting_approval();
    if !awaiting.is_empty() {
        let _ = writeln!(
            out,
            "Awaiting approval: {} failed; a person approves with `rollgate ledger approve`",
            awaiting
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(c) = &d.calendar {
        let _ = writeln!(out, "Calendar: {}", c.words());
    }
    if let Some(line) = hold_line(d) {
        let _ = writeln!(out, "{line}");
    }
    match (&d.verdict, &d.next_stage) {
        (Verdict::Go, Some(n)) => {
            let _ = writeln!(out, "Next stage: {n}");
        }
        (Verdict::Go, None) => {
            let _ = writeln!(out, "Last stage: the rollout is complete");
        }
        _ => {}
    }
    out
}

/// The gates in shadow, apart, with when each will be enforced.
fn shadow_gates(out: &mut String, p: &Paint, d: &Decision, width: usize) {
    let shadow: Vec<&GateResult> = d.gates.iter().filter(|g| g.shadow).collect();
    if shadow.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold("Shadow gates (reported, not counted):"));
    for g in shadow {
        gate_block(out, p, g, width, 0);
        if let Some(from) = &g.enforce_from {
            let _ = writeln!(out, "      enforced from {from}");
        }
    }
}

/// A gate's line, then its burn-rate pairs and its members (nested, indented).
fn gate_block(out: &mut String, p: &Paint, g: &GateResult, width: usize, depth: usize) {
    gate_line(out, p, g, width, depth);
    let pad = "  ".repeat(depth + 2);
    for pair in &g.pairs {
        let r = |x: Option<f64>| x.map_or("unknown".into(), fmt_num);
        let _ = writeln!(
            out,
            "  {pad}{}/{}: {} and {} against {} ({})",
            pair.long,
            pair.short,
            r(pair.long_rate),
            r(pair.short_rate),
            fmt_num(pair.factor),
            format!("{:?}", pair.status).to_lowercase()
        );
    }
    for m in &g.members {
        gate_block(out, p, m, width.saturating_sub(2), depth + 1);
    }
}

/// One gate's line: mark, id, status (with its `on_fail` unless `block`), the value with the
/// bound it was compared to, and the message.
fn gate_line(out: &mut String, p: &Paint, g: &GateResult, width: usize, depth: usize) {
    let (mark, code) = match g.status {
        GateStatus::Pass => ("✓", "32"),
        GateStatus::Fail => ("✗", "31"),
        GateStatus::Inconclusive => ("?", "33"),
        GateStatus::Error => ("!", "31"),
    };
    let status = format!("{:?}", g.status).to_lowercase();
    let mut tag = match g.on_fail {
        OnFail::Block => String::new(),
        OnFail::Warn | OnFail::Rollback | OnFail::Approve => format!(" [{}]", g.on_fail),
    };
    if let Some(w) = g.weight {
        tag.push_str(&format!(
            " [weight {}{}]",
            fmt_num(w),
            if g.key { ", key" } else { "" }
        ));
    }
    if let Some(by) = g.approval.as_ref().and_then(|a| a.approved_by.as_deref()) {
        tag.push_str(&format!(" [approved by {by}]"));
    }
    let status_col = format!("{status}{tag}");
    let mut value = g.value.map(fmt_num).unwrap_or_else(|| "-".into());
    // Say what was compared: a per-check gate's value is its latest check and its bound
    // applies to each check (a pass may show a violating last value: the count decides).
    let per_check = g.kind == Kind::PerCheck;
    if per_check && g.value.is_some() {
        value = format!("last {value}");
    }
    let mut bound = Vec::new();
    if let Some(m) = g.bound.max {
        bound.push(format!("<= {}", fmt_num(m)));
    }
    if let Some(m) = g.bound.min {
        bound.push(format!(">= {}", fmt_num(m)));
    }
    let bound = if bound.is_empty() {
        String::new()
    } else {
        let what = if per_check { "each check" } else { "bound" };
        format!(" ({what} {})", bound.join(", "))
    };
    let _ = writeln!(
        out,
        "  {}{} {:<width$} {} {value}{bound}  {}",
        "  ".repeat(depth),
        p.wrap(code, mark),
        g.id,
        p.wrap(code, &format!("{status_col:<23}")),
        p.dim(&g.message),
    );
}

/// The hold's state, or on ROLLBACK what the verdict means instead: a hold and its
/// earliest GO mean nothing to a stage being rolled back.
fn hold_line(d: &Decision) -> Option<String> {
    if d.verdict == Verdict::Rollback {
        return Some(format!(
            "Rollback: roll back from `{}` now; the stage's hold no longer applies",
            d.stage
        ));
    }
    let h = d.hold.as_ref().filter(|h| h.required_s > 0)?;
    let elapsed = h.elapsed_s.map_or("unknown".to_owned(), human);
    let remaining = h.remaining_s.map_or("unknown".to_owned(), human);
    let unit = if h.hold.ends_with("bd") {
        " (business time)"
    } else {
        ""
    };
    let mut line = format!(
        "Hold: {} required, {elapsed} elapsed, {remaining} remaining{unit}",
        h.hold
    );
    if let Some(at) = &h.earliest_go_at {
        let _ = write!(line, "; earliest GO {at}");
    }
    Some(line)
}
