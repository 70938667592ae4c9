//! Series notation against promtool 2.42: the value part of every series description in
//! Prometheus's own parser tests (`promql/parser/parse_test.go` `testSeries`, `lex_test.go`
//! "series descriptions"), series from its PromQL and promtool test data, and the cases of
//! issue 12 (stale, NaN/Inf spellings, counts on words, leading zeros, range, empty).
//!
//! Each expectation was read from the real promtool 2.42.0: `python3
//! scripts/promtool-notation.py` re-checks the whole table against the promtool on PATH.
//! Expected steps: a number (`NaN`, `Inf`, `-Inf` included), `_` (omitted), `stale`; the
//! empty string is an empty series; `error` is a rejected string.

use super::{Step, expand};

/// (where it comes from, notation, expected expansion).
const CASES: &[(&str, &str, &str)] = &[
    // promql/parser/parse_test.go (v2.42.0 and later), `testSeries`.
    ("parse_test", "1 2 3", "1 2 3"),
    ("parse_test", "-1 2 3", "-1 2 3"),
    ("parse_test", "1 2 3-10x4", "1 2 3 -7 -17 -27 -37"),
    ("parse_test", "1 2 3-0x4", "1 2 3 3 3 3 3"),
    ("parse_test", "1+1", "error"),
    ("parse_test", "1x0", "1"),
    ("parse_test", "1+1x0", "1"),
    ("parse_test", "1 3 _ 5 _x4", "1 3 _ 5 _ _ _ _"),
    ("parse_test", "1 3 _ 5 _a4", "error"),
    ("parse_test", "1 -1", "1 -1"),
    ("parse_test", "1 +1", "1 1"),
    (
        "parse_test",
        "1 -1 -3-10x4 7 9 +5",
        "1 -1 -3 -13 -23 -33 -43 7 9 5",
    ),
    ("parse_test", "1 +1 +4 -6 -2 8", "1 1 4 -6 -2 8"),
    ("parse_test", "1 2 3    ", "1 2 3"),
    ("parse_test", "-3-3 -3", "error"),
    ("parse_test", "-3 -3-3", "error"),
    ("parse_test", "-3 _-2", "error"),
    ("parse_test", "-3 3+3x4-4", "error"),
    // promql/parser/lex_test.go, "series descriptions" (lexed there; parsed here).
    ("lex_test", "_ 1 x .3", "error"),
    ("lex_test", "+Inf Inf NaN", "Inf Inf NaN"),
    ("lex_test", "1+1x4", "1 2 3 4 5"),
    // promql/testdata/*.test and cmd/promtool/testdata (v2.42.0).
    ("staleness.test", "0 1 stale 2", "0 1 stale 2"),
    ("promtool unittest.yml", "0 stale", "0 stale"),
    (
        "promtool unittest.yml",
        "0 _ _ _ _ _ _ 0",
        "0 _ _ _ _ _ _ 0",
    ),
    ("functions.test", "0 NaN 0", "0 NaN 0"),
    ("functions.test", "NaN NaN NaN", "NaN NaN NaN"),
    ("functions.test", "-Inf", "-Inf"),
    ("functions.test", "2 0 NaN", "2 0 NaN"),
    ("functions.test", "NaN 0 1", "NaN 0 1"),
    ("functions.test", "2 NaN 1", "2 NaN 1"),
    ("functions.test", ".8", "0.8"),
    (
        "functions.test",
        "9.988465674311579e+307",
        "9.988465674311579e307",
    ),
    (
        "functions.test",
        "-9.988465674311579e+307",
        "-9.988465674311579e307",
    ),
    ("functions.test", "0x10", "0 0 0 0 0 0 0 0 0 0 0"),
    (
        "functions.test",
        "0+1.33x10",
        "0 1.33 2.66 3.99 5.32 6.65 7.98 9.31 10.64 11.97 13.3",
    ),
    (
        "functions.test",
        "0+10x4 0+10x5",
        "0 10 20 30 40 0 10 20 30 40 50",
    ),
    (
        "functions.test",
        "0+10x9 0 10",
        "0 10 20 30 40 50 60 70 80 90 0 10",
    ),
    ("functions.test", "3+0x10", "3 3 3 3 3 3 3 3 3 3 3"),
    ("functions.test", "0-20x3", "0 -20 -40 -60"),
    // Issue 12: what promtool 2.42 does with the rest.
    ("issue 12", "stale", "stale"),
    ("issue 12", "1 stale 2 stale", "1 stale 2 stale"),
    ("issue 12", "nan", "NaN"),
    ("issue 12", "INF", "Inf"),
    ("issue 12", "+NaN", "NaN"),
    ("issue 12", "-NaN", "NaN"),
    ("issue 12", "-inf +iNf", "-Inf Inf"),
    ("issue 12", "NaNx2", "error"),
    ("issue 12", "Infx2", "error"),
    ("issue 12", "1+Infx2", "error"),
    ("issue 12", "stalex2", "error"),
    ("issue 12", "Stale", "error"),
    ("issue 12", "infinity", "error"),
    ("issue 12", "010", "8"),
    ("issue 12", "08", "8"),
    ("issue 12", "0777 -010", "511 -8"),
    ("issue 12", "010.5", "10.5"),
    ("issue 12", "-010+010x2", "-8 0 8"),
    ("issue 12", "1x010", "1 1 1 1 1 1 1 1 1 1 1"),
    ("issue 12", "1e400", "error"),
    ("issue 12", "-1e400", "error"),
    ("issue 12", "1e-400", "0"),
    ("issue 12", "", ""),
    ("issue 12", "   ", ""),
    ("issue 12", "_x0", ""),
    ("issue 12", "Inf+0x2", "Inf Inf Inf"),
    ("issue 12", "NaN+1x1", "NaN NaN"),
    ("issue 12", "stale+1x2", "stale NaN NaN"),
    ("issue 12", "1_000", "error"),
    ("issue 12", "1 sum", "error"),
    ("issue 12", "1x1.5", "error"),
    ("issue 12", "1e+2 1E-2 5.", "100 0.01 5"),
    ("issue 12", "1\t2\r3", "1 2 3"),
    ("issue 12", "1\t2\n3\r4", "error"),
    ("issue 12", "\n1 2", "error"),
    ("issue 12", "1 2\n", "1 2"),
    ("issue 12", "1 2\n  \n# a comment", "1 2"),
    ("issue 12", "1x", "error"),
    ("issue 12", "x3", "error"),
    ("issue 12", "1xx2", "error"),
    ("issue 12", "1 - 2", "error"),
];

fn expected(text: &str) -> Option<Vec<Step>> {
    (text != "error").then(|| {
        text.split_whitespace()
            .map(|s| match s {
                "_" => Step::Omitted,
                "stale" => Step::Stale,
                n => Step::Value(
                    n.parse()
                        .unwrap_or_else(|_| panic!("bad expectation `{n}`")),
                ),
            })
            .collect()
    })
}

/// Equal as promtool's values are: bit for bit, except that every NaN is NaN.
fn same(a: &Step, b: &Step) -> bool {
    match (a, b) {
        (Step::Value(x), Step::Value(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        _ => a == b,
    }
}

#[test]
fn expands_as_promtool_2_42() {
    assert!(CASES.len() >= 40);
    let mut wrong = Vec::new();
    for (from, text, want) in CASES {
        let got = expand(text);
        let ok = match (expected(want), &got) {
            (None, Err(_)) => true,
            (Some(w), Ok(g)) => w.len() == g.len() && w.iter().zip(g).all(|(a, b)| same(a, b)),
            _ => false,
        };
        if !ok {
            wrong.push(format!("{from}: {text:?}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn leading_zero_zero_is_negative_zero_when_negated() {
    // Go negates the parsed number: `-0` and `-00` are -0.0, as in promtool.
    for text in ["-0", "-00"] {
        match expand(text).unwrap()[..] {
            [Step::Value(v)] => assert!(v == 0.0 && v.is_sign_negative(), "{text}"),
            ref other => panic!("{text}: {other:?}"),
        }
    }
}
