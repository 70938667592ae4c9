//! GitHub issues as records (number, title, state, labels, url), so "dependency issues are
//! closed" is a records gate. Base URL from the policy's `api_url`, ROLLGATE_GITHUB_API_URL,
//! or GitHub's; token from GITHUB_TOKEN only.

use rollgate_engine::policy::raw::GithubIssuesSource;
use rollgate_engine::render::escape::redact_url;
use rollgate_engine::snapshot::{Evidence, format_time};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::client::{Client, headers};
use super::{Data, Fetched, Job, clock};

/// Pages of a label query read at most (100 issues each).
const MAX_PAGES: usize = 10;

pub(crate) async fn fetch(client: &Client, _job: &Job, src: &GithubIssuesSource) -> Fetched {
    let base = src
        .api_url
        .clone()
        .or_else(|| {
            std::env::var("ROLLGATE_GITHUB_API_URL")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "https://api.github.com".into());
    let base = base.trim_end_matches('/').to_owned();
    let mut ev = Evidence {
        source: "github_issues".into(),
        url: Some(redact_url(&format!("{base}/repos/{}/issues", src.repo))),
        ..Evidence::default()
    };
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
        pairs.push(("Authorization".into(), format!("Bearer {}", t.trim())));
    }
    let hdrs = match headers(&pairs) {
        Ok(h) => h,
        Err(e) => {
            ev.fetched_at = Some(format_time(clock()));
            return Err((ev, e));
        }
    };
    let mut urls: Vec<String> = match (&src.numbers, &src.labels) {
        (Some(ns), _) => ns
            .iter()
            .map(|n| format!("{base}/repos/{}/issues/{n}", src.repo))
            .collect(),
        (None, Some(ls)) => vec![format!(
            "{base}/repos/{}/issues?labels={}&state=all&per_page=100",
            src.repo,
            ls.iter()
                .map(|l| l.replace(',', "%2C").replace(' ', "%20"))
                .collect::<Vec<_>>()
                .join(",")
        )],
        (None, None) => Vec::new(),
    };
    let single = src.numbers.is_some();
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
        if answer.status != 200 {
            let msg = serde_json::from_slice::<Value>(&answer.body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err((
                ev,
                format!("GET `{}`: HTTP {} {msg}", redact_url(&url), answer.status),
            ));
        }
        let doc: Value = match serde_json::from_slice(&answer.body) {
            Ok(v) => v,
            Err(e) => {
                return Err((
                    ev,
                    format!(
                        "GET `{}`: the answer is not valid JSON ({e})",
                        redact_url(&url)
                    ),
                ));
            }
        };
        let items: Vec<&Value> = if single {
            vec![&doc]
        } else {
            doc.as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        };
        for item in items {
            match issue(item) {
                Some(r) => records.push(r),
                None => {
                    return Err((
                        ev,
                        format!(
                            "GET `{}`: the answer is not a GitHub issue",
                            redact_url(&url)
                        ),
                    ));
                }
            }
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
