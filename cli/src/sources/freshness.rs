//! How old the raw samples behind a Prometheus query are.
//!
//! A range query fills each step with the last sample Prometheus has, up to its lookback delta
//! (5 minutes by default): after a restart, or for a target no longer scraped without a
//! staleness marker, the steps up to `now` carry samples minutes old. The step times say
//! nothing about that, and `timestamp(<query>)` gives the evaluation time for anything but a
//! bare selector. So each series selector of the query is asked separately, as an instant query
//! at `now`, for the oldest of its series' newest samples (`min(timestamp(SELECTOR))`); the
//! query's data is as old as the stalest of them. Everything that cannot be established this
//! way is an unknown age, which `max_age` never passes.
//!
//! Limits (fail closed, documented in the README): selectors with `offset` or `@` are old by
//! design and not asked (if no other is left, the age is unknown); a selector none of whose
//! series has a sample within the lookback before `now` adds nothing (it cannot feed a value at
//! `now` through an instant selector; a range longer than the lookback is not looked into); a
//! query whose every selector is in that case has an unknown age; the age is per metric, not
//! per series, so one stale input series makes every series of the query stale.

use super::client::Client;
use super::prometheus::{parse_vector, secs};
use super::promql::selectors;

/// What a request needs besides its URL.
pub(crate) struct Request<'a> {
    pub client: &'a Client,
    pub base: &'a str,
    pub headers: &'a reqwest::header::HeaderMap,
    pub basic: Option<(&'a str, &'a str)>,
}

/// The time every input series of `query` had a sample at or after (unix seconds), `None` for
/// a query that reads no series (`vector(1)`), or why it cannot be told.
pub(crate) async fn data_as_of(
    req: &Request<'_>,
    query: &str,
    now: f64,
) -> Result<Option<f64>, String> {
    let all = selectors(query)
        .map_err(|e| format!("the query's series selectors cannot be read: {e}"))?;
    if all.is_empty() {
        return Ok(None);
    }
    let asked: Vec<_> = all.iter().filter(|s| !s.modified).collect();
    if asked.is_empty() {
        return Err("every series selector of the query has an `offset` or `@` modifier".into());
    }
    let mut oldest: Option<f64> = None;
    for sel in asked {
        if let Some(t) = newest_of_stalest(req, &sel.text, now).await? {
            oldest = Some(oldest.map_or(t, |o| o.min(t)));
        }
    }
    oldest.map(Some).ok_or_else(|| {
        "no series the query reads has a sample within Prometheus's lookback before now".into()
    })
}

/// `min(timestamp(SELECTOR))` at `now`: the newest sample of the stalest series, if any.
async fn newest_of_stalest(
    req: &Request<'_>,
    selector: &str,
    now: f64,
) -> Result<Option<f64>, String> {
    let endpoint = format!("{}/api/v1/query", req.base.trim_end_matches('/'));
    let probe = format!("min(timestamp({selector}))");
    let url = reqwest::Url::parse_with_params(
        &endpoint,
        &[("query", probe.as_str()), ("time", &secs(now))],
    )
    .map_err(|_| "the Prometheus URL is not valid".to_owned())?;
    let answer = req
        .client
        .get(url.as_str(), req.headers, req.basic)
        .await
        .map_err(|e| format!("asking for the newest sample of `{selector}`: {e}"))?;
    let values = parse_vector(&answer.body, answer.status)
        .map_err(|e| format!("asking for the newest sample of `{selector}`: {e}"))?;
    match values.as_slice() {
        [] => Ok(None),
        [t] if t.is_finite() => Ok(Some(*t)),
        _ => Err(format!(
            "asking for the newest sample of `{selector}`: not one time but {values:?}"
        )),
    }
}
