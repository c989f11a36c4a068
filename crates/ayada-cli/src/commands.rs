//! Each command: parse what was typed, call ayada-core, shape the answer.

use std::fmt::Write as _;

use ayada_core::appointments::Booking;
use ayada_core::cashbook::Method;
use ayada_core::demo::DemoOptions;
use ayada_core::schedules::Hours;
use ayada_core::time::{parse_date, parse_local_datetime};
use ayada_core::visits::{VisitInput, VitalsInput};
use ayada_core::{Clinic, InitOptions, Money, Said, Session};
use serde_json::json;

use crate::args::*;
use crate::{Answer, Env, Failure};

pub(crate) type Out = Result<Answer, Failure>;

pub(crate) fn secret(var: &str) -> Result<String, Failure> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(Failure::usage(
            Said::new("cli-password-env").with("var", var),
        )),
    }
}

pub(crate) fn unreadable(path: &std::path::Path, e: std::io::Error) -> Failure {
    Failure::usage(
        Said::new("cli-unreadable")
            .with("path", path.display())
            .with("detail", e),
    )
}

fn open(env: &Env) -> Result<Clinic, Failure> {
    Ok(Clinic::open(&env.data, &env.key)?)
}

fn session(env: &Env, clinic: &mut Clinic) -> Result<Session, Failure> {
    let user = env
        .user
        .as_deref()
        .ok_or_else(|| Failure::usage(Said::new("cli-needs-user")))?;
    let code = std::env::var("AYADA_LOGIN_CODE").ok();
    Ok(clinic.login_with_code(user, &secret("AYADA_PASSWORD")?, code.as_deref())?)
}

pub(crate) fn logged_in(env: &Env) -> Result<(Clinic, Session), Failure> {
    let mut clinic = open(env)?;
    let s = session(env, &mut clinic)?;
    Ok((clinic, s))
}

pub(crate) fn date_or_today(
    clinic: &Clinic,
    date: Option<String>,
) -> Result<jiff::civil::Date, Failure> {
    Ok(match date {
        Some(d) => parse_date(&d)?,
        None => clinic.time().today(),
    })
}

pub(crate) fn hours(from: &[String], to: &[String]) -> Result<Vec<Hours>, Failure> {
    if from.len() != to.len() {
        return Err(Failure::usage(Said::new("cli-hours-pairs")));
    }
    Ok(from
        .iter()
        .zip(to)
        .map(|(f, t)| Hours {
            from: f.clone(),
            to: t.clone(),
        })
        .collect())
}

pub fn run(env: &Env, command: Command) -> Out {
    match command {
        Command::Init {
            clinic,
            owner_login,
            owner_name,
            tz,
            currency,
        } => {
            let options = InitOptions {
                clinic_name: clinic,
                owner_login,
                owner_name,
                owner_password: secret("AYADA_PASSWORD")?,
                time_zone: tz,
                currency,
            };
            let (clinic, owner) = Clinic::init(&env.data, &env.key, &options)?;
            Ok(Answer::new(
                json!({ "clinic_id": clinic.id(), "node_id": clinic.node(), "owner": owner.login(), "data": env.data }),
                Said::new("cli-clinic-created")
                    .with("clinic", clinic.id())
                    .with("dir", env.data.display())
                    .with("owner", owner.login())
                    .text(env.lang),
            ))
        }
        Command::Staff(cmd) => crate::setup::staff(env, cmd),
        Command::Patient(cmd) => crate::desk::patient(env, cmd),
        Command::Book {
            patient,
            doctor,
            at,
            visit_type,
            request,
        } => {
            let (mut clinic, s) = logged_in(env)?;
            let (date, time) = parse_local_datetime(&at)?;
            let booking = Booking {
                patient: patient.parse()?,
                doctor_login: doctor,
                date,
                time,
                visit_type,
            };
            let a = if request {
                clinic.request_booking(&s, &booking)?
            } else {
                clinic.book(&s, &booking)?
            };
            let done = if request {
                "cli-requested"
            } else {
                "cli-booked"
            };
            Ok(Answer::new(
                json!({ "appointment_id": a.id, "appointment": a }),
                Said::new(done)
                    .with("id", a.id)
                    .with("at", &at)
                    .text(env.lang),
            ))
        }
        Command::WalkIn {
            patient,
            doctor,
            visit_type,
        } => {
            let (mut clinic, s) = logged_in(env)?;
            let a = clinic.walk_in(&s, patient.parse()?, &doctor, &visit_type)?;
            Ok(Answer::new(
                json!({ "appointment_id": a.id, "appointment": a }),
                Said::new("cli-walked-in")
                    .with("id", a.id)
                    .with("doctor", &doctor)
                    .text(env.lang),
            ))
        }
        Command::Appointment(cmd) => crate::desk::appointment(env, cmd),
        Command::FollowUp(cmd) => crate::desk::follow_up(env, cmd),
        Command::Visit(VisitCommand::Record {
            appointment,
            temp,
            bp,
            pulse,
            weight,
            height,
            spo2,
            diagnosis,
            note,
            photo,
            visit_type,
            follow_up,
        }) => {
            let (mut clinic, s) = logged_in(env)?;
            let mut photos = Vec::new();
            for path in &photo {
                let meta = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
                if meta.len() > ayada_core::photos::MAX_FILE_BYTES as u64 {
                    return Err(ayada_core::CoreError::ImageTooLarge {
                        limit: format!("{} MB", ayada_core::photos::MAX_FILE_BYTES / (1024 * 1024)),
                    }
                    .into());
                }
                photos.push(std::fs::read(path).map_err(|e| unreadable(path, e))?);
            }
            let input = VisitInput {
                vitals: VitalsInput {
                    temperature: temp,
                    blood_pressure: bp,
                    pulse,
                    weight,
                    height,
                    spo2,
                },
                diagnoses: diagnosis,
                note,
                photos,
                visit_type,
                follow_up_days: follow_up
                    .as_deref()
                    .map(ayada_core::visits::parse_follow_up)
                    .transpose()?,
            };
            let visit = clinic.record_visit(&s, appointment.parse()?, &input)?;
            Ok(Answer::new(
                json!({ "visit_id": visit.id, "visit": visit }),
                Said::new("cli-visit-recorded")
                    .with("id", visit.id)
                    .text(env.lang),
            ))
        }
        Command::Pay {
            appointment,
            amount,
            method,
            insurer,
        } => {
            let (mut clinic, s) = logged_in(env)?;
            let method: Method = method.parse()?;
            let entry = clinic.pay(
                &s,
                appointment.parse()?,
                Money::parse(&amount)?,
                method,
                insurer.as_deref(),
            )?;
            Ok(Answer::new(
                json!({ "payment_id": entry.id, "payment": entry }),
                Said::new("cli-paid")
                    .with("id", entry.id)
                    .with("amount", entry.amount)
                    .with("method", entry.method)
                    .text(env.lang),
            ))
        }
        Command::Refund {
            payment,
            amount,
            reason,
        } => {
            let (mut clinic, s) = logged_in(env)?;
            let entry = clinic.refund(&s, payment.parse()?, Money::parse(&amount)?, &reason)?;
            Ok(Answer::new(
                json!({ "refund_id": entry.id, "refund": entry }),
                Said::new("cli-refunded")
                    .with("id", entry.id)
                    .with("amount", entry.amount)
                    .text(env.lang),
            ))
        }
        Command::Expense(ExpenseCommand::Add {
            amount,
            category,
            note,
        }) => {
            let (mut clinic, s) = logged_in(env)?;
            let entry = clinic.add_expense(&s, Money::parse(&amount)?, &category, &note)?;
            Ok(Answer::new(
                json!({ "expense_id": entry.id, "expense": entry }),
                Said::new("cli-expense")
                    .with("id", entry.id)
                    .with("amount", entry.amount)
                    .text(env.lang),
            ))
        }
        Command::Shift(ShiftCommand::Open { float }) => {
            let (mut clinic, s) = logged_in(env)?;
            let shift = clinic.open_shift(&s, Money::parse(&float)?)?;
            Ok(Answer::new(
                json!({ "shift_id": shift.id, "float": shift.float }),
                Said::new("cli-shift-opened")
                    .with("id", shift.id)
                    .with("float", shift.float)
                    .text(env.lang),
            ))
        }
        Command::Shift(ShiftCommand::Close { counted, note }) => {
            let (mut clinic, s) = logged_in(env)?;
            let closed = clinic.close_shift(&s, Money::parse(&counted)?, &note)?;
            let mut text = Said::new("cli-shift-closed")
                .with("id", closed.id)
                .with("counted", closed.counted)
                .text(env.lang);
            if let (Some(e), Some(d)) = (closed.expected, closed.difference) {
                text.push(' ');
                text.push_str(
                    &Said::new("cli-shift-difference")
                        .with("expected", e)
                        .with("difference", d)
                        .text(env.lang),
                );
            }
            Ok(Answer::new(
                json!({ "shift_id": closed.id, "counted": closed.counted, "expected": closed.expected, "difference": closed.difference }),
                text,
            ))
        }
        Command::Cash(CashCommand::Summary { date }) => {
            let (mut clinic, s) = logged_in(env)?;
            let date = date_or_today(&clinic, date)?;
            let summary = clinic.cash_summary(&s, date)?;
            let word = |id: &str| crate::reports::word(env.lang, id);
            let mut text = format!("{} {}\n", word("date"), summary.date);
            for (title, lines) in [
                ("payments", &summary.payments),
                ("by-insurer", &summary.by_insurer),
                ("refunds", &summary.refunds),
                ("expenses", &summary.expenses),
            ] {
                if lines.is_empty() {
                    continue;
                }
                let _ = writeln!(text, "  {}", word(title));
                for (key, amount) in lines {
                    let _ = writeln!(text, "    {key:<20} {amount:>12}");
                }
            }
            let _ = write!(
                text,
                "  {}   {} {}   {} {}",
                Said::new("cli-payment-count")
                    .with("count", summary.payment_count)
                    .text(env.lang),
                word("net-revenue"),
                summary.net_revenue,
                word("net-cash"),
                summary.net_cash
            );
            Ok(Answer::new(
                serde_json::to_value(&summary).unwrap_or_default(),
                text,
            ))
        }
        Command::Schedule(cmd) => crate::setup::schedule(env, cmd),
        Command::Portal(cmd) => crate::setup::portal(env, cmd),
        Command::VisitType(VisitTypeCommand::Set {
            name,
            price,
            minutes,
        }) => {
            let (mut clinic, s) = logged_in(env)?;
            let t = clinic.set_visit_type(&s, &name, Money::parse(&price)?, minutes)?;
            Ok(Answer::new(
                json!({ "visit_type_id": t.id, "visit_type": t }),
                Said::new("cli-visit-type")
                    .with("name", &t.name)
                    .with("price", t.price)
                    .with("minutes", t.minutes)
                    .text(env.lang),
            ))
        }
        Command::VisitType(VisitTypeCommand::List) => {
            let (mut clinic, s) = logged_in(env)?;
            let types = clinic.visit_types(&s)?;
            let text = types
                .iter()
                .map(|t| format!("{:<16} {:>10} {:>4} min", t.name, t.price, t.minutes))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(json!({ "visit_types": types }), text))
        }
        Command::Insurer(InsurerCommand::Add { name }) => {
            let (mut clinic, s) = logged_in(env)?;
            let i = clinic.add_insurer(&s, &name)?;
            Ok(Answer::new(
                json!({ "insurer_id": i.id, "insurer": i }),
                Said::new("cli-insurer-added")
                    .with("name", &i.name)
                    .text(env.lang),
            ))
        }
        Command::Conflicts {
            action:
                Some(ConflictsCommand::Settle {
                    doc,
                    record,
                    field,
                    value,
                }),
        } => {
            let (mut clinic, s) = logged_in(env)?;
            clinic.settle_conflict(&s, &doc, &record, &field, &value)?;
            Ok(Answer::new(
                json!({ "settled": { "doc_id": doc, "record": record, "field": field, "value": value } }),
                Said::new("cli-settled")
                    .with("field", &field)
                    .with("record", &record)
                    .with("value", &value)
                    .text(env.lang),
            ))
        }
        Command::Conflicts { action: None } => {
            let (mut clinic, s) = logged_in(env)?;
            let conflicts = clinic.conflicts(&s)?;
            let text = if conflicts.is_empty() {
                Said::new("cli-no-conflicts").text(env.lang)
            } else {
                conflicts
                    .iter()
                    .map(|c| {
                        let values = if c.values.is_empty() {
                            String::new()
                        } else {
                            format!(" [{}]", c.values.join(" | "))
                        };
                        format!(
                            "{} {} {} {}{values}",
                            c.kind,
                            c.at,
                            c.about,
                            c.ids.join(" ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Answer::new(json!({ "conflicts": conflicts }), text))
        }
        Command::Import(cmd) => crate::import::import(env, cmd),
        Command::Audit(AuditCommand::Verify) => {
            let (mut clinic, s) = logged_in(env)?;
            clinic.verify_audit(&s)?;
            // The chain alone cannot show a past rewritten with its hashes recomputed; the
            // heads this machine sent the server can.
            let (anchors, asked) = match clinic.sync_settings()? {
                None => (Vec::new(), Said::new("app-not-enrolled").text(env.lang)),
                Some(_) => match ayada_client::audit_anchors(&clinic) {
                    Ok(anchors) => (anchors, String::new()),
                    Err(e) => (Vec::new(), e.sentence(env.lang)),
                },
            };
            let (rows, compared) = clinic.verify_audit_anchored(&s, &anchors)?;
            let text = if asked.is_empty() {
                Said::new("cli-audit-anchored")
                    .with("rows", rows)
                    .with("compared", compared)
            } else {
                Said::new("cli-audit-alone")
                    .with("rows", rows)
                    .with("why", &asked)
            }
            .text(env.lang);
            Ok(Answer::new(
                json!({ "ok": true, "rows": rows, "server_heads": compared, "server_asked": asked.is_empty() }),
                text,
            ))
        }
        Command::Audit(AuditCommand::Log { limit }) => {
            let (mut clinic, s) = logged_in(env)?;
            let rows = clinic.audit_log(&s, limit)?;
            let text = rows
                .iter()
                .map(|r| {
                    let at = jiff::Timestamp::from_second(r.at)
                        .map(|t| clinic.time().format(t))
                        .unwrap_or_default();
                    format!(
                        "{:>6} {at} {:<12} {:<20} {:<7} {}",
                        r.seq, r.actor, r.action, r.outcome, r.subject
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(json!({ "entries": rows }), text))
        }
        Command::Demo(DemoArgs { days, years, seed }) => {
            let (mut clinic, s) = logged_in(env)?;
            let days = days.unwrap_or_else(|| years.unwrap_or(0) * 365);
            let staff_password = std::env::var("AYADA_NEW_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
                .map_or_else(|| secret("AYADA_PASSWORD"), Ok)?;
            let started = std::time::Instant::now();
            let report = clinic.generate_demo(
                &s,
                &DemoOptions {
                    days,
                    staff_password,
                    seed,
                },
            )?;
            let seconds = started.elapsed().as_secs_f64();
            Ok(Answer::new(
                json!({ "report": report, "seconds": seconds, "staff": ["reception", "dr.sara", "dr.karim"] }),
                Said::new("cli-demo")
                    .with("days", report.days)
                    .with("patients", report.patients)
                    .with("appointments", report.appointments)
                    .with("visits", report.visits)
                    .with("payments", report.payments)
                    .with("expenses", report.expenses)
                    .with("shifts", report.shifts)
                    .with("seconds", format!("{seconds:.1}"))
                    .text(env.lang),
            ))
        }
        Command::Enroll { server, email } => crate::sync::enroll(env, &server, &email),
        Command::Sync { batch } => crate::sync::sync(env, batch as usize),
        Command::Report(cmd) => crate::reports::report(env, cmd),
        Command::Machines(MachinesCommand::Invite { bind }) => crate::lan::invite(env, bind),
        Command::Machines(cmd) => crate::sync::machines(env, cmd),
        Command::JoinLan { code, name, at } => crate::lan::join(env, &code, &name, at),
        Command::ExportOpen { file } => crate::reports::export_open(env, &file),
        Command::ExportDownload { email, out } => {
            crate::reports::export_download(env, &email, &out)
        }
        Command::Receipt { payment, pdf } => crate::reports::receipt(env, &payment, &pdf),
        Command::Backup { out } => crate::reports::backup(env, &out),
        Command::LoginCode(cmd) => crate::reports::login_code(env, cmd),
        Command::Restore { from } => crate::reports::restore(env, &from),
        Command::Export { out } => crate::reports::export(env, &out),
        Command::RebuildProjections => {
            let mut clinic = open(env)?;
            let docs = clinic.rebuild_projections()?;
            Ok(Answer::new(
                json!({ "documents": docs }),
                Said::new("cli-rebuilt").with("docs", docs).text(env.lang),
            ))
        }
    }
}
