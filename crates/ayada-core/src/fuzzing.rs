//! What the fuzz targets (`fuzz/`, cargo fuzz) drive, and the regression tests replay: the
//! core's doors for bytes that come from outside — a saved document, a peer's change, a CSV
//! file, a photo. Each must answer with an error, never panic, whatever the bytes.
#![doc(hidden)]

use std::sync::{Mutex, OnceLock};

use crate::replication::IncomingChange;
use crate::{Clinic, InitOptions, KeySource, Session};

/// Loads bytes as a saved document received in a bootstrap, and reads its records, as each
/// kind of document.
pub fn load_doc(data: &[u8]) {
    for id in [
        "clinic",
        "patient/00",
        "appointments/a/2026-01-01",
        "cashbook/2026-01-01",
    ] {
        let _ = crate::replication::decode(id, data);
    }
}

/// One clinic on disk for the whole fuzzing process (made on first use, in the temporary
/// folder): applying changes and importing files need a real store.
fn clinic() -> &'static Mutex<(Clinic, Session)> {
    static CLINIC: OnceLock<Mutex<(Clinic, Session)>> = OnceLock::new();
    CLINIC.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "ayada-fuzz-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7()
        ));
        let made = Clinic::init(
            &dir.join("data"),
            &KeySource::KeyFile(dir.join("k")),
            &InitOptions::in_egypt("fuzz", "owner", "Owner", "fuzz-pass-1"),
        )
        .expect("a clinic in the temporary folder");
        Mutex::new(made)
    })
}

/// Applies bytes as a change from a peer, filed under a document chosen by the first byte.
pub fn apply_change(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let doc_id = [
        "clinic",
        "patient/00",
        "appointments/a/2026-01-01",
        "cashbook/2026-01-01",
    ][which as usize % 4];
    let hash = automerge::Change::from_bytes(bytes.to_vec())
        .map(|c| c.hash().to_string())
        .unwrap_or_else(|_| "00".repeat(32));
    let mut guard = clinic().lock().unwrap_or_else(|e| e.into_inner());
    let _ = guard.0.apply_changes(&[IncomingChange {
        doc_id: doc_id.into(),
        hash,
        bytes: bytes.to_vec(),
    }]);
}

/// Reads bytes as a patients CSV (a dry run: checked, nothing written).
pub fn csv_import(data: &[u8]) {
    let mut guard = clinic().lock().unwrap_or_else(|e| e.into_inner());
    let (clinic, owner) = &mut *guard;
    let _ = clinic.import_patients(
        owner,
        data,
        &crate::import::ImportOptions {
            dry_run: true,
            skip_bad_lines: true,
            ..Default::default()
        },
    );
}

/// Imports bytes as a prescription photo, and as one received from a peer.
pub fn photo_import(data: &[u8]) {
    let _ = crate::photos::process(data);
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data));
    let _ = crate::photos::adopt(&sha256, data.to_vec());
}
