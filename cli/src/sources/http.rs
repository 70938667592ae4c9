//! HTTP JSON sources: GET a document and read a number, `[t, v]` pairs or records at a JSON
//! pointer; or, for records, the response itself (status, latency, content type), so that
//! "GET /health is healthy" is a records gate. Header values come from the environment.

use rollgate_engine::format::redact_url;
use rollgate_engine::policy::model::source::{Header, Http, SECRET_PREFIX};
use rollgate_engine::snapshot::{Evidence, Series, format_time, parse_numeric, parse_time};
use serde_json::Value;

use super::client::{Client, headers};
use super::reach::Reach;
use super::{Data, Fetched, Job, Options, clock};

pub(crate) async fn fetch(client: &Client, job: &Job, src: &Http, opts: &Options) -> Fetched {
    let url = template(&src.url, opts.now - job.range, opts.now);
    let mut ev = Evidence {
        source: "http".into(),
        url: Some(redact_url(&url)),
        ..Evidence::default()
    };
    let stamp = |ev: &mut Evidence| ev.fetched_at = Some(format_time(clock()));
    let pairs = match header_pairs(client.reach(), &url, src) {
        Ok(p) => p,
        Err(why) => {
            stamp(&mut ev);
            return Err((ev, why));
        }
    };
    let hdrs = match headers(&pairs) {
        Ok(h) => h,
        Err(e) => {
            stamp(&mut ev);
            return Err((ev, e));
        }
    };
    let answer = client.get_with(&url, &hdrs, None, !src.response).await;
    stamp(&mut ev);
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return Err((ev, format!("GET `{}`: {e}", redact_url(&url)))),
    };
    ev.http_status = Some(answer.status);
    ev.sha256 = Some(crate::files::sha256_hex(&answer.body));
    if src.response {
        let mut r = serde_json::Map::new();
        r.insert("url".into(), Value::from(redact_url(&url)));
        r.insert("status".into(), Value::from(answer.status));
        r.insert(
            "ok".into(),
            Value::from((200..300).contains(&answer.status)),
        );
        r.insert(
            "latency_ms".into(),
            Value::from((answer.latency_ms * 1000.0).round() / 1000.0),
        );
        r.insert(
            "content_type".into(),
            Value::from(answer.content_type.clone()),
        );
        keep_body(&mut r, &mut ev, &answer.body);
        return Ok((Data::Records(vec![r]), ev));
    }
    if !(200..300).contains(&answer.status) {
        return Err((
            ev,
            format!(
                "GET `{}`: HTTP {}{}",
                redact_url(&url),
                answer.status,
                snippet(&answer.body)
            ),
        ));
    }
    match read(
        &answer.body,
        src.pointer.as_deref(),
        job.records,
        opts.now,
        true,
    ) {
        Ok(d) => Ok((d, ev)),
        Err(e) => Err((ev, format!("GET `{}`: {e}", redact_url(&url)))),
    }
}

/// The request's headers. A header taken from the environment is a credential: its name
/// must start with [`SECRET_PREFIX`], and it goes only to a host the operator allowed;
/// otherwise nothing is sent and Err says why (never the value).
fn header_pairs(reach: &Reach, url: &str, src: &Http) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for (name, value) in &src.headers {
        match value {
            Header::Literal(v) => pairs.push((name.clone(), v.clone())),
            Header::Secret { env, prefix } => {
                if !env.starts_with(SECRET_PREFIX) {
                    return Err(format!(
                        "header `{name}` reads `{}`: a policy may read only environment variables named `{SECRET_PREFIX}*`",
                        env
                    ));
                }
                let parsed = reqwest::Url::parse(url)
                    .map_err(|_| format!("`{}` is not a valid URL", redact_url(url)))?;
                reach.credential_to(&parsed, &format!("header `{name}` (from `{}`)", env))?;
                match std::env::var(env) {
                    Ok(v) if !v.is_empty() => pairs.push((
                        name.clone(),
                        format!("{}{}", prefix.as_deref().unwrap_or(""), v.trim()),
                    )),
                    _ => {
                        return Err(format!(
                            "environment variable `{}` (for header `{name}`) is not set",
                            env
                        ));
                    }
                }
            }
        }
    }
    Ok(pairs)
}

/// At most this much of a response body is stored with `response: true` (the snapshot is
/// kept beside the report and committed; an internal page must not land there whole).
pub const MAX_STORED_BODY: usize = 4096;

/// Adds the body to a response record: parsed JSON when it fits in [`MAX_STORED_BODY`],
/// else its first bytes as text with `body_truncated: true`, and a warning in the evidence.
fn keep_body(r: &mut serde_json::Map<String, Value>, ev: &mut Evidence, body: &[u8]) {
    r.insert("body_bytes".into(), Value::from(body.len()));
    if body.len() <= MAX_STORED_BODY {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            r.insert("body".into(), v);
        }
        return;
    }
    let mut end = MAX_STORED_BODY;
    let text = loop {
        match std::str::from_utf8(&body[..end]) {
            Ok(t) => break t,
            Err(e) if e.error_len().is_none() => end = e.valid_up_to(),
            Err(_) => break "",
        }
    };
    r.insert("body".into(), Value::from(text));
    r.insert("body_truncated".into(), Value::from(true));
    ev.warnings.push(format!(
        "the response body was {} bytes; only the first {} are kept",
        body.len(),
        text.len()
    ));
}

/// `{{ now }}`, `{{ window_start }}` and `{{ window_end }}` as RFC 3339 times.
pub fn template(url: &str, start: f64, end: f64) -> String {
    let mut out = url.to_owned();
    for (name, t) in [("now", end), ("window_start", start), ("window_end", end)] {
        for spaced in [format!("{{{{ {name} }}}}"), format!("{{{{{name}}}}}")] {
            out = out.replace(&spaced, &format_time(t));
        }
    }
    out
}

fn snippet(body: &[u8]) -> String {
    let t: String = String::from_utf8_lossy(body)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let t: String = t.chars().take(120).collect();
    if t.is_empty() {
        String::new()
    } else {
        format!(": {t}")
    }
}

/// Reads a JSON document at a pointer into series or records. `at` is the time a single
/// number is recorded at. With `quote` false (local files), errors never repeat the
/// document's contents (keys or values), only where the problem is.
pub fn read(
    body: &[u8],
    pointer: Option<&str>,
    records: bool,
    at: f64,
    quote: bool,
) -> Result<Data, String> {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('<') {
        return Err("the answer is HTML, not JSON (an error page?)".into());
    }
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not valid JSON ({e})"))?;
    let value = at_pointer(&doc, pointer, quote)?;
    if records {
        read_records(value)
    } else {
        read_series(value, at, quote)
    }
}

/// The node at `pointer` (the whole document without one); when nothing matches, the error
/// lists the top-level keys, unless `quote` is false.
fn at_pointer<'a>(doc: &'a Value, pointer: Option<&str>, quote: bool) -> Result<&'a Value, String> {
    let p = match pointer {
        None | Some("") => return Ok(doc),
        Some(p) => p,
    };
    doc.pointer(p).ok_or_else(|| {
        if !quote {
            return format!("the JSON pointer `{p}` matches nothing");
        }
        let keys = doc
            .as_object()
            .map(|m| {
                m.keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        format!(
            "the JSON pointer `{p}` matches nothing{}",
            if keys.is_empty() {
                String::new()
            } else {
                format!(" (top-level keys: {keys})")
            }
        )
    })
}

/// Records: a list of objects, or one object.
fn read_records(value: &Value) -> Result<Data, String> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_object()
                    .cloned()
                    .ok_or(format!("item {i} is not an object"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Data::Records),
        Value::Object(m) => Ok(Data::Records(vec![m.clone()])),
        other => Err(format!(
            "expected records (a list of objects), found {}",
            kind(other)
        )),
    }
}

/// One series: a number (or numeric text) recorded at `at`, or `[time, value]` samples.
fn read_series(value: &Value, at: f64, quote: bool) -> Result<Data, String> {
    let one = |v: f64| {
        Ok(Data::Series(vec![Series::new(
            Default::default(),
            vec![at],
            vec![v],
        )]))
    };
    match value {
        Value::Number(n) => one(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => one(parse_numeric(s).ok_or_else(|| {
            if quote {
                format!("`{s}` is not a number")
            } else {
                "the value is text, not a number".to_owned()
            }
        })?),
        Value::Array(items) => {
            let (mut t, mut x) = (
                Vec::with_capacity(items.len()),
                Vec::with_capacity(items.len()),
            );
            for (i, pair) in items.iter().enumerate() {
                let time = match &pair[0] {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => parse_time(s),
                    _ => None,
                };
                let val = match &pair[1] {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => parse_numeric(s),
                    _ => None,
                };
                match (time, val, pair.as_array().map(Vec::len)) {
                    (Some(a), Some(b), Some(2)) => {
                        t.push(a);
                        x.push(b);
                    }
                    _ => return Err(format!("item {i} is not a `[time, value]` sample")),
                }
            }
            Ok(Data::Series(vec![Series::new(Default::default(), t, x)]))
        }
        other => Err(format!(
            "expected a number or `[time, value]` samples, found {}",
            kind(other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_pairs_and_records() {
        let Data::Series(s) =
            read(br#"{"a": {"b": 0.5}}"#, Some("/a/b"), false, 10.0, true).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (&s[0].times[..], &s[0].values[..]),
            (&[10.0][..], &[0.5][..])
        );
        let Data::Series(s) = read(
            br#"[[1, "2"], ["1970-01-01T00:00:05Z", 3]]"#,
            None,
            false,
            0.0,
            true,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(&s[0].times[..], &[1.0, 5.0]);
        let Data::Records(r) =
            read(br#"{"jobs": [{"id": 1}]}"#, Some("/jobs"), true, 0.0, true).unwrap()
        else {
            panic!()
        };
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn malformed_answers_are_errors_never_zeros() {
        for (body, ptr, records, want) in [
            (&b"<!doctype html><h1>Oops</h1>"[..], None, false, "HTML"),
            (b"{\"a\": [1, 2", None, false, "not valid JSON"),
            (b"{\"a\": \"fast\"}", Some("/a"), false, "not a number"),
            (b"{\"a\": 1}", Some("/b"), false, "matches nothing"),
            (b"{\"a\": [1, 2]}", Some("/a"), true, "not an object"),
            (b"{\"a\": true}", Some("/a"), false, "found a boolean"),
        ] {
            let e = read(body, ptr, records, 0.0, true).err().unwrap();
            assert!(e.contains(want), "{e}");
            // Unquoted (a local file): the same failure, without the document's text.
            let quiet = read(body, ptr, records, 0.0, false).err().unwrap();
            assert!(!quiet.contains("fast") && !quiet.contains("`a`"), "{quiet}");
        }
    }

    #[test]
    fn templates_times() {
        assert_eq!(
            template(
                "https://x/jobs?since={{ window_start }}&to={{window_end}}",
                0.0,
                60.0
            ),
            "https://x/jobs?since=1970-01-01T00:00:00Z&to=1970-01-01T00:01:00Z"
        );
    }
}
