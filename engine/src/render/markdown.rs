//! Decision -> markdown report, through minijinja. The built-in template (`reports/`) is
//! embedded in the binary; a custom template is text the CLI read from disk. Undefined
//! variables are errors, so a template typo fails loudly (and in tests), never silently.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::view::ReportView;
use crate::decision::Decision;

/// The built-in report template.
pub const BUILTIN: &str = include_str!("../../../reports/report.md.j2");

/// Why a report could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// Renders with the built-in template.
pub fn render(d: &Decision) -> String {
    render_with(d, BUILTIN, &[]).expect("the built-in template renders every decision")
}

/// The work one render may do, in minijinja's fuel: about one unit per instruction and per
/// 64 bytes of data made, so it bounds both time and memory. A custom template arrives in a
/// pull request like any input: `{% for a in range(10000) %}{% for b in range(10000) %}`
/// must end in an error, not hold CI for minutes. The built-in report of a 100-gate decision
/// uses well under a tenth of the base (see the tests); the budget grows with the decision.
pub const FUEL_BASE: u64 = 4_000_000;
/// Extra fuel per gate and per chart point of the decision.
const FUEL_PER_ITEM: u64 = 2_000;

fn fuel_for(d: &Decision) -> u64 {
    let items: u64 = d
        .gates
        .iter()
        .map(|g| {
            1 + g.series.len() as u64
                + g.series.iter().map(|s| s.points.len() as u64).sum::<u64>() / 16
        })
        .sum();
    FUEL_BASE.saturating_add(items.saturating_mul(FUEL_PER_ITEM))
}

/// Renders with a template's text; `includes` are other templates it may `{% include %}`
/// by name (the CLI loads them from the template's own directory only). Rendering is bounded
/// by [`FUEL_BASE`] and the decision's size; past it, a clear error.
pub fn render_with(
    d: &Decision,
    template: &str,
    includes: &[(String, String)],
) -> Result<String, TemplateError> {
    render_fueled(d, template, includes, fuel_for(d))
}

fn render_fueled(
    d: &Decision,
    template: &str,
    includes: &[(String, String)],
    fuel: u64,
) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_fuel(Some(fuel));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    let mut syntax = minijinja::syntax::SyntaxConfig::builder();
    syntax.keep_trailing_newline(true);
    env.set_syntax(syntax.build().map_err(|e| TemplateError(describe(&e)))?);
    for (name, text) in includes {
        env.add_template_owned(name.clone(), text.clone())
            .map_err(|e| TemplateError(describe(&e)))?;
    }
    env.add_template_owned("report", template.to_owned())
        .map_err(|e| TemplateError(describe(&e)))?;
    let view = ReportView::new(d);
    let t = env
        .get_template("report")
        .map_err(|e| TemplateError(describe(&e)))?;
    let mut out = t
        .render(minijinja::value::Serde(&view))
        .map_err(|e| TemplateError(describe(&e)))?;
    // One trailing newline, no trailing spaces: stable bytes for never-overwrite checks.
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

fn describe(e: &minijinja::Error) -> String {
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        let at = e
            .name()
            .zip(e.line())
            .map(|(n, l)| format!("{n}:{l}: "))
            .unwrap_or_default();
        return format!(
            "{at}the template did more work than a report may (its budget is about one unit per \
             instruction and per 64 bytes it makes, scaled to the decision); a loop over a large \
             `range`, or a large repetition?"
        );
    }
    let mut s = match (e.name(), e.line()) {
        (Some(name), Some(line)) => format!("{name}:{line}: {}", e.detail().unwrap_or("error")),
        _ => e.to_string(),
    };
    // minijinja's debug info shows the failing expression (`{{ verdcit }}`), which names the
    // undefined variable.
    let debug = format!("{e:#}");
    if let Some(expr) = debug.lines().find(|l| l.contains("{{") || l.contains("{%")) {
        s.push_str(&format!(
            " in `{}`",
            expr.trim()
                .trim_start_matches(|c: char| c.is_ascii_digit()
                    || c == '>'
                    || c == ' '
                    || c == '|')
                .trim()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{GateStatus, Inputs};
    use crate::eval::EvalContext;

    const T0: f64 = 1_800_000_000.0;

    /// A 100-gate decision, half of them failing (each failing gate gets a chart), over 50
    /// metrics of 1,440 samples: the size of the large benchmark's report.
    fn large_decision() -> Decision {
        let mut policy =
            String::from("version: 1\npolicy: big\nenvironments: [production]\nmetrics:\n");
        let mut gates = String::from("gates:\n");
        let mut series = Vec::new();
        for m in 0..50 {
            policy.push_str(&format!("  m{m:02}: {{}}\n"));
            gates.push_str(&format!(
                "  g{m:02}a: {{ metric: m{m:02}, aggregate: p95, max: 50 }}\n  g{m:02}b: {{ metric: m{m:02}, aggregate: max, max: 1000 }}\n"
            ));
            let samples: Vec<String> = (0..1440)
                .map(|i| format!("[{}, {}]", T0 - 60.0 * (1439 - i) as f64, (i * 7 + m) % 100))
                .collect();
            series.push(format!(
                "\"m{m:02}\": {{\"samples\": [{}]}}",
                samples.join(",")
            ));
        }
        policy.push_str(&gates);
        let ids: Vec<String> = (0..50)
            .flat_map(|m| [format!("g{m:02}a"), format!("g{m:02}b")])
            .collect();
        policy.push_str(&format!(
            "stages:\n  - id: full\n    gates: [{}]\n",
            ids.join(", ")
        ));
        let policy = crate::load::load_policy(&policy).unwrap().policy;
        let snap = format!(r#"{{"version": 1, "series": {{{}}}}}"#, series.join(","));
        let snap = crate::snapshot::from_json(snap.as_bytes()).unwrap();
        let cx = EvalContext {
            environment: "production".into(),
            stage: "full".into(),
            now: T0,
            entered_at: None,
            rollout_started_at: None,
            params: Default::default(),
            owner: None,
            clock: None,
            inputs: Inputs {
                policy_sha256: "p".into(),
                snapshot_sha256: "s".into(),
                rollgate_version: "test".into(),
                policy_path: None,
                snapshot_path: None,
                ..Default::default()
            },
        };
        crate::eval::evaluate(&policy, &snap, &cx).unwrap()
    }

    /// The fuel the built-in template needs for a decision: the smallest budget that renders.
    fn needed(d: &Decision) -> u64 {
        let (mut lo, mut hi) = (1u64, fuel_for(d));
        assert!(
            render_fueled(d, BUILTIN, &[], hi).is_ok(),
            "the budget does not render it"
        );
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if render_fueled(d, BUILTIN, &[], mid).is_ok() {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        lo
    }

    #[test]
    fn the_builtin_report_of_a_large_decision_fits_its_budget_with_room() {
        let d = large_decision();
        assert_eq!(d.gates.len(), 100);
        let failing = d
            .gates
            .iter()
            .filter(|g| g.status == GateStatus::Fail)
            .count();
        assert!(failing >= 50, "{failing}");
        let need = needed(&d);
        // Four times the headroom at least: a template change must not come near the bound.
        assert!(need * 4 < fuel_for(&d), "needs {need} of {}", fuel_for(&d));
        assert!(render(&d).starts_with("# NO-GO"));
    }

    #[test]
    fn a_hostile_template_ends_in_a_clear_error() {
        let d = large_decision();
        for hostile in [
            "{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}",
            "{% set s = 'x' * 100000 %}{% for a in range(10000) %}{{ s }}{% endfor %}",
            "{% for r in rows %}{% for a in range(100000) %}{{ a }}{% endfor %}{% endfor %}",
        ] {
            let e = render_with(&d, hostile, &[]).unwrap_err();
            assert!(
                e.0.contains("more work than a report may"),
                "{hostile}: {e}"
            );
        }
    }
}
