//! Durations (`30s`, `1h30m`, `2d`) and holds, which may also be business days (`1bd`).

use std::fmt;

/// A length of wall-clock time, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub seconds: i64,
}

/// How long a stage must be held before GO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hold {
    /// Wall-clock time since the stage was entered.
    Elapsed(Duration),
    /// Business days: time counted only on business days of the policy's calendar.
    BusinessDays(u32),
}

/// Why a duration did not parse. The message is written for the person who wrote the YAML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error(
        "`{0}` is not a duration: write a number and a unit, like `30s`, `5m`, `1h30m` or `2d`"
    )]
    Syntax(String),
    #[error("`{0}` has units out of order or repeated: write the largest first, like `1h30m`")]
    Order(String),
    #[error(
        "`{0}` is not a hold: write a duration like `60m` or `24h`, or business days like `1bd`"
    )]
    HoldSyntax(String),
    #[error("`{0}` is too long a duration")]
    Overflow(String),
}

const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

impl Duration {
    pub const ZERO: Duration = Duration { seconds: 0 };

    /// Parses `30s`, `5m`, `1h`, `1h30m`, `2d`, `1d12h`: units d, h, m, s, each at most once,
    /// largest first.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let syntax = || DurationError::Syntax(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(syntax());
        }
        let mut total: i64 = 0;
        let mut next_unit = 0;
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i || i == bytes.len() {
                return Err(syntax());
            }
            let n: i64 = text[start..i]
                .parse()
                .map_err(|_| DurationError::Overflow(text.to_owned()))?;
            let unit = bytes[i] as char;
            let Some(pos) = UNITS.iter().position(|(u, _)| *u == unit) else {
                return Err(syntax());
            };
            if pos < next_unit {
                return Err(DurationError::Order(text.to_owned()));
            }
            next_unit = pos + 1;
            i += 1;
            total = n
                .checked_mul(UNITS[pos].1)
                .and_then(|v| v.checked_add(total))
                .filter(|v| *v <= 100 * 365 * 86_400)
                .ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
        }
        Ok(Duration { seconds: total })
    }
}

impl fmt::Display for Duration {
    /// The canonical spelling (`1h30m`), used in reports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::format::human(self.seconds))
    }
}

impl Hold {
    /// Parses a duration or `Nbd` (business days).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        if let Some(n) = text.strip_suffix("bd") {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                let days: u32 = n
                    .parse()
                    .ok()
                    .filter(|d| *d <= 3_650)
                    .ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
                return Ok(Hold::BusinessDays(days));
            }
            return Err(DurationError::HoldSyntax(text.to_owned()));
        }
        Duration::parse(text)
            .map(Hold::Elapsed)
            .map_err(|e| match e {
                DurationError::Syntax(t) => DurationError::HoldSyntax(t),
                other => other,
            })
    }

    pub fn is_zero(&self) -> bool {
        match self {
            Hold::Elapsed(d) => d.seconds == 0,
            Hold::BusinessDays(n) => *n == 0,
        }
    }
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hold::Elapsed(d) => d.fmt(f),
            Hold::BusinessDays(n) => write!(f, "{n}bd"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        for (text, secs) in [
            ("30s", 30),
            ("5m", 300),
            ("1h", 3600),
            ("1h30m", 5400),
            ("2d", 172_800),
            ("1d2h3m4s", 93_784),
            ("0s", 0),
        ] {
            assert_eq!(Duration::parse(text).unwrap().seconds, secs, "{text}");
        }
    }

    #[test]
    fn rejects_near_misses() {
        for text in [
            "", "1", "h", "1hr", "1.5h", "30 s", "-5m", "1m1h", "1h1h", "1w",
        ] {
            assert!(Duration::parse(text).is_err(), "{text}");
        }
        assert!(matches!(
            Duration::parse("1m1h"),
            Err(DurationError::Order(_))
        ));
        assert!(matches!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(Duration::parse("90m").unwrap().to_string(), "1h30m");
        assert_eq!(Hold::parse("3bd").unwrap().to_string(), "3bd");
        assert_eq!(
            Hold::parse("1d").unwrap(),
            Hold::Elapsed(Duration { seconds: 86_400 })
        );
        assert!(Hold::parse("bd").is_err());
        assert!(Hold::parse("1.5bd").is_err());
    }
}
