//! Clinic time: everything is stored in UTC; days and shifts are cut in the clinic's zone.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::error::{ModelError, Result};
use crate::text::ascii_digits;

/// The zone a clinic lives in when nobody says otherwise.
pub const DEFAULT_TZ: &str = "Africa/Cairo";

/// A clinic's time zone, with the conversions its screens and reports need.
#[derive(Debug, Clone)]
pub struct ClinicTime {
    name: String,
    tz: TimeZone,
}

impl ClinicTime {
    /// Looks a zone up by its IANA name ("Africa/Cairo").
    pub fn new(name: &str) -> Result<ClinicTime> {
        let tz = TimeZone::get(name)
            .map_err(|_| ModelError::invalid("time zone", format!("unknown zone {name}")))?;
        Ok(ClinicTime {
            name: name.to_string(),
            tz,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The clinic-local date of an instant.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned(self.tz.clone()).date()
    }

    /// The clinic-local wall time of an instant.
    pub fn local(&self, at: Timestamp) -> Zoned {
        at.to_zoned(self.tz.clone())
    }

    /// The first and the first-after-last instant of a clinic day. A daylight-saving day is
    /// 23 or 25 hours long, and Cairo's spring change skips midnight itself, so the start
    /// is whatever the first existing instant of the date is.
    pub fn day_bounds(&self, date: Date) -> Result<(Timestamp, Timestamp)> {
        let start = self.start_of(date)?;
        let next = date
            .tomorrow()
            .map_err(|_| ModelError::invalid("date", "out of range"))?;
        Ok((start, self.start_of(next)?))
    }

    fn start_of(&self, date: Date) -> Result<Timestamp> {
        date.to_zoned(self.tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| ModelError::invalid("date", "out of range"))
    }

    /// The instant of a clinic-local wall time. A time that does not exist that day (the
    /// hour skipped by daylight saving) is refused rather than silently moved.
    pub fn instant(&self, date: Date, time: Time) -> Result<Timestamp> {
        let dt = DateTime::from_parts(date, time);
        let ambiguous = self.tz.to_ambiguous_zoned(dt);
        if matches!(ambiguous.offset(), jiff::tz::AmbiguousOffset::Gap { .. }) {
            return Err(ModelError::invalid(
                "time",
                format!("{dt} does not exist in {} (daylight saving)", self.name),
            ));
        }
        ambiguous
            .compatible()
            .map(|z| z.timestamp())
            .map_err(|_| ModelError::invalid("time", "out of range"))
    }

    /// "YYYY-MM-DD HH:MM" as the clinic's clock shows it.
    pub fn format(&self, at: Timestamp) -> String {
        self.local(at).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// Today's date on the clinic's clock.
    pub fn today(&self) -> Date {
        self.local_date(Timestamp::now())
    }
}

/// Reads "YYYY-MM-DD" (ASCII or Arabic digits).
pub fn parse_date(input: &str) -> Result<Date> {
    ascii_digits(input.trim()).parse::<Date>().map_err(|_| {
        ModelError::invalid("date", format!("\"{input}\" is not a date like 2026-11-22"))
    })
}

/// Reads "HH:MM" (ASCII or Arabic digits).
pub fn parse_time(input: &str) -> Result<Time> {
    let text = ascii_digits(input.trim());
    let bad = || ModelError::invalid("time", format!("\"{input}\" is not a time like 09:30"));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// Reads "YYYY-MM-DD HH:MM".
pub fn parse_local_datetime(input: &str) -> Result<(Date, Time)> {
    let text = input.trim();
    let (d, t) = text.split_once([' ', 'T']).ok_or_else(|| {
        ModelError::invalid("time", format!("\"{input}\" is not like 2026-11-22 09:30"))
    })?;
    Ok((parse_date(d)?, parse_time(t)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn cairo_spring_forward_day_is_23_hours_and_starts_at_one() {
        let cairo = ClinicTime::new(DEFAULT_TZ).unwrap();
        // Egypt moves its clocks forward at midnight on the last Friday of April.
        let (start, end) = cairo.day_bounds(date(2026, 4, 24)).unwrap();
        assert_eq!(end.as_second() - start.as_second(), 23 * 3600);
        assert_eq!(cairo.format(start), "2026-04-24 01:00");
        // 00:30 that night does not exist and is refused, not shifted.
        assert!(cairo
            .instant(date(2026, 4, 24), Time::new(0, 30, 0, 0).unwrap())
            .is_err());
    }

    #[test]
    fn cairo_autumn_day_is_25_hours_and_evening_payment_counts_on_its_local_day() {
        let cairo = ClinicTime::new(DEFAULT_TZ).unwrap();
        let (start, end) = cairo.day_bounds(date(2026, 10, 29)).unwrap();
        assert_eq!(end.as_second() - start.as_second(), 25 * 3600);
        // 23:30 Cairo time in summer is 20:30 UTC the same day; in winter 21:30 UTC.
        let late = cairo
            .instant(date(2026, 7, 1), Time::new(23, 30, 0, 0).unwrap())
            .unwrap();
        assert_eq!(late.to_string(), "2026-07-01T20:30:00Z");
        assert_eq!(cairo.local_date(late), date(2026, 7, 1));
        let winter = cairo
            .instant(date(2026, 12, 1), Time::new(23, 30, 0, 0).unwrap())
            .unwrap();
        assert_eq!(winter.to_string(), "2026-12-01T21:30:00Z");
        // 00:30 Cairo is still the previous UTC day, but the clinic's next day.
        let after_midnight = cairo
            .instant(date(2026, 12, 2), Time::new(0, 30, 0, 0).unwrap())
            .unwrap();
        assert_eq!(after_midnight.to_string(), "2026-12-01T22:30:00Z");
        assert_eq!(cairo.local_date(after_midnight), date(2026, 12, 2));
    }

    #[test]
    fn dates_and_times_accept_arabic_digits() {
        assert_eq!(parse_date("٢٠٢٦-١١-٢٢").unwrap(), date(2026, 11, 22));
        assert_eq!(parse_time("٩:٣٠").unwrap(), Time::new(9, 30, 0, 0).unwrap());
        assert!(parse_time("25:00").is_err());
        assert!(parse_date("2026-02-30").is_err());
    }
}
