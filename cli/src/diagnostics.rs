//! Engine diagnostics on the terminal: `file:line:col: message [RG012]`, plus a source excerpt
//! with a caret when stderr is a terminal (annotate-snippets, as rustc renders, the code in
//! the title like rustc's `error[E0308]`). Codes are explained in `docs/diagnostics.md`.

use std::io::{IsTerminal, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use rollgate_engine::diagnostic::{Diagnostic, Severity};

/// How diagnostics are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One line per problem: `file:line:col: message [RG012]`.
    Plain,
    /// The line, then an excerpt with a caret (colored unless NO_COLOR is set).
    Rich { color: bool },
}

impl Style {
    /// Rich on a terminal, plain otherwise (pipes, CI logs, tests).
    pub fn detect() -> Style {
        if std::io::stderr().is_terminal() {
            Style::Rich {
                color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            }
        } else {
            Style::Plain
        }
    }
}

/// Prints diagnostics for one file to stderr.
pub fn emit(path: &str, source: &str, diags: &[Diagnostic], style: Style) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{}", line(path, d));
        if let Style::Rich { color } = style
            && let Some(excerpt) = excerpt(path, source, d, color)
        {
            let _ = writeln!(err, "{excerpt}");
        }
    }
}

/// The one-line form. The code comes last, so the line still starts `file:line:col: message`
/// for whatever greps it.
pub fn line(path: &str, d: &Diagnostic) -> String {
    format!(
        "{path}:{}:{}: {} [{}]",
        d.pos.line,
        d.pos.col,
        d.text(),
        d.code
    )
}

fn excerpt(path: &str, source: &str, d: &Diagnostic, color: bool) -> Option<String> {
    let span = span_of(source, d.pos.line, d.pos.col)?;
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut groups = vec![
        level
            .primary_title(d.message.clone())
            .id(d.code.as_str())
            .element(
                Snippet::source(source)
                    .line_start(1)
                    .path(path)
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(span)),
            ),
    ];
    if let Some(h) = &d.help {
        groups.push(Group::with_title(Level::HELP.secondary_title(h.clone())));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    Some(renderer.render(&groups).to_string())
}

/// The byte range of the token at a 1-based line and (character) column.
fn span_of(source: &str, line: u32, col: u32) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let text = l.trim_end_matches(['\n', '\r']);
            let start = text
                .char_indices()
                .nth(col.saturating_sub(1) as usize)
                .map_or(text.len(), |(b, _)| b);
            let rest = &text[start..];
            // A quoted scalar is one token, spaces and all, up to its closing quote.
            let quoted = rest
                .chars()
                .next()
                .filter(|q| *q == '"' || *q == '\'')
                .and_then(|q| rest[1..].find(q).map(|end| end + 2));
            let len = quoted.unwrap_or_else(|| {
                rest.find(|c: char| {
                    c.is_whitespace() || c == ':' || c == ',' || c == ']' || c == '}'
                })
                .unwrap_or(rest.len())
                .max(rest.chars().next().map_or(0, char::len_utf8))
            });
            return Some(offset + start..offset + start + len);
        }
        offset += l.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_the_token() {
        let src = "a: 1\ngates:\n  metirc: x\n";
        assert_eq!(span_of(src, 3, 3), Some(14..20));
        assert_eq!(&src[14..20], "metirc");
    }

    #[test]
    fn spans_a_quoted_value_whole() {
        let src = "headers:\n  Authorization: \"Bearer abc\"\n";
        let span = span_of(src, 2, 18).unwrap();
        assert_eq!(&src[span], "\"Bearer abc\"");
    }
}
