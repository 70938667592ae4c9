//! Text -> validated policy: YAML (located) -> JSON Schema -> typed raw policy -> validation.
//! Every problem of every stage is collected, so a person fixes a file in one round.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Severity, normalize};
use crate::policy::model::Policy;
use crate::policy::raw::RawPolicy;
use crate::schema::Checked;
use crate::validate::{Context, validate};
use crate::yaml::{self, PointerIndex};

/// A policy that loaded, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub policy: Policy,
    pub warnings: Vec<Diagnostic>,
}

/// A YAML document parsed and located, before any typing.
#[derive(Debug)]
pub struct Document {
    pub value: Value,
    pub index: PointerIndex,
}

/// Parses YAML text into a located JSON document.
pub fn document(text: &str) -> Result<Document, Diagnostic> {
    let root = yaml::parse(text)
        .map_err(|e| Diagnostic::error(e.code, e.pos, "", e.message).with_help(e.help))?;
    let (value, index) = yaml::to_json(&root);
    Ok(Document { value, index })
}

/// Loads and validates a policy. Err holds every problem (errors and warnings), sorted by
/// position.
pub fn load_policy(text: &str) -> Result<Loaded, Vec<Diagnostic>> {
    let doc = document(text).map_err(|d| vec![d])?;
    let mut diags = crate::schema_check::check(Checked::Policy, &doc.value, &doc.index);
    let gate_names: BTreeSet<String> = doc
        .value
        .get("gates")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let schema_ptrs: Vec<String> = diags.iter().map(|d| d.pointer.clone()).collect();
    let raw = typed(&doc.value, &schema_ptrs);
    let cx = Context {
        doc: &doc.value,
        index: &doc.index,
        source: text,
        gate_names,
    };
    let result = raw.map(|raw| validate(&raw, &cx));
    // A node the schema already rejected (or whose key was unknown) is not reported again
    // by the semantic checks, which saw it repaired or removed.
    let fresh = |d: &Diagnostic| {
        !schema_ptrs
            .iter()
            .any(|p| *p == d.pointer || parent(p) == d.pointer)
    };
    match result {
        Some(Ok((policy, warnings))) if diags.is_empty() => Ok(Loaded { policy, warnings }),
        Some(Ok((_, more)) | Err(more)) => {
            diags.extend(more.into_iter().filter(fresh));
            normalize(&mut diags);
            Err(diags)
        }
        None => {
            normalize(&mut diags);
            if diags.iter().all(|d| d.severity != Severity::Error) {
                diags.extend(crate::whole_numbers::misplaced_floats(
                    &doc.value, &doc.index,
                ));
            }
            if diags.iter().all(|d| d.severity != Severity::Error) {
                diags.push(Diagnostic::error(
                    Code::BadStructure,
                    crate::diagnostic::Pos { line: 1, col: 1 },
                    "",
                    "the policy does not have the expected structure",
                ));
            }
            Err(diags)
        }
    }
}

fn parent(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

/// The typed raw policy. When the schema found problems, entries of the collections that do
/// not type-check on their own are left out, so validation can still check the rest.
fn typed(doc: &Value, schema_errors: &[String]) -> Option<RawPolicy> {
    if let Ok(raw) = serde_json::from_value::<RawPolicy>(doc.clone()) {
        return Some(raw);
    }
    if schema_errors.is_empty() {
        return None;
    }
    // First repair: remove every map entry the schema rejected, keeping the rest of its
    // gate or stage, so that the gate's other problems are still found.
    let mut repaired = doc.clone();
    for ptr in schema_errors {
        if let Some(i) = ptr.rfind('/')
            && let Some(Value::Object(m)) = repaired.pointer_mut(&ptr[..i])
        {
            let key = ptr[i + 1..].replace("~1", "/").replace("~0", "~");
            m.remove(&key);
        }
    }
    if let Ok(raw) = serde_json::from_value::<RawPolicy>(repaired.clone()) {
        return Some(raw);
    }
    // Then prune: leave out whole entries that still do not type-check.
    let mut pruned = repaired.as_object()?.clone();
    for key in ["gates", "metrics", "records", "vars"] {
        if let Some(Value::Object(m)) = pruned.get_mut(key) {
            m.retain(|_, v| entry_types(key, v));
        } else if pruned.contains_key(key) {
            pruned.remove(key);
        }
    }
    if let Some(Value::Array(stages)) = pruned.get_mut("stages") {
        stages
            .retain(|s| serde_json::from_value::<crate::policy::raw::RawStage>(s.clone()).is_ok());
    }
    for key in ["guards", "environments", "calendar"] {
        if pruned
            .get(key)
            .is_some_and(|v| serde_json::from_value::<RawPolicy>(single(key, v)).is_err())
        {
            pruned.remove(key);
        }
    }
    serde_json::from_value::<RawPolicy>(Value::Object(pruned)).ok()
}

fn entry_types(collection: &str, v: &Value) -> bool {
    use crate::policy::raw::{RawGate, RawMetric, RawRecordSet};
    let v = v.clone();
    match collection {
        "gates" => serde_json::from_value::<RawGate>(v).is_ok(),
        "metrics" => serde_json::from_value::<RawMetric>(v).is_ok(),
        "records" => serde_json::from_value::<RawRecordSet>(v).is_ok(),
        _ => serde_json::from_value::<crate::policy::per_env::RawPerEnv<Value>>(v).is_ok(),
    }
}

/// A minimal policy holding one top-level key, to test whether that key types.
fn single(key: &str, v: &Value) -> Value {
    serde_json::json!({
        "version": 1, "policy": "x", "stages": [{"id": "s", "hold": "1m"}], key: v
    })
}
