//! Validation of composite gates (`all_of`, `any_of`, `score`): members are declared gates,
//! weights are positive, key members are members, and no composite reaches itself. Members
//! nest under their composite in every output, so nesting is bounded too.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::Sink;
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::{Gate, Score};
use crate::policy::raw::{Id, RawGate};
use crate::yaml::escape_token;

/// How deep composites may nest: a decision nests each member under its composite, and
/// readers of the JSON (and people) need a bound.
pub(crate) const MAX_DEPTH: usize = 8;

/// An `all_of` or `any_of` list: each member a declared gate other than this one.
pub(super) fn members(
    id: &str,
    list: &[Id],
    ptr: &str,
    gates: &BTreeSet<String>,
    sink: &mut Sink<'_>,
) -> Option<Vec<String>> {
    let before = sink.error_count();
    for (i, m) in list.iter().enumerate() {
        member(id, &m.0, &format!("{ptr}/{i}"), gates, sink);
    }
    (sink.error_count() == before).then(|| list.iter().map(|m| m.0.clone()).collect())
}

/// A `score`: weighted members, the least passing score and the key members.
pub(super) fn score(
    id: &str,
    g: &RawGate,
    ptr: &str,
    gates: &BTreeSet<String>,
    sink: &mut Sink<'_>,
) -> Option<Score> {
    let s = g.score.as_ref()?;
    let before = sink.error_count();
    let mut weights = IndexMap::new();
    for (m, w) in &s.weights {
        let wptr = format!("{ptr}/weights/{}", escape_token(&m.0));
        if member(id, &m.0, &wptr, gates, sink) && !(w.is_finite() && *w > 0.0) {
            sink.error(
                Code::OutOfRange,
                &wptr,
                format!("the weight of `{}` must be a positive number, not {w}", m.0),
            );
        }
        weights.insert(m.0.clone(), *w);
    }
    let min = percent(&s.min, &format!("{ptr}/min"), sink);
    let key: Vec<String> = s.key.iter().flatten().map(|k| k.0.clone()).collect();
    for (i, k) in key.iter().enumerate() {
        if !weights.contains_key(k) {
            sink.error_help(
                Code::CompositeShape,
                &format!("{ptr}/key/{i}"),
                format!("key member `{k}` is not weighted in this score: a key member must be one of `weights`"),
                did_you_mean(k, weights.keys().map(String::as_str)),
            );
        }
    }
    (sink.error_count() == before).then_some(Score {
        weights,
        min: min?,
        key,
    })
}

/// A percentage from 0% to 100%, as a fraction.
pub(super) fn percent(text: &str, ptr: &str, sink: &mut Sink<'_>) -> Option<f64> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Some(p / 100.0),
        Ok(_) => {
            sink.error(
                Code::OutOfRange,
                ptr,
                format!("`{text}` is not between 0% and 100%"),
            );
            None
        }
        Err(_) => {
            sink.error(
                Code::BadFormat,
                ptr,
                format!("`{text}` is not a percentage like `90%`"),
            );
            None
        }
    }
}

/// One member reference; false (reported) when it is unknown or the composite itself.
fn member(id: &str, m: &str, ptr: &str, gates: &BTreeSet<String>, sink: &mut Sink<'_>) -> bool {
    if m == id {
        sink.error(
            Code::CompositeShape,
            ptr,
            format!("composite gate `{id}` lists itself as a member"),
        );
        return false;
    }
    if gates.contains(m) {
        return true;
    }
    let help = did_you_mean(m, gates.iter().map(String::as_str).filter(|g| *g != id))
        .or_else(|| Some("declare it under `gates`".to_owned()));
    sink.error_help(
        Code::UnknownGate,
        ptr,
        format!("unknown gate `{m}` in composite `{id}`"),
        help,
    );
    false
}

/// Reports composites that reach themselves through their members, and nesting deeper than
/// [`MAX_DEPTH`]: the first such problem, at the composite where it is found.
pub(super) fn structure(gates: &IndexMap<String, Gate>, sink: &mut Sink<'_>) {
    let mut memo: IndexMap<&str, usize> = IndexMap::new();
    for id in gates.keys() {
        let mut path = Vec::new();
        let message = match depth_of(id, gates, &mut memo, &mut path) {
            Err(cycle) => format!(
                "gates form a cycle through composite members and `gate()` reads: {}; a gate cannot be judged from itself",
                cycle
                    .iter()
                    .map(|g| format!("`{g}`"))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
            Ok(d) if d > MAX_DEPTH => format!(
                "composite gate `{id}` nests more than {MAX_DEPTH} levels deep; composites nest at most {MAX_DEPTH} levels (a cycle longer than that is reported so too)"
            ),
            Ok(_) => continue,
        };
        sink.error_on_key(
            Code::CompositeShape,
            &format!("/gates/{}", escape_token(id)),
            message,
        );
        return;
    }
}

/// Levels of gates at and under `id` (1 for a gate that is not a composite); Err with the
/// cycle (first gate repeated at the end) when `id` reaches itself.
fn depth_of<'g>(
    id: &'g str,
    gates: &'g IndexMap<String, Gate>,
    memo: &mut IndexMap<&'g str, usize>,
    path: &mut Vec<&'g str>,
) -> Result<usize, Vec<&'g str>> {
    if let Some(d) = memo.get(id) {
        return Ok(*d);
    }
    if let Some(at) = path.iter().position(|p| *p == id) {
        let mut cycle = path[at..].to_vec();
        cycle.push(id);
        return Err(cycle);
    }
    let members = gates.get(id).map(|g| g.kind.members()).unwrap_or_default();
    // Deeper than allowed is an error whatever lies below: stop walking (a hostile chain of
    // thousands of composites must not exhaust the stack).
    if path.len() > MAX_DEPTH && !members.is_empty() {
        return Ok(path.len() + 1);
    }
    path.push(id);
    let mut deepest = 0;
    for m in members {
        deepest = deepest.max(depth_of(m, gates, memo, path)?);
    }
    path.pop();
    memo.insert(id, deepest + 1);
    Ok(deepest + 1)
}
