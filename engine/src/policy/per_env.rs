//! Values that differ per environment: `max: 0.15` or `max: { production: 0.15, default: 0.5 }`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// The name that, in a per-environment map, covers every environment not named.
pub const DEFAULT_KEY: &str = "default";

/// A per-environment value as written in YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawPerEnv<T> {
    ByEnv(BTreeMap<String, T>),
    One(T),
}

impl<T: JsonSchema> JsonSchema for RawPerEnv<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("PerEnv_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = generator.subschema_for::<T>();
        json_schema!({
            "description": "A value, or a map from environment name (or `default`) to a value.",
            "anyOf": [
                one,
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": { "pattern": "^[a-z0-9][a-z0-9_-]*$" },
                    "additionalProperties": one
                }
            ]
        })
    }
}

/// A validated per-environment value: resolution for every declared environment is
/// guaranteed by validation, so `resolve` never fails for those.
#[derive(Debug, Clone, PartialEq)]
pub struct PerEnv<T> {
    pub default: Option<T>,
    pub by_env: BTreeMap<String, T>,
}

impl<T> PerEnv<T> {
    pub fn one(value: T) -> Self {
        Self {
            default: Some(value),
            by_env: BTreeMap::new(),
        }
    }

    /// The value in force for `env`.
    pub fn resolve(&self, env: &str) -> Option<&T> {
        self.by_env.get(env).or(self.default.as_ref())
    }

    /// Every value, for checks that hold whatever the environment.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.default.iter().chain(self.by_env.values())
    }

    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> PerEnv<U> {
        PerEnv {
            default: self.default.as_ref().map(&mut f),
            by_env: self.by_env.iter().map(|(k, v)| (k.clone(), f(v))).collect(),
        }
    }
}
