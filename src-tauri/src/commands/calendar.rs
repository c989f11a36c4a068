//! The desk's second day: moving bookings, a doctor's absence, follow-ups to book.

use ayada_core::appointments::{Appointment, AppointmentRow, Move};
use ayada_core::follow_ups::FollowUp;
use ayada_core::ids::AppointmentId;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::CoreError;
use tauri::{AppHandle, State};

use super::{changing, with_session, Answer};
use crate::state::AppState;

fn ids(ids: &[String]) -> Result<Vec<AppointmentId>, CoreError> {
    ids.iter()
        .map(|id| id.parse().map_err(CoreError::from))
        .collect()
}

/// Moves a booking to another time, day or doctor (none keeps the doctor).
#[tauri::command]
#[specta::specta]
pub fn move_appointment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    date: String,
    time: String,
    doctor: Option<String>,
) -> Answer<Appointment> {
    changing(&app, &state, "appointments", |c, s| {
        c.move_appointment(
            s,
            id.parse()?,
            &Move {
                date: parse_date(&date)?,
                time: parse_time(&time)?,
                doctor_login: doctor.filter(|d| !d.is_empty()),
            },
        )
    })
}

/// Moves bookings to another doctor at the same times, all or none.
#[tauri::command]
#[specta::specta]
pub fn move_appointments(
    app: AppHandle,
    state: State<'_, AppState>,
    ids: Vec<String>,
    doctor: String,
) -> Answer<Vec<Appointment>> {
    changing(&app, &state, "appointments", |c, s| {
        c.move_appointments(s, &self::ids(&ids)?, &doctor)
    })
}

/// Cancels bookings with one reason, all or none.
#[tauri::command]
#[specta::specta]
pub fn cancel_appointments(
    app: AppHandle,
    state: State<'_, AppState>,
    ids: Vec<String>,
    reason: String,
) -> Answer<Vec<Appointment>> {
    changing(&app, &state, "appointments", |c, s| {
        c.cancel_appointments(s, &self::ids(&ids)?, &reason)
    })
}

/// Marks a doctor away from `from` to `to`; the bookings on those days to move or cancel.
#[tauri::command]
#[specta::specta]
pub fn mark_absent(
    app: AppHandle,
    state: State<'_, AppState>,
    doctor: String,
    from: String,
    to: String,
    reason: String,
) -> Answer<Vec<AppointmentRow>> {
    changing(&app, &state, "appointments", |c, s| {
        c.mark_absent(s, &doctor, parse_date(&from)?, parse_date(&to)?, &reason)
    })
}

/// A doctor's bookings still waiting from `from` to `to` (an absence's list).
#[tauri::command]
#[specta::specta]
pub fn bookings_between(
    state: State<'_, AppState>,
    doctor: String,
    from: String,
    to: String,
) -> Answer<Vec<AppointmentRow>> {
    with_session(&state, |c, s| {
        c.bookings_between(s, &doctor, parse_date(&from)?, parse_date(&to)?)
    })
}

/// Takes back a doctor's absence from `from` to `to`.
#[tauri::command]
#[specta::specta]
pub fn end_absence(
    app: AppHandle,
    state: State<'_, AppState>,
    doctor: String,
    from: String,
    to: String,
) -> Answer<()> {
    changing(&app, &state, "appointments", |c, s| {
        c.end_absence(s, &doctor, parse_date(&from)?, parse_date(&to)?)
            .map(|_| ())
    })
}

/// The follow-ups doctors asked for that no booking answers yet.
#[tauri::command]
#[specta::specta]
pub fn follow_ups(state: State<'_, AppState>) -> Answer<Vec<FollowUp>> {
    with_session(&state, |c, s| c.follow_ups(s))
}

/// Books a follow-up at `date` `time`, or at the proposed slot when none is given.
#[tauri::command]
#[specta::specta]
pub fn book_follow_up(
    app: AppHandle,
    state: State<'_, AppState>,
    visit: String,
    date: Option<String>,
    time: Option<String>,
) -> Answer<Appointment> {
    changing(&app, &state, "appointments", |c, s| {
        let at = match (date, time) {
            (Some(d), Some(t)) => Some((parse_date(&d)?, parse_time(&t)?)),
            _ => None,
        };
        c.book_follow_up(s, visit.parse()?, at)
    })
}
