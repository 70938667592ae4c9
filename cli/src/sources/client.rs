//! One HTTP client for every source: a per-request timeout, redirects followed only to the
//! same host (so credentials never go elsewhere), every address checked against the
//! operator's [`Reach`] (before the request, after DNS resolution and on each redirect), and
//! retries with jittered exponential backoff on connection errors, timeouts and 5xx answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::redirect::Policy;

use super::reach::{self, Reach};

/// How a refusal of [`Reach`] begins (it ends the attempts at once).
const REFUSED: &str = "refused to connect to";

/// Attempts per request (the first and two retries).
pub const ATTEMPTS: u32 = 3;

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub latency_ms: f64,
    /// Next-page link (`Link: <...>; rel="next"`), for paginated APIs.
    pub next: Option<String>,
}

#[derive(Debug)]
pub struct Client {
    inner: reqwest::Client,
    reach: Arc<Reach>,
    /// A proxy from the environment resolves names itself: check them here first.
    proxied: bool,
}

impl Client {
    pub fn new(timeout: Duration, reach: Arc<Reach>) -> Result<Client, String> {
        // The TLS provider: rustls with ring (installing twice is harmless).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let for_redirects = reach.clone();
        let redirect = Policy::custom(move |attempt| {
            let first = &attempt.previous()[0];
            let same = attempt.url().host_str() == first.host_str()
                && attempt.url().port_or_known_default() == first.port_or_known_default();
            if attempt.previous().len() > 5 {
                attempt.error("more than 5 redirects")
            } else if !same {
                let to = rollgate_engine::render::escape::redact_url(attempt.url().as_str());
                attempt.error(format!("redirected to another host (`{to}`); not followed"))
            } else if let Err(why) = for_redirects.check_url(attempt.url()) {
                attempt.error(format!("redirect {why}"))
            } else {
                attempt.follow()
            }
        });
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(redirect)
            .dns_resolver(reach::Resolver {
                reach: reach.clone(),
            })
            .user_agent(concat!("rollgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Client {
            inner,
            reach,
            proxied: reach::proxied(),
        })
    }

    /// The operator's grants (for sources deciding whether to attach a credential).
    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Err (the reason) when `url` may not be requested at all.
    async fn admit(&self, url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| {
            format!(
                "`{}` is not a valid URL",
                rollgate_engine::render::escape::redact_url(url)
            )
        })?;
        self.reach.check_url(&parsed)?;
        if self.proxied {
            reach::check_resolved(&self.reach, &parsed).await?;
        }
        Ok(())
    }

    /// GET with retries. Err is a cause in words, never holding a secret.
    pub async fn get(
        &self,
        url: &str,
        headers: &HeaderMap,
        basic: Option<(&str, &str)>,
    ) -> Result<Answer, String> {
        self.get_with(url, headers, basic, true).await
    }

    /// GET; with `retry_5xx` false, a 5xx answer is returned as data (for checks of the
    /// response itself) and only connection failures are retried.
    pub async fn get_with(
        &self,
        url: &str,
        headers: &HeaderMap,
        basic: Option<(&str, &str)>,
        retry_5xx: bool,
    ) -> Result<Answer, String> {
        self.admit(url).await?;
        let mut last = String::new();
        let mut made = 0;
        for attempt in 0..ATTEMPTS {
            made += 1;
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let mut req = self.inner.get(url).headers(headers.clone());
            if let Some((u, p)) = basic {
                req = req.basic_auth(u, Some(p));
            }
            let started = Instant::now();
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let content_type = resp
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let next = resp
                        .headers()
                        .get(reqwest::header::LINK)
                        .and_then(|v| v.to_str().ok())
                        .and_then(next_link);
                    match resp.bytes().await {
                        Ok(body) if status >= 500 && retry_5xx => {
                            last = format!("HTTP {status}{}", snippet(&body));
                        }
                        Ok(body) => {
                            return Ok(Answer {
                                status,
                                content_type,
                                body: body.to_vec(),
                                latency_ms: started.elapsed().as_secs_f64() * 1000.0,
                                next,
                            });
                        }
                        Err(e) => last = describe(&e),
                    }
                }
                Err(e) => {
                    last = describe(&e);
                    // A refused redirect or address, or a malformed request, will not change
                    // on retry.
                    if e.is_redirect() || e.is_builder() || last.contains(REFUSED) {
                        break;
                    }
                }
            }
        }
        Err(if made > 1 {
            format!("{last} (after {made} attempts)")
        } else {
            last
        })
    }
}

/// 250 ms, 500 ms, ... with +-50 % jitter, so many CI jobs retrying at once do not march.
fn backoff(attempt: u32) -> Duration {
    let base = 250u64 << (attempt - 1);
    let nanos = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos(),
    );
    let jitter = (nanos % 1000) as f64 / 1000.0; // 0..1
    Duration::from_millis((base as f64 * (0.5 + jitter)) as u64)
}

/// Words for a request error, without the URL (it may hold a token in its query).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect refused"
    } else if e.is_body() || e.is_decode() {
        "the answer's body could not be read"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if e.is_redirect() {
        // reqwest's message carries our own words from the redirect policy.
        let text = e.to_string();
        for ours in ["redirected to another host", "redirect refused to connect"] {
            if let Some(i) = text.find(ours) {
                return text[i..].trim_end_matches(')').to_owned();
            }
        }
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let t: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(120)
        .collect();
    if t.is_empty() {
        String::new()
    } else {
        format!(": {t}")
    }
}

/// The `rel="next"` URL of a Link header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, rest) = part.split_once(';')?;
        rest.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

/// Headers from names and values (values never logged).
pub fn headers(pairs: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a valid header name"))?;
        let mut v = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header `{name}` is not valid header text"))?;
        v.set_sensitive(true);
        map.insert(n, v);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_page() {
        let l = "<https://api/x?page=2>; rel=\"next\", <https://api/x?page=5>; rel=\"last\"";
        assert_eq!(next_link(l).as_deref(), Some("https://api/x?page=2"));
        assert_eq!(next_link("<https://api/x?page=5>; rel=\"last\""), None);
    }
}
