//! The plan of one evaluation: the stage's gates (and the guards) with every per-environment
//! value resolved once, for one environment. Evaluation and the CLI's fetch planner both read
//! the plan, so what a gate reads, over which window, and how far back the data must be
//! fetched are worked out in one place.
//!
//! `--param` values (a later feature) are not part of the plan yet: there is nothing to take.

use std::collections::BTreeSet;

use indexmap::{IndexMap, IndexSet};

use crate::policy::duration::Hold;
use crate::policy::model::{Gate, GateKind, Policy, Stage};
use crate::policy::per_env::PerEnv;
use crate::policy::window::Window;
use crate::refusal::EvalError;
use crate::script::run::DataRules;

/// One stage of one environment, ready to evaluate or fetch for.
#[derive(Debug, Clone)]
pub struct Plan<'p> {
    pub policy: &'p Policy,
    pub environment: String,
    pub stage: &'p Stage,
    /// The stage's place in the policy's order (the next stage is the one after it).
    pub stage_index: usize,
    /// How long the stage must be held, in this environment.
    pub hold: Hold,
    /// The policy's vars, in this environment.
    pub vars: Vec<(&'p str, &'p serde_json::Value)>,
    /// The stage's gates in order, then the guards it does not list.
    pub gates: Vec<GatePlan<'p>>,
    /// Gates evaluated only as members of the composites above (each once): they are shown
    /// under their composite and do not decide the verdict themselves.
    pub members: Vec<GatePlan<'p>>,
}

/// One gate with its values for the environment.
#[derive(Debug, Clone)]
pub struct GatePlan<'p> {
    pub gate: &'p Gate,
    /// Run because it is a guard (not listed by the stage).
    pub guard: bool,
    /// Window, samples and staleness.
    pub rules: DataRules,
    /// Bounds: a threshold's `max`/`min`, a per-check gate's `each`.
    pub max: Option<f64>,
    pub min: Option<f64>,
    pub consecutive: Option<u64>,
    pub max_failures: Option<u64>,
    /// A records gate's `min_count` (1 for other kinds, which have none).
    pub min_count: u64,
    /// What the gate reads.
    pub reads: Reads,
}

/// Names a gate reads, in the order it reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reads {
    pub metrics: IndexSet<String>,
    pub records: IndexSet<String>,
}

/// How far back data is fetched: what a window means as a range of seconds ending at `now`.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub now: f64,
    pub entered_at: Option<f64>,
    /// The start of `window: rollout`, when known.
    pub rollout_started_at: Option<f64>,
    /// The range read for a window that is the whole snapshot, or `stage` with no entry time.
    pub lookback: f64,
}

/// What a plan fetches: each metric with the longest range any of its gates reads (seconds,
/// in the order first read), and the record sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetches {
    pub metrics: IndexMap<String, f64>,
    pub records: BTreeSet<String>,
}

impl Policy {
    /// The plan of `stage` in `env`. Err only for an environment or stage the policy does not
    /// declare (validation guarantees every per-environment value resolves for the others).
    pub fn plan(&self, env: &str, stage: &str) -> Result<Plan<'_>, EvalError> {
        if !self.knows_env(env) {
            return Err(unknown_env(self, env));
        }
        let Some(stage_index) = self.stages.iter().position(|s| s.id == stage) else {
            return Err(EvalError::UnknownStage {
                policy: self.id.clone(),
                stage: stage.to_owned(),
                declared: listed(self.stages.iter().map(|s| s.id.as_str())),
                help: crate::diagnostic::did_you_mean(
                    stage,
                    self.stages.iter().map(|s| s.id.as_str()),
                ),
            });
        };
        let s = &self.stages[stage_index];
        let mut ids: Vec<(&str, bool)> = s.gates.iter().map(|g| (g.as_str(), false)).collect();
        for g in &self.guards {
            if g.applies_to(stage_index) && !s.gates.contains(&g.gate) {
                ids.push((g.gate.as_str(), true));
            }
        }
        let members = self.members_only(&ids);
        let gates = ids
            .into_iter()
            .map(|(id, guard)| self.gate_plan(&self.gates[id], guard, env))
            .collect::<Result<_, _>>()?;
        let members = members
            .into_iter()
            .map(|id| self.gate_plan(&self.gates[id], false, env))
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            policy: self,
            environment: env.to_owned(),
            stage: s,
            stage_index,
            hold: *at(self, &s.hold, env)?,
            vars: self
                .vars
                .iter()
                .filter_map(|(k, v)| v.resolve(env).map(|v| (k.as_str(), v)))
                .collect(),
            gates,
            members,
        })
    }

    /// The gates reached through the composites among `ids` that are not in `ids`, in the
    /// order first reached.
    fn members_only<'a>(&'a self, ids: &[(&'a str, bool)]) -> Vec<&'a str> {
        let mut seen: IndexSet<&str> = ids.iter().map(|(id, _)| *id).collect();
        let top = seen.len();
        let mut next = 0;
        let mut queue: Vec<&str> = seen.iter().copied().collect();
        while next < queue.len() {
            let id = queue[next];
            next += 1;
            for m in self.gates[id].kind.members() {
                if seen.insert(m) {
                    queue.push(m);
                }
            }
        }
        seen.into_iter().skip(top).collect()
    }

    fn gate_plan<'p>(
        &'p self,
        gate: &'p Gate,
        guard: bool,
        env: &str,
    ) -> Result<GatePlan<'p>, EvalError> {
        let opt = |v: &Option<PerEnv<u64>>| v.as_ref().map(|v| at(self, v, env).copied());
        let bound = |v: &Option<PerEnv<f64>>| v.as_ref().map(|v| at(self, v, env).copied());
        let (max, min, consecutive, max_failures, min_count) = match &gate.kind {
            GateKind::Threshold(t) => {
                (bound(&t.bounds.max), bound(&t.bounds.min), None, None, None)
            }
            GateKind::PerCheck(p) => (
                bound(&p.each.max),
                bound(&p.each.min),
                opt(&p.consecutive),
                opt(&p.max_failures),
                None,
            ),
            GateKind::Records(r) => (None, None, None, None, Some(at(self, &r.min_count, env)?)),
            GateKind::Trend(_)
            | GateKind::Compare(_)
            | GateKind::Script(_)
            | GateKind::AllOf(_)
            | GateKind::AnyOf(_)
            | GateKind::Score(_)
            | GateKind::BurnRate(_) => (None, None, None, None, None),
        };
        // A burn-rate gate reads its counters over its longest window.
        let window = match &gate.kind {
            GateKind::BurnRate(b) => Window::Duration(b.longest()),
            _ => *at(self, &gate.window, env)?,
        };
        Ok(GatePlan {
            gate,
            guard,
            rules: DataRules {
                window,
                min_samples: *at(self, &gate.min_samples, env)?,
                max_age: *at(self, &gate.max_age, env)?,
            },
            max: max.transpose()?,
            min: min.transpose()?,
            consecutive: consecutive.transpose()?,
            max_failures: max_failures.transpose()?,
            min_count: min_count.copied().unwrap_or(1),
            reads: self.reads_of(gate),
        })
    }

    /// The metrics and record sets a gate reads: a script's named reads, or everything the
    /// policy declares when a script computes a name at run time.
    fn reads_of(&self, gate: &Gate) -> Reads {
        let mut reads = Reads::default();
        match &gate.kind {
            GateKind::Records(r) => {
                reads.records.insert(r.records.clone());
            }
            GateKind::Script(s) => {
                let all = crate::script::data_reads(&s.ast);
                if all.iter().any(|r| r.name.is_none() && r.function != "gate") {
                    reads.metrics.extend(self.metrics.keys().cloned());
                    reads.records.extend(self.records.keys().cloned());
                }
                for r in all.into_iter().filter(|r| r.function != "gate") {
                    match r.name {
                        Some(n) if r.function == "records" => {
                            reads.records.insert(n);
                        }
                        Some(n) => {
                            reads.metrics.insert(n);
                        }
                        None => {}
                    }
                }
            }
            GateKind::BurnRate(b) => {
                let (crate::policy::model::BadEvents::Bad(events)
                | crate::policy::model::BadEvents::Good(events)) = &b.bad;
                reads.metrics.insert(events.clone());
                reads.metrics.insert(b.total.clone());
            }
            kind => reads.metrics.extend(kind.metric().map(str::to_owned)),
        }
        reads
    }
}

impl Plan<'_> {
    /// What to fetch, with each metric's range: the longest of its gates' windows, where
    /// `step` gives the metric's sampling step (a window of N checks spans N steps).
    pub fn fetches(&self, span: &Span, step: impl Fn(&str) -> f64) -> Fetches {
        let mut out = Fetches::default();
        for g in self.gates.iter().chain(&self.members) {
            // A time-shifted baseline reads the window `offset` earlier too.
            let offset = match &g.gate.kind {
                GateKind::Compare(c) => c.offset.map_or(0.0, |d| d.seconds as f64),
                _ => 0.0,
            };
            for name in &g.reads.metrics {
                let range = range_of(g.rules.window, step(name), span) + offset;
                let e = out.metrics.entry(name.clone()).or_insert(0.0);
                *e = e.max(range);
            }
            out.records.extend(g.reads.records.iter().cloned());
        }
        out
    }
}

/// Seconds of history a window needs, ending at `span.now`.
pub fn range_of(window: Window, step: f64, span: &Span) -> f64 {
    match window {
        Window::Duration(d) => d.seconds as f64,
        Window::Checks(n) => f64::from(n) * step,
        Window::Stage => span
            .entered_at
            .map_or(span.lookback, |e| (span.now - e).max(step)),
        Window::Rollout => span
            .rollout_started_at
            .map_or(span.lookback, |e| (span.now - e).max(step)),
        Window::All => span.lookback,
    }
}

/// The value in force for `env`; Err (an undeclared environment) is what validation rules
/// out for every declared one.
fn at<'v, T>(policy: &Policy, v: &'v PerEnv<T>, env: &str) -> Result<&'v T, EvalError> {
    v.resolve(env).ok_or_else(|| unknown_env(policy, env))
}

fn unknown_env(policy: &Policy, env: &str) -> EvalError {
    EvalError::UnknownEnvironment {
        policy: policy.id.clone(),
        env: env.to_owned(),
        declared: listed(policy.environments.iter().map(String::as_str)),
        help: crate::diagnostic::did_you_mean(env, policy.environments.iter().map(String::as_str)),
    }
}

fn listed<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "version: 1\npolicy: p\nenvironments: [production, staging]\nmetrics:\n  err: {}\n  lat: {}\ngates:\n  g:\n    metric: err\n    max: { production: 0.01, default: 0.05 }\n    window: { production: 30m, default: 5 checks }\n  s:\n    script: \"series(\\\"lat\\\").len() > 0\"\n    window: stage\nguards: [s]\nstages:\n  - id: a\n    gates: [g]\n    hold: { production: 1h, default: 0m }\n";

    fn policy() -> Policy {
        crate::load::load_policy(POLICY).unwrap().policy
    }

    #[test]
    fn resolves_every_value_once_per_environment() {
        let p = policy();
        let prod = p.plan("production", "a").unwrap();
        assert_eq!(prod.hold.to_string(), "1h");
        let ids: Vec<(&str, bool)> = prod
            .gates
            .iter()
            .map(|g| (g.gate.id.as_str(), g.guard))
            .collect();
        assert_eq!(ids, [("g", false), ("s", true)]);
        assert_eq!(prod.gates[0].max, Some(0.01));
        assert_eq!(prod.gates[0].rules.window.to_string(), "30m");
        let staging = p.plan("staging", "a").unwrap();
        assert_eq!(staging.gates[0].max, Some(0.05));
        assert_eq!(staging.gates[0].rules.window.to_string(), "5 checks");
        assert_eq!(
            staging.gates[1].reads.metrics.iter().collect::<Vec<_>>(),
            ["lat"]
        );
    }

    #[test]
    fn fetch_ranges_come_from_the_windows() {
        let p = policy();
        let span = Span {
            now: 10_000.0,
            entered_at: Some(7_000.0),
            rollout_started_at: None,
            lookback: 86_400.0,
        };
        let f = p.plan("staging", "a").unwrap().fetches(&span, |_| 15.0);
        assert_eq!(f.metrics["err"], 75.0, "5 checks of 15 s");
        assert_eq!(f.metrics["lat"], 3_000.0, "since the stage was entered");
        let f = p.plan("production", "a").unwrap().fetches(&span, |_| 15.0);
        assert_eq!(f.metrics["err"], 1_800.0);
    }

    /// A rollout window reaches back to the rollout's start; a shifted baseline adds its
    /// offset to the range fetched.
    #[test]
    fn rollout_windows_and_shifted_baselines_fetch_far_enough() {
        let text = "version: 1\npolicy: p\nmetrics:\n  m: {}\n  l: {}\ngates:\n  r: { metric: m, window: rollout, max: 1 }\n  w:\n    metric: l\n    window: 1h\n    compare: { candidate: { s: a }, baseline: { offset: 7d }, max_increase: 10% }\nstages:\n  - id: a\n    gates: [r, w]\n";
        let p = crate::load::load_policy(text).unwrap().policy;
        let span = Span {
            now: 100_000.0,
            entered_at: Some(99_000.0),
            rollout_started_at: Some(90_000.0),
            lookback: 86_400.0,
        };
        let f = p.plan("default", "a").unwrap().fetches(&span, |_| 15.0);
        assert_eq!(f.metrics["m"], 10_000.0, "since the rollout started");
        assert_eq!(
            f.metrics["l"],
            3_600.0 + 7.0 * 86_400.0,
            "the hour, and the hour a week earlier"
        );
    }

    /// A guard runs at the stages of its scope only: `from` and later, or those listed.
    #[test]
    fn scoped_guards_run_at_their_stages() {
        let text = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  every: { metric: m, max: 1 }\n  late: { metric: m, max: 1 }\n  some: { metric: m, max: 1 }\nguards:\n  - every\n  - { gate: late, from: b }\n  - { gate: some, stages: [a, c] }\nstages:\n  - id: a\n  - id: b\n  - id: c\n";
        let p = crate::load::load_policy(text).unwrap().policy;
        let ids = |stage: &str| -> Vec<String> {
            p.plan("default", stage)
                .unwrap()
                .gates
                .iter()
                .map(|g| g.gate.id.clone())
                .collect()
        };
        assert_eq!(ids("a"), ["every", "some"]);
        assert_eq!(ids("b"), ["every", "late"]);
        assert_eq!(ids("c"), ["every", "late", "some"]);
    }

    #[test]
    fn an_undeclared_environment_or_stage_is_an_error() {
        let p = policy();
        assert!(matches!(
            p.plan("prod", "a"),
            Err(EvalError::UnknownEnvironment { .. })
        ));
        assert!(matches!(
            p.plan("production", "b"),
            Err(EvalError::UnknownStage { .. })
        ));
    }
}
