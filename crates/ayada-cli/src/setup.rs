//! `ayada staff …` and `ayada schedule …`: the owner's accounts and doctors' hours.

use ayada_core::schedules::parse_days;
use ayada_core::text::ascii_digits;
use ayada_core::time::parse_date;
use ayada_core::{CoreError, Role, Said};
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
                Said::new("cli-staff-added")
                    .with("name", &member.name)
                    .with(
                        "role",
                        ayada_core::i18n::term(env.lang, "role", member.role.as_str()),
                    )
                    .with("login", &member.login)
                    .text(env.lang),
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
                        if m.active {
                            String::new()
                        } else {
                            format!(" ({})", Said::new("cli-inactive").text(env.lang))
                        }
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
                Said::new("cli-staff-off")
                    .with("login", &member.login)
                    .text(env.lang),
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
                Said::new("cli-schedule")
                    .with("doctor", &doctor)
                    .with("days", sched.days.join(","))
                    .with("minutes", sched.slot_minutes)
                    .text(env.lang),
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
        ScheduleCommand::Absent {
            doctor,
            from,
            to,
            reason,
        } => {
            let from = parse_date(&from)?;
            let to = to.as_deref().map(parse_date).transpose()?.unwrap_or(from);
            let rows = clinic.mark_absent(&s, &doctor, from, to, &reason)?;
            let mut text = Said::new("cli-absent")
                .with("doctor", &doctor)
                .with("from", from)
                .with("to", to)
                .with("count", rows.len())
                .text(env.lang);
            if !rows.is_empty() {
                text = format!("{text}\n{}", crate::desk::booking_lines(&rows));
            }
            Ok(Answer::new(
                json!({ "doctor": doctor, "from": from.to_string(), "to": to.to_string(), "appointments": rows }),
                text,
            ))
        }
        ScheduleCommand::Back { doctor, from, to } => {
            let from = parse_date(&from)?;
            let to = to.as_deref().map(parse_date).transpose()?.unwrap_or(from);
            let sched = clinic.end_absence(&s, &doctor, from, to)?;
            Ok(Answer::new(
                json!({ "schedule": sched }),
                Said::new("cli-back")
                    .with("doctor", &doctor)
                    .with("from", from)
                    .with("to", to)
                    .text(env.lang),
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
                Said::new("cli-day-set")
                    .with("doctor", &doctor)
                    .with("date", date)
                    .text(env.lang),
            ))
        }
    }
}

/// The ids of the comma-separated names in `list`, each found in `all` by the name `key`
/// gives (case-insensitive); the first unknown one is refused as a `what`.
fn ids_of<T, I>(
    list: &str,
    what: &str,
    all: &[T],
    key: impl Fn(&T) -> (&String, I),
) -> Result<Vec<I>, CoreError> {
    items(list)
        .map(|name| {
            all.iter()
                .map(&key)
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, id)| id)
                .ok_or_else(|| CoreError::not_found(what, name))
        })
        .collect()
}

/// Splits a comma-separated option, dropping empty items.
fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split([',', '،'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
}

pub(crate) fn portal(env: &Env, cmd: PortalCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    if let PortalCommand::Messages = cmd {
        let list = ayada_client::portal_messages(&mut clinic, &s)?;
        let text = list
            .messages
            .iter()
            .map(|m| format!("{:<16} {:<10} {:>2} {}", m.kind, m.state, m.attempts, m.to))
            .collect::<Vec<_>>()
            .join("\n");
        return Ok(Answer::new(json!({ "messages": list.messages }), text));
    }
    let mut settings = clinic.portal_settings(&s)?;
    if let PortalCommand::Set {
        enabled,
        doctors,
        visit_types,
        days_ahead,
        cutoff_hours,
        reminders,
        review_link,
    } = cmd
    {
        if let Some(logins) = doctors {
            let staff = clinic.staff(&s)?;
            settings.doctors = ids_of(&logins, "doctor", &staff, |m| (&m.login, m.id))?;
        }
        if let Some(names) = visit_types {
            let types = clinic.visit_types(&s)?;
            settings.visit_types = ids_of(&names, "visit-type", &types, |t| (&t.name, t.id))?;
        }
        if let Some(hours) = reminders {
            settings.reminder_hours = items(&ascii_digits(&hours))
                .map(|h| {
                    h.parse().map_err(|_| CoreError::Invalid {
                        field: "reminders".into(),
                        reason: "portal-reminders".into(),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        settings.enabled = enabled.unwrap_or(settings.enabled);
        settings.days_ahead = days_ahead.unwrap_or(settings.days_ahead);
        settings.cutoff_hours = cutoff_hours.unwrap_or(settings.cutoff_hours);
        settings.review_link = review_link.unwrap_or(settings.review_link);
        settings = clinic.set_portal_settings(&s, &settings)?;
    }
    let text = Said::new("cli-portal")
        .with("enabled", if settings.enabled { "on" } else { "off" })
        .with("doctors", settings.doctors.len())
        .with("types", settings.visit_types.len())
        .with("days", settings.days_ahead)
        .with("cutoff", settings.cutoff_hours)
        .text(env.lang);
    Ok(Answer::new(json!({ "portal": settings }), text))
}
