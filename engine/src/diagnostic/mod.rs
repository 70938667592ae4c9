//! Problems found in user files, each with its place, so the CLI can print
//! `file:line:col: message` or an excerpt with a caret.

use std::fmt;

mod code;

pub use code::Code;

use serde::Serialize;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// Whether a problem stops the file from being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file. Messages are lowercase, name user input in backticks, and keep
/// advice ("did you mean ...") in `help`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// What kind of problem this is, stable across rewordings (`docs/diagnostics.md`).
    pub code: Code,
    pub severity: Severity,
    pub pos: Pos,
    /// JSON pointer of the offending node (empty for the document itself).
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(
        code: Code,
        pos: Pos,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: Severity::Error,
            pos,
            pointer: pointer.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(
        code: Code,
        pos: Pos,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, pos, pointer, message)
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// The one-line form: `message; help` (without file and position).
    pub fn text(&self) -> String {
        let mut s = match self.severity {
            Severity::Error => self.message.clone(),
            Severity::Warning => format!("warning: {}", self.message),
        };
        if let Some(h) = &self.help {
            s.push_str("; ");
            s.push_str(h);
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.pos.line, self.pos.col, self.text())
    }
}

/// Sorts problems by position and removes exact repeats, so output is stable and readable.
pub fn normalize(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| (a.pos, a.severity, &a.message).cmp(&(b.pos, b.severity, &b.message)));
    diags.dedup_by(|a, b| a.pos == b.pos && a.message == b.message);
}

/// `did you mean `x`?` for the closest candidate, when one is close enough to be a typo.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(wrong, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate nearest to `wrong` by edit distance, if within a third of its length (at
/// least 2 edits), or when one is a prefix of the other.
pub fn closest<'a, I>(wrong: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (wrong.chars().count() / 3).max(2);
    let lw = wrong.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == wrong {
            continue;
        }
        let lc = c.to_lowercase();
        let d = levenshtein(&lw, &lc);
        let prefix = lw.len() >= 3 && (lc.starts_with(&lw) || lw.starts_with(&lc));
        if (d <= limit || prefix) && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let keys = ["metric", "aggregate", "window", "max"];
        assert_eq!(closest("metirc", keys), Some("metric"));
        assert_eq!(closest("windw", keys), Some("window"));
        assert_eq!(closest("aggregat", keys), Some("aggregate"));
        assert_eq!(closest("zzzzzz", keys), None);
    }

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
    }
}
