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
    /// A shadow gate: reported as skipped, whatever its status (it does not count).
    shadow: bool,
}

/// A composite's members and a burn-rate gate's pairs, one line each, for the case's detail.
fn parts(g: &GateResult, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let mut out = String::new();
    for p in &g.pairs {
        let r = |x: Option<f64>| x.map_or("unknown".into(), fmt_num);
        out.push_str(&format!(
            "\n{pad}pair {}/{}: {} and {} against {} ({})",
            p.long,
            p.short,
            r(p.long_rate),
            r(p.short_rate),
            fmt_num(p.factor),
            format!("{:?}", p.status).to_lowercase()
        ));
    }
    for m in &g.members {
        out.push_str(&format!(
            "\n{pad}member {}: {}: {}",
            m.id,
            format!("{:?}", m.status).to_lowercase(),
            m.message
        ));
        out.push_str(&parts(m, depth + 1));
    }
    out
}

fn cases(g: &GateResult) -> Vec<Case> {
    let bound = bound_text(g.bound.max, g.bound.min);
    let approved = g.approval.as_ref().and_then(|a| a.approved_by.as_deref());
    let make = |name: String, status: GateStatus, value: Option<f64>, message: &str| Case {
        name,
        // A failure a person approved counts as passed, and the name says by whom.
        status: if approved.is_some() {
            GateStatus::Pass
        } else {
            status
        },
        detail: format!(
            "gate: {}\nstatus: {}\non_fail: {}\nvalue: {}\nbound: {bound}\nwindow: {}\nreason: {message}{}",
            g.id,
            format!("{status:?}").to_lowercase(),
            g.on_fail,
            value.map_or("-".into(), fmt_num),
            g.window,
            parts(g, 0)
        ),
        message: message.to_owned(),
        shadow: g.shadow,
    };
    let name = match approved {
        Some(by) => format!("{} (failed, approved by {by})", g.id),
        None if g.shadow => format!("{} (shadow)", g.id),
        None => g.id.clone(),
    };
    if g.series.len() <= 1 {
        return vec![make(name, g.status, g.value, &g.message)];
    }
    g.series
        .iter()
        .map(|s| {
            make(
                format!("{name} {}", label_text(&s.labels)),
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
        .filter(|c| !c.shadow && matches!(c.status, GateStatus::Fail | GateStatus::Inconclusive))
        .count();
    let errors = all
        .iter()
        .filter(|c| !c.shadow && c.status == GateStatus::Error)
        .count();
    let skipped = all.iter().filter(|c| c.shadow).count();
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
        "  <testsuite name=\"{}\" package=\"rollgate\" id=\"0\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{stamp}\" hostname=\"rollgate\">\n",
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
    if let Some(c) = &d.calendar {
        out.push_str(&format!(
            "      <property name=\"calendar\" value=\"{}\"/>\n",
            xml(&c.words())
        ));
    }
    let unchecked = d.staleness_unchecked();
    if !unchecked.is_empty() {
        out.push_str(&format!(
            "      <property name=\"staleness not checked\" value=\"{}\"/>\n",
            xml(&unchecked.join(", "))
        ));
    }
    out.push_str("    </properties>\n");
    for c in &all {
        testcase(&mut out, c, &classname);
    }
    out.push_str(&format!(
        "    <system-out>{}</system-out>\n    <system-err></system-err>\n  </testsuite>\n</testsuites>\n",
        xml(&format!("{}: {} in {} at {}", d.verdict.label(), d.policy, d.environment, d.stage))
    ));
    out
}

/// One `<testcase>`: self-closing when it passed, else with its failure, error or (a shadow
/// gate) skip.
fn testcase(out: &mut String, c: &Case, classname: &str) {
    out.push_str(&format!(
        "    <testcase name=\"{}\" classname=\"{classname}\" time=\"0\"",
        xml(&c.name)
    ));
    match c.status {
        _ if c.shadow => out.push_str(&format!(
            ">\n      <skipped message=\"{}\">{}</skipped>\n    </testcase>\n",
            xml(&format!("shadow gate, not counted: {}", c.message)),
            xml(&c.detail)
        )),
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
