//! ayada-core: one clinic, whole, on this machine. The domain (patients, appointments,
//! visits, the cashbook, shifts, staff, schedules), the encrypted store (SQLCipher), the
//! Automerge documents that are the truth and the SQL projections screens read, roles
//! checked on every operation, and the tamper-evident audit log. No UI, no network.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod appointments;
pub mod audit;
pub mod backup;
pub mod cashbook;
pub mod clinic;
pub mod conflicts;
pub mod demo;
pub mod docs;
pub mod error;
pub mod fuzzing;
pub mod i18n;
pub mod ids;
pub mod import;
pub mod keys;
pub mod money;
pub mod patients;
pub mod phones;
pub mod photos;
pub mod projections;
pub mod replication;
pub mod reports;
pub mod roles;
pub mod schedules;
pub mod settings;
pub mod shifts;
pub mod staff;
pub mod store;
pub mod text;
pub mod time;
pub mod visits;

pub use clinic::{Clinic, InitOptions, PatientFile};
pub use error::{CoreError, Result};
pub use i18n::Lang;
pub use keys::KeySource;
pub use money::Money;
pub use roles::{Role, Session};

/// The version of ayada-core compiled into this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
