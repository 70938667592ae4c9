//! Templated source text: `{{ params.service }}`, `{{ env }}`, `{{ window }}` in queries,
//! URLs, header values, argv items and file paths, so one policy serves many services. A
//! template is parsed when the policy loads (an unknown name is a located error), and
//! rendered by the fetcher with the evaluation's values; the rendered text is what the
//! evidence records. There is no logic: names in, text out.

use std::collections::BTreeMap;

/// The names a template may use besides `params.X` and `vars.X`.
pub const NAMES: [&str; 6] = [
    "env",
    "stage",
    "window",
    "now",
    "window_start",
    "window_end",
];

/// A parsed template: literal text and names, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Name(String),
}

/// Why a template does not parse, at a byte offset of its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

/// The values a template is rendered with.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub params: BTreeMap<String, String>,
    pub vars: BTreeMap<String, String>,
    /// `env`, `stage`, `window`, `now`, `window_start`, `window_end`.
    pub names: BTreeMap<&'static str, String>,
}

impl Template {
    /// Parses `{{ name }}` placeholders; a `{{` without its `}}` is an error.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut at = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(TemplateError {
                    offset: at + open,
                    message: "`{{` is not closed by `}}`".into(),
                });
            };
            let name = after[..close].trim();
            if name.is_empty() || name.contains(char::is_whitespace) || name.contains('{') {
                return Err(TemplateError {
                    offset: at + open,
                    message: format!(
                        "`{{{{{}}}}}` is not a name: write one name, like `{{{{ params.service }}}}`",
                        &after[..close]
                    ),
                });
            }
            parts.push(Part::Name(name.to_owned()));
            let consumed = open + 2 + close + 2;
            at += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The names used, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Name(n) => Some(n.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Whether the text holds a placeholder at all.
    pub fn is_templated(&self) -> bool {
        self.names().next().is_some()
    }

    /// The text with every name replaced; a name without a value renders as nothing (the
    /// policy was validated, so this happens only for a window the fetcher cannot say).
    pub fn render(&self, v: &Values) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Name(n) => out.push_str(&lookup(v, n).unwrap_or_default()),
            }
        }
        out
    }
}

fn lookup(v: &Values, name: &str) -> Option<String> {
    if let Some(p) = name.strip_prefix("params.") {
        return v.params.get(p).cloned();
    }
    if let Some(p) = name.strip_prefix("vars.") {
        return v.vars.get(p).cloned();
    }
    v.names.get(name).cloned()
}

/// Renders `text` if it is a template; text that does not parse is returned as it is
/// (validation refused such a policy already).
pub fn render_text(text: &str, v: &Values) -> String {
    match Template::parse(text) {
        Ok(t) if t.is_templated() => t.render(v),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let t = Template::parse(
            "sum(rate(errors{service=\"{{ params.service }}\", env=\"{{env}}\"}[{{ window }}]))",
        )
        .unwrap();
        assert_eq!(
            t.names().collect::<Vec<_>>(),
            ["params.service", "env", "window"]
        );
        let mut v = Values::default();
        v.params.insert("service".into(), "checkout".into());
        v.names.insert("env", "production".into());
        v.names.insert("window", "1h".into());
        assert_eq!(
            t.render(&v),
            "sum(rate(errors{service=\"checkout\", env=\"production\"}[1h]))"
        );
        assert!(!Template::parse("up{job=\"x\"}").unwrap().is_templated());
    }

    #[test]
    fn unclosed_and_empty_placeholders_are_errors() {
        let e = Template::parse("a {{ params.x").unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("not closed"));
        assert!(Template::parse("{{ }}").is_err());
        assert!(Template::parse("{{ a b }}").is_err());
    }
}
