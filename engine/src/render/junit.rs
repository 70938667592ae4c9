//! Decision -> JUnit XML: one suite per policy, one case per gate and series; failures carry
//! value, bound and reason. Inconclusive gates are failures (missing data never passes);
//! errors are `<error>`. Shaped to the strict Ant JUnit schema CI systems validate against.

use super::escape::xml;
use super::view::bound_text;
use crate::decision::{Decision, GateResult, GateStatus};
use crate::format::{fmt_num, label_text};

struct Case {
    name: String,
    status: GateStatus,
    detail: String,
    message: String,
}

fn cases(g: &GateResult) -> Vec<Case> {
    let bound = bound_text(g.bound.max, g.bound.min);
    let make = |name: String, status: GateStatus, value: Option<f64>, message: &str| Case {
        name,
        status,
        detail: format!(
            "gate: {}\nstatus: {}\non_fail: {}\nvalue: {}\nbound: {bound}\nwindow: {}\nreason: {message}",
            g.id,
            format!("{status:?}").to_lowercase(),
            g.on_fail,
            value.map_or("-".into(), fmt_num),
            g.window
        ),
        message: message.to_owned(),
    };
    if g.series.len() <= 1 {
        return vec![make(g.id.clone(), g.status, g.value, &g.message)];
    }
    g.series
        .iter()
        .map(|s| {
            make(
                format!("{} {}", g.id, label_text(&s.labels)),
                s.status,
                s.value,
                &s.message,
            )
        })
        .collect()
}

pub fn render(d: &Decision) -> String {
    let all: Vec<Case> = d.gates.iter().flat_map(cases).collect();
    let failures = all
        .iter()
        .filter(|c| matches!(c.status, GateStatus::Fail | GateStatus::Inconclusive))
        .count();
    let errors = all.iter().filter(|c| c.status == GateStatus::Error).count();
    let stamp = d
        .evaluated_at
        .trim_end_matches('Z')
        .split('.')
        .next()
        .unwrap_or_default();
    let classname = xml(&format!("{}.{}.{}", d.policy, d.environment, d.stage));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"rollgate\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        all.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" package=\"rollgate\" id=\"0\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"0\" timestamp=\"{stamp}\" hostname=\"rollgate\">\n",
        xml(&d.policy),
        all.len()
    ));
    out.push_str("    <properties>\n");
    for (k, v) in [
        ("environment", d.environment.as_str()),
        ("stage", d.stage.as_str()),
        ("verdict", d.verdict.label()),
        ("evaluated_at", d.evaluated_at.as_str()),
        ("policy_sha256", d.inputs.policy_sha256.as_str()),
        ("snapshot_sha256", d.inputs.snapshot_sha256.as_str()),
    ] {
        out.push_str(&format!(
            "      <property name=\"{k}\" value=\"{}\"/>\n",
            xml(v)
        ));
    }
    // Gates that pass without a staleness check (`max_age: none`) say so.
    let unchecked = d.staleness_unchecked();
    if !unchecked.is_empty() {
        out.push_str(&format!(
            "      <property name=\"staleness not checked\" value=\"{}\"/>\n",
            xml(&unchecked.join(", "))
        ));
    }
    out.push_str("    </properties>\n");
    for c in &all {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{classname}\" time=\"0\"",
            xml(&c.name)
        ));
        match c.status {
            GateStatus::Pass => out.push_str("/>\n"),
            status => {
                let (tag, kind) = match status {
                    GateStatus::Error => ("error", "error"),
                    GateStatus::Inconclusive => ("failure", "inconclusive"),
                    _ => ("failure", "fail"),
                };
                out.push_str(&format!(
                    ">\n      <{tag} message=\"{}\" type=\"{kind}\">{}</{tag}>\n    </testcase>\n",
                    xml(&c.message),
                    xml(&c.detail)
                ));
            }
        }
    }
    out.push_str(&format!(
        "    <system-out>{}</system-out>\n    <system-err></system-err>\n  </testsuite>\n</testsuites>\n",
        xml(&format!("{}: {} in {} at {}", d.verdict.label(), d.policy, d.environment, d.stage))
    ));
    out
}
