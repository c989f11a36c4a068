//! The owner's setup: staff, doctors' schedules, visit types and prices, insurers, and the
//! clinic's details.

use ayada_core::schedules::{Hours, Schedule};
use ayada_core::settings::{ClinicSettings, Insurer, PortalSettings, VisitType};
use ayada_core::staff::StaffMember;
use ayada_core::time::parse_date;
use ayada_core::{Money, Role};
use tauri::{AppHandle, State};

use super::{changing, with_session, Answer};
use crate::state::AppState;

/// Staff accounts (owner).
#[tauri::command]
#[specta::specta]
pub fn staff(state: State<'_, AppState>) -> Answer<Vec<StaffMember>> {
    with_session(&state, |c, s| c.staff(s))
}

/// Adds a staff account (owner).
#[tauri::command]
#[specta::specta]
pub fn add_staff(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    login: String,
    role: String,
    password: String,
) -> Answer<StaffMember> {
    changing(&app, &state, "staff", |c, s| {
        let role: Role = role.parse()?;
        c.add_staff(s, &name, &login, role, &password)
    })
}

/// Sets a doctor's weekly hours (owner): working days and one range of hours.
#[tauri::command]
#[specta::specta]
pub fn set_schedule(
    app: AppHandle,
    state: State<'_, AppState>,
    doctor: String,
    days: String,
    hours: Vec<Hours>,
    slot_minutes: i64,
) -> Answer<Schedule> {
    changing(&app, &state, "schedules", |c, s| {
        let days = ayada_core::schedules::parse_days(&days)?;
        c.set_schedule(s, &doctor, days, hours, slot_minutes)
    })
}

/// A doctor's schedule (null when none was set).
#[tauri::command]
#[specta::specta]
pub fn schedule(state: State<'_, AppState>, doctor: String) -> Answer<Option<Schedule>> {
    with_session(&state, |c, s| c.schedule(s, &doctor))
}

/// Other hours for a doctor on one date; no hours is a day off (owner).
#[tauri::command]
#[specta::specta]
pub fn set_schedule_exception(
    app: AppHandle,
    state: State<'_, AppState>,
    doctor: String,
    date: String,
    hours: Vec<Hours>,
) -> Answer<Schedule> {
    changing(&app, &state, "schedules", |c, s| {
        c.set_schedule_exception(s, &doctor, parse_date(&date)?, hours)
    })
}

/// The clinic's details (name, address, phones, email, time zone).
#[tauri::command]
#[specta::specta]
pub fn clinic_details(state: State<'_, AppState>) -> Answer<ClinicSettings> {
    with_session(&state, |c, s| c.settings(s))
}

/// Changes the clinic's details (owner).
#[tauri::command]
#[specta::specta]
pub fn update_clinic_details(
    app: AppHandle,
    state: State<'_, AppState>,
    details: ClinicSettings,
) -> Answer<ClinicSettings> {
    changing(&app, &state, "clinic", |c, s| {
        c.update_settings(s, &details)
    })
}

/// What patients may book online on the server's portal.
#[tauri::command]
#[specta::specta]
pub fn portal_settings(state: State<'_, AppState>) -> Answer<PortalSettings> {
    with_session(&state, |c, s| c.portal_settings(s))
}

/// Saves what patients may book online (owner); it syncs to the server like any setting.
#[tauri::command]
#[specta::specta]
pub fn set_portal_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: PortalSettings,
) -> Answer<PortalSettings> {
    changing(&app, &state, "clinic", |c, s| {
        c.set_portal_settings(s, &settings)
    })
}

/// The visit types with their prices.
#[tauri::command]
#[specta::specta]
pub fn visit_types(state: State<'_, AppState>) -> Answer<Vec<VisitType>> {
    with_session(&state, |c, s| c.visit_types(s))
}

/// Sets a visit type's price (and length), creating it if new (owner).
#[tauri::command]
#[specta::specta]
pub fn set_visit_type(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    price: String,
    minutes: Option<i64>,
) -> Answer<VisitType> {
    changing(&app, &state, "clinic", |c, s| {
        c.set_visit_type(s, &name, Money::parse(&price)?, minutes)
    })
}

/// The insurers the desk can pick.
#[tauri::command]
#[specta::specta]
pub fn insurers(state: State<'_, AppState>) -> Answer<Vec<Insurer>> {
    with_session(&state, |c, s| c.insurers(s))
}

/// Adds an insurer (owner).
#[tauri::command]
#[specta::specta]
pub fn add_insurer(app: AppHandle, state: State<'_, AppState>, name: String) -> Answer<Insurer> {
    changing(&app, &state, "clinic", |c, s| c.add_insurer(s, &name))
}
