//! `ayada staff …` and `ayada schedule …`: the owner's accounts and doctors' hours.

use ayada_core::schedules::parse_days;
use ayada_core::time::parse_date;
use ayada_core::Role;
use serde_json::json;

use crate::args::*;
use crate::commands::{hours, logged_in, secret, Out};
use crate::{Answer, Env};

pub(crate) fn staff(env: &Env, cmd: StaffCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        StaffCommand::Add { name, login, role } => {
            let role: Role = role.parse()?;
            let member =
                clinic.add_staff(&s, &name, &login, role, &secret("AYADA_NEW_PASSWORD")?)?;
            Ok(Answer::new(
                json!({ "staff_id": member.id, "staff": member }),
                format!(
                    "{} ({}) can now log in as {}.",
                    member.name, member.role, member.login
                ),
            ))
        }
        StaffCommand::List => {
            let staff = clinic.staff(&s)?;
            let text = staff
                .iter()
                .map(|m| {
                    format!(
                        "{:<14} {:<13} {}{}",
                        m.login,
                        m.role.as_str(),
                        m.name,
                        if m.active { "" } else { " (inactive)" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(json!({ "staff": staff }), text))
        }
        StaffCommand::Deactivate { login } => {
            let member = clinic.set_staff_active(&s, &login, false)?;
            Ok(Answer::new(
                json!({ "staff": member }),
                format!("{} can no longer log in.", member.login),
            ))
        }
    }
}

pub(crate) fn schedule(env: &Env, cmd: ScheduleCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        ScheduleCommand::Set {
            doctor,
            days,
            from,
            to,
            slot,
        } => {
            let sched =
                clinic.set_schedule(&s, &doctor, parse_days(&days)?, hours(&from, &to)?, slot)?;
            Ok(Answer::new(
                json!({ "schedule": sched }),
                format!(
                    "{doctor} works {} ({} min slots).",
                    sched.days.join(","),
                    sched.slot_minutes
                ),
            ))
        }
        ScheduleCommand::Free { doctor, date } => {
            let date = parse_date(&date)?;
            let slots = clinic.free_slots(&s, &doctor, date)?;
            Ok(Answer::new(
                json!({ "doctor": doctor, "date": date.to_string(), "free": slots }),
                slots.join(" "),
            ))
        }
        ScheduleCommand::Off {
            doctor,
            date,
            from,
            to,
        } => {
            let date = parse_date(&date)?;
            let sched = clinic.set_schedule_exception(&s, &doctor, date, hours(&from, &to)?)?;
            Ok(Answer::new(
                json!({ "schedule": sched }),
                format!("{doctor}: {date} set."),
            ))
        }
    }
}
