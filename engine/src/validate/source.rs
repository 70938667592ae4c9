//! Validation of metric and record sources: exactly one kind, values that parse, and no
//! secret written into the policy.

use super::Sink;
use crate::diagnostic::Code;
use crate::policy::duration::Duration;
use indexmap::IndexMap;

use crate::policy::model::source::{self, Header, Issues, SECRET_PREFIX, Source};
use crate::policy::raw::{
    CommandSource, FileSource, GithubIssuesSource, HeaderValue, HttpSource, PrometheusSource,
    RawSource,
};
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

/// Checks a source and builds its validated form; None when anything is wrong (every problem
/// is reported, not only the first).
pub(crate) fn check(src: &RawSource, ptr: &str, sink: &mut Sink<'_>) -> Option<Source> {
    let errors_before = sink.error_count();
    kinds(src, ptr, sink);
    let built: Vec<Option<Source>> = [
        src.prometheus.as_ref().map(|p| prometheus(p, ptr, sink)),
        src.http.as_ref().map(|h| http(h, ptr, sink)),
        src.command.as_ref().map(|c| command(c, ptr, sink)),
        src.github_issues
            .as_ref()
            .map(|g| github_issues(g, ptr, sink)),
        src.file.as_ref().map(|f| Some(file(f))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if sink.error_count() > errors_before {
        return None;
    }
    match <[Option<Source>; 1]>::try_from(built) {
        Ok([one]) => one,
        Err(_) => None,
    }
}

/// Exactly one kind: the names come from [`Source::KINDS`].
fn kinds(src: &RawSource, ptr: &str, sink: &mut Sink<'_>) {
    let set = [
        src.prometheus.is_some(),
        src.http.is_some(),
        src.command.is_some(),
        src.github_issues.is_some(),
        src.file.is_some(),
    ];
    let kinds: Vec<&str> = Source::KINDS
        .iter()
        .zip(set)
        .filter(|(_, set)| *set)
        .map(|(k, _)| *k)
        .collect();
    match kinds.len() {
        1 => {}
        0 => {
            let (last, rest) = Source::KINDS.split_last().expect("five kinds");
            let rest: Vec<String> = rest.iter().map(|k| format!("`{k}`")).collect();
            sink.error(
                Code::SourceKind,
                ptr,
                format!("a source needs one of {} or `{last}`", rest.join(", ")),
            );
        }
        _ => {
            // At the second kind's key: the first is usually the one meant.
            let second = format!("{ptr}/{}", kinds[1]);
            sink.error_on_key(
                Code::SourceKind,
                &second,
                format!(
                    "{} has more than one kind: {}; a source has exactly one",
                    crate::locate::place(sink.doc, ptr),
                    kinds
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
    }
}

fn prometheus(p: &PrometheusSource, ptr: &str, sink: &mut Sink<'_>) -> Option<Source> {
    let (query, url, step) = match p {
        PrometheusSource::Query(q) => (q, None, None),
        PrometheusSource::Full(f) => (&f.query, f.url.as_ref(), f.step.as_ref()),
    };
    if query.trim().is_empty() {
        sink.error(
            Code::BadSource,
            &format!("{ptr}/prometheus"),
            "the PromQL query is empty",
        );
    }
    let step = step.map(|step| duration(&step.0, &format!("{ptr}/prometheus/step"), sink));
    if let Some(url) = url {
        url_check(url, &format!("{ptr}/prometheus/url"), sink);
    }
    Some(Source::Prometheus(source::Prometheus {
        query: query.clone(),
        url: url.cloned(),
        step: step.map_or(Some(None), |s| s.map(Some))?,
    }))
}

fn http(h: &HttpSource, ptr: &str, sink: &mut Sink<'_>) -> Option<Source> {
    url_check(&h.url, &format!("{ptr}/http/url"), sink);
    if let Some(p) = &h.pointer
        && !p.is_empty()
        && !p.starts_with('/')
    {
        sink.error(
            Code::BadSource,
            &format!("{ptr}/http/pointer"),
            format!("`{p}` is not a JSON pointer: it must start with `/`, like `/jobs`"),
        );
    }
    let mut headers = IndexMap::new();
    for (name, value) in &h.headers {
        headers.insert(name.clone(), header(name, value, ptr, sink));
    }
    Some(Source::Http(source::Http {
        url: h.url.clone(),
        pointer: h.pointer.clone(),
        headers,
        response: h.response,
    }))
}

fn header(name: &str, value: &HeaderValue, ptr: &str, sink: &mut Sink<'_>) -> Header {
    match value {
        HeaderValue::Env(e) => {
            if !e.env.starts_with(SECRET_PREFIX) {
                sink.error(Code::SecretInPolicy,
                    &format!("{ptr}/http/headers/{}/env", escape_token(name)),
                    format!(
                        "`{}` cannot be read: a policy may read only environment variables named `{SECRET_PREFIX}*`, which the operator sets for it (rename it `{SECRET_PREFIX}{}` and set that in the CI job)",
                        e.env,
                        e.env.trim_start_matches('_')
                    ),
                );
            }
            Header::Secret {
                env: e.env.clone(),
                prefix: e.prefix.clone(),
            }
        }
        HeaderValue::Literal(text) => {
            if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                sink.error(Code::SecretInPolicy,
                    &format!("{ptr}/http/headers/{}", escape_token(name)),
                    format!(
                        "header `{name}` carries a credential: take it from an environment variable, like `{{env: ROLLGATE_SECRET_API_TOKEN, prefix: \"Bearer \"}}`"
                    ),
                );
            }
            Header::Literal(text.clone())
        }
    }
}

fn command(c: &CommandSource, ptr: &str, sink: &mut Sink<'_>) -> Option<Source> {
    if c.argv.first().is_some_and(|a| a.trim().is_empty()) {
        sink.error(
            Code::BadSource,
            &format!("{ptr}/command/argv/0"),
            "the program name is empty",
        );
    }
    let timeout = match &c.timeout {
        Some(t) => Some(duration(&t.0, &format!("{ptr}/command/timeout"), sink)?),
        None => None,
    };
    Some(Source::Command(source::Command {
        argv: c.argv.clone(),
        timeout,
        tail_lines: c.tail_lines,
    }))
}

fn github_issues(g: &GithubIssuesSource, ptr: &str, sink: &mut Sink<'_>) -> Option<Source> {
    let select = match (&g.numbers, &g.labels) {
        (Some(_), Some(_)) => {
            sink.error(
                Code::BadSource,
                &format!("{ptr}/github_issues"),
                "give either `numbers` or `labels`, not both",
            );
            None
        }
        (None, None) => {
            sink.error(
                Code::BadSource,
                &format!("{ptr}/github_issues"),
                "`github_issues` needs `numbers` (a list of issue numbers) or `labels`",
            );
            None
        }
        (Some(n), None) => Some(Issues::Numbers(n.clone())),
        (None, Some(l)) => Some(Issues::Labels(l.clone())),
    };
    if let Some(url) = &g.api_url {
        url_check(url, &format!("{ptr}/github_issues/api_url"), sink);
    }
    Some(Source::GithubIssues(source::GithubIssues {
        repo: g.repo.clone(),
        select: select?,
        api_url: g.api_url.clone(),
    }))
}

fn file(f: &FileSource) -> Source {
    Source::File(source::File {
        path: f.path.clone(),
        format: f.format,
        pointer: f.pointer.clone(),
    })
}

/// A duration longer than zero.
/// A duration longer than zero; reported at `ptr` otherwise.
pub(super) fn duration(text: &str, ptr: &str, sink: &mut Sink<'_>) -> Option<Duration> {
    match Duration::parse(text) {
        Ok(d) if d.seconds == 0 => sink.error(Code::OutOfRange, ptr, "must be longer than zero"),
        Ok(d) => return Some(d),
        Err(e) => sink.error(Code::BadFormat, ptr, e.to_string()),
    }
    None
}

fn url_check(url: &str, ptr: &str, sink: &mut Sink<'_>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        sink.error(Code::BadUrl, ptr, format!("`{url}` is not an http(s) URL"));
        return;
    };
    if scheme != "http" && scheme != "https" {
        sink.error(Code::BadUrl, ptr, format!("`{url}` is not an http(s) URL"));
        return;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if let Some(at) = authority.rfind('@') {
        // Never echo the secret itself.
        let shown = format!("{scheme}://***@{}", &rest[at + 1..]);
        sink.error(Code::SecretInPolicy,
            ptr,
            format!(
                "the URL `{shown}` carries credentials (`user:password@`); a policy must not hold secrets: take them from environment variables instead"
            ),
        );
    }
}
