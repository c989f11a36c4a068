//! Server storage: one platform database (clinics, enrolled machines) and one database per
//! clinic holding its change log. Behind a trait so a PostgreSQL backend can follow; the
//! SQLite one is embedded and needs no service.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ayada_sync::{MachineStatus, WireChange, WireDoc};
use rusqlite::{params, Connection, OptionalExtension};

/// Something the store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("storage failed: {0}")]
    Db(#[from] rusqlite::Error),
    /// A file could not be created.
    #[error("storage failed: {0}")]
    Io(#[from] std::io::Error),
    /// A stored document could not be compacted.
    #[error("a stored document is damaged: {0}")]
    Doc(String),
    /// The slug or email is taken.
    #[error("a clinic with this {0} already exists")]
    Taken(&'static str),
}

/// A clinic on the platform.
#[derive(Debug, Clone)]
pub struct ClinicRecord {
    /// Platform id of the clinic (its database's name).
    pub id: String,
    /// Short unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The owner's login email.
    pub owner_email: String,
    /// Argon2id hash of the owner's password.
    pub password_hash: String,
    /// The clinic data id its machines share, once the first machine has enrolled.
    pub data_clinic_id: Option<String>,
    /// The clinic's time zone.
    pub time_zone: String,
}

/// An enrolled machine.
#[derive(Debug, Clone)]
pub struct Device {
    /// The platform clinic it belongs to.
    pub clinic_id: String,
    /// Its node id.
    pub node_id: String,
    /// Whether the owner revoked it.
    pub revoked: bool,
}

/// What the server keeps.
pub trait Store: Send + Sync + 'static {
    /// Adds a clinic.
    fn create_clinic(&self, record: &ClinicRecord) -> Result<(), StoreError>;
    /// Finds a clinic by its owner's email.
    fn clinic_by_email(&self, email: &str) -> Result<Option<ClinicRecord>, StoreError>;
    /// Records the data id of a clinic whose first machine enrolled.
    fn set_data_clinic(&self, clinic: &str, data_id: &str) -> Result<(), StoreError>;
    /// Enrolls a machine with the hash of its credential.
    fn add_device(&self, clinic: &str, node: &str, credential_hash: &str)
        -> Result<(), StoreError>;
    /// Finds a machine by the hash of its credential.
    fn device(&self, credential_hash: &str) -> Result<Option<Device>, StoreError>;
    /// Appends changes to a clinic's log (durably); true for each change that was new.
    fn append(
        &self,
        clinic: &str,
        node: &str,
        changes: &[&WireChange],
    ) -> Result<Vec<bool>, StoreError>;
    /// A page of a clinic's log after `since`, and the last position.
    fn after(
        &self,
        clinic: &str,
        since: u64,
        limit: u32,
    ) -> Result<(Vec<(u64, WireChange)>, u64), StoreError>;
    /// How many changes a clinic's log holds.
    fn log_len(&self, clinic: &str) -> Result<u64, StoreError>;
    /// The last position of a clinic's log (0 when empty).
    fn head(&self, clinic: &str) -> Result<u64, StoreError>;
    /// Notes that a machine synced now; `pending` is what it said it still holds unsent
    /// (given on a push, None on a pull).
    fn seen(&self, clinic: &str, node: &str, pending: Option<u64>) -> Result<(), StoreError>;
    /// Every machine enrolled into a clinic, with where it stood when last seen.
    fn machines(&self, clinic: &str) -> Result<Vec<MachineStatus>, StoreError>;
    /// Revokes every credential of machine `node` of `clinic`; None if the clinic has no
    /// such machine, else how many were still active.
    fn revoke(&self, clinic: &str, node: &str) -> Result<Option<u32>, StoreError>;
    /// Whether machine `node` of `clinic` holds a credential that is not revoked.
    fn machine_active(&self, clinic: &str, node: &str) -> Result<bool, StoreError>;
    /// Stores a blob of a clinic (durably); false if it was already there.
    fn put_blob(
        &self,
        clinic: &str,
        sha256: &str,
        bytes: &[u8],
        node: &str,
    ) -> Result<bool, StoreError>;
    /// A blob of a clinic, if that clinic holds it.
    fn blob(&self, clinic: &str, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Brings the stored compaction of one document of a clinic up to the log's end, so the
    /// next bootstrap finds it ready.
    fn compact(&self, clinic: &str, doc_id: &str) -> Result<(), StoreError>;
    /// A page of the clinic's documents compacted from its log, in id order after `after`,
    /// up to about `max_bytes`.
    fn bootstrap(
        &self,
        clinic: &str,
        after: Option<&str>,
        max_bytes: usize,
    ) -> Result<BootstrapPage, StoreError>;
}

/// A page of compacted documents.
#[derive(Debug, Clone, Default)]
pub struct BootstrapPage {
    /// The documents.
    pub docs: Vec<WireDoc>,
    /// Every change up to this log position is inside the page's documents.
    pub as_of: u64,
    /// How many documents the clinic holds.
    pub total: u64,
    /// The id after which the next page starts, if there is one.
    pub next: Option<String>,
}

/// Brings the stored compaction of one document up to the log's end; answers the saved
/// document and, when one of its changes could not be applied yet (its predecessors are
/// missing), the log position just before that change: a machine that bootstraps must pull
/// from there rather than miss it.
fn compact(conn: &Connection, doc_id: &str) -> Result<(Vec<u8>, Option<u64>), StoreError> {
    let stored: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT bytes, upto FROM docs WHERE doc_id = ?1")?
        .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (saved, upto) = stored.unwrap_or_default();
    let mut stmt = conn.prepare_cached(
        "SELECT seq, bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map(params![doc_id, upto], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(stmt);
    if rows.is_empty() {
        return Ok((saved, None));
    }
    let mut doc = if saved.is_empty() {
        automerge::Automerge::new()
    } else {
        automerge::Automerge::load(&saved).map_err(|e| StoreError::Doc(e.to_string()))?
    };
    let mut changes = Vec::with_capacity(rows.len());
    for (seq, bytes) in &rows {
        // Every change was checked to decode before it was stored.
        let change = automerge::Change::from_bytes(bytes.clone())
            .map_err(|e| StoreError::Doc(format!("change {seq} of {doc_id}: {e}")))?;
        changes.push((*seq, change));
    }
    doc.apply_changes(changes.iter().map(|(_, c)| c.clone()))
        .map_err(|e| StoreError::Doc(e.to_string()))?;
    let stuck = changes
        .iter()
        .find(|(_, c)| automerge::ReadDoc::get_change_by_hash(&doc, &c.hash()).is_none())
        .map(|(seq, _)| seq - 1);
    let complete = stuck.unwrap_or_else(|| rows.last().map_or(upto, |r| r.0));
    let bytes = doc.save();
    conn.prepare_cached(
        "INSERT INTO docs (doc_id, bytes, upto) VALUES (?1, ?2, ?3)
         ON CONFLICT (doc_id) DO UPDATE SET bytes = excluded.bytes, upto = excluded.upto",
    )?
    .execute(params![doc_id, bytes, complete])?;
    Ok((bytes, stuck.map(|s| s as u64)))
}

/// The embedded SQLite store: `platform.db` and `clinics/<id>.db` under one folder.
pub struct SqliteStore {
    dir: PathBuf,
    platform: Mutex<Connection>,
    /// A second connection to the platform database for the machines' last-contact notes:
    /// written on every push and pull, so without an fsync each (losing the last few to a
    /// power cut only makes a machine look a little less recently seen).
    status: Mutex<Connection>,
    clinics: Mutex<HashMap<String, Arc<Mutex<Connection>>>>,
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // FULL: a change is acknowledged only once it is on disk.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
    )?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (or creates) the store in `dir`; safe while another process uses it.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir.join("clinics"))?;
        let platform = open(&dir.join("platform.db"))?;
        platform.execute_batch(
            "CREATE TABLE IF NOT EXISTS clinics (
                id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                owner_email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
                data_clinic_id TEXT, time_zone TEXT NOT NULL, created_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS devices (
                credential_hash TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, node_id TEXT NOT NULL,
                created_at INTEGER NOT NULL, revoked_at INTEGER);
             CREATE TABLE IF NOT EXISTS device_status (
                clinic_id TEXT NOT NULL, node_id TEXT NOT NULL, last_seen_at INTEGER NOT NULL,
                pending INTEGER, PRIMARY KEY (clinic_id, node_id));",
        )?;
        let status = open(&dir.join("platform.db"))?;
        status.execute_batch("PRAGMA synchronous = NORMAL;")?;
        Ok(SqliteStore {
            dir: dir.to_path_buf(),
            platform: Mutex::new(platform),
            status: Mutex::new(status),
            clinics: Mutex::new(HashMap::new()),
        })
    }

    fn clinic_db(&self, clinic: &str) -> Result<Arc<Mutex<Connection>>, StoreError> {
        let mut map = self.clinics.lock().expect("clinic map poisoned");
        if let Some(conn) = map.get(clinic) {
            return Ok(conn.clone());
        }
        // Clinic ids are UUIDs made by the platform, never taken from a request.
        let conn = open(&self.dir.join("clinics").join(format!("{clinic}.db")))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS changes (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
                bytes BLOB NOT NULL, node TEXT NOT NULL, received_at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS changes_doc ON changes (doc_id, seq);
             -- Each document compacted from the log up to `upto`, kept for the next bootstrap.
             CREATE TABLE IF NOT EXISTS docs (
                doc_id TEXT PRIMARY KEY, bytes BLOB NOT NULL, upto INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS blobs (
                sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL, node TEXT NOT NULL,
                received_at INTEGER NOT NULL);",
        )?;
        let conn = Arc::new(Mutex::new(conn));
        map.insert(clinic.to_string(), conn.clone());
        Ok(conn)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClinicRecord> {
    Ok(ClinicRecord {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
        owner_email: r.get(3)?,
        password_hash: r.get(4)?,
        data_clinic_id: r.get(5)?,
        time_zone: r.get(6)?,
    })
}

impl Store for SqliteStore {
    fn create_clinic(&self, c: &ClinicRecord) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let taken = |sql: &str, v: &str| -> Result<bool, StoreError> {
            Ok(conn.query_row(sql, [v], |_| Ok(())).optional()?.is_some())
        };
        if taken("SELECT 1 FROM clinics WHERE slug = ?1", &c.slug)? {
            return Err(StoreError::Taken("slug"));
        }
        if taken(
            "SELECT 1 FROM clinics WHERE owner_email = ?1",
            &c.owner_email,
        )? {
            return Err(StoreError::Taken("owner email"));
        }
        conn.execute(
            "INSERT INTO clinics (id, slug, name, owner_email, password_hash, data_clinic_id, time_zone, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
            params![c.id, c.slug, c.name, c.owner_email, c.password_hash, c.time_zone, now()],
        )?;
        drop(conn);
        self.clinic_db(&c.id)?;
        Ok(())
    }

    fn clinic_by_email(&self, email: &str) -> Result<Option<ClinicRecord>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT id, slug, name, owner_email, password_hash, data_clinic_id, time_zone FROM clinics WHERE owner_email = ?1",
                [email],
                record,
            )
            .optional()?)
    }

    fn set_data_clinic(&self, clinic: &str, data_id: &str) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE clinics SET data_clinic_id = ?2 WHERE id = ?1 AND data_clinic_id IS NULL",
            params![clinic, data_id],
        )?;
        Ok(())
    }

    fn add_device(
        &self,
        clinic: &str,
        node: &str,
        credential_hash: &str,
    ) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "INSERT INTO devices (credential_hash, clinic_id, node_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![credential_hash, clinic, node, now()],
        )?;
        Ok(())
    }

    fn device(&self, credential_hash: &str) -> Result<Option<Device>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT clinic_id, node_id, revoked_at IS NOT NULL FROM devices WHERE credential_hash = ?1",
                [credential_hash],
                |r| Ok(Device { clinic_id: r.get(0)?, node_id: r.get(1)?, revoked: r.get(2)? }),
            )
            .optional()?)
    }

    fn append(
        &self,
        clinic: &str,
        node: &str,
        changes: &[&WireChange],
    ) -> Result<Vec<bool>, StoreError> {
        let db = self.clinic_db(clinic)?;
        let mut conn = db.lock().expect("clinic db poisoned");
        let tx = conn.transaction()?;
        let mut fresh = Vec::with_capacity(changes.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO changes (doc_id, hash, bytes, node, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for c in changes {
                let n = insert.execute(params![c.doc_id, c.hash, c.bytes, node, now()])?;
                fresh.push(n == 1);
            }
        }
        tx.commit()?;
        Ok(fresh)
    }

    fn after(
        &self,
        clinic: &str,
        since: u64,
        limit: u32,
    ) -> Result<(Vec<(u64, WireChange)>, u64), StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        let mut stmt = conn.prepare_cached(
            "SELECT seq, doc_id, hash, bytes FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![since as i64, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    WireChange {
                        doc_id: r.get(1)?,
                        hash: r.get(2)?,
                        bytes: r.get(3)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        drop(conn);
        Ok((rows, self.head(clinic)?))
    }

    fn head(&self, clinic: &str) -> Result<u64, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        let last: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?;
        Ok(last as u64)
    }

    fn log_len(&self, clinic: &str) -> Result<u64, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        Ok(conn.query_row("SELECT count(*) FROM changes", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn seen(&self, clinic: &str, node: &str, pending: Option<u64>) -> Result<(), StoreError> {
        let conn = self.status.lock().expect("status poisoned");
        // A pull says nothing about what the machine holds unsent: keep its last push's word.
        conn.prepare_cached(
            "INSERT INTO device_status (clinic_id, node_id, last_seen_at, pending) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (clinic_id, node_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,
                 pending = COALESCE(excluded.pending, device_status.pending)",
        )?
        .execute(params![clinic, node, now(), pending.map(|p| p as i64)])?;
        Ok(())
    }

    fn revoke(&self, clinic: &str, node: &str) -> Result<Option<u32>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let known: i64 = conn.query_row(
            "SELECT COUNT(*) FROM devices WHERE clinic_id = ?1 AND node_id = ?2",
            params![clinic, node],
            |r| r.get(0),
        )?;
        if known == 0 {
            return Ok(None);
        }
        let n = conn.execute(
            "UPDATE devices SET revoked_at = ?3 WHERE clinic_id = ?1 AND node_id = ?2 AND revoked_at IS NULL",
            params![clinic, node, now()],
        )?;
        Ok(Some(n as u32))
    }

    fn machine_active(&self, clinic: &str, node: &str) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let found = conn
            .prepare_cached(
                "SELECT 1 FROM devices WHERE clinic_id = ?1 AND node_id = ?2 AND revoked_at IS NULL LIMIT 1",
            )?
            .query_row(params![clinic, node], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    fn put_blob(
        &self,
        clinic: &str,
        sha256: &str,
        bytes: &[u8],
        node: &str,
    ) -> Result<bool, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        let n = conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, bytes, node, received_at) VALUES (?1, ?2, ?3, ?4)",
            params![sha256, bytes, node, now()],
        )?;
        Ok(n == 1)
    }

    fn blob(&self, clinic: &str, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        Ok(conn
            .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn compact(&self, clinic: &str, doc_id: &str) -> Result<(), StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        compact(&conn, doc_id).map(drop)
    }

    fn bootstrap(
        &self,
        clinic: &str,
        after: Option<&str>,
        max_bytes: usize,
    ) -> Result<BootstrapPage, StoreError> {
        let db = self.clinic_db(clinic)?;
        let mut conn = db.lock().expect("clinic db poisoned");
        // One transaction: the head and the documents are read from the same state of the log.
        let tx = conn.transaction()?;
        let head: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?;
        let total: i64 = tx.query_row("SELECT COUNT(DISTINCT doc_id) FROM changes", [], |r| {
            r.get(0)
        })?;
        let ids: Vec<String> = tx
            .prepare_cached(
                "SELECT DISTINCT doc_id FROM changes WHERE doc_id > ?1 ORDER BY doc_id LIMIT 2000",
            )?
            .query_map([after.unwrap_or("")], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut page = BootstrapPage {
            as_of: head as u64,
            total: total as u64,
            ..BootstrapPage::default()
        };
        let mut size = 0;
        for id in &ids {
            if size >= max_bytes && !page.docs.is_empty() {
                page.next = page.docs.last().map(|d| d.doc_id.clone());
                break;
            }
            let (bytes, stuck) = compact(&tx, id)?;
            if let Some(before) = stuck {
                page.as_of = page.as_of.min(before);
            }
            size += bytes.len();
            page.docs.push(WireDoc {
                doc_id: id.clone(),
                bytes,
            });
        }
        if page.next.is_none() && ids.len() == 2000 {
            page.next = ids.last().cloned();
        }
        tx.commit()?;
        Ok(page)
    }

    fn machines(&self, clinic: &str) -> Result<Vec<MachineStatus>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare_cached(
            "SELECT d.node_id, MIN(d.created_at), s.last_seen_at, s.pending,
                    MIN(d.revoked_at IS NOT NULL)
             FROM devices d
             LEFT JOIN device_status s ON s.clinic_id = d.clinic_id AND s.node_id = d.node_id
             WHERE d.clinic_id = ?1 GROUP BY d.node_id ORDER BY MIN(d.created_at), d.node_id",
        )?;
        let rows = stmt.query_map([clinic], |r| {
            Ok(MachineStatus {
                node_id: r.get(0)?,
                enrolled_at: r.get(1)?,
                last_seen_at: r.get(2)?,
                pending: r.get::<_, Option<i64>>(3)?.map(|p| p as u64),
                revoked: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
