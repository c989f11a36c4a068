//! The reference clinic: two doctors, a receptionist, ~30 visits a day per doctor, Arabic and
//! English names, Egyptian numbers, and the day's rhythm of bookings, arrivals, no-shows,
//! cancellations, payments (cash, card, insurance), expenses and shifts. Seeded, so the same
//! options give the same clinic; each day is one transaction.

use jiff::civil::{Date, Time, Weekday};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::appointments::{self, Booking, Status};
use crate::cashbook::{self, Method};
use crate::clinic::Clinic;
use crate::error::{CoreError, Result};
use crate::ids::{AppointmentId, PatientId};
use crate::money::Money;
use crate::patients::{self, Gender, NewPatient};
use crate::roles::{Role, Session};
use crate::schedules::{self, Hours};
use crate::settings;
use crate::shifts;
use crate::store::Writer;
use crate::time::ClinicTime;
use crate::visits::{self, VisitInput, VitalsInput};

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many days, ending today. On a clinic an earlier run generated, only the days
    /// after the last one it holds.
    pub days: u32,
    /// Password for the demo staff accounts.
    pub staff_password: String,
    /// Random seed.
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DemoReport {
    /// Clinic days generated (Fridays are closed).
    pub days: u32,
    /// Patients registered.
    pub patients: u64,
    /// Appointments booked.
    pub appointments: u64,
    /// Visits recorded.
    pub visits: u64,
    /// Payments taken.
    pub payments: u64,
    /// Expenses recorded.
    pub expenses: u64,
    /// Shifts run.
    pub shifts: u64,
}

const FIRST_AR_F: &[&str] = &[
    "فاطمة",
    "مريم",
    "نور",
    "سارة",
    "آية",
    "إيمان",
    "هدى",
    "منى",
    "ياسمين",
    "رحمة",
    "شيماء",
    "أسماء",
];
const FIRST_AR_M: &[&str] = &[
    "محمد",
    "أحمد",
    "محمود",
    "مصطفى",
    "عمر",
    "يوسف",
    "إبراهيم",
    "علي",
    "حسن",
    "خالد",
    "طارق",
    "عبد الله",
];
const FIRST_EN_F: &[&str] = &["Mariam", "Nour", "Salma", "Farida", "Hana", "Laila"];
const FIRST_EN_M: &[&str] = &["Omar", "Youssef", "Karim", "Adam", "Ziad", "Hassan"];
const LAST_AR: &[&str] = &[
    "السيد",
    "عبد الرحمن",
    "إبراهيم",
    "حسين",
    "مصطفى",
    "الشريف",
    "عثمان",
    "النجار",
    "سليمان",
    "فؤاد",
    "رمضان",
    "عيسى",
];
const LAST_EN: &[&str] = &[
    "Hassan", "Mostafa", "Ibrahim", "Saleh", "Fouad", "Nasser", "Kamel", "Farouk",
];
const DIAGNOSES: &[&str] = &[
    "Acute pharyngitis",
    "Hypertension",
    "Type 2 diabetes",
    "Gastroenteritis",
    "Iron-deficiency anaemia",
    "التهاب الجيوب الأنفية",
    "Migraine",
    "Lower back pain",
    "Bronchitis",
    "نزلة برد",
];
const EXPENSES: &[(&str, i64, i64)] = &[
    ("supplies", 5_000, 60_000),
    ("cleaning", 10_000, 30_000),
    ("tea and water", 2_000, 8_000),
    ("maintenance", 20_000, 150_000),
    ("transport", 3_000, 15_000),
];
const INSURERS: &[&str] = &["AXA Egypt", "Misr Insurance", "Allianz Egypt"];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

fn new_patient(rng: &mut StdRng, today: Date) -> NewPatient {
    let female = rng.gen_bool(0.55);
    let arabic = rng.gen_bool(0.8);
    let first = match (arabic, female) {
        (true, true) => pick(rng, FIRST_AR_F),
        (true, false) => pick(rng, FIRST_AR_M),
        (false, true) => pick(rng, FIRST_EN_F),
        (false, false) => pick(rng, FIRST_EN_M),
    };
    let last = if arabic {
        pick(rng, LAST_AR)
    } else {
        pick(rng, LAST_EN)
    };
    let father = if arabic {
        pick(rng, FIRST_AR_M)
    } else {
        pick(rng, FIRST_EN_M)
    };
    let prefix = ["010", "011", "012", "015"][rng.gen_range(0..4)];
    let age_days = rng.gen_range(365..85 * 365);
    NewPatient {
        name: format!("{first} {father} {last}"),
        phone: format!("{prefix}{:08}", rng.gen_range(0..100_000_000u32)),
        gender: Some(if female { Gender::Female } else { Gender::Male }),
        dob: today
            .checked_sub(SignedDuration::from_hours(24 * age_days))
            .ok()
            .map(|d| d.to_string()),
        medical_history: if rng.gen_bool(0.2) {
            "Hypertension since 2019".into()
        } else {
            String::new()
        },
        allergies: if rng.gen_bool(0.1) {
            "Penicillin".into()
        } else {
            String::new()
        },
    }
}

fn ensure_staff(
    clinic: &mut Clinic,
    owner: &Session,
    password: &str,
) -> Result<(Session, Vec<(Session, String)>)> {
    let accounts = [
        ("reception", "منى عبد الله", Role::Receptionist),
        ("dr.sara", "د. سارة حسن", Role::Doctor),
        ("dr.karim", "Dr. Karim Mansour", Role::Doctor),
    ];
    let existing = clinic.login_names()?;
    let mut sessions = Vec::new();
    for (login, name, role) in accounts {
        let member = match existing.iter().find(|m| m.login == login) {
            Some(m) => m.clone(),
            None => clinic.add_staff(owner, name, login, role, password)?,
        };
        sessions.push(Session {
            staff_id: member.id,
            login: member.login,
            name: member.name,
            role,
        });
    }
    let reception = sessions.remove(0);
    let doctors = sessions
        .into_iter()
        .map(|s| {
            let l = s.login.clone();
            (s, l)
        })
        .collect();
    Ok((reception, doctors))
}

pub(crate) fn generate(
    clinic: &mut Clinic,
    owner: &Session,
    options: &DemoOptions,
) -> Result<DemoReport> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let (reception, doctors) = ensure_staff(clinic, owner, &options.staff_password)?;
    let time = clinic.time().clone();
    let now = clinic.now();
    let today = time.local_date(now);
    let mut report = DemoReport::default();
    let mut pool: Vec<PatientId> = Vec::new();
    let mut first = today
        .checked_sub(SignedDuration::from_hours(
            24 * i64::from(options.days.saturating_sub(1)),
        ))
        .unwrap_or(today);
    // A demo clinic made on an earlier day is brought up to today, so the desk does not open
    // on an empty day: its days are not generated twice, and its last day (which was not
    // over) is finished: the bookings still ahead then happen, and the shift it left open
    // is closed that evening. Its prices, insurers and hours stay as they are: the owner
    // may have changed them since.
    if let Some(done) = clinic.last_appointment_day(today)? {
        if done == today {
            return Ok(report);
        }
        clinic.write(&reception, |w| {
            let ahead = appointments::list(&w.tx, &time, done)?
                .into_iter()
                .filter(|a| a.status == Status::Booked);
            for booking in ahead {
                let Some((doctor, _)) = doctors.iter().find(|(_, login)| *login == booking.doctor)
                else {
                    continue;
                };
                let start = Timestamp::from_second(booking.starts_at)
                    .map_err(|e| CoreError::invalid("appointment start", e.to_string()))?;
                let follow_up = booking.visit_type == "follow-up";
                play(
                    w,
                    booking.id,
                    start,
                    follow_up,
                    doctor,
                    &reception,
                    &mut rng,
                    &mut report,
                )?;
            }
            close_evening(w, &time, done, &mut rng)
        })?;
        first = first.max(done.tomorrow().unwrap_or(done));
    } else {
        clinic.write(owner, |w| {
            settings::set_visit_type(w, "examination", Money(40_000), Some(15))?;
            settings::set_visit_type(w, "follow-up", Money(20_000), Some(15))?;
            for name in INSURERS {
                settings::add_insurer(w, name)?;
            }
            for (doctor, _) in &doctors {
                let hours = vec![
                    Hours {
                        from: "10:00".into(),
                        to: "14:00".into(),
                    },
                    Hours {
                        from: "17:00".into(),
                        to: "22:00".into(),
                    },
                ];
                schedules::set(
                    w,
                    doctor.staff_id,
                    schedules::parse_days("sat,sun,mon,tue,wed,thu")?,
                    hours,
                    15,
                )?;
            }
            // The demo clinic takes bookings on the server's portal, as a real one would
            // once its owner says so.
            let types = settings::visit_types(w)?;
            settings::set_portal(
                w,
                &settings::PortalSettings {
                    enabled: true,
                    doctors: doctors.iter().map(|(d, _)| d.staff_id).collect(),
                    visit_types: types.iter().map(|t| t.id).collect(),
                    ..Default::default()
                },
            )?;
            Ok(())
        })?;
    }
    let mut date = first;
    while date <= today {
        if date.weekday() != Weekday::Friday {
            generate_day(
                clinic,
                &reception,
                &doctors,
                date,
                now,
                &mut rng,
                &mut pool,
                &mut report,
            )?;
            report.days += 1;
        }
        date = match date.tomorrow() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    Ok(report)
}

/// Closes the shift this machine has open at 22:15 on `date`: most evenings the drawer
/// matches, now and then a few pounds are missing.
fn close_evening(
    w: &mut Writer<'_>,
    time: &ClinicTime,
    date: Date,
    rng: &mut StdRng,
) -> Result<()> {
    w.now = time.instant(date, Time::constant(22, 15, 0, 0))?;
    if let Some(id) = shifts::open_on_this_node(&w.tx, w.ctx.node)? {
        let expected = shifts::expected_cash(&w.tx, id, Money(50_000))?;
        let off = if rng.gen_bool(0.1) {
            -rng.gen_range(1..=20) * 500
        } else {
            0
        };
        shifts::close(
            w,
            Money(expected.minor() + off),
            if off != 0 { "short" } else { "" },
        )?;
    }
    Ok(())
}

/// On the day `now` falls in, only what happened before `now` is generated.
#[allow(clippy::too_many_arguments)]
fn generate_day(
    clinic: &mut Clinic,
    reception: &Session,
    doctors: &[(Session, String)],
    date: Date,
    now: Timestamp,
    rng: &mut StdRng,
    pool: &mut Vec<PatientId>,
    report: &mut DemoReport,
) -> Result<()> {
    let time = clinic.time().clone();
    let at = |t: Time| time.instant(date, t);
    let is_today = date == time.local_date(now);
    clinic.write(reception, |w| {
        w.now = at(Time::constant(9, 45, 0, 0))?;
        if !is_today || w.now < now {
            shifts::open(w, Money(50_000))?;
            report.shifts += 1;
        }
        let today = date;
        for (doctor, login) in doctors {
            let mut slots: Vec<Time> = Vec::new();
            for (from, to) in [(10, 14), (17, 22)] {
                for h in from..to {
                    for m in [0, 15, 30, 45] {
                        slots.push(Time::constant(h, m, 0, 0));
                    }
                }
            }
            let wanted = rng.gen_range(26..=34).min(slots.len());
            slots.shuffle(rng);
            let mut chosen: Vec<Time> = slots.into_iter().take(wanted).collect();
            chosen.sort();
            for slot in chosen {
                let start = at(slot)?;
                w.session = reception.clone();
                w.now = start - SignedDuration::from_hours(rng.gen_range(2..72));
                let patient = if pool.len() > 50 && rng.gen_bool(0.7) {
                    pool[rng.gen_range(0..pool.len())]
                } else {
                    let p = patients::add(w, &new_patient(rng, today))?;
                    pool.push(p.id);
                    report.patients += 1;
                    p.id
                };
                let follow_up = rng.gen_bool(0.35);
                let visit_type = if follow_up {
                    "follow-up"
                } else {
                    "examination"
                };
                let booked = appointments::book(
                    w,
                    &Booking {
                        patient,
                        doctor_login: login.clone(),
                        date,
                        time: slot,
                        visit_type: visit_type.into(),
                    },
                    appointments::BookingKind::Confirmed,
                )?;
                report.appointments += 1;
                if is_today && start > now {
                    continue;
                }
                play(
                    w, booked.id, start, follow_up, doctor, reception, rng, report,
                )?;
            }
        }
        w.session = reception.clone();
        for _ in 0..rng.gen_range(0..=2) {
            let (category, low, high) = EXPENSES[rng.gen_range(0..EXPENSES.len())];
            w.now = at(Time::constant(rng.gen_range(11..21), 0, 0, 0))?;
            if is_today && w.now > now {
                break;
            }
            cashbook::expense(
                w,
                Money(rng.gen_range(low..=high) / 100 * 100),
                category,
                "",
            )?;
            report.expenses += 1;
        }
        if !is_today {
            close_evening(w, &time, date, rng)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// What happens to a booking once its time has come: now and then a cancellation or a
/// patient who does not come; otherwise check-in, the visit with the doctor, and the payment
/// at the desk (cash mostly, some card, some insurance).
#[allow(clippy::too_many_arguments)]
fn play(
    w: &mut Writer<'_>,
    booked_id: AppointmentId,
    start: Timestamp,
    follow_up: bool,
    doctor: &Session,
    reception: &Session,
    rng: &mut StdRng,
    report: &mut DemoReport,
) -> Result<()> {
    let roll: f64 = rng.gen();
    w.now = start - SignedDuration::from_mins(rng.gen_range(1..30));
    if roll < 0.05 {
        appointments::set_status(
            w,
            booked_id,
            Status::Cancelled,
            Some("patient called to cancel"),
        )?;
        return Ok(());
    }
    if roll < 0.13 {
        w.now = start + SignedDuration::from_mins(30);
        appointments::set_status(w, booked_id, Status::NoShow, None)?;
        return Ok(());
    }
    appointments::set_status(w, booked_id, Status::Arrived, None)?;
    w.now = start;
    appointments::set_status(w, booked_id, Status::InExam, None)?;
    w.session = doctor.clone();
    let input = VisitInput {
        vitals: VitalsInput {
            temperature: Some(format!(
                "{}.{}",
                rng.gen_range(36..39),
                rng.gen_range(0..10)
            )),
            blood_pressure: Some(format!(
                "{}/{}",
                rng.gen_range(100..150),
                rng.gen_range(60..95)
            )),
            pulse: Some(rng.gen_range(60..110).to_string()),
            weight: Some(rng.gen_range(20..120).to_string()),
            height: None,
            spo2: Some(rng.gen_range(94..=100).to_string()),
        },
        diagnoses: vec![pick(rng, DIAGNOSES).to_string()],
        note: Some(if follow_up {
            "Improving; continue treatment.".into()
        } else {
            "Advised rest and fluids.".into()
        }),
        photos: Vec::new(),
        visit_type: None,
        // Some examinations ask to see the patient again in two weeks; chosen by the slot,
        // not the generator, so every other figure of a demo stays what it was.
        follow_up_days: (!follow_up && (start.as_second() / 900) % 3 == 0).then_some(14),
    };
    visits::record(w, booked_id, &input)?;
    report.visits += 1;
    w.now = start + SignedDuration::from_mins(15);
    appointments::set_status(w, booked_id, Status::Done, None)?;
    w.session = reception.clone();
    w.now = start + SignedDuration::from_mins(17);
    let price = if follow_up {
        Money(20_000)
    } else {
        Money(40_000)
    };
    let method_roll: f64 = rng.gen();
    let (method, insurer) = if method_roll < 0.65 {
        (Method::Cash, None)
    } else if method_roll < 0.85 {
        (Method::Card, None)
    } else {
        (Method::Insurance, Some(pick(rng, INSURERS)))
    };
    cashbook::pay(w, booked_id, price, method, insurer)?;
    report.payments += 1;
    Ok(())
}
