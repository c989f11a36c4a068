//! Moving in: the owner brings the clinic's patients from a workbook or a CSV, sees what the
//! file holds and how it will be read, corrects a column, accepts, and watches it written.

use ayada_core::import::{Duplicate, Field, ImportOptions, Source};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

use ayada_core::{Clinic, Session};

use super::{changing, lang_of, off_the_ui, with_session, Answer};
use crate::state::AppState;

/// What a column holds, as the person corrected it.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
pub struct ColumnChoice {
    /// The column, from 0.
    pub column: u32,
    pub field: Field,
}

/// A file to import, and how.
#[derive(Debug, Deserialize, specta::Type)]
pub struct ImportInput {
    /// The file's bytes, as the window read them.
    pub file: Vec<u8>,
    pub columns: Vec<ColumnChoice>,
    /// Only read and check the file (the preview).
    pub dry_run: bool,
    pub skip_bad_lines: bool,
    pub merge_duplicates: bool,
    /// The file holds future appointments (and the patients they introduce), not a list of
    /// patients.
    pub appointments: bool,
}

/// A row refused, with why in the person's language.
#[derive(Debug, Serialize, specta::Type)]
pub struct BadRow {
    pub line: u32,
    pub message: String,
}

/// What the file holds and what the import did (or would do).
#[derive(Debug, Serialize, specta::Type)]
pub struct ImportView {
    pub source: Option<Source>,
    pub headings: Vec<String>,
    /// How each column is read (null: left out).
    pub columns: Vec<Option<Field>>,
    /// The first rows, as in the file.
    pub preview: Vec<Vec<String>>,
    pub lines: u32,
    pub valid: u32,
    pub bad: Vec<BadRow>,
    pub duplicates: Vec<Duplicate>,
    pub imported: u32,
    pub merged: u32,
    /// Fields no column holds yet (the person tells a column, or the file cannot come in).
    pub missing: Vec<Field>,
}

/// How far the writing has come.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportProgress {
    pub done: u32,
    pub total: u32,
}

/// Reads a file of patients or of appointments (a preview with `dry_run`) or imports it in
/// one transaction, reporting a patient import's progress on `progress` (owner). Off the UI
/// thread: a big workbook takes seconds.
#[tauri::command]
#[specta::specta]
pub async fn import_patients(
    app: AppHandle,
    input: ImportInput,
    progress: Channel<ImportProgress>,
) -> Answer<ImportView> {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let options = ImportOptions {
            dry_run: input.dry_run,
            skip_bad_lines: input.skip_bad_lines,
            merge_duplicates: input.merge_duplicates,
            columns: input
                .columns
                .iter()
                .map(|c| (c.column as usize, c.field))
                .collect(),
        };
        let mut tell = |done: usize, total: usize| {
            let _ = progress.send(ImportProgress {
                done: done as u32,
                total: total as u32,
            });
        };
        let run = |c: &mut Clinic, s: &Session| {
            if input.appointments {
                c.import_appointments(s, &input.file, &options)
            } else {
                c.import_patients_with_progress(s, &input.file, &options, &mut tell)
            }
        };
        // A preview writes nothing: the screens have nothing to reload.
        let report = if input.dry_run {
            with_session(&state, run)?
        } else {
            let what = if input.appointments {
                "appointments"
            } else {
                "patients"
            };
            changing(&app, &state, what, run)?
        };
        Ok(ImportView {
            source: report.source,
            headings: report.headings,
            columns: report.columns,
            preview: report.preview,
            lines: report.lines as u32,
            valid: report.valid as u32,
            bad: report
                .bad
                .iter()
                .map(|b| BadRow {
                    line: b.line as u32,
                    message: b.error.message(lang),
                })
                .collect(),
            duplicates: report.duplicates,
            imported: report.imported as u32,
            merged: report.merged as u32,
            missing: report.missing,
        })
    })
    .await
}
