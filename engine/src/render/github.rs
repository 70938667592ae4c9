//! Decision -> GitHub Actions annotations (`::error`/`::warning` workflow commands), with
//! `file=` the policy, `line=` the gate's line and `title=` the gate id; at most ten per
//! level (GitHub shows no more), then a notice of how many were left out. The step summary
//! (markdown) is written by the CLI.

use super::escape::{workflow_message, workflow_property};
use crate::decision::{Decision, GateResult, GateStatus, OnFail};

/// Annotations GitHub displays per level and step.
pub const MAX_PER_LEVEL: usize = 10;

/// The level (0 error, 1 warning, 2 notice) and the annotation of a gate that did not pass.
fn annotation(g: &GateResult, file: &str) -> (usize, String) {
    let mut props = Vec::new();
    if !file.is_empty() {
        props.push(format!("file={}", workflow_property(file)));
    }
    if let Some(l) = g.line {
        props.push(format!("line={l}"));
    }
    props.push(format!("title={}", workflow_property(&g.id)));
    let status = format!("{:?}", g.status).to_lowercase();
    let approved = g.approval.as_ref().and_then(|a| a.approved_by.clone());
    let (level, said) = match (g.shadow, g.on_fail, approved) {
        (true, _, _) => (2, format!("shadow gate, not counted: {status}")),
        (false, OnFail::Approve, Some(by)) => (2, format!("{status}, approved by {by}")),
        (false, OnFail::Approve, None) if g.status == GateStatus::Fail => {
            (1, format!("{status}, awaiting approval"))
        }
        (false, OnFail::Warn, _) => (1, status),
        _ => (0, status),
    };
    // A composite's members (and a script's `gate()` reads), nested in words.
    let members = if g.members.is_empty() {
        String::new()
    } else {
        let listed: Vec<String> = g
            .members
            .iter()
            .map(|m| format!("{} {}", m.id, format!("{:?}", m.status).to_lowercase()))
            .collect();
        format!(" [members: {}]", listed.join(", "))
    };
    let text = format!(
        "{}::{}",
        props.join(","),
        workflow_message(&format!("{said}: {}{members}", g.message))
    );
    (level, text)
}

pub fn render(d: &Decision) -> String {
    let file = d.inputs.policy_path.clone().unwrap_or_default();
    let mut levels: [Vec<String>; 3] = Default::default();
    for g in d.gates.iter().filter(|g| g.status != GateStatus::Pass) {
        let (level, text) = annotation(g, &file);
        levels[level].push(text);
    }
    let [errors, warnings, notices] = levels;
    let mut out = String::new();
    for (level, list) in [
        ("error", &errors),
        ("warning", &warnings),
        ("notice", &notices),
    ] {
        for l in list.iter().take(MAX_PER_LEVEL) {
            out.push_str(&format!("::{level} {l}\n"));
        }
        if list.len() > MAX_PER_LEVEL {
            out.push_str(&format!(
                "::notice title=rollgate::{} more {level} annotations were left out; see the report\n",
                list.len() - MAX_PER_LEVEL
            ));
        }
    }
    if let Some(c) = &d.calendar {
        out.push_str(&format!(
            "::notice title=rollgate calendar::{}\n",
            workflow_message(&c.words())
        ));
    }
    let unchecked = d.staleness_unchecked();
    if !unchecked.is_empty() {
        out.push_str(&format!(
            "::notice title=rollgate staleness::{}\n",
            workflow_message(&format!(
                "staleness not checked (`max_age: none`) for {}",
                unchecked.join(", ")
            ))
        ));
    }
    out.push_str(&format!(
        "::notice title=rollgate {}::{}\n",
        d.verdict.label(),
        workflow_message(&format!(
            "{} in {} at {}: {}",
            d.policy,
            d.environment,
            d.stage,
            d.verdict.label()
        ))
    ));
    out
}

/// The markdown for `$GITHUB_STEP_SUMMARY`, kept under `limit` bytes: passing rows of the
/// gates table go first, then the charts, then the text is cut with a note.
pub fn step_summary(markdown: &str, limit: usize) -> String {
    if markdown.len() <= limit {
        return markdown.to_owned();
    }
    let mut kept: Vec<&str> = markdown
        .lines()
        .filter(|l| !(l.starts_with("| `") && l.contains("| ✅ pass |")))
        .collect();
    let mut text = kept.join("\n");
    if text.len() > limit {
        // Drop the mermaid charts.
        let mut out = Vec::new();
        let mut in_chart = false;
        for l in kept.drain(..) {
            if l == "```mermaid" {
                in_chart = true;
            } else if in_chart && l == "```" {
                in_chart = false;
            } else if !in_chart {
                out.push(l);
            }
        }
        text = out.join("\n");
    }
    let note = "\n\n_The summary was shortened to fit GitHub's limit; passing rows and charts are in the full report._\n";
    if text.len() + note.len() > limit {
        let mut cut = limit.saturating_sub(note.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text.push_str(note);
    text
}
