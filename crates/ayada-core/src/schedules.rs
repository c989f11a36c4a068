//! Doctors' working hours on this machine: setting them, exceptions and absences (the
//! owner's and the desk's writes), read back from the projection. What a schedule is and the
//! free slots of a day live in the document model (`ayada_model::schedule`), which the
//! booking portal on the server shares.

use automerge::transaction::Transactable;
use automerge::ROOT;
use jiff::civil::Date;
use rusqlite::{params, Connection, OptionalExtension};

use ayada_model::schedule::check_hours;
pub use ayada_model::schedule::{free_slots, parse_days, Hours, Schedule, SCHEDULES};

use crate::docs::{map_at, DocId};
use crate::error::{CoreError, Result};
use crate::ids::StaffId;
use crate::roles::Action;
use crate::store::Writer;

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
