//! Validation of metric and record sources: exactly one kind, values that parse, and no
//! secret written into the policy.

use super::Sink;
use crate::policy::duration::Duration;
use crate::policy::raw::{HeaderValue, PrometheusSource, RawSource, SECRET_PREFIX};
use crate::yaml::escape_token;

/// Header names whose values are credentials: they must come from the environment.
const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
    "private-token",
];

pub(crate) fn check(src: &RawSource, ptr: &str, sink: &mut Sink<'_>) {
    let kinds: Vec<&str> = [
        ("prometheus", src.prometheus.is_some()),
        ("http", src.http.is_some()),
        ("command", src.command.is_some()),
        ("github_issues", src.github_issues.is_some()),
        ("file", src.file.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(k, _)| *k)
    .collect();
    match kinds.len() {
        1 => {}
        0 => sink.error(
            ptr,
            "a source needs one of `prometheus`, `http`, `command`, `github_issues` or `file`",
        ),
        _ => {
            // At the second kind's key: the first is usually the one meant.
            let second = format!("{ptr}/{}", kinds[1]);
            sink.error_on_key(
                &second,
                format!(
                    "{} has more than one kind: {}; a source has exactly one",
                    crate::schema_check::place(sink.doc, ptr),
                    kinds
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
    }
    if let Some(p) = &src.prometheus {
        let (query, step) = match p {
            PrometheusSource::Query(q) => (q.as_str(), None),
            PrometheusSource::Full(f) => (f.query.as_str(), f.step.as_ref()),
        };
        if query.trim().is_empty() {
            sink.error(&format!("{ptr}/prometheus"), "the PromQL query is empty");
        }
        if let Some(step) = step {
            duration(&step.0, &format!("{ptr}/prometheus/step"), sink);
        }
        if let PrometheusSource::Full(f) = p
            && let Some(url) = &f.url
        {
            url_check(url, &format!("{ptr}/prometheus/url"), sink);
        }
    }
    if let Some(h) = &src.http {
        url_check(&h.url, &format!("{ptr}/http/url"), sink);
        if let Some(p) = &h.pointer
            && !p.is_empty()
            && !p.starts_with('/')
        {
            sink.error(
                &format!("{ptr}/http/pointer"),
                format!("`{p}` is not a JSON pointer: it must start with `/`, like `/jobs`"),
            );
        }
        for (name, value) in &h.headers {
            if let HeaderValue::Env(e) = value
                && !e.env.starts_with(SECRET_PREFIX)
            {
                sink.error(
                    &format!("{ptr}/http/headers/{}/env", escape_token(name)),
                    format!(
                        "`{}` cannot be read: a policy may read only environment variables named `{SECRET_PREFIX}*`, which the operator sets for it (rename it `{SECRET_PREFIX}{}` and set that in the CI job)",
                        e.env,
                        e.env.trim_start_matches('_')
                    ),
                );
            }
            if let HeaderValue::Literal(_) = value
                && SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str())
            {
                sink.error(
                    &format!("{ptr}/http/headers/{}", escape_token(name)),
                    format!(
                        "header `{name}` carries a credential: take it from an environment variable, like `{{env: ROLLGATE_SECRET_API_TOKEN, prefix: \"Bearer \"}}`"
                    ),
                );
            }
        }
    }
    if let Some(c) = &src.command {
        if c.argv.first().is_some_and(|a| a.trim().is_empty()) {
            sink.error(
                &format!("{ptr}/command/argv/0"),
                "the program name is empty",
            );
        }
        if let Some(t) = &c.timeout {
            duration(&t.0, &format!("{ptr}/command/timeout"), sink);
        }
    }
    if let Some(g) = &src.github_issues {
        match (&g.numbers, &g.labels) {
            (Some(_), Some(_)) => sink.error(
                &format!("{ptr}/github_issues"),
                "give either `numbers` or `labels`, not both",
            ),
            (None, None) => sink.error(
                &format!("{ptr}/github_issues"),
                "`github_issues` needs `numbers` (a list of issue numbers) or `labels`",
            ),
            _ => {}
        }
        if let Some(url) = &g.api_url {
            url_check(url, &format!("{ptr}/github_issues/api_url"), sink);
        }
    }
}

fn duration(text: &str, ptr: &str, sink: &mut Sink<'_>) {
    match Duration::parse(text) {
        Ok(d) if d.seconds == 0 => sink.error(ptr, "must be longer than zero"),
        Ok(_) => {}
        Err(e) => sink.error(ptr, e.to_string()),
    }
}

fn url_check(url: &str, ptr: &str, sink: &mut Sink<'_>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        sink.error(ptr, format!("`{url}` is not an http(s) URL"));
        return;
    };
    if scheme != "http" && scheme != "https" {
        sink.error(ptr, format!("`{url}` is not an http(s) URL"));
        return;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if let Some(at) = authority.rfind('@') {
        // Never echo the secret itself.
        let shown = format!("{scheme}://***@{}", &rest[at + 1..]);
        sink.error(
            ptr,
            format!(
                "the URL `{shown}` carries credentials (`user:password@`); a policy must not hold secrets: take them from environment variables instead"
            ),
        );
    }
}
