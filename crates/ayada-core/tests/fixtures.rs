//! A clinic saved by an earlier version, committed under tests/fixtures: its SQLCipher file,
//! its key file, and what it read when it was made. Every later version must open it,
//! migrate it and read the same, so a change that would strand a clinic's existing data (a
//! schema migration, a document format, a projection) fails here rather than at a clinic.
//!
//! `AYADA_WRITE_FIXTURE=1 cargo test -p ayada-core --test fixtures` makes the fixture of the
//! current version anew (a new version's is added beside the old ones, never over them).

use std::path::{Path, PathBuf};

use ayada_core::demo::DemoOptions;
use ayada_core::{Clinic, KeySource, Session};
use serde_json::{json, Value};

mod support;

const OWNER_PW: &str = "fixture-owner-1";
const STAFF_PW: &str = "fixture-staff-1";
/// The schema version the fixture below was saved with.
const SAVED_WITH: &str = "clinic-v5";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Everything a person can read of the clinic, as JSON: its settings and staff, and for each
/// day the bookings, the cash, the day's report, and every booked patient's file as the owner
/// and as a doctor see it. Read at the clock the fixture was made at, so waiting times and
/// "today" are the same whenever it is read.
fn reading(c: &mut Clinic, owner: &Session, doctor: &Session, days: &[String]) -> Value {
    let mut out = Vec::new();
    for day in days {
        let date: jiff::civil::Date = day.parse().unwrap();
        let appointments = c.appointments(owner, date).unwrap();
        // The files of the day's first few patients (all of them would make the expected
        // reading megabytes long).
        let files: Vec<Value> = appointments
            .iter()
            .take(4)
            .map(|a| {
                json!({
                    "owner": c.patient_file(owner, a.patient_id).unwrap(),
                    "doctor": c.patient_file(doctor, a.patient_id).unwrap(),
                })
            })
            .collect();
        out.push(json!({
            "date": day,
            "appointments": appointments,
            "cash": c.cash_summary(owner, date).unwrap(),
            "entries": c.cash_entries(owner, date).unwrap(),
            "report": c.day_report(owner, date).unwrap(),
            "files": files,
        }));
    }
    json!({
        "settings": c.settings(owner).unwrap(),
        "staff": c.staff(owner).unwrap(),
        "days": out,
        // The chain still verifies (its length grows with every login, reading included).
        "audit_verifies": c.verify_audit(owner).is_ok(),
    })
}

/// Where two readings first differ: a path and both values, short enough to read. A field
/// the saved reading does not have is something a later version adds, not a difference.
fn first_difference(now: &Value, saved: &Value, path: &str) -> Option<String> {
    match (now, saved) {
        (Value::Object(a), Value::Object(b)) => b.keys().find_map(|k| {
            first_difference(
                a.get(k).unwrap_or(&Value::Null),
                b.get(k).unwrap_or(&Value::Null),
                &format!("{path}.{k}"),
            )
        }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{path}[{i}]"))),
        _ if now == saved => None,
        _ => {
            let short = |v: &Value| v.to_string().chars().take(200).collect::<String>();
            Some(format!(
                "{path}: now {}, saved {}",
                short(now),
                short(saved)
            ))
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Makes the fixture: a clinic with two days of the demo's work, closed, read back.
fn write_fixture(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    let (mut c, owner) = support::new_clinic(dir, "عيادة الفحص", OWNER_PW);
    c.generate_demo(
        &owner,
        &DemoOptions {
            days: 2,
            staff_password: STAFF_PW.into(),
            seed: 15,
        },
    )
    .unwrap();
    let now = jiff::Timestamp::now();
    let today = now.in_tz("Africa/Cairo").unwrap().date();
    let days: Vec<String> = (0..2)
        .map(|back| {
            today
                .checked_sub(jiff::Span::new().days(back))
                .unwrap()
                .to_string()
        })
        .rev()
        .collect();
    let doctor = doctor_login(&mut c, &owner);
    c.set_clock(Some(now));
    let read = reading(&mut c, &owner, &doctor, &days);
    drop(c);
    let expected = json!({ "read_at": now.to_string(), "days": days, "reading": read });
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&expected).unwrap(),
    )
    .unwrap();
}

/// The first doctor of the clinic, logged in.
fn doctor_login(c: &mut Clinic, owner: &Session) -> Session {
    let doctor = c
        .staff(owner)
        .unwrap()
        .into_iter()
        .find(|s| s.role == ayada_core::Role::Doctor)
        .expect("the demo has doctors");
    c.login(&doctor.login, STAFF_PW).unwrap()
}

#[test]
fn a_clinic_saved_by_schema_v5_opens_migrates_and_reads_the_same() {
    let saved = fixture(SAVED_WITH);
    if std::env::var("AYADA_WRITE_FIXTURE").is_ok_and(|v| v == "1") {
        write_fixture(&saved);
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(saved.join("expected.json")).unwrap())
            .unwrap();
    // A copy: opening migrates the file, and the committed one must stay as it was saved.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&saved, tmp.path());
    let mut c = Clinic::open(
        &tmp.path().join("data"),
        // support::new_clinic's key file.
        &KeySource::KeyFile(tmp.path().join("k")),
    )
    .unwrap();
    let owner = c.login("owner", OWNER_PW).unwrap();
    let doctor = doctor_login(&mut c, &owner);
    let read_at: jiff::Timestamp = expected["read_at"].as_str().unwrap().parse().unwrap();
    c.set_clock(Some(read_at));
    let days: Vec<String> = serde_json::from_value(expected["days"].clone()).unwrap();
    let read = reading(&mut c, &owner, &doctor, &days);
    if let Some(at) = first_difference(&read, &expected["reading"], "reading") {
        panic!("the saved clinic reads differently now, first at {at}");
    }
    // And it goes on working: a new patient is written on the migrated file.
    c.add_patient(
        &owner,
        &ayada_core::patients::NewPatient {
            name: "مريض جديد".into(),
            phone: "01000000001".into(),
            gender: None,
            dob: None,
            medical_history: String::new(),
            allergies: String::new(),
        },
    )
    .unwrap();
}
