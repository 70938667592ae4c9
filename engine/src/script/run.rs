//! Running script gates: one sandbox per evaluation, the compiled AST of each script reused,
//! the result turned into a gate status. Any error, limit or unexpected result is `error`,
//! which blocks (fail closed).

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, Map, Scope};

use super::api::{self, World};
use super::sandbox::{self, Output};
use super::watchdog::{SharedClock, Watchdog};
use crate::diagnostic::Pos;
use crate::policy::model::{Policy, Script};
use crate::policy::window::Window;
use crate::snapshot::Snapshot;

/// What a script concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptResult {
    pub pass: Result<bool, String>,
    pub value: Option<f64>,
    pub message: String,
    /// Set when a series the script read had too few or stale samples: the gate is
    /// inconclusive whatever the script returned (missing data never proves health).
    pub inconclusive: Option<String>,
    /// Set when a series the script read holds an infinite sample in its window: the gate
    /// may still fail, but it cannot pass (an infinity can make a gate fail, never pass).
    pub infinite: Option<String>,
    /// Fewest samples of any series the script read.
    pub samples: Option<u64>,
}

/// The engine and the world of one evaluation.
pub struct Sandbox {
    engine: Engine,
    world: api::SharedWorld,
    output: Output,
    watchdog: Option<Rc<Watchdog>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sandbox")
    }
}

/// The window and data requirements of the gate a script runs for.
#[derive(Debug, Clone, Copy)]
pub struct DataRules {
    pub window: Window,
    pub min_samples: u64,
    /// Seconds.
    pub max_age: crate::policy::model::MaxAge,
}

impl Sandbox {
    /// `clock` times the watchdog (`Limits::watchdog`); None: no watchdog.
    pub fn new(
        policy: &Policy,
        snapshot: &Snapshot,
        now: f64,
        anchors: crate::window::Anchors,
        clock: Option<SharedClock>,
    ) -> Self {
        let output = Output::default();
        let watchdog = clock.map(|c| Rc::new(Watchdog::new(c, sandbox::LIMITS.watchdog)));
        let mut engine = sandbox::build(output.clone(), watchdog.clone());
        let world = Rc::new(std::cell::RefCell::new(World {
            series: snapshot.series.clone(),
            records: snapshot.records.clone(),
            evidence: snapshot.evidence.clone(),
            declared_metrics: policy.metrics.keys().cloned().collect(),
            expectations: policy
                .metrics
                .iter()
                .filter_map(|(k, m)| m.expect.clone().map(|e| (k.clone(), e)))
                .collect(),
            declared_records: policy.records.keys().cloned().collect(),
            now,
            entered_at: anchors.entered_at,
            rollout_started_at: anchors.rollout_started_at,
            ..World::default()
        }));
        api::register(&mut engine, world.clone());
        Sandbox {
            engine,
            world,
            output,
            watchdog,
        }
    }

    /// Runs one script gate.
    pub fn run(
        &self,
        script: &Script,
        data: DataRules,
        env: &str,
        stage: &str,
        vars: Map,
        gates: indexmap::IndexMap<String, (crate::decision::GateStatus, Option<f64>)>,
    ) -> ScriptResult {
        {
            let mut w = self.world.borrow_mut();
            w.gates = gates;
            w.window = Some(data.window);
            w.min_samples = data.min_samples;
            w.max_age = data.max_age;
            w.shortfalls.borrow_mut().clear();
            w.infinities.borrow_mut().clear();
            w.samples_read.set(None);
        }
        self.output.borrow_mut().clear();
        let now = self.world.borrow().now;
        let mut scope = scope(env, stage, vars, now);
        if let Some(w) = &self.watchdog {
            w.start();
        }
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &script.ast);
        if let Some(w) = &self.watchdog {
            w.stop();
        }
        let printed = self.output.borrow().join(" | ");
        let mut r = match result {
            Ok(v) => interpret(v),
            Err(e) => ScriptResult {
                pass: Err(describe_error(&e, script.origin)),
                value: None,
                message: String::new(),
                inconclusive: None,
                infinite: None,
                samples: None,
            },
        };
        {
            let w = self.world.borrow();
            let shortfalls = w.shortfalls.borrow();
            if !shortfalls.is_empty() {
                r.inconclusive = Some(shortfalls.join("; "));
            }
            let infinities = w.infinities.borrow();
            if !infinities.is_empty() {
                r.infinite = Some(infinities.join("; "));
            }
            r.samples = w.samples_read.get();
        }
        if !printed.is_empty() {
            if !r.message.is_empty() {
                r.message.push_str("; ");
            }
            r.message.push_str(&format!("printed: {printed}"));
        }
        r
    }
}

/// The variables a script sees. Constants, so a script cannot reassign them.
pub fn scope(env: &str, stage: &str, vars: Map, now: f64) -> Scope<'static> {
    let mut scope = Scope::new();
    scope.push_constant("env", env.to_owned());
    scope.push_constant("stage", stage.to_owned());
    scope.push_constant("vars", vars);
    scope.push_constant("now", now);
    scope
}

fn interpret(v: Dynamic) -> ScriptResult {
    if let Ok(b) = v.as_bool() {
        return ScriptResult {
            pass: Ok(b),
            value: None,
            message: String::new(),
            inconclusive: None,
            infinite: None,
            samples: None,
        };
    }
    if v.is_map() {
        let map = v.cast::<Map>();
        let pass = match map.get("pass").map(|p| p.as_bool()) {
            Some(Ok(b)) => Ok(b),
            Some(Err(t)) => Err(format!("the script's `pass` is {t}, not a boolean")),
            None => Err("the script returned a map without `pass`".to_owned()),
        };
        let value = map.get("value").and_then(|v| {
            v.as_float()
                .ok()
                .or_else(|| v.as_int().ok().map(|i| i as f64))
        });
        let message = map
            .get("message")
            .map(|m| m.clone().into_string().unwrap_or_else(|_| m.to_string()))
            .unwrap_or_default();
        return ScriptResult {
            pass,
            value,
            message,
            inconclusive: None,
            infinite: None,
            samples: None,
        };
    }
    ScriptResult {
        pass: Err(format!(
            "the script returned {} (`{}`); it must return a boolean or #{{pass, value, message}}",
            v.type_name(),
            short(&v.to_string())
        )),
        value: None,
        message: String::new(),
        inconclusive: None,
        infinite: None,
        samples: None,
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(37).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// The error's cause and where in the script (and the policy file) it happened.
fn describe_error(e: &EvalAltResult, origin: Pos) -> String {
    let pos = e.position();
    let cause = match e {
        EvalAltResult::ErrorTooManyOperations(..) | EvalAltResult::ErrorTerminated(..) => {
            sandbox::breach(e).map_or_else(|| e.to_string(), |b| b.to_string())
        }
        EvalAltResult::ErrorStackOverflow(..) => format!(
            "too many nested calls (more than {})",
            sandbox::LIMITS.max_call_levels
        ),
        EvalAltResult::ErrorDataTooLarge(what, ..) => format!("{what} grew past its limit"),
        EvalAltResult::ErrorRuntime(msg, ..) => msg.to_string(),
        other => {
            let mut s = other.to_string();
            if let Some(i) = s.rfind(" (line ") {
                s.truncate(i);
            }
            s
        }
    };
    match (pos.line(), pos.position()) {
        (Some(l), c) => {
            let yaml = super::yaml_pos(origin, l as u32, c.unwrap_or(1) as u32);
            format!("script line {l} (policy line {}): {cause}", yaml.line)
        }
        _ => cause,
    }
}
