//! A patient's file as its document holds it.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::ids::{PatientId, StaffId};
use crate::phones::Phone;

/// Fields that merge character by character when two machines edit them offline.
pub const TEXT_FIELDS: &[&str] = &["medical_history", "allergies"];

/// A patient's gender as recorded at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
}

impl std::str::FromStr for Gender {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Gender> {
        match s.trim().to_ascii_lowercase().as_str() {
            "female" | "f" | "أنثى" | "انثى" => Ok(Gender::Female),
            "male" | "m" | "ذكر" => Ok(Gender::Male),
            _ => Err(ModelError::invalid("gender", "unknown-gender")),
        }
    }
}

/// A patient's file as stored in their document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Patient {
    /// The patient's id.
    pub id: PatientId,
    /// Full name, as the patient writes it (Arabic or Latin).
    pub name: String,
    /// E.164 phone number.
    pub phone: Phone,
    /// Gender, if given.
    pub gender: Option<Gender>,
    /// Date of birth (YYYY-MM-DD), if given.
    pub dob: Option<String>,
    /// Chronic conditions, operations, family history.
    #[serde(default)]
    pub medical_history: String,
    /// Known allergies.
    #[serde(default)]
    pub allergies: String,
    /// Unix seconds of registration.
    pub created_at: i64,
    /// Who registered the patient.
    pub created_by: StaffId,
}
