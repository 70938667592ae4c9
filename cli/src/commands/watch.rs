//! `rollgate watch`: seed 004's post-promotion monitor. Fetches and evaluates on each slot of
//! its schedule (`watch_schedule.rs`: `--for` bounds wall time, late ticks are reported, missed
//! ones skipped), appends each decision to the ledger, prints a line (or a JSON object) per
//! tick; exits 4 at once on ROLLBACK, otherwise with the last verdict when the period ends.
//! A tick whose decision the ledger cannot record is printed first, then the watch stops
//! with its code (a GO that is not recorded is a NO-GO). SIGINT and SIGTERM stop it after the
//! tick in progress, its decision recorded, with exit 130 or 143 (`watch_signals.rs`). With `--now`, the ticks are `now`, `now + every`, ...
//! evaluated back to back (replaying history, or testing a policy).

use std::io::Write;
use std::time::{Duration, Instant};

use rollgate_engine::Loaded;
use rollgate_engine::decision::{Decision, Verdict};

use super::conclude::verdict_exit;
use super::conclude::{Recorded, not_recorded_is_not_go, record};
use super::fetch::evaluate_fetched;
use super::watch_schedule::{Next, Schedule};
use super::watch_signals::Stop;
use super::watch_tick::{Place, rollback_by};
use crate::args::{WatchArgs, WatchFormat};
use crate::error::CliError;
use crate::evaluate::{ledger_refused, ledger_view, template_for};
use crate::exit::Exit;
use crate::output::Template;

/// What every tick shares.
struct Watch<'a> {
    args: &'a WatchArgs,
    policy_text: String,
    loaded: Loaded,
    params: std::collections::BTreeMap<String, String>,
    template: Option<Template>,
}

pub fn run(args: &WatchArgs) -> Result<Exit, CliError> {
    let (policy_text, loaded) = crate::load::policy_file(&args.source.policy)?;
    // Parameters are checked before the first tick: a bad one is a usage error at once.
    let params = loaded
        .policy
        .resolve_params(&args.source.params, &Default::default())
        .map_err(|e| crate::evaluate::evaluation_refused(&e))?;
    // With `--now`, time is simulated from there (tests, replays of history); else the clock.
    let start_now = args.source.now;
    let template = template_for(
        args.template.as_deref(),
        &args.source.policy,
        &loaded.policy,
    )?;
    let stop = Stop::install().map_err(CliError::Usage)?;
    let w = Watch {
        args,
        policy_text,
        loaded,
        params,
        template,
    };
    w.ticks(
        Schedule {
            every: args.every,
            period: args.period,
        },
        start_now,
        &stop,
    )
}

impl Watch<'_> {
    /// Runs the schedule's ticks: the exit is the last verdict, 4 at once on ROLLBACK, or the
    /// signal's code.
    fn ticks(
        &self,
        schedule: Schedule,
        start_now: Option<f64>,
        stop: &Stop,
    ) -> Result<Exit, CliError> {
        // Each slot is evaluated at its own time: whole seconds, `every` apart, never the same
        // `evaluated_at` twice.
        let base = start_now.unwrap_or_else(|| crate::sources::clock().floor());
        let began = Instant::now();
        let mut next = Next::Run {
            slot: 0,
            late_by: 0.0,
            skipped: 0,
        };
        let mut last: Option<(u64, Verdict)> = None;
        // The stage's ledger entries, kept between ticks: each tick reads only what is new.
        let mut cache = self.args.ledger.as_deref().map(|p| {
            crate::ledger::StageCache::new(
                p,
                &crate::ledger::subject(&self.loaded.policy.id, &self.params),
                &self.args.source.env,
                &self.args.source.stage,
            )
        });
        loop {
            let (slot, late_by, skipped) = match next {
                Next::Done => break,
                Next::Wait { at } => {
                    sleep_until(began + Duration::from_secs_f64(at), stop);
                    if let Some(sig) = stop.requested() {
                        return Ok(interrupted(last.map(|l| l.0), sig));
                    }
                    let prev = last.map_or(0, |l| l.0);
                    next = schedule.next(prev, began.elapsed().as_secs_f64());
                    continue;
                }
                Next::Run {
                    slot,
                    late_by,
                    skipped,
                } => (slot, late_by, skipped),
            };
            let place = Place {
                tick: slot + 1,
                of: schedule.slots(),
                late_by: (late_by > schedule.late_after()).then_some(late_by),
                skipped,
            };
            let (d, unrecorded) = self.tick(base + schedule.at(slot), cache.as_mut())?;
            self.show(&d, &place)?;
            if d.verdict == Verdict::Rollback {
                eprintln!(
                    "ROLLBACK at tick {} (by {}): stopping the watch",
                    slot + 1,
                    rollback_by(&d).join(", ")
                );
                return Ok(Exit::Rollback);
            }
            if unrecorded {
                eprintln!(
                    "stopping the watch at tick {}: its decision could not be recorded",
                    slot + 1
                );
                return Ok(verdict_exit(d.verdict));
            }
            last = Some((slot, d.verdict));
            if let Some(sig) = stop.requested() {
                return Ok(interrupted(Some(slot), sig));
            }
            next = if start_now.is_some() {
                // Replaying history: the next slot at once.
                schedule.next(slot, schedule.at(slot + 1))
            } else {
                schedule.next(slot, began.elapsed().as_secs_f64())
            };
        }
        Ok(last.map_or(Exit::Invalid, |(_, v)| verdict_exit(v)))
    }

    /// One tick: fetch, evaluate at `now`, record. The decision (a GO the ledger could not
    /// record turned NO-GO; a retried tick's recorded verdict) and whether recording failed.
    /// `cache` holds the stage's ledger entries between ticks, so a tick reads only what is new.
    fn tick(
        &self,
        now: f64,
        cache: Option<&mut crate::ledger::StageCache>,
    ) -> Result<(Decision, bool), CliError> {
        let args = self.args;
        let mut src = args.source.clone();
        src.now = Some(now);
        let view = match (cache, args.ledger.as_deref()) {
            (Some(c), Some(path)) => c.view(now).map_err(|e| ledger_refused(path, &e))?,
            _ => ledger_view(None, &self.loaded.policy.id, &src.env, &src.stage, now)?,
        };
        // The stage's entry time comes from the cached view, not from reading the ledger again.
        if src.entered_at.is_none() {
            src.entered_at = view.entered;
        }
        let snap = super::fetch::fetched_for_watch(&src, None)?;
        let (mut d, _) =
            evaluate_fetched(&self.policy_text, &self.loaded, &snap, &src, None, &view)?;
        // The verdict is printed whatever happens to its record; a GO that cannot be recorded
        // is a NO-GO, and the watch stops after printing it.
        let recorded = record(args.ledger.as_deref(), &d);
        let unrecorded = matches!(recorded, Recorded::Failed(_));
        d.inputs.ledger_head = recorded.head();
        if let Recorded::Failed(why) = &recorded
            && d.verdict == Verdict::Go
        {
            not_recorded_is_not_go(&mut d, why);
        }
        if let Some(v) = recorded.found_verdict() {
            d.verdict = v;
        }
        Ok((d, unrecorded))
    }

    /// The tick's line (or JSON object), then the `-o` outputs.
    fn show(&self, d: &Decision, place: &Place) -> Result<(), CliError> {
        let line = match self.args.format {
            WatchFormat::Text => super::watch_tick::text(d, place),
            WatchFormat::Json => super::watch_tick::json(d, place),
        };
        let mut printed = line + "\n";
        for o in &self.args.outputs {
            let text = crate::output::format(d, o.format, false, self.template.as_ref())
                .map_err(CliError::Usage)?;
            match &o.path {
                Some(p) => crate::write::replace(p, text.as_bytes()).map_err(CliError::Usage)?,
                None => printed.push_str(&text),
            }
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(printed.as_bytes()).and_then(|()| out.flush());
        Ok(())
    }
}

/// Sleeps until `until`, waking early when a signal asks to stop.
fn sleep_until(until: Instant, stop: &Stop) {
    while stop.requested().is_none() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// The exit of a watch a signal stopped: it says so, and the last decision is recorded.
fn interrupted(last_slot: Option<u64>, sig: i32) -> Exit {
    match last_slot {
        Some(s) => eprintln!("interrupted after tick {}; its decision is recorded", s + 1),
        None => eprintln!("interrupted before the first tick"),
    }
    Exit::from_signal(sig)
}
