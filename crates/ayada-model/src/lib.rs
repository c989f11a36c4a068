//! ayada-model: the clinic's documents as both the machines and the server read and write
//! them. Which document holds what ([`docs`]), the records inside them ([`clinic`],
//! [`patient`], [`appointment`], [`schedule`]), how a record becomes an Automerge map and back,
//! and the free slots of a doctor's day. No SQLite, no Tauri, no network: ayada-core builds
//! the machines' encrypted store on it, and the sync server's booking portal reads the same
//! documents with the same code, so the schema is read one way only.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod appointment;
pub mod clinic;
pub mod docs;
pub mod error;
pub mod ids;
pub mod money;
pub mod patient;
pub mod phones;
pub mod schedule;
pub mod text;
pub mod time;
pub mod totp;

pub use error::{ModelError, Result};
