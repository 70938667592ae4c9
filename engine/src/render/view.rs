//! The report's view of a decision: every value formatted for people and every string from
//! data already escaped for markdown, so templates only place text and cannot forget to
//! escape it.

use serde::Serialize;

use super::escape::{cell, md};
use super::spark;
use crate::decision::{
    ApprovalStatus, Blocker, Decision, GateResult, GateStatus, Kind, OnFail, SeriesResult,
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
    pub rows: Vec<GateRow>,
    pub charts: Vec<Chart>,
    pub blockers: Vec<BlockerRow>,
    pub warnings: Vec<WarningRow>,
    pub inputs: InputsView,
    /// "Waivers in force" (and expired ones), already escaped.
    pub waivers: Vec<WaiverRow>,
    /// The approval line, when the stage requires one.
    pub approval: String,
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
            statement: statement(d, &owner),
            stages: stages(d),
            rows: d.gates.iter().flat_map(gate_rows).collect(),
            charts: d.gates.iter().filter_map(chart).collect(),
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
        flip: gate.map_or_else(|| md(&b.reason), flip),
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

/// The one sentence a person signs.
fn statement(d: &Decision, owner: &str) -> String {
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
            samples: s.map_or(g.samples, |s| s.samples).to_string(),
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

/// The smallest change that would flip a gate that does not pass.
fn flip(g: &GateResult) -> String {
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
        (GateStatus::Inconclusive, _) => format!("provide enough fresh data: {}", md(&g.message)),
        (GateStatus::Error, _) => format!("fix the failure: {}", md(&g.message)),
        (GateStatus::Pass, _) => String::new(),
    }
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
    cmd
}
