//! Validation of the rollout: guards and stages, the gates they name (each declared, each
//! once), holds, and gates that nothing uses.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::{Context, EnvCheck, Sink, named_in_document};
use crate::diagnostic::{Code, closest};
use crate::policy::duration::Hold;
use crate::policy::model::{Gate, Guard, Stage};
use crate::policy::per_env::PerEnv;
use crate::policy::raw::{RawPolicy, RawStage};
use crate::yaml::escape_token;

/// What the gate references found: the gates used, and the gates a misspelt reference was
/// meant to name (which "uses" them, so they are not also reported as unused).
pub(super) struct Refs<'a> {
    cx: &'a Context<'a>,
    used: BTreeSet<&'a str>,
    meant: BTreeSet<String>,
}

impl<'a> Refs<'a> {
    /// Records a reference to gate `id` at `ptr`, reporting it when undeclared.
    pub(super) fn gate(&mut self, sink: &mut Sink<'_>, ptr: &str, id: &'a str) {
        self.used.insert(id);
        let names = &self.cx.gate_names;
        if names.contains(id) {
            return;
        }
        let near = closest(id, names.iter().map(String::as_str));
        if let Some(near) = near {
            self.meant.insert(near.to_owned());
        }
        let help = near.map(|n| format!("did you mean `{n}`?")).or_else(|| {
            Some(if names.is_empty() {
                "declare it under `gates`".to_owned()
            } else {
                format!(
                    "declare it under `gates` (declared: {})",
                    names
                        .iter()
                        .map(|g| format!("`{g}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        });
        sink.error_help(Code::UnknownGate, ptr, format!("unknown gate `{id}`"), help);
    }
}

/// Checks the guards and stages; returns the stages whose hold resolved and the guards.
pub(super) fn check<'a>(
    raw: &'a RawPolicy,
    cx: &'a Context<'a>,
    gates: &IndexMap<String, Gate>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> (Vec<Stage>, Vec<Guard>) {
    let mut refs = Refs {
        cx,
        used: BTreeSet::new(),
        meant: BTreeSet::new(),
    };
    let mut stage_ids: IndexMap<&str, usize> = IndexMap::new();
    for (i, s) in raw.stages.iter().enumerate() {
        if let Some(first) = stage_ids.get(s.id.0.as_str()) {
            let line = sink.index.value_pos(&format!("/stages/{first}/id")).line;
            sink.error(
                Code::ListedTwice,
                &format!("/stages/{i}/id"),
                format!(
                    "stage id `{}` is used twice (first at line {line}); stage ids must be unique",
                    s.id.0
                ),
            );
        } else {
            stage_ids.insert(s.id.0.as_str(), i);
        }
    }
    let guards = super::guards::check(raw, &stage_ids, &mut refs, sink);
    // A guard the schema refused is not here, but was reported: a stage it was meant for is
    // not blamed for checking nothing.
    let written = cx
        .doc
        .get("guards")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    let guards_lost = written > guards.len();
    let mut stages = Vec::new();
    for (i, s) in raw.stages.iter().enumerate() {
        let at_stage: Vec<&Guard> = guards.iter().filter(|g| g.applies_to(i)).collect();
        let covered = guards_lost || !at_stage.is_empty();
        stages.extend(stage(s, i, &at_stage, covered, &mut refs, envs, sink));
    }
    unused(raw, gates, &refs, sink);
    (stages, guards)
}

/// One stage: its gates (declared, once, not a guard) and its hold. `guards` are the guards
/// that run at this stage; `guarded`, whether one does (or may, when a guard was refused).
fn stage<'a>(
    s: &'a RawStage,
    index: usize,
    guards: &[&Guard],
    guarded: bool,
    refs: &mut Refs<'a>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<Stage> {
    let ptr = format!("/stages/{index}");
    let mut listed = BTreeSet::new();
    for (j, g) in s.gates.iter().enumerate() {
        let gptr = format!("{ptr}/gates/{j}");
        refs.gate(sink, &gptr, &g.0);
        if !listed.insert(&g.0) {
            sink.error(
                Code::ListedTwice,
                &gptr,
                format!("gate `{}` is listed twice in stage `{}`", g.0, s.id.0),
            );
        }
        if guards.iter().any(|x| x.gate == g.0) {
            sink.warning_on_key(
                Code::GuardInStage,
                &gptr,
                format!("gate `{}` is a guard that runs at this stage already", g.0),
            );
        }
    }
    let hold = match &s.hold {
        Some(h) => envs.resolve(h, &format!("{ptr}/hold"), sink, |t| {
            Hold::parse(&t.0).map_err(|e| e.to_string())
        }),
        None => Some(PerEnv::one(Hold::Elapsed(
            crate::policy::duration::Duration::ZERO,
        ))),
    };
    // A stage whose only checks are guards is valid: the guards in its scope run there.
    if let Some(h) = &hold
        && s.gates.is_empty()
        && !guarded
        && h.values().all(Hold::is_zero)
    {
        sink.error_on_key(Code::StageChecksNothing,
            &ptr,
            format!(
                "stage `{}` has no gates, no guards that run at it and no hold, so it checks nothing; add `gates`, `guards` or a `hold`",
                s.id.0
            ),
        );
    }
    Some(Stage {
        id: s.id.0.clone(),
        title: s.title.clone(),
        description: s.description.clone(),
        traffic: s.traffic.clone(),
        hold: hold?,
        gates: s.gates.iter().map(|g| g.0.clone()).collect(),
        approval: s
            .approval
            .as_ref()
            .filter(|a| a.required)
            .map(|a| a.by.clone()),
    })
}

/// Warns about gates no stage or guard uses (or was meant to), directly or as a member of a
/// composite, or a gate a script reads, that is used.
fn unused(raw: &RawPolicy, gates: &IndexMap<String, Gate>, refs: &Refs<'_>, sink: &mut Sink<'_>) {
    let mut used: BTreeSet<&str> = refs.used.clone();
    let mut queue: Vec<&str> = used.iter().copied().collect();
    while let Some(id) = queue.pop() {
        // The validated members; for a gate that failed validation, the lists as written.
        let members: Vec<&str> = match gates.get(id) {
            Some(g) => g.kind.members(),
            None => match raw.gates.get(&crate::policy::raw::Id(id.to_owned())) {
                Some(g) => g
                    .all_of
                    .iter()
                    .chain(&g.any_of)
                    .flatten()
                    .chain(g.score.iter().flat_map(|s| s.weights.keys()))
                    .map(|m| m.0.as_str())
                    .collect(),
                None => Vec::new(),
            },
        };
        for m in members {
            if used.insert(m) {
                queue.push(m);
            }
        }
    }
    for id in raw.gates.keys() {
        if !used.contains(id.0.as_str())
            && !refs.meant.contains(&id.0)
            && !named_in_document(refs.cx.doc, &id.0)
        {
            sink.warning_on_key(
                Code::UnusedGate,
                &format!("/gates/{}", escape_token(&id.0)),
                format!(
                    "gate `{}` is not used by any stage, guard or composite that is used",
                    id.0
                ),
            );
        }
    }
}
