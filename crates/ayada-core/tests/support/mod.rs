//! What several test files need: a new clinic in a temporary folder, and a machine joining it.
#![allow(dead_code)]

use std::path::Path;

use ayada_core::ids::{NodeId, PatientId};
use ayada_core::patients::NewPatient;
use ayada_core::{Clinic, InitOptions, KeySource, Role, Session};

/// A new clinic in `dir` (key file beside it), owner "owner" with `password`, Cairo time.
pub fn new_clinic(dir: &Path, name: &str, password: &str) -> (Clinic, Session) {
    Clinic::init(
        &dir.join("data"),
        &KeySource::KeyFile(dir.join("k")),
        &InitOptions::in_egypt(name, "owner", "Dr. Hala", password),
    )
    .unwrap()
}

/// An empty store in `dir` for a new machine joining `from`'s clinic.
pub fn joining(dir: &Path, from: &Clinic) -> Clinic {
    Clinic::join(
        &dir.join("data"),
        &KeySource::KeyFile(dir.join("k")),
        from.id(),
        NodeId::new(),
        "Africa/Cairo",
    )
    .unwrap()
}

/// A machine joining `from`'s clinic in a temporary folder of its own (kept while it lives).
pub fn joining_in_temp(from: &Clinic) -> (Clinic, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    (joining(tmp.path(), from), tmp)
}

/// The front desk ("منى", `desk_login`) and a doctor ("د. سارة", "dr.sara"), both with
/// `password`.
pub fn add_desk_and_doctor(clinic: &mut Clinic, owner: &Session, desk_login: &str, password: &str) {
    clinic
        .add_staff(owner, "منى", desk_login, Role::Receptionist, password)
        .unwrap();
    clinic
        .add_staff(owner, "د. سارة", "dr.sara", Role::Doctor, password)
        .unwrap();
}

/// Dr. Sara's weekly hours: `days` ("sat,sun,…") from `from` to `to`, 20-minute slots.
pub fn sara_works(clinic: &mut Clinic, owner: &Session, days: &str, from: &str, to: &str) {
    let days = ayada_core::schedules::parse_days(days).unwrap();
    let hours = vec![ayada_core::schedules::Hours {
        from: from.into(),
        to: to.into(),
    }];
    clinic
        .set_schedule(owner, "dr.sara", days, hours, 20)
        .unwrap();
}

/// Registers a patient with just a name and a phone; its id.
pub fn patient(clinic: &mut Clinic, s: &Session, name: &str, phone: &str) -> PatientId {
    clinic
        .add_patient(
            s,
            &NewPatient {
                name: name.into(),
                phone: phone.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .id
}
pub mod fixture;
pub mod machines;
