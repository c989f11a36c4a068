//! Appointments: booking, the status machine, and the day's list.
//!
//! An appointment's record lives in the document of the doctor and day it was first booked
//! for, and stays there when it is moved (`moves`): a move changes its fields, never its
//! document, so two machines moving one booking apart are two edits of one record, which
//! Automerge settles the same way everywhere and the conflicts list shows.

mod moves;

pub use ayada_model::appointment::{Appointment, Moved, Status, WALK_IN};
use ayada_model::schedule::SlotRefusal;
pub use moves::Move;
pub(crate) use moves::{cancel_many, move_many, move_to};

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::docs::{get_root_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::{AppointmentId, PatientId, StaffId, VisitId};
use crate::roles::Action;
use crate::store::Writer;

/// What the desk gives to book.
#[derive(Debug, Clone)]
pub struct Booking {
    /// The patient.
    pub patient: PatientId,
    /// The doctor's login.
    pub doctor_login: String,
    /// Clinic-local date.
    pub date: Date,
    /// Clinic-local start time.
    pub time: Time,
    /// Visit type name.
    pub visit_type: String,
}

/// How a booking enters the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingKind {
    /// Confirmed at once by the desk.
    Confirmed,
    /// A request (status `requested`) that holds its slot until the desk confirms or declines
    /// it: what the online portal creates, and what the desk records for a patient who asked
    /// for a time the doctor has to agree to.
    Request,
}

/// The longest a visit type may last (minutes); bounds how far back an overlapping booking
/// can start, so the overlap query is an index range, not a scan of years of bookings.
pub const MAX_MINUTES: i64 = 480;

/// The (start, end) Unix seconds of a doctor's bookings that hold their slot and overlap
/// `[from, to)`, by start time.
pub(crate) fn busy(
    conn: &Connection,
    doctor: StaffId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT starts_at, ends_at FROM appointments
         WHERE doctor_id = ?1 AND starts_at < ?3 AND starts_at > ?4 AND ends_at > ?2
           AND status NOT IN ('cancelled', 'no-show') AND source != 'walk-in'
         ORDER BY starts_at",
    )?;
    let earliest = from.as_second() - MAX_MINUTES * 60;
    let rows = stmt.query_map(
        params![
            doctor.to_string(),
            from.as_second(),
            to.as_second(),
            earliest
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Refuses a time `doctor` cannot take a booking of `minutes` at: a day they are absent or
/// off, a time outside their hours (when they have a schedule), or a time another booking or
/// request holds (`except` is the booking being moved,
/// which may overlap where it was). A new booking and a moved one are checked alike.
pub(crate) fn check_slot(
    w: &Writer<'_>,
    doctor: &crate::staff::Staff,
    starts: Timestamp,
    minutes: i64,
    except: Option<&Appointment>,
) -> Result<()> {
    let time = &w.ctx.time;
    let ends = starts + SignedDuration::from_mins(minutes);
    let busy: Vec<(i64, i64)> = busy(&w.tx, doctor.id, starts, ends)?
        .into_iter()
        // Its own old place is not a clash (a booking moved by ten minutes).
        .filter(|(at, end)| {
            !except.is_some_and(|a| {
                a.doctor_id == doctor.id
                    && *at == a.starts_at
                    && *end == a.starts_at + a.minutes * 60
            })
        })
        .collect();
    let schedule = crate::schedules::load(&w.tx, doctor.id)?;
    match ayada_model::schedule::check_slot(schedule.as_ref(), time, starts, minutes, &busy)? {
        None => Ok(()),
        Some(SlotRefusal::Off) => Err(CoreError::DoctorAbsent {
            doctor: doctor.name.clone(),
            date: time.local_date(starts).to_string(),
        }),
        Some(SlotRefusal::OutsideHours) => Err(CoreError::invalid("time", "outside-hours")),
        Some(SlotRefusal::Taken(at)) => Err(CoreError::SlotTaken {
            doctor: doctor.name.clone(),
            at: time.format(at),
        }),
    }
}

/// Books a slot; refuses a time the doctor already has taken (by a booking or a request).
pub(crate) fn book(
    w: &mut Writer<'_>,
    booking: &Booking,
    kind: BookingKind,
) -> Result<Appointment> {
    book_following(w, booking, kind, None)
}

/// `book`, as the follow-up a visit asked for when `follow_up_of` names it.
pub(crate) fn book_following(
    w: &mut Writer<'_>,
    booking: &Booking,
    kind: BookingKind,
    follow_up_of: Option<VisitId>,
) -> Result<Appointment> {
    w.allow(Action::Book)?;
    let doctor = crate::staff::doctor(w, &booking.doctor_login)?;
    crate::patients::get(w, booking.patient)?;
    let visit_type = crate::settings::visit_type_named(w, &booking.visit_type)?;
    let starts = w.ctx.time.instant(booking.date, booking.time)?;
    check_slot(w, &doctor, starts, visit_type.minutes, None)?;
    let (status, action) = match kind {
        BookingKind::Confirmed => (Status::Booked, "book"),
        BookingKind::Request => (Status::Requested, "book-request"),
    };
    let appointment = Appointment {
        status,
        source: "desk".into(),
        follow_up_of,
        ..new_appointment(w, booking.patient, doctor.id, starts, visit_type)
    };
    store(w, &appointment)?;
    w.audit(action, appointment.id.to_string());
    Ok(appointment)
}

/// A patient who came without a booking, queued for `doctor_login` now and already arrived.
/// A walk-in takes no slot (the desk fits them between bookings): it neither makes a slot
/// busy nor counts as an overlapping booking.
pub(crate) fn walk_in(
    w: &mut Writer<'_>,
    patient: PatientId,
    doctor_login: &str,
    visit_type: &str,
) -> Result<Appointment> {
    w.allow(Action::Book)?;
    let doctor = crate::staff::doctor(w, doctor_login)?;
    crate::patients::get(w, patient)?;
    let visit_type = crate::settings::visit_type_named(w, visit_type)?;
    let appointment = Appointment {
        status: Status::Arrived,
        source: WALK_IN.into(),
        arrived_at: Some(w.now.as_second()),
        ..new_appointment(w, patient, doctor.id, w.now, visit_type)
    };
    store(w, &appointment)?;
    w.audit("walk-in", appointment.id.to_string());
    Ok(appointment)
}

fn new_appointment(
    w: &Writer<'_>,
    patient: PatientId,
    doctor: StaffId,
    starts: Timestamp,
    visit_type: crate::settings::VisitType,
) -> Appointment {
    Appointment {
        id: AppointmentId::new(),
        patient_id: patient,
        doctor_id: doctor,
        starts_at: starts.as_second(),
        minutes: visit_type.minutes,
        visit_type: visit_type.name,
        status: Status::Booked,
        reason: None,
        source: "desk".into(),
        created_at: w.now.as_second(),
        created_by: w.session.login.clone(),
        arrived_at: None,
        moves: Vec::new(),
        follow_up_of: None,
    }
}

/// Stores a new appointment in its doctor's day.
pub(crate) fn store(w: &mut Writer<'_>, appointment: &Appointment) -> Result<()> {
    let doc_id = appointment.doc_id(&w.ctx.time);
    store_in(w, &doc_id, appointment)
}

/// Writes an appointment's changed fields into the document that holds it.
pub(crate) fn store_in(
    w: &mut Writer<'_>,
    doc_id: &DocId,
    appointment: &Appointment,
) -> Result<()> {
    ayada_model::appointment::put(w.doc(doc_id)?, appointment)?;
    w.touch(doc_id, &appointment.id.to_string())?;
    Ok(())
}

/// The document holding an appointment, through the projection's pointer.
pub(crate) fn home(conn: &Connection, id: AppointmentId) -> Result<DocId> {
    let doc_id: Option<String> = conn
        .query_row(
            "SELECT doc_id FROM appointments WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(DocId::parse(
        &doc_id.ok_or_else(|| CoreError::not_found("appointment", id))?,
    )?)
}

/// Loads an appointment and the document that holds it.
pub(crate) fn get_at(w: &mut Writer<'_>, id: AppointmentId) -> Result<(DocId, Appointment)> {
    let doc_id = home(&w.tx, id)?;
    let appointment = get_root_record(w.doc(&doc_id)?, &id.to_string())?
        .ok_or_else(|| CoreError::not_found("appointment", id))?;
    Ok((doc_id, appointment))
}

/// Loads an appointment through the projection's pointer to its document.
pub(crate) fn get(w: &mut Writer<'_>, id: AppointmentId) -> Result<Appointment> {
    get_at(w, id).map(|(_, a)| a)
}

/// Moves an appointment along; cancellations need a reason.
pub(crate) fn set_status(
    w: &mut Writer<'_>,
    id: AppointmentId,
    next: Status,
    reason: Option<&str>,
) -> Result<Appointment> {
    w.allow(Action::Book)?;
    let (doc_id, mut appointment) = get_at(w, id)?;
    if !appointment.status.can_become(next) {
        return Err(CoreError::InvalidTransition {
            from: appointment.status.to_string(),
            to: next.to_string(),
        });
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if next == Status::Cancelled && reason.is_none() {
        return Err(CoreError::invalid("reason", "cancel-needs-reason"));
    }
    appointment.status = next;
    if next == Status::Arrived {
        appointment.arrived_at = Some(w.now.as_second());
    }
    if let Some(r) = reason {
        appointment.reason = Some(r.to_string());
    }
    store_in(w, &doc_id, &appointment)?;
    w.audit(&format!("appointment-{next}"), id.to_string());
    Ok(appointment)
}

/// A line of the day's list.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AppointmentRow {
    /// The id.
    pub id: AppointmentId,
    /// Clinic-local "YYYY-MM-DD HH:MM".
    pub at: String,
    /// Length in minutes.
    pub minutes: i64,
    /// The patient.
    pub patient_id: PatientId,
    /// Patient's name.
    pub patient: String,
    /// Patient's phone.
    pub phone: String,
    /// Doctor's login.
    pub doctor: String,
    /// Visit type.
    pub visit_type: String,
    /// Status.
    pub status: Status,
    /// Reason for a cancellation or no-show.
    pub reason: Option<String>,
    /// Doctor's name, as the queue shows it.
    pub doctor_name: String,
    /// Unix seconds of the start (a walk-in: when they came).
    pub starts_at: i64,
    /// Unix seconds the patient checked in, for waiting times.
    pub arrived_at: Option<i64>,
    /// "desk", "portal" or "walk-in".
    pub source: String,
    /// How many times it was moved.
    pub moves: i64,
    /// The visit it follows up, when booked from one.
    pub follow_up_of: Option<VisitId>,
    /// The patient's history at a glance (the desk's lists fill it).
    pub glance: Option<crate::glance::Glance>,
}

/// The appointments of a clinic-local day, by time.
pub(crate) fn list(
    conn: &Connection,
    time: &crate::time::ClinicTime,
    date: Date,
) -> Result<Vec<AppointmentRow>> {
    rows(conn, time, "a.local_date = ?1", date.to_string())
}

/// Booking requests still waiting for the desk whose day has not passed (clinic-local
/// `today` on), by time: the desk must see next week's requests, not only today's.
pub(crate) fn open_requests(
    conn: &Connection,
    time: &crate::time::ClinicTime,
    today: Date,
) -> Result<Vec<AppointmentRow>> {
    rows(
        conn,
        time,
        "a.status = 'requested' AND a.local_date >= ?1",
        today.to_string(),
    )
}

fn rows(
    conn: &Connection,
    time: &crate::time::ClinicTime,
    filter: &str,
    value: String,
) -> Result<Vec<AppointmentRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT a.id, a.starts_at, a.ends_at, a.patient_id, COALESCE(p.name, '?'), COALESCE(p.phone, ''),
                COALESCE(s.login, a.doctor_id), a.visit_type, a.status, a.reason,
                COALESCE(NULLIF(s.name, ''), s.login, a.doctor_id), a.source, a.arrived_at,
                a.moves, a.follow_up_of
         FROM appointments a
         LEFT JOIN patients p ON p.id = a.patient_id
         LEFT JOIN staff s ON s.id = a.doctor_id
         WHERE {filter} ORDER BY a.starts_at, s.login"
    ))?;
    let rows = stmt.query_map([value], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, Option<String>>(9)?,
            r.get::<_, String>(10)?,
            r.get::<_, String>(11)?,
            r.get::<_, Option<i64>>(12)?,
            r.get::<_, i64>(13)?,
            r.get::<_, Option<String>>(14)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            starts,
            ends,
            patient_id,
            patient,
            phone,
            doctor,
            visit_type,
            status,
            reason,
            doctor_name,
            source,
            arrived_at,
            moves,
            follow_up_of,
        ) = row?;
        out.push(AppointmentRow {
            id: id.parse()?,
            at: time.format(Timestamp::from_second(starts).unwrap_or_default()),
            minutes: (ends - starts) / 60,
            patient_id: patient_id.parse()?,
            patient,
            phone,
            doctor,
            visit_type,
            status: status.parse()?,
            reason,
            doctor_name,
            starts_at: starts,
            source,
            arrived_at,
            moves,
            follow_up_of: follow_up_of.map(|v| v.parse()).transpose()?,
            glance: None,
        });
    }
    Ok(out)
}

/// The latest clinic-local day up to `until` that has appointments.
pub(crate) fn last_day(conn: &Connection, until: Date) -> Result<Option<Date>> {
    let day: Option<String> = conn.query_row(
        "SELECT MAX(local_date) FROM appointments WHERE local_date <= ?1",
        [until.to_string()],
        |r| r.get(0),
    )?;
    Ok(day.map(|d| crate::time::parse_date(&d)).transpose()?)
}

/// The clinic-local days a patient has bookings on, newest first.
pub(crate) fn days_of_patient(conn: &Connection, patient: PatientId) -> Result<Vec<Date>> {
    let days: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT local_date FROM appointments WHERE patient_id = ?1 ORDER BY local_date DESC",
        )?
        .query_map([patient.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(days
        .iter()
        .map(|d| crate::time::parse_date(d))
        .collect::<ayada_model::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sensible_status_changes_are_allowed() {
        use Status::*;
        assert!(Booked.can_become(Arrived));
        assert!(Arrived.can_become(InExam));
        assert!(InExam.can_become(Done));
        assert!(Requested.can_become(Booked));
        assert!(!Done.can_become(Booked));
        assert!(!Cancelled.can_become(Arrived));
        assert!(
            !Booked.can_become(Done),
            "a visit cannot finish before the patient arrives"
        );
        assert!(!NoShow.can_become(Arrived));
        assert_eq!("in-exam".parse::<Status>().unwrap(), InExam);
        assert_eq!("No-Show".parse::<Status>().unwrap(), NoShow);
        assert!("later".parse::<Status>().is_err());
    }
}
