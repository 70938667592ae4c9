//! The policy-level `defaults:` block and the staleness rule: what a metric or script gate
//! reads when it does not set `window`, `min_samples` or `max_age` itself (its own key wins).

use super::{EnvCheck, Sink};
use crate::policy::duration::Duration;
use crate::policy::model::MaxAge;
use crate::policy::per_env::PerEnv;
use crate::policy::raw::RawDefaults;
use crate::policy::window::Window;

/// The validated `defaults:` block; a key left out keeps the language's default.
#[derive(Debug, Clone)]
pub(crate) struct Defaults {
    pub window: PerEnv<Window>,
    pub min_samples: PerEnv<u64>,
    pub max_age: PerEnv<MaxAge>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            window: PerEnv::one(Window::All),
            min_samples: PerEnv::one(1),
            max_age: PerEnv::one(MaxAge::Derived),
        }
    }
}

/// Checks `defaults:`; a key with a problem is reported and left at the language's default
/// (validation fails anyway, so nothing is evaluated with it).
pub(crate) fn check(
    raw: Option<&RawDefaults>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Defaults {
    let mut out = Defaults::default();
    let Some(raw) = raw else { return out };
    if let Some(w) = &raw.window
        && let Some(w) = envs.resolve(w, "/defaults/window", sink, |t| {
            Window::parse(&t.0).map_err(|e| e.to_string())
        })
    {
        out.window = w;
    }
    if let Some(m) = &raw.min_samples
        && let Some(m) = envs.resolve(m, "/defaults/min_samples", sink, |n| Ok(*n))
    {
        out.min_samples = m;
    }
    if let Some(m) = &raw.max_age
        && let Some(m) = envs.resolve(m, "/defaults/max_age", sink, |t| max_age(&t.0))
    {
        out.max_age = m;
    }
    out
}

/// `15m` or `none`.
pub(crate) fn max_age(text: &str) -> Result<MaxAge, String> {
    if text == "none" {
        return Ok(MaxAge::Unchecked);
    }
    match Duration::parse(text) {
        Ok(d) if d.seconds == 0 => Err(
            "a `max_age` of zero makes every sample stale; write `none` to leave staleness unchecked"
                .into(),
        ),
        Ok(d) => Ok(MaxAge::Limit(d)),
        Err(e) => Err(e.to_string()),
    }
}
