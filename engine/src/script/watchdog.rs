//! The script watchdog: the one non-determinism backstop of evaluation.
//!
//! What a script computes never depends on time, and in practice the operation limit
//! (`Limits::max_operations`) is what stops a runaway script, deterministically. Some
//! operations are slow without being many (growing a large map, a long string), so a
//! wall-clock bound (`Limits::watchdog`) backs the operation limit up. It is the only place an
//! evaluation can depend on time, and it can only stop a script (status `error`, which
//! blocks), never change what a script computes.
//!
//! The engine reads no clock of its own: the caller injects one (`Clock`). The CLI passes a
//! monotonic clock; tests pass a fake one, so a test trips the watchdog at a known operation
//! count. Without a clock there is no watchdog, and the operation limit alone bounds scripts.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

/// A monotonic clock provided by the engine's caller.
pub trait Clock: std::fmt::Debug + Send + Sync {
    /// Time since an arbitrary fixed origin; never goes backwards.
    fn now(&self) -> Duration;
}

/// The clock an evaluation may use for the watchdog (`None`: no watchdog).
pub type SharedClock = Arc<dyn Clock>;

/// Operations between two readings of the clock (reading it on every operation would cost
/// more than the scripts).
pub const CHECK_EVERY: u64 = 1024;

/// A script stopped by a limit, with the numbers that say how far it got.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    /// More operations than `Limits::max_operations`: what stops a runaway script in practice.
    #[error("the script ran too long (more than {limit} operations)")]
    Operations { limit: u64 },
    /// More time than `Limits::watchdog` passed on the injected clock before the operation
    /// limit was reached.
    #[error(
        "the script ran past the wall-clock watchdog: {} elapsed, limit {}, after {operations} operations",
        ms(*elapsed),
        ms(*limit)
    )]
    Watchdog {
        limit: Duration,
        elapsed: Duration,
        operations: u64,
    },
}

/// `812 ms`, or `1.5 ms` below 10 ms.
fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{} ms", (ms * 10.0).round() / 10.0)
    } else {
        format!("{} ms", ms.round())
    }
}

/// Times one script run at a time against a limit, on the injected clock.
#[derive(Debug)]
pub struct Watchdog {
    clock: SharedClock,
    limit: Duration,
    /// The clock's reading when the current run started; `None` between runs.
    started: Cell<Option<Duration>>,
}

impl Watchdog {
    pub fn new(clock: SharedClock, limit: Duration) -> Watchdog {
        Watchdog {
            clock,
            limit,
            started: Cell::new(None),
        }
    }

    /// A script run begins.
    pub fn start(&self) {
        self.started.set(Some(self.clock.now()));
    }

    /// The run ended: nothing is timed until the next `start`.
    pub fn stop(&self) {
        self.started.set(None);
    }

    /// The breach, if the current run has passed the limit after `operations` operations.
    pub fn check(&self, operations: u64) -> Option<Breach> {
        let started = self.started.get()?;
        let elapsed = self.clock.now().saturating_sub(started);
        (elapsed > self.limit).then_some(Breach::Watchdog {
            limit: self.limit,
            elapsed,
            operations,
        })
    }
}

/// A fake clock for tests: each reading is `step` later than the one before (the first is 0).
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct SteppingClock {
    step: Duration,
    readings: std::sync::atomic::AtomicU32,
}

#[cfg(test)]
impl SteppingClock {
    pub(crate) fn shared(step: Duration) -> SharedClock {
        Arc::new(SteppingClock {
            step,
            readings: Default::default(),
        })
    }
}

#[cfg(test)]
impl Clock for SteppingClock {
    fn now(&self) -> Duration {
        let n = self
            .readings
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.step * n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_only_past_the_limit_and_only_while_running() {
        let dog = Watchdog::new(
            SteppingClock::shared(Duration::from_millis(300)),
            Duration::from_millis(750),
        );
        assert_eq!(dog.check(1), None, "not running: nothing to time");
        dog.start(); // reading 0 ms
        assert_eq!(dog.check(1024), None); // 300 ms
        assert_eq!(dog.check(2048), None); // 600 ms
        assert_eq!(
            dog.check(3072), // 900 ms
            Some(Breach::Watchdog {
                limit: Duration::from_millis(750),
                elapsed: Duration::from_millis(900),
                operations: 3072,
            })
        );
        dog.stop();
        assert_eq!(dog.check(4096), None);
    }

    #[test]
    fn the_breach_says_its_numbers() {
        let b = Breach::Watchdog {
            limit: Duration::from_millis(750),
            elapsed: Duration::from_micros(812_400),
            operations: 9216,
        };
        assert_eq!(
            b.to_string(),
            "the script ran past the wall-clock watchdog: 812 ms elapsed, limit 750 ms, after 9216 operations"
        );
        assert_eq!(ms(Duration::from_micros(1_540)), "1.5 ms");
        assert_eq!(
            Breach::Operations { limit: 5 }.to_string(),
            "the script ran too long (more than 5 operations)"
        );
    }
}
