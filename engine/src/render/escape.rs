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
}
