//! Validation beyond the schema: references resolve, per-environment values resolve for
//! every declared environment, durations, windows, aggregates, zones and dates parse, ids are
//! unique, scripts compile. Every problem is collected (never the first only), each at the
//! YAML position of the node it concerns.

mod burn_rate;
mod calendar;
mod compare;
mod composite;
mod defaults;
mod expect;
mod gate;
mod guards;
mod params;
mod power;
mod records;
mod script;
mod shadow;
mod source;
mod stages;
mod templates;

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::diagnostic::{Code, Diagnostic, Pos, closest};
use crate::locate::place;
use crate::policy::model::{Metric, Policy, RecordSet};
use crate::policy::per_env::{DEFAULT_KEY, PerEnv, RawPerEnv};
use crate::policy::raw::RawPolicy;
use crate::yaml::{PointerIndex, escape_token};

/// What validation needs besides the raw policy: the document's locations and source text,
/// and the names of every gate in the file (including any that failed the schema, so that
/// references to them are not reported twice).
#[derive(Debug)]
pub struct Context<'a> {
    pub doc: &'a serde_json::Value,
    pub index: &'a PointerIndex,
    pub source: &'a str,
    pub gate_names: BTreeSet<String>,
}

/// Collects diagnostics with their positions.
pub(crate) struct Sink<'a> {
    pub doc: &'a serde_json::Value,
    pub index: &'a PointerIndex,
    pub source: &'a str,
    pub diags: Vec<Diagnostic>,
}

impl Sink<'_> {
    /// How many errors were reported so far (warnings do not count): a check compares the
    /// counts before and after to know whether what it built is sound.
    pub fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .count()
    }

    pub fn error(&mut self, code: Code, pointer: &str, message: impl Into<String>) {
        let pos = self.index.value_pos(pointer);
        self.diags
            .push(Diagnostic::error(code, pos, pointer, message));
    }

    pub fn error_help(
        &mut self,
        code: Code,
        pointer: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let pos = self.index.value_pos(pointer);
        self.diags
            .push(Diagnostic::error(code, pos, pointer, message).with_help(help));
    }

    pub fn error_at(&mut self, code: Code, pos: Pos, pointer: &str, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(code, pos, pointer, message));
    }

    pub fn error_on_key(&mut self, code: Code, pointer: &str, message: impl Into<String>) {
        let pos = self.index.key_pos(pointer);
        self.diags
            .push(Diagnostic::error(code, pos, pointer, message));
    }

    pub fn warning_on_key(&mut self, code: Code, pointer: &str, message: impl Into<String>) {
        let pos = self.index.key_pos(pointer);
        self.diags
            .push(Diagnostic::warning(code, pos, pointer, message));
    }

    pub fn has_errors(&self) -> bool {
        self.diags
            .iter()
            .any(|d| d.severity == crate::diagnostic::Severity::Error)
    }
}

/// Validates a raw policy. Returns the policy and its warnings, or every problem found.
pub fn validate(
    raw: &RawPolicy,
    cx: &Context<'_>,
) -> Result<(Policy, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut sink = Sink {
        doc: cx.doc,
        index: cx.index,
        source: cx.source,
        diags: Vec::new(),
    };
    let envs = environments(raw, &mut sink);
    let env_check = EnvCheck { envs: &envs };
    let calendar = calendar::check(raw.calendar.as_ref(), &envs, &mut sink);

    let params = params::check(raw, &mut sink);
    let mut vars = IndexMap::new();
    for (name, value) in &raw.vars {
        let ptr = format!("/vars/{}", escape_token(name));
        if let Some(v) = env_check.resolve(value, &ptr, &mut sink, |v| Ok(v.clone())) {
            vars.insert(name.clone(), v);
        }
    }

    let known = templates::Known {
        params: params.keys().map(String::as_str).collect(),
        vars: vars.keys().map(String::as_str).collect(),
    };
    let metrics = metrics(raw, &known, &mut sink);
    let records = records(raw, &known, &mut sink);

    let defaults = defaults::check(raw.defaults.as_ref(), &env_check, &mut sink);
    let names = gate::Names {
        metrics: metrics.keys().map(String::as_str).collect(),
        records: records.keys().map(String::as_str).collect(),
        gates: &cx.gate_names,
    };
    let mut gates = IndexMap::new();
    for (id, g) in &raw.gates {
        let shadow = shadow::check(&id.0, g, &calendar, &mut sink);
        if let Some(mut gate) = gate::check(&id.0, g, &names, &env_check, &defaults, &mut sink) {
            gate.shadow = shadow;
            gates.insert(id.0.clone(), gate);
        }
    }
    composite::structure(&gates, &mut sink);

    let (stages, guards) = stages::check(raw, cx, &gates, &env_check, &mut sink);
    let report_template = report_template(raw, &mut sink);

    if sink.has_errors() {
        return Err(sink.diags);
    }
    let policy = Policy {
        id: raw.policy.clone(),
        title: raw.title.clone().unwrap_or_else(|| raw.policy.clone()),
        description: raw.description.clone(),
        owner: raw.owner.clone(),
        environments: envs,
        calendar,
        params,
        vars,
        metrics,
        records,
        gates,
        guards,
        stages,
        report_template,
    };
    Ok((policy, sink.diags))
}

/// The declared metrics, each with its validated source and expected series.
fn metrics(
    raw: &RawPolicy,
    known: &templates::Known<'_>,
    sink: &mut Sink<'_>,
) -> IndexMap<String, Metric> {
    let mut metrics = IndexMap::new();
    for (name, m) in &raw.metrics {
        let ptr = format!("/metrics/{}", escape_token(&name.0));
        let source = m
            .source
            .as_ref()
            .and_then(|src| source::check(src, &format!("{ptr}/source"), sink));
        if let Some(src) = &source {
            templates::check(src, &format!("{ptr}/source"), known, sink);
        }
        let expect = expect::check(m.expect_series.as_ref(), m.min_series, &ptr, sink);
        metrics.insert(
            name.0.clone(),
            Metric {
                name: name.0.clone(),
                description: m.description.clone(),
                unit: m.unit.clone(),
                source,
                absent: m.absent.unwrap_or_default(),
                expect,
            },
        );
    }
    metrics
}

/// The declared record sets, each with its validated source and key.
fn records(
    raw: &RawPolicy,
    known: &templates::Known<'_>,
    sink: &mut Sink<'_>,
) -> IndexMap<String, RecordSet> {
    let mut records = IndexMap::new();
    for (name, r) in &raw.records {
        let ptr = format!("/records/{}", escape_token(&name.0));
        let source = r
            .source
            .as_ref()
            .and_then(|src| source::check(src, &format!("{ptr}/source"), sink));
        if let Some(src) = &source {
            templates::check(src, &format!("{ptr}/source"), known, sink);
        }
        records::key(r.key.as_deref(), &ptr, sink);
        records.insert(
            name.0.clone(),
            RecordSet {
                name: name.0.clone(),
                description: r.description.clone(),
                key: r.key.clone(),
                source,
            },
        );
    }
    records
}

/// The report template path, which must stay inside the policy's directory.
fn report_template(raw: &RawPolicy, sink: &mut Sink<'_>) -> Option<String> {
    let report_template = raw.report.as_ref().and_then(|r| r.template.clone());
    if let Some(t) = &report_template {
        let escapes = t.starts_with('/')
            || t.starts_with('\\')
            || t.contains(':')
            || t.split(['/', '\\']).any(|seg| seg == "..");
        if escapes || t.trim().is_empty() {
            sink.error(Code::InvalidValue,
                "/report/template",
                format!("`{t}` is not a path inside the policy's directory: write it relative to the policy, without `..`"),
            );
        }
    }
    report_template
}

/// Whether the document names gate `id` in `guards` or a stage's `gates`, in any form: a
/// reference the schema rejected (`gates: auth-errors`, not a list) still uses the gate.
pub(super) fn named_in_document(doc: &serde_json::Value, id: &str) -> bool {
    let named = |i: &serde_json::Value| {
        i.as_str() == Some(id) || i.get("gate").and_then(serde_json::Value::as_str) == Some(id)
    };
    let names = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s == id,
        Some(serde_json::Value::Array(items)) => items.iter().any(named),
        _ => false,
    };
    names(doc.get("guards"))
        || doc
            .get("stages")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|stages| stages.iter().any(|s| names(s.get("gates"))))
}

fn environments(raw: &RawPolicy, sink: &mut Sink<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, e) in raw.environments.iter().enumerate() {
        if e.0 == DEFAULT_KEY {
            sink.error(Code::InvalidValue,
                &format!("/environments/{i}"),
                "`default` cannot be an environment name: in per-environment maps it means every other environment",
            );
        } else if !out.contains(&e.0) {
            out.push(e.0.clone());
        }
    }
    out
}

/// Checks and converts per-environment values against the declared environments.
pub(crate) struct EnvCheck<'a> {
    pub envs: &'a [String],
}

impl EnvCheck<'_> {
    /// Converts every value with `conv`, reporting unknown environment keys and environments
    /// that resolve to nothing. None when any problem was found.
    pub fn resolve<T, U>(
        &self,
        raw: &RawPerEnv<T>,
        ptr: &str,
        sink: &mut Sink<'_>,
        mut conv: impl FnMut(&T) -> Result<U, String>,
    ) -> Option<PerEnv<U>> {
        let map = match raw {
            RawPerEnv::One(v) => {
                return match conv(v) {
                    Ok(u) => Some(PerEnv::one(u)),
                    Err(msg) => {
                        sink.error(
                            Code::BadFormat,
                            ptr,
                            format!("{}: {msg}", place(sink.doc, ptr)),
                        );
                        None
                    }
                };
            }
            RawPerEnv::ByEnv(map) => map,
        };
        let mut ok = true;
        let mut out = PerEnv {
            default: None,
            by_env: Default::default(),
        };
        // Environments a misspelt key was meant for: reported once, as the typo.
        let mut meant: Vec<&str> = Vec::new();
        let mut undeclared = false;
        for (key, v) in map {
            let kptr = format!("{ptr}/{}", escape_token(key));
            if key != DEFAULT_KEY && !self.envs.iter().any(|e| e == key) {
                ok = false;
                undeclared = true;
                meant.extend(self.undeclared(key, &kptr, sink));
                continue;
            }
            match conv(v) {
                Ok(u) if key == DEFAULT_KEY => out.default = Some(u),
                Ok(u) => {
                    out.by_env.insert(key.clone(), u);
                }
                Err(msg) => {
                    ok = false;
                    sink.error(
                        Code::BadFormat,
                        &kptr,
                        format!("{}: {msg}", place(sink.doc, &kptr)),
                    );
                }
            }
        }
        if out.default.is_none() && !meant.contains(&DEFAULT_KEY) {
            let missing: Vec<&String> = self
                .envs
                .iter()
                .filter(|e| !out.by_env.contains_key(*e) && !meant.contains(&e.as_str()))
                .collect();
            // With no environments declared, the undeclared keys are the problem.
            if !missing.is_empty() || (self.envs.is_empty() && !undeclared) {
                ok = false;
                no_value_for(&missing, ptr, sink);
            }
        }
        ok.then_some(out)
    }

    /// Reports a key that is not a declared environment; returns the environment (or
    /// `default`) it was probably meant for.
    fn undeclared<'e>(&'e self, key: &str, kptr: &str, sink: &mut Sink<'_>) -> Option<&'e str> {
        let msg = if self.envs.is_empty() {
            format!("`{key}` is not a declared environment: this policy declares no `environments`")
        } else {
            format!(
                "`{key}` is not a declared environment (declared: {})",
                self.envs
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let near = closest(
            key,
            self.envs.iter().map(String::as_str).chain([DEFAULT_KEY]),
        );
        let help = near.map(|n| format!("did you mean `{n}`?")).or_else(|| {
            Some(format!(
                "declare `{key}` under `environments`, or use `default`"
            ))
        });
        let pos = sink.index.key_pos(kptr);
        sink.diags.push(
            Diagnostic::error(Code::UnknownEnvironment, pos, kptr.to_owned(), msg).with_help(help),
        );
        near
    }
}

/// Reports a per-environment value that resolves to nothing for the `missing` environments
/// (none declared: for any environment).
fn no_value_for(missing: &[&String], ptr: &str, sink: &mut Sink<'_>) {
    let what = if missing.is_empty() {
        "any environment".to_owned()
    } else {
        missing
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let help = Some(format!(
        "add {} or a `default`",
        if missing.len() == 1 { "it" } else { "them" }
    ));
    sink.error_help(
        Code::MissingEnvironmentValue,
        ptr,
        format!("{} has no value for {what}", place(sink.doc, ptr)),
        help,
    );
}

#[cfg(test)]
mod tests;
