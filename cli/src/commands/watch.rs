//! `rollgate watch`: seed 004's post-promotion monitor. Fetches and evaluates every `--every`
//! for `--for`, appends each decision to the ledger, prints a line per tick; exits 4 at once
//! on ROLLBACK, otherwise with the last verdict when the period ends. Ctrl-C stops it
//! cleanly after the tick in progress, its decision recorded. With `--now`, the ticks are
//! `now`, `now + every`, ... evaluated back to back (replaying history, or testing a policy).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rollgate_engine::decision::{Inputs, Verdict};
use rollgate_engine::eval::EvalContext;

use super::conclude::{Recorded, not_recorded_is_not_go, record};
use super::eval::{duration_flag, identify, ledger_view, time_flag, verdict_exit};
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
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        stop.store(true, Ordering::SeqCst);
                    }
                });
            }
        });
    }
    let ticks = (total / every).floor().max(0.0) as u64 + 1;
    let began = Instant::now();
    let mut last = None;
    for i in 0..ticks {
        let now =
            start_now.map_or_else(|| crate::sources::clock().floor(), |s| s + i as f64 * every);
        let mut src = args.source.clone();
        src.now = Some(rollgate_engine::snapshot::format_time(now));
        let snap = match super::fetch::fetched_for_watch(&src, args.ledger.as_deref()) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let view = match ledger_view(
            args.ledger.as_deref(),
            &loaded.policy.id,
            &src.env,
            &src.stage,
            now,
        ) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let bytes = rollgate_engine::snapshot::to_json(&snap).into_bytes();
        let mut cx = EvalContext {
            environment: src.env.clone(),
            stage: src.stage.clone(),
            now,
            entered_at: snap.stage_entered_at,
            owner: None,
            inputs: Inputs {
                policy_sha256: crate::files::sha256_hex(policy_text.as_bytes()),
                snapshot_sha256: crate::files::sha256_hex(&bytes),
                rollgate_version: rollgate_engine::VERSION.to_owned(),
                policy_path: Some(src.policy.display().to_string()),
                snapshot_path: None,
                evaluation_id: None,
            },
        };
        identify(&mut cx, &crate::identity::fetched_snapshot(&snap), &view);
        let mut d = match rollgate_engine::eval::evaluate_with_history(
            &loaded.policy,
            &snap,
            &cx,
            &view.history,
        ) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Invalid;
            }
        };
        // The verdict is printed whatever happens to its record; a GO that cannot be
        // recorded is a NO-GO, and the watch stops after printing it.
        let recorded = record(args.ledger.as_deref(), &d);
        let unrecorded = matches!(recorded, Recorded::Failed(_));
        if let Recorded::Failed(why) = &recorded
            && d.verdict == Verdict::Go
        {
            not_recorded_is_not_go(&mut d, why);
        }
        if let Some(v) = recorded.found_verdict() {
            d.verdict = v;
        }
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
