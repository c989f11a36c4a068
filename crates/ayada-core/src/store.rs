//! The encrypted store: the SQLCipher connection, the document cache, and the `Writer`
//! through which every change goes (one SQL transaction: Automerge change → saved document
//! → change-log row → projection rows → audit rows).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit};
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::audit::{self, AuditEntry, Outcome};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::ids::NodeId;
use crate::keys::Key;
use crate::projections;
use crate::roles::{Action, Session};
use crate::time::ClinicTime;

/// The database file inside a clinic's data folder.
pub const DB_FILE: &str = "clinic.db";
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 6;
const CACHE_LIMIT: usize = 512;

/// Facts about this clinic and machine that every write needs.
#[derive(Debug, Clone)]
pub struct Context {
    /// This machine.
    pub node: NodeId,
    /// The clinic's zone.
    pub time: ClinicTime,
    /// A fixed clock for writes instead of the system's (tests that need a given day).
    pub(crate) fixed_now: Option<Timestamp>,
}

impl Context {
    pub(crate) fn actor(&self) -> ActorId {
        ActorId::from(self.node.0.as_bytes().as_slice())
    }

    /// The clinic's now: the fixed clock when one is set, else the system's.
    pub(crate) fn now(&self) -> Timestamp {
        self.fixed_now.unwrap_or_else(Timestamp::now)
    }
}

/// Opens (or creates) the SQLCipher database at `path` with a raw key; a wrong key is
/// `CoreError::WrongKey`, never a new empty database.
pub(crate) fn open_encrypted(path: &Path, key: Option<&Key>, create: bool) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // A raw key (x'…') skips SQLCipher's own PBKDF2 on every open: the key is already random
    // or Argon2id-stretched.
    // Only the bench-plain feature ever passes no key.
    if let Some(key) = key {
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.hex()))?;
    }
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    // WAL for concurrent readers; FULL so that an acknowledged payment survives a power cut;
    // temp files in memory so nothing unencrypted is spilled to disk; a 32 MiB page cache so
    // hot pages are decrypted once, not on every read.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(conn)
}

/// The tables each schema version added, in order; index 0 brings version 1 to 2.
const UPGRADES: [&str; 5] = [
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
];

/// Creates every table of a new clinic database.
pub(crate) fn create_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(include_str!("schema.sql"))?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', '1')",
        [],
    )?;
    upgrade(conn)
}

/// Brings a database made by an earlier version up to this one, one step per version, each
/// in its own transaction; a newer database than this binary knows is refused.
pub(crate) fn upgrade(conn: &Connection) -> Result<()> {
    let version: i64 = meta(conn, "schema_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    if version > SCHEMA_VERSION {
        return Err(CoreError::Document {
            detail: format!(
                "the database is from a newer Ayada (schema {version}); update this program"
            ),
        });
    }
    for (step, sql) in UPGRADES.iter().enumerate().skip((version - 1) as usize) {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}
             UPDATE meta SET value = '{}' WHERE key = 'schema_version'; COMMIT;",
            step + 2
        ))?;
    }
    Ok(())
}

/// Reads a `meta` value.
pub(crate) fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// How many changes may pile up after a document's snapshot before it is rewritten.
const SNAPSHOT_EVERY: i64 = 64;

/// Loads a stored document (its snapshot plus the changes logged since), or None if it has
/// never been written.
pub(crate) fn load_doc(conn: &Connection, id: &DocId) -> Result<Option<AutoCommit>> {
    let row: Option<(Vec<u8>, i64, i64)> = conn
        .query_row(
            "SELECT bytes, snapshot_seq, pending FROM docs WHERE doc_id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((snapshot, since, pending)) = row else {
        return Ok(None);
    };
    let mut doc = AutoCommit::load(&snapshot)?;
    if pending > 0 {
        let mut stmt = conn.prepare_cached(
            "SELECT bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
        )?;
        let changes = stmt
            .query_map(params![id.as_str(), since], |r| r.get::<_, Vec<u8>>(0))?
            .map(|bytes| {
                automerge::Change::from_bytes(bytes?).map_err(|e| CoreError::Document {
                    detail: format!("{id}: {e}"),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        doc.apply_changes(changes)?;
    }
    Ok(Some(doc))
}

/// Records new changes of `doc` (already applied to it) in the log, and keeps the stored
/// document current: a fresh snapshot for a new document or one with many changes since its
/// last, else only a counter of the changes to replay after the snapshot.
pub(crate) fn store_changes(
    tx: &Transaction<'_>,
    id: &DocId,
    doc: &mut AutoCommit,
    changes: &[&automerge::Change],
    peer: Option<&str>,
) -> Result<()> {
    let mut seq = 0;
    for change in changes {
        tx.prepare_cached(
            "INSERT INTO changes (doc_id, hash, bytes, peer) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            id.as_str(),
            change.hash().0.as_slice(),
            change.raw_bytes(),
            peer
        ])?;
        seq = tx.last_insert_rowid();
    }
    let added = changes.len() as i64;
    let pending: Option<i64> = tx
        .prepare_cached("SELECT pending FROM docs WHERE doc_id = ?1")?
        .query_row([id.as_str()], |r| r.get(0))
        .optional()?;
    match pending {
        Some(p) if p + added < SNAPSHOT_EVERY => {
            tx.prepare_cached("UPDATE docs SET pending = pending + ?2 WHERE doc_id = ?1")?
                .execute(params![id.as_str(), added])?;
        }
        _ => {
            tx.prepare_cached("INSERT INTO docs (doc_id, kind, bytes, snapshot_seq, pending) VALUES (?1, ?2, ?3, ?4, 0)
                 ON CONFLICT(doc_id) DO UPDATE SET bytes = excluded.bytes,
                    snapshot_seq = excluded.snapshot_seq, pending = 0")?.execute(params![id.as_str(), id.kind()?.prefix(), doc.save(), seq],)?;
        }
    }
    Ok(())
}

/// Recently used documents, kept decoded so a write does not re-parse its document.
#[derive(Default)]
pub struct DocCache {
    docs: HashMap<DocId, AutoCommit>,
}

impl DocCache {
    pub(crate) fn take(&mut self, id: &DocId) -> Option<AutoCommit> {
        self.docs.remove(id)
    }
    pub(crate) fn put(&mut self, id: DocId, doc: AutoCommit) {
        if self.docs.len() >= CACHE_LIMIT {
            // Crude but bounded: the working set of a clinic day is a few dozen documents.
            self.docs.clear();
        }
        self.docs.insert(id, doc);
    }
    /// Forgets everything (after a restore or an outside change to the database).
    pub fn clear(&mut self) {
        self.docs.clear();
    }
}

/// One atomic write. Operations check out documents, change them, name the records they
/// touched and the audit rows to add; `finish` commits it all or nothing.
pub struct Writer<'a> {
    pub(crate) tx: Transaction<'a>,
    cache: &'a mut DocCache,
    docs: BTreeMap<DocId, AutoCommit>,
    audits: Vec<AuditEntry>,
    /// Who acts; the demo generator switches it between staff within one write.
    pub(crate) session: Session,
    pub(crate) ctx: &'a Context,
    pub(crate) now: Timestamp,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(
        conn: &'a mut Connection,
        cache: &'a mut DocCache,
        session: &Session,
        ctx: &'a Context,
    ) -> Result<Writer<'a>> {
        Ok(Writer {
            tx: conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            cache,
            docs: BTreeMap::new(),
            audits: Vec::new(),
            session: session.clone(),
            ctx,
            now: ctx.now(),
        })
    }

    /// Refuses an action the session's role may not take.
    pub(crate) fn allow(&self, action: Action) -> Result<()> {
        self.session.allow(action)
    }

    /// The document `id`, checked out for this write (empty if it does not exist yet).
    pub(crate) fn doc(&mut self, id: &DocId) -> Result<&mut AutoCommit> {
        if !self.docs.contains_key(id) {
            let doc = match self.cache.take(id) {
                Some(doc) => doc,
                None => load_doc(&self.tx, id)?.unwrap_or_default(),
            };
            self.docs
                .insert(id.clone(), doc.with_actor(self.ctx.actor()));
        }
        Ok(self.docs.get_mut(id).expect("inserted above"))
    }

    /// Projects record `key` of document `id` as it now stands, inside this transaction, so
    /// that later operations of the same write read their own changes.
    pub(crate) fn touch(&mut self, id: &DocId, key: &str) -> Result<()> {
        let doc = self.docs.get(id).ok_or_else(|| CoreError::Document {
            detail: format!("{id} was changed without being checked out"),
        })?;
        projections::project(&self.tx, &self.ctx.time, id, doc, Some(&[key]))
    }

    /// Adds an audit row for something done by the session's user.
    pub(crate) fn audit(&mut self, action: &str, subject: impl Into<String>) {
        self.audits.push(AuditEntry {
            actor: self.session.login.clone(),
            action: action.to_string(),
            subject: subject.into(),
            outcome: Outcome::Ok,
        });
    }

    /// The clinic-local date of this write.
    pub(crate) fn today(&self) -> jiff::civil::Date {
        self.ctx.time.local_date(self.now)
    }

    /// Commits the change of every checked-out document, logs it and saves the document,
    /// within the transaction; returns the documents.
    fn save_docs(&mut self) -> Result<Vec<(DocId, AutoCommit)>> {
        let millis = self.now.as_millisecond();
        let docs = std::mem::take(&mut self.docs);
        let mut saved = Vec::with_capacity(docs.len());
        for (id, mut doc) in docs {
            let hash = doc.commit_with(CommitOptions::default().with_time(millis));
            if hash.is_some() {
                let change = doc
                    .get_last_local_change()
                    .ok_or_else(|| CoreError::Document {
                        detail: "a committed change vanished".into(),
                    })?;
                store_changes(&self.tx, &id, &mut doc, &[&change], None)?;
            }
            saved.push((id, doc));
        }
        Ok(saved)
    }

    /// Saves and releases the documents checked out so far (the transaction stays open), so
    /// that a bulk write does not hold every document in memory at once.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.save_docs().map(drop)
    }

    /// `flush` once more than `limit` documents are checked out. A bulk write calls it after
    /// each record: memory stays bounded by documents, not rows, and a document many rows
    /// touch (a patient bucket) is loaded once rather than again after every flush (50,000
    /// patients flushed every 500 rows reloaded their 256 buckets 100 times: 471 patients/s).
    pub(crate) fn flush_beyond(&mut self, limit: usize) -> Result<()> {
        if self.docs.len() > limit {
            self.flush()?;
        }
        Ok(())
    }

    /// Commits every checked-out document's change, logs it, saves the documents, writes the
    /// audit rows, and commits the SQL transaction: all of it or nothing.
    pub(crate) fn finish(mut self) -> Result<()> {
        let saved = self.save_docs()?;
        let node = self.ctx.node.to_string();
        let at = self.now.as_second();
        for entry in &self.audits {
            audit::append(&self.tx, &node, at, entry)?;
        }
        self.tx.commit()?;
        for (id, doc) in saved {
            self.cache.put(id, doc);
        }
        Ok(())
    }
}

/// Records a value in the meta table, replacing the one it had.
pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Records who a new machine's store belongs to: its clinic, its node and the clinic's zone.
pub(crate) fn set_identity(
    conn: &Connection,
    clinic: &crate::ids::ClinicId,
    node: &crate::ids::NodeId,
    time_zone: &str,
) -> Result<()> {
    set_meta(conn, "clinic_id", &clinic.to_string())?;
    set_meta(conn, "node_id", &node.to_string())?;
    set_meta(conn, "time_zone", time_zone)
}
