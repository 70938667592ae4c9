//! Text for people, in one home: numbers, p-values, times, label sets, durations and URLs as
//! messages, reports and logs print them. Both the evaluator and the renderers use these, so they live apart from
//! both (the evaluator must not depend on the renderers, nor they on its internals).

use std::collections::BTreeMap;

/// Formats a number for messages: integers without a fraction, others with up to 6
/// significant digits, so messages read like "p95 = 312 ms".
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    if v.abs() >= 1e15 {
        // `1e308`, `2.5e20`: never a wall of digits.
        let s = format!("{v:.5e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    if v.abs() < 1e-5 {
        // p-values and tiny rates: `2.7e-29`, not a wall of zeros.
        let s = format!("{v:.2e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    let digits = 6 - (v.abs().log10().floor() as i32 + 1);
    let s = format!("{:.*}", digits.clamp(0, 12) as usize, v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// `{surface="web"}`, or `{}` for a series without labels.
pub fn label_text(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// `1d2h3m` style, from seconds (negative as `0s`): the canonical spelling of a policy
/// duration, which `Duration`'s `Display` uses too.
pub fn human(seconds: i64) -> String {
    let mut rest = seconds.max(0);
    if rest == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Removes credentials from a URL (`https://user:pass@host/x` -> `https://host/x`) and the
/// values of query parameters that look like secrets.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(p) => p,
        None => return url.to_owned(),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let path = match path.split_once('?') {
        Some((p, q)) => {
            let params: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_secret_name(k) => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{p}?{}", params.join("&"))
        }
        None => path.to_owned(),
    };
    format!("{scheme}://{host}{path}")
}

fn is_secret_name(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "key",
        "signature",
        "auth",
        "sig",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// `1 sample`, `2 samples`: a count with its noun in agreement. Every count the decision's
/// messages and the renderers show goes through here, so none reads "1 samples".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A p-value a reader can take in: three significant digits (`0.0192`), and below 0.001
/// two in scientific notation (`8.3e-5`, `1.6e-43`), never a wall of digits.
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() || p == 0.0 {
        return fmt_num(p);
    }
    if p < 1e-3 {
        let s = format!("{p:.1e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    let digits = (2 - p.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{p:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Formats unix seconds as RFC 3339 UTC (`2026-11-23T15:00:00Z`), the form decisions use.
pub fn format_time(t: f64) -> String {
    let secs = t.floor();
    // Microseconds: finer digits of an f64 time are noise, not data.
    let nanos = ((t - secs) * 1e6).round() as i32 * 1000;
    match jiff::Timestamp::new(secs as i64, nanos.clamp(0, 999_999_999)) {
        Ok(ts) => {
            if nanos == 0 {
                ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
            } else {
                ts.to_string()
            }
        }
        Err(_) => format!("{t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(fmt_num(0.0004), "0.0004");
        assert_eq!(fmt_num(312.0), "312");
        assert_eq!(fmt_num(312.456_78), "312.457");
        assert_eq!(fmt_num(-1.5), "-1.5");
        assert_eq!(fmt_num(f64::INFINITY), "+Inf");
        assert_eq!(fmt_num(1.98e-10), "1.98e-10");
        assert_eq!(fmt_num(2.0e-29), "2e-29");
        assert_eq!(fmt_num(0.000421), "0.000421");
        // Large numbers in scientific form, never a 309-digit integer.
        assert_eq!(fmt_num(1e308), "1e308");
        assert_eq!(fmt_num(-2.5e20), "-2.5e20");
        assert_eq!(fmt_num(123_456_789_012_345_680.0), "1.23457e17");
        assert_eq!(fmt_num(999_999_999_999_999.0), "999999999999999");
        assert_eq!(fmt_num(1e15), "1e15");
    }

    #[test]
    fn label_text_is_prometheus_like() {
        let mut l = BTreeMap::new();
        assert_eq!(label_text(&l), "{}");
        l.insert("surface".to_owned(), "web".to_owned());
        assert_eq!(label_text(&l), "{surface=\"web\"}");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("https://u:p@prom:9090/api?q=up&token=abc"),
            "https://prom:9090/api?q=up&token=***"
        );
        assert_eq!(redact_url("http://host/x"), "http://host/x");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(plural(0, "sample", "samples"), "0 samples");
        assert_eq!(plural(1, "sample", "samples"), "1 sample");
        assert_eq!(plural(2, "check", "checks"), "2 checks");
    }

    /// Reference p-values (scipy.stats prints them the same, rounded): three significant
    /// digits from 0.001, two in scientific notation below.
    #[test]
    fn p_values_are_rounded_for_reading() {
        assert_eq!(fmt_p(0.019174), "0.0192");
        assert_eq!(fmt_p(0.5), "0.5");
        assert_eq!(fmt_p(0.05), "0.05");
        assert_eq!(fmt_p(0.00123456), "0.00123");
        assert_eq!(fmt_p(0.0000832976), "8.3e-5");
        assert_eq!(fmt_p(1.58e-43), "1.6e-43");
        assert_eq!(fmt_p(1.0), "1");
        assert_eq!(fmt_p(0.0), "0");
    }
}
