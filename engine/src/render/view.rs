//! The report's view of a decision: every value formatted for people and every string from
//! data already escaped for markdown, so templates only place text and cannot forget to
//! escape it.

use serde::Serialize;

use super::escape::{cell, md};
use super::spark;
use crate::decision::{
    ApprovalStatus, Blocker, BurnPair, Decision, GateResult, GateStatus, Kind, SeriesResult,
    StageState, Verdict, WaiverState, WaiverStatus,
};
use crate::format::{fmt_num, human, label_text, redact_url};

/// What templates see.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub verdict: &'static str,
    pub verdict_code: String,
    pub title: String,
    pub policy: String,
    pub environment: String,
    pub stage: String,
    pub traffic: String,
    pub evaluated_at: String,
    pub owner: String,
    pub entered_at: String,
    pub statement: String,
    pub stages: Vec<StageRow>,
    /// The gates that count, each followed by its burn-rate pairs and its members (nested:
    /// `composite › member`).
    pub rows: Vec<GateRow>,
    /// Gates in shadow: evaluated and reported, not counted.
    pub shadow_rows: Vec<GateRow>,
    /// For each shadow gate, when it will be enforced (or that it stays in shadow).
    pub shadow_notes: Vec<String>,
    pub charts: Vec<Chart>,
    pub blockers: Vec<BlockerRow>,
    pub warnings: Vec<WarningRow>,
    pub inputs: InputsView,
    /// "Waivers in force" (and expired ones), already escaped.
    pub waivers: Vec<WaiverRow>,
    /// The approval line, when the stage requires one.
    pub approval: String,
    /// The parameters, `service=checkout, region=eu-west-1` (empty for a policy without).
    pub params: String,
    /// The freeze or deploy hours closing promotions (or their override); empty otherwise.
    pub calendar: String,
    /// The hold's history: restarts and past decisions.
    pub hold_history: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaiverRow {
    pub gate: String,
    pub state: WaiverState,
    pub gate_status: String,
    pub until: String,
    pub by: String,
    pub reason: String,
    pub ticket: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub id: String,
    pub traffic: String,
    pub hold: String,
    pub elapsed: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    pub gate: String,
    pub series: String,
    pub status: String,
    pub value: String,
    pub bound: String,
    pub headroom: String,
    pub window: String,
    pub samples: String,
    pub trend: String,
    pub evidence: String,
    pub passing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub gate: String,
    pub mermaid: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BlockerRow {
    pub gate: String,
    pub status: String,
    pub reason: String,
    pub flip: String,
    pub remediation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WarningRow {
    pub gate: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputsView {
    pub policy_sha256: String,
    pub snapshot_sha256: String,
    pub rollgate_version: String,
    /// `#SEQ (sha256 HASH)` of the ledger entry recording the decision, empty without one.
    pub ledger_head: String,
    pub replay: String,
}

fn or_dash(s: Option<&str>) -> String {
    s.map_or_else(|| "-".to_owned(), md)
}

fn status_word(s: GateStatus) -> &'static str {
    match s {
        GateStatus::Pass => "✅ pass",
        GateStatus::Fail => "❌ fail",
        GateStatus::Inconclusive => "❔ inconclusive",
        GateStatus::Error => "⛔ error",
    }
}

/// `<= 0.001`, `>= 5`, both, or `-`.
pub fn bound_text(max: Option<f64>, min: Option<f64>) -> String {
    let mut p = Vec::new();
    if let Some(m) = max {
        p.push(format!("≤ {}", fmt_num(m)));
    }
    if let Some(m) = min {
        p.push(format!("≥ {}", fmt_num(m)));
    }
    if p.is_empty() {
        "-".into()
    } else {
        p.join(", ")
    }
}

/// How far a value is from its bound, in % of the bound (negative: past it).
pub fn headroom_text(v: Option<f64>, max: Option<f64>, min: Option<f64>) -> String {
    match v.and_then(|v| crate::eval::headroom(v, max, min)) {
        Some(h) if h.is_finite() => format!("{:+.1}%", h * 100.0),
        _ => "-".into(),
    }
}

impl ReportView {
    pub fn new(d: &Decision) -> ReportView {
        let owner = d
            .owner
            .clone()
            .unwrap_or_else(|| "the release owner".into());
        let current = d.stages.iter().find(|s| s.state == StageState::Current);
        ReportView {
            verdict: d.verdict.label(),
            verdict_code: serde_json::to_value(d.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            title: md(&d.title),
            policy: d.policy.clone(),
            environment: d.environment.clone(),
            stage: d.stage.clone(),
            traffic: or_dash(current.and_then(|s| s.traffic.as_deref())),
            evaluated_at: d.evaluated_at.clone(),
            owner: md(&owner),
            entered_at: d.entered_at.clone().unwrap_or_else(|| "unknown".into()),
            statement: super::sentences::statement(d, &owner),
            stages: stages(d),
            rows: d
                .gates
                .iter()
                .filter(|g| !g.shadow)
                .flat_map(|g| nested_rows(g, ""))
                .collect(),
            shadow_rows: d
                .gates
                .iter()
                .filter(|g| g.shadow)
                .flat_map(|g| nested_rows(g, ""))
                .collect(),
            shadow_notes: d
                .gates
                .iter()
                .filter(|g| g.shadow)
                .map(|g| match &g.enforce_from {
                    Some(at) => format!("`{}`: enforced from {at}", g.id),
                    None => format!("`{}`: in shadow until `mode: shadow` is removed", g.id),
                })
                .collect(),
            charts: d
                .gates
                .iter()
                .filter(|g| !g.shadow)
                .filter_map(chart)
                .collect(),
            blockers: d.blockers.iter().map(|b| blocker_row(d, b)).collect(),
            warnings: d
                .warnings
                .iter()
                .map(|w| WarningRow {
                    gate: w.gate.clone(),
                    message: md(&w.message),
                })
                .collect(),
            waivers: d.waivers.iter().map(waiver_row).collect(),
            approval: approval_text(d.approval.as_ref()),
            params: md(&d
                .params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")),
            calendar: d
                .calendar
                .as_ref()
                .map(|c| md(&c.words()))
                .unwrap_or_default(),
            hold_history: hold_history(d),
            inputs: inputs_view(d),
        }
    }
}

fn blocker_row(d: &Decision, b: &Blocker) -> BlockerRow {
    let gate = b
        .gate
        .as_ref()
        .and_then(|id| d.gates.iter().find(|g| &g.id == id));
    BlockerRow {
        gate: b.gate.clone().unwrap_or_else(|| "(stage hold)".into()),
        status: gate.map_or("-", |g| status_word(g.status)).to_owned(),
        reason: md(&b.reason),
        flip: gate.map_or_else(|| md(&b.reason), super::sentences::flip),
        remediation: b
            .remediation
            .as_deref()
            .map(|r| md(r.trim()))
            .unwrap_or_else(|| "No remediation is written in the policy for this gate.".into()),
    }
}

fn waiver_row(w: &WaiverStatus) -> WaiverRow {
    WaiverRow {
        gate: w.gate.clone(),
        state: w.state,
        gate_status: status_word(w.gate_status).to_owned(),
        until: w.until.clone(),
        by: cell(&w.by),
        reason: cell(&w.reason),
        ticket: cell(w.ticket.as_deref().unwrap_or("-")),
    }
}

/// Who approved the stage, or whose approval it awaits; empty when it needs none.
fn approval_text(approval: Option<&ApprovalStatus>) -> String {
    let Some(a) = approval else {
        return String::new();
    };
    match (&a.approved_by, &a.approved_at) {
        (Some(by), Some(at)) => format!("approved by {} at {at}", md(by)),
        _ if a.by.is_empty() => "awaiting approval (anyone may approve)".into(),
        _ => format!(
            "awaiting approval by one of {}",
            a.by.iter().map(|b| md(b)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The hold's restarts and the decisions recorded since the stage was entered, in words.
fn hold_history(d: &Decision) -> Vec<String> {
    d.hold
        .iter()
        .flat_map(|h| {
            let restart = h.restarted_at.iter().map(|r| {
                format!(
                    "the hold clock restarted at {r}, after a NO-GO or ROLLBACK since the entry"
                )
            });
            let events = h
                .history
                .iter()
                .map(|e| format!("{}: {}", e.at, e.verdict.label()));
            restart.chain(events).collect::<Vec<_>>()
        })
        .collect()
}

fn inputs_view(d: &Decision) -> InputsView {
    InputsView {
        policy_sha256: d.inputs.policy_sha256.clone(),
        snapshot_sha256: d.inputs.snapshot_sha256.clone(),
        rollgate_version: d.inputs.rollgate_version.clone(),
        ledger_head: d
            .inputs
            .ledger_head
            .as_ref()
            .map(|h| format!("entry {} (sha256 `{}`)", h.seq, h.hash))
            .unwrap_or_default(),
        replay: replay_command(d),
    }
}

fn stages(d: &Decision) -> Vec<StageRow> {
    d.stages
        .iter()
        .map(|s| {
            let current = s.state == StageState::Current;
            let elapsed = match (&d.hold, current) {
                (Some(h), true) => h.elapsed_s.map_or("unknown".into(), human),
                _ => "-".into(),
            };
            let status = match s.state {
                // The decision's `passed` only means "ordered before the evaluated stage":
                // it carries no evidence (no ledger entry) that the stage passed.
                StageState::Passed => "before this stage".to_owned(),
                StageState::Pending => "pending".to_owned(),
                StageState::Current => match d.verdict {
                    Verdict::Go => "current: pass".to_owned(),
                    Verdict::Hold => "current: holding".to_owned(),
                    Verdict::NoGo => "current: fail".to_owned(),
                    Verdict::Rollback => "current: fail (rollback)".to_owned(),
                },
            };
            StageRow {
                id: s.id.clone(),
                traffic: or_dash(s.traffic.as_deref()),
                hold: s.hold.clone().unwrap_or_else(|| "0s".into()),
                elapsed,
                status,
            }
        })
        .collect()
}

fn evidence_text(g: &GateResult) -> String {
    let Some(e) = &g.evidence else {
        return "snapshot".into();
    };
    let mut parts = vec![md(&e.source)];
    if let Some(q) = &e.query {
        parts.push(format!("query {}", md(q)));
    }
    if let Some(u) = &e.url {
        parts.push(md(&redact_url(u)));
    }
    if let Some(c) = &e.command {
        parts.push(format!("command {}", md(&c.join(" "))));
    }
    if let Some(code) = e.exit_code {
        parts.push(format!("exit {code}"));
    }
    if let Some(s) = e.http_status {
        parts.push(format!("HTTP {s}"));
    }
    if let Some(t) = &e.fetched_at {
        parts.push(format!("fetched {}", md(t)));
    }
    if let Some(t) = &e.data_as_of {
        parts.push(format!("data as of {}", md(t)));
    }
    if let Some(why) = &e.data_age_unknown {
        parts.push(format!("data age unknown: {}", md(why)));
    }
    if let Some(err) = &e.error {
        parts.push(format!("failed: {}", md(err)));
    }
    parts.join("; ")
}

/// A gate's rows, its burn-rate pairs' rows, then its members' rows (named
/// `composite › member`, with a score member's weight).
fn nested_rows(g: &GateResult, prefix: &str) -> Vec<GateRow> {
    let mut name = format!("{prefix}{}", g.id);
    if let Some(w) = g.weight {
        name.push_str(&format!(
            " (weight {}{})",
            fmt_num(w),
            if g.key { ", key" } else { "" }
        ));
    }
    let mut rows = gate_rows(g);
    for r in &mut rows {
        r.gate = name.clone();
    }
    rows.extend(g.pairs.iter().map(|p| pair_row(g, p, &name)));
    let inner = format!("{prefix}{} › ", g.id);
    for m in &g.members {
        rows.extend(nested_rows(m, &inner));
    }
    rows
}

/// One burn-rate pair: both rates against the factor.
fn pair_row(g: &GateResult, p: &BurnPair, name: &str) -> GateRow {
    let r = |x: Option<f64>| x.map_or("unknown".into(), fmt_num);
    let both = match (p.long_rate, p.short_rate) {
        (Some(l), Some(s)) => Some(l.min(s)),
        _ => None,
    };
    GateRow {
        gate: name.to_owned(),
        series: format!("{} / {}", p.long, p.short),
        status: status_word(p.status).to_owned(),
        value: format!(
            "{}: {}, {}: {}",
            p.long,
            r(p.long_rate),
            p.short,
            r(p.short_rate)
        ),
        bound: format!("≤ {} (fails when both exceed it)", fmt_num(p.factor)),
        headroom: headroom_text(both, Some(p.factor), None),
        window: format!("{} / {}", p.long, p.short),
        samples: "-".into(),
        trend: String::new(),
        evidence: evidence_text(g),
        passing: p.status == GateStatus::Pass,
    }
}

fn gate_rows(g: &GateResult) -> Vec<GateRow> {
    let bound = bound_text(g.bound.max, g.bound.min);
    let row = |series: String, s: Option<&SeriesResult>| {
        let status = s.map_or(g.status, |s| s.status);
        let value = s.map_or(g.value, |s| s.value);
        GateRow {
            gate: g.id.clone(),
            series,
            status: status_word(status).to_owned(),
            value: value.map_or("-".into(), fmt_num),
            bound: bound.clone(),
            headroom: headroom_text(value, g.bound.max, g.bound.min),
            // A pass that was not checked for fresh data says so where the window is read.
            window: if g.max_age.as_deref() == Some("none") {
                md(&format!("{} (staleness not checked)", g.window))
            } else {
                md(&g.window)
            },
            // A composite reads no samples itself: its members say theirs.
            samples: if g.kind.is_composite() {
                "-".to_owned()
            } else {
                s.map_or(g.samples, |s| s.samples).to_string()
            },
            trend: s.map_or(String::new(), |s| spark::sparkline(&s.points, 24)),
            evidence: evidence_text(g),
            passing: status == GateStatus::Pass,
        }
    };
    if g.series.is_empty() {
        return vec![row("-".into(), None)];
    }
    g.series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let labels = if s.labels.is_empty() {
                "-".to_owned()
            } else {
                cell(&label_text(&s.labels))
            };
            let mut r = row(labels, Some(s));
            // A compare gate records the candidate, then the baseline (eval/compare.rs): the
            // baseline is what the candidate is compared with, not a subject that passes or
            // fails, nor is the bound (derived from it) its limit.
            if g.kind == Kind::Compare && i == 1 {
                r.status = "baseline".into();
                r.bound = "-".into();
                r.headroom = "-".into();
                r.passing = true;
            }
            r
        })
        .collect()
}

/// A chart of the worst series of a failing gate.
fn chart(g: &GateResult) -> Option<Chart> {
    if g.status != GateStatus::Fail {
        return None;
    }
    let worst = g
        .series
        .iter()
        .filter(|s| s.status == GateStatus::Fail && s.points.len() >= 2)
        .max_by(|a, b| {
            let h = |s: &SeriesResult| {
                -s.value
                    .and_then(|v| crate::eval::headroom(v, g.bound.max, g.bound.min))
                    .unwrap_or(0.0)
            };
            h(a).total_cmp(&h(b))
        })?;
    let bounds: Vec<f64> = if matches!(g.kind, Kind::Threshold | Kind::PerCheck) {
        g.bound.max.into_iter().chain(g.bound.min).collect()
    } else {
        Vec::new()
    };
    let title = format!("{} {}", g.id, label_text(&worst.labels));
    Some(Chart {
        gate: g.id.clone(),
        mermaid: spark::chart(&title, &worst.points, &bounds),
    })
}

/// The command that replays this decision.
pub fn replay_command(d: &Decision) -> String {
    let q = |s: &str| {
        if s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:+".contains(c))
        {
            s.to_owned()
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut cmd = format!(
        "rollgate eval --policy {} --env {} --stage {} --snapshot {} --now {}",
        q(d.inputs.policy_path.as_deref().unwrap_or("POLICY.yaml")),
        q(&d.environment),
        q(&d.stage),
        q(d.inputs.snapshot_path.as_deref().unwrap_or("SNAPSHOT.json")),
        q(&d.evaluated_at)
    );
    if let Some(e) = &d.entered_at {
        cmd.push_str(&format!(" --entered-at {}", q(e)));
    }
    if let Some(o) = &d.owner {
        cmd.push_str(&format!(" --owner {}", q(o)));
    }
    for (k, v) in &d.params {
        cmd.push_str(&format!(" --param {}", q(&format!("{k}={v}"))));
    }
    if let Some(r) = &d.rollout_started_at {
        cmd.push_str(&format!(" --rollout-started-at {}", q(r)));
    }
    cmd
}
