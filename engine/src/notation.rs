//! promtool's series notation, expanded exactly as promtool 2.42 expands it (its lexer and
//! grammar for series descriptions, `promql/parser/lex.go` and `generated_parser.y`), so a
//! test written for promtool means the same here.
//!
//! Segments separated by spaces, tabs or carriage returns, expanded left to right, on one line
//! (promtool puts each series on a line of its `load` command, so a line break ends it):
//!
//! | segment | samples |
//! |---|---|
//! | `a` | a |
//! | `a+bxn` | a, a+b, ..., a+n*b (n+1 samples) |
//! | `a-bxn` | a, a-b, ..., a-n*b |
//! | `axn` | a, repeated n+1 times |
//! | `_` | a missing sample |
//! | `_xn` | n missing samples |
//! | `stale` | a staleness marker: the series ends there (a gap; a later value starts it again) |
//!
//! Numbers are as promtool reads them: `1`, `-2.5`, `.5`, `5.`, `1e-3`, and `NaN`/`Inf` in
//! any case with an optional sign (`nan`, `INF`, `+NaN`, `-Inf`). An integer with a leading
//! zero is octal when its digits allow (`010` is 8, `08` is 8 read as decimal), as Go's
//! `ParseInt(s, 0, 64)` reads it. A number beyond the float range (`1e400`) is an error.
//! A count goes on a number only: `NaNx2`, `Infx2`, `stalex2` and `1+Infx2` are errors (write
//! `NaN+0x2`). The empty string is an empty series. Expansion adds the step repeatedly, as
//! promtool does, so results match it bit for bit. One string expands to at most
//! [`MAX_SAMPLES`] samples (promtool has no cap).

/// Why a notation string does not parse; `segment` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("segment {segment} (`{text}`): {reason}")]
pub struct NotationError {
    pub segment: usize,
    pub text: String,
    pub reason: String,
}

/// The most samples one notation string may expand to (a day of 1 s samples is 86,400).
pub const MAX_SAMPLES: usize = 1_000_000;

/// One step of an expanded series, as promtool distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    Value(f64),
    /// `_`: no sample at this step.
    Omitted,
    /// `stale`: promtool's staleness marker, which ends the series at this step.
    Stale,
}

/// Expands notation into samples; `None` is a gap (`_`, or `stale`, which ends the series
/// there: rollgate never carries a sample forward over a gap, so both read as no sample).
pub fn parse(text: &str) -> Result<Vec<Option<f64>>, NotationError> {
    Ok(expand(text)?
        .into_iter()
        .map(|s| match s {
            Step::Value(v) => Some(v),
            Step::Omitted | Step::Stale => None,
        })
        .collect())
}

/// Expands notation into promtool's steps.
pub fn expand(text: &str) -> Result<Vec<Step>, NotationError> {
    let line = one_line(text)?;
    let mut out = Vec::new();
    let segments = line.split(is_space).filter(|s| !s.is_empty()).enumerate();
    for (i, seg) in segments {
        let err = |reason: String| NotationError {
            segment: i + 1,
            text: seg.to_owned(),
            reason,
        };
        let tokens = lex(seg).map_err(err)?;
        segment(&tokens, &mut out).map_err(err)?;
    }
    Ok(out)
}

/// The values as promtool reads them from its `load` command, where each series is one line
/// (`  name values`, trimmed): a line break ends them, later lines may only be blank or `#`
/// comments, and trailing whitespace (any Unicode space) is dropped.
fn one_line(text: &str) -> Result<&str, NotationError> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.trim_end();
    let stray = rest
        .split('\n')
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    match stray {
        None => Ok(first),
        Some(line) => Err(NotationError {
            segment: first.split(is_space).filter(|s| !s.is_empty()).count() + 1,
            text: line.to_owned(),
            reason: "a line break ends the series (promtool reads the next line as something else): write the values on one line".into(),
        }),
    }
}

/// promtool's separators in a series description (not every Unicode space).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// A token of one segment, as promtool's lexer cuts it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Add,
    Sub,
    Times,
    Blank,
    /// Digits, `.`, exponent; or the word `inf`/`nan` in any case.
    Number(&'a str),
    /// Any other word (`stale` is the only one with a meaning).
    Word(&'a str),
}

fn lex(seg: &str) -> Result<Vec<Token<'_>>, String> {
    let b = seg.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        i += 1;
        out.push(match c {
            b'+' => Token::Add,
            b'-' => Token::Sub,
            b'x' => Token::Times,
            b'_' => Token::Blank,
            c if c.is_ascii_digit() || (c == b'.' && b.get(i).is_some_and(u8::is_ascii_digit)) => {
                i = scan_number(b, start);
                // Next must not be alphanumeric, except the `x` of a count.
                match b.get(i) {
                    Some(&n) if n != b'x' && is_alnum(n) => {
                        let end = (i..b.len()).find(|&k| !is_alnum(b[k])).unwrap_or(b.len());
                        return Err(format!("`{}` is not a number", &seg[start..end]));
                    }
                    _ => Token::Number(&seg[start..i]),
                }
            }
            c if c.is_ascii_alphabetic() => {
                while i < b.len() && (is_alnum(b[i]) || b[i] == b':') {
                    i += 1;
                }
                let word = &seg[start..i];
                if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan") {
                    Token::Number(word)
                } else {
                    Token::Word(word)
                }
            }
            _ => {
                let ch = seg[start..].chars().next().unwrap_or_default();
                return Err(format!("unexpected character {ch:?}"));
            }
        });
    }
    Ok(out)
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The end of the number starting at `i`: digits, an optional fraction, an optional exponent.
fn scan_number(b: &[u8], mut i: usize) -> usize {
    let digits = |b: &[u8], mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(b, i);
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i);
    }
    i
}

/// One segment: `_`, `_xn`, `v`, `vxn` or `v±bxn`, where `v` is a number, a signed number or
/// `stale`.
fn segment(tokens: &[Token<'_>], out: &mut Vec<Step>) -> Result<(), String> {
    use Token::*;
    match tokens {
        [Blank] => return grow(out, 1, Step::Omitted),
        [Blank, Times, Number(n)] => return grow(out, count(n)?, Step::Omitted),
        [Blank, ..] => return Err("write a gap as `_` or `_xn`".into()),
        _ => {}
    }
    let (start, rest) = value(tokens)?;
    match rest {
        [] => grow(out, 1, start),
        [Times, Number(n)] => {
            let n = count(n)?;
            grow(
                out,
                n.checked_add(1).ok_or("the count is too large")?,
                start,
            )
        }
        [sign @ (Add | Sub), Number(b), Times, Number(n)] => {
            let n = count(n)?;
            let total = n.checked_add(1).ok_or("the count is too large")?;
            check_room(out, total)?;
            let step = if *sign == Sub {
                -number(b)?
            } else {
                number(b)?
            };
            // A staleness marker plus a step is an ordinary NaN, as in promtool.
            let mut k = match start {
                Step::Value(v) => v,
                _ => f64::NAN,
            };
            out.push(start);
            for _ in 0..n {
                k += step;
                out.push(Step::Value(k));
            }
            Ok(())
        }
        [Add | Sub, Number(_)] => Err("a step (`+b`/`-b`) needs a count: write `a+bxn`".into()),
        [Times, ..] => Err("the count after `x` must be a whole number".into()),
        [Add | Sub, ..] => Err("write the step as an unsigned number with a count: `a+bxn`".into()),
        _ => Err("expected one value per segment: separate values with spaces".into()),
    }
}

/// The leading value of a segment and the tokens after it.
fn value<'t, 'a>(tokens: &'t [Token<'a>]) -> Result<(Step, &'t [Token<'a>]), String> {
    use Token::*;
    match tokens {
        [Word("stale"), rest @ ..] => Ok((Step::Stale, rest)),
        [Word(w), ..] => Err(word_error(w)),
        [Number(a), rest @ ..] => Ok((Step::Value(number(a)?), rest)),
        [Add, Number(a), rest @ ..] => Ok((Step::Value(number(a)?), rest)),
        [Sub, Number(a), rest @ ..] => Ok((Step::Value(-number(a)?), rest)),
        [Add | Sub, Word(w), ..] => Err(word_error(w)),
        [Times, ..] => Err("a count needs a value before `x`".into()),
        _ => Err("expected a number, `_` or `stale`".into()),
    }
}

fn word_error(w: &str) -> String {
    if let Some(tail) = w.strip_prefix("stale").filter(|t| t.starts_with('x')) {
        return format!(
            "`{w}`: a count cannot follow `stale` (it ends the series: write it once, or `_{tail}` for gaps)"
        );
    }
    let lower = w.to_ascii_lowercase();
    for p in ["nan", "inf"] {
        if lower.strip_prefix(p).is_some_and(|t| t.starts_with('x')) {
            let (head, tail) = w.split_at(p.len());
            return format!("`{w}`: a count cannot follow `{head}` (write `{head}+0{tail}`)");
        }
    }
    format!("`{w}` is not a number (numbers, `NaN`, `Inf`, `_` or `stale`)")
}

/// A number as promtool reads it: Go's `ParseInt(s, 0, 64)` (so a leading zero is octal),
/// else `ParseFloat(s, 64)`, which refuses values beyond the float range.
fn number(s: &str) -> Result<f64, String> {
    let b = s.as_bytes();
    if b.len() > 1 && b[0] == b'0' && b.iter().all(|c| (b'0'..=b'7').contains(c)) {
        let octal = b[1..].iter().try_fold(0i64, |n, c| {
            n.checked_mul(8)?.checked_add(i64::from(c - b'0'))
        });
        if let Some(n) = octal {
            return Ok(n as f64);
        }
    }
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_infinite() && !s.eq_ignore_ascii_case("inf") {
        return Err(format!("`{s}` is out of range (beyond ±1.8e308)"));
    }
    Ok(v)
}

/// A count `n` of `xn`: base-10 digits only (Go's `ParseUint(s, 10, 64)`), within the cap.
fn count(s: &str) -> Result<usize, String> {
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "the count after `x` must be a whole number, not `{s}`"
        ));
    }
    match s.parse::<u64>() {
        Ok(n) if n <= MAX_SAMPLES as u64 => Ok(n as usize),
        Ok(_) => Err(format!("expands past {MAX_SAMPLES} samples")),
        Err(_) => Err("the count is too large".into()),
    }
}

fn check_room(out: &[Step], n: usize) -> Result<(), String> {
    match out.len().checked_add(n) {
        Some(total) if total <= MAX_SAMPLES => Ok(()),
        _ => Err(format!("expands past {MAX_SAMPLES} samples")),
    }
}

fn grow(out: &mut Vec<Step>, n: usize, step: Step) -> Result<(), String> {
    check_room(out, n)?;
    out.extend(std::iter::repeat_n(step, n));
    Ok(())
}

#[cfg(test)]
#[path = "notation_promtool_tests.rs"]
mod promtool_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(s: &str) -> Vec<Option<f64>> {
        parse(s).unwrap()
    }

    #[test]
    fn promtool_documented_examples() {
        // From promtool's unit-testing documentation.
        assert_eq!(vals("1+1x4"), [1.0, 2.0, 3.0, 4.0, 5.0].map(Some));
        assert_eq!(vals("1-1x4"), [1.0, 0.0, -1.0, -2.0, -3.0].map(Some));
        assert_eq!(vals("1x4"), [1.0; 5].map(Some));
        assert_eq!(
            vals("1 _x3 5"),
            vec![Some(1.0), None, None, None, Some(5.0)]
        );
        assert_eq!(
            vals("1 2 3 _ 5x2"),
            vec![
                Some(1.0),
                Some(2.0),
                Some(3.0),
                None,
                Some(5.0),
                Some(5.0),
                Some(5.0)
            ]
        );
        assert_eq!(vals("-2+4x3"), [-2.0, 2.0, 6.0, 10.0].map(Some));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(vals("_"), vec![None]);
        assert_eq!(vals("0.5+0.25x2"), [0.5, 0.75, 1.0].map(Some));
        assert_eq!(vals("1e-3x1"), [0.001; 2].map(Some));
        assert_eq!(vals("1e-3+1e-3x1"), [0.001, 0.002].map(Some));
        assert_eq!(vals("5x0"), vec![Some(5.0)]);
        let v = vals("NaN Inf -Inf +Inf");
        assert!(v[0].unwrap().is_nan());
        assert_eq!(
            v[1..],
            [
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
                Some(f64::INFINITY)
            ]
        );
        // Steps accumulate as promtool adds them.
        let v = vals("0+0.1x3");
        assert_eq!(v[3], Some(0.1 + 0.1 + 0.1));
    }

    #[test]
    fn errors_name_the_segment() {
        for (bad, seg) in [
            ("1 2 x3", 3),
            ("1 abc", 2),
            ("1+1", 1),
            ("1x", 1),
            ("1x-2", 1),
            ("1+-1x2", 1),
            ("1 2 NaNx2", 3),
            ("1e400", 1),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.segment, seg, "{bad}: {e}");
        }
    }

    #[test]
    fn the_cap_bounds_every_form() {
        for bad in [
            "1x99999999",
            "_x99999999",
            "1+1x99999999",
            "1x18446744073709551616",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.reason.contains("1000000") || e.reason.contains("too large"),
                "{bad}: {e}"
            );
        }
        // Many segments that each fit, together past the cap.
        let many = "1x999999 1x999999";
        assert!(parse(many).unwrap_err().reason.contains("1000000"));
        assert_eq!(parse("1x999999").unwrap().len(), MAX_SAMPLES);
    }

    #[test]
    fn messages_suggest_the_fix() {
        let e = parse("NaNx2").unwrap_err();
        assert!(e.reason.contains("`NaN+0x2`"), "{e}");
        let e = parse("1 stalex3").unwrap_err();
        assert!(e.reason.contains("`_x3`"), "{e}");
        let e = parse("1 sum").unwrap_err();
        assert!(e.reason.contains("`sum` is not a number"), "{e}");
        let e = parse("1 2\n3").unwrap_err();
        assert_eq!(e.segment, 3, "{e}");
        assert!(e.reason.contains("one line"), "{e}");
    }

    #[test]
    fn trailing_unicode_space_is_trimmed_but_not_a_separator() {
        // promtool trims its load line (Go's TrimSpace) but splits values on ASCII spaces only.
        assert_eq!(vals("1 2\u{a0}"), [1.0, 2.0].map(Some));
        assert!(parse("1\u{a0}2").is_err());
        assert!(parse("1\u{b}2").is_err());
    }
}
