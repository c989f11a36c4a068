//! Patients: registration, edits, and the as-you-type search.

use automerge::ROOT;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::docs::{get_root_record, put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::{PatientId, StaffId};
use crate::phones::Phone;
use crate::roles::Action;
use crate::store::Writer;
use crate::text::{ascii_digits, fold};

pub use ayada_model::patient::{Gender, Patient, TEXT_FIELDS};

/// What the desk types to register a patient.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NewPatient {
    /// Full name.
    pub name: String,
    /// Phone as typed; normalised to E.164.
    pub phone: String,
    /// Gender, if known.
    pub gender: Option<Gender>,
    /// Date of birth "YYYY-MM-DD", if known.
    pub dob: Option<String>,
    /// Medical history, if any.
    #[serde(default)]
    pub medical_history: String,
    /// Allergies, if any.
    #[serde(default)]
    pub allergies: String,
}

/// Checks a new patient's fields and builds the record; shared by the desk and CSV import.
pub(crate) fn validate(
    new: &NewPatient,
    id: PatientId,
    by: StaffId,
    now: i64,
    today: jiff::civil::Date,
) -> Result<Patient> {
    let name = new.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(CoreError::invalid("name", "required"));
    }
    if name.chars().count() > 200 {
        return Err(CoreError::invalid("name", "too-long"));
    }
    let phone = Phone::parse(&new.phone)?;
    let dob = match new.dob.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let date = crate::time::parse_date(text)?;
            if date > today || date.year() < 1900 {
                return Err(CoreError::invalid("date of birth", "not-plausible"));
            }
            Some(date.to_string())
        }
    };
    Ok(Patient {
        id,
        name,
        phone,
        gender: new.gender,
        dob,
        medical_history: new.medical_history.trim().to_string(),
        allergies: new.allergies.trim().to_string(),
        created_at: now,
        created_by: by,
    })
}

/// Registers a patient in their own document.
pub(crate) fn add(w: &mut Writer<'_>, new: &NewPatient) -> Result<Patient> {
    w.allow(Action::WritePatients)?;
    let patient = validate(
        new,
        PatientId::new(),
        w.session.staff_id,
        w.now.as_second(),
        w.today(),
    )?;
    store(w, &patient)?;
    w.audit("patient-add", patient.id.to_string());
    Ok(patient)
}

pub(crate) fn store(w: &mut Writer<'_>, patient: &Patient) -> Result<()> {
    let doc_id = doc_of(w, patient.id)?;
    let key = patient.id.to_string();
    put_record(w.doc(&doc_id)?, &ROOT, &key, patient, TEXT_FIELDS)?;
    w.touch(&doc_id, &key)?;
    Ok(())
}

/// The document that holds patient `id`: where the projection found the file (a file made
/// before bucket documents keeps its own document), else the bucket a new file goes in.
fn doc_of(w: &Writer<'_>, id: PatientId) -> Result<DocId> {
    let stored: Option<String> =
        w.tx.prepare_cached("SELECT doc_id FROM patients WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
    match stored {
        Some(doc) => Ok(DocId::parse(&doc)?),
        None => Ok(DocId::patient(id)),
    }
}

/// Reads a patient's file from their document.
pub(crate) fn get(w: &mut Writer<'_>, id: PatientId) -> Result<Patient> {
    let doc_id = doc_of(w, id)?;
    let doc = w.doc(&doc_id)?;
    get_root_record(doc, &id.to_string())?.ok_or_else(|| CoreError::not_found("patient", id))
}

/// Changes a patient's details; only the fields given change.
pub(crate) fn update(w: &mut Writer<'_>, id: PatientId, edit: &PatientEdit) -> Result<Patient> {
    w.allow(Action::WritePatients)?;
    let mut patient = get(w, id)?;
    if let Some(name) = &edit.name {
        let probe = NewPatient {
            name: name.clone(),
            phone: patient.phone.to_string(),
            ..Default::default()
        };
        patient.name = validate(&probe, id, patient.created_by, 0, w.today())?.name;
    }
    if let Some(phone) = &edit.phone {
        patient.phone = Phone::parse(phone)?;
    }
    if let Some(gender) = edit.gender {
        patient.gender = Some(gender);
    }
    if let Some(history) = &edit.medical_history {
        patient.medical_history = history.trim().to_string();
    }
    if let Some(allergies) = &edit.allergies {
        patient.allergies = allergies.trim().to_string();
    }
    store(w, &patient)?;
    w.audit("patient-edit", id.to_string());
    Ok(patient)
}

/// Fills in what a known patient's file lacks (birth date, gender, history, allergies) from
/// `row`, the same patient read from an imported file; what the file already holds stays.
/// Whether anything was filled in.
pub(crate) fn fill_in(w: &mut Writer<'_>, id: PatientId, row: &Patient) -> Result<bool> {
    w.allow(Action::WritePatients)?;
    let mut patient = get(w, id)?;
    let before = patient.clone();
    if patient.dob.is_none() {
        patient.dob.clone_from(&row.dob);
    }
    if patient.gender.is_none() {
        patient.gender = row.gender;
    }
    if patient.medical_history.is_empty() {
        patient.medical_history.clone_from(&row.medical_history);
    }
    if patient.allergies.is_empty() {
        patient.allergies.clone_from(&row.allergies);
    }
    if patient == before {
        return Ok(false);
    }
    store(w, &patient)?;
    Ok(true)
}

/// Every patient's id, phone (E.164) and folded name: what tells a known patient from a new
/// one in an import.
pub(crate) fn keys(conn: &Connection) -> Result<Vec<(PatientId, String, String)>> {
    let mut stmt = conn.prepare("SELECT id, phone, name_folded FROM patients")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
    rows.map(|row| {
        let (id, phone, name) = row?;
        Ok((id.parse()?, phone, name))
    })
    .collect()
}

/// The fields of a patient that can be edited; None leaves a field alone.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PatientEdit {
    /// New name.
    pub name: Option<String>,
    /// New phone.
    pub phone: Option<String>,
    /// New gender.
    pub gender: Option<Gender>,
    /// New medical history (replaces the old text).
    pub medical_history: Option<String>,
    /// New allergies (replaces the old text).
    pub allergies: Option<String>,
}

/// A line of a search result.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PatientHit {
    /// The patient's id.
    pub id: PatientId,
    /// Name as written.
    pub name: String,
    /// E.164 phone.
    pub phone: String,
    /// Date of birth, if known.
    pub dob: Option<String>,
    /// Their history at a glance (filled by `Clinic::search_patients`).
    pub glance: Option<crate::glance::Glance>,
}

/// What goes into the trigram index for a patient: folded name and every typed phone form.
pub(crate) fn search_text(patient: &Patient) -> String {
    format!("{} {}", fold(&patient.name), patient.phone.search_forms())
}

/// As-you-type search over names and phone numbers, across Arabic spelling variants and
/// digit sets. Queries shorter than three characters match name prefixes only (the
/// trigram index needs three).
pub(crate) fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<PatientHit>> {
    let mut q = fold(query);
    let digits: String = ascii_digits(query)
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    let phoneish = !digits.is_empty()
        && query.chars().all(|c| {
            c.is_ascii_digit() || !c.is_alphabetic() || ('\u{0660}'..='\u{06F9}').contains(&c)
        });
    if phoneish {
        // "+20 10…" and "0020 10…" are typed as they are printed; the index holds 010… and 2010….
        q = digits
            .strip_prefix("00")
            .map(str::to_string)
            .unwrap_or(digits);
    }
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let limit = limit.min(200) as i64;
    let map =
        |r: &rusqlite::Row<'_>| -> rusqlite::Result<(String, String, String, Option<String>)> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        };
    let rows: Vec<_> = if q.chars().count() >= 3 {
        let phrase = format!("\"{}\"", q.replace('"', "\"\""));
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.name, p.phone, p.dob FROM patients_fts f
             JOIN patients p ON p.rowid = f.rowid
             WHERE patients_fts MATCH ?1 LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![phrase, limit], map)?
            .collect::<rusqlite::Result<_>>()?;
        rows
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, phone, dob FROM patients
             WHERE name_folded >= ?1 AND name_folded < ?1 || char(1114111)
             ORDER BY name_folded LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![q, limit], map)?
            .collect::<rusqlite::Result<_>>()?;
        rows
    };
    // The trigram index answers in rowid order and stops at the limit; sorting every match
    // by name in SQL would read all of them (40k "محمد"s in a large clinic) for each keystroke.
    let mut hits = rows
        .into_iter()
        .map(|(id, name, phone, dob)| {
            Ok(PatientHit {
                id: id.parse()?,
                name,
                phone,
                dob,
                glance: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    hits.sort_by_cached_key(|h| fold(&h.name));
    Ok(hits)
}
