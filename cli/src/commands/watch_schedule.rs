//! When `watch` ticks. The period (`--for`) bounds wall time: slots are `0, every, 2 every,
//! ...` up to the period's end, a tick that would start after the end does not start, a tick
//! that starts well after its slot is reported late, and after a stall (a slow fetch, a
//! suspended process) the missed slots are skipped, never run back to back.

/// The slots of one watch.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Seconds between slots (> 0).
    pub every: f64,
    /// Seconds the watch lasts.
    pub period: f64,
}

/// What to do after a tick, at `elapsed` seconds since the watch began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    /// Wait until `at` (seconds since the start), then ask again.
    Wait { at: f64 },
    /// Run slot `slot` now, `late_by` seconds after its time, `skipped` slots after the last.
    Run {
        slot: u64,
        late_by: f64,
        skipped: u64,
    },
    /// The period is over.
    Done,
}

impl Schedule {
    /// Slots in the period (the first at 0, the last at or before its end).
    pub fn slots(&self) -> u64 {
        (self.period / self.every).floor().max(0.0) as u64 + 1
    }

    /// The time of a slot, in seconds since the start.
    pub fn at(&self, slot: u64) -> f64 {
        slot as f64 * self.every
    }

    /// After slot `last` ran, at `elapsed`: wait for the next slot, run the latest slot that
    /// is due (skipping older ones), or stop.
    pub fn next(&self, last: u64, elapsed: f64) -> Next {
        let next = last + 1;
        // The last slot is the period's end: a tick waking for it a moment late still runs.
        if next >= self.slots() || elapsed > self.period + self.late_after() {
            return Next::Done;
        }
        if elapsed < self.at(next) {
            return Next::Wait { at: self.at(next) };
        }
        let due = ((elapsed / self.every).floor() as u64).clamp(next, self.slots() - 1);
        Next::Run {
            slot: due,
            late_by: elapsed - self.at(due),
            skipped: due - next,
        }
    }

    /// How far behind its slot a tick may start before it is reported late: a tenth of the
    /// interval, at most a second.
    pub fn late_after(&self) -> f64 {
        (self.every / 10.0).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schedule = Schedule {
        every: 1.0,
        period: 10.0,
    };

    #[test]
    fn slots_cover_the_period() {
        assert_eq!(S.slots(), 11);
        let s = Schedule {
            every: 30.0,
            period: 600.0,
        };
        assert_eq!(s.slots(), 21);
        let s = Schedule {
            every: 7.0,
            period: 10.0,
        };
        assert_eq!(s.slots(), 2);
    }

    #[test]
    fn on_time_ticks_wait_for_their_slot() {
        assert_eq!(S.next(0, 0.2), Next::Wait { at: 1.0 });
        assert_eq!(
            S.next(0, 1.0),
            Next::Run {
                slot: 1,
                late_by: 0.0,
                skipped: 0
            }
        );
    }

    /// A 2.5 s tick every 1 s: the next tick runs at once for the latest due slot, late, and
    /// the slot it ran past is skipped.
    #[test]
    fn slow_ticks_skip_what_they_missed() {
        assert_eq!(
            S.next(0, 2.5),
            Next::Run {
                slot: 2,
                late_by: 0.5,
                skipped: 1
            }
        );
        // Suspended for about 6 s after slot 2: one tick, for slot 9; 3 to 8 are skipped.
        assert_eq!(
            S.next(2, 9.3),
            Next::Run {
                slot: 9,
                late_by: 9.3 - 9.0,
                skipped: 6
            }
        );
    }

    /// `--for` bounds wall time: a tick that would start after the period does not start.
    #[test]
    fn nothing_starts_after_the_period() {
        assert_eq!(S.next(9, 10.5), Next::Done);
        assert_eq!(S.next(10, 10.0), Next::Done);
        assert_eq!(
            S.next(9, 10.0),
            Next::Run {
                slot: 10,
                late_by: 0.0,
                skipped: 0
            }
        );
        assert_eq!(S.next(2, 12.0), Next::Done);
        // Waking for the last slot a moment after the period's end: still on time.
        assert_eq!(
            S.next(9, 10.05),
            Next::Run {
                slot: 10,
                late_by: 10.05 - 10.0,
                skipped: 0
            }
        );
    }
}
