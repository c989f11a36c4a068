//! ayada-core: one clinic, whole, on this machine. The domain (patients, appointments,
//! visits, the cashbook, shifts, staff, schedules), the encrypted store (SQLCipher), the
//! Automerge documents that are the truth and the SQL projections screens read, roles
//! checked on every operation, and the tamper-evident audit log. No UI, no network.
//!
//! # A tour
//!
//! **What lives where.**
//! - [`Clinic`] is the door: every operation a window, the CLI or a test can do, each
//!   checking the session's role first ([`roles`]); a refused one is audited. Its methods
//!   live in [`clinic`]'s files by area (people and settings, the desk, the money, sync,
//!   records as a whole); the SQL they read is in the module that owns each table.
//! - The domain, a module a concept: [`patients`], [`appointments`] (moved bookings keep
//!   their document), [`schedules`] (hours, days off, absences), [`follow_ups`] and
//!   [`glance`] (the front desk); [`visits`] and [`photos`] (the doctor); [`cashbook`], [`shifts`] and
//!   [`reports`] (the money, the owner's to read); [`staff`] and [`settings`] (people and
//!   the clinic); [`import`] and [`demo`] (data in bulk).
//! - The truth is Automerge documents ([`docs`]): patients in 256 bucket documents
//!   (`patient/<xx>`), appointments and cash by day, the clinic's settings and staff in
//!   `clinic`. Screens read SQL tables projected from them ([`projections`]), never the
//!   documents directly. The documents' ids, their records (settings, staff, schedules,
//!   bookings, patients' files) and free slots are the `ayada-model` crate's, re-exported
//!   here as [`docs`], [`ids`], [`money`], [`time`] and [`phones`]: the sync server's
//!   booking portal reads and writes the same documents with the same code.
//! - [`store`]: the SQLCipher connection (its key from [`keys`]), the document cache and
//!   the one-transaction `Writer`. [`audit`]: the hash-chained log. [`replication`]: the
//!   change log machines exchange, and applying a peer's changes. [`conflicts`]: what needs a
//!   person's decision. [`backup`]: backups and exports.
//! - Plumbing: [`ids`], [`money`] (piastres, never floats), [`time`] (UTC stored, days cut in
//!   the clinic's zone), [`phones`], [`text`] (Arabic folding for search), [`i18n`] (Fluent,
//!   Arabic and English: the catalogue of every sentence the Rust side says, the sync
//!   client's, the CLI's and the desktop shell's too, through [`Said`]), [`error`].
//!
//! **How a write flows**, for example [`Clinic::add_patient`]:
//! 1. a `Writer` opens one SQL transaction for the whole operation;
//! 2. the operation checks the role and its input, checks out the documents it changes
//!    (from the cache, else the `docs` table), writes its records into them, and projects
//!    each touched record at once, so later steps of the same write read their own changes;
//! 3. it names the audit rows to add;
//! 4. `finish` commits each changed document's Automerge change and appends it to the
//!    `changes` log (what sync pushes), saves the documents, appends the audit rows (each
//!    hashing the one before) and commits the transaction: all of it or nothing;
//! 5. the committed documents go back to the cache.
//!
//! **How a peer's change arrives**: [`Clinic::apply_server_changes`] (or
//! [`Clinic::apply_changes`] from another peer) checks a batch, applies it to its documents
//! in one transaction, re-projects the records it touched, and logs the changes as
//! received, never to be pushed back. A change that cannot be applied (its predecessors
//! missing, or it does not fit its document) is kept aside in `held_changes` and tried
//! again at each later apply, instead of stopping the sync there.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod appointments;
pub mod audit;
pub mod backup;
pub mod cashbook;
pub mod clinic;
pub mod conflicts;
pub mod demo;
pub mod error;
pub mod follow_ups;
pub mod fuzzing;
pub mod glance;
pub mod i18n;
pub mod import;
pub mod keys;
pub mod machines;
pub mod patients;
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
pub mod visits;

pub use ayada_model::{docs, ids, money, phones, time, ModelError};
pub use clinic::{Clinic, InitOptions, LoginCodeSetup, PatientFile};
pub use error::{CoreError, Result};
pub use i18n::{Lang, Said};
pub use keys::KeySource;
pub use money::Money;
pub use roles::{Role, Session};

/// The version of ayada-core compiled into this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
