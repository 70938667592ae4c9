//! JSON Schemas of rollgate's file formats, generated from the Rust types with schemars, in
//! draft-07 (yaml-language-server, which editors use to complete and check YAML, reads
//! draft-07 and older). `schemas/*.schema.json` are exactly these outputs; a test keeps them so.

use std::sync::OnceLock;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// The documents rollgate publishes a schema for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    Policy,
    Snapshot,
    Decision,
    Test,
}

impl SchemaKind {
    pub const ALL: [SchemaKind; 4] = [
        SchemaKind::Policy,
        SchemaKind::Snapshot,
        SchemaKind::Decision,
        SchemaKind::Test,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Policy => "policy",
            SchemaKind::Snapshot => "snapshot",
            SchemaKind::Decision => "decision",
            SchemaKind::Test => "test",
        }
    }

    /// The schema as a JSON value.
    pub fn schema(self) -> &'static serde_json::Value {
        static CACHE: [OnceLock<serde_json::Value>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        CACHE[self as usize].get_or_init(|| match self {
            SchemaKind::Policy => generate::<crate::policy::raw::RawPolicy>(),
            SchemaKind::Snapshot => generate::<crate::snapshot::raw::RawSnapshot>(),
            SchemaKind::Decision => generate::<crate::decision::Decision>(),
            SchemaKind::Test => generate::<crate::test_file::RawTestFile>(),
        })
    }

    /// The schema as the pretty-printed text `rollgate schema` prints (ending in a newline).
    pub fn text(self) -> String {
        let mut s = serde_json::to_string_pretty(self.schema()).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The schema as committed in `schemas/` and embedded in the binary: the file the
    /// validators of `Checked` are generated from, read at run time only to explain their
    /// errors (a test keeps the files equal to `schema()`).
    pub fn published(self) -> &'static serde_json::Value {
        static CACHE: [OnceLock<serde_json::Value>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        CACHE[self as usize].get_or_init(|| {
            let text = match self {
                SchemaKind::Policy => include_str!("../../schemas/policy.schema.json"),
                SchemaKind::Snapshot => include_str!("../../schemas/snapshot.schema.json"),
                SchemaKind::Decision => include_str!("../../schemas/decision.schema.json"),
                SchemaKind::Test => include_str!("../../schemas/test.schema.json"),
            };
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("schemas/{}.schema.json is not JSON: {e}", self.name()))
        })
    }
}

/// The documents rollgate checks against their published schema when it loads them
/// (snapshots are typed as they stream in; decisions are rollgate's own output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    Policy,
    Test,
}

impl Checked {
    pub fn kind(self) -> SchemaKind {
        match self {
            Checked::Policy => SchemaKind::Policy,
            Checked::Test => SchemaKind::Test,
        }
    }

    /// Every way `doc` breaks the schema. The validators are generated at build time from the
    /// committed `schemas/*.json` (jsonschema's `validator` macro), so a run compiles no
    /// schema: compiling the policy schema at run time took about a millisecond, a fifth of a
    /// small evaluation. Our patterns need no look-around, so they use the plain `regex`
    /// engine; no schema of ours uses `format`.
    pub fn errors(self, doc: &Value) -> Vec<jsonschema::ValidationError<'_>> {
        match self {
            Checked::Policy => PolicyValidator::iter_errors(doc).collect(),
            Checked::Test => TestValidator::iter_errors(doc).collect(),
        }
    }
}

#[jsonschema::validator(
    path = "../schemas/policy.schema.json",
    draft = Draft7,
    validate_formats = false,
    pattern_options = { engine = regex },
    methods = { is_valid = false, validate = false, iter_errors = true }
)]
struct PolicyValidator;

#[jsonschema::validator(
    path = "../schemas/test.schema.json",
    draft = Draft7,
    validate_formats = false,
    pattern_options = { engine = regex },
    methods = { is_valid = false, validate = false, iter_errors = true }
)]
struct TestValidator;

fn generate<T: JsonSchema>() -> serde_json::Value {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    strip_null(&mut value);
    value
}

/// An omitted key is how YAML says "not set"; an explicit null (`title:` with nothing after
/// it) is more likely a mistake, so optional keys do not accept null. schemars writes
/// `Option<T>` as "T or null"; this removes the null alternative everywhere.
fn strip_null(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            // A field that may be null on purpose says so.
            if map.remove("x-nullable").is_some() {
                return;
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(alts)) = map.get_mut("anyOf") {
                let before = alts.len();
                alts.retain(|a| {
                    a.get("type").is_none_or(|t| t != "null")
                        || a.as_object().is_some_and(|o| o.len() > 1)
                });
                if alts.len() == 1 && before == 2 {
                    // `{description, anyOf: [{$ref}]}`: keep the description beside the
                    // reference (draft-07 ignores siblings of `$ref`, so keep the wrapper).
                    let only = alts.remove(0);
                    map.insert("allOf".into(), Value::Array(vec![only]));
                    map.remove("anyOf");
                }
            }
            for child in map.values_mut() {
                strip_null(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The version of the schemas, printed by `--version`; bump it when a schema changes shape.
pub const SCHEMA_VERSION: &str = "1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schemas_are_the_generated_ones() {
        for kind in SchemaKind::ALL {
            assert!(
                kind.published() == kind.schema(),
                "schemas/{}.schema.json is stale: run `cargo run -q -- schema {} > schemas/{}.schema.json`",
                kind.name(),
                kind.name(),
                kind.name()
            );
        }
    }
}
