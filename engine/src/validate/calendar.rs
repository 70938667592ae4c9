//! Validation of the calendar: the time zone, weekend and holidays of business-day holds, and
//! the deploy hours and freezes that keep a GO waiting.

use super::Sink;
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::{Calendar, DeployHours, Freeze, Weekday};
use crate::policy::raw::{RawCalendar, RawDeployHours, RawFreeze};

/// The calendar: zone, weekend, holidays, deploy hours and freezes.
pub(super) fn check(raw: Option<&RawCalendar>, envs: &[String], sink: &mut Sink<'_>) -> Calendar {
    let mut cal = Calendar::default();
    let Some(raw) = raw else { return cal };
    if let Some(name) = &raw.timezone {
        match jiff::tz::db().get(name) {
            Ok(tz) => {
                cal.timezone = tz;
                cal.timezone_name = name.clone();
            }
            Err(_) => {
                let names: Vec<String> =
                    jiff::tz::db().available().map(|n| n.to_string()).collect();
                sink.error_help(
                    Code::InvalidValue,
                    "/calendar/timezone",
                    format!(
                        "unknown time zone `{name}` (an IANA name like `America/New_York` or `UTC`)"
                    ),
                    did_you_mean(name, names.iter().map(String::as_str)),
                );
            }
        }
    }
    if let Some(w) = &raw.weekend {
        cal.weekend = w.clone();
        if w.len() >= 7 {
            sink.error(
                Code::InvalidValue,
                "/calendar/weekend",
                "every day is a weekend day: business-day holds could never elapse",
            );
        }
    }
    for (i, d) in raw.holidays.iter().enumerate() {
        match d.0.parse::<jiff::civil::Date>() {
            Ok(date) => cal.holidays.push(date),
            Err(_) => sink.error(
                Code::InvalidValue,
                &format!("/calendar/holidays/{i}"),
                format!("`{}` is not a real date{}", d.0, why_not_a_date(&d.0)),
            ),
        }
    }
    cal.holidays.sort();
    cal.holidays.dedup();
    if let Some(h) = &raw.deploy_hours {
        cal.deploy_hours = deploy_hours(h, sink);
    }
    for (i, f) in raw.freezes.iter().enumerate() {
        if let Some(f) = freeze(f, &format!("/calendar/freezes/{i}"), &cal, envs, sink) {
            cal.freezes.push(f);
        }
    }
    cal
}

/// Deploy hours: an opening before the closing, on some days.
fn deploy_hours(h: &RawDeployHours, sink: &mut Sink<'_>) -> Option<DeployHours> {
    let time = |text: &str, at: &str, sink: &mut Sink<'_>| match text.parse::<jiff::civil::Time>() {
        Ok(t) => Some(t),
        Err(_) => {
            sink.error(
                Code::BadFormat,
                at,
                format!("`{text}` is not a time of day like `09:00`"),
            );
            None
        }
    };
    let from = time(&h.from, "/calendar/deploy_hours/from", sink);
    let to = time(&h.to, "/calendar/deploy_hours/to", sink);
    let (from, to) = (from?, to?);
    if from >= to {
        sink.error(
            Code::InvalidValue,
            "/calendar/deploy_hours/to",
            format!("deploy hours close (`{}`) before they open (`{}`): nothing could ever be promoted; hours crossing midnight are not supported", h.to, h.from),
        );
        return None;
    }
    let days = h.days.clone().unwrap_or_else(|| {
        use Weekday::*;
        vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun]
    });
    Some(DeployHours { days, from, to })
}

/// One freeze: instants that exist in the zone, `from` before `to`, declared environments.
fn freeze(
    f: &RawFreeze,
    ptr: &str,
    cal: &Calendar,
    envs: &[String],
    sink: &mut Sink<'_>,
) -> Option<Freeze> {
    let before = sink.error_count();
    let mut instant = |text: &str, key: &str| match cal.instant(text) {
        Ok(t) => Some(t),
        Err(why) => {
            sink.error(Code::BadFormat, &format!("{ptr}/{key}"), why);
            None
        }
    };
    let (from, to) = (instant(&f.from, "from"), instant(&f.to, "to"));
    if let (Some(a), Some(b)) = (from, to)
        && a >= b
    {
        sink.error(
            Code::InvalidValue,
            &format!("{ptr}/to"),
            format!(
                "freeze `{}` ends (`{}`) before it starts (`{}`)",
                f.name, f.to, f.from
            ),
        );
    }
    let environments: Vec<String> = f
        .environments
        .iter()
        .flatten()
        .map(|e| e.0.clone())
        .collect();
    for (j, e) in environments.iter().enumerate() {
        if !envs.is_empty() && !envs.contains(e) {
            sink.error_help(
                Code::UnknownEnvironment,
                &format!("{ptr}/environments/{j}"),
                format!("`{e}` is not a declared environment"),
                crate::diagnostic::did_you_mean(e, envs.iter().map(String::as_str)),
            );
        }
    }
    (sink.error_count() == before).then(|| Freeze {
        name: f.name.clone(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        // A time written with its offset says itself; a local one names the zone.
        to_text: if f.to.trim().parse::<jiff::Timestamp>().is_ok() {
            f.to.trim().to_owned()
        } else {
            format!("{} {}", f.to.trim(), cal.timezone_name)
        },
        environments,
    })
}

/// Why `YYYY-MM-DD` text is not a date: the month, or the number of days in the month.
fn why_not_a_date(text: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = text.splitn(3, '-').map(str::parse::<i16>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(_))) = (parts.next(), parts.next(), parts.next())
    else {
        return String::new();
    };
    if !(1..=12).contains(&month) {
        return format!(": there is no month {month}");
    }
    match jiff::civil::Date::new(year, month as i8, 1) {
        Ok(first) => format!(
            ": {} {year} has {} days",
            MONTHS[month as usize - 1],
            first.days_in_month()
        ),
        Err(_) => String::new(),
    }
}
