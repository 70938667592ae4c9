//! Business time: only time that falls on business days (not weekend, not holiday) in the
//! calendar's zone counts. `Nbd` has elapsed when the counted time reaches N x 24 h, so a
//! stage entered Friday 10:00 with `1bd` may go Monday 10:00. Days are cut at local
//! midnight by jiff, so a 23 h or 25 h day around a DST change counts its real length.

use jiff::civil::Date;
use jiff::{Timestamp, Zoned};

use crate::policy::model::Calendar;
use crate::policy::model::Weekday;

/// Longest span walked, in days: a hold cannot need more (3,650 business days is the
/// largest hold the language accepts, and weekends and holidays at most triple it).
const MAX_DAYS: usize = 12_000;

impl Calendar {
    /// An instant written in the policy: a date (its midnight in the calendar's zone), a
    /// local time of the zone (`2027-01-15T09:00`), or a time with an offset or `Z`. Unix
    /// seconds; Err says why the text is none of these.
    pub fn instant(&self, text: &str) -> Result<f64, String> {
        let text = text.trim();
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Ok(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) / 1e9);
        }
        // jiff reads a date out of a datetime too, so the form is told by the text's length.
        let local = if text.len() == 10 {
            text.parse::<Date>()
                .map(|date| date.to_datetime(jiff::civil::Time::midnight()))
        } else {
            text.parse::<jiff::civil::DateTime>()
        };
        let local = local.map_err(|_| {
            format!("`{text}` is not a date (`2027-01-15`) or a time (`2027-01-15T09:00`, or with an offset `2027-01-15T09:00:00Z`) that exists")
        })?;
        let zoned = local
            .to_zoned(self.timezone.clone())
            .map_err(|e| format!("`{text}` is not a time in {}: {e}", self.timezone_name))?;
        Ok(zoned.timestamp().as_second() as f64)
    }

    /// Whether `date` is a business day.
    pub fn is_business_day(&self, date: Date) -> bool {
        !self.weekend.contains(&weekday(date)) && self.holidays.binary_search(&date).is_err()
    }

    /// Business seconds in [from, to) (0 when to <= from).
    pub fn business_seconds(&self, from: f64, to: f64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let mut total = 0.0;
        self.walk(from, |start, end, business| {
            if start >= to {
                return true;
            }
            if business {
                total += end.min(to) - start;
            }
            false
        });
        total
    }

    /// The instant at which `seconds` of business time have passed since `from`.
    pub fn add_business_seconds(&self, from: f64, seconds: f64) -> Option<f64> {
        if seconds <= 0.0 {
            return Some(from);
        }
        let mut left = seconds;
        let mut at = None;
        self.walk(from, |start, end, business| {
            if business {
                let span = end - start;
                if span >= left {
                    at = Some(start + left);
                    return true;
                }
                left -= span;
            }
            false
        });
        at
    }

    /// Calls `f(start, end, is_business)` for each local day piece from `from` onwards,
    /// until `f` returns true or MAX_DAYS have passed.
    fn walk(&self, from: f64, mut f: impl FnMut(f64, f64, bool) -> bool) {
        let Ok(ts) = Timestamp::from_second(from.floor() as i64) else {
            return;
        };
        let zoned: Zoned = ts.to_zoned(self.timezone.clone());
        let mut date = zoned.date();
        let mut start = from;
        for _ in 0..MAX_DAYS {
            let Ok(next) = date.tomorrow() else { return };
            let Ok(next_start) = next.to_zoned(self.timezone.clone()) else {
                return;
            };
            let end = next_start.timestamp().as_second() as f64;
            if f(start, end, self.is_business_day(date)) {
                return;
            }
            date = next;
            start = end;
        }
    }
}

/// The policy's name for the day of the week `date` falls on.
pub(crate) fn weekday(date: Date) -> Weekday {
    match date.weekday() {
        jiff::civil::Weekday::Monday => Weekday::Mon,
        jiff::civil::Weekday::Tuesday => Weekday::Tue,
        jiff::civil::Weekday::Wednesday => Weekday::Wed,
        jiff::civil::Weekday::Thursday => Weekday::Thu,
        jiff::civil::Weekday::Friday => Weekday::Fri,
        jiff::civil::Weekday::Saturday => Weekday::Sat,
        jiff::civil::Weekday::Sunday => Weekday::Sun,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_read_in_the_calendar_zone() {
        let cal = Calendar {
            timezone: jiff::tz::TimeZone::get("America/New_York").unwrap(),
            timezone_name: "America/New_York".into(),
            ..Calendar::default()
        };
        // 2027-01-15 00:00 EST is 05:00 UTC.
        assert_eq!(cal.instant("2027-01-15"), Ok(1_799_989_200.0));
        assert_eq!(cal.instant("2027-01-15T09:00"), Ok(1_800_021_600.0));
        assert_eq!(cal.instant("2027-01-15 09:00:30"), Ok(1_800_021_630.0));
        assert_eq!(cal.instant("2027-01-15T09:00:00Z"), Ok(1_800_003_600.0));
        assert_eq!(
            cal.instant("2027-01-15T09:00:00+01:00"),
            Ok(1_800_000_000.0)
        );
        assert!(cal.instant("2027-02-30").is_err());
        assert!(cal.instant("soon").is_err());
    }
    use crate::snapshot::parse_time;

    fn ny(holidays: &[&str]) -> Calendar {
        Calendar {
            timezone: jiff::tz::db().get("America/New_York").unwrap(),
            timezone_name: "America/New_York".into(),
            weekend: vec![Weekday::Sat, Weekday::Sun],
            holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
            ..Calendar::default()
        }
    }

    fn t(s: &str) -> f64 {
        parse_time(s).unwrap()
    }

    #[test]
    fn friday_to_monday_is_one_business_day() {
        let cal = ny(&[]);
        // Friday 2026-11-20 10:00 New York (15:00Z) -> Monday 2026-11-23 10:00 (15:00Z).
        let from = t("2026-11-20T15:00:00Z");
        let at = cal.add_business_seconds(from, 86_400.0).unwrap();
        assert_eq!(at, t("2026-11-23T15:00:00Z"));
        assert_eq!(cal.business_seconds(from, at), 86_400.0);
        assert_eq!(
            cal.business_seconds(from, t("2026-11-22T15:00:00Z")),
            14.0 * 3600.0
        );
    }

    #[test]
    fn a_holiday_monday_moves_it_to_tuesday() {
        let cal = ny(&["2026-11-23"]);
        let at = cal
            .add_business_seconds(t("2026-11-20T15:00:00Z"), 86_400.0)
            .unwrap();
        assert_eq!(at, t("2026-11-24T15:00:00Z"));
    }

    #[test]
    fn counts_real_hours_across_dst() {
        let cal = ny(&[]);
        // DST ends Sunday 2026-11-01 (25 h day, a weekend). Use spring: DST starts Sunday
        // 2026-03-08. Entered Friday 2026-03-06 10:00 EST (15:00Z); Monday 10:00 EDT is 14:00Z.
        let at = cal
            .add_business_seconds(t("2026-03-06T15:00:00Z"), 86_400.0)
            .unwrap();
        assert_eq!(at, t("2026-03-09T14:00:00Z"));
        // A weekday calendar with no weekend: Sunday 2026-03-08 is 23 h long.
        let all_week = Calendar {
            weekend: vec![],
            ..ny(&[])
        };
        let day = all_week.business_seconds(t("2026-03-08T05:00:00Z"), t("2026-03-09T04:00:00Z"));
        assert_eq!(day, 23.0 * 3600.0);
    }

    #[test]
    fn nothing_before_entry() {
        let cal = ny(&[]);
        assert_eq!(cal.business_seconds(10.0, 5.0), 0.0);
        assert_eq!(cal.add_business_seconds(10.0, 0.0), Some(10.0));
    }
}
