//! Cutting a series to a gate's window by binary search on its sorted times. Samples after
//! `now` are never read.

use crate::policy::window::Window;
use crate::snapshot::Series;

/// The part of a series a gate reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cut<'a> {
    pub times: &'a [f64],
    pub values: &'a [f64],
}

/// Why a window could not be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("the window is `stage` but the time the stage was entered is unknown")]
    StageEntryUnknown,
    #[error(
        "the window is `rollout` but the time the rollout started is unknown: pass `--rollout-started-at`, record an `enter` of the first stage in the ledger, or set `rollout_started_at` in the snapshot"
    )]
    RolloutStartUnknown,
}

/// The instants windows start from, besides `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Anchors {
    /// When the stage was entered.
    pub entered_at: Option<f64>,
    /// When the environment entered the policy's first stage.
    pub rollout_started_at: Option<f64>,
}

/// The samples of `series` in `window` at `now`:
/// a duration d reads (now - d, now]; `N checks` the last N at or before now; `stage` those
/// at or after the entry time; `All` everything up to now.
pub fn cut(
    series: &Series,
    window: Window,
    now: f64,
    anchors: Anchors,
) -> Result<Cut<'_>, WindowError> {
    let r = range(&series.times, window, now, anchors)?;
    Ok(Cut {
        times: &series.times[r.clone()],
        values: &series.values[r],
    })
}

/// The index range of `cut` over sorted times.
pub fn range(
    times: &[f64],
    window: Window,
    now: f64,
    anchors: Anchors,
) -> Result<std::ops::Range<usize>, WindowError> {
    let end = times.partition_point(|t| *t <= now);
    let start = match window {
        Window::Duration(d) => {
            let from = now - d.seconds as f64;
            times[..end].partition_point(|t| *t <= from)
        }
        Window::Checks(n) => end.saturating_sub(n as usize),
        Window::Stage => {
            let entered = anchors.entered_at.ok_or(WindowError::StageEntryUnknown)?;
            times[..end].partition_point(|t| *t < entered)
        }
        Window::Rollout => {
            let started = anchors
                .rollout_started_at
                .ok_or(WindowError::RolloutStartUnknown)?;
            times[..end].partition_point(|t| *t < started)
        }
        Window::All => 0,
    };
    Ok(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::duration::Duration;

    fn stage_at(t: f64) -> Anchors {
        Anchors {
            entered_at: Some(t),
            rollout_started_at: None,
        }
    }

    /// `rollout` reads from the rollout's start, across stages; unknown is an error.
    #[test]
    fn rollout_windows_start_at_the_rollout() {
        let s = series();
        let a = Anchors {
            entered_at: Some(40.0),
            rollout_started_at: Some(20.0),
        };
        assert_eq!(
            cut(&s, Window::Rollout, 50.0, a).unwrap().values,
            &[2.0, 3.0, 4.0, 5.0]
        );
        assert_eq!(
            cut(&s, Window::Rollout, 50.0, stage_at(40.0)),
            Err(WindowError::RolloutStartUnknown)
        );
    }

    fn series() -> Series {
        Series::new(
            Default::default(),
            vec![10.0, 20.0, 30.0, 40.0, 50.0],
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
        )
    }

    #[test]
    fn duration_windows_are_half_open() {
        let s = series();
        let d = |secs| Window::Duration(Duration { seconds: secs });
        // (40 - 20, 40] = (20, 40]: 30 and 40.
        assert_eq!(
            cut(&s, d(20), 40.0, Anchors::default()).unwrap().values,
            &[3.0, 4.0]
        );
        // A sample exactly at now is read; one exactly at now - d is not.
        assert_eq!(
            cut(&s, d(10), 50.0, Anchors::default()).unwrap().values,
            &[5.0]
        );
        assert_eq!(
            cut(&s, d(1000), 35.0, Anchors::default()).unwrap().values,
            &[1.0, 2.0, 3.0]
        );
        assert!(
            cut(&s, d(5), 5.0, Anchors::default())
                .unwrap()
                .values
                .is_empty()
        );
    }

    #[test]
    fn checks_stage_and_all() {
        let s = series();
        assert_eq!(
            cut(&s, Window::Checks(2), 45.0, Anchors::default())
                .unwrap()
                .values,
            &[3.0, 4.0]
        );
        assert_eq!(
            cut(&s, Window::Checks(9), 25.0, Anchors::default())
                .unwrap()
                .values,
            &[1.0, 2.0]
        );
        assert_eq!(
            cut(&s, Window::Stage, 50.0, stage_at(30.0)).unwrap().values,
            &[3.0, 4.0, 5.0]
        );
        assert_eq!(
            cut(&s, Window::Stage, 50.0, Anchors::default()),
            Err(WindowError::StageEntryUnknown)
        );
        assert_eq!(
            cut(&s, Window::All, 30.0, Anchors::default())
                .unwrap()
                .times,
            &[10.0, 20.0, 30.0]
        );
    }
}
