//! Backups and exports, the owner's alone.
//!
//! A backup is the whole clinic database re-encrypted under a passphrase by SQLCipher's own
//! `sqlcipher_export` (its passphrase key derivation: PBKDF2-HMAC-SHA512, salt in the file),
//! so one file holds documents, change log, photos and the audit chain exactly. Restoring
//! makes a new store under this machine's own key and gives it a new node id: the machine
//! that made the backup may still be running, and two machines must never write as the same
//! Automerge actor. Its sync enrollment is dropped too; the restored machine enrolls anew.
//!
//! An export is the clinic as CSV and JSON (every projection table, without password
//! hashes) plus the photos as image files, for another system to read.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OpenFlags};
use serde_json::{Map, Value};

use crate::error::{CoreError, Result};
use crate::ids::NodeId;
use crate::keys::{self, KeySource};
use crate::store::{self, DB_FILE};

/// Shortest passphrase a backup may be encrypted with.
const MIN_PASSPHRASE: usize = 8;

/// What a backup held.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BackupReport {
    /// The file written.
    pub file: String,
    /// Its size.
    pub bytes: u64,
    /// Documents in it.
    pub documents: i64,
    /// Logged changes in it.
    pub changes: i64,
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(CoreError::invalid("passphrase", "passphrase-too-short"));
    }
    Ok(())
}

/// A sibling path to write into before the final rename, so a crash or a full disk never
/// leaves something that looks finished.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

fn path_text(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| CoreError::invalid("file", "not-utf8-path"))
}

/// Writes the encrypted backup of `conn`'s clinic to `out` (which must not exist).
pub(crate) fn backup(conn: &Connection, out: &Path, passphrase: &str) -> Result<BackupReport> {
    check_passphrase(passphrase)?;
    if out.exists() {
        return Err(CoreError::invalid("file", "file-exists"));
    }
    let tmp = partial(out);
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        // An attached file inherits the main connection's open flags, which do not allow
        // creating files once a clinic is open: create it (empty) first.
        fs::File::create(&tmp)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS backup KEY ?2",
            params![path_text(&tmp)?, passphrase],
        )?;
        // One statement, one read transaction: the copy is a consistent snapshot even
        // while other connections write.
        let exported = conn.query_row("SELECT sqlcipher_export('backup')", [], |_| Ok(()));
        conn.execute("DETACH DATABASE backup", [])?;
        exported?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, out)?;
        Ok(())
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    let count = |table: &str| -> Result<i64> {
        Ok(conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(BackupReport {
        file: out.display().to_string(),
        bytes: fs::metadata(out)?.len(),
        documents: count("docs")?,
        changes: count("changes")?,
    })
}

/// Opens a backup read-only with its passphrase; a wrong passphrase or a file that is not a
/// backup is `BadBackup`.
fn open_backup(from: &Path, passphrase: &str) -> Result<Connection> {
    let bad = || CoreError::BadBackup {
        path: from.display().to_string(),
    };
    if !from.is_file() {
        return Err(bad());
    }
    let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.pragma_update(None, "key", passphrase)?;
    match store::meta(&conn, "clinic_id") {
        Ok(Some(_)) => Ok(conn),
        Ok(None) | Err(CoreError::WrongKey) | Err(CoreError::Storage { .. }) => Err(bad()),
        Err(other) => Err(other),
    }
}

/// Restores the backup `from` into `dir` (which must hold no clinic) under a new key from
/// `key_source` and a new node id. Returns the original node id. On failure nothing is left.
pub(crate) fn restore(
    dir: &Path,
    key_source: &KeySource,
    from: &Path,
    passphrase: &str,
) -> Result<NodeId> {
    if dir.join(DB_FILE).exists() {
        return Err(CoreError::ClinicExists {
            dir: dir.display().to_string(),
        });
    }
    let source = open_backup(from, passphrase)?;
    let clinic_id = store::meta(&source, "clinic_id")?.unwrap_or_default();
    let old_node: NodeId = store::meta(&source, "node_id")?
        .unwrap_or_default()
        .parse()?;
    drop(source);
    fs::create_dir_all(dir)?;
    let node = NodeId::new();
    let result = (|| {
        let key = keys::create_key(dir, key_source, &format!("{clinic_id}/{node}"))?;
        let conn = store::open_encrypted(&dir.join(DB_FILE), Some(&key), true)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS backup KEY ?2",
            params![path_text(from)?, passphrase],
        )?;
        let exported = conn.query_row("SELECT sqlcipher_export('main', 'backup')", [], |_| Ok(()));
        conn.execute("DETACH DATABASE backup", [])?;
        exported?;
        // A new machine: its own node id, no enrollment, and no LAN key (the old machine's
        // would let this copy pass for it on the clinic's LAN) nor cursors with its peers.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             UPDATE meta SET value = '{node}' WHERE key = 'node_id';
             DELETE FROM meta WHERE key = 'sync';
             DELETE FROM meta WHERE key IN ('lan_identity', 'lan_invite', 'lan_pin') OR key LIKE 'peer:%';
             COMMIT;"
        ))?;
        store::upgrade(&conn)?;
        Ok(())
    })();
    if let Err(err) = result {
        for file in [DB_FILE, "clinic.db-wal", "clinic.db-shm", "key.json"] {
            let _ = fs::remove_file(dir.join(file));
        }
        return Err(err);
    }
    Ok(old_node)
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExportReport {
    /// The folder written.
    pub folder: String,
    /// Rows per table.
    pub tables: Vec<(String, usize)>,
    /// Photo files written.
    pub photos: usize,
}

/// The tables an export holds, with the columns left out (secrets and local details).
const EXPORTED: [(&str, &[&str]); 11] = [
    ("staff", &["password_hash"]),
    ("visit_types", &[]),
    ("insurers", &[]),
    ("schedules", &[]),
    ("patients", &["rowid", "name_folded"]),
    ("appointments", &[]),
    ("visits", &[]),
    ("cash_entries", &[]),
    ("shifts", &[]),
    ("day_closes", &[]),
    ("audit", &[]),
];

/// Writes the clinic's data as CSV and JSON, and its photos as files, into `out` (which must
/// not exist or be empty).
pub(crate) fn export(conn: &Connection, out: &Path) -> Result<ExportReport> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        return Err(CoreError::invalid("folder", "not-empty"));
    }
    let tmp = partial(out);
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        fs::create_dir_all(tmp.join("photos"))?;
        let mut tables = Vec::new();
        for (table, skip) in EXPORTED {
            tables.push((table.to_string(), export_table(conn, &tmp, table, skip)?));
        }
        let settings = crate::settings::read_settings(conn)?;
        fs::write(
            tmp.join("clinic.json"),
            serde_json::to_vec_pretty(&settings)?,
        )?;
        let mut photos = 0;
        let mut stmt = conn.prepare("SELECT sha256, mime, bytes FROM blobs ORDER BY sha256")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (sha, mime, bytes): (String, String, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let ext = match mime.as_str() {
                "image/png" => "png",
                "image/webp" => "webp",
                _ => "jpg",
            };
            fs::write(tmp.join("photos").join(format!("{sha}.{ext}")), bytes)?;
            photos += 1;
        }
        if out.exists() {
            fs::remove_dir(out)?;
        }
        fs::rename(&tmp, out)?;
        Ok(ExportReport {
            folder: out.display().to_string(),
            tables,
            photos,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// One table as `<table>.csv` and `<table>.json`; returns its row count.
fn export_table(conn: &Connection, dir: &Path, table: &str, skip: &[&str]) -> Result<usize> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}"))?;
    let columns: Vec<(usize, String)> = stmt
        .column_names()
        .enumerate()
        .filter(|(_, c)| !skip.contains(c))
        .map(|(i, c)| (i, c.to_string()))
        .collect();
    let mut csv = csv::Writer::from_path(dir.join(format!("{table}.csv"))).map_err(|e| {
        CoreError::Storage {
            detail: e.to_string(),
        }
    })?;
    let csv_err = |e: csv::Error| CoreError::Storage {
        detail: e.to_string(),
    };
    csv.write_record(columns.iter().map(|(_, c)| c.as_str()))
        .map_err(csv_err)?;
    let mut json = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let mut object = Map::new();
        let mut record = Vec::with_capacity(columns.len());
        for (i, name) in &columns {
            let value = match r.get_ref(*i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => Value::from(f),
                ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::from(hex::encode(b)),
            };
            record.push(match &value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            object.insert(name.clone(), value);
        }
        csv.write_record(&record).map_err(csv_err)?;
        json.push(Value::Object(object));
    }
    csv.flush()?;
    let mut file = fs::File::create(dir.join(format!("{table}.json")))?;
    file.write_all(&serde_json::to_vec_pretty(&json)?)?;
    file.sync_all()?;
    Ok(json.len())
}
