//! The embedded SQLite store: `platform.db` and `clinics/<id>.db` under one folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ayada_sync::{AuditAnchor, AuditHead, MachineStatus, WireChange};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::files::{open, private_dir};
use super::log::{self, Fits, LogTx};
use super::portal::PORTAL_TABLES;
use super::reseal;
use super::sqlite_log::{add_actor_columns, seal_clear_rows, SqliteLog};
use super::vault::{KeyRing, KeyTable, Kind, MasterKey, Sealer};
use super::{
    Appended, BootstrapPage, CheckReport, ClinicRecord, Decoded, Device, Seen, Store, StoreError,
};
use zeroize::Zeroizing;

/// The embedded SQLite store: `platform.db` and `clinics/<id>.db` under one folder.
pub struct SqliteStore {
    pub(super) dir: PathBuf,
    pub(super) platform: Mutex<Connection>,
    /// A second connection to the platform database for the machines' last-contact notes:
    /// written on every push and pull, so without an fsync each (losing the last few to a
    /// power cut only makes a machine look a little less recently seen).
    status: Mutex<Connection>,
    pub(super) clinics: Mutex<HashMap<String, Arc<Mutex<Connection>>>>,
    fits: Fits,
    pub(super) keys: KeyRing,
}

/// The master key's file inside the data folder when no other is given (convenient on one
/// machine; docs/OPERATIONS.md says why a real deployment keeps it elsewhere).
pub const MASTER_KEY_FILE: &str = "master.key";

/// The platform database's table of wrapped keys.
struct PlatformKeys<'a>(&'a Mutex<Connection>);

impl KeyTable for PlatformKeys<'_> {
    fn wrapped_key(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.0.lock().expect("platform poisoned");
        let wrapped = conn
            .prepare_cached("SELECT wrapped FROM clinic_keys WHERE scope = ?1")?
            .query_row([scope], |r| r.get(0))
            .optional()?;
        Ok(wrapped)
    }

    fn keep_wrapped_key(&self, scope: &str, wrapped: &[u8]) -> Result<Vec<u8>, StoreError> {
        let conn = self.0.lock().expect("platform poisoned");
        conn.execute(
            "INSERT OR IGNORE INTO clinic_keys (scope, wrapped, created_at) VALUES (?1, ?2, ?3)",
            params![scope, wrapped, now()],
        )?;
        Ok(conn.query_row(
            "SELECT wrapped FROM clinic_keys WHERE scope = ?1",
            [scope],
            |r| r.get(0),
        )?)
    }
}

impl SqliteStore {
    /// Opens (or creates) the store in `dir`, with the master key kept in the folder's
    /// [`MASTER_KEY_FILE`] (made on first use); safe while another process uses it.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        private_dir(dir)?;
        let master = MasterKey::load_or_create(&dir.join(MASTER_KEY_FILE))?;
        SqliteStore::open_with(dir, &master)
    }

    /// Opens (or creates) the store in `dir` with the master key `master`; refused when the
    /// store's keys were made with another.
    pub fn open_with(dir: &Path, master: &MasterKey) -> Result<SqliteStore, StoreError> {
        private_dir(dir)?;
        private_dir(&dir.join("clinics"))?;
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
                pending INTEGER, PRIMARY KEY (clinic_id, node_id));
             -- Where each machine's audit chain ended at its pushes: outside the machine, so
             -- a past rewritten there with its chain recomputed is still caught.
             CREATE TABLE IF NOT EXISTS audit_anchors (
                clinic_id TEXT NOT NULL, node_id TEXT NOT NULL, count INTEGER NOT NULL,
                hash TEXT NOT NULL, received_at INTEGER NOT NULL,
                PRIMARY KEY (clinic_id, node_id, count));",
        )?;
        platform.execute_batch(PORTAL_TABLES)?;
        platform.execute_batch(super::admin::ADMIN_TABLES)?;
        platform.execute_batch(super::termination::TERMINATION_TABLES)?;
        platform.execute_batch(
            "CREATE TABLE IF NOT EXISTS clinic_keys (
                scope TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS sealed_clinics (
                clinic_id TEXT PRIMARY KEY, sealed_at INTEGER NOT NULL);",
        )?;
        let status = open(&dir.join("platform.db"))?;
        status.execute_batch("PRAGMA synchronous = NORMAL;")?;
        let platform = Mutex::new(platform);
        let keys = KeyRing::new(master, &PlatformKeys(&platform))?;
        let store = SqliteStore {
            dir: dir.to_path_buf(),
            platform,
            status: Mutex::new(status),
            clinics: Mutex::new(HashMap::new()),
            fits: Fits::default(),
            keys,
        };
        store.seal_clear_platform_rows()?;
        Ok(store)
    }

    /// Seals what an older server kept in clear in the platform database ([`reseal`]).
    fn seal_clear_platform_rows(&self) -> Result<(), StoreError> {
        let clinics: Vec<String> = {
            let conn = self.platform.lock().expect("platform poisoned");
            let done = conn
                .query_row(
                    "SELECT 1 FROM sealed_clinics WHERE clinic_id = ?1",
                    [reseal::MARK],
                    |_| Ok(()),
                )
                .optional()?;
            if done.is_some() {
                return Ok(());
            }
            let clinics = conn
                .prepare(&reseal::clinics_sql(""))?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            clinics
        };
        // The keys first: they take the platform's connection.
        let keys = reseal::keys(&clinics, |s| self.sealer(s))?;
        let mut conn = self.platform.lock().expect("platform poisoned");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut resealed = tx.execute("DELETE FROM portal_requests", [])?;
        let platform = &keys[super::vault::PLATFORM];
        for f in reseal::FIELDS {
            type Found = (String, String, String, Option<String>);
            let rows: Vec<Found> = tx
                .prepare(&reseal::select_sql(f, ""))?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let update = reseal::update_sql(f, "", "?");
            for (row, value, clinic, phone) in rows {
                let key = keys.get(&clinic).unwrap_or(platform);
                let sealed = reseal::sealed_value(f, key, platform, &row, &value, phone.as_deref());
                resealed += match sealed {
                    Some((value, Some(phone))) => {
                        tx.execute(&update, params![value, row, phone])?
                    }
                    Some((value, None)) => tx.execute(&update, params![value, row])?,
                    None => 0,
                };
            }
        }
        tx.execute(
            "INSERT INTO sealed_clinics (clinic_id, sealed_at) VALUES (?1, ?2)",
            params![reseal::MARK, now()],
        )?;
        tx.commit()?;
        if resealed > 0 {
            super::sqlite_log::forget_clear_pages(&conn)?;
        }
        Ok(())
    }

    /// The key of a clinic (or of [`super::vault::PLATFORM`]), made on first use.
    pub(super) fn sealer(&self, scope: &str) -> Result<Arc<Sealer>, StoreError> {
        self.keys.sealer(&PlatformKeys(&self.platform), scope)
    }

    /// A clinic's key itself, for moving it to another store ([`super::migrate`]).
    pub(super) fn clinic_key(&self, clinic: &str) -> Result<Zeroizing<[u8; 32]>, StoreError> {
        self.sealer(clinic)?;
        let wrapped = PlatformKeys(&self.platform)
            .wrapped_key(clinic)?
            .ok_or_else(|| StoreError::Sealed(format!("clinic {clinic} has no key")))?;
        self.keys.unwrap(clinic, &wrapped)
    }

    pub(super) fn clinic_db(&self, clinic: &str) -> Result<Arc<Mutex<Connection>>, StoreError> {
        if let Some(conn) = self
            .clinics
            .lock()
            .expect("clinic map poisoned")
            .get(clinic)
        {
            return Ok(conn.clone());
        }
        // The key first: it takes the platform's connection, never while the map is held.
        let key = self.sealer(clinic)?;
        let mut map = self.clinics.lock().expect("clinic map poisoned");
        if let Some(conn) = map.get(clinic) {
            return Ok(conn.clone());
        }
        // Clinic ids are UUIDs made by the platform, never taken from a request.
        let mut conn = open(&self.dir.join("clinics").join(format!("{clinic}.db")))?;
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
                received_at INTEGER NOT NULL);
             -- Changes an older server accepted that do not fit their documents: kept for
             -- the operator, never served (`ayada-server check`).
             CREATE TABLE IF NOT EXISTS quarantine (
                seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, hash TEXT NOT NULL,
                bytes BLOB NOT NULL, node TEXT NOT NULL, received_at INTEGER NOT NULL,
                reason TEXT NOT NULL, quarantined_at INTEGER NOT NULL);",
        )?;
        add_actor_columns(&conn)?;
        seal_clear_rows(&mut conn, &key)?;
        let conn = Arc::new(Mutex::new(conn));
        map.insert(clinic.to_string(), conn.clone());
        Ok(conn)
    }
}

pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(super) fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClinicRecord> {
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

    fn set_data_clinic(&self, clinic: &str, data_id: &str) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let n = conn.execute(
            "UPDATE clinics SET data_clinic_id = ?2 WHERE id = ?1 AND data_clinic_id IS NULL",
            params![clinic, data_id],
        )?;
        Ok(n == 1)
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
                |r| Ok(Device { clinic_id: r.get(0)?, node_id: r.get(1)?, revoked: r.get(2)?, credential_hash: credential_hash.to_string() }),
            )
            .optional()?)
    }

    fn append(
        &self,
        clinic: &str,
        node: &str,
        changes: &[Decoded<'_>],
    ) -> Result<Appended, StoreError> {
        let db = self.clinic_db(clinic)?;
        let mut conn = db.lock().expect("clinic db poisoned");
        // Immediate: another process on the folder waits its turn (busy_timeout) instead of
        // failing at once when a read transaction would turn into a write.
        let key = self.sealer(clinic)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done = log::append(
            &mut SqliteLog(&tx),
            &key,
            &self.fits,
            clinic,
            node,
            changes,
            now(),
        )?;
        tx.commit()?;
        // Only what is committed goes back to memory (a failed commit drops them all).
        self.fits.keep(clinic, done.judged);
        Ok(Appended {
            admissions: done.admissions,
            head: done.head.map(|h| h as u64),
        })
    }

    fn check_clinic(&self, clinic: &str) -> Result<CheckReport, StoreError> {
        let db = self.clinic_db(clinic)?;
        let key = self.sealer(clinic)?;
        let mut conn = db.lock().expect("clinic db poisoned");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let report = log::check(&mut SqliteLog(&tx), &key, now())?;
        tx.commit()?;
        Ok(report)
    }

    fn record_audit_head(
        &self,
        clinic: &str,
        node: &str,
        head: &AuditHead,
    ) -> Result<bool, StoreError> {
        let conn = self.status.lock().expect("status poisoned");
        conn.prepare_cached(
            "INSERT OR IGNORE INTO audit_anchors (clinic_id, node_id, count, hash, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![clinic, node, head.count as i64, head.hash, now()])?;
        let kept: String = conn
            .prepare_cached(
                "SELECT hash FROM audit_anchors WHERE clinic_id = ?1 AND node_id = ?2 AND count = ?3",
            )?
            .query_row(params![clinic, node, head.count as i64], |r| r.get(0))?;
        Ok(kept == head.hash)
    }

    fn audit_anchors(&self, clinic: &str, node: &str) -> Result<Vec<AuditAnchor>, StoreError> {
        let conn = self.status.lock().expect("status poisoned");
        let mut stmt = conn.prepare_cached(
            "SELECT count, hash, received_at FROM audit_anchors
             WHERE clinic_id = ?1 AND node_id = ?2 ORDER BY count",
        )?;
        let rows = stmt.query_map(params![clinic, node], |r| {
            Ok(AuditAnchor {
                head: AuditHead {
                    count: r.get::<_, i64>(0)? as u64,
                    hash: r.get(1)?,
                },
                received_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn usage(&self, clinic: &str) -> Result<u64, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        // The file's pages in use: cheap to read, and what the disk holds.
        let bytes: i64 = conn.query_row(
            "SELECT (page_count - freelist_count) * page_size
             FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )?;
        Ok(bytes.max(0) as u64)
    }

    fn clinic_ids(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let ids = conn
            .prepare(
                "SELECT c.id FROM clinics c LEFT JOIN terminations t ON t.clinic_id = c.id
                 WHERE t.deleted_at IS NULL ORDER BY c.created_at, c.id",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
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
        let key = self.sealer(clinic)?;
        let rows = rows
            .into_iter()
            .map(|(seq, mut wire)| {
                wire.bytes = key.open(Kind::Change, &wire.hash, &wire.bytes)?;
                Ok((seq, wire))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((rows, self.head(clinic)?))
    }

    fn head(&self, clinic: &str) -> Result<u64, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        Ok(SqliteLog(&conn).head()? as u64)
    }

    fn log_len(&self, clinic: &str) -> Result<u64, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        Ok(conn.query_row("SELECT count(*) FROM changes", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn seen(&self, seen: &[Seen]) -> Result<(), StoreError> {
        let mut conn = self.status.lock().expect("status poisoned");
        let tx = conn.transaction()?;
        {
            // A pull says nothing about what the machine holds unsent: keep its last push's
            // word. An older note (written late) moves nothing back.
            let mut st = tx.prepare_cached(
                "INSERT INTO device_status (clinic_id, node_id, last_seen_at, pending) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (clinic_id, node_id) DO UPDATE SET
                     pending = CASE WHEN excluded.last_seen_at >= device_status.last_seen_at
                                    THEN COALESCE(excluded.pending, device_status.pending)
                                    ELSE device_status.pending END,
                     last_seen_at = MAX(excluded.last_seen_at, device_status.last_seen_at)",
            )?;
            for s in seen {
                st.execute(params![s.clinic, s.node, s.at, s.pending_i64()])?;
            }
        }
        tx.commit()?;
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

    fn credential_active(&self, clinic: &str, node: &str, cred: &str) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        // The primary key's index serves the prefix range; `cred` is 16 hex digits.
        let found = conn
            .prepare_cached(
                "SELECT 1 FROM devices WHERE credential_hash >= ?3 AND credential_hash < ?3 || 'g'
                 AND clinic_id = ?1 AND node_id = ?2 AND revoked_at IS NULL LIMIT 1",
            )?
            .query_row(params![clinic, node, cred], |_| Ok(()))
            .optional()?;
        Ok(found.is_some() && cred.len() == 16)
    }

    fn put_blob(
        &self,
        clinic: &str,
        sha256: &str,
        bytes: &[u8],
        node: &str,
    ) -> Result<bool, StoreError> {
        let db = self.clinic_db(clinic)?;
        let sealed = self.sealer(clinic)?.seal(Kind::Blob, sha256, bytes);
        let conn = db.lock().expect("clinic db poisoned");
        let n = conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, bytes, node, received_at) VALUES (?1, ?2, ?3, ?4)",
            params![sha256, sealed, node, now()],
        )?;
        Ok(n == 1)
    }

    fn blob(&self, clinic: &str, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        let sealed: Option<Vec<u8>> = conn
            .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?;
        drop(conn);
        sealed
            .map(|s| self.sealer(clinic)?.open(Kind::Blob, sha256, &s))
            .transpose()
    }

    fn compact(&self, clinic: &str, doc_id: &str) -> Result<(), StoreError> {
        let db = self.clinic_db(clinic)?;
        let key = self.sealer(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        log::compact(&mut SqliteLog(&conn), &key, doc_id).map(drop)
    }

    fn bootstrap(
        &self,
        clinic: &str,
        after: Option<&str>,
        max_bytes: usize,
    ) -> Result<BootstrapPage, StoreError> {
        let db = self.clinic_db(clinic)?;
        let key = self.sealer(clinic)?;
        let mut conn = db.lock().expect("clinic db poisoned");
        // One transaction: the head and the documents are read from the same state of the log.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let page = log::bootstrap(&mut SqliteLog(&tx), &key, after, max_bytes)?;
        tx.commit()?;
        Ok(page)
    }

    fn secret(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        Ok(crate::auth::secret_file(&self.dir, name)?)
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
