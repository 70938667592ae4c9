//! Escaping text taken from data (labels, record fields, command output, URLs, messages) for
//! the place it lands, so that it cannot change the markdown or XML around it.

/// Inline markdown: no emphasis, links, HTML, headings or code spans can start inside it, and
/// it stays on one line.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A table cell: as `md`, and never empty (an empty cell reads as a broken table).
pub fn cell(s: &str) -> String {
    let e = md(s.trim());
    if e.is_empty() { "-".to_owned() } else { e }
}

/// Text inside a Mermaid quoted string.
pub fn mermaid(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '"' => '\'',
            '[' => '(',
            ']' => ')',
            '`' | '<' | '>' | '#' | ';' => ' ',
            c => c,
        })
        .collect()
}

/// XML attribute values and text.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A GitHub workflow command's message (`::error ...::MESSAGE`): `%`, CR and LF encoded.
pub fn workflow_message(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A GitHub workflow command's property (`title=...`): also `:` and `,`.
pub fn workflow_property(s: &str) -> String {
    workflow_message(s).replace(':', "%3A").replace(',', "%2C")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_labels_cannot_break_out() {
        let evil = "# x | y\n`z` [a](http://e) <script>*b*_c_";
        let e = cell(evil);
        assert!(!e.contains('\n'));
        assert!(!e.contains("<script>"));
        assert!(e.starts_with("\\#"));
        assert!(e.contains("\\|") && e.contains("\\`") && e.contains("\\[a\\]"));
        assert_eq!(cell("   "), "-");
        assert_eq!(xml("a<\"b\">&'"), "a&lt;&quot;b&quot;&gt;&amp;&apos;");
        assert_eq!(workflow_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
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
}
