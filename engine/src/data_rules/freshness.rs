//! Staleness: a series is stale when its newest non-NaN sample at or before `now` is older
//! than its limit. The limit is the policy's `max_age` (the gate's own, else `defaults`), or,
//! where the policy sets none, one derived from the series' own schedule: 3 x the median
//! spacing of its samples in the window, at least 1m, and 5m for a single sample. A series that
//! stopped reporting a month ago must not pass on its last value because nobody wrote a limit.

use crate::format::human;
use crate::policy::model::MaxAge;

/// The least a derived limit can be: a scrape every few seconds still gets a minute.
const DERIVED_FLOOR_S: f64 = 60.0;
/// The derived limit of a series with a single sample in the window: no spacing to go by.
const SINGLE_SAMPLE_S: f64 = 300.0;

/// The staleness limit in force for one series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Limit {
    pub seconds: f64,
    /// How a derived limit was found, in words; None for a limit written in the policy.
    pub derived: Option<String>,
}

/// The limit for a series whose non-NaN samples in the window are at `times` (sorted); None
/// when staleness is not checked (`max_age: none`), or when a derived limit has nothing to
/// go by (no sample in the window: `min_samples` makes that series inconclusive anyway).
pub(crate) fn limit(rule: MaxAge, times: &[f64]) -> Option<Limit> {
    match rule {
        MaxAge::Limit(d) => Some(Limit {
            seconds: d.seconds as f64,
            derived: None,
        }),
        MaxAge::Unchecked => None,
        MaxAge::Derived => derived(times),
    }
}

/// 3 x the median spacing of `times`, at least 1m; 5m for a single sample.
pub(crate) fn derived(times: &[f64]) -> Option<Limit> {
    match times.len() {
        0 => None,
        1 => Some(Limit {
            seconds: SINGLE_SAMPLE_S,
            derived: Some("derived: a single sample in the window".into()),
        }),
        n => {
            let mut gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
            gaps.sort_by(f64::total_cmp);
            let m = n - 1;
            let median = if m % 2 == 1 {
                gaps[m / 2]
            } else {
                (gaps[m / 2 - 1] + gaps[m / 2]) / 2.0
            };
            Some(Limit {
                seconds: (3.0 * median).max(DERIVED_FLOOR_S),
                derived: Some(format!(
                    "derived: 3 x the median spacing {} of the samples in the window, at least 1m",
                    spacing(median)
                )),
            })
        }
    }
}

/// Why the series is stale (`the newest sample is 7d old; max_age is 3m (derived: ...)`), or
/// None when it is fresh.
pub(crate) fn stale(limit: &Limit, newest: Option<f64>, now: f64) -> Option<String> {
    let age = newest.map(|t| now - t);
    if age.is_some_and(|a| a <= limit.seconds) {
        return None;
    }
    let rule = match &limit.derived {
        Some(why) => format!(
            "`max_age` is {} ({why})",
            human(limit.seconds.round() as i64)
        ),
        None => format!("`max_age` is {}", human(limit.seconds.round() as i64)),
    };
    Some(match age {
        Some(a) => format!(
            "the newest sample is {} old; {rule}",
            human(a.round() as i64)
        ),
        None => format!("no sample at or before now; {rule}"),
    })
}

/// A spacing in words: `1m`, `15s`, or `0.5s` below a second.
fn spacing(seconds: f64) -> String {
    if seconds >= 1.0 && seconds.fract() == 0.0 {
        human(seconds as i64)
    } else {
        format!("{}s", crate::format::fmt_num(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::duration::Duration;

    #[test]
    fn derives_three_median_spacings_at_least_a_minute() {
        // Spacings 60, 60, 600: the median is 60, so 180 s; one late scrape does not widen it.
        let l = derived(&[0.0, 60.0, 120.0, 720.0]).unwrap();
        assert_eq!(l.seconds, 180.0);
        assert_eq!(
            l.derived.as_deref(),
            Some("derived: 3 x the median spacing 1m of the samples in the window, at least 1m")
        );
        // An even number of gaps takes the middle two: (10 + 30) / 2 = 20 -> 60 (the floor).
        assert_eq!(derived(&[0.0, 10.0, 40.0]).unwrap().seconds, 60.0);
        // Hourly data gets 3h.
        assert_eq!(derived(&[0.0, 3600.0, 7200.0]).unwrap().seconds, 10_800.0);
        assert_eq!(derived(&[5.0]).unwrap().seconds, 300.0);
        assert_eq!(derived(&[]), None);
        assert_eq!(spacing(0.5), "0.5s");
    }

    #[test]
    fn limits_follow_the_rule() {
        let five = MaxAge::Limit(Duration { seconds: 300 });
        assert_eq!(limit(five, &[]).unwrap().seconds, 300.0);
        assert_eq!(limit(MaxAge::Unchecked, &[0.0, 1.0]), None);
        assert_eq!(limit(MaxAge::Derived, &[0.0]).unwrap().seconds, 300.0);
    }

    #[test]
    fn says_the_age_and_the_limit() {
        let l = derived(&[0.0, 60.0, 120.0]).unwrap();
        let week = 7.0 * 86_400.0;
        assert_eq!(
            stale(&l, Some(120.0), 120.0 + week).unwrap(),
            "the newest sample is 7d old; `max_age` is 3m (derived: 3 x the median spacing 1m of the samples in the window, at least 1m)"
        );
        assert_eq!(stale(&l, Some(120.0), 300.0), None, "exactly at the limit");
        assert!(stale(&l, Some(120.0), 300.5).is_some());
        assert!(
            stale(&l, None, 0.0)
                .unwrap()
                .starts_with("no sample at or before now")
        );
    }
}
