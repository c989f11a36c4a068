//! The desk's next weeks, brought in beside the patients: each row a future appointment (its
//! day, time, doctor by name or login, visit type) of a patient the clinic knows or the row
//! introduces. Checked whole before anything is written: a past day, an unknown doctor or
//! visit type, or a slot taken (in the clinic or by an earlier row) is a bad line.

use std::collections::HashMap;

use jiff::SignedDuration;

use super::{
    cell, lacking, open, values, BadLine, Duplicate, Field, ImportOptions, ImportReport, Repeats,
};
use crate::appointments::{self, Booking, BookingKind};
use crate::clinic::Clinic;
use crate::error::{CoreError, Result};
use crate::ids::{PatientId, StaffId};
use crate::patients::{self, NewPatient, Patient};
use crate::roles::{Action, Session};
use crate::text::fold;

/// A row that will be booked: its patient (known, or new with the row) and its booking.
struct Planned {
    patient: Result<PatientId, Patient>,
    booking: Booking,
}

/// A doctor as a row may name them: their login, or their name with or without "Dr." / "د.".
fn doctor_key(name: &str) -> String {
    let folded = fold(name);
    let trimmed = [
        "dr. ",
        "dr ",
        "د. ",
        "د.",
        "د ",
        "دكتور ",
        "الدكتور ",
        "دكتوره ",
    ]
    .iter()
    .find_map(|p| folded.strip_prefix(p))
    .unwrap_or(&folded);
    trimmed.trim().to_string()
}

pub(crate) fn run(
    clinic: &mut Clinic,
    session: &Session,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport> {
    let required = [
        Field::Name,
        Field::Phone,
        Field::Date,
        Field::Time,
        Field::Doctor,
    ];
    let (table, fields, mut report) = open(bytes, &options.columns, &required)?;
    if !report.missing.is_empty() {
        return lacking(report, options);
    }
    let today = clinic.time().today();
    let now = jiff::Timestamp::now().as_second();
    let mut known: HashMap<(String, String), PatientId> = clinic
        .patient_keys()?
        .into_iter()
        .map(|(id, phone, name)| ((phone, name), id))
        .collect();
    let doctors: Vec<(String, String, StaffId)> = crate::staff::rows(clinic.conn(), true)?
        .into_iter()
        .filter(|s| s.role == crate::roles::Role::Doctor)
        .map(|s| (s.login.clone(), doctor_key(&s.name), s.id))
        .collect();
    let visit_types = crate::settings::active_visit_types(clinic.conn())?;
    // Who is busy when: the clinic's bookings, and the file's own rows as they are read.
    let mut taken: Vec<(StaffId, i64, i64)> = Vec::new();
    let mut planned = Vec::new();
    let mut seen: HashMap<(PatientIdKey, String, i64), u64> = HashMap::new();
    for row in &table.rows {
        report.lines += 1;
        let cell = |field: Field| cell(&fields, row, field);
        let checked = (|| -> Result<Checked> {
            let new = NewPatient {
                name: cell(Field::Name).to_string(),
                phone: cell(Field::Phone).to_string(),
                ..NewPatient::default()
            };
            let patient =
                patients::validate(&new, PatientId::new(), session.staff_id(), now, today)?;
            let key = (patient.phone.to_string(), fold(&patient.name));
            let date = values::day(cell(Field::Date))?
                .ok_or_else(|| CoreError::invalid("date", "required"))?;
            if date < today {
                return Err(CoreError::invalid("date", "in-the-past"));
            }
            let time = values::time(cell(Field::Time))?;
            let named = cell(Field::Doctor);
            let (login, _, doctor) = doctors
                .iter()
                .find(|(login, name, _)| {
                    login.eq_ignore_ascii_case(named.trim()) || *name == doctor_key(named)
                })
                .ok_or_else(|| CoreError::not_found("doctor", named))?;
            let type_name = match cell(Field::VisitType) {
                "" => "examination",
                t => t,
            };
            let visit_type = visit_types
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(type_name.trim()))
                .ok_or_else(|| CoreError::not_found("visit-type", type_name))?;
            let starts = clinic.time().instant(date, time)?;
            let ends = starts + SignedDuration::from_mins(visit_type.minutes);
            let patient_id = match known.get(&key).copied() {
                Some(id) => Ok(id),
                None => Err(patient),
            };
            let id_key = match &patient_id {
                Ok(id) => PatientIdKey::Known(*id),
                Err(_) => PatientIdKey::New(key.clone()),
            };
            // The same booking written twice is a repeat, not a clash with itself.
            if let Some(line) = seen.get(&(id_key.clone(), login.clone(), starts.as_second())) {
                return Ok(Checked::Repeat(*line));
            }
            let at = clinic.time().format(starts);
            let clash = |doctor_name: &str| CoreError::SlotTaken {
                doctor: doctor_name.to_string(),
                at: at.clone(),
            };
            if !appointments::busy(clinic.conn(), *doctor, starts, ends)?.is_empty()
                || taken.iter().any(|(d, s, e)| {
                    d == doctor && *s < ends.as_second() && *e > starts.as_second()
                })
            {
                return Err(clash(named));
            }
            taken.push((*doctor, starts.as_second(), ends.as_second()));
            Ok(Checked::Plan(
                Box::new(Planned {
                    patient: patient_id,
                    booking: Booking {
                        patient: PatientId::new(),
                        doctor_login: login.clone(),
                        date,
                        time,
                        visit_type: visit_type.name.clone(),
                    },
                }),
                id_key,
                starts.as_second(),
            ))
        })();
        match checked {
            Ok(Checked::Repeat(line)) => report.duplicates.push(Duplicate {
                line: row.line,
                name: cell(Field::Name).to_string(),
                phone: cell(Field::Phone).to_string(),
                repeats: Repeats::Line { line },
            }),
            Ok(Checked::Plan(plan, id_key, starts)) => {
                seen.insert(
                    (id_key, plan.booking.doctor_login.clone(), starts),
                    row.line,
                );
                planned.push(*plan);
            }
            Err(error) => report.bad.push(BadLine {
                line: row.line,
                error,
            }),
        }
    }
    report.valid = planned.len();
    if options.dry_run || (!report.bad.is_empty() && !options.skip_bad_lines) {
        return Ok(report);
    }
    let imported = clinic.write_as(session, |w| {
        w.allow(Action::ImportPatients)?;
        w.allow(Action::Book)?;
        let mut booked = 0;
        for plan in &planned {
            let patient = match &plan.patient {
                Ok(id) => *id,
                Err(new) => {
                    // A patient several rows introduce is registered once.
                    let key = (new.phone.to_string(), fold(&new.name));
                    match known.get(&key) {
                        Some(id) => *id,
                        None => {
                            patients::store(w, new)?;
                            known.insert(key, new.id);
                            new.id
                        }
                    }
                }
            };
            let booking = Booking {
                patient,
                ..plan.booking.clone()
            };
            appointments::book(w, &booking, BookingKind::Confirmed)?;
            booked += 1;
        }
        w.audit("import-appointments", format!("{booked} appointments"));
        Ok(booked)
    })?;
    report.imported = imported;
    Ok(report)
}

/// What checking a row found: a booking to make (its patient and start, to tell a repeat
/// by), or a repeat of an earlier row.
enum Checked {
    Plan(Box<Planned>, PatientIdKey, i64),
    Repeat(u64),
}

/// A row's patient, for telling a repeated row: one the clinic knows, or one new in the file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PatientIdKey {
    Known(PatientId),
    New((String, String)),
}
