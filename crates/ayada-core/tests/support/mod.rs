//! What several test files need: a new clinic in a temporary folder, and a machine joining it.
#![allow(dead_code)]

use std::path::Path;

use ayada_core::ids::NodeId;
use ayada_core::{Clinic, InitOptions, KeySource, Session};

/// A new clinic in `dir` (key file beside it), owner "owner" with `password`, Cairo time.
pub fn new_clinic(dir: &Path, name: &str, password: &str) -> (Clinic, Session) {
    Clinic::init(
        &dir.join("data"),
        &KeySource::KeyFile(dir.join("k")),
        &InitOptions {
            clinic_name: name.into(),
            owner_login: "owner".into(),
            owner_name: "Dr. Hala".into(),
            owner_password: password.into(),
            time_zone: "Africa/Cairo".into(),
            currency: "EGP".into(),
        },
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
