//! Prometheus (and compatible servers: Thanos, Mimir, VictoriaMetrics) range queries, with a
//! small client of our own: values arrive as strings (`"NaN"`, `"+Inf"`), the API's
//! `warnings`/`infos` go into the evidence, and a partial answer is an error, not data.

use std::collections::BTreeMap;

use rollgate_engine::format::redact_url;
use rollgate_engine::policy::model::{Source, source::Prometheus};
use rollgate_engine::snapshot::{Evidence, Series, format_time, parse_numeric};
use serde_json::Value;

use super::client::{Client, headers};
use super::freshness;
use super::{Data, Fetched, Job, Options, clock};

/// Prometheus refuses range queries of more than 11,000 points per series; stay under.
const MAX_POINTS: f64 = 10_000.0;
/// The default resolution.
const DEFAULT_STEP: f64 = 15.0;

/// The step a metric is read at: the policy's, else 15 s, widened so `range` stays under
/// 11,000 points.
pub fn step_of(source: Option<&Source>, range: f64) -> f64 {
    let fixed = source
        .and_then(Source::prometheus_step)
        .map(|d| d.seconds as f64);
    fixed.unwrap_or_else(|| DEFAULT_STEP.max((range / MAX_POINTS).ceil()))
}

/// The `query_range` URL of the job's window ending at `end`: Prometheus includes both ends,
/// so a window of N checks (N * step) gets its N samples.
fn range_url(base: &str, query: &str, job: &Job, end: f64) -> Result<reqwest::Url, String> {
    let step = step_of(Some(&job.source), job.range);
    let start = end - job.range;
    let endpoint = format!("{}/api/v1/query_range", base.trim_end_matches('/'));
    reqwest::Url::parse_with_params(
        &endpoint,
        &[
            ("query", query.to_owned()),
            ("start", secs(start)),
            ("end", secs(end)),
            ("step", secs(step)),
        ],
    )
    .map_err(|_| format!("`{}` is not a valid URL", redact_url(base)))
}

/// The operator's Prometheus credential (a token, else a user and password) as headers or
/// basic auth. It goes only to a host the operator named (the URL flag or variable, or
/// `--allow-host`), never to one the policy chose.
fn credentials(
    client: &Client,
    url: &reqwest::Url,
) -> Result<(reqwest::header::HeaderMap, Option<(String, String)>), String> {
    let user = std::env::var("ROLLGATE_PROMETHEUS_USER").ok();
    let password = std::env::var("ROLLGATE_PROMETHEUS_PASSWORD").ok();
    let token = std::env::var("ROLLGATE_PROMETHEUS_TOKEN").ok();
    let what = if token.is_some() {
        Some("ROLLGATE_PROMETHEUS_TOKEN")
    } else if user.is_some() && password.is_some() {
        Some("ROLLGATE_PROMETHEUS_USER/PASSWORD")
    } else {
        None
    };
    if let Some(what) = what {
        client
            .reach()
            .credential_to(url, what)
            .map_err(|why| format!("{why} (or give the server with `--prometheus-url`)"))?;
    }
    let mut auth = Vec::new();
    let mut basic = None;
    if let Some(token) = &token {
        auth.push((
            "Authorization".to_owned(),
            format!("Bearer {}", token.trim()),
        ));
    } else if let (Some(u), Some(p)) = (user, password) {
        basic = Some((u, p));
    }
    Ok((headers(&auth)?, basic))
}

pub(crate) async fn fetch(client: &Client, job: &Job, src: &Prometheus, opts: &Options) -> Fetched {
    let (query, policy_url) = (src.query.as_str(), src.url.as_deref());
    let mut ev = Evidence {
        source: "prometheus".into(),
        query: Some(query.to_owned()),
        ..Evidence::default()
    };
    let fail = |mut ev: Evidence, why: String| {
        ev.fetched_at = Some(format_time(clock()));
        Err((ev, why))
    };
    let Some(base) = opts.prometheus_url.as_deref().or(policy_url) else {
        return fail(
            ev,
            "no Prometheus URL: give `url` in the metric's source, `--prometheus-url` or ROLLGATE_PROMETHEUS_URL".into(),
        );
    };
    let end = opts.now;
    let url = match range_url(base, query, job, end) {
        Ok(u) => u,
        Err(why) => return fail(ev, why),
    };
    ev.url = Some(redact_url(url.as_str()));
    let (hdrs, basic) = match credentials(client, &url) {
        Ok(c) => c,
        Err(why) => return fail(ev, why),
    };
    let basic = basic.as_ref().map(|(u, p)| (u.as_str(), p.as_str()));
    let answer = client.get(url.as_str(), &hdrs, basic).await;
    ev.fetched_at = Some(format_time(clock()));
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return Err((ev, format!("Prometheus at `{}`: {e}", redact_url(base)))),
    };
    ev.http_status = Some(answer.status);
    ev.sha256 = Some(crate::files::sha256_hex(&answer.body));
    match parse(&answer.body, answer.status) {
        Ok((series, warnings)) => {
            ev.warnings = warnings;
            if !series.is_empty() {
                let req = freshness::Request {
                    client,
                    base,
                    headers: &hdrs,
                    basic,
                };
                match freshness::data_as_of(&req, query, end).await {
                    Ok(Some(t)) => ev.data_as_of = Some(format_time(t)),
                    Ok(None) => {}
                    Err(why) => ev.data_age_unknown = Some(why),
                }
            }
            Ok((Data::Series(series), ev))
        }
        Err(why) => Err((ev, format!("Prometheus at `{}`: {why}", redact_url(base)))),
    }
}

pub(crate) fn secs(t: f64) -> String {
    if t.fract() == 0.0 {
        format!("{}", t as i64)
    } else {
        format!("{t:.3}")
    }
}

/// A query_range answer -> series and warnings. Anything unexpected is an error.
pub fn parse(body: &[u8], status: u16) -> Result<(Vec<Series>, Vec<String>), String> {
    let (v, warnings) = envelope(body, status)?;
    let kind = v["data"]["resultType"].as_str().unwrap_or_default();
    if kind != "matrix" {
        return Err(format!("expected a range result (`matrix`), got `{kind}`"));
    }
    let results = v["data"]["result"]
        .as_array()
        .ok_or("`data.result` is not a list")?;
    let mut out = Vec::with_capacity(results.len());
    for (i, r) in results.iter().enumerate() {
        let labels = labels_of(i, r)?;
        let values = r["values"]
            .as_array()
            .ok_or(format!("result {i}: `values` is not a list"))?;
        let (mut t, mut x) = (
            Vec::with_capacity(values.len()),
            Vec::with_capacity(values.len()),
        );
        for (j, pair) in values.iter().enumerate() {
            let (ts, val) = sample(pair).map_err(|e| format!("result {i}, sample {j}: {e}"))?;
            t.push(ts);
            x.push(val);
        }
        out.push(Series::new(labels, t, x));
    }
    keep_names_where_needed(&mut out);
    Ok((out, warnings))
}

/// An instant query's answer (a `vector`): each series' value.
pub(crate) fn parse_vector(body: &[u8], status: u16) -> Result<Vec<f64>, String> {
    let (v, _) = envelope(body, status)?;
    let kind = v["data"]["resultType"].as_str().unwrap_or_default();
    if kind != "vector" {
        return Err(format!(
            "expected an instant result (`vector`), got `{kind}`"
        ));
    }
    let results = v["data"]["result"]
        .as_array()
        .ok_or("`data.result` is not a list")?;
    results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            sample(&r["value"])
                .map(|(_, x)| x)
                .map_err(|e| format!("result {i}: {e}"))
        })
        .collect()
}

/// `[time, "value"]`.
fn sample(pair: &Value) -> Result<(f64, f64), String> {
    let (Some(ts), Some(s)) = (pair[0].as_f64(), pair[1].as_str()) else {
        return Err("expected `[time, \"value\"]`".into());
    };
    let val = parse_numeric(s).ok_or(format!("`{s}` is not a number"))?;
    Ok((ts, val))
}

/// A result's labels, `__name__` included (it is dropped later unless needed).
fn labels_of(i: usize, r: &Value) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    for (k, val) in r["metric"]
        .as_object()
        .ok_or(format!("result {i}: `metric` is not a map"))?
    {
        labels.insert(
            k.clone(),
            val.as_str()
                .ok_or(format!("result {i}: label `{k}` is not text"))?
                .to_owned(),
        );
    }
    Ok(labels)
}

/// A query over one metric name answers with that name on every series: noise, dropped. A
/// query over several (`{__name__=~"a|b"}`) may give series that differ only by name: then
/// the name is what tells them apart, and every series keeps it as the label `__name__`.
fn keep_names_where_needed(series: &mut [Series]) {
    let mut seen = std::collections::BTreeSet::new();
    let distinct_without_name = series.iter().all(|s| {
        let mut l = s.labels.clone();
        l.remove("__name__");
        seen.insert(l)
    });
    if distinct_without_name {
        for s in series.iter_mut() {
            s.labels.remove("__name__");
        }
    }
}

/// The API's envelope: status, partial answers, warnings. Anything unexpected is an error.
fn envelope(body: &[u8], status: u16) -> Result<(Value, Vec<String>), String> {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('<') {
        return Err(format!(
            "HTTP {status}: the answer is HTML, not the JSON of the Prometheus API (an error page or a proxy?)"
        ));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("HTTP {status}: the answer is not valid JSON ({e})"))?;
    if v["status"] != "success" {
        let what = v["error"].as_str().unwrap_or("no error message");
        let kind = v["errorType"].as_str().unwrap_or("error");
        return Err(format!("HTTP {status}: {kind}: {what}"));
    }
    if status != 200 {
        return Err(format!("HTTP {status} with a success body"));
    }
    if v["isPartial"] == true || v["data"]["isPartial"] == true || v["partialResponse"] == true {
        return Err("a partial answer (some stores did not respond): not data".into());
    }
    let mut warnings: Vec<String> = Vec::new();
    for key in ["warnings", "infos"] {
        for w in v[key].as_array().into_iter().flatten() {
            let w = w.as_str().unwrap_or_default().to_owned();
            if w.to_lowercase().contains("partial") {
                return Err(format!("a partial answer ({w}): not data"));
            }
            warnings.push(if key == "infos" {
                format!("info: {w}")
            } else {
                w
            });
        }
    }
    Ok((v, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_matrix() {
        let body =
            br#"{"status":"success","warnings":["slow"],"data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"up","job":"a"},"values":[[1,"1"],[2,"NaN"],[3,"+Inf"]]}]}}"#;
        let (s, w) = parse(body, 200).unwrap();
        assert_eq!(s[0].labels["job"], "a");
        assert!(!s[0].labels.contains_key("__name__"));
        assert!(s[0].values[1].is_nan());
        assert_eq!(w, vec!["slow"]);
    }

    /// Series that differ only by metric name keep it (as `__name__`); a one-name answer
    /// drops it, as before.
    #[test]
    fn keeps_the_name_when_it_is_what_tells_series_apart() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"a_total","job":"x"},"values":[[1,"1"]]},
            {"metric":{"__name__":"b_total","job":"x"},"values":[[1,"2"]]}]}}"#;
        let (s, _) = parse(body, 200).unwrap();
        assert_eq!(s[0].labels["__name__"], "a_total");
        assert_eq!(s[1].labels["__name__"], "b_total");
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"a_total","job":"x"},"values":[[1,"1"]]},
            {"metric":{"__name__":"a_total","job":"y"},"values":[[1,"2"]]}]}}"#;
        let (s, _) = parse(body, 200).unwrap();
        assert!(s.iter().all(|s| !s.labels.contains_key("__name__")));
    }

    #[test]
    fn parses_an_instant_vector() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{},"value":[1700000030,"1700000000.5"]}]}}"#;
        assert_eq!(parse_vector(body, 200).unwrap(), vec![1_700_000_000.5]);
        let empty = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert!(parse_vector(empty, 200).unwrap().is_empty());
        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse_vector(matrix, 200).unwrap_err().contains("vector"));
    }

    #[test]
    fn refuses_what_is_not_data() {
        let cases: [(&[u8], u16, &str); 7] = [
            (b"<html>502 Bad Gateway</html>", 200, "HTML"),
            (br#"{"status":"success","data":{"resultType":"matrix","res"#, 200, "not valid JSON"),
            (br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#, 400, "bad_data: parse error"),
            (br#"{"status":"success","isPartial":true,"data":{"resultType":"matrix","result":[]}}"#, 200, "partial"),
            (br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#, 200, "matrix"),
            (br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"abc"]]}]}}"#, 200, "not a number"),
            (br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}}"#, 200, "expected"),
        ];
        for (body, status, want) in cases {
            let e = parse(body, status).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn steps_keep_under_the_point_limit() {
        assert_eq!(step_of(None, 3600.0), 15.0);
        assert_eq!(step_of(None, 86_400.0 * 7.0), 61.0);
    }
}
