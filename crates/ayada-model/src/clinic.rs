//! The clinic document's records: the clinic's details, visit types with their prices,
//! insurers, staff accounts with their roles, and the owner's settings of the online booking
//! portal; and reading them from the document.

use std::fmt;
use std::str::FromStr;

use automerge::{AutoCommit, ROOT};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::docs::{existing_map, get_record, get_root_record, record_keys};
use crate::error::{ModelError, Result};
use crate::ids::{ClinicId, InsurerId, StaffId, VisitTypeId};
use crate::money::Money;

/// The clinic's details, under the document's root.
pub const SETTINGS: &str = "settings";
/// Visit types, by id.
pub const VISIT_TYPES: &str = "visit_types";
/// Insurance providers, by id.
pub const INSURERS: &str = "insurers";
/// Staff accounts, by id.
pub const STAFF: &str = "staff";
/// The online booking portal's settings, under the root.
pub const PORTAL: &str = "portal";
/// The prefix of each machine's record under the root, followed by its node id. One root key
/// per machine rather than one shared map: the sync server (at enrollment) and the owner (at
/// a machine) may both write the first one at once, and two maps created at once under one
/// key would hide each other's entries.
pub const MACHINE_PREFIX: &str = "machine:";

/// The clinic's details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClinicSettings {
    /// The clinic's id, shared by all its machines and the server.
    pub clinic_id: ClinicId,
    /// The clinic's name.
    pub name: String,
    /// Street address.
    #[serde(default)]
    pub address: String,
    /// Latitude in millionths of a degree (integers: a CRDT never merges floats).
    pub latitude_e6: Option<i64>,
    /// Longitude in millionths of a degree.
    pub longitude_e6: Option<i64>,
    /// Phone numbers, E.164.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Contact email.
    #[serde(default)]
    pub email: String,
    /// IANA time zone.
    pub time_zone: String,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// A kind of visit with its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitType {
    /// The id.
    pub id: VisitTypeId,
    /// "examination", "follow-up", …
    pub name: String,
    /// Price in minor units.
    pub price: Money,
    /// How long it takes.
    pub minutes: i64,
    /// Offered for booking.
    pub active: bool,
}

/// An insurance provider the clinic accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Insurer {
    /// The id.
    pub id: InsurerId,
    /// Its name.
    pub name: String,
    /// Accepted now.
    pub active: bool,
}

/// A staff member's role in the clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the clinic: staff, prices, money.
    Owner,
    /// Examines patients and writes clinical records.
    Doctor,
    /// Front desk: patients, bookings, payments, expenses, shifts.
    Receptionist,
}

impl Role {
    /// The lower-case name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Doctor => "doctor",
            Role::Receptionist => "receptionist",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "doctor" => Ok(Role::Doctor),
            "receptionist" => Ok(Role::Receptionist),
            _ => Err(ModelError::invalid("role", "unknown-role")),
        }
    }
}

/// A staff member's account as stored in the clinic document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Staff {
    /// The id.
    pub id: StaffId,
    /// Display name.
    pub name: String,
    /// What they type to log in (lower case).
    pub login: String,
    /// Their role.
    pub role: Role,
    /// Argon2id PHC string; never the password.
    pub password_hash: String,
    /// False once deactivated: history keeps their name, login is refused.
    pub active: bool,
    /// The secret of the authenticator code this account's login asks for on every machine
    /// of the clinic (base32), once its holder turned it on; never shown again. (Written as
    /// null when off, so turning it off reaches every machine; absent in older records.)
    #[serde(default)]
    pub login_code: Option<String>,
}

/// A machine of the clinic as its document knows it: the public key it proves itself with
/// to the clinic's other machines on the LAN, put there by the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MachineKey {
    /// The machine's node id.
    pub node_id: String,
    /// What the owner calls it ("front desk").
    pub name: String,
    /// The machine's public key (DER SubjectPublicKeyInfo, hex).
    pub key: String,
    /// True once the owner took it back: its key opens nothing any more.
    pub revoked: bool,
}

/// What the owner lets patients book online, and how. Absent until the owner first saves it:
/// a clinic is not bookable online until then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PortalSettings {
    /// Whether the clinic's page takes bookings at all.
    pub enabled: bool,
    /// The doctors patients may book online (ids).
    #[serde(default)]
    pub doctors: Vec<StaffId>,
    /// The visit types patients may book online (ids).
    #[serde(default)]
    pub visit_types: Vec<VisitTypeId>,
    /// How many days ahead a slot may be booked (1-90).
    pub days_ahead: i64,
    /// Until how many hours before the visit a patient may cancel or reschedule online.
    pub cutoff_hours: i64,
    /// When reminders go out, in hours before the visit (the day before by default).
    #[serde(default)]
    pub reminder_hours: Vec<i64>,
    /// Where a patient is asked to leave a review after a visit ("" for none).
    #[serde(default)]
    pub review_link: String,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            enabled: false,
            doctors: Vec::new(),
            visit_types: Vec::new(),
            days_ahead: 14,
            cutoff_hours: 3,
            reminder_hours: vec![24],
            review_link: String::new(),
        }
    }
}

impl PortalSettings {
    /// Refuses settings a patient's booking could not follow.
    pub fn check(&self) -> Result<()> {
        if !(1..=90).contains(&self.days_ahead) {
            return Err(ModelError::invalid("days-ahead", "portal-days-ahead"));
        }
        if !(0..=168).contains(&self.cutoff_hours) {
            return Err(ModelError::invalid("cutoff", "portal-cutoff"));
        }
        if self.reminder_hours.len() > 3
            || self.reminder_hours.iter().any(|h| !(1..=168).contains(h))
        {
            return Err(ModelError::invalid("reminders", "portal-reminders"));
        }
        let link = self.review_link.trim();
        let https = link.starts_with("https://")
            && link.len() <= 500
            && !link.contains(char::is_whitespace);
        if !link.is_empty() && !https {
            return Err(ModelError::invalid("review-link", "portal-review-link"));
        }
        Ok(())
    }
}

/// The clinic's details in its document.
pub fn settings_in(doc: &AutoCommit) -> Result<ClinicSettings> {
    get_root_record(doc, SETTINGS)?
        .ok_or_else(|| ModelError::document("the clinic document has no settings"))
}

/// The portal's settings in the clinic document (the defaults, not bookable, when the owner
/// never saved them).
pub fn portal_in(doc: &AutoCommit) -> Result<PortalSettings> {
    Ok(get_root_record(doc, PORTAL)?.unwrap_or_default())
}

/// Every machine the clinic document lists, revoked ones included, by node id.
pub fn machines_in(doc: &AutoCommit) -> Result<Vec<MachineKey>> {
    record_keys(doc, &ROOT)
        .iter()
        .filter(|k| k.starts_with(MACHINE_PREFIX))
        .filter_map(|k| get_record(doc, &ROOT, k).transpose())
        .collect()
}

/// Writes a machine's record into the clinic document.
pub fn put_machine(doc: &mut AutoCommit, machine: &MachineKey) -> Result<()> {
    let key = format!("{MACHINE_PREFIX}{}", machine.node_id);
    crate::docs::put_record(doc, &ROOT, &key, machine, &[])
}

/// Every record of one collection of the clinic document (visit types, insurers, staff).
pub fn list_in<T: DeserializeOwned>(doc: &AutoCommit, collection: &str) -> Result<Vec<T>> {
    let Some(parent) = existing_map(doc, &ROOT, collection)? else {
        return Ok(Vec::new());
    };
    record_keys(doc, &parent)
        .iter()
        .filter_map(|k| get_record(doc, &parent, k).transpose())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_settings_a_booking_cannot_follow_are_refused() {
        assert!(PortalSettings::default().check().is_ok());
        let bad = [
            PortalSettings {
                days_ahead: 0,
                ..Default::default()
            },
            PortalSettings {
                days_ahead: 400,
                ..Default::default()
            },
            PortalSettings {
                cutoff_hours: -1,
                ..Default::default()
            },
            PortalSettings {
                reminder_hours: vec![0],
                ..Default::default()
            },
            PortalSettings {
                review_link: "javascript:alert(1)".into(),
                ..Default::default()
            },
            PortalSettings {
                review_link: "http://plain.example".into(),
                ..Default::default()
            },
        ];
        for settings in bad {
            assert!(settings.check().is_err(), "{settings:?}");
        }
        let fine = PortalSettings {
            review_link: "https://g.page/r/clinic/review".into(),
            ..Default::default()
        };
        assert!(fine.check().is_ok());
    }
}
