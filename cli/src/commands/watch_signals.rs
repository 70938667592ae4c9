//! Stopping `watch` from outside: SIGINT (Ctrl-C) and SIGTERM (what systemd, Kubernetes and CI
//! runners send) both ask it to finish the tick in progress, record its decision and exit with
//! the signal's conventional code (130, 143); a second signal stops it at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::signal::unix::{SignalKind, signal};

/// The signal that asked the watch to stop, if any.
#[derive(Debug, Clone)]
pub struct Stop(Arc<AtomicI32>);

impl Stop {
    /// Installs the handlers before returning (a signal from then on is caught), on a thread of
    /// their own.
    pub fn install() -> Result<Stop, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the signal handler: {e}"))?;
        let (mut int, mut term) = {
            let _context = rt.enter();
            let int = signal(SignalKind::interrupt());
            let term = signal(SignalKind::terminate());
            match (int, term) {
                (Ok(i), Ok(t)) => (i, t),
                (Err(e), _) | (_, Err(e)) => {
                    return Err(format!("cannot handle SIGINT/SIGTERM: {e}"));
                }
            }
        };
        let flag = Arc::new(AtomicI32::new(0));
        let seen = flag.clone();
        std::thread::spawn(move || {
            rt.block_on(async move {
                loop {
                    let (number, name) = tokio::select! {
                        _ = int.recv() => (2, "SIGINT"),
                        _ = term.recv() => (15, "SIGTERM"),
                    };
                    if seen.swap(number, Ordering::SeqCst) != 0 {
                        eprintln!("{name} again: stopping at once");
                        std::process::exit(128 + number);
                    }
                    eprintln!(
                        "{name}: finishing the tick in progress (a second signal stops at once)"
                    );
                }
            });
        });
        Ok(Stop(flag))
    }

    /// The signal number received, once one was.
    pub fn requested(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }
}
