//! A terminated clinic's export, downloaded from the server, opened into a machine's folder:
//! the clinic's documents loaded as a new machine's bootstrap loads them, and its photos,
//! so the folder holds the whole clinic again. Its staff sign in as before, and its CSV/JSON
//! export is made there like on any machine (`export`).

use std::io::Read;
use std::path::Path;

use ayada_core::ids::{ClinicId, NodeId};
use ayada_core::{Clinic, CoreError, KeySource, Said};
use ayada_export::{names, ClinicCard, ExportError, Manifest};

use crate::ClientError as Failure;

/// What an opened export held.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Opened {
    /// The clinic's name.
    pub name: String,
    /// The clinic id its machines share.
    pub clinic_id: String,
    /// Documents loaded.
    pub documents: u64,
    /// Photos kept.
    pub photos: u64,
}

/// How many documents are loaded at once.
const BATCH: usize = 200;

fn refused(e: ExportError) -> Failure {
    let id = match e {
        ExportError::WrongPassphrase => "client-export-passphrase",
        ExportError::WeakPassphrase => "client-export-weak",
        ExportError::Io(_) => "client-export-unreadable",
        ExportError::NotAnExport | ExportError::Damaged(_) => "client-export-damaged",
    };
    Failure::said(Said::new(id))
}

/// Opens the export read from `file` with `passphrase` into the empty data folder `data`,
/// whose store's key comes from `key`. On any failure the folder is left as it was.
pub fn open(
    data: &Path,
    key: &KeySource,
    file: impl Read,
    passphrase: &str,
) -> Result<Opened, Failure> {
    match Clinic::open(data, key) {
        Err(CoreError::NoClinic { .. }) => {}
        Ok(_) => return Err(Failure::said(Said::new("client-lan-join-not-empty"))),
        Err(e) => return Err(e.into()),
    }
    let mut clinic: Option<(Clinic, ClinicCard)> = None;
    let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
    let mut counted = Manifest {
        documents: 0,
        photos: 0,
    };
    let mut told: Option<Manifest> = None;
    // A failure inside the reader's callback is kept here (the reader speaks ExportError).
    let mut failed: Option<Failure> = None;
    let result = ayada_export::read_export(file, passphrase, |name, bytes| {
        let step = (|| -> Result<(), Failure> {
            if name == names::CLINIC {
                let card: ClinicCard = serde_json::from_slice(&bytes)
                    .map_err(|_| Failure::said(Said::new("client-export-damaged")))?;
                let id: ClinicId = card
                    .clinic_id
                    .as_deref()
                    .ok_or_else(|| Failure::said(Said::new("client-export-empty")))?
                    .parse()
                    .map_err(CoreError::from)?;
                let c = Clinic::join(data, key, id, NodeId::new(), &card.time_zone)?;
                clinic = Some((c, card));
                return Ok(());
            }
            let Some((c, _)) = clinic.as_mut() else {
                return Err(Failure::said(Said::new("client-export-damaged")));
            };
            if let Some(doc) = name.strip_prefix(names::DOCUMENT) {
                batch.push((doc.to_string(), bytes));
                counted.documents += 1;
                if batch.len() >= BATCH {
                    c.load_server_docs(&std::mem::take(&mut batch))?;
                }
            } else if let Some(sha) = name.strip_prefix(names::PHOTO) {
                c.receive_blob(sha, bytes)?;
                counted.photos += 1;
            } else if name == names::MANIFEST {
                told = Some(
                    serde_json::from_slice(&bytes)
                        .map_err(|_| Failure::said(Said::new("client-export-damaged")))?,
                );
            }
            Ok(())
        })();
        step.map_err(|f| {
            failed = Some(f);
            ExportError::Damaged("a file could not be taken in".into())
        })
    });
    let outcome = match (result, failed) {
        (_, Some(f)) => Err(f),
        (Err(e), None) => Err(refused(e)),
        (Ok(()), None) => match clinic {
            None => Err(Failure::said(Said::new("client-export-damaged"))),
            Some((mut c, card)) => {
                if !batch.is_empty() {
                    c.load_server_docs(&batch)?;
                }
                if told.as_ref() != Some(&counted) {
                    Err(Failure::said(Said::new("client-export-damaged")))
                } else {
                    Ok(Opened {
                        name: card.name,
                        clinic_id: card.clinic_id.unwrap_or_default(),
                        documents: counted.documents,
                        photos: counted.photos,
                    })
                }
            }
        },
    };
    if outcome.is_err() {
        // Nothing half-opened stays behind: the folder holds no clinic, as before.
        for file in ["clinic.db", "clinic.db-wal", "clinic.db-shm", "key.json"] {
            let _ = std::fs::remove_file(data.join(file));
        }
    }
    outcome
}
