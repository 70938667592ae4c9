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
}

/// The samples of `series` in `window` at `now`:
/// a duration d reads (now - d, now]; `N checks` the last N at or before now; `stage` those
/// at or after the entry time; `All` everything up to now.
pub fn cut(
    series: &Series,
    window: Window,
    now: f64,
    entered_at: Option<f64>,
) -> Result<Cut<'_>, WindowError> {
    let r = range(&series.times, window, now, entered_at)?;
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
    entered_at: Option<f64>,
) -> Result<std::ops::Range<usize>, WindowError> {
    let end = times.partition_point(|t| *t <= now);
    let start = match window {
        Window::Duration(d) => {
            let from = now - d.seconds as f64;
            times[..end].partition_point(|t| *t <= from)
        }
        Window::Checks(n) => end.saturating_sub(n as usize),
        Window::Stage => {
            let entered = entered_at.ok_or(WindowError::StageEntryUnknown)?;
            times[..end].partition_point(|t| *t < entered)
        }
        Window::All => 0,
    };
    Ok(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::duration::Duration;

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
        assert_eq!(cut(&s, d(20), 40.0, None).unwrap().values, &[3.0, 4.0]);
        // A sample exactly at now is read; one exactly at now - d is not.
        assert_eq!(cut(&s, d(10), 50.0, None).unwrap().values, &[5.0]);
        assert_eq!(
            cut(&s, d(1000), 35.0, None).unwrap().values,
            &[1.0, 2.0, 3.0]
        );
        assert!(cut(&s, d(5), 5.0, None).unwrap().values.is_empty());
    }

    #[test]
    fn checks_stage_and_all() {
        let s = series();
        assert_eq!(
            cut(&s, Window::Checks(2), 45.0, None).unwrap().values,
            &[3.0, 4.0]
        );
        assert_eq!(
            cut(&s, Window::Checks(9), 25.0, None).unwrap().values,
            &[1.0, 2.0]
        );
        assert_eq!(
            cut(&s, Window::Stage, 50.0, Some(30.0)).unwrap().values,
            &[3.0, 4.0, 5.0]
        );
        assert_eq!(
            cut(&s, Window::Stage, 50.0, None),
            Err(WindowError::StageEntryUnknown)
        );
        assert_eq!(
            cut(&s, Window::All, 30.0, None).unwrap().times,
            &[10.0, 20.0, 30.0]
        );
    }
}
