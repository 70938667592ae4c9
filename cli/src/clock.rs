//! The monotonic clock the CLI gives the engine for the script watchdog (the engine reads no
//! clock of its own; see `rollgate_engine::Clock`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rollgate_engine::{Clock, SharedClock};

/// `Instant`-based: time since the clock was made, never going backwards.
#[derive(Debug)]
struct Monotonic(Instant);

impl Clock for Monotonic {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A monotonic clock for one evaluation's watchdog.
pub fn monotonic() -> SharedClock {
    Arc::new(Monotonic(Instant::now()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_goes_backwards() {
        let c = super::monotonic();
        let a = c.now();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = c.now();
        assert!(b >= a + std::time::Duration::from_millis(2), "{a:?} {b:?}");
    }
}
