//! Follow-ups: a doctor ends a visit with "come back in N days", and until the patient has
//! a booking with that doctor after the visit the desk sees it on its list, with the first
//! free slot from that day on, to book in one keystroke.

use jiff::civil::{Date, Time};
use rusqlite::Connection;
use serde::Serialize;

use crate::appointments::{self, Appointment, Booking, BookingKind};
use crate::error::{CoreError, Result};
use crate::ids::{PatientId, VisitId};
use crate::store::Writer;

/// A follow-up still to book.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FollowUp {
    /// The visit that asked for it.
    pub visit_id: VisitId,
    /// The patient.
    pub patient_id: PatientId,
    /// Their name.
    pub patient: String,
    /// Their phone.
    pub phone: String,
    /// The doctor's login.
    pub doctor: String,
    /// The doctor's name.
    pub doctor_name: String,
    /// The clinic-local day the doctor asked for.
    pub due: String,
    /// The first free slot with that doctor from that day (or today) on, clinic-local
    /// "YYYY-MM-DD HH:MM"; none when the next two weeks are full.
    pub proposed: Option<String>,
}

/// How long an unanswered follow-up stays on the desk's list after its day.
pub const OVERDUE_DAYS: i64 = 30;

/// The follow-ups due from `since` on that no booking answers yet, by day due. A booking
/// answers one when it was booked from it, or when it is the same patient's with the same
/// doctor after the visit (booked by phone, say) and still holds its slot.
pub(crate) fn pending(conn: &Connection, since: Date) -> Result<Vec<FollowUp>> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.id, v.patient_id, COALESCE(p.name, '?'), COALESCE(p.phone, ''),
                COALESCE(s.login, v.doctor_id), COALESCE(NULLIF(s.name, ''), s.login, v.doctor_id),
                v.follow_up_due
         FROM visits v
         LEFT JOIN patients p ON p.id = v.patient_id
         LEFT JOIN staff s ON s.id = v.doctor_id
         WHERE v.follow_up_due >= ?1
           AND NOT EXISTS (
               SELECT 1 FROM appointments a
               WHERE a.status NOT IN ('cancelled', 'no-show') AND a.id != v.appointment_id
                 AND (a.follow_up_of = v.id
                      OR (a.patient_id = v.patient_id AND a.doctor_id = v.doctor_id
                          AND a.starts_at > v.recorded_at)))
         ORDER BY v.follow_up_due, p.name_folded",
    )?;
    let rows = stmt.query_map([since.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (visit, patient_id, patient, phone, doctor, doctor_name, due) = row?;
        Ok(FollowUp {
            visit_id: visit.parse()?,
            patient_id: patient_id.parse()?,
            patient,
            phone,
            doctor,
            doctor_name,
            due,
            proposed: None,
        })
    })
    .collect()
}

/// The visit type a follow-up is booked as: the clinic's "follow-up" while it offers one,
/// else the type of the visit it follows.
fn visit_type(w: &mut Writer<'_>, of_visit: &str) -> String {
    crate::settings::visit_type_named(w, "follow-up")
        .map(|t| t.name)
        .unwrap_or_else(|_| of_visit.to_string())
}

/// Books the follow-up `visit` asked for at `date` `time` (clinic-local).
pub(crate) fn book(
    w: &mut Writer<'_>,
    visit: VisitId,
    date: Date,
    time: Time,
) -> Result<Appointment> {
    let found: Option<(String, String, String, Option<String>)> =
        w.tx.query_row(
            "SELECT v.patient_id, COALESCE(s.login, ''), v.visit_type, v.follow_up_due
             FROM visits v LEFT JOIN staff s ON s.id = v.doctor_id WHERE v.id = ?1",
            [visit.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .ok();
    let (patient, doctor_login, of_type, due) =
        found.ok_or_else(|| CoreError::not_found("visit", visit))?;
    if due.is_none() {
        return Err(CoreError::invalid("follow-up", "no-follow-up"));
    }
    let booking = Booking {
        patient: patient.parse()?,
        doctor_login,
        date,
        time,
        visit_type: visit_type(w, &of_type),
    };
    let appointment =
        appointments::book_following(w, &booking, BookingKind::Confirmed, Some(visit))?;
    w.audit("follow-up-book", format!("{} {visit}", appointment.id));
    Ok(appointment)
}
