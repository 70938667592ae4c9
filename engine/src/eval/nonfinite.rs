//! One rule for infinite values, shared by every gate kind: an infinity can make a gate fail,
//! never pass. NaN samples are dropped and counted before a gate sees its data (prepare.rs);
//! `+Inf`/`-Inf` samples stay, because some are real signals (a `histogram_quantile` above the
//! largest bucket is `+Inf`). Where an infinite sample (per-check), or an infinite aggregate
//! (threshold, compare), violates the bound, the gate's ordinary judgement already fails the
//! series. Every other outcome over data holding an infinity that would pass is turned into
//! `inconclusive` here, naming the infinite samples: an infinite value compares "within" a
//! bound on one side only by accident (`-Inf <= 0.01`), so it cannot prove health.

use super::Outcome;
use crate::data_rules::infinite::describe;
use crate::decision::GateStatus;

/// The rule applied to one outcome: a pass over a window holding `found` becomes
/// `inconclusive`; a failure, an error or an inconclusive outcome stays what it is (an
/// inconclusive one says which samples are infinite, when that is not said yet).
pub(crate) fn never_pass(o: Outcome, found: &[(f64, f64)]) -> Outcome {
    if found.is_empty() {
        return o;
    }
    match o.status {
        GateStatus::Pass => Outcome::new(
            GateStatus::Inconclusive,
            o.value,
            format!(
                "{}; but the window holds {}: an infinity can make a gate fail, never pass it",
                o.message,
                describe(found)
            ),
        ),
        GateStatus::Inconclusive if !o.message.contains("infinite sample") => Outcome::new(
            GateStatus::Inconclusive,
            o.value,
            format!("{}; the window holds {}", o.message, describe(found)),
        ),
        _ => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: f64 = f64::INFINITY;

    #[test]
    fn a_pass_over_an_infinity_is_inconclusive_and_a_failure_stays() {
        let f = [(0.0, -INF)];
        let pass = Outcome::new(GateStatus::Pass, Some(-INF), "last is -Inf".into());
        let o = never_pass(pass.clone(), &f);
        assert_eq!(o.status, GateStatus::Inconclusive);
        assert!(
            o.message.contains("1 infinite sample (-Inf at"),
            "{}",
            o.message
        );
        assert_eq!(never_pass(pass, &[]).status, GateStatus::Pass);
        let fail = Outcome::new(GateStatus::Fail, Some(INF), "max is +Inf".into());
        assert_eq!(never_pass(fail, &f).status, GateStatus::Fail);
        let err = Outcome::new(GateStatus::Error, None, "source failed".into());
        assert_eq!(never_pass(err, &f).status, GateStatus::Error);
        let inc = Outcome::new(GateStatus::Inconclusive, None, "cannot".into());
        assert!(never_pass(inc, &f).message.contains("infinite sample"));
    }
}
