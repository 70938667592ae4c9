//! Runs a document through its JSON Schema and turns each error into a located diagnostic
//! that speaks the user's language ("unknown key `metirc` in gate `x`; did you mean
//! `metric`?") rather than the validator's.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::locate::place;
use crate::policy::patterns;
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

/// The place an error is about: its pointer, the pointer in words, the offending value.
struct At<'a> {
    ptr: String,
    what: String,
    instance: &'a Value,
    index: &'a PointerIndex,
}

impl At<'_> {
    /// A diagnostic at the offending value.
    fn value(&self, code: Code, message: String) -> Diagnostic {
        Diagnostic::error(
            code,
            self.index.value_pos(&self.ptr),
            self.ptr.clone(),
            message,
        )
    }

    /// `X must be one of `a`, `b`, found `c``, with the closest option as help.
    fn not_an_option(&self, opts: &[String]) -> Diagnostic {
        let help = self
            .instance
            .as_str()
            .and_then(|s| did_you_mean(s, opts.iter().map(String::as_str)));
        let listed: Vec<String> = opts.iter().map(|o| format!("`{o}`")).collect();
        self.value(
            Code::NotAnOption,
            format!(
                "{} must be one of {}, found {}",
                self.what,
                listed.join(", "),
                found(self.instance)
            ),
        )
        .with_help(help)
    }
}

/// One validation error in the user's words, keyed on the kind of error the validator found.
fn describe(
    e: &ValidationError<'_>,
    schema: &Value,
    doc: &Value,
    index: &PointerIndex,
    out: &mut Vec<Diagnostic>,
) {
    let ptr = e.instance_path().as_str().to_owned();
    let at = At {
        what: place(doc, &ptr),
        ptr,
        instance: e.instance(),
        index,
    };
    let (what, found_it) = (&at.what, found(at.instance));
    let message = match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(schema, e.schema_path().as_str());
            out.extend(
                unexpected
                    .iter()
                    .map(|key| unknown_key(&at, schema, &allowed, key)),
            );
            return;
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let msg = format!("missing required key `{name}` in {what}");
            return out.push(at.value(Code::MissingKey, msg));
        }
        ValidationErrorKind::Type { kind } => return out.push(wrong_type_of(&at, schema, kind)),
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
                .collect();
            return out.push(at.not_an_option(&opts));
        }
        ValidationErrorKind::Pattern { pattern } => {
            let help = at.instance.as_str().and_then(|t| help::pattern(pattern, t));
            let msg = format!("{what}: {found_it} is not {}", patterns::meaning(pattern));
            return out.push(at.value(Code::BadFormat, msg).with_help(help));
        }
        ValidationErrorKind::PropertyNames { error } => {
            return out.push(bad_key_name(&at, error));
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            return alternatives(&at, e, context, schema, doc, out);
        }
        ValidationErrorKind::Minimum { .. } | ValidationErrorKind::Maximum { .. }
            if at.ptr == "/version" =>
        {
            let msg = format!(
                "unsupported policy language version {found_it}: this rollgate reads `version: 1`"
            );
            return out.push(at.value(Code::NotAnOption, msg));
        }
        kind => match out_of_range(kind, what, &found_it) {
            Some(msg) => msg,
            None => {
                let msg = format!("{what}: {}", e.masked());
                return out.push(at.value(Code::BadStructure, msg));
            }
        },
    };
    out.push(at.value(Code::OutOfRange, message));
}

/// A value out of its range (a bound, a length, emptiness, repeated items), in words; None
/// for other kinds of error.
fn out_of_range(kind: &ValidationErrorKind, what: &str, found_it: &str) -> Option<String> {
    Some(match kind {
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{what} must be at least {limit}, found {found_it}")
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{what} must be at most {limit}, found {found_it}")
        }
        ValidationErrorKind::MinItems { limit: 1 } | ValidationErrorKind::MinProperties { .. } => {
            format!("{what} must not be empty")
        }
        ValidationErrorKind::MinItems { limit } => {
            format!("{what} must have at least {limit} items")
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("{what} must be at least {limit} characters long, found {found_it}")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("{what} must be at most {limit} characters long")
        }
        ValidationErrorKind::UniqueItems => format!("{what} lists an item twice"),
        _ => return None,
    })
}

/// A key the schema does not allow here: the closest allowed key, or where the key belongs
/// (a gate key written at the top level), or the keys allowed here.
fn unknown_key(at: &At<'_>, schema: &Value, allowed: &[String], key: &str) -> Diagnostic {
    let ptr = &at.ptr;
    let child = format!("{ptr}/{}", crate::yaml::escape_token(key));
    let help = did_you_mean(key, allowed.iter().map(String::as_str))
        .or_else(|| misplaced(schema, ptr, key))
        .or_else(|| {
            (!allowed.is_empty()).then(|| {
                let listed: Vec<String> = allowed.iter().map(|k| format!("`{k}`")).collect();
                format!("expected one of {}", listed.join(", "))
            })
        });
    let message = if ptr.is_empty() {
        format!("unknown top-level key `{key}`")
    } else {
        format!("unknown key `{key}` in {}", at.what)
    };
    Diagnostic::error(Code::UnknownKey, at.index.key_pos(&child), child, message).with_help(help)
}

/// A value of the wrong type, with the likely fix: remove quotes, a boolean's spelling, a
/// one-item list, a value after a bare key, or the indentation of a dedented key.
fn wrong_type_of(at: &At<'_>, schema: &Value, kind: &TypeKind) -> Diagnostic {
    let (ptr, instance) = (&at.ptr, at.instance);
    let expected = match kind {
        TypeKind::Single(t) => type_name(&t.to_string()).to_owned(),
        TypeKind::Multiple(ts) => {
            let names: Vec<&str> = ts.iter().map(|t| type_name(&t.to_string())).collect();
            names.join(" or ")
        }
    };
    let quoted = help::quoted(instance, &expected);
    let shown = quoted.map_or_else(|| found(instance), help::quoted_text);
    let message = format!("{} must be {expected}, found {shown}", at.what);
    let (pos, help) = if let Some(help) = entry_key(schema, ptr, instance) {
        // A key dedented out of its gate, metric or record set.
        (at.index.key_pos(ptr), Some(help))
    } else if instance.is_null() {
        let key = ptr.rsplit('/').next().unwrap_or_default();
        let help = (!key.is_empty() && key.parse::<usize>().is_err())
            .then(|| format!("write a value after `{key}:`, or remove the line"));
        (at.index.key_pos(ptr), help)
    } else {
        let help = match (instance, expected.as_str()) {
            _ if quoted.is_some() => quoted.map(|t| format!("remove the quotes: `{t}`")),
            (Value::String(text), "`true` or `false`") => help::bool_word(text)
                .map(|b| format!("did you mean `{b}`? only `true` and `false` are booleans")),
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
        (at.index.value_pos(ptr), help)
    };
    Diagnostic::error(Code::WrongType, pos, ptr.clone(), message).with_help(help)
}

/// A map key that does not match the schema's pattern for names (the name is the inner
/// error's instance).
fn bad_key_name(at: &At<'_>, error: &ValidationError<'_>) -> Diagnostic {
    let name = error.instance().as_str().unwrap_or_default().to_owned();
    let child = format!("{}/{}", at.ptr, crate::yaml::escape_token(&name));
    let (meaning, help) = match error.kind() {
        ValidationErrorKind::Pattern { pattern } => {
            (patterns::meaning(pattern), help::pattern(pattern, &name))
        }
        _ => ("a valid name", None),
    };
    Diagnostic::error(
        Code::BadFormat,
        at.index.key_pos(&child),
        child,
        format!("in {}, `{name}` is not {meaning}", at.what),
    )
    .with_help(help)
}

/// A value matching none of several alternatives. With one alternative, or one whose type
/// fits the value, its own errors are reported (so a typo inside a per-environment map is
/// reported as such); alternatives that are all words list the words; otherwise the types
/// the alternatives wanted.
fn alternatives(
    at: &At<'_>,
    e: &ValidationError<'_>,
    context: &[Vec<ValidationError<'static>>],
    schema: &Value,
    doc: &Value,
    out: &mut Vec<Diagnostic>,
) {
    let fitting: Vec<&Vec<ValidationError<'static>>> = context
        .iter()
        .filter(|branch| !branch.iter().any(|b| wrong_type(b, &at.ptr)))
        .collect();
    if let [branch] = context {
        for inner in branch {
            describe(inner, schema, doc, at.index, out);
        }
    } else if let Some(opts) = words_of(context) {
        out.push(at.not_an_option(&opts));
    } else if let [branch] = fitting.as_slice() {
        for inner in *branch {
            describe(inner, schema, doc, at.index, out);
        }
    } else {
        out.push(none_of(at, e, context, schema));
    }
}

/// The words the alternatives accept, when every alternative is a constant or a list of
/// words (`block`, `warn`, `rollback`).
fn words_of(context: &[Vec<ValidationError<'static>>]) -> Option<Vec<String>> {
    context
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
        .map(|v| v.concat())
        .filter(|o| !o.is_empty())
}

/// A value of none of the alternatives' types: the types in order ("a number, or a map from
/// environment name to a number"), else the schema's description of the value.
fn none_of(
    at: &At<'_>,
    e: &ValidationError<'_>,
    context: &[Vec<ValidationError<'static>>],
    schema: &Value,
) -> Diagnostic {
    let (what, instance) = (&at.what, at.instance);
    // The description sits beside `anyOf`, not inside it.
    let path = e.schema_path().as_str();
    let parent = path
        .strip_suffix("/anyOf")
        .or_else(|| path.strip_suffix("/oneOf"))
        .unwrap_or(path);
    let desc = node_at(schema, parent)
        .and_then(|n| n.get("description"))
        .and_then(Value::as_str);
    let types: Vec<&str> = context
        .iter()
        .filter_map(|branch| {
            branch.iter().find_map(|b| match b.kind() {
                ValidationErrorKind::Type {
                    kind: TypeKind::Single(t),
                } if b.instance_path().as_str() == at.ptr => Some(type_name(&t.to_string())),
                _ => None,
            })
        })
        .collect();
    let per_env = desc.is_some_and(|d| d.starts_with("A value, or a map from environment"));
    let quoted = help::quoted(instance, &types.join(" or "));
    let found = quoted.map_or_else(|| found(instance), help::quoted_text);
    let msg = match (types.as_slice(), desc) {
        ([one, "a map"], _) if per_env => {
            format!("{what} must be {one}, or a map from environment name to {one}, found {found}")
        }
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
    at.value(Code::WrongType, msg).with_help(help)
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
