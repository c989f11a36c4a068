//! A terminated clinic's export: downloaded from the server by its owner (from a machine of
//! the clinic, or by the emailed link in a browser), and opened into a machine's folder:
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

/// What a download wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Downloaded {
    /// The file.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Downloads the server's export of this machine's clinic, whose subscription ended, into
/// `out` (written beside it and moved there only once whole), locked with `passphrase`.
/// The owner's email and password (and code, with two-step sign-in on) are the server's.
pub fn download(
    clinic: &Clinic,
    email: &str,
    password: &str,
    code: Option<&str>,
    passphrase: &str,
    out: &Path,
) -> Result<Downloaded, Failure> {
    if passphrase.chars().count() < ayada_export::MIN_PASSPHRASE {
        return Err(Failure::said(Said::new("client-export-weak")));
    }
    let settings = clinic
        .sync_settings()?
        .ok_or_else(crate::http::not_enrolled)?;
    crate::check_password_transport(&settings.server)?;
    // No limit on the whole: a clinic's photos take a while on a slow line.
    let http = reqwest::blocking::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(None)
        .build()
        .map_err(|e| Failure::said(Said::new("client-no-http").with("detail", e)))?;
    let request = ayada_sync::ExportRequest {
        email: email.to_string(),
        password: password.to_string(),
        totp: code.map(str::to_string),
        passphrase: passphrase.to_string(),
    };
    let server = &settings.server;
    let mut resp = http
        .post(format!("{server}/owner/export"))
        .json(&request)
        .send()
        .map_err(|e| crate::http::unreachable(server, e))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let body = resp.text().unwrap_or_default();
        return Err(crate::http::refused(status, &body));
    }
    let part = out.with_extension("part");
    let written = (|| -> std::io::Result<u64> {
        let mut file = std::fs::File::create(&part)?;
        let n = resp.copy_to(&mut file).map_err(std::io::Error::other)?;
        file.sync_all()?;
        Ok(n)
    })();
    let bytes = match written {
        Ok(n) => n,
        Err(_) => {
            let _ = std::fs::remove_file(&part);
            return Err(Failure::said(Said::new("client-export-cut")));
        }
    };
    std::fs::rename(&part, out).map_err(|_| Failure::said(Said::new("client-export-cut")))?;
    Ok(Downloaded {
        file: out.display().to_string(),
        bytes,
    })
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
