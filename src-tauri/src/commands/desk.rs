//! The front desk and the exam room: patients, bookings, the queue, visits and their photos.

use ayada_core::appointments::{Appointment, AppointmentRow, Booking, Status};
use ayada_core::clinic::PatientFile;
use ayada_core::patients::{Gender, NewPatient, Patient, PatientEdit, PatientHit};
use ayada_core::time::{parse_date, parse_time};
use ayada_core::visits::{Visit, VisitInput, VitalsInput};
use serde::Serialize;
use tauri::{AppHandle, State};

use super::{changing, with_session, Answer, UiError};
use crate::state::AppState;

/// Patients whose name or phone matches (Arabic variants and digits too).
#[tauri::command]
#[specta::specta]
pub fn search_patients(state: State<'_, AppState>, query: String) -> Answer<Vec<PatientHit>> {
    with_session(&state, |c, s| c.search_patients(s, &query, 20))
}

/// Registers a patient.
#[tauri::command]
#[specta::specta]
pub fn add_patient(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    phone: String,
    gender: Option<String>,
) -> Answer<Patient> {
    changing(&app, &state, "patients", |c, s| {
        let gender: Option<Gender> = gender
            .filter(|g| !g.is_empty())
            .map(|g| g.parse())
            .transpose()?;
        c.add_patient(
            s,
            &NewPatient {
                name,
                phone,
                gender,
                ..Default::default()
            },
        )
    })
}

/// A patient's file: details, bookings, and the visits or payments the role may see.
#[tauri::command]
#[specta::specta]
pub fn patient_file(state: State<'_, AppState>, id: String) -> Answer<PatientFile> {
    with_session(&state, |c, s| c.patient_file(s, id.parse()?))
}

/// Edits a patient's details; a field left out (null) stays as it is.
#[tauri::command]
#[specta::specta]
pub fn update_patient(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    edit: PatientEdit,
) -> Answer<Patient> {
    changing(&app, &state, "patients", |c, s| {
        c.update_patient(s, id.parse()?, &edit)
    })
}

/// A visit's photo (a 256-pixel thumbnail, or the stored image), as raw bytes.
#[tauri::command]
pub fn photo(
    state: State<'_, AppState>,
    name: String,
    full: bool,
) -> Result<tauri::ipc::Response, UiError> {
    with_session(&state, |c, s| c.photo(s, &name, !full)).map(tauri::ipc::Response::new)
}

/// A doctor's free slots on a day.
#[tauri::command]
#[specta::specta]
pub fn free_slots(state: State<'_, AppState>, doctor: String, date: String) -> Answer<Vec<String>> {
    with_session(&state, |c, s| c.free_slots(s, &doctor, parse_date(&date)?))
}

/// Books a slot.
#[tauri::command]
#[specta::specta]
pub fn book(
    app: AppHandle,
    state: State<'_, AppState>,
    patient: String,
    doctor: String,
    date: String,
    time: String,
    visit_type: String,
) -> Answer<Appointment> {
    changing(&app, &state, "appointments", |c, s| {
        c.book(
            s,
            &Booking {
                patient: patient.parse()?,
                doctor_login: doctor,
                date: parse_date(&date)?,
                time: parse_time(&time)?,
                visit_type,
            },
        )
    })
}

/// Queues a patient who came without a booking, already arrived.
#[tauri::command]
#[specta::specta]
pub fn walk_in(
    app: AppHandle,
    state: State<'_, AppState>,
    patient: String,
    doctor: String,
    visit_type: String,
) -> Answer<Appointment> {
    changing(&app, &state, "appointments", |c, s| {
        c.walk_in(s, patient.parse()?, &doctor, &visit_type)
    })
}

/// A day's appointments, and which day (the clinic's today when none was asked).
#[derive(Debug, Serialize, specta::Type)]
pub struct DayQueue {
    pub date: String,
    pub rows: Vec<AppointmentRow>,
}

/// A day's appointments (the queue).
#[tauri::command]
#[specta::specta]
pub fn appointments(state: State<'_, AppState>, date: Option<String>) -> Answer<DayQueue> {
    with_session(&state, |c, s| {
        let date = match date {
            Some(d) => parse_date(&d)?,
            None => c.time().today(),
        };
        Ok(DayQueue {
            date: date.to_string(),
            rows: c.appointments(s, date)?,
        })
    })
}

/// Booking requests waiting for the desk, from today on (any day, not only the queue's).
#[tauri::command]
#[specta::specta]
pub fn booking_requests(state: State<'_, AppState>) -> Answer<Vec<AppointmentRow>> {
    with_session(&state, |c, s| c.booking_requests(s))
}

/// Moves an appointment along (check-in, into the exam room, done, cancelled…).
#[tauri::command]
#[specta::specta]
pub fn set_status(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    status: String,
    reason: Option<String>,
) -> Answer<Appointment> {
    changing(&app, &state, "appointments", |c, s| {
        let status: Status = status.parse()?;
        c.set_appointment_status(s, id.parse()?, status, reason.as_deref())
    })
}

/// Records a visit (doctors): vitals, a diagnosis, a note and photos as file bytes.
#[tauri::command]
#[specta::specta]
#[allow(clippy::too_many_arguments)]
pub fn record_visit(
    app: AppHandle,
    state: State<'_, AppState>,
    appointment: String,
    visit_type: Option<String>,
    vitals: VitalsInput,
    diagnoses: Vec<String>,
    note: Option<String>,
    photos: Vec<Vec<u8>>,
    follow_up_days: Option<i64>,
) -> Answer<Visit> {
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    changing(&app, &state, "visits", |c, s| {
        c.record_visit(
            s,
            appointment.parse()?,
            &VisitInput {
                vitals,
                diagnoses,
                note: blank(note),
                photos,
                visit_type: blank(visit_type),
                follow_up_days,
            },
        )
    })
}
