//! promtool's series notation: space-separated segments, expanded left to right.
//!
//! | segment | samples |
//! |---|---|
//! | `a` | a |
//! | `a+bxn` | a, a+b, ..., a+n*b (n+1 samples) |
//! | `a-bxn` | a, a-b, ..., a-n*b |
//! | `axn` | a, repeated n+1 times |
//! | `_` | a missing sample |
//! | `_xn` | n missing samples |
//!
//! Numbers may be negative, fractional, in exponent form, `NaN`, `Inf`, `+Inf`, `-Inf`.
//! Expansion adds the step repeatedly, as promtool does, so results match it bit for bit.

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

/// Expands notation into samples; `None` is a gap.
pub fn parse(text: &str) -> Result<Vec<Option<f64>>, NotationError> {
    let mut out = Vec::new();
    for (i, seg) in text.split_whitespace().enumerate() {
        let err = |reason: &str| NotationError {
            segment: i + 1,
            text: seg.to_owned(),
            reason: reason.to_owned(),
        };
        let (head, times) = split_times(seg).map_err(|r| err(&r))?;
        if head == "_" {
            // `_` is one gap; `_xn` is n gaps (promtool).
            let n = times.unwrap_or(1);
            grow(&mut out, n, None).map_err(|r| err(&r))?;
            continue;
        }
        let (start, step) = split_step(head).map_err(|r| err(&r))?;
        match times {
            None => {
                if step.is_some() {
                    return Err(err("a step (`+b`/`-b`) needs a count: write `a+bxn`"));
                }
                grow(&mut out, 1, Some(start)).map_err(|r| err(&r))?;
            }
            Some(n) => {
                let step = step.unwrap_or(0.0);
                let total = n
                    .checked_add(1)
                    .ok_or_else(|| err("the count is too large"))?;
                if out.len() + total > MAX_SAMPLES {
                    return Err(err(&format!("expands past {MAX_SAMPLES} samples")));
                }
                let mut k = start;
                for _ in 0..total {
                    out.push(Some(k));
                    k += step;
                }
            }
        }
    }
    if out.is_empty() {
        return Err(NotationError {
            segment: 0,
            text: text.to_owned(),
            reason: "no samples: write values like `1 2 3` or `0.5x59`".into(),
        });
    }
    Ok(out)
}

fn grow(out: &mut Vec<Option<f64>>, n: usize, v: Option<f64>) -> Result<(), String> {
    if out.len() + n > MAX_SAMPLES {
        return Err(format!("expands past {MAX_SAMPLES} samples"));
    }
    out.extend(std::iter::repeat_n(v, n));
    Ok(())
}

/// `head` and the count after the last `x`, if any.
fn split_times(seg: &str) -> Result<(&str, Option<usize>), String> {
    match seg.rfind('x') {
        Some(i) if i > 0 => {
            let n = &seg[i + 1..];
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err("the count after `x` must be a whole number".into());
            }
            let n: usize = n.parse().map_err(|_| "the count is too large".to_owned())?;
            Ok((&seg[..i], Some(n)))
        }
        Some(_) => Err("a count needs a value before `x`".into()),
        None => Ok((seg, None)),
    }
}

/// `a`, `a+b` or `a-b`: the start and the signed step.
fn split_step(head: &str) -> Result<(f64, Option<f64>), String> {
    let bytes = head.as_bytes();
    // The operator is a `+`/`-` after the first character that does not follow an exponent.
    let op = (1..bytes.len())
        .find(|&i| (bytes[i] == b'+' || bytes[i] == b'-') && !matches!(bytes[i - 1], b'e' | b'E'));
    match op {
        None => Ok((number(head)?, None)),
        Some(i) => {
            let a = number(&head[..i])?;
            let b = number(&head[i + 1..])?;
            if b.is_sign_negative() || head[i + 1..].starts_with(['+', '-']) {
                return Err("write the step without a sign: `a+b` or `a-b`".into());
            }
            Ok((a, Some(if bytes[i] == b'-' { -b } else { b })))
        }
    }
}

fn number(s: &str) -> Result<f64, String> {
    match s {
        "NaN" => Ok(f64::NAN),
        "Inf" | "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ if s.is_empty() => Err("a number is missing".into()),
        _ if s
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            Err(format!("`{s}` is not a number"))
        }
        _ => s
            .parse::<f64>()
            .map_err(|_| format!("`{s}` is not a number")),
    }
}

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
            ("", 0),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.segment, seg, "{bad}: {e}");
        }
        assert!(parse("1x99999999").is_err(), "bounded");
    }
}
