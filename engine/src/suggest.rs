//! Guesses at what the user meant, for `did you mean` help: `1hr` -> `1h`, `60 minutes` ->
//! `60m`, `1 bd` -> `1bd`, `five checks` -> `5 checks`, `Khala_WS` -> `khala-ws`. A guess is
//! offered only when it parses.

use crate::policy::duration::{Duration, Hold};
use crate::policy::window::Window;

/// Which time form a value had to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeForm {
    Duration,
    Hold,
    Window,
}

/// A valid spelling of a time written in words or with the wrong units, if one is evident.
pub(crate) fn time(text: &str, form: TimeForm) -> Option<String> {
    let lower = text.trim().to_lowercase();
    let words: Vec<String> = lower
        .split_whitespace()
        .map(|w| number_word(w).map_or_else(|| w.to_owned(), |n| n.to_string()))
        .collect();
    let t = words.join(" ");
    let guess = match form {
        TimeForm::Window if t == "stage" || t == "the stage" || t == "whole stage" => {
            Some("stage".to_owned())
        }
        TimeForm::Window => checks(&t).or_else(|| elapsed(&t)),
        TimeForm::Hold => business_days(&t).or_else(|| elapsed(&t)),
        TimeForm::Duration => elapsed(&t),
    }?;
    let valid = match form {
        TimeForm::Duration => Duration::parse(&guess).is_ok(),
        TimeForm::Hold => Hold::parse(&guess).is_ok(),
        TimeForm::Window => Window::parse(&guess).is_ok(),
    };
    (valid && guess != text).then_some(guess)
}

/// An id or name in the allowed alphabet: lowercase; `_` (unless allowed), spaces, dots and
/// slashes turned into `-`; other characters dropped.
pub(crate) fn name(text: &str, allow_underscore: bool) -> Option<String> {
    let mut out = String::new();
    for c in text.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if c == '_' && allow_underscore {
            out.push('_');
        } else if matches!(c, '-' | '_' | ' ' | '.' | '/') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(['-', '_']).to_owned();
    (!out.is_empty() && out != text).then_some(out)
}

/// Help for a value that failed a pattern: a valid spelling, when one is evident.
pub(crate) fn pattern(pattern: &str, text: &str) -> Option<String> {
    use crate::policy::patterns::{DURATION, HOLD, ID, MAX_AGE, NAME, PERCENT, WINDOW};
    let fractional_days = text
        .strip_suffix("bd")
        .is_some_and(|n| n.contains('.') && n.parse::<f64>().is_ok());
    if pattern == HOLD && fractional_days {
        return Some("business-day holds count whole days, like `1bd` or `2bd`".into());
    }
    let guess = match pattern {
        ID => name(text, false),
        NAME => name(text, true),
        DURATION => time(text, TimeForm::Duration),
        HOLD => time(text, TimeForm::Hold),
        MAX_AGE => {
            let lower = text.trim().to_ascii_lowercase();
            let off = [
                "none",
                "no",
                "off",
                "never",
                "false",
                "unchecked",
                "null",
                "~",
            ];
            if off.contains(&lower.as_str()) {
                Some("none".to_owned())
            } else {
                time(text, TimeForm::Duration)
            }
        }
        PERCENT => {
            let packed: String = text.split_whitespace().collect();
            let number = packed.strip_suffix('%').unwrap_or(&packed);
            match number.parse::<f64>() {
                Ok(v) if v < 0.0 => {
                    return Some(
                        "a tolerance is a size, never negative: `max_increase: 20%` bounds a rise, \
                         `max_decrease: 20%` a fall"
                            .into(),
                    );
                }
                Ok(v) if v.is_finite() => Some(format!("{number}%")),
                _ => None,
            }
        }
        WINDOW => time(text, TimeForm::Window),
        _ => None,
    };
    // A guess that repeats what was written helps nobody.
    guess
        .filter(|g| g != text)
        .map(|g| format!("did you mean `{g}`?"))
}

/// Help for text written where a number belongs: `0.1%`, `250ms`, `NaN`.
pub(crate) fn number(text: &str) -> Option<String> {
    let t = text.trim();
    if t.parse::<f64>().is_ok_and(|v| !v.is_finite()) {
        return Some(
            "a policy's numbers are finite: NaN and infinities belong in a snapshot's samples, never in a bound"
                .into(),
        );
    }
    if let Some(p) = t
        .strip_suffix('%')
        .and_then(|p| p.trim().parse::<f64>().ok())
    {
        let fraction = format!("{:.10}", p / 100.0)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned();
        return Some(format!(
            "write a fraction, not a percentage: did you mean `{fraction}`?"
        ));
    }
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|i| *i > 0)?;
    let (number, unit) = t.split_at(digits);
    (number.parse::<f64>().is_ok() && unit.trim().chars().all(|c| c.is_alphabetic()))
        .then(|| format!("write the number without its unit: did you mean `{number}`?"))
}

/// YAML 1.1 spellings of booleans, which strict YAML 1.2 reads as text.
pub(crate) fn bool_word(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" | "true" | "enabled" => Some(true),
        "no" | "n" | "off" | "false" | "disabled" => Some(false),
        _ => None,
    }
}

/// Text that reads as the number or boolean `expected` asks for: quoted by mistake.
pub(crate) fn quoted<'v>(instance: &'v serde_json::Value, expected: &str) -> Option<&'v str> {
    instance.as_str().filter(|t| {
        (expected.contains("number") && t.trim().parse::<f64>().is_ok_and(f64::is_finite))
            || (expected.contains("`true` or `false`") && matches!(*t, "true" | "false"))
    })
}

pub(crate) fn quoted_text(text: &str) -> String {
    format!("the text `\"{text}\"`")
}

fn number_word(w: &str) -> Option<u32> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    let w = w.trim_end_matches(',');
    WORDS
        .iter()
        .position(|x| *x == w)
        .map(|i| i as u32)
        .or(match w {
            "a" | "an" => Some(1),
            "fifteen" => Some(15),
            "twenty" => Some(20),
            "thirty" => Some(30),
            "sixty" => Some(60),
            _ => None,
        })
}

/// `5 check`, `5checks`, `5 samples`, `last 5 checks` -> `5 checks`.
fn checks(t: &str) -> Option<String> {
    let t = t.strip_prefix("last ").unwrap_or(t);
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let unit = t[digits.len()..].trim();
    let n: u32 = digits.parse().ok()?;
    let known = [
        "check", "checks", "chk", "chks", "sample", "samples", "point", "points", "run", "runs",
    ];
    if n == 0 || !known.contains(&unit) {
        return None;
    }
    Some(if n == 1 {
        "1 check".into()
    } else {
        format!("{n} checks")
    })
}

/// `1 bd`, `2 business days`, `3 working days` -> `Nbd`.
fn business_days(t: &str) -> Option<String> {
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let unit = t[digits.len()..].trim().replace(['-', ' '], "");
    let n: u32 = digits.parse().ok()?;
    let known = [
        "bd",
        "bds",
        "bday",
        "bdays",
        "businessday",
        "businessdays",
        "workingday",
        "workingdays",
        "workday",
        "workdays",
    ];
    known.contains(&unit.as_str()).then(|| format!("{n}bd"))
}

/// Numbers with unit words (`1hr`, `90 mins`, `1.5h`, `1 hour 30 minutes`): the user's own
/// numbers with the right units when they are whole, else the canonical form of the total.
fn elapsed(t: &str) -> Option<String> {
    let mut pieces: Vec<(String, char)> = Vec::new();
    let mut total = 0.0f64;
    let mut rest = t;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        rest = rest.strip_prefix("and ").unwrap_or(rest);
        if rest.is_empty() {
            break;
        }
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..num_len];
        let value: f64 = number.parse().ok()?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (unit, seconds) = match &rest[..unit_len] {
            "s" | "sec" | "secs" | "second" | "seconds" => ('s', 1.0),
            "m" | "min" | "mins" | "minute" | "minutes" => ('m', 60.0),
            "h" | "hr" | "hrs" | "hour" | "hours" => ('h', 3600.0),
            "d" | "day" | "days" => ('d', 86_400.0),
            "w" | "wk" | "wks" | "week" | "weeks" => ('w', 604_800.0),
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * seconds;
        pieces.push((number.to_owned(), unit));
    }
    if pieces.is_empty() || total <= 0.0 || total.fract() != 0.0 || total > 1e10 {
        return None;
    }
    let own: String = pieces.iter().map(|(n, u)| format!("{n}{u}")).collect();
    if Duration::parse(&own).is_ok() {
        return Some(own);
    }
    Some(
        Duration {
            seconds: total as i64,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_durations() {
        let d = |t| time(t, TimeForm::Duration);
        assert_eq!(d("1hr").as_deref(), Some("1h"));
        assert_eq!(d("60 minutes").as_deref(), Some("60m"));
        assert_eq!(d("1 hour 30 mins").as_deref(), Some("1h30m"));
        assert_eq!(d("1.5h").as_deref(), Some("1h30m"));
        assert_eq!(d("2 weeks").as_deref(), Some("14d"));
        assert_eq!(d("1H").as_deref(), Some("1h"));
        assert_eq!(d("30m"), None, "already valid: nothing to suggest");
        assert_eq!(d("soon"), None);
        assert_eq!(d("5ms"), None);
    }

    #[test]
    fn guesses_holds_and_windows() {
        assert_eq!(time("1 bd", TimeForm::Hold).as_deref(), Some("1bd"));
        assert_eq!(
            time("2 business days", TimeForm::Hold).as_deref(),
            Some("2bd")
        );
        assert_eq!(time("1.5bd", TimeForm::Hold), None);
        assert_eq!(time("1 bd", TimeForm::Duration), None);
        assert_eq!(
            time("five checks", TimeForm::Window).as_deref(),
            Some("5 checks")
        );
        assert_eq!(
            time("last 10 samples", TimeForm::Window).as_deref(),
            Some("10 checks")
        );
        assert_eq!(time("Stage", TimeForm::Window).as_deref(), Some("stage"));
        assert_eq!(time("1hr", TimeForm::Window).as_deref(), Some("1h"));
    }

    #[test]
    fn helps_with_patterns_numbers_and_booleans() {
        use crate::policy::patterns::{HOLD, MAX_AGE, WINDOW};
        assert_eq!(
            pattern(MAX_AGE, "None").as_deref(),
            Some("did you mean `none`?")
        );
        assert_eq!(
            pattern(MAX_AGE, "15 minutes").as_deref(),
            Some("did you mean `15m`?")
        );
        assert_eq!(
            pattern(WINDOW, "five checks").as_deref(),
            Some("did you mean `5 checks`?")
        );
        assert_eq!(
            pattern(HOLD, "1 bd").as_deref(),
            Some("did you mean `1bd`?")
        );
        assert!(pattern(HOLD, "1.5bd").unwrap().contains("whole days"));
        assert_eq!(
            number("5.1%").as_deref(),
            Some("write a fraction, not a percentage: did you mean `0.051`?")
        );
        assert_eq!(
            number("250ms").as_deref(),
            Some("write the number without its unit: did you mean `250`?")
        );
        assert_eq!(number("fast"), None);
        assert_eq!(bool_word("No"), Some(false));
        assert_eq!(bool_word("maybe"), None);
    }

    #[test]
    fn guesses_names() {
        assert_eq!(name("Khala_WS", false).as_deref(), Some("khala-ws"));
        assert_eq!(name("Production", true).as_deref(), Some("production"));
        assert_eq!(name("us_east", true), None);
        assert_eq!(name("---", false), None);
    }
}
