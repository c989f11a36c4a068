//! Bulk patient import from CSV. Every line is checked first; a file with bad lines imports
//! nothing unless the person accepted skipping them, and the import itself is one
//! transaction, so a failure half-way leaves no half of the file behind.

use crate::clinic::Clinic;
use crate::error::{CoreError, Result};
use crate::ids::PatientId;
use crate::patients::{self, Gender, NewPatient};
use crate::roles::{Action, Session};

/// How to run an import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and report only; write nothing.
    pub dry_run: bool,
    /// Import the good lines even if some are bad.
    pub skip_bad_lines: bool,
}

/// A bad line: its number in the file (the header is line 1) and what is wrong.
#[derive(Debug)]
pub struct BadLine {
    /// Line number in the file.
    pub line: u64,
    /// What is wrong with it.
    pub error: CoreError,
}

/// What an import found and did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Data lines read.
    pub lines: usize,
    /// Lines that would import.
    pub valid: usize,
    /// Lines refused, by number.
    pub bad: Vec<BadLine>,
    /// Patients written (0 for a dry run or a refused file).
    pub imported: usize,
}

pub(crate) fn run(
    clinic: &mut Clinic,
    session: &Session,
    csv_bytes: &[u8],
    options: ImportOptions,
) -> Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_bytes);
    let headers = reader
        .headers()
        .map_err(|e| CoreError::invalid("CSV", e.to_string()))?
        .iter()
        .map(|h| {
            h.trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
                .replace([' ', '-'], "_")
        })
        .collect::<Vec<_>>();
    let col = |name: &str| headers.iter().position(|h| h == name);
    if col("name").is_none() || col("phone").is_none() {
        return Err(CoreError::invalid("CSV", "csv-columns"));
    }
    let today = clinic.time().today();
    let now = jiff::Timestamp::now().as_second();
    let mut report = ImportReport::default();
    let mut good = Vec::new();
    for record in reader.records() {
        report.lines += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                report.bad.push(BadLine {
                    line,
                    error: CoreError::invalid("CSV", e.to_string()),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |name: &str| {
            col(name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        let parsed = (|| {
            let gender = match field("gender").as_str() {
                "" => None,
                g => Some(g.parse::<Gender>()?),
            };
            let dob = Some(field("dob")).filter(|d| !d.is_empty());
            let new = NewPatient {
                name: field("name"),
                phone: field("phone"),
                gender,
                dob,
                medical_history: field("medical_history"),
                allergies: field("allergies"),
            };
            patients::validate(&new, PatientId::new(), session.staff_id(), now, today)
        })();
        match parsed {
            Ok(p) => good.push(p),
            Err(error) => report.bad.push(BadLine { line, error }),
        }
    }
    report.valid = good.len();
    if options.dry_run || (!report.bad.is_empty() && !options.skip_bad_lines) {
        return Ok(report);
    }
    clinic.write_as(session, |w| {
        w.allow(Action::ImportPatients)?;
        for (i, patient) in good.iter().enumerate() {
            patients::store(w, patient)?;
            if i % 500 == 499 {
                w.flush()?;
            }
        }
        w.audit("import-patients", format!("{} patients", good.len()));
        Ok(())
    })?;
    report.imported = good.len();
    Ok(report)
}
