//! `ayada patient …` and `ayada appointment …`: the front desk's records.

use std::fmt::Write as _;

use ayada_core::appointments::{AppointmentRow, Move, Status};
use ayada_core::ids::AppointmentId;
use ayada_core::patients::{Gender, NewPatient};
use ayada_core::time::parse_local_datetime;
use ayada_core::Said;
use serde_json::json;

use crate::args::*;
use crate::commands::{date_or_today, logged_in, Out};
use crate::{Answer, Env};

pub(crate) fn patient(env: &Env, cmd: PatientCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        PatientCommand::Add {
            name,
            phone,
            gender,
            dob,
        } => {
            let gender = gender.map(|g| g.parse::<Gender>()).transpose()?;
            let p = clinic.add_patient(
                &s,
                &NewPatient {
                    name,
                    phone,
                    gender,
                    dob,
                    ..Default::default()
                },
            )?;
            Ok(Answer::new(
                json!({ "patient_id": p.id, "patient": p }),
                Said::new("cli-patient-added")
                    .with("id", p.id)
                    .with("name", &p.name)
                    .with("phone", &p.phone)
                    .text(env.lang),
            ))
        }
        PatientCommand::Search { query } => {
            let hits = clinic.search_patients(&s, &query, 20)?;
            let text = hits
                .iter()
                .map(|h| format!("{}  {:<30} {}", h.id, h.name, h.phone))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(json!({ "patients": hits }), text))
        }
        PatientCommand::Show { id } => {
            let file = clinic.patient_file(&s, id.parse()?)?;
            let p = &file.patient;
            let mut text = format!("{}\n{}\n", p.name, p.phone);
            if let Some(dob) = &p.dob {
                let _ = writeln!(
                    text,
                    "{}",
                    Said::new("cli-born").with("dob", dob).text(env.lang)
                );
            }
            for a in &file.appointments {
                let _ = writeln!(
                    text,
                    "  {} {} {} {}",
                    a.at, a.doctor, a.visit_type, a.status
                );
            }
            Ok(Answer::new(
                serde_json::to_value(&file).unwrap_or_default(),
                text.trim_end().to_string(),
            ))
        }
    }
}

pub(crate) fn appointment(env: &Env, cmd: AppointmentCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        AppointmentCommand::SetStatus { id, status, reason } => {
            let status: Status = status.parse()?;
            let a = clinic.set_appointment_status(&s, id.parse()?, status, reason.as_deref())?;
            Ok(Answer::new(
                json!({ "appointment_id": a.id, "status": a.status }),
                Said::new("cli-status")
                    .with("id", a.id)
                    .with(
                        "status",
                        ayada_core::i18n::term(env.lang, "status", a.status.as_str()),
                    )
                    .text(env.lang),
            ))
        }
        AppointmentCommand::List { date } => {
            let date = date_or_today(&clinic, date)?;
            let rows = clinic.appointments(&s, date)?;
            let text = booking_lines(&rows);
            Ok(Answer::new(
                json!({ "date": date.to_string(), "appointments": rows }),
                text,
            ))
        }
        AppointmentCommand::Move { id, at, doctor } => {
            let (date, time) = parse_local_datetime(&at)?;
            let a = clinic.move_appointment(
                &s,
                id.parse()?,
                &Move {
                    date,
                    time,
                    doctor_login: doctor,
                },
            )?;
            let row = clinic
                .appointments(&s, date)?
                .into_iter()
                .find(|r| r.id == a.id);
            let doctor = row.map(|r| r.doctor_name).unwrap_or_default();
            Ok(Answer::new(
                json!({ "appointment_id": a.id, "appointment": a }),
                Said::new("cli-moved")
                    .with("id", a.id)
                    .with("at", &at)
                    .with("doctor", doctor)
                    .text(env.lang),
            ))
        }
        AppointmentCommand::CancelMany { ids, reason } => {
            let ids = parse_ids(&ids)?;
            let done = clinic.cancel_appointments(&s, &ids, &reason)?;
            Ok(Answer::new(
                json!({ "cancelled": done.iter().map(|a| a.id).collect::<Vec<_>>() }),
                Said::new("cli-cancelled-many")
                    .with("count", done.len())
                    .text(env.lang),
            ))
        }
        AppointmentCommand::MoveMany { ids, doctor } => {
            let ids = parse_ids(&ids)?;
            let done = clinic.move_appointments(&s, &ids, &doctor)?;
            Ok(Answer::new(
                json!({ "moved": done.iter().map(|a| a.id).collect::<Vec<_>>() }),
                Said::new("cli-moved-many")
                    .with("count", done.len())
                    .with("doctor", &doctor)
                    .text(env.lang),
            ))
        }
    }
}

fn parse_ids(ids: &[String]) -> Result<Vec<AppointmentId>, ayada_core::CoreError> {
    ids.iter()
        .map(|id| id.parse().map_err(ayada_core::CoreError::from))
        .collect()
}

/// One line per booking: when, id, doctor, patient, type, status.
pub(crate) fn booking_lines(rows: &[AppointmentRow]) -> String {
    rows.iter()
        .map(|a| {
            format!(
                "{} {}  {:<10} {:<28} {:<12} {}",
                a.at, a.id, a.doctor, a.patient, a.visit_type, a.status
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn follow_up(env: &Env, cmd: FollowUpCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        FollowUpCommand::List => {
            let pending = clinic.follow_ups(&s)?;
            let text = if pending.is_empty() {
                Said::new("cli-no-follow-ups").text(env.lang)
            } else {
                pending
                    .iter()
                    .map(|f| {
                        format!(
                            "{}  {:<28} {:<14} {:<10} {}",
                            f.visit_id,
                            f.patient,
                            f.phone,
                            f.doctor,
                            Said::new("cli-follow-up-due")
                                .with("due", &f.due)
                                .with("proposed", f.proposed.as_deref().unwrap_or("-"))
                                .text(env.lang)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Answer::new(json!({ "follow_ups": pending }), text))
        }
        FollowUpCommand::Book { visit, at } => {
            let at = at.as_deref().map(parse_local_datetime).transpose()?;
            let a = clinic.book_follow_up(&s, visit.parse()?, at)?;
            let when = clinic
                .time()
                .format(jiff::Timestamp::from_second(a.starts_at).unwrap_or_default());
            Ok(Answer::new(
                json!({ "appointment_id": a.id, "appointment": a }),
                Said::new("cli-booked")
                    .with("id", a.id)
                    .with("at", when)
                    .text(env.lang),
            ))
        }
    }
}
