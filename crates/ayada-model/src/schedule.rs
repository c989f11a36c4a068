//! Doctors' working hours as the clinic document holds them: weekly hours (one or more
//! ranges a day, as in Egyptian clinics that open mornings and evenings), slot length, days
//! off and exceptions; and the free slots of a day, the one function the desk and the
//! booking portal both offer slots with.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ReadDoc, ScalarValue, Value, ROOT};
use jiff::civil::{Date, Time, Weekday};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::docs::existing_map;
use crate::error::{ModelError, Result};
use crate::ids::StaffId;
use crate::time::{parse_time, ClinicTime};

/// The clinic document's map of schedules, by doctor id (each a JSON string).
pub const SCHEDULES: &str = "schedules";

/// One working range of a day, "09:00" to "13:00" (clinic-local).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Hours {
    /// Start, "HH:MM".
    pub from: String,
    /// End, "HH:MM", after the start.
    pub to: String,
}

/// A doctor's weekly schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Schedule {
    /// Whose schedule.
    pub doctor_id: StaffId,
    /// Working weekdays: "sat", "sun", "mon", "tue", "wed", "thu", "fri".
    pub days: Vec<String>,
    /// The working ranges of a working day.
    pub hours: Vec<Hours>,
    /// Length of a booking slot in minutes.
    pub slot_minutes: i64,
    /// Dates ("YYYY-MM-DD") with other hours; an empty list is a day off.
    #[serde(default)]
    pub exceptions: BTreeMap<String, Vec<Hours>>,
    /// Days the doctor is away ("YYYY-MM-DD" → the reason given), each also an exception
    /// with no hours: nobody is booked or moved onto them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub absences: BTreeMap<String, String>,
}

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
];

/// Reads "sat,sun,mon" into canonical day names.
pub fn parse_days(text: &str) -> Result<Vec<String>> {
    let mut days = Vec::new();
    for part in text
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
    {
        let name = part.get(..3).unwrap_or(&part);
        let (canonical, _) = DAY_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ModelError::invalid("days", "day-names"))?;
        if !days.iter().any(|d| d == canonical) {
            days.push(canonical.to_string());
        }
    }
    if days.is_empty() {
        return Err(ModelError::invalid("days", "day-names"));
    }
    Ok(days)
}

/// The ranges of `hours`, sorted, refused when one ends before it starts or two overlap.
pub fn check_hours(hours: &[Hours]) -> Result<Vec<(Time, Time)>> {
    let mut ranges = Vec::new();
    for h in hours {
        let (from, to) = (parse_time(&h.from)?, parse_time(&h.to)?);
        if to <= from {
            return Err(ModelError::invalid("hours", "end-before-start"));
        }
        ranges.push((from, to));
    }
    ranges.sort();
    if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(ModelError::invalid("hours", "ranges-overlap"));
    }
    Ok(ranges)
}

impl Schedule {
    /// The working ranges of `date`, after exceptions.
    pub fn ranges_on(&self, date: Date) -> Result<Vec<(Time, Time)>> {
        if let Some(hours) = self.exceptions.get(&date.to_string()) {
            return check_hours(hours);
        }
        let weekday = date.weekday();
        let works = DAY_NAMES
            .iter()
            .any(|(n, d)| *d == weekday && self.days.iter().any(|x| x == n));
        if works {
            check_hours(&self.hours)
        } else {
            Ok(Vec::new())
        }
    }
}

/// The slots of `date` that are within the schedule and overlap none of `busy` (UTC
/// intervals). A slot whose wall time does not exist (daylight saving) is skipped.
pub fn free_slots(
    schedule: &Schedule,
    time: &ClinicTime,
    date: Date,
    busy: &[(Timestamp, Timestamp)],
) -> Result<Vec<Timestamp>> {
    let step = jiff::SignedDuration::from_mins(schedule.slot_minutes);
    let mut slots = Vec::new();
    for (from, to) in schedule.ranges_on(date)? {
        let mut start = from;
        loop {
            let Ok(end) = start.checked_add(step) else {
                break;
            };
            if end > to || end <= start {
                break;
            }
            if let Ok(at) = time.instant(date, start) {
                let slot_end = at + step;
                if !busy.iter().any(|(b0, b1)| *b0 < slot_end && at < *b1) {
                    slots.push(at);
                }
            }
            start = end;
        }
    }
    Ok(slots)
}

/// Every doctor's schedule in the clinic document; a schedule that does not read (written by
/// a newer version, or damaged) is skipped rather than hiding the others.
pub fn schedules_in(doc: &AutoCommit) -> Result<Vec<Schedule>> {
    let Some(parent) = existing_map(doc, &ROOT, SCHEDULES)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for key in doc.keys(&parent).collect::<Vec<_>>() {
        if let Some((Value::Scalar(s), _)) = doc.get(&parent, key.as_str())? {
            if let ScalarValue::Str(json) = s.as_ref() {
                if let Ok(schedule) = serde_json::from_str::<Schedule>(json) {
                    out.push(schedule);
                }
            }
        }
    }
    Ok(out)
}

impl Schedule {
    /// Whether `date` is a day off or an absence (an exception with no hours).
    pub fn off_on(&self, date: Date) -> bool {
        self.exceptions
            .get(&date.to_string())
            .is_some_and(|hours| hours.is_empty())
    }

    /// Whether `[starts, ends)` lies within one of this schedule's working ranges that day.
    pub fn works_through(
        &self,
        time: &ClinicTime,
        starts: Timestamp,
        ends: Timestamp,
    ) -> Result<bool> {
        let date = time.local_date(starts);
        for (from, to) in self.ranges_on(date)? {
            let (Ok(from), Ok(to)) = (time.instant(date, from), time.instant(date, to)) else {
                continue;
            };
            if from <= starts && ends <= to {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Why a doctor cannot take a booking at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRefusal {
    /// The doctor is away or has the day off.
    Off,
    /// The time is outside the doctor's working hours that day.
    OutsideHours,
    /// Another booking or request holds time that overlaps; it starts at this instant.
    Taken(Timestamp),
}

/// Whether a doctor with `schedule` (none: works whenever the desk says) can take a booking of
/// `minutes` from `starts`, given the `busy` (start, end) Unix seconds of the bookings that
/// hold their slot. The desk's booking and moving and the portal's request all ask this.
pub fn check_slot(
    schedule: Option<&Schedule>,
    time: &ClinicTime,
    starts: Timestamp,
    minutes: i64,
    busy: &[(i64, i64)],
) -> Result<Option<SlotRefusal>> {
    let ends = starts + jiff::SignedDuration::from_mins(minutes);
    if let Some(schedule) = schedule {
        if schedule.off_on(time.local_date(starts)) {
            return Ok(Some(SlotRefusal::Off));
        }
        if !schedule.works_through(time, starts, ends)? {
            return Ok(Some(SlotRefusal::OutsideHours));
        }
    }
    let clash = busy
        .iter()
        .find(|(at, end)| *at < ends.as_second() && starts.as_second() < *end);
    Ok(clash.map(|(at, _)| SlotRefusal::Taken(Timestamp::from_second(*at).unwrap_or_default())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn schedule() -> Schedule {
        Schedule {
            doctor_id: StaffId::new(),
            days: parse_days("sat,sun,mon,tue,wed,thu").unwrap(),
            hours: vec![
                Hours {
                    from: "10:00".into(),
                    to: "12:00".into(),
                },
                Hours {
                    from: "17:00".into(),
                    to: "18:00".into(),
                },
            ],
            slot_minutes: 30,
            exceptions: BTreeMap::new(),
            absences: BTreeMap::new(),
        }
    }

    #[test]
    fn free_slots_follow_hours_skip_fridays_and_busy_times() {
        let cairo = ClinicTime::new("Africa/Cairo").unwrap();
        let s = schedule();
        let monday = date(2026, 11, 23);
        let all = free_slots(&s, &cairo, monday, &[]).unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(cairo.format(all[0]), "2026-11-23 10:00");
        assert_eq!(cairo.format(all[4]), "2026-11-23 17:00");
        let busy = [(all[1], all[1] + jiff::SignedDuration::from_mins(45))];
        let free = free_slots(&s, &cairo, monday, &busy).unwrap();
        assert_eq!(
            free.len(),
            4,
            "10:30 and 11:00 are taken by a 45-minute booking"
        );
        assert!(
            free_slots(&s, &cairo, date(2026, 11, 27), &[])
                .unwrap()
                .is_empty(),
            "Friday"
        );
    }

    #[test]
    fn an_exception_without_hours_is_a_day_off() {
        let cairo = ClinicTime::new("Africa/Cairo").unwrap();
        let mut s = schedule();
        s.exceptions.insert("2026-11-23".into(), vec![]);
        assert!(free_slots(&s, &cairo, date(2026, 11, 23), &[])
            .unwrap()
            .is_empty());
        assert!(parse_days("sat,xyz").is_err());
    }

    #[test]
    fn a_slot_is_refused_on_a_day_off_outside_hours_and_over_another_booking() {
        let cairo = ClinicTime::new("Africa/Cairo").unwrap();
        let mut s = schedule();
        let monday = date(2026, 11, 23);
        let at = |h, m| {
            cairo
                .instant(monday, Time::new(h, m, 0, 0).unwrap())
                .unwrap()
        };
        assert_eq!(
            check_slot(Some(&s), &cairo, at(10, 0), 30, &[]).unwrap(),
            None
        );
        assert_eq!(
            check_slot(Some(&s), &cairo, at(11, 45), 30, &[]).unwrap(),
            Some(SlotRefusal::OutsideHours),
            "runs past 12:00"
        );
        let taken = (at(10, 15).as_second(), at(10, 45).as_second());
        assert_eq!(
            check_slot(Some(&s), &cairo, at(10, 30), 30, &[taken]).unwrap(),
            Some(SlotRefusal::Taken(at(10, 15)))
        );
        assert_eq!(
            check_slot(None, &cairo, at(3, 0), 30, &[]).unwrap(),
            None,
            "a doctor without a schedule works whenever the desk says"
        );
        s.exceptions.insert("2026-11-23".into(), vec![]);
        assert_eq!(
            check_slot(Some(&s), &cairo, at(10, 0), 30, &[]).unwrap(),
            Some(SlotRefusal::Off)
        );
    }
}
