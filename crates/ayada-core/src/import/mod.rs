//! Bringing a clinic's patients in from what it used before: an Excel workbook or a CSV in
//! whatever encoding and separator Excel wrote ([`table`]), columns found by their Arabic or
//! English headings or the person's corrections ([`columns`]), dates day first or ISO,
//! phones in any form the core accepts, and the same patient never entered twice.
//!
//! Every row is checked first; a file with bad rows imports nothing unless the person
//! accepted skipping them, and the import itself is one transaction, so a failure half-way
//! leaves no half of the file behind.

pub(crate) mod appointments;
pub mod columns;
pub mod table;
mod values;

use std::collections::HashMap;

use serde::Serialize;

use crate::clinic::Clinic;
use crate::error::{CoreError, Result};
use crate::ids::PatientId;
use crate::patients::{self, NewPatient, Patient};
use crate::roles::{Action, Session};
use crate::text::fold;

pub use columns::Field;
pub use table::Source;

/// How to run an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check and report only; write nothing.
    pub dry_run: bool,
    /// Import the good rows even if some are bad.
    pub skip_bad_lines: bool,
    /// A row that is a patient already known (same phone, same name after Arabic folding)
    /// fills in what that patient's file lacks (birth date, gender, history, allergies)
    /// instead of being skipped. Never a second patient either way.
    pub merge_duplicates: bool,
    /// The person's corrections: column number (from 0) and what it holds.
    pub columns: Vec<(usize, Field)>,
}

/// A bad row: its number in the file (the heading row is 1) and what is wrong.
#[derive(Debug)]
pub struct BadLine {
    /// Line number in the file.
    pub line: u64,
    /// What is wrong with it.
    pub error: CoreError,
}

/// Whom a duplicate row repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Repeats {
    /// A patient the clinic already has.
    Patient {
        /// Their id.
        id: PatientId,
    },
    /// An earlier row of the same file.
    Line {
        /// Its number.
        line: u64,
    },
}

/// A row that is a patient already known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Duplicate {
    /// Its line.
    pub line: u64,
    /// The name as the row writes it.
    pub name: String,
    /// The phone, normalised.
    pub phone: String,
    /// Whom it repeats.
    pub repeats: Repeats,
}

/// What an import found and did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// How the file was read (None before it was).
    pub source: Option<Source>,
    /// The file's headings.
    pub headings: Vec<String>,
    /// What each column was read as (None: left out).
    pub columns: Vec<Option<Field>>,
    /// The first rows as they are in the file, for a preview.
    pub preview: Vec<Vec<String>>,
    /// Data rows read.
    pub lines: usize,
    /// Rows that would import: new patients, or bookings for an appointments file.
    pub valid: usize,
    /// Rows refused, by number.
    pub bad: Vec<BadLine>,
    /// Rows that are patients already known (skipped, or merged).
    pub duplicates: Vec<Duplicate>,
    /// Patients written (0 for a dry run or a refused file).
    pub imported: usize,
    /// Known patients whose files the import filled in.
    pub merged: usize,
    /// Fields the import needs that no column holds: a preview says so and shows the file,
    /// so the person can tell a column what it holds; an import is refused.
    pub missing: Vec<Field>,
}

/// How many rows a preview shows.
const PREVIEW_ROWS: usize = 5;

/// Reads a file and finds its columns: the table, each column's field, and a report that
/// already holds what a preview shows, and the `required` fields no column holds.
fn open(
    bytes: &[u8],
    corrections: &[(usize, Field)],
    required: &[Field],
) -> Result<(table::Table, Vec<Option<Field>>, ImportReport)> {
    let table = table::read(bytes)?;
    let fields = columns::map(&table.headings, corrections);
    let report = ImportReport {
        source: Some(table.source.clone()),
        headings: table.headings.clone(),
        columns: fields.clone(),
        preview: table
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|r| r.cells.clone())
            .collect(),
        missing: required
            .iter()
            .filter(|f| !fields.contains(&Some(**f)))
            .copied()
            .collect(),
        ..ImportReport::default()
    };
    Ok((table, fields, report))
}

/// A file that lacks a needed column: the preview as it stands, or the refusal.
fn lacking(report: ImportReport, options: &ImportOptions) -> Result<ImportReport> {
    if options.dry_run {
        Ok(report)
    } else {
        Err(CoreError::invalid("file", "csv-columns"))
    }
}

/// The text of `field`'s column in `row` ("" when the file has no such column).
fn cell<'a>(fields: &[Option<Field>], row: &'a table::Row, field: Field) -> &'a str {
    fields
        .iter()
        .position(|f| *f == Some(field))
        .and_then(|i| row.cells.get(i))
        .map(String::as_str)
        .unwrap_or("")
}

/// Where a row's new patient goes: a new file, or filling in a known one.
enum Plan {
    New(Patient),
    Merge(PatientId, Patient),
}

/// How far the writing has come: rows written, of how many (every hundred rows, and at the
/// end), for a progress bar.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

pub(crate) fn run(
    clinic: &mut Clinic,
    session: &Session,
    bytes: &[u8],
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport> {
    let (table, fields, mut report) = open(bytes, &options.columns, &[Field::Name, Field::Phone])?;
    if !report.missing.is_empty() {
        return lacking(report, options);
    }
    let today = clinic.time().today();
    let now = jiff::Timestamp::now().as_second();
    // Who the clinic already has, by phone and folded name.
    let mut known: HashMap<(String, String), Repeats> = clinic
        .patient_keys()?
        .into_iter()
        .map(|(id, phone, name)| ((phone, name), Repeats::Patient { id }))
        .collect();
    let mut plans = Vec::new();
    for row in &table.rows {
        report.lines += 1;
        let cell = |field: Field| cell(&fields, row, field);
        let parsed = (|| {
            let new = NewPatient {
                name: cell(Field::Name).to_string(),
                phone: cell(Field::Phone).to_string(),
                gender: values::gender(cell(Field::Gender))?,
                dob: values::day(cell(Field::Dob))?.map(|d| d.to_string()),
                medical_history: cell(Field::MedicalHistory).to_string(),
                allergies: cell(Field::Allergies).to_string(),
            };
            patients::validate(&new, PatientId::new(), session.staff_id(), now, today)
        })();
        let patient = match parsed {
            Ok(p) => p,
            Err(error) => {
                report.bad.push(BadLine {
                    line: row.line,
                    error,
                });
                continue;
            }
        };
        let key = (patient.phone.to_string(), fold(&patient.name));
        match known.get(&key) {
            Some(repeats) => {
                report.duplicates.push(Duplicate {
                    line: row.line,
                    name: patient.name.clone(),
                    phone: key.0.clone(),
                    repeats: repeats.clone(),
                });
                if let (true, Repeats::Patient { id }) = (options.merge_duplicates, repeats) {
                    plans.push(Plan::Merge(*id, patient));
                }
            }
            None => {
                known.insert(key, Repeats::Line { line: row.line });
                plans.push(Plan::New(patient));
            }
        }
    }
    report.valid = plans.iter().filter(|p| matches!(p, Plan::New(_))).count();
    if options.dry_run || (!report.bad.is_empty() && !options.skip_bad_lines) {
        return Ok(report);
    }
    let (imported, merged) = clinic.write_as(session, |w| {
        w.allow(Action::ImportPatients)?;
        let (mut imported, mut merged) = (0, 0);
        for (i, plan) in plans.iter().enumerate() {
            match plan {
                Plan::New(patient) => {
                    patients::store(w, patient)?;
                    imported += 1;
                }
                Plan::Merge(id, row) => {
                    if patients::fill_in(w, *id, row)? {
                        merged += 1;
                    }
                }
            }
            w.flush_beyond(1024)?;
            if i % 100 == 99 {
                progress(i + 1, plans.len());
            }
        }
        progress(plans.len(), plans.len());
        w.audit(
            "import-patients",
            format!("{imported} patients, {merged} filled in"),
        );
        Ok((imported, merged))
    })?;
    report.imported = imported;
    report.merged = merged;
    Ok(report)
}
