//! Doctors' working hours: weekly hours (one or more ranges a day, as in Egyptian clinics
//! that open mornings and evenings), slot length, days off and exceptions; and the free
//! slots of a day.

use std::collections::BTreeMap;

use automerge::ROOT;
use jiff::civil::{Date, Time, Weekday};
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::docs::{map_at, DocId};
use crate::error::{CoreError, Result};
use crate::ids::StaffId;
use crate::roles::Action;
use crate::store::Writer;
use crate::time::{parse_time, ClinicTime};
use automerge::transaction::Transactable;

pub(crate) const SCHEDULES: &str = "schedules";

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
            .ok_or_else(|| CoreError::invalid("days", "day-names"))?;
        if !days.iter().any(|d| d == canonical) {
            days.push(canonical.to_string());
        }
    }
    if days.is_empty() {
        return Err(CoreError::invalid("days", "day-names"));
    }
    Ok(days)
}

fn check_hours(hours: &[Hours]) -> Result<Vec<(Time, Time)>> {
    let mut ranges = Vec::new();
    for h in hours {
        let (from, to) = (parse_time(&h.from)?, parse_time(&h.to)?);
        if to <= from {
            return Err(CoreError::invalid("hours", "end-before-start"));
        }
        ranges.push((from, to));
    }
    ranges.sort();
    if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(CoreError::invalid("hours", "ranges-overlap"));
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

/// Sets a doctor's weekly schedule, keeping their exceptions.
pub(crate) fn set(
    w: &mut Writer<'_>,
    doctor: StaffId,
    days: Vec<String>,
    hours: Vec<Hours>,
    slot_minutes: i64,
) -> Result<Schedule> {
    w.allow(Action::ManageSettings)?;
    check_hours(&hours)?;
    if hours.is_empty() {
        return Err(CoreError::invalid("hours", "required"));
    }
    if !(5..=240).contains(&slot_minutes) {
        return Err(CoreError::invalid("minutes", "minutes-range"));
    }
    let (exceptions, absences) = load(&w.tx, doctor)?
        .map(|s| (s.exceptions, s.absences))
        .unwrap_or_default();
    let schedule = Schedule {
        doctor_id: doctor,
        days,
        hours,
        slot_minutes,
        exceptions,
        absences,
    };
    put(w, &schedule)?;
    w.audit("schedule-set", doctor.to_string());
    Ok(schedule)
}

/// Gives a date other hours; no hours is a day off.
pub(crate) fn set_exception(
    w: &mut Writer<'_>,
    doctor: StaffId,
    date: Date,
    hours: Vec<Hours>,
) -> Result<Schedule> {
    w.allow(Action::ManageSettings)?;
    check_hours(&hours)?;
    let mut schedule =
        load(&w.tx, doctor)?.ok_or_else(|| CoreError::not_found("schedule", doctor))?;
    schedule.exceptions.insert(date.to_string(), hours);
    put(w, &schedule)?;
    w.audit("schedule-exception", format!("{doctor} {date}"));
    Ok(schedule)
}

// A schedule is replaced whole: the last owner to save it wins, which is what a person
// editing a timetable expects (a field-by-field merge could mix two timetables).
/// The longest absence marked at once.
pub const MAX_ABSENCE_DAYS: i64 = 92;

/// Marks a doctor away from `from` to `to` (inclusive) for `reason`: those days get no
/// hours, so they offer no free slot and take no booking. The owner or the desk may do it.
pub(crate) fn mark_absent(
    w: &mut Writer<'_>,
    doctor: StaffId,
    from: Date,
    to: Date,
    reason: &str,
) -> Result<Schedule> {
    w.allow(Action::MarkAbsence)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CoreError::invalid("reason", "required"));
    }
    let days = absence_days(from, to)?;
    let mut schedule =
        load(&w.tx, doctor)?.ok_or_else(|| CoreError::not_found("schedule", doctor))?;
    for day in &days {
        schedule.exceptions.insert(day.to_string(), Vec::new());
        schedule
            .absences
            .insert(day.to_string(), reason.to_string());
    }
    put(w, &schedule)?;
    w.audit("absence", format!("{doctor} {from} {to}"));
    Ok(schedule)
}

/// Takes back an absence from `from` to `to`: those days follow the weekly hours again.
pub(crate) fn end_absence(
    w: &mut Writer<'_>,
    doctor: StaffId,
    from: Date,
    to: Date,
) -> Result<Schedule> {
    w.allow(Action::MarkAbsence)?;
    let days = absence_days(from, to)?;
    let mut schedule =
        load(&w.tx, doctor)?.ok_or_else(|| CoreError::not_found("schedule", doctor))?;
    for day in &days {
        if schedule.absences.remove(&day.to_string()).is_some() {
            schedule.exceptions.remove(&day.to_string());
        }
    }
    put(w, &schedule)?;
    w.audit("absence-end", format!("{doctor} {from} {to}"));
    Ok(schedule)
}

/// The days from `from` to `to`, refused when backwards or longer than `MAX_ABSENCE_DAYS`.
pub(crate) fn absence_days(from: Date, to: Date) -> Result<Vec<Date>> {
    if to < from {
        return Err(CoreError::invalid("date", "end-before-start"));
    }
    if (to - from).get_days() >= MAX_ABSENCE_DAYS as i32 {
        return Err(CoreError::invalid("date", "absence-too-long"));
    }
    Ok(from
        .series(jiff::Span::new().days(1))
        .take_while(|d| *d <= to)
        .collect())
}

/// Whether `doctor` is away or has the day off on `date` (an exception with no hours).
pub(crate) fn off_on(conn: &Connection, doctor: StaffId, date: Date) -> Result<bool> {
    Ok(load(conn, doctor)?.is_some_and(|s| {
        s.exceptions
            .get(&date.to_string())
            .is_some_and(|hours| hours.is_empty())
    }))
}

/// Whether `[starts, ends)` lies within one of `doctor`'s working ranges that day; a doctor
/// without a schedule works whenever the desk says.
pub(crate) fn works_through(
    conn: &Connection,
    time: &ClinicTime,
    doctor: StaffId,
    starts: Timestamp,
    ends: Timestamp,
) -> Result<bool> {
    let Some(schedule) = load(conn, doctor)? else {
        return Ok(true);
    };
    let date = time.local_date(starts);
    for (from, to) in schedule.ranges_on(date)? {
        let (Ok(from), Ok(to)) = (time.instant(date, from), time.instant(date, to)) else {
            continue;
        };
        if from <= starts && ends <= to {
            return Ok(true);
        }
    }
    Ok(false)
}

fn put(w: &mut Writer<'_>, schedule: &Schedule) -> Result<()> {
    let id = DocId::clinic();
    let doc = w.doc(&id)?;
    let parent = map_at(doc, &ROOT, SCHEDULES)?;
    doc.put(
        &parent,
        schedule.doctor_id.to_string(),
        serde_json::to_string(schedule)?,
    )?;
    w.touch(&id, SCHEDULES)?;
    Ok(())
}

/// A doctor's schedule, from the projection.
pub(crate) fn load(conn: &Connection, doctor: StaffId) -> Result<Option<Schedule>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT json FROM schedules WHERE doctor_id = ?1",
            params![doctor.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(CoreError::from))
        .transpose()
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
}
