//! A clinic in a temporary folder with its key file, its staff and a doctor's week, and the
//! small helpers the clinic-day tests share (bookings by clinic-local time, the raw database).

use ayada_core::appointments::Booking;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::{Clinic, CoreError, InitOptions, KeySource, Money, Session};
use std::path::{Path, PathBuf};

pub const PASSWORD: &str = "owner-pass-1";
pub const STAFF_PASSWORD: &str = "staff-pass-1";

pub struct Fixture {
    pub _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub key: KeySource,
}

pub fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("clinic");
    let key = KeySource::KeyFile(tmp.path().join("clinic.key"));
    Fixture {
        _tmp: tmp,
        dir,
        key,
    }
}

pub fn small_clinic() -> InitOptions {
    InitOptions::in_egypt("C", "owner", "", PASSWORD)
}

pub fn init(f: &Fixture) -> (Clinic, Session) {
    Clinic::init(
        &f.dir,
        &f.key,
        &InitOptions::in_egypt("عيادة الشفاء", "owner", "Dr. Hala", PASSWORD),
    )
    .unwrap()
}

/// Owner, receptionist and a doctor with a schedule and priced visit types.
pub fn staffed(f: &Fixture) -> (Clinic, Session, Session, Session) {
    let (mut clinic, owner) = init(f);
    super::add_desk_and_doctor(&mut clinic, &owner, "reception", STAFF_PASSWORD);
    clinic
        .set_visit_type(
            &owner,
            "examination",
            Money::parse("350.50").unwrap(),
            Some(20),
        )
        .unwrap();
    clinic.add_insurer(&owner, "AXA Egypt").unwrap();
    super::sara_works(
        &mut clinic,
        &owner,
        "sat,sun,mon,tue,wed,thu",
        "10:00",
        "14:00",
    );
    let reception = clinic.login("reception", STAFF_PASSWORD).unwrap();
    let doctor = clinic.login("dr.sara", STAFF_PASSWORD).unwrap();
    (clinic, owner, reception, doctor)
}

pub fn book(
    clinic: &mut Clinic,
    s: &Session,
    p: ayada_core::ids::PatientId,
    at: &str,
) -> Result<ayada_core::appointments::Appointment, CoreError> {
    clinic.book(s, &booking(p, at))
}

pub fn booking(p: ayada_core::ids::PatientId, at: &str) -> Booking {
    let (d, t) = at.split_once(' ').unwrap();
    Booking {
        patient: p,
        doctor_login: "dr.sara".into(),
        date: parse_date(d).unwrap(),
        time: parse_time(t).unwrap(),
        visit_type: "examination".into(),
    }
}

pub fn instant(clinic: &Clinic, at: &str) -> jiff::Timestamp {
    let (d, t) = at.split_once(' ').unwrap();
    clinic
        .time()
        .instant(parse_date(d).unwrap(), parse_time(t).unwrap())
        .unwrap()
}

pub fn raw_connection(f: &Fixture) -> rusqlite::Connection {
    let KeySource::KeyFile(path) = &f.key else {
        unreachable!()
    };
    let hex = std::fs::read_to_string(path).unwrap();
    let conn = rusqlite::Connection::open(f.dir.join("clinic.db")).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex.trim()))
        .unwrap();
    conn
}

pub fn files_contain(dir: &Path, needle: &[u8]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            bytes
                .windows(needle.len())
                .any(|w| w == needle)
                .then(|| path.display().to_string())
        })
        .collect()
}
