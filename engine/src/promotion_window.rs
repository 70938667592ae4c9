//! When a promotion may happen: not during a freeze that covers the environment, and only
//! within the deploy hours, both read in the calendar's zone. Only a GO waits for this;
//! NO-GO and ROLLBACK never do (rolling back is always allowed).

use jiff::Timestamp;
use jiff::civil::Time;

use crate::calendar::weekday;

use crate::format::format_time;
use crate::policy::model::{Calendar, DeployHours, Freeze, Weekday};

/// Why a promotion must wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Closed<'a> {
    Freeze(&'a Freeze),
    OutsideHours,
}

/// Bound on the rules followed to find the next opening (each freeze or closed day moves it
/// forward): a policy cannot declare enough to need more.
const MAX_STEPS: usize = 10_000;

impl Calendar {
    /// Why a promotion at `t` in `env` must wait; None when it may happen.
    pub fn closed_at(&self, t: f64, env: &str) -> Option<Closed<'_>> {
        if let Some(f) = self.freezes.iter().find(|f| {
            f.from <= t
                && t < f.to
                && (f.environments.is_empty() || f.environments.iter().any(|e| e == env))
        }) {
            return Some(Closed::Freeze(f));
        }
        let hours = self.deploy_hours.as_ref()?;
        (!self.within(hours, t)).then_some(Closed::OutsideHours)
    }

    /// The first instant at or after `t` when a promotion in `env` may happen; None when
    /// there is none within reach (deploy hours on no day).
    pub fn next_open(&self, t: f64, env: &str) -> Option<f64> {
        let mut at = t;
        for _ in 0..MAX_STEPS {
            match self.closed_at(at, env) {
                None => return Some(at),
                Some(Closed::Freeze(f)) => at = f.to,
                Some(Closed::OutsideHours) => {
                    at = self.next_opening(self.deploy_hours.as_ref()?, at)?;
                }
            }
        }
        None
    }

    /// The message a HOLD gives for `closed`, with the next opening when known.
    pub fn closed_message(&self, closed: Closed<'_>, next_open: Option<f64>) -> String {
        match closed {
            Closed::Freeze(f) => format!("frozen by {} until {}", f.name, f.to_text),
            Closed::OutsideHours => {
                let h = self.deploy_hours.as_ref();
                let window = h
                    .map(|h| {
                        format!(
                            " ({} {}-{} {})",
                            days_text(&h.days),
                            clock(h.from),
                            clock(h.to),
                            self.timezone_name
                        )
                    })
                    .unwrap_or_default();
                match next_open {
                    Some(at) => format!(
                        "outside deploy hours{window}; the next window opens at {}",
                        format_time(at)
                    ),
                    None => format!("outside deploy hours{window}"),
                }
            }
        }
    }

    fn within(&self, h: &DeployHours, t: f64) -> bool {
        let Ok(ts) = Timestamp::from_second(t.floor() as i64) else {
            return false;
        };
        let local = ts.to_zoned(self.timezone.clone());
        let time = local.time();
        h.days.contains(&weekday(local.date())) && h.from <= time && time < h.to
    }

    /// The next opening of the deploy hours after `t` (which is outside them).
    fn next_opening(&self, h: &DeployHours, t: f64) -> Option<f64> {
        let ts = Timestamp::from_second(t.floor() as i64).ok()?;
        let mut date = ts.to_zoned(self.timezone.clone()).date();
        for _ in 0..8 {
            if h.days.contains(&weekday(date)) {
                let open = date
                    .to_datetime(h.from)
                    .to_zoned(self.timezone.clone())
                    .ok()?;
                let open = open.timestamp().as_second() as f64;
                if open > t {
                    return Some(open);
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

fn clock(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn days_text(days: &[Weekday]) -> String {
    if days.len() == 7 {
        return "every day".into();
    }
    days.iter()
        .map(|d| format!("{d:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::parse_time;

    fn ny() -> Calendar {
        let mut cal = Calendar {
            timezone: jiff::tz::TimeZone::get("America/New_York").unwrap(),
            timezone_name: "America/New_York".into(),
            ..Calendar::default()
        };
        cal.deploy_hours = Some(DeployHours {
            days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu],
            from: Time::new(9, 0, 0, 0).unwrap(),
            to: Time::new(16, 0, 0, 0).unwrap(),
        });
        cal.freezes.push(Freeze {
            name: "year-end".into(),
            from: cal.instant("2026-12-18T00:00").unwrap(),
            to: cal.instant("2027-01-04T00:00").unwrap(),
            to_text: "2027-01-04T00:00 America/New_York".into(),
            environments: vec!["production".into()],
        });
        cal
    }

    fn t(s: &str) -> f64 {
        parse_time(s).unwrap()
    }

    #[test]
    fn deploy_hours_are_local_and_end_exclusive() {
        let cal = ny();
        // Thursday 2026-12-03: 09:00 EST is 14:00 UTC, 16:00 EST is 21:00 UTC.
        assert_eq!(cal.closed_at(t("2026-12-03T14:00:00Z"), "production"), None);
        assert_eq!(cal.closed_at(t("2026-12-03T20:59:59Z"), "production"), None);
        assert_eq!(
            cal.closed_at(t("2026-12-03T21:00:00Z"), "production"),
            Some(Closed::OutsideHours)
        );
        assert_eq!(
            cal.closed_at(t("2026-12-03T13:59:59Z"), "production"),
            Some(Closed::OutsideHours)
        );
        // Thursday 16:00 opens next on Monday 09:00.
        assert_eq!(
            cal.next_open(t("2026-12-03T21:00:00Z"), "production"),
            Some(t("2026-12-07T14:00:00Z"))
        );
        // Friday is not a deploy day.
        assert_eq!(
            cal.closed_at(t("2026-12-04T15:00:00Z"), "production"),
            Some(Closed::OutsideHours)
        );
    }

    #[test]
    fn a_freeze_covers_its_environments_and_the_next_window_follows_it() {
        let cal = ny();
        let inside = t("2026-12-21T15:00:00Z"); // a Monday, within hours, in the freeze
        assert!(
            matches!(cal.closed_at(inside, "production"), Some(Closed::Freeze(f)) if f.name == "year-end")
        );
        assert_eq!(
            cal.closed_at(inside, "staging"),
            None,
            "staging is not frozen"
        );
        // The freeze ends Monday 2027-01-04 00:00 local; the hours open at 09:00 that day.
        assert_eq!(
            cal.next_open(inside, "production"),
            Some(t("2027-01-04T14:00:00Z"))
        );
        assert_eq!(
            cal.closed_message(cal.closed_at(inside, "production").unwrap(), None),
            "frozen by year-end until 2027-01-04T00:00 America/New_York"
        );
    }

    #[test]
    fn hours_follow_daylight_saving_time() {
        let cal = ny();
        // Monday 2027-03-15 (EDT, UTC-4): 09:00 local is 13:00 UTC.
        assert_eq!(cal.closed_at(t("2027-03-15T13:00:00Z"), "production"), None);
        assert_eq!(
            cal.closed_at(t("2027-03-15T12:59:00Z"), "production"),
            Some(Closed::OutsideHours)
        );
    }
}
