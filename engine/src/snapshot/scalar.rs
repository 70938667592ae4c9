//! The two scalars of a snapshot's samples, read without an intermediate value: a time (unix
//! seconds or RFC 3339) and a value (a number, or numeric text as Prometheus writes it,
//! `"NaN"` and `"+Inf"` included).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use super::parse_time;

/// A time: unix seconds (integer or fractional) or RFC 3339 text.
pub(super) struct TimeSeed;

impl<'de> DeserializeSeed<'de> for TimeSeed {
    type Value = f64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for TimeSeed {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a time (unix seconds or RFC 3339)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(E::custom("a time must be a finite number"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_time(v).ok_or_else(|| {
            let why = super::time_problem(v);
            E::custom(if why.contains("outside") {
                why
            } else {
                format!(
                    "`{v}` is not a time: use unix seconds or RFC 3339 like `2026-11-22T12:00:00Z`"
                )
            })
        })
    }
}

/// A value: a number, or numeric text (`"0.5"`, `"NaN"`, `"+Inf"`).
pub(super) struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = f64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for ValueSeed {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or numeric text")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_value(v).ok_or_else(|| E::custom(format!("`{v}` is not a number")))
    }
}

/// Numeric text as Prometheus writes it.
pub fn parse_value(text: &str) -> Option<f64> {
    let t = text.trim();
    match t {
        "NaN" | "nan" | ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        "+Inf" | "Inf" | "inf" | "+inf" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf"
        | "+.INF" => Some(f64::INFINITY),
        "-Inf" | "-inf" | "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        _ if t.is_empty() || t.contains(char::is_alphabetic) && !t.contains(['e', 'E']) => None,
        _ => t.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prometheus_strings() {
        for (text, want) in [
            ("NaN", f64::NAN),
            ("+Inf", f64::INFINITY),
            ("-Inf", f64::NEG_INFINITY),
            ("0.5", 0.5),
            ("1e3", 1000.0),
        ] {
            let got = parse_value(text).unwrap();
            assert!(got == want || (got.is_nan() && want.is_nan()), "{text}");
        }
        assert_eq!(parse_value("abc"), None);
        assert_eq!(parse_value(""), None);
    }
}
