//! clap value parsers for the flags that need more than clap's own parsing: RFC 3339 times
//! and durations. Commands receive typed values; a bad one is a usage error (exit 2) that
//! clap prints naming the flag and the value, with the reason below.

use rollgate_engine::policy::duration::Duration;
use rollgate_engine::snapshot;

/// An RFC 3339 time (`--now`, `--entered-at`, `--at`, `--until`), in seconds since the
/// epoch.
pub fn time(value: &str) -> Result<f64, String> {
    snapshot::parse_time(value).ok_or_else(|| snapshot::time_problem(value))
}

/// `--param NAME=VALUE`: the name and the value (checked against the policy later).
pub fn param(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((name, v)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), v.to_owned())),
        _ => Err(format!("`{value}` is not `NAME=VALUE`")),
    }
}

/// A positive duration (`--timeout 30s`), in whole seconds.
pub fn duration(value: &str) -> Result<i64, String> {
    Duration::parse(value)
        .ok()
        .filter(|d| d.seconds > 0)
        .map(|d| d.seconds)
        .ok_or_else(|| not_a_duration(value))
}

/// `watch --every`: zero has its own message.
pub fn every(value: &str) -> Result<f64, String> {
    positive(value, "give the time between ticks, at least `1s`")
}

/// `watch --for`: zero has its own message.
pub fn period(value: &str) -> Result<f64, String> {
    positive(value, "give how long to watch, at least `1s`")
}

fn positive(value: &str, if_zero: &str) -> Result<f64, String> {
    match Duration::parse(value) {
        Ok(d) if d.seconds > 0 => Ok(d.seconds as f64),
        Ok(_) => Err(format!("`{value}` is zero: {if_zero}")),
        Err(_) => Err(not_a_duration(value)),
    }
}

fn not_a_duration(value: &str) -> String {
    format!("`{value}` is not a duration like `30s` or `2m`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_bad_ones_say_why() {
        assert_eq!(time("1970-01-01T00:01:00Z"), Ok(60.0));
        let e = time("yesterday").unwrap_err();
        assert!(e.starts_with("`yesterday` is not an RFC 3339 time"), "{e}");
        let e = time("9999-12-31T23:59:59Z").unwrap_err();
        assert!(
            e.contains("outside the times rollgate can represent"),
            "{e}"
        );
    }

    #[test]
    fn durations_are_positive_seconds() {
        assert_eq!(duration("2m"), Ok(120));
        for bad in ["0s", "soon", ""] {
            assert_eq!(
                duration(bad).unwrap_err(),
                format!("`{bad}` is not a duration like `30s` or `2m`")
            );
        }
    }

    #[test]
    fn a_zero_watch_interval_says_what_to_give() {
        assert_eq!(every("1m"), Ok(60.0));
        assert_eq!(
            every("0s").unwrap_err(),
            "`0s` is zero: give the time between ticks, at least `1s`"
        );
        assert_eq!(
            period("0m").unwrap_err(),
            "`0m` is zero: give how long to watch, at least `1s`"
        );
        assert!(period("ten").unwrap_err().contains("is not a duration"));
    }
}
