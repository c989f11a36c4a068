//! A clinic's log in its SQLite file: the reads and writes [`LogTx`] names.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::log::{LogTx, Looked, Row, Stamp};
use super::vault::{Kind, Sealer};
use super::StoreError;

/// The clinic's connection (or a transaction on it).
pub(super) struct SqliteLog<'a>(pub &'a Connection);

impl LogTx for SqliteLog<'_> {
    fn look(&mut self, hashes: &[&str], docs: &[&str]) -> Result<Looked, StoreError> {
        let mut filed = HashMap::new();
        let mut stmt = self
            .0
            .prepare_cached("SELECT doc_id FROM changes WHERE hash = ?1")?;
        for hash in hashes {
            if let Some(doc) = stmt.query_row([hash], |r| r.get(0)).optional()? {
                filed.insert(hash.to_string(), doc);
            }
        }
        let mut stmt = self.0.prepare_cached(
            "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM changes WHERE doc_id = ?1",
        )?;
        let mut stamps = HashMap::new();
        for doc_id in docs {
            let stamp: Stamp = stmt.query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if stamp.0 > 0 {
                stamps.insert(doc_id.to_string(), stamp);
            }
        }
        Ok((filed, stamps))
    }

    fn saved_doc(&mut self, doc_id: &str) -> Result<(Vec<u8>, i64), StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT bytes, upto FROM docs WHERE doc_id = ?1")?
            .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or_default())
    }

    fn tail(
        &mut self,
        doc_id: &str,
        after: i64,
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT seq, hash, bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
            )?
            .query_map(params![doc_id, after], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn actor_seqs(&mut self, doc_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT actor, MAX(actor_seq) FROM changes WHERE doc_id = ?1 AND actor IS NOT NULL
                 GROUP BY actor",
            )?
            .query_map([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn save_doc(&mut self, doc_id: &str, bytes: &[u8], upto: i64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO docs (doc_id, bytes, upto) VALUES (?1, ?2, ?3)
                 ON CONFLICT (doc_id) DO UPDATE SET bytes = excluded.bytes, upto = excluded.upto
                 WHERE excluded.upto >= docs.upto",
            )?
            .execute(params![doc_id, bytes, upto])?;
        Ok(())
    }

    fn insert_all(
        &mut self,
        rows: &[Row<'_>],
        node: &str,
        at: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.0.prepare_cached(
            "INSERT INTO changes (doc_id, hash, bytes, node, received_at, actor, actor_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut positions = Vec::with_capacity(rows.len());
        for r in rows {
            stmt.execute(params![
                r.doc_id, r.hash, r.sealed, node, at, r.actor, r.seq
            ])?;
            positions.push(self.0.last_insert_rowid());
        }
        Ok(positions)
    }

    fn head(&mut self) -> Result<i64, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM changes")?
            .query_row([], |r| r.get(0))?)
    }

    fn doc_count(&mut self) -> Result<i64, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT COUNT(DISTINCT doc_id) FROM changes")?
            .query_row([], |r| r.get(0))?)
    }

    fn doc_ids_after(&mut self, after: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT DISTINCT doc_id FROM changes WHERE doc_id > ?1 ORDER BY doc_id LIMIT ?2",
            )?
            .query_map(params![after, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn each_change(
        &mut self,
        f: &mut dyn FnMut(i64, String, String, Vec<u8>),
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .0
            .prepare("SELECT seq, doc_id, hash, bytes FROM changes ORDER BY doc_id, seq")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        }
        Ok(())
    }

    fn quarantine(&mut self, seq: i64, reason: &str, at: i64) -> Result<(), StoreError> {
        self.0.execute(
            "INSERT INTO quarantine (seq, doc_id, hash, bytes, node, received_at, reason, quarantined_at)
             SELECT seq, doc_id, hash, bytes, node, received_at, ?2, ?3 FROM changes WHERE seq = ?1",
            params![seq, reason, at],
        )?;
        self.0
            .execute("DELETE FROM changes WHERE seq = ?1", [seq])?;
        Ok(())
    }

    fn forget_doc(&mut self, doc_id: &str) -> Result<(), StoreError> {
        self.0
            .execute("DELETE FROM docs WHERE doc_id = ?1", [doc_id])?;
        Ok(())
    }
}

/// Each change's actor and sequence number, which a push checks against (added to logs made
/// before the check existed, read from the changes themselves).
pub(super) fn add_actor_columns(conn: &Connection) -> Result<(), StoreError> {
    let has: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('changes') WHERE name = 'actor'")?
        .exists([])?;
    if !has {
        conn.execute_batch(
            "ALTER TABLE changes ADD COLUMN actor TEXT;
             ALTER TABLE changes ADD COLUMN actor_seq INTEGER;",
        )?;
    }
    let missing: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT seq, bytes FROM changes WHERE actor IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, bytes) in missing {
        // A change that does not decode is left for `ayada-server check` to quarantine.
        if let Ok(c) = automerge::Change::from_bytes(bytes) {
            conn.execute(
                "UPDATE changes SET actor = ?2, actor_seq = ?3 WHERE seq = ?1",
                params![seq, c.actor_id().to_hex_string(), c.seq() as i64],
            )?;
        }
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS changes_actor ON changes (doc_id, actor, actor_seq);",
    )?;
    Ok(())
}

/// Seals the rows of a clinic's file an older server wrote in clear, once: the file's
/// `user_version` says it is done, in the same transaction as the rows. Rows that open
/// already are left as they are (should the mark be lost, only the clear ones are sealed).
pub(super) fn seal_clear_rows(conn: &mut Connection, key: &Sealer) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= 1 {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut resealed = 0;
    for (table, id, kind) in [
        ("changes", "hash", Kind::Change),
        ("quarantine", "hash", Kind::Change),
        ("docs", "doc_id", Kind::Doc),
        ("blobs", "sha256", Kind::Blob),
    ] {
        let rows: Vec<(String, Vec<u8>)> = tx
            .prepare(&format!("SELECT {id}, bytes FROM {table}"))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut update = tx.prepare(&format!("UPDATE {table} SET bytes = ?2 WHERE {id} = ?1"))?;
        // A row that opens is sealed already (a folder an older server wrote to after a
        // newer one had sealed it).
        for (row, bytes) in rows {
            if key.open(kind, &row, &bytes).is_err() {
                resealed += update.execute(params![row, key.seal(kind, &row, &bytes)])?;
            }
        }
    }
    tx.execute_batch("PRAGMA user_version = 1")?;
    tx.commit()?;
    if resealed > 0 {
        forget_clear_pages(conn)?;
    }
    Ok(())
}

/// Rewrites a database file without the free space its clear rows left (SQLite reuses a
/// page's space without wiping it) and empties its write-ahead log, which held them too.
pub(super) fn forget_clear_pages(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}
