//! The series selectors of a PromQL expression (`errors_total{code=~"5.."}`), found by a
//! small lexer: enough to ask Prometheus how old the raw samples behind a query are. It never
//! guesses: anything it does not understand is an error, and the caller then treats the
//! data's age as unknown (fail closed).

/// One series selector as written (name and matchers; no range, no modifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub text: String,
    /// Whether an `offset` or `@` modifier follows it: its samples are old by design.
    pub modified: bool,
}

/// Aggregation operators and keywords: never metric names in PromQL.
const KEYWORDS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "atan2",
    "offset",
    "inf",
    "nan",
];

/// Keywords followed by a parenthesized list of label names (not an expression).
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        while self.i < self.b.len() {
            match self.b[self.i] {
                b' ' | b'\t' | b'\n' | b'\r' => self.i += 1,
                b'#' => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.b.get(self.i).copied()
    }

    /// A quoted string starting at `i` (`"`, `'` or a backquote).
    fn string(&mut self) -> Result<(), String> {
        let q = self.b[self.i];
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'\\' && q != b'`' {
                self.i += 2;
                continue;
            }
            self.i += 1;
            if c == q {
                return Ok(());
            }
        }
        Err(format!("an unterminated string at byte {start}"))
    }

    fn ident(&mut self) -> &str {
        let start = self.i;
        while self.i < self.b.len()
            && (self.b[self.i].is_ascii_alphanumeric() || matches!(self.b[self.i], b'_' | b':'))
        {
            self.i += 1;
        }
        &self.src[start..self.i]
    }

    /// Skips a bracketed or braced group (`{...}`, `[...]`, `(...)`) with strings inside.
    fn group(&mut self, open: u8, close: u8) -> Result<(), String> {
        let start = self.i;
        debug_assert_eq!(self.b[self.i], open);
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'"' | b'\'' | b'`' => self.string()?,
                c if c == close => {
                    self.i += 1;
                    return Ok(());
                }
                c if c == open => {
                    return Err(format!("a nested `{}` at byte {}", c as char, self.i));
                }
                _ => self.i += 1,
            }
        }
        Err(format!("an unclosed `{}` at byte {start}", open as char))
    }

    /// A number or duration literal (`0.5`, `1e-3`, `0x1f`, `5m30s`).
    fn literal(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            let sign_after_exponent = matches!(c, b'+' | b'-')
                && self.i > 0
                && matches!(self.b[self.i - 1], b'e' | b'E')
                && !self.src[..self.i].contains("0x");
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || sign_after_exponent {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// After a selector or a range: `offset DURATION` and `@ TIME` modifiers, if any.
    fn modifiers(&mut self) -> Result<bool, String> {
        let mut any = false;
        loop {
            match self.peek() {
                Some(b'@') => {
                    self.i += 1;
                    any = true;
                    match self.peek() {
                        Some(c) if c.is_ascii_alphabetic() => {
                            self.ident();
                            if self.peek() == Some(b'(') {
                                self.group(b'(', b')')?;
                            }
                        }
                        _ => {
                            if matches!(self.peek(), Some(b'-' | b'+')) {
                                self.i += 1;
                            }
                            self.literal();
                        }
                    }
                }
                Some(c) if c.is_ascii_alphabetic() => {
                    let save = self.i;
                    if self.ident().eq_ignore_ascii_case("offset") {
                        any = true;
                        if self.peek() == Some(b'-') {
                            self.i += 1;
                        }
                        self.skip_space();
                        self.literal();
                    } else {
                        self.i = save;
                        return Ok(any);
                    }
                }
                _ => return Ok(any),
            }
        }
    }
}

/// The series selectors of `query`, in order, each once.
pub fn selectors(query: &str) -> Result<Vec<Selector>, String> {
    let mut lx = Lexer {
        src: query,
        b: query.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Selector> = Vec::new();
    let mut push = |s: Selector| {
        if let Some(prev) = out.iter_mut().find(|p| p.text == s.text) {
            prev.modified &= s.modified;
        } else {
            out.push(s);
        }
    };
    while let Some(c) = lx.peek() {
        match c {
            b'"' | b'\'' | b'`' => lx.string()?,
            b'0'..=b'9' | b'.' => lx.literal(),
            b'[' => {
                // A subquery's range (`[1h:1m]`) and its modifiers.
                lx.group(b'[', b']')?;
                lx.modifiers()?;
            }
            b'{' => {
                let start = lx.i;
                lx.group(b'{', b'}')?;
                let text = query[start..lx.i].trim_end().to_owned();
                if lx.peek() == Some(b'[') {
                    lx.group(b'[', b']')?;
                }
                let modified = lx.modifiers()?;
                push(Selector { text, modified });
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {
                let start = lx.i;
                let name = lx.ident().to_owned();
                let lower = name.to_ascii_lowercase();
                if LABEL_LISTS.contains(&lower.as_str()) {
                    if lx.peek() == Some(b'(') {
                        lx.group(b'(', b')')?;
                    }
                    continue;
                }
                if KEYWORDS.contains(&lower.as_str()) || lx.peek() == Some(b'(') {
                    // An operator, a keyword or a function call: its arguments follow.
                    continue;
                }
                if lx.peek() == Some(b'{') {
                    lx.group(b'{', b'}')?;
                }
                let text = query[start..lx.i].trim_end().to_owned();
                if lx.peek() == Some(b'[') {
                    lx.group(b'[', b']')?;
                }
                let modified = lx.modifiers()?;
                push(Selector { text, modified });
            }
            b'(' | b')' | b',' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'=' | b'!' | b'<'
            | b'>' => lx.i += 1,
            other => {
                return Err(format!(
                    "`{}` at byte {} is not PromQL this reader knows",
                    other as char, lx.i
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(q: &str) -> Vec<(String, bool)> {
        selectors(q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .into_iter()
            .map(|s| (s.text, s.modified))
            .collect()
    }

    fn plain(q: &str) -> Vec<String> {
        texts(q).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn finds_the_selectors_of_common_queries() {
        let cases: &[(&str, &[&str])] = &[
            ("up", &["up"]),
            (
                "process_open_fds{worker=\"active\"}",
                &["process_open_fds{worker=\"active\"}"],
            ),
            (
                "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))",
                &["http_requests_total{code=~\"5..\"}", "http_requests_total"],
            ),
            (
                "histogram_quantile(0.99, sum by (le, surface) (rate(lat_bucket{job='a'}[1m])))",
                &["lat_bucket{job='a'}"],
            ),
            (
                "sum without(instance)(x) > bool 0.5 and on(job) group_left(version) build_info",
                &["x", "build_info"],
            ),
            (
                "{__name__=~\"a|b\", job=\"j\"}",
                &["{__name__=~\"a|b\", job=\"j\"}"],
            ),
            ("max_over_time(rate(x[1m])[1h:1m])", &["x"]),
            ("topk(3, count_values(\"v\", y)) * 1e-3 + 0x1F", &["y"]),
            (
                "label_replace(z, \"dst\", \"$1\", \"src\", \"(.*)\") # a comment with words\n",
                &["z"],
            ),
            ("vector(1) + time()", &[]),
            ("sum(a) or vector(0)", &["a"]),
            (
                "a:recorded:rate5m{env=\"prod\"} unless b",
                &["a:recorded:rate5m{env=\"prod\"}", "b"],
            ),
        ];
        for (q, want) in cases {
            assert_eq!(plain(q), *want, "{q}");
        }
    }

    #[test]
    fn marks_selectors_with_modifiers() {
        assert_eq!(
            texts("rate(x[5m]) / rate(x[5m] offset 1d)"),
            vec![("x".to_owned(), false)]
        );
        assert_eq!(
            texts("y offset -5m + z @ 1700000000 + w @ end()"),
            vec![
                ("y".to_owned(), true),
                ("z".to_owned(), true),
                ("w".to_owned(), true)
            ]
        );
        assert_eq!(
            texts("max_over_time(q[1h] offset 1h)"),
            vec![("q".to_owned(), true)]
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for q in ["sum(x{a=\"b)", "x[5m", "x ~ y", "x{a=\"b\"{c}}"] {
            assert!(selectors(q).is_err(), "{q}");
        }
    }
}
