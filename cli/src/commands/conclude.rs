//! The end of an evaluation, shared by `eval` and `run`: keep the report, record the decision
//! in the ledger, print it, exit with its verdict.
//!
//! A retried evaluation (same evaluation id) finds its earlier report and ledger entry, says
//! so, writes nothing and exits with the recorded verdict. A ledger that cannot take the
//! decision never hides the verdict: it is printed and its code returned, the failure said
//! beside it; but a GO that cannot be recorded is not a GO: it becomes NO-GO (exit 1), with
//! the reason as a blocker, and its report, if this run wrote one, is removed.

use std::path::Path;

use rollgate_engine::decision::{Blocker, Decision, LedgerHead, Verdict};

use crate::args::OutputArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ledger;
use crate::output::Template;

/// What recording the decision did.
#[derive(Debug)]
pub enum Recorded {
    /// No ledger was given.
    NoLedger,
    /// Appended as this entry (named on stderr).
    Appended(LedgerHead),
    /// The same evaluation was already recorded, as this entry, with this verdict.
    Found(LedgerHead, Option<Verdict>),
    /// The append failed, for this reason (already printed).
    Failed(String),
}

impl Recorded {
    /// The verdict recorded by an earlier attempt, when the ledger had one.
    pub fn found_verdict(&self) -> Option<Verdict> {
        match self {
            Recorded::Found(_, v) => *v,
            _ => None,
        }
    }

    /// The entry recording the decision, if it is recorded.
    pub fn head(&self) -> Option<LedgerHead> {
        match self {
            Recorded::Appended(h) | Recorded::Found(h, _) => Some(h.clone()),
            Recorded::NoLedger | Recorded::Failed(_) => None,
        }
    }
}

fn head_of(e: &ledger::Entry) -> LedgerHead {
    LedgerHead {
        seq: e.seq,
        hash: e.hash.clone(),
    }
}

/// Keeps, records, prints; the exit code of the verdict (2 only if the report could not be
/// written or an output failed, with nothing recorded).
///
/// With a ledger, the ledger stays locked from the check for an earlier attempt to the append:
/// the decision's entry is sealed first (its sequence number and hash are what the report
/// records as `ledger_head`), the report is written, then the entry appended. An append that
/// fails removes the report (it names an entry that does not exist); a decision other than GO
/// then gets its report again without `ledger_head`.
pub fn conclude(
    mut decision: Decision,
    out: &OutputArgs,
    template: Option<&Template>,
    extra: Vec<(String, Vec<u8>)>,
    policy: &str,
) -> Result<Exit, CliError> {
    let Some(path) = out.ledger.as_deref() else {
        return finish(decision, out, template, extra, policy, Recorded::NoLedger);
    };
    let mut txn = match ledger::Txn::begin(path)
        .and_then(|mut t| ledger::find_decision(&mut t, &decision).map(|f| (t, f)))
    {
        Err(e) => {
            let recorded = failed(path, &decision, &e);
            return finish(decision, out, template, extra, policy, recorded);
        }
        Ok((_, Some(found))) => {
            let recorded = found_entry(path, &found);
            decision.inputs.ledger_head = recorded.head();
            return finish(decision, out, template, extra, policy, recorded);
        }
        Ok((t, None)) => t,
    };
    let actor = ledger::actor(None);
    let stamp = |d: &mut Decision| {
        d.inputs.ledger_head = Some(head_of(&txn.seal(ledger::decision_entry(d, &actor))));
    };
    stamp(&mut decision);
    let kept = crate::output::keep(&mut decision, out, template, extra.clone(), policy, &stamp)?;
    match txn.append(ledger::decision_entry(&decision, &actor)) {
        Ok(e) => {
            eprintln!("ledger: recorded as entry {} in {}", e.seq, path.display());
            decision.inputs.ledger_head = Some(head_of(&e));
            show(decision, out, template, &Recorded::Appended(head_of(&e)))
        }
        Err(e) => {
            drop(txn);
            crate::write::remove_set(&kept.written);
            decision.inputs.ledger_head = None;
            let recorded = failed(path, &decision, &e);
            finish(decision, out, template, extra, policy, recorded)
        }
    }
}

/// Keeps and prints a decision whose recording is settled (no ledger, found, or failed).
fn finish(
    mut decision: Decision,
    out: &OutputArgs,
    template: Option<&Template>,
    extra: Vec<(String, Vec<u8>)>,
    policy: &str,
    recorded: Recorded,
) -> Result<Exit, CliError> {
    if let Recorded::Failed(why) = &recorded
        && decision.verdict == Verdict::Go
    {
        // Its GO report is never written (or was removed).
        not_recorded_is_not_go(&mut decision, why);
        eprintln!(
            "error: a decision that is not recorded is not a GO: NO-GO (its GO report is not kept)"
        );
    } else {
        crate::output::keep(&mut decision, out, template, extra, policy, &|_| {})?;
    }
    show(decision, out, template, &recorded)
}

fn show(
    decision: Decision,
    out: &OutputArgs,
    template: Option<&Template>,
    r: &Recorded,
) -> Result<Exit, CliError> {
    crate::output::show(&decision, out, template)?;
    Ok(verdict_exit(r.found_verdict().unwrap_or(decision.verdict)))
}

fn found_entry(path: &Path, e: &ledger::Entry) -> Recorded {
    eprintln!(
        "ledger: found this evaluation's decision ({}) as entry {} in {}; not recorded twice",
        e.payload["verdict"].as_str().unwrap_or("?"),
        e.seq,
        path.display()
    );
    Recorded::Found(
        head_of(e),
        e.payload
            .get("verdict")
            .and_then(|v| serde_json::from_value(v.clone()).ok()),
    )
}

fn failed(path: &Path, d: &Decision, e: &ledger::LedgerError) -> Recorded {
    let why = e.located(path);
    eprintln!(
        "error: the {} decision could not be recorded in the ledger: {why}",
        d.verdict.label()
    );
    Recorded::Failed(why)
}

/// Appends the decision to the ledger (once per evaluation id), saying what happened.
pub fn record(ledger: Option<&Path>, d: &Decision) -> Recorded {
    let Some(path) = ledger else {
        return Recorded::NoLedger;
    };
    match ledger::record_decision(path, d, &ledger::actor(None)) {
        Ok((e, true)) => {
            eprintln!("ledger: recorded as entry {} in {}", e.seq, path.display());
            Recorded::Appended(head_of(&e))
        }
        Ok((e, false)) => found_entry(path, &e),
        Err(e) => failed(path, d, &e),
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
