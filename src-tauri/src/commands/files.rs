//! The owner's copies of the clinic: encrypted backups and open exports.

use ayada_core::backup::{BackupReport, ExportReport};
use tauri::State;

use super::{with_session, Answer};
use crate::state::AppState;

/// Where the owner's backups and exports go unless they choose another folder: the
/// documents folder, not the clinic's own (a backup on the same disk is no backup).
#[tauri::command]
#[specta::specta]
pub fn default_folder(state: State<'_, AppState>) -> Answer<String> {
    let folder = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(std::path::PathBuf::from)
        .map(|home| home.join("Documents"))
        .filter(|d| d.is_dir())
        .or_else(|| state.data.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| state.data.clone());
    Ok(folder.display().to_string())
}

fn stamp() -> String {
    jiff::Zoned::now().strftime("%Y%m%d-%H%M%S").to_string()
}

/// Writes an encrypted backup of the whole clinic into `folder` (owner).
#[tauri::command]
#[specta::specta]
pub fn backup_to(
    state: State<'_, AppState>,
    folder: String,
    passphrase: String,
) -> Answer<BackupReport> {
    with_session(&state, |c, s| {
        let out = std::path::Path::new(folder.trim()).join(format!("ayada-backup-{}.db", stamp()));
        c.backup(s, &out, &passphrase)
    })
}

/// Exports the clinic as CSV and JSON files with its photos into a new folder inside
/// `folder` (owner).
#[tauri::command]
#[specta::specta]
pub fn export_to(state: State<'_, AppState>, folder: String) -> Answer<ExportReport> {
    with_session(&state, |c, s| {
        let out = std::path::Path::new(folder.trim()).join(format!("ayada-export-{}", stamp()));
        c.export(s, &out)
    })
}
