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
    /// The largest answer read, in bytes (`--max-response`).
    max_response: u64,
    /// A proxy from the environment resolves names itself: check them here first.
    proxied: bool,
}

impl Client {
    pub fn new(timeout: Duration, reach: Arc<Reach>, max_response: u64) -> Result<Client, String> {
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
                let to = rollgate_engine::format::redact_url(attempt.url().as_str());
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
            max_response,
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
                rollgate_engine::format::redact_url(url)
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
    /// response itself) and only connection failures are retried. 429 (too many requests)
    /// is retried like a 5xx.
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
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last = describe(&e);
                    // A refused redirect or address, or a malformed request, will not change
                    // on retry.
                    if e.is_redirect() || e.is_builder() || last.contains(REFUSED) {
                        break;
                    }
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let header = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
                    .map(str::to_owned)
            };
            let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
            let next = header(reqwest::header::LINK).and_then(|l| next_link(&l));
            match self.read_body(resp).await {
                Ok(body) if (status >= 500 || status == 429) && retry_5xx => {
                    last = format!("HTTP {status}{}", snippet(&body));
                }
                Ok(body) => {
                    return Ok(Answer {
                        status,
                        content_type,
                        body,
                        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
                        next,
                    });
                }
                // Too large or encoded: the same on every attempt.
                Err(BodyError::Final(why)) => return Err(format!("HTTP {status}: {why}")),
                Err(BodyError::Read(e)) => last = describe(&e),
            }
        }
        Err(if made > 1 {
            format!("{last} (after {made} attempts)")
        } else {
            last
        })
    }

    /// Reads a body as it streams in, stopping as soon as it passes the size limit (the
    /// announced length is checked before anything is read). A compressed body is refused
    /// with that reason: rollgate asks for none, and reading one as JSON would only say
    /// "not valid JSON".
    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, BodyError> {
        let limit = self.max_response;
        let too_large = || {
            BodyError::Final(format!(
                "the answer is larger than {} (`--max-response`); not read",
                human_size(limit)
            ))
        };
        if let Some(enc) = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty() && v != "identity")
        {
            return Err(BodyError::Final(format!(
                "the answer is `{enc}`-encoded (Content-Encoding), which rollgate does not decode; \
                 have the server (or proxy) answer uncompressed"
            )));
        }
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if body.starts_with(&[0x1f, 0x8b]) {
            return Err(BodyError::Final(
                "the answer is gzip-compressed without saying so (no Content-Encoding); not read"
                    .into(),
            ));
        }
        Ok(body)
    }
}

/// Why a body was not read.
enum BodyError {
    /// It will be the same on a retry (too large, compressed).
    Final(String),
    /// The connection failed while reading.
    Read(reqwest::Error),
}

/// `256 MiB`, `1.5 GiB`, `512 KiB`, `100 bytes`.
pub fn human_size(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if v.fract() == 0.0 {
                format!("{v} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

/// A size flag: `256MiB`, `1GiB`, `64KiB`, `1000000` (bytes); also `MB`/`GB`/`KB` (decimal).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size like `256MiB`"))?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "`{other}` is not a size unit: use KiB, MiB or GiB (or KB, MB, GB)"
            ));
        }
    };
    match n.checked_mul(mult) {
        Some(0) => Err("the size must be more than zero".into()),
        Some(v) => Ok(v),
        None => Err(format!("`{text}` is too large")),
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
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64 KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        for bad in ["", "MiB", "1.5GiB", "1 TB", "0", "99999999999999GiB", "-1"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(human_size(256 << 20), "256 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12), "12 bytes");
    }

    #[test]
    fn finds_the_next_page() {
        let l = "<https://api/x?page=2>; rel=\"next\", <https://api/x?page=5>; rel=\"last\"";
        assert_eq!(next_link(l).as_deref(), Some("https://api/x?page=2"));
        assert_eq!(next_link("<https://api/x?page=5>; rel=\"last\""), None);
    }
}
