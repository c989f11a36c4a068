//! Moving a booking to another time, day or doctor, and dealing with a day's bookings at
//! once (a doctor's absence): the booking keeps its id, its document and its history.

use jiff::civil::{Date, Time};
use jiff::Timestamp;

use super::{check_slot, get_at, store_in, Appointment, Moved, Status};
use crate::error::{CoreError, Result};
use crate::ids::AppointmentId;
use crate::roles::Action;
use crate::store::Writer;

/// Where to move a booking.
#[derive(Debug, Clone)]
pub struct Move {
    /// Clinic-local date.
    pub date: Date,
    /// Clinic-local start time.
    pub time: Time,
    /// Another doctor's login; `None` keeps the doctor.
    pub doctor_login: Option<String>,
}

/// Moves a booking (or a request) that has not begun: checked like a new booking against
/// the doctor's days off and the other bookings, never into the past. It keeps its id and
/// its document, and records where it was.
pub(crate) fn move_to(w: &mut Writer<'_>, id: AppointmentId, to: &Move) -> Result<Appointment> {
    w.allow(Action::Book)?;
    let (doc_id, mut appointment) = get_at(w, id)?;
    if !matches!(appointment.status, Status::Booked | Status::Requested) {
        return Err(CoreError::invalid("appointment", "move-not-waiting"));
    }
    let doctor = match &to.doctor_login {
        Some(login) => crate::staff::doctor(w, login)?,
        None => crate::staff::doctor_by_id(w, appointment.doctor_id)?,
    };
    let starts = w.ctx.time.instant(to.date, to.time)?;
    if starts < w.now {
        return Err(CoreError::invalid("time", "move-into-past"));
    }
    if starts.as_second() == appointment.starts_at && doctor.id == appointment.doctor_id {
        return Err(CoreError::invalid("time", "move-same-slot"));
    }
    check_slot(w, &doctor, starts, appointment.minutes, Some(&appointment))?;
    let from = w
        .ctx
        .time
        .format(Timestamp::from_second(appointment.starts_at).unwrap_or_default());
    appointment.moves.push(Moved {
        from_at: appointment.starts_at,
        from_doctor: appointment.doctor_id,
        at: w.now.as_second(),
        by: w.session.login.clone(),
    });
    appointment.starts_at = starts.as_second();
    appointment.doctor_id = doctor.id;
    store_in(w, &doc_id, &appointment)?;
    ayada_model::appointment::restate_status(w.doc(&doc_id)?, &appointment)?;
    w.audit(
        "appointment-move",
        format!("{id} {from} -> {}", w.ctx.time.format(starts)),
    );
    Ok(appointment)
}

/// Moves bookings to another doctor at the same times, all or none (a doctor's absence).
pub(crate) fn move_many(
    w: &mut Writer<'_>,
    ids: &[AppointmentId],
    doctor_login: &str,
) -> Result<Vec<Appointment>> {
    let mut moved = Vec::new();
    for id in ids {
        let (_, appointment) = get_at(w, *id)?;
        let at = w
            .ctx
            .time
            .local(Timestamp::from_second(appointment.starts_at).unwrap_or_default());
        let to = Move {
            date: at.date(),
            time: at.time(),
            doctor_login: Some(doctor_login.to_string()),
        };
        moved.push(move_to(w, *id, &to)?);
    }
    Ok(moved)
}

/// Cancels bookings with one reason, all or none (a doctor's absence).
pub(crate) fn cancel_many(
    w: &mut Writer<'_>,
    ids: &[AppointmentId],
    reason: &str,
) -> Result<Vec<Appointment>> {
    ids.iter()
        .map(|id| super::set_status(w, *id, Status::Cancelled, Some(reason)))
        .collect()
}
