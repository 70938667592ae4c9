//! Runs a document through its JSON Schema and turns each error into a located diagnostic
//! that speaks the user's language ("unknown key `metirc` in gate `x`; did you mean
//! `metric`?") rather than the validator's.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::locate::place;
use crate::schema::Checked;
use crate::suggest as help;
use crate::yaml::PointerIndex;

/// Every schema problem of `doc`, located through `index`.
pub fn check(checked: Checked, doc: &Value, index: &PointerIndex) -> Vec<Diagnostic> {
    let errors = checked.errors(doc);
    if errors.is_empty() {
        return Vec::new();
    }
    // The schema itself is read only to explain errors (allowed keys, enum values).
    let schema = checked.kind().published();
    let mut out = Vec::new();
    for error in &errors {
        describe(error, schema, doc, index, &mut out);
    }
    out
}

fn describe(
    e: &ValidationError<'_>,
    schema: &Value,
    doc: &Value,
    index: &PointerIndex,
    out: &mut Vec<Diagnostic>,
) {
    let ptr = e.instance_path().as_str().to_owned();
    let what = place(doc, &ptr);
    let instance = e.instance();
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(schema, e.schema_path().as_str());
            for key in unexpected {
                let child = format!("{ptr}/{}", crate::yaml::escape_token(key));
                let help = did_you_mean(key, allowed.iter().map(String::as_str))
                    .or_else(|| misplaced(schema, &ptr, key))
                    .or_else(|| {
                        (!allowed.is_empty()).then(|| {
                            format!(
                                "expected one of {}",
                                allowed
                                    .iter()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        })
                    });
                let message = if ptr.is_empty() {
                    format!("unknown top-level key `{key}`")
                } else {
                    format!("unknown key `{key}` in {what}")
                };
                out.push(
                    Diagnostic::error(
                        Code::UnknownKey,
                        index.key_pos(&child),
                        child.clone(),
                        message,
                    )
                    .with_help(help),
                );
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            out.push(Diagnostic::error(
                Code::MissingKey,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("missing required key `{name}` in {what}"),
            ));
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(&t.to_string()).to_owned(),
                TypeKind::Multiple(ts) => {
                    let names: Vec<&str> = ts.iter().map(|t| type_name(&t.to_string())).collect();
                    names.join(" or ")
                }
            };
            let quoted = help::quoted(instance, &expected);
            let shown = quoted.map_or_else(|| found(instance), help::quoted_text);
            let message = format!("{what} must be {expected}, found {shown}");
            let entry = entry_key(schema, &ptr, instance);
            let (pos, help) = if let Some(help) = entry {
                // A key dedented out of its gate, metric or record set.
                (index.key_pos(&ptr), Some(help))
            } else if instance.is_null() {
                let key = ptr.rsplit('/').next().unwrap_or_default();
                let help = (!key.is_empty() && key.parse::<usize>().is_err())
                    .then(|| format!("write a value after `{key}:`, or remove the line"));
                (index.key_pos(&ptr), help)
            } else {
                let help = match (instance.as_ref(), expected.as_str()) {
                    _ if quoted.is_some() => quoted.map(|t| format!("remove the quotes: `{t}`")),
                    (Value::String(text), "`true` or `false`") => help::bool_word(text).map(|b| {
                        format!("did you mean `{b}`? only `true` and `false` are booleans")
                    }),
                    (Value::String(_) | Value::Number(_), "a list") => {
                        let item = instance
                            .as_str()
                            .map_or_else(|| instance.to_string(), str::to_owned);
                        Some(format!(
                            "write a list, even of one item: did you mean `[{item}]`?"
                        ))
                    }
                    _ => None,
                };
                (index.value_pos(&ptr), help)
            };
            out.push(Diagnostic::error(Code::WrongType, pos, ptr.clone(), message).with_help(help));
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let help = instance
                .as_str()
                .and_then(|s| did_you_mean(s, opts.iter().map(String::as_str)));
            out.push(
                Diagnostic::error(
                    Code::NotAnOption,
                    index.value_pos(&ptr),
                    ptr.clone(),
                    format!(
                        "{what} must be one of {}, found {}",
                        opts.iter()
                            .map(|o| format!("`{o}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        found(instance)
                    ),
                )
                .with_help(help),
            );
        }
        ValidationErrorKind::Pattern { pattern } => {
            let help = instance
                .as_str()
                .and_then(|text| help::pattern(pattern, text));
            out.push(
                Diagnostic::error(
                    Code::BadFormat,
                    index.value_pos(&ptr),
                    ptr.clone(),
                    format!(
                        "{what}: {} is not {}",
                        found(instance),
                        pattern_meaning(pattern)
                    ),
                )
                .with_help(help),
            );
        }
        ValidationErrorKind::PropertyNames { error } => {
            // The offending name is the instance of the inner error.
            let name = error.instance().as_str().unwrap_or_default().to_owned();
            let child = format!("{ptr}/{}", crate::yaml::escape_token(&name));
            let meaning = match error.kind() {
                ValidationErrorKind::Pattern { pattern } => pattern_meaning(pattern),
                _ => "a valid name",
            };
            let help = match error.kind() {
                ValidationErrorKind::Pattern { pattern } => help::pattern(pattern, &name),
                _ => None,
            };
            out.push(
                Diagnostic::error(
                    Code::BadFormat,
                    index.key_pos(&child),
                    child,
                    format!("in {what}, `{name}` is not {meaning}"),
                )
                .with_help(help),
            );
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }
            if context.len() == 1 =>
        {
            for inner in &context[0] {
                describe(inner, schema, doc, index, out);
            }
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Report the branch whose type matches the value, so a typo inside a per-env map
            // is reported as such, not as "matches none of the alternatives".
            let fitting: Vec<&Vec<ValidationError<'static>>> = context
                .iter()
                .filter(|branch| !branch.iter().any(|b| wrong_type(b, &ptr)))
                .collect();
            let consts: Option<Vec<String>> = context
                .iter()
                .map(|branch| match branch.as_slice() {
                    [b] => match b.kind() {
                        ValidationErrorKind::Constant { expected_value } => {
                            expected_value.as_str().map(|s| vec![s.to_owned()])
                        }
                        ValidationErrorKind::Enum { options } => options.as_array().map(|a| {
                            a.iter()
                                .filter_map(|o| o.as_str().map(str::to_owned))
                                .collect()
                        }),
                        _ => None,
                    },
                    _ => None,
                })
                .collect::<Option<Vec<Vec<String>>>>()
                .map(|v| v.concat());
            if let Some(opts) = consts.filter(|o| !o.is_empty()) {
                let help = instance
                    .as_str()
                    .and_then(|s| did_you_mean(s, opts.iter().map(String::as_str)));
                out.push(
                    Diagnostic::error(
                        Code::NotAnOption,
                        index.value_pos(&ptr),
                        ptr.clone(),
                        format!(
                            "{what} must be one of {}, found {}",
                            opts.iter()
                                .map(|o| format!("`{o}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            found(instance)
                        ),
                    )
                    .with_help(help),
                );
            } else if fitting.len() == 1 {
                for inner in fitting[0] {
                    describe(inner, schema, doc, index, out);
                }
            } else {
                // The description sits beside `anyOf`, not inside it.
                let path = e.schema_path().as_str();
                let parent = path
                    .strip_suffix("/anyOf")
                    .or_else(|| path.strip_suffix("/oneOf"))
                    .unwrap_or(path);
                let desc = node_at(schema, parent)
                    .and_then(|n| n.get("description"))
                    .and_then(Value::as_str);
                // The types the alternatives wanted, in order: "a number", "a map".
                let types: Vec<&str> = context
                    .iter()
                    .filter_map(|branch| {
                        branch.iter().find_map(|b| match b.kind() {
                            ValidationErrorKind::Type {
                                kind: TypeKind::Single(t),
                            } if b.instance_path().as_str() == ptr => {
                                Some(type_name(&t.to_string()))
                            }
                            _ => None,
                        })
                    })
                    .collect();
                let per_env =
                    desc.is_some_and(|d| d.starts_with("A value, or a map from environment"));
                let quoted = help::quoted(instance, &types.join(" or "));
                let found = quoted.map_or_else(|| found(instance), help::quoted_text);
                let msg = match (types.as_slice(), desc) {
                    ([one, "a map"], _) if per_env => format!(
                        "{what} must be {one}, or a map from environment name to {one}, found {found}"
                    ),
                    ([_, ..], _) => format!("{what} must be {}, found {found}", types.join(" or ")),
                    ([], Some(d)) => format!(
                        "{what} must be {}, found {found}",
                        d.trim_end_matches('.').to_lowercase()
                    ),
                    ([], None) => format!("{what} has an unexpected form: {found}"),
                };
                let help = match quoted {
                    Some(t) => Some(format!("remove the quotes: `{t}`")),
                    None if types.contains(&"a number") => instance.as_str().and_then(help::number),
                    None => None,
                };
                out.push(
                    Diagnostic::error(Code::WrongType, index.value_pos(&ptr), ptr.clone(), msg)
                        .with_help(help),
                );
            }
        }
        ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. }
            if ptr == "/version" =>
        {
            out.push(Diagnostic::error(
                Code::NotAnOption,
                index.value_pos(&ptr),
                ptr.clone(),
                format!(
                    "unsupported policy language version {}: this rollgate reads `version: 1`",
                    found(instance)
                ),
            ));
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("{what} must be at least {limit}, found {}", found(instance)),
            ));
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("{what} must be at most {limit}, found {}", found(instance)),
            ));
        }
        ValidationErrorKind::MinItems { limit } => {
            let msg = if *limit == 1 {
                format!("{what} must not be empty")
            } else {
                format!("{what} must have at least {limit} items")
            };
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                msg,
            ));
        }
        ValidationErrorKind::MinProperties { .. } => {
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("{what} must not be empty"),
            ));
        }
        ValidationErrorKind::MinLength { limit } => {
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                format!(
                    "{what} must be at least {limit} characters long, found {}",
                    found(instance)
                ),
            ));
        }
        ValidationErrorKind::MaxLength { limit } => {
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("{what} must be at most {limit} characters long"),
            ));
        }
        ValidationErrorKind::UniqueItems => {
            out.push(Diagnostic::error(
                Code::OutOfRange,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("{what} lists an item twice"),
            ));
        }
        _ => {
            out.push(Diagnostic::error(
                Code::BadStructure,
                index.value_pos(&ptr),
                ptr.clone(),
                format!("{what}: {}", e.masked()),
            ));
        }
    }
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => {
            let short: String = s.chars().take(60).collect();
            format!("`{short}`")
        }
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

fn type_name(t: &str) -> &'static str {
    match t {
        "string" => "text",
        "number" => "a number",
        "integer" => "a whole number",
        "boolean" => "`true` or `false`",
        "array" => "a list",
        "object" => "a map",
        "null" => "null",
        _ => "another type",
    }
}

fn pattern_meaning(pattern: &str) -> &'static str {
    match pattern {
        r"^[a-z0-9][a-z0-9-]*$" => "a valid id (lowercase letters, digits and `-`)",
        r"^[a-z0-9][a-z0-9_-]*$" => "a valid name (lowercase letters, digits, `-` and `_`)",
        r"^[A-Za-z_][A-Za-z0-9_]*$" => {
            "a valid name (letters, digits and `_`, not starting with a digit)"
        }
        r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$" => {
            "a duration (a number and a unit, like `30s`, `5m`, `1h30m` or `2d`)"
        }
        r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|none)$" => {
            "a duration like `30s`, `15m` or `1h`, or `none` (staleness not checked)"
        }
        r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+bd)$" => {
            "a hold: a duration like `60m` or `24h`, or business days like `1bd`"
        }
        r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+ checks?|stage)$" => {
            "a window: a duration (`1h`), a number of checks (`5 checks`) or `stage`"
        }
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" => "a date like `2026-12-25`",
        r"^[0-9]+(\.[0-9]+)?%$" => "a percentage like `10%`",
        r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$" => "a repository like `owner/name`",
        _ => "in the expected form",
    }
}

/// Whether an error says the value at `ptr` has the wrong type, directly or because every
/// alternative of an `anyOf` wanted another type (a scalar where a map was written).
fn wrong_type(e: &ValidationError<'_>, ptr: &str) -> bool {
    if e.instance_path().as_str() != ptr {
        return false;
    }
    match e.kind() {
        ValidationErrorKind::Type { .. } => true,
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
                .iter()
                .all(|branch| branch.iter().any(|b| wrong_type(b, ptr)))
        }
        _ => false,
    }
}

/// The collections whose entries are maps, with the schema definition of an entry and its
/// name in words.
const ENTRY_KINDS: [(&str, &str, &str); 4] = [
    ("gates", "RawGate", "gate"),
    ("metrics", "RawMetric", "metric"),
    ("records", "RawRecordSet", "record set"),
    ("stages", "RawStage", "stage"),
];

fn definition_keys<'a>(schema: &'a Value, def: &str) -> impl Iterator<Item = &'a String> {
    schema
        .pointer(&format!("/definitions/{def}/properties"))
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
}

/// Help for a value under `gates` (or `metrics`, `records`) named like a key of an entry:
/// the key was dedented out of the entry above it.
fn entry_key(schema: &Value, ptr: &str, instance: &Value) -> Option<String> {
    let segs: Vec<&str> = ptr.split('/').skip(1).collect();
    let [collection, key] = segs.as_slice() else {
        return None;
    };
    if instance.is_object() {
        return None;
    }
    let (_, def, noun) = ENTRY_KINDS
        .iter()
        .find(|(c, _, _)| c == collection && *c != "stages")?;
    definition_keys(schema, def).any(|k| k == key).then(|| {
        format!("`{key}` is a {noun} key, not a {noun}: indent it under the {noun} it belongs to")
    })
}

/// Help for an unknown top-level key that belongs to a gate, stage, metric or record set.
fn misplaced(schema: &Value, ptr: &str, key: &str) -> Option<String> {
    if !ptr.is_empty() {
        return None;
    }
    let (_, _, noun) = ENTRY_KINDS
        .iter()
        .find(|(_, def, _)| definition_keys(schema, def).any(|k| k == key))?;
    Some(format!(
        "`{key}` is a {noun} key: indent it under the {noun} it belongs to"
    ))
}

/// The schema node a keyword location points at, following `$ref`s on the way.
fn node_at<'a>(root: &'a Value, schema_path: &str) -> Option<&'a Value> {
    let mut node = root;
    for seg in schema_path.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
            node = root.pointer(target)?;
            continue;
        }
        node = match node {
            Value::Object(m) => m.get(&seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            // A `$ref` sitting beside the keyword we stopped on is resolved by the next step.
            let _ = r;
        }
    }
    Some(node)
}

/// The keys allowed where `additionalProperties` failed.
fn allowed_keys(root: &Value, schema_path: &str) -> Vec<String> {
    let parent = schema_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(schema_path);
    let mut node = node_at(root, parent);
    if let Some(r) = node.and_then(|n| n.get("$ref")).and_then(Value::as_str) {
        node = r.strip_prefix('#').and_then(|p| root.pointer(p));
    }
    node.and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}
