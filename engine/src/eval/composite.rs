//! Composite gates: `all_of`, `any_of` and `score` over member gates that were evaluated as
//! usual. The members' own `on_fail` does not decide the verdict here; the composite's does.
//! Missing data in a member never lets a composite pass on the other members' behalf: a
//! composite passes only when the members that pass are enough whatever the unknown ones are.

use super::{Outcome, apply};
use crate::decision::{Bound, GateResult, GateStatus, OnFail};
use crate::format::fmt_num;
use crate::policy::model::{GateKind, Score};

/// Judges a composite from its members' results (in the order written), which it keeps,
/// nested, for every output.
pub(crate) fn evaluate(kind: &GateKind, mut members: Vec<GateResult>, result: &mut GateResult) {
    let outcome = match kind {
        GateKind::AllOf(_) => all_of(&members),
        GateKind::AnyOf(_) => any_of(&members),
        GateKind::Score(s) => {
            for m in &mut members {
                m.weight = s.weights.get(&m.id).copied();
                m.key = s.key.contains(&m.id);
            }
            result.bound = Bound {
                max: None,
                min: Some(s.min * 100.0),
            };
            score(s, &members)
        }
        _ => unreachable!("only composites have members"),
    };
    apply(result, outcome);
    result.samples = 0;
    // A composite reads no window of its own: each member says its own.
    result.window = "-".into();
    result.members = members;
}

/// The first member with `status`, and how many have it.
fn first(members: &[GateResult], status: GateStatus) -> (Option<&GateResult>, usize) {
    let mut with = members.iter().filter(|m| m.status == status);
    let first = with.next();
    (first, first.map_or(0, |_| 1 + with.count()))
}

fn named(m: &GateResult) -> String {
    format!("`{}` {}: {}", m.id, word(m.status), m.message)
}

fn word(s: GateStatus) -> &'static str {
    match s {
        GateStatus::Pass => "passes",
        GateStatus::Fail => "failed",
        GateStatus::Inconclusive => "is inconclusive",
        GateStatus::Error => "erred",
    }
}

/// Neither pass nor fail: an error when a member erred, else inconclusive.
fn undecided(members: &[GateResult], passing: usize, what: &str) -> Outcome {
    let n = members.len();
    let (err, _) = first(members, GateStatus::Error);
    let (inc, _) = first(members, GateStatus::Inconclusive);
    let (status, m) = match (err, inc) {
        (Some(m), _) => (GateStatus::Error, m),
        (None, Some(m)) => (GateStatus::Inconclusive, m),
        (None, None) => unreachable!("undecided only with an unknown member"),
    };
    Outcome::new(
        status,
        Some(passing as f64),
        format!("{passing} of {n} members pass, {what}; {}", named(m)),
    )
}

fn all_of(members: &[GateResult]) -> Outcome {
    let n = members.len();
    let (_, passing) = first(members, GateStatus::Pass);
    if passing == n {
        return Outcome::new(
            GateStatus::Pass,
            Some(n as f64),
            format!("all {n} members pass"),
        );
    }
    if let (Some(m), failing) = first(members, GateStatus::Fail) {
        return Outcome::new(
            GateStatus::Fail,
            Some(passing as f64),
            format!("{failing} of {n} members failed; {}", named(m)),
        );
    }
    undecided(members, passing, "the others are unknown")
}

fn any_of(members: &[GateResult]) -> Outcome {
    let n = members.len();
    let (pass, passing) = first(members, GateStatus::Pass);
    if let Some(m) = pass {
        return Outcome::new(
            GateStatus::Pass,
            Some(passing as f64),
            format!("{passing} of {n} members pass; {}", named(m)),
        );
    }
    let (fail, failing) = first(members, GateStatus::Fail);
    if failing == n {
        let m = fail.expect("n > 0 members");
        return Outcome::new(
            GateStatus::Fail,
            Some(0.0),
            format!("all {n} members failed; {}", named(m)),
        );
    }
    undecided(members, 0, "none passes yet")
}

/// What a member earns: its weight when it passes, half when an `on_fail: warn` member fails
/// (Keptn's warning), nothing otherwise; and whether its result is unknown.
fn earned(m: &GateResult, weight: f64) -> (f64, bool) {
    match m.status {
        GateStatus::Pass => (weight, false),
        GateStatus::Fail if m.on_fail == OnFail::Warn => (weight / 2.0, false),
        GateStatus::Fail => (0.0, false),
        GateStatus::Inconclusive | GateStatus::Error => (0.0, true),
    }
}

fn score(s: &Score, members: &[GateResult]) -> Outcome {
    let total: f64 = s.weights.values().sum();
    let (mut got, mut unknown) = (0.0, 0.0);
    for m in members {
        let w = s.weights.get(&m.id).copied().unwrap_or(0.0);
        let (e, open) = earned(m, w);
        got += e;
        if open {
            unknown += w;
        }
    }
    let pct = |x: f64| fmt_num(x / total * 100.0);
    let value = Some(got / total * 100.0);
    let min = fmt_num(s.min * 100.0);
    let keys: Vec<&GateResult> = members.iter().filter(|m| m.key).collect();
    if let Some(k) = keys.iter().find(|k| k.status == GateStatus::Fail) {
        return Outcome::new(
            GateStatus::Fail,
            value,
            format!("score {}%, but key member {}", pct(got), named(k)),
        );
    }
    // Compared as fractions of the total so that 90% of a weight sum is exact enough: the
    // tolerance covers float sums like 0.1 + 0.2.
    let reaches = |x: f64| x / total >= s.min - 1e-12;
    if !reaches(got + unknown) {
        let even = if unknown > 0.0 {
            format!(
                " even if every unknown member passed ({}% at most)",
                pct(got + unknown)
            )
        } else {
            String::new()
        };
        return Outcome::new(
            GateStatus::Fail,
            value,
            format!("score {}% is below {min}%{even}", pct(got)),
        );
    }
    let open_key = keys.iter().find(|k| k.status != GateStatus::Pass);
    match open_key {
        None if reaches(got) => Outcome::new(
            GateStatus::Pass,
            value,
            format!("score {}% (at least {min}%)", pct(got)),
        ),
        Some(k) => Outcome::new(
            GateStatus::Inconclusive,
            value,
            format!("score {}%, but key member {}", pct(got), named(k)),
        ),
        None => {
            let m = members
                .iter()
                .find(|m| earned(m, 0.0).1)
                .expect("short of min with every member known is a fail");
            Outcome::new(
                GateStatus::Inconclusive,
                value,
                format!(
                    "score {}% so far, below {min}% until the unknown members are known; {}",
                    pct(got),
                    named(m)
                ),
            )
        }
    }
}
