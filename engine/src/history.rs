//! What the ledger remembers of a stage, as evaluation needs it: past decisions (a hold means
//! green throughout), approvals and waivers. The CLI reads the ledger; the engine only
//! receives this.

/// One past evaluation of the same policy, environment and stage.
#[derive(Debug, Clone, PartialEq)]
pub struct PastDecision {
    pub at: f64,
    pub verdict: crate::decision::Verdict,
    /// The gates that failed in it: an `on_fail: approve` gate needs an approval after its
    /// first failure at the stage.
    pub failed: Vec<String>,
}

/// A named person's approval of the stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub at: f64,
    pub by: String,
}

/// A gate waived until an expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    pub gate: String,
    pub at: f64,
    pub until: f64,
    pub by: String,
    pub reason: String,
    pub ticket: Option<String>,
}

/// An emergency promotion through a freeze or outside deploy hours, recorded by a person.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub at: f64,
    /// When it stops applying; None: for the rest of this visit of the stage.
    pub until: Option<f64>,
    pub by: String,
    pub reason: String,
    pub ticket: Option<String>,
}

/// The ledger's memory of one (policy, environment, stage).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub decisions: Vec<PastDecision>,
    pub approvals: Vec<Approval>,
    pub waivers: Vec<Waiver>,
    pub overrides: Vec<Override>,
}

/// Waivers expiring sooner than this are warned about.
pub const WAIVER_WARNING_S: f64 = 3.0 * 86_400.0;

impl History {
    /// When the hold clock started: the entry time, or, when a NO-GO or ROLLBACK was decided
    /// after it, the first GO/HOLD decision after the latest such one (or now, when none has
    /// been recorded yet: this evaluation is the first green one).
    pub fn hold_start(&self, entered_at: f64, now: f64) -> f64 {
        use crate::decision::Verdict;
        let after: Vec<&PastDecision> = self
            .decisions
            .iter()
            .filter(|d| d.at >= entered_at && d.at <= now)
            .collect();
        let Some(last_red) = after
            .iter()
            .filter(|d| matches!(d.verdict, Verdict::NoGo | Verdict::Rollback))
            .map(|d| d.at)
            .reduce(f64::max)
        else {
            return entered_at;
        };
        after
            .iter()
            .filter(|d| d.at > last_red && matches!(d.verdict, Verdict::Go | Verdict::Hold))
            .map(|d| d.at)
            .reduce(f64::min)
            .unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Verdict;

    fn d(at: f64, v: Verdict) -> PastDecision {
        PastDecision {
            at,
            verdict: v,
            failed: Vec::new(),
        }
    }

    #[test]
    fn a_red_decision_restarts_the_hold() {
        let h = History {
            decisions: vec![
                d(10.0, Verdict::Hold),
                d(20.0, Verdict::NoGo),
                d(30.0, Verdict::Hold),
                d(40.0, Verdict::Hold),
            ],
            ..History::default()
        };
        assert_eq!(h.hold_start(5.0, 50.0), 30.0);
        // Red decisions before the entry do not count.
        assert_eq!(h.hold_start(25.0, 50.0), 25.0);
        // The latest decision is red: this evaluation starts the clock.
        let h = History {
            decisions: vec![d(10.0, Verdict::Hold), d(20.0, Verdict::Rollback)],
            ..History::default()
        };
        assert_eq!(h.hold_start(5.0, 50.0), 50.0);
        assert_eq!(History::default().hold_start(5.0, 50.0), 5.0);
    }
}
