//! Validation beyond the schema: references resolve, per-environment values resolve for
//! every declared environment, durations, windows, aggregates, zones and dates parse, ids are
//! unique, scripts compile. Every problem is collected (never the first only), each at the
//! YAML position of the node it concerns.

mod defaults;
mod expect;
mod gate;
mod power;
mod records;
mod script;
mod source;
pub(crate) mod suggest;

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, Pos, closest, did_you_mean};
use crate::policy::duration::Hold;
use crate::policy::model::{Calendar, Metric, Policy, RecordSet, Stage};
use crate::policy::per_env::{DEFAULT_KEY, PerEnv, RawPerEnv};
use crate::policy::raw::{RawCalendar, RawPolicy};
use crate::schema_check::place;
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

    pub fn error(&mut self, pointer: &str, message: impl Into<String>) {
        let pos = self.index.value_pos(pointer);
        self.diags.push(Diagnostic::error(pos, pointer, message));
    }

    pub fn error_help(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        let pos = self.index.value_pos(pointer);
        self.diags
            .push(Diagnostic::error(pos, pointer, message).with_help(help));
    }

    pub fn error_at(&mut self, pos: Pos, pointer: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(pos, pointer, message));
    }

    pub fn error_on_key(&mut self, pointer: &str, message: impl Into<String>) {
        let pos = self.index.key_pos(pointer);
        self.diags.push(Diagnostic::error(pos, pointer, message));
    }

    pub fn warning_on_key(&mut self, pointer: &str, message: impl Into<String>) {
        let pos = self.index.key_pos(pointer);
        self.diags.push(Diagnostic::warning(pos, pointer, message));
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
    let mut meant: BTreeSet<String> = BTreeSet::new();
    let envs = environments(raw, &mut sink);
    let env_check = EnvCheck { envs: &envs };
    let calendar = calendar(raw.calendar.as_ref(), &mut sink);

    let mut vars = IndexMap::new();
    for (name, value) in &raw.vars {
        let ptr = format!("/vars/{}", escape_token(name));
        if let Some(v) = env_check.resolve(value, &ptr, &mut sink, |v| Ok(v.clone())) {
            vars.insert(name.clone(), v);
        }
    }

    let mut metrics = IndexMap::new();
    for (name, m) in &raw.metrics {
        let ptr = format!("/metrics/{}", escape_token(&name.0));
        let source = m
            .source
            .as_ref()
            .and_then(|src| source::check(src, &format!("{ptr}/source"), &mut sink));
        let expect = expect::check(m.expect_series.as_ref(), m.min_series, &ptr, &mut sink);
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
    let mut records = IndexMap::new();
    for (name, r) in &raw.records {
        let ptr = format!("/records/{}", escape_token(&name.0));
        let source = r
            .source
            .as_ref()
            .and_then(|src| source::check(src, &format!("{ptr}/source"), &mut sink));
        records::key(r.key.as_deref(), &ptr, &mut sink);
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

    let defaults = defaults::check(raw.defaults.as_ref(), &env_check, &mut sink);
    let names = gate::Names {
        metrics: metrics.keys().map(String::as_str).collect(),
        records: records.keys().map(String::as_str).collect(),
    };
    let mut gates = IndexMap::new();
    for (id, g) in &raw.gates {
        if let Some(gate) = gate::check(&id.0, g, &names, &env_check, &defaults, &mut sink) {
            gates.insert(id.0.clone(), gate);
        }
    }

    // A misspelt reference "uses" the gate it was meant to name, so that gate is not also
    // reported as unused.
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut gate_ref = |sink: &mut Sink<'_>, ptr: &str, id: &str| {
        if cx.gate_names.contains(id) {
            return;
        }
        let near = closest(id, cx.gate_names.iter().map(String::as_str));
        if let Some(near) = near {
            meant.insert(near.to_owned());
        }
        let help = near.map(|n| format!("did you mean `{n}`?")).or_else(|| {
            Some(if cx.gate_names.is_empty() {
                "declare it under `gates`".to_owned()
            } else {
                format!(
                    "declare it under `gates` (declared: {})",
                    cx.gate_names
                        .iter()
                        .map(|g| format!("`{g}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        });
        sink.error_help(ptr, format!("unknown gate `{id}`"), help);
    };
    let mut seen = BTreeSet::new();
    for (i, g) in raw.guards.iter().enumerate() {
        let ptr = format!("/guards/{i}");
        gate_ref(&mut sink, &ptr, &g.0);
        if !seen.insert(&g.0) {
            sink.error(&ptr, format!("gate `{}` is listed twice in `guards`", g.0));
        }
        used.insert(&g.0);
    }

    let mut stages = Vec::new();
    let mut stage_ids: IndexMap<&str, usize> = IndexMap::new();
    for (i, s) in raw.stages.iter().enumerate() {
        let ptr = format!("/stages/{i}");
        if let Some(first) = stage_ids.get(s.id.0.as_str()) {
            let line = sink.index.value_pos(&format!("/stages/{first}/id")).line;
            sink.error(
                &format!("{ptr}/id"),
                format!(
                    "stage id `{}` is used twice (first at line {line}); stage ids must be unique",
                    s.id.0
                ),
            );
        } else {
            stage_ids.insert(s.id.0.as_str(), i);
        }
        let mut listed = BTreeSet::new();
        for (j, g) in s.gates.iter().enumerate() {
            let gptr = format!("{ptr}/gates/{j}");
            gate_ref(&mut sink, &gptr, &g.0);
            if !listed.insert(&g.0) {
                sink.error(
                    &gptr,
                    format!("gate `{}` is listed twice in stage `{}`", g.0, s.id.0),
                );
            }
            if raw.guards.iter().any(|x| x.0 == g.0) {
                sink.warning_on_key(
                    &gptr,
                    format!(
                        "gate `{}` is a guard, which runs at every stage already",
                        g.0
                    ),
                );
            }
            used.insert(&g.0);
        }
        let hold = match &s.hold {
            Some(h) => env_check.resolve(h, &format!("{ptr}/hold"), &mut sink, |t| {
                Hold::parse(&t.0).map_err(|e| e.to_string())
            }),
            None => Some(PerEnv::one(Hold::Elapsed(
                crate::policy::duration::Duration::ZERO,
            ))),
        };
        // A stage whose only checks are guards is valid: the guards run at every stage.
        if let Some(h) = &hold
            && s.gates.is_empty()
            && raw.guards.is_empty()
            && h.values().all(Hold::is_zero)
        {
            sink.error_on_key(
                &ptr,
                format!(
                    "stage `{}` has no gates, no guards and no hold, so it checks nothing; add `gates`, `guards` or a `hold`",
                    s.id.0
                ),
            );
        }
        if let Some(hold) = hold {
            stages.push(Stage {
                id: s.id.0.clone(),
                title: s.title.clone(),
                description: s.description.clone(),
                traffic: s.traffic.clone(),
                hold,
                gates: s.gates.iter().map(|g| g.0.clone()).collect(),
                approval: s
                    .approval
                    .as_ref()
                    .filter(|a| a.required)
                    .map(|a| a.by.clone()),
            });
        }
    }

    for id in raw.gates.keys() {
        if !used.contains(id.0.as_str())
            && !meant.contains(&id.0)
            && !named_in_document(cx.doc, &id.0)
        {
            sink.warning_on_key(
                &format!("/gates/{}", escape_token(&id.0)),
                format!("gate `{}` is not used by any stage or guard", id.0),
            );
        }
    }

    let report_template = raw.report.as_ref().and_then(|r| r.template.clone());
    if let Some(t) = &report_template {
        let escapes = t.starts_with('/')
            || t.starts_with('\\')
            || t.contains(':')
            || t.split(['/', '\\']).any(|seg| seg == "..");
        if escapes || t.trim().is_empty() {
            sink.error(
                "/report/template",
                format!("`{t}` is not a path inside the policy's directory: write it relative to the policy, without `..`"),
            );
        }
    }

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
        vars,
        metrics,
        records,
        gates,
        guards: raw.guards.iter().map(|g| g.0.clone()).collect(),
        stages,
        report_template,
    };
    Ok((policy, sink.diags))
}

/// Whether the document names gate `id` in `guards` or a stage's `gates`, in any form: a
/// reference the schema rejected (`gates: auth-errors`, not a list) still uses the gate.
fn named_in_document(doc: &serde_json::Value, id: &str) -> bool {
    let names = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s == id,
        Some(serde_json::Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(id)),
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
            sink.error(
                &format!("/environments/{i}"),
                "`default` cannot be an environment name: in per-environment maps it means every other environment",
            );
        } else if !out.contains(&e.0) {
            out.push(e.0.clone());
        }
    }
    out
}

fn calendar(raw: Option<&RawCalendar>, sink: &mut Sink<'_>) -> Calendar {
    let mut cal = Calendar::default();
    let Some(raw) = raw else { return cal };
    if let Some(name) = &raw.timezone {
        match jiff::tz::db().get(name) {
            Ok(tz) => {
                cal.timezone = tz;
                cal.timezone_name = name.clone();
            }
            Err(_) => {
                let names: Vec<String> =
                    jiff::tz::db().available().map(|n| n.to_string()).collect();
                sink.error_help(
                    "/calendar/timezone",
                    format!(
                        "unknown time zone `{name}` (an IANA name like `America/New_York` or `UTC`)"
                    ),
                    did_you_mean(name, names.iter().map(String::as_str)),
                );
            }
        }
    }
    if let Some(w) = &raw.weekend {
        cal.weekend = w.clone();
        if w.len() >= 7 {
            sink.error(
                "/calendar/weekend",
                "every day is a weekend day: business-day holds could never elapse",
            );
        }
    }
    for (i, d) in raw.holidays.iter().enumerate() {
        match d.0.parse::<jiff::civil::Date>() {
            Ok(date) => cal.holidays.push(date),
            Err(_) => sink.error(
                &format!("/calendar/holidays/{i}"),
                format!("`{}` is not a real date{}", d.0, why_not_a_date(&d.0)),
            ),
        }
    }
    cal.holidays.sort();
    cal.holidays.dedup();
    cal
}

/// Why `YYYY-MM-DD` text is not a date: the month, or the number of days in the month.
fn why_not_a_date(text: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = text.splitn(3, '-').map(str::parse::<i16>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(_))) = (parts.next(), parts.next(), parts.next())
    else {
        return String::new();
    };
    if !(1..=12).contains(&month) {
        return format!(": there is no month {month}");
    }
    match jiff::civil::Date::new(year, month as i8, 1) {
        Ok(first) => format!(
            ": {} {year} has {} days",
            MONTHS[month as usize - 1],
            first.days_in_month()
        ),
        Err(_) => String::new(),
    }
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
        let mut ok = true;
        match raw {
            RawPerEnv::One(v) => match conv(v) {
                Ok(u) => Some(PerEnv::one(u)),
                Err(msg) => {
                    sink.error(ptr, format!("{}: {msg}", place(sink.doc, ptr)));
                    None
                }
            },
            RawPerEnv::ByEnv(map) => {
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
                        let msg = if self.envs.is_empty() {
                            format!(
                                "`{key}` is not a declared environment: this policy declares no `environments`"
                            )
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
                        meant.extend(near);
                        undeclared = true;
                        let help = near.map(|n| format!("did you mean `{n}`?")).or_else(|| {
                            Some(format!(
                                "declare `{key}` under `environments`, or use `default`"
                            ))
                        });
                        let pos = sink.index.key_pos(&kptr);
                        sink.diags
                            .push(Diagnostic::error(pos, kptr.clone(), msg).with_help(help));
                        continue;
                    }
                    match conv(v) {
                        Ok(u) if key == DEFAULT_KEY => out.default = Some(u),
                        Ok(u) => {
                            out.by_env.insert(key.clone(), u);
                        }
                        Err(msg) => {
                            ok = false;
                            sink.error(&kptr, format!("{}: {msg}", place(sink.doc, &kptr)));
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
                            ptr,
                            format!("{} has no value for {what}", place(sink.doc, ptr)),
                            help,
                        );
                    }
                }
                ok.then_some(out)
            }
        }
    }
}

#[cfg(test)]
mod tests;
