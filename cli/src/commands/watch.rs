//! `rollgate watch`: seed 004's post-promotion monitor. Fetches and evaluates every `--every`
//! for `--for`, appends each decision to the ledger, prints a line per tick; exits 4 at once
//! on ROLLBACK, otherwise with the last verdict when the period ends. A tick whose decision the
//! ledger cannot record is printed first, then the watch stops with its code (a GO that is not
//! recorded is a NO-GO). Ctrl-C stops it cleanly after the tick in progress, its decision
//! recorded. With `--now`, the ticks are `now`, `now + every`, ... evaluated back to back
//! (replaying history, or testing a policy).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rollgate_engine::decision::{Decision, Verdict};

use super::conclude::{Recorded, not_recorded_is_not_go, record};
use super::eval::{duration_flag, ledger_refused, ledger_view, time_flag, verdict_exit};
use super::fetch::evaluate_fetched;
use crate::args::WatchArgs;
use crate::exit::Exit;

pub fn run(args: &WatchArgs) -> Exit {
    let dur = |flag: &str, v: &str| duration_flag(flag, v).map(|s| s as f64);
    let (every, total) = match (dur("--every", &args.every), dur("--for", &args.period)) {
        (Ok(e), Ok(t)) => (e, t),
        (Err(x), _) | (_, Err(x)) => return x,
    };
    let Ok((policy_text, loaded)) = super::eval::load_policy_file(&args.source.policy) else {
        return Exit::Invalid;
    };
    // With `--now`, time is simulated from there (tests, replays of history); else the clock.
    let start_now = match &args.source.now {
        Some(t) => match time_flag("--now", t) {
            Ok(v) => Some(v),
            Err(e) => return e,
        },
        None => None,
    };
    let stop = stop_on_ctrl_c();
    let ticks = (total / every).floor().max(0.0) as u64 + 1;
    let began = Instant::now();
    let mut last = None;
    // The stage's ledger entries, kept between ticks: each tick reads only what is new.
    let mut cache = args.ledger.as_deref().map(|p| {
        crate::ledger::StageCache::new(p, &loaded.policy.id, &args.source.env, &args.source.stage)
    });
    for i in 0..ticks {
        let now =
            start_now.map_or_else(|| crate::sources::clock().floor(), |s| s + i as f64 * every);
        let (d, unrecorded) = match tick(args, &policy_text, &loaded, now, cache.as_mut()) {
            Ok(x) => x,
            Err(e) => return e,
        };
        let failing: Vec<&str> = d
            .gates
            .iter()
            .filter(|g| g.status != rollgate_engine::decision::GateStatus::Pass)
            .map(|g| g.id.as_str())
            .collect();
        println!(
            "tick {}/{ticks} {} {:<8} {}",
            i + 1,
            d.evaluated_at,
            d.verdict.label(),
            if failing.is_empty() {
                "all gates pass".to_owned()
            } else {
                format!("not passing: {}", failing.join(", "))
            }
        );
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let verdict = d.verdict;
        last = Some(verdict);
        if verdict == Verdict::Rollback {
            eprintln!("ROLLBACK at tick {}: stopping the watch", i + 1);
            return Exit::Rollback;
        }
        if unrecorded {
            eprintln!(
                "stopping the watch at tick {}: its decision could not be recorded",
                i + 1
            );
            return verdict_exit(verdict);
        }
        if stop.load(Ordering::SeqCst) {
            eprintln!(
                "interrupted after tick {}; the last decision is recorded",
                i + 1
            );
            break;
        }
        // With `--now` the ticks are moments of history being replayed: no waiting.
        if i + 1 < ticks && start_now.is_none() {
            // Sleep until the next tick, waking early on Ctrl-C.
            let next = began + Duration::from_secs_f64(every * (i + 1) as f64);
            while Instant::now() < next && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(
                    Duration::from_millis(50).min(next.saturating_duration_since(Instant::now())),
                );
            }
            if stop.load(Ordering::SeqCst) {
                eprintln!(
                    "interrupted after tick {}; the last decision is recorded",
                    i + 1
                );
                break;
            }
        }
    }
    last.map_or(Exit::Invalid, verdict_exit)
}

/// A flag set by Ctrl-C.
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(async {
                if tokio::signal::ctrl_c().await.is_ok() {
                    flag.store(true, Ordering::SeqCst);
                }
            });
        }
    });
    stop
}

/// One tick: fetch, evaluate, record. The decision (a GO the ledger could not record turned
/// NO-GO; a retried tick's recorded verdict) and whether recording failed.
fn tick(
    args: &WatchArgs,
    policy_text: &str,
    loaded: &rollgate_engine::load::Loaded,
    now: f64,
    cache: Option<&mut crate::ledger::StageCache>,
) -> Result<(Decision, bool), Exit> {
    let mut src = args.source.clone();
    src.now = Some(rollgate_engine::snapshot::format_time(now));
    let view = match (cache, args.ledger.as_deref()) {
        (Some(c), Some(path)) => c.view(now).map_err(|e| ledger_refused(path, &e))?,
        _ => ledger_view(None, &loaded.policy.id, &src.env, &src.stage, now)?,
    };
    // The stage's entry time comes from the cached view, not from reading the ledger again.
    if src.entered_at.is_none() {
        src.entered_at = view.entered.map(rollgate_engine::snapshot::format_time);
    }
    let snap = super::fetch::fetched_for_watch(&src, None)?;
    let (mut d, _) = evaluate_fetched(policy_text, loaded, &snap, &src, None, &view)?;
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
