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

/// Renders with a template's text; `includes` are other templates it may `{% include %}`
/// by name (the CLI loads them from the template's own directory only).
pub fn render_with(
    d: &Decision,
    template: &str,
    includes: &[(String, String)],
) -> Result<String, TemplateError> {
    let mut env = Environment::new();
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
