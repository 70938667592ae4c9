//! The window forms a gate can read: a duration, the last N checks, the stage, or the
//! rollout.

use std::fmt;

use super::duration::{Duration, DurationError};

/// Which samples of a series a gate reads (always only those at or before `now`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// Samples with time in (now - d, now].
    Duration(Duration),
    /// The last N samples at or before now.
    Checks(u32),
    /// Samples since the stage was entered.
    Stage,
    /// Samples since the environment entered the policy's first stage: failures count
    /// across stages (Flagger's `threshold`, Argo's background analysis `failureLimit`).
    Rollout,
    /// The whole snapshot up to now (the default).
    All,
}

/// Why a window did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error(
        "`{0}` is not a window: write a duration (`1h`), a number of checks (`5 checks`), `stage` or `rollout`"
    )]
    Syntax(String),
    #[error("a window of zero {0} reads nothing")]
    Empty(&'static str),
    #[error(transparent)]
    Duration(#[from] DurationError),
}

impl Window {
    pub fn parse(text: &str) -> Result<Self, WindowError> {
        let t = text.trim();
        if t == "stage" {
            return Ok(Window::Stage);
        }
        if t == "rollout" {
            return Ok(Window::Rollout);
        }
        if let Some(n) = t.strip_suffix("checks").or_else(|| t.strip_suffix("check")) {
            let n = n.trim_end();
            if n.len() < t.len() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                let count: u32 = n.parse().map_err(|_| WindowError::Syntax(text.into()))?;
                if count == 0 {
                    return Err(WindowError::Empty("checks"));
                }
                return Ok(Window::Checks(count));
            }
            return Err(WindowError::Syntax(text.into()));
        }
        if !t.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(WindowError::Syntax(text.into()));
        }
        let d = Duration::parse(t)?;
        if d.seconds == 0 {
            return Err(WindowError::Empty("seconds"));
        }
        Ok(Window::Duration(d))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Duration(d) => d.fmt(f),
            Window::Checks(1) => f.write_str("1 check"),
            Window::Checks(n) => write!(f, "{n} checks"),
            Window::Stage => f.write_str("stage"),
            Window::Rollout => f.write_str("rollout"),
            Window::All => f.write_str("all"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!(
            Window::parse("1h").unwrap(),
            Window::Duration(Duration { seconds: 3600 })
        );
        assert_eq!(Window::parse("5 checks").unwrap(), Window::Checks(5));
        assert_eq!(Window::parse("1 check").unwrap(), Window::Checks(1));
        assert_eq!(Window::parse("stage").unwrap(), Window::Stage);
        assert_eq!(Window::parse("10 checks").unwrap().to_string(), "10 checks");
    }

    #[test]
    fn rejects_bad_windows() {
        for t in [
            "0 checks",
            "0s",
            "checks",
            "five checks",
            "1 hour",
            "Stage",
            "-1 checks",
        ] {
            assert!(Window::parse(t).is_err(), "{t}");
        }
    }
}
