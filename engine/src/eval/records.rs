//! Records gates: which records count (`where`), what each must satisfy (`expect`), and how
//! many must be there (`min_count`).

use serde_json::Value;

use super::{Outcome, apply};
use crate::decision::{GateResult, GateStatus};
use crate::format::fmt_num;
use crate::format::plural;
use crate::plan::GatePlan;
use crate::policy::model::{Expectation, RecordSet, Records};
use crate::snapshot::Snapshot;

/// Violations named in the message, at most.
const SHOWN: usize = 5;

pub(crate) fn evaluate(
    set: &RecordSet,
    g: &Records,
    gp: &GatePlan<'_>,
    snapshot: &Snapshot,
    result: &mut GateResult,
) {
    let Records {
        records,
        filter,
        expect,
        ..
    } = g;
    let need = gp.min_count;
    result.bound.max = Some(0.0);
    let Read { unique, total } = match records_of(snapshot, records, set) {
        Ok(read) => read,
        Err(o) => return apply(result, o),
    };
    let counted: Vec<(usize, &serde_json::Map<String, Value>)> = unique
        .records
        .into_iter()
        .filter(|(_, r)| {
            filter
                .iter()
                .all(|(p, v)| lookup(r, p).is_some_and(|f| json_eq(f, v)))
        })
        .collect();
    result.samples = counted.len() as u64;
    let scope = scope(
        counted.len(),
        total - unique.duplicates,
        unique.duplicates,
        !filter.is_empty(),
    );
    if (counted.len() as u64) < need {
        return apply(
            result,
            Outcome::new(
                GateStatus::Inconclusive,
                Some(0.0),
                format!("{scope}; at least {need} needed"),
            ),
        );
    }
    apply(result, judge(&counted, expect, &scope));
}

/// A record set's records, each once, with how many the snapshot holds.
struct Read<'a> {
    unique: super::dedup::Unique<'a>,
    total: usize,
}

/// The set's records, each once; or why they cannot be judged: the source failed (error), the
/// snapshot has none (inconclusive), or their identities are broken (error).
fn records_of<'a>(
    snapshot: &'a Snapshot,
    name: &str,
    set: &RecordSet,
) -> Result<Read<'a>, Outcome> {
    if let Some(err) = snapshot.evidence.get(name).and_then(|e| e.error.as_ref()) {
        return Err(Outcome::new(
            GateStatus::Error,
            None,
            format!("the source of records `{name}` failed: {err}"),
        ));
    }
    let Some(all) = snapshot.records.get(name) else {
        return Err(Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!("no records `{name}` in the snapshot"),
        ));
    };
    match super::dedup::unique(all, set.key.as_deref()) {
        Ok(unique) => Ok(Read {
            unique,
            total: all.len(),
        }),
        Err(why) => Err(Outcome::new(
            GateStatus::Error,
            None,
            format!("records `{name}`: {why}"),
        )),
    }
}

/// What was counted, in words: `12 records`, or `3 of 12 records match `where``, with the
/// duplicates counted once.
fn scope(counted: usize, distinct: usize, duplicates: usize, filtered: bool) -> String {
    let mut scope = if filtered {
        format!(
            "{counted} of {} match `where`",
            plural(distinct as u64, "record", "records")
        )
    } else {
        plural(counted as u64, "record", "records")
    };
    if duplicates > 0 {
        scope.push_str(&format!(
            " ({duplicates} duplicate{} counted once)",
            if duplicates == 1 { "" } else { "s" }
        ));
    }
    scope
}

/// Checks each counted record against `expect`: any violation fails; otherwise an infinite
/// number where a range is checked is inconclusive; otherwise the gate passes.
fn judge(
    counted: &[(usize, &serde_json::Map<String, Value>)],
    expect: &indexmap::IndexMap<String, Expectation>,
    scope: &str,
) -> Outcome {
    let mut problems = Vec::new();
    let mut violators = 0u64;
    let mut infinite = Vec::new();
    for (i, r) in counted {
        let mut bad = false;
        for (path, e) in expect {
            if let Some(why) = check(lookup(r, path), e) {
                if problems.len() < SHOWN {
                    problems.push(format!("{}: `{path}` {why}", identity(*i, r)));
                }
                bad = true;
            } else if let Some(x) = infinite_number(lookup(r, path), e) {
                infinite.push(format!("{}: `{path}` is {}", identity(*i, r), fmt_num(x)));
            }
        }
        violators += u64::from(bad);
    }
    if violators == 0 && !infinite.is_empty() {
        // An infinity can make a gate fail, never pass (eval/nonfinite.rs).
        let more = if infinite.len() > SHOWN {
            format!("; and {} more", infinite.len() - SHOWN)
        } else {
            String::new()
        };
        infinite.truncate(SHOWN);
        Outcome::new(
            GateStatus::Inconclusive,
            None,
            format!(
                "{scope}; none violates, but a checked number is infinite ({}{more}): an infinity can make a gate fail, never pass it",
                infinite.join("; ")
            ),
        )
    } else if violators == 0 {
        Outcome::new(
            GateStatus::Pass,
            Some(0.0),
            format!("{scope}; all meet the expectations"),
        )
    } else {
        let more = if violators as usize > problems.len() {
            format!("; and {} more", violators as usize - problems.len())
        } else {
            String::new()
        };
        Outcome::new(
            GateStatus::Fail,
            Some(violators as f64),
            format!(
                "{violators} of {} counted records fail: {}{more}",
                counted.len(),
                problems.join("; ")
            ),
        )
    }
}

/// The value at a dotted path (`execution_meta.worker_request_id`); numeric segments index
/// arrays.
pub fn lookup<'a>(record: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = record.get(parts.next()?)?;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// None when the field meets the expectation; else why not, in words.
fn check(field: Option<&Value>, e: &Expectation) -> Option<String> {
    let shown = |v: Option<&Value>| match v {
        None => "is missing".to_owned(),
        Some(v) => format!("is `{}`", short(v)),
    };
    match e {
        Expectation::Equals(want) => (!field.is_some_and(|f| json_eq(f, want)))
            .then(|| format!("{}, expected `{}`", shown(field), short(want))),
        Expectation::Present(true) => field
            .is_none_or(Value::is_null)
            .then(|| "is missing, expected it present".to_owned()),
        Expectation::Present(false) => field
            .is_some_and(|f| !f.is_null())
            .then(|| format!("{}, expected it absent", shown(field))),
        Expectation::In(list) => {
            (!field.is_some_and(|f| list.iter().any(|w| json_eq(f, w)))).then(|| {
                let opts: Vec<String> = list.iter().map(|w| format!("`{}`", short(w))).collect();
                format!("{}, expected one of {}", shown(field), opts.join(", "))
            })
        }
        Expectation::Range { max, min } => {
            let n = field.and_then(|f| match f {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => crate::snapshot::parse_numeric(s),
                _ => None,
            });
            match n {
                None => Some(format!("{}, expected a number", shown(field))),
                Some(x) if max.is_some_and(|m| x > m) || x.is_nan() => Some(format!(
                    "is {}, above the maximum {}",
                    fmt_num(x),
                    fmt_num(max.unwrap_or(f64::NAN))
                )),
                Some(x) if min.is_some_and(|m| x < m) => Some(format!(
                    "is {}, below the minimum {}",
                    fmt_num(x),
                    fmt_num(min.unwrap_or(f64::NAN))
                )),
                Some(_) => None,
            }
        }
        Expectation::All(list) => list.iter().find_map(|e| check(field, e)),
    }
}

/// The field as a number when `e` checks it against a numeric range (`min`/`max`, alone or
/// in `all`) and it is infinite (a string `"+Inf"` or `"-Inf"`).
fn infinite_number(field: Option<&Value>, e: &Expectation) -> Option<f64> {
    match e {
        Expectation::Range { .. } => match field? {
            Value::String(s) => crate::snapshot::parse_numeric(s).filter(|x| x.is_infinite()),
            _ => None,
        },
        Expectation::All(list) => list.iter().find_map(|e| infinite_number(field, e)),
        _ => None,
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// How a record is named in messages: its `id`, `name`, `number` or `key`, else its index.
fn identity(i: usize, r: &serde_json::Map<String, Value>) -> String {
    for key in [
        "id",
        "name",
        "number",
        "key",
        "intentId",
        "workflow_id",
        "run_id",
        "job_id",
        "receipt_id",
        "topic",
    ] {
        if let Some(v) = r.get(key)
            && !v.is_null()
            && !v.is_object()
            && !v.is_array()
        {
            return format!("record {key}={}", short(v));
        }
    }
    format!("record #{}", i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn dotted_paths_reach_nested_fields() {
        let r = rec(json!({"execution_meta": {"worker_request_id": "w1", "steps": [1, 2]}}));
        assert_eq!(
            lookup(&r, "execution_meta.worker_request_id"),
            Some(&json!("w1"))
        );
        assert_eq!(lookup(&r, "execution_meta.steps.1"), Some(&json!(2)));
        assert_eq!(lookup(&r, "execution_meta.nope"), None);
    }

    #[test]
    fn expectations() {
        let f = json!(3);
        assert!(check(Some(&f), &Expectation::Equals(json!(3.0))).is_none());
        assert!(
            check(
                Some(&f),
                &Expectation::Range {
                    max: Some(3.0),
                    min: None
                }
            )
            .is_none()
        );
        assert!(
            check(
                Some(&f),
                &Expectation::Range {
                    max: Some(2.0),
                    min: None
                }
            )
            .is_some()
        );
        assert!(check(None, &Expectation::Present(true)).is_some());
        assert!(check(Some(&Value::Null), &Expectation::Present(false)).is_none());
        assert!(
            check(
                Some(&json!("a")),
                &Expectation::In(vec![json!("a"), json!("b")])
            )
            .is_none()
        );
        assert!(check(Some(&json!("c")), &Expectation::In(vec![json!("a")])).is_some());
        assert!(
            check(
                Some(&json!("x")),
                &Expectation::Range {
                    max: Some(1.0),
                    min: None
                }
            )
            .is_some()
        );
    }
}
