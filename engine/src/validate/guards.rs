//! Validation of `guards`: each names a declared gate once, and a scoped guard names the
//! stages it runs at (declared stages, one way of saying it).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::Sink;
use super::stages::Refs;
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::{Guard, GuardScope};
use crate::policy::raw::{RawGuard, RawPolicy, RawScopedGuard};

/// The guards, in the order written.
pub(super) fn check<'a>(
    raw: &'a RawPolicy,
    stage_ids: &IndexMap<&str, usize>,
    refs: &mut Refs<'a>,
    sink: &mut Sink<'_>,
) -> Vec<Guard> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, g) in raw.guards.iter().enumerate() {
        let ptr = format!("/guards/{i}");
        let (gate, gate_ptr) = match g {
            RawGuard::Every(id) => (id.0.as_str(), ptr.clone()),
            RawGuard::Scoped(s) => (s.gate.0.as_str(), format!("{ptr}/gate")),
        };
        refs.gate(sink, &gate_ptr, gate);
        if !seen.insert(gate) {
            sink.error(
                Code::ListedTwice,
                &gate_ptr,
                format!("gate `{gate}` is listed twice in `guards`"),
            );
        }
        let scope = match g {
            RawGuard::Every(_) => Some(GuardScope::Every),
            RawGuard::Scoped(s) => scope(s, &ptr, stage_ids, sink),
        };
        // A scope in error was reported; counting the guard at every stage keeps the stages'
        // own checks from blaming the stages it was meant for (the policy is refused anyway).
        out.push(Guard {
            gate: gate.to_owned(),
            scope: scope.unwrap_or(GuardScope::Every),
        });
    }
    out
}

/// `from: STAGE`, `stages: [IDS]` or neither (every stage); both is ambiguous.
fn scope(
    s: &RawScopedGuard,
    ptr: &str,
    stage_ids: &IndexMap<&str, usize>,
    sink: &mut Sink<'_>,
) -> Option<GuardScope> {
    match (&s.from, &s.stages) {
        (Some(_), Some(_)) => {
            sink.error_on_key(
                Code::InvalidValue,
                &format!("{ptr}/stages"),
                format!(
                    "guard `{}` gives both `from` and `stages`: give one (`from` runs it at that stage and the later ones)",
                    s.gate.0
                ),
            );
            None
        }
        (Some(from), None) => {
            stage_index(&from.0, &format!("{ptr}/from"), stage_ids, sink).map(GuardScope::From)
        }
        (None, Some(list)) => {
            let before = sink.error_count();
            let mut indexes: Vec<usize> = list
                .iter()
                .enumerate()
                .filter_map(|(j, id)| {
                    stage_index(&id.0, &format!("{ptr}/stages/{j}"), stage_ids, sink)
                })
                .collect();
            indexes.sort_unstable();
            indexes.dedup();
            (sink.error_count() == before).then_some(GuardScope::Stages(indexes))
        }
        (None, None) => Some(GuardScope::Every),
    }
}

/// The index of stage `id`, or an error at `ptr` naming the stages there are.
fn stage_index(
    id: &str,
    ptr: &str,
    stage_ids: &IndexMap<&str, usize>,
    sink: &mut Sink<'_>,
) -> Option<usize> {
    if let Some(i) = stage_ids.get(id) {
        return Some(*i);
    }
    let declared: Vec<String> = stage_ids.keys().map(|s| format!("`{s}`")).collect();
    sink.error_help(
        Code::UnknownStage,
        ptr,
        format!("unknown stage `{id}` (stages: {})", declared.join(", ")),
        did_you_mean(id, stage_ids.keys().copied()),
    );
    None
}
