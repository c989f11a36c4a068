//! A terminated clinic leaving the platform: the export its owner downloads (its card, every
//! document compacted from the log, every photo, the counts; `ayada_export`'s encrypted
//! format, made as it is sent), and the sweep that deletes its data once the download window has passed.

use std::io::Write;
use std::time::Duration;

use ayada_export::{names, ClinicCard, Manifest};

use crate::store::{unix_now, ClinicRecord, Store, StoreError};
use crate::AppState;

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The export could not be written (the connection went, or the passphrase is weak).
    #[error(transparent)]
    Export(#[from] ayada_export::ExportError),
}

/// The largest page of documents read at once.
const PAGE_BYTES: usize = 8 << 20;

/// Writes the clinic's whole export into `out`, sealed with `passphrase`.
pub fn write_export<S: Store + ?Sized, W: Write>(
    store: &S,
    clinic: &ClinicRecord,
    passphrase: &str,
    out: W,
) -> Result<Manifest, ExportFailure> {
    let mut export = ayada_export::ExportWriter::new(out, passphrase)?;
    let card = ClinicCard {
        format: 1,
        platform_id: clinic.id.clone(),
        clinic_id: clinic.data_clinic_id.clone(),
        name: clinic.name.clone(),
        slug: clinic.slug.clone(),
        time_zone: clinic.time_zone.clone(),
        exported_at: unix_now(),
    };
    let json = serde_json::to_vec_pretty(&card).expect("a card is plain data");
    export.add(names::CLINIC, &json)?;
    let mut manifest = Manifest {
        documents: 0,
        photos: 0,
    };
    let mut after: Option<String> = None;
    loop {
        let page = store.bootstrap(&clinic.id, after.as_deref(), PAGE_BYTES)?;
        for doc in &page.docs {
            export.add(&format!("{}{}", names::DOCUMENT, doc.doc_id), &doc.bytes)?;
            manifest.documents += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    for sha in store.blob_ids(&clinic.id)? {
        if let Some(bytes) = store.blob(&clinic.id, &sha)? {
            export.add(&format!("{}{sha}", names::PHOTO), &bytes)?;
            manifest.photos += 1;
        }
    }
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest is plain data");
    export.add(names::MANIFEST, &json)?;
    let mut out = export.finish()?;
    out.flush().map_err(ayada_export::ExportError::from)?;
    Ok(manifest)
}

/// Deletes the data of every terminated clinic whose download window has passed, now: its
/// key, its rows and files; audited, and its owner told. Answers how many were deleted.
pub fn delete_due<S: Store>(state: &AppState<S>, now: i64) -> Result<usize, StoreError> {
    let due = state.store.due_deletions(now)?;
    let mut deleted = 0;
    for id in &due {
        // Another replica's sweep may have been first: it told the owner and the audit.
        if !state.store.delete_clinic_data(id, now)? {
            continue;
        }
        deleted += 1;
        state.standings.forget(id);
        state
            .store
            .append_admin_audit("platform", "clinic-data-deleted", id, "")?;
        if let Some(clinic) = state.store.clinic_by_id(id)? {
            let args = [("clinic", clinic.name.clone().into())];
            crate::mail::queue_bilingual(
                state,
                &clinic.owner_email,
                "clinic-deleted",
                "clinic-deleted",
                &format!("clinic-deleted:{id}"),
                &args,
            )?;
        }
        tracing::info!(clinic = %id, "terminated clinic's data deleted");
    }
    Ok(deleted)
}

/// Runs [`delete_due`] every `every`, for as long as the server runs.
pub async fn run<S: Store>(state: AppState<S>, every: Duration) {
    loop {
        let st = state.clone();
        match tokio::task::spawn_blocking(move || delete_due(&st, unix_now())).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "deleting a terminated clinic's data failed"),
            Err(_) => tracing::error!("deleting a terminated clinic's data panicked"),
        }
        tokio::time::sleep(every).await;
    }
}
