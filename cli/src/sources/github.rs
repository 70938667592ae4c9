//! GitHub issues as records (number, title, state, labels, url), so "dependency issues are
//! closed" is a records gate. Base URL from ROLLGATE_GITHUB_API_URL, the policy's `api_url`,
//! or GitHub's; token from GITHUB_TOKEN only, sent only to a host the operator allowed.

use rollgate_engine::format::redact_url;
use rollgate_engine::policy::model::source::{GithubIssues, Issues};
use rollgate_engine::snapshot::{Evidence, format_time};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::client::{Client, headers};
use super::{Data, Fetched, Job, clock};

/// GitHub's API, where the token goes when no other API URL is given.
const DEFAULT_API_URL: &str = "https://api.github.com";

/// ROLLGATE_GITHUB_API_URL, when set (the operator's GitHub Enterprise).
fn api_url_from_env() -> Option<String> {
    std::env::var("ROLLGATE_GITHUB_API_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The operator's GitHub API URL: ROLLGATE_GITHUB_API_URL, else GitHub's. Its host may
/// receive GITHUB_TOKEN.
pub fn api_url() -> String {
    api_url_from_env().unwrap_or_else(|| DEFAULT_API_URL.to_owned())
}

/// Pages of a label query read at most (100 issues each).
const MAX_PAGES: usize = 10;

pub(crate) async fn fetch(client: &Client, _job: &Job, src: &GithubIssues) -> Fetched {
    // The operator's URL wins over the policy's, as for Prometheus.
    let base = api_url_from_env()
        .or_else(|| src.api_url.clone())
        .unwrap_or_else(|| DEFAULT_API_URL.into());
    let base = base.trim_end_matches('/').to_owned();
    let mut ev = Evidence {
        source: "github_issues".into(),
        url: Some(redact_url(&format!("{base}/repos/{}/issues", src.repo))),
        ..Evidence::default()
    };
    let hdrs = match request_headers(client, &base) {
        Ok(h) => h,
        Err(why) => {
            ev.fetched_at = Some(format_time(clock()));
            return Err((ev, why));
        }
    };
    let mut urls = first_urls(&base, src);
    let single = matches!(src.select, Issues::Numbers(_));
    let mut hasher = Sha256::new();
    let mut records = Vec::new();
    let mut pages = 0;
    while let Some(url) = (!urls.is_empty()).then(|| urls.remove(0)) {
        let answer = client.get(&url, &hdrs, None).await;
        ev.fetched_at = Some(format_time(clock()));
        let answer = match answer {
            Ok(a) => a,
            Err(e) => return Err((ev, format!("GET `{}`: {e}", redact_url(&url)))),
        };
        ev.http_status = Some(answer.status);
        hasher.update(&answer.body);
        if let Err(why) = read_page(&answer, single, &mut records) {
            return Err((ev, format!("GET `{}`: {why}", redact_url(&url))));
        }
        pages += 1;
        if !single && let Some(next) = answer.next {
            if pages >= MAX_PAGES {
                return Err((
                    ev,
                    format!("more than {MAX_PAGES} pages of issues; narrow the labels"),
                ));
            }
            urls.push(next);
        }
    }
    ev.sha256 = Some(format!("{:x}", hasher.finalize()));
    Ok((Data::Records(records), ev))
}

/// GitHub's media type and API version, and the operator's `GITHUB_TOKEN`, which goes only to
/// ROLLGATE_GITHUB_API_URL's host (else GitHub's) or a host the operator allowed, never to an
/// `api_url` the policy chose.
fn request_headers(client: &Client, base: &str) -> Result<reqwest::header::HeaderMap, String> {
    let mut pairs = vec![
        (
            "Accept".to_owned(),
            "application/vnd.github+json".to_owned(),
        ),
        ("X-GitHub-Api-Version".to_owned(), "2022-11-28".to_owned()),
    ];
    if let Ok(t) = std::env::var("GITHUB_TOKEN")
        && !t.trim().is_empty()
    {
        reqwest::Url::parse(base)
            .map_err(|_| format!("`{}` is not a valid URL", redact_url(base)))
            .and_then(|u| client.reach().credential_to(&u, "GITHUB_TOKEN"))?;
        pairs.push(("Authorization".into(), format!("Bearer {}", t.trim())));
    }
    headers(&pairs)
}

/// One URL per issue number, or the first page of the label query.
fn first_urls(base: &str, src: &GithubIssues) -> Vec<String> {
    match &src.select {
        Issues::Numbers(ns) => ns
            .iter()
            .map(|n| format!("{base}/repos/{}/issues/{n}", src.repo))
            .collect(),
        Issues::Labels(ls) => vec![format!(
            "{base}/repos/{}/issues?labels={}&state=all&per_page=100",
            src.repo,
            ls.iter()
                .map(|l| l.replace(',', "%2C").replace(' ', "%20"))
                .collect::<Vec<_>>()
                .join(",")
        )],
    }
}

/// The issues of one answer (one issue, or a page of them), appended to `records`; an answer
/// that is not a 200 with issues in it is an error, never an empty page.
fn read_page(
    answer: &super::client::Answer,
    single: bool,
    records: &mut Vec<serde_json::Map<String, Value>>,
) -> Result<(), String> {
    if answer.status != 200 {
        let msg = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        return Err(format!("HTTP {} {msg}", answer.status));
    }
    let doc: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("the answer is not valid JSON ({e})"))?;
    let items: Vec<&Value> = if single {
        vec![&doc]
    } else {
        doc.as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    for item in items {
        records.push(issue(item).ok_or("the answer is not a GitHub issue")?);
    }
    Ok(())
}

fn issue(v: &Value) -> Option<serde_json::Map<String, Value>> {
    let mut r = serde_json::Map::new();
    r.insert("number".into(), v.get("number")?.clone());
    r.insert(
        "title".into(),
        v.get("title").cloned().unwrap_or(Value::Null),
    );
    r.insert("state".into(), v.get("state")?.clone());
    let labels: Vec<Value> = v["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            l.get("name")
                .or(Some(l))
                .and_then(|n| n.as_str())
                .map(Value::from)
        })
        .collect();
    r.insert("labels".into(), Value::Array(labels));
    r.insert(
        "url".into(),
        v.get("html_url").cloned().unwrap_or(Value::Null),
    );
    Some(r)
}
