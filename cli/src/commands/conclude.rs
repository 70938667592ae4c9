//! The end of an evaluation, shared by `eval` and `run`: keep the report, record the decision
//! in the ledger, print it, exit with its verdict.
//!
//! A retried evaluation (same evaluation id) finds its earlier report and ledger entry, says
//! so, writes nothing and exits with the recorded verdict. A ledger that cannot take the
//! decision never hides the verdict: it is printed and its code returned, the failure said
//! beside it; but a GO that cannot be recorded is not a GO: it becomes NO-GO (exit 1), with
//! the reason as a blocker, and its report, if this run wrote one, is removed.

use std::path::Path;

use rollgate_engine::decision::{Blocker, Decision, Verdict};

use crate::args::OutputArgs;
use crate::exit::Exit;
use crate::ledger;
use crate::output::Template;

/// What recording the decision did.
#[derive(Debug)]
pub enum Recorded {
    /// No ledger was given.
    NoLedger,
    /// Appended (the entry is named on stderr).
    Appended,
    /// The same evaluation was already recorded, with this verdict.
    Found(Option<Verdict>),
    /// The append failed, for this reason (already printed).
    Failed(String),
}

impl Recorded {
    /// The verdict recorded by an earlier attempt, when the ledger had one.
    pub fn found_verdict(&self) -> Option<Verdict> {
        match self {
            Recorded::Found(v) => *v,
            _ => None,
        }
    }
}

/// Keeps, records, prints; the exit code of the verdict (2 only if the report could not be
/// written or an output failed, with nothing recorded).
pub fn conclude(
    mut decision: Decision,
    out: &OutputArgs,
    template: Option<&Template>,
    extra: Vec<(String, Vec<u8>)>,
) -> Exit {
    let kept = match crate::output::keep(&mut decision, out, template, extra) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let recorded = record(out.ledger.as_deref(), &decision);
    if let Recorded::Failed(why) = &recorded
        && decision.verdict == Verdict::Go
    {
        crate::write::remove_set(&kept.written);
        not_recorded_is_not_go(&mut decision, why);
        eprintln!(
            "error: a decision that is not recorded is not a GO: NO-GO{}",
            if kept.written.is_empty() {
                ""
            } else {
                " (its GO report was removed)"
            }
        );
    }
    if let Err(e) = crate::output::show(&decision, out, template) {
        return e;
    }
    verdict_exit(recorded.found_verdict().unwrap_or(decision.verdict))
}

/// Appends the decision to the ledger (once per evaluation id), saying what happened.
pub fn record(ledger: Option<&Path>, d: &Decision) -> Recorded {
    let Some(path) = ledger else {
        return Recorded::NoLedger;
    };
    match ledger::record_decision(path, d, &ledger::actor(None)) {
        Ok((e, true)) => {
            eprintln!("ledger: recorded as entry {} in {}", e.seq, path.display());
            Recorded::Appended
        }
        Ok((e, false)) => {
            eprintln!(
                "ledger: found this evaluation's decision ({}) as entry {} in {}; not recorded twice",
                e.payload["verdict"].as_str().unwrap_or("?"),
                e.seq,
                path.display()
            );
            Recorded::Found(
                e.payload
                    .get("verdict")
                    .and_then(|v| serde_json::from_value(v.clone()).ok()),
            )
        }
        Err(e) => {
            let why = e.located(path);
            eprintln!(
                "error: the {} decision could not be recorded in the ledger: {why}",
                d.verdict.label()
            );
            Recorded::Failed(why)
        }
    }
}

/// Turns a GO that could not be recorded into a NO-GO whose blocker says why.
pub fn not_recorded_is_not_go(d: &mut Decision, why: &str) {
    d.verdict = Verdict::NoGo;
    d.exit_code = Verdict::NoGo.exit_code();
    d.next_stage = None;
    d.report = None;
    d.blockers.push(Blocker {
        gate: None,
        reason: format!("the GO decision could not be recorded in the ledger ({why}); a decision that is not recorded is not a GO"),
        remediation: Some(
            "make the ledger writable again (disk space, permissions; `rollgate ledger verify`), then evaluate again".into(),
        ),
    });
}

/// The exit code of a verdict.
pub fn verdict_exit(v: Verdict) -> Exit {
    match v {
        Verdict::Go => Exit::Go,
        Verdict::Hold => Exit::Hold,
        Verdict::NoGo => Exit::NoGo,
        Verdict::Rollback => Exit::Rollback,
    }
}
