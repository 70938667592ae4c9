//! YAML -> located tree -> (JSON value, pointer index).
//!
//! Policies are checked twice: structurally by the JSON Schema (whose errors carry JSON
//! pointers) and semantically by `validate` (which also speaks in pointers). Both need the
//! YAML line and column of any pointer, so the document is parsed once into a tree that keeps
//! the location of every key and value; from it we build the JSON value and the index.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};

use crate::diagnostic::{Code, Pos};

/// Largest policy, snapshot-free test file or other YAML document rollgate accepts (bytes).
/// Real policies are a few kilobytes; anything near this is a mistake or an attack.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Deepest nesting accepted. Policies nest about six levels; records in test files a few more.
pub const MAX_DEPTH: usize = 48;

/// One YAML node with its location.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Located>),
    Map(Vec<(Located, Located)>),
}

/// A node and where it starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub node: Node,
    pub pos: Pos,
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Node>::deserialize(d)?;
        let loc = spanned.referenced;
        Ok(Located {
            node: spanned.value,
            pos: Pos {
                line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
                col: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            },
        })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_char<E>(self, v: char) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Located>()? {
            if matches!(key.node, Node::Seq(_) | Node::Map(_)) {
                return Err(de::Error::custom(format!(
                    "line {}: a mapping key must be a plain value",
                    key.pos.line
                )));
            }
            let value = map.next_value::<Located>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// Why a document could not be parsed as YAML at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// Which kind of YAML problem (syntax, duplicate key, limits, a non-finite number).
    pub code: Code,
    pub message: String,
    pub pos: Pos,
    /// Advice, when the likely cause is known (printed after the message).
    pub help: Option<String>,
}

/// Parses one YAML document with the hardened options: strict booleans (`no` stays a string),
/// duplicate keys rejected, alias expansion, node count and nesting bounded.
pub fn parse(text: &str) -> Result<Located, YamlError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(YamlError {
            code: Code::DocumentLimit,
            message: format!(
                "file is {} bytes; the limit is {} bytes",
                text.len(),
                MAX_DOCUMENT_BYTES
            ),
            pos: Pos { line: 1, col: 1 },
            help: None,
        });
    }
    let mut budget = Budget::default();
    budget.max_reader_input_bytes = Some(MAX_DOCUMENT_BYTES);
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 200_000;
    budget.max_events = 400_000;
    budget.max_recorded_anchor_events = 50_000;
    budget.max_recorded_anchor_bytes = 1024 * 1024;
    budget.max_total_scalar_bytes = 4 * MAX_DOCUMENT_BYTES;
    budget.max_documents = 1;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.with_snippet = false;
    options.alias_limits.max_total_replayed_events = 50_000;
    options.alias_limits.max_alias_expansions_per_anchor = 100;
    if text.trim().is_empty() {
        return Err(YamlError {
            code: Code::DocumentLimit,
            message: "the file is empty".into(),
            pos: Pos { line: 1, col: 1 },
            help: None,
        });
    }
    serde_saphyr::from_str_with_options::<Located>(text, options).map_err(|e| {
        let pos = e
            .location()
            .filter(|l| l.line() > 0)
            .map_or(Pos { line: 1, col: 1 }, |l| Pos {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX),
                col: u32::try_from(l.column().max(1)).unwrap_or(u32::MAX),
            });
        explain(text, e.without_snippet(), pos)
    })
}

/// The parser's error in the user's words, at the place to fix. Budget breaches, duplicate
/// keys and tabs get messages of their own; the parser's other messages are kept, cleaned.
fn explain(text: &str, e: &serde_saphyr::Error, pos: Pos) -> YamlError {
    use serde_saphyr::Error as E;
    match e {
        E::AliasError { error, .. } => explain(text, error.without_snippet(), pos),
        E::DuplicateMappingKey { key, .. } => duplicate_key(text, key.as_deref(), pos),
        E::Budget { breach, .. } => budget_breach(breach, pos),
        E::NonFiniteFloat { value, .. } => YamlError {
            help: Some(
                "bounds, tolerances and other policy numbers are finite; NaN and infinities \
                 belong in a snapshot's samples, never in a policy"
                    .into(),
            ),
            ..YamlError::at(
                Code::NonFiniteNumber,
                pos,
                format!(
                    "`{value}` is not a number a policy can use: it is {}",
                    if value.to_ascii_lowercase().contains("nan") {
                        "NaN (not a number)"
                    } else {
                        "infinite (or too large for a 64-bit float)"
                    }
                ),
            )
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => alias_bomb(pos),
        _ => syntax_error(text, e, pos),
    }
}

impl YamlError {
    /// A problem at `pos` without advice.
    fn at(code: Code, pos: Pos, message: String) -> Self {
        YamlError {
            code,
            message,
            pos,
            help: None,
        }
    }
}

/// A key given twice in one map, naming the line of the first one when it can be found.
fn duplicate_key(text: &str, key: Option<&str>, pos: Pos) -> YamlError {
    let key = key.map(str::trim).unwrap_or_default();
    let first = first_occurrence(text, key, pos);
    let message = match (key.is_empty(), first) {
        (true, _) => "invalid YAML: a key appears twice in the same map".to_owned(),
        (false, Some(line)) => format!(
            "invalid YAML: duplicate key `{key}` (first at line {line}): a key may appear once in a map"
        ),
        (false, None) => {
            format!("invalid YAML: duplicate key `{key}`: a key may appear once in a map")
        }
    };
    YamlError::at(Code::DuplicateKey, pos, message)
}

/// Aliases that would expand a small file into a huge one.
fn alias_bomb(pos: Pos) -> YamlError {
    YamlError::at(
        Code::DocumentLimit,
        pos,
        "invalid YAML: aliases (`*name`) expand to too much data; \
            rollgate refuses documents that grow when read (a \"billion laughs\" attack)"
            .to_owned(),
    )
}

/// A document beyond one of the parser's budgets.
fn budget_breach(breach: &serde_saphyr::budget::BudgetBreach, pos: Pos) -> YamlError {
    use serde_saphyr::budget::BudgetBreach as B;
    let message = match breach {
        B::Depth { .. } => format!("invalid YAML: nesting is deeper than {MAX_DEPTH} levels"),
        B::Documents { .. } => {
            "invalid YAML: more than one document (`---`); a file holds one document".to_owned()
        }
        B::InputBytes { .. } => {
            format!("file is larger than the limit of {MAX_DOCUMENT_BYTES} bytes")
        }
        _ => return alias_bomb(pos),
    };
    YamlError::at(Code::DocumentLimit, pos, message)
}

/// Any other parser error: its own message, cleaned, with advice for tabs and for the
/// indentation mistakes behind "mapping values are not allowed".
fn syntax_error(text: &str, e: &serde_saphyr::Error, pos: Pos) -> YamlError {
    let message = clean_message(&e.to_string());
    if message.ends_with("recursion limit exceeded") {
        // The parser's own guard, hit before the budget on very deep flow nesting.
        return YamlError::at(
            Code::DocumentLimit,
            pos,
            format!("invalid YAML: nesting is deeper than {MAX_DEPTH} levels"),
        );
    }
    match indentation_tab(text) {
        Some(tab) if message.contains("tab") => YamlError {
            help: Some("YAML indents with spaces only; replace the tab with spaces".into()),
            ..YamlError::at(
                Code::YamlSyntax,
                tab,
                "invalid YAML: a tab character in the indentation".to_owned(),
            )
        },
        _ if message.contains("mapping values are not allowed") => YamlError {
            help: Some(
                "check the indentation: this line may be indented deeper than the keys beside it, or a value with `: ` needs quotes"
                    .into(),
            ),
            ..YamlError::at(Code::YamlSyntax, pos, message)
        },
        _ => YamlError::at(Code::YamlSyntax, pos, message),
    }
}

/// The first tab in the leading whitespace of a line, which YAML forbids.
fn indentation_tab(text: &str) -> Option<Pos> {
    text.lines().enumerate().find_map(|(i, line)| {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        line[..indent].find('\t').map(|col| Pos {
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
        })
    })
}

/// The line of the earlier `key:` at the same indentation as the duplicate at `dup`, looking
/// back only through lines indented deeper (the same map).
fn first_occurrence(text: &str, key: &str, dup: Pos) -> Option<u32> {
    if key.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let dup_line = lines.get((dup.line as usize).checked_sub(1)?)?;
    // Only block maps: the duplicate key starts its line (after any `- `).
    let indent = (dup.col as usize).checked_sub(1)?;
    let before = dup_line.get(..indent)?.trim();
    if !before.chars().all(|c| c == '-' || c == ' ') {
        return None;
    }
    let prefixes = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    for i in (0..dup.line as usize - 1).rev() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = line.len() - trimmed.len();
        let body = trimmed
            .strip_prefix("- ")
            .filter(|_| ind < indent)
            .map_or(trimmed, str::trim_start);
        let body_ind = line.len() - body.len();
        if body_ind == indent && prefixes.iter().any(|p| body.starts_with(p.as_str())) {
            return u32::try_from(i + 1).ok();
        }
        if body_ind < indent {
            return None;
        }
    }
    None
}

/// serde-saphyr's messages end with " at line X column Y"; we print the location ourselves.
fn clean_message(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or(raw).trim();
    let trimmed = match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    let lower = trimmed.trim_start_matches("error: ");
    format!("invalid YAML: {lower}")
}

/// Where a pointer's key and value stand in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spot {
    /// The key that names this value (None for the root and for sequence items).
    pub key: Option<Pos>,
    pub value: Pos,
}

/// JSON pointer -> location, for every node of the document.
#[derive(Debug, Default, Clone)]
pub struct PointerIndex {
    spots: HashMap<String, Spot>,
}

impl PointerIndex {
    /// The location of the value at `pointer`, or of its nearest located ancestor.
    pub fn value_pos(&self, pointer: &str) -> Pos {
        self.lookup(pointer).value
    }

    /// The location of the key naming the value at `pointer` (for "unknown key" errors),
    /// falling back to the value.
    pub fn key_pos(&self, pointer: &str) -> Pos {
        let spot = self.lookup(pointer);
        spot.key.unwrap_or(spot.value)
    }

    /// Whether the document has a node at exactly this pointer.
    pub fn contains(&self, pointer: &str) -> bool {
        self.spots.contains_key(pointer)
    }

    fn lookup(&self, pointer: &str) -> Spot {
        let mut p = pointer;
        loop {
            if let Some(s) = self.spots.get(p) {
                return *s;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return Spot {
                        key: None,
                        value: Pos { line: 1, col: 1 },
                    };
                }
            }
        }
    }
}

/// Escapes one JSON pointer token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The scalar text of a key node (keys may be numbers or booleans in YAML).
pub fn key_text(node: &Node) -> String {
    match node {
        Node::Null => "null".into(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => f.to_string(),
        Node::Str(s) => s.clone(),
        Node::Seq(_) | Node::Map(_) => String::new(),
    }
}

/// Converts the tree to JSON and indexes every node by pointer.
pub fn to_json(root: &Located) -> (serde_json::Value, PointerIndex) {
    let mut index = PointerIndex::default();
    let mut pointer = String::new();
    let value = convert(root, None, &mut pointer, &mut index);
    (value, index)
}

fn convert(
    node: &Located,
    key: Option<Pos>,
    pointer: &mut String,
    index: &mut PointerIndex,
) -> serde_json::Value {
    use serde_json::Value;
    index.spots.insert(
        pointer.clone(),
        Spot {
            key,
            value: node.pos,
        },
    );
    match &node.node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::from(*i),
        // JSON has no NaN or infinity; keep the YAML spelling so the schema says "not a number".
        Node::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        Node::Str(s) => Value::String(s.clone()),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                out.push(convert(item, None, pointer, index));
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = serde_json::Map::with_capacity(entries.len());
            for (k, v) in entries {
                let name = key_text(&k.node);
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_token(&name));
                let value = convert(v, Some(k.pos), pointer, index);
                pointer.truncate(len);
                out.insert(name, value);
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_keys_and_values() {
        let text = "a: 1\nb:\n  c: [x, y]\n  d: no\n";
        let root = parse(text).unwrap();
        let (json, index) = to_json(&root);
        assert_eq!(json["b"]["d"], serde_json::json!("no"), "strict booleans");
        assert_eq!(index.key_pos("/b/c"), Pos { line: 3, col: 3 });
        assert_eq!(index.value_pos("/b/c/1"), Pos { line: 3, col: 10 });
        assert_eq!(index.value_pos("/b/zzz"), index.value_pos("/b"));
    }

    #[test]
    fn rejects_duplicate_keys() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
        assert_eq!(err.pos.line, 2);
        let err = parse("s:\n  - id: a\n    x: 1\n    id: b\n").unwrap_err();
        assert_eq!(
            err.message,
            "invalid YAML: duplicate key `id` (first at line 2): a key may appear once in a map"
        );
        assert_eq!(err.pos, Pos { line: 4, col: 5 });
    }

    #[test]
    fn points_at_tabs_in_indentation() {
        let err = parse("a:\n  b: 1\n\tc: 2\n").unwrap_err();
        assert_eq!(
            err.message,
            "invalid YAML: a tab character in the indentation"
        );
        assert_eq!(err.pos, Pos { line: 3, col: 1 });
        assert!(err.help.is_some());
    }

    #[test]
    fn refuses_alias_bombs() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        // Refused by the alias budget (not by time: tests assert no timings).
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("aliases"), "{}", err.message);
        assert!(
            !err.message.contains('{'),
            "no debug output: {}",
            err.message
        );
    }

    #[test]
    fn refuses_deep_nesting() {
        let text = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.message,
            "invalid YAML: nesting is deeper than 48 levels"
        );
    }
}
