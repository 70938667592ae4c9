//! Flag values that need more than clap's own parsing: RFC 3339 times and durations. A bad
//! value is a usage error (exit 2) naming the flag.

use rollgate_engine::snapshot;

use crate::error::CliError;

/// Parses an RFC 3339 flag value (seconds since the epoch).
pub fn time_flag(flag: &str, value: &str) -> Result<f64, CliError> {
    snapshot::parse_time(value)
        .ok_or_else(|| CliError::usage(format!("{flag} {}", snapshot::time_problem(value))))
}

/// A positive duration flag (`--timeout 30s`), in seconds.
pub fn duration_flag(flag: &str, value: &str) -> Result<i64, CliError> {
    rollgate_engine::policy::duration::Duration::parse(value)
        .ok()
        .filter(|d| d.seconds > 0)
        .map(|d| d.seconds)
        .ok_or_else(|| not_a_duration(flag, value))
}

/// The refusal of a value that is not a duration.
pub fn not_a_duration(flag: &str, value: &str) -> CliError {
    CliError::usage(format!(
        "{flag} `{value}` is not a duration like `30s` or `2m`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_bad_ones_name_the_flag() {
        assert_eq!(time_flag("--now", "1970-01-01T00:01:00Z").unwrap(), 60.0);
        let e = time_flag("--now", "yesterday").unwrap_err().to_string();
        assert!(
            e.starts_with("error: --now `yesterday` is not an RFC 3339 time"),
            "{e}"
        );
    }

    #[test]
    fn durations_are_positive_seconds() {
        assert_eq!(duration_flag("--timeout", "2m").unwrap(), 120);
        for bad in ["0s", "soon", ""] {
            let e = duration_flag("--timeout", bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("error: --timeout `{bad}` is not a duration like `30s` or `2m`")
            );
        }
    }
}
