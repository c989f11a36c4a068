//! Typed identifiers: UUIDv7 newtypes, so a patient id can never be passed as a visit id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ModelError;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident => $what:literal),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ModelError;
            fn from_str(s: &str) -> Result<Self, ModelError> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| ModelError::not_found($what, s))
            }
        }
    )*};
}

id_type! {
    /// A clinic.
    ClinicId => "clinic",
    /// A machine (node) of a clinic; also its Automerge actor.
    NodeId => "machine",
    /// A staff member's account.
    StaffId => "staff-member",
    /// A patient.
    PatientId => "patient",
    /// A booking.
    AppointmentId => "appointment",
    /// A recorded visit.
    VisitId => "visit",
    /// A cashbook entry: payment, refund or expense.
    EntryId => "cashbook-entry",
    /// A cash-drawer shift.
    ShiftId => "shift",
    /// A visit type (examination, follow-up...).
    VisitTypeId => "visit-type",
    /// An insurance provider.
    InsurerId => "insurer",
}

impl StaffId {
    /// The author of what patients make themselves on the booking portal (no staff account
    /// has it): the patient files it registers.
    pub const PORTAL: StaffId = StaffId(Uuid::nil());
}
