//! A clinic's log in its PostgreSQL schema: the reads and writes [`LogTx`] names.

use std::collections::HashMap;

use r2d2_postgres::postgres::Transaction;

use super::postgres_conn::{Cached, Stmts};

use super::log::{LogTx, Stamp};
use super::{Decoded, StoreError};

/// A transaction and the clinic's schema.
pub(super) struct PgLog<'a, 'b> {
    db: Cached<'a, Transaction<'b>>,
    s: &'a str,
}

impl<'a, 'b> PgLog<'a, 'b> {
    pub(super) fn new(tx: &'a mut Transaction<'b>, schema: &'a str, stmts: &'a mut Stmts) -> Self {
        PgLog {
            db: Cached { c: tx, stmts },
            s: schema,
        }
    }
}

impl LogTx for PgLog<'_, '_> {
    fn filed_under_all(&mut self, hashes: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        let sql = format!(
            "SELECT hash, doc_id FROM {}.changes WHERE hash = ANY($1)",
            self.s
        );
        Ok(self
            .db
            .q(&sql, &[&hashes])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn insert_all(
        &mut self,
        changes: &[&Decoded<'_>],
        node: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        // One statement, in the order given (WITH ORDINALITY keeps it for the identity).
        let sql = format!(
            "INSERT INTO {}.changes (doc_id, hash, bytes, node, received_at, actor, actor_seq)
             SELECT d, h, b, $4, $5, a, s
             FROM UNNEST($1::text[], $2::text[], $3::bytea[], $6::text[], $7::bigint[])
                  WITH ORDINALITY AS t(d, h, b, a, s, i)
             ORDER BY i",
            self.s
        );
        let docs: Vec<&str> = changes.iter().map(|c| c.wire.doc_id.as_str()).collect();
        let hashes: Vec<&str> = changes.iter().map(|c| c.wire.hash.as_str()).collect();
        let bytes: Vec<&[u8]> = changes.iter().map(|c| c.wire.bytes.as_slice()).collect();
        let actors: Vec<String> = changes
            .iter()
            .map(|c| c.change.actor_id().to_hex_string())
            .collect();
        let seqs: Vec<i64> = changes.iter().map(|c| c.change.seq() as i64).collect();
        self.db
            .x(&sql, &[&docs, &hashes, &bytes, &node, &at, &actors, &seqs])?;
        Ok(())
    }

    fn doc_stamp(&mut self, doc_id: &str) -> Result<Stamp, StoreError> {
        let sql = format!(
            "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM {}.changes WHERE doc_id = $1",
            self.s
        );
        let r = self.db.q_one(&sql, &[&doc_id])?;
        Ok((r.get(0), r.get(1)))
    }

    fn saved_doc(&mut self, doc_id: &str) -> Result<(Vec<u8>, i64), StoreError> {
        let sql = format!("SELECT bytes, upto FROM {}.docs WHERE doc_id = $1", self.s);
        Ok(self
            .db
            .q_opt(&sql, &[&doc_id])?
            .map(|r| (r.get(0), r.get(1)))
            .unwrap_or_default())
    }

    fn tail(&mut self, doc_id: &str, after: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let sql = format!(
            "SELECT seq, bytes FROM {}.changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq",
            self.s
        );
        Ok(self
            .db
            .q(&sql, &[&doc_id, &after])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn actor_seqs(&mut self, doc_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = format!(
            "SELECT actor, MAX(actor_seq) FROM {}.changes WHERE doc_id = $1 GROUP BY actor",
            self.s
        );
        Ok(self
            .db
            .q(&sql, &[&doc_id])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn save_doc(&mut self, doc_id: &str, bytes: &[u8], upto: i64) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {s}.docs (doc_id, bytes, upto) VALUES ($1, $2, $3)
             ON CONFLICT (doc_id) DO UPDATE SET bytes = excluded.bytes, upto = excluded.upto
             WHERE excluded.upto >= {s}.docs.upto",
            s = self.s
        );
        self.db.x(&sql, &[&doc_id, &bytes, &upto])?;
        Ok(())
    }

    fn head(&mut self) -> Result<i64, StoreError> {
        let sql = format!("SELECT COALESCE(MAX(seq), 0) FROM {}.changes", self.s);
        Ok(self.db.q_one(&sql, &[])?.get(0))
    }

    fn doc_count(&mut self) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(DISTINCT doc_id) FROM {}.changes", self.s);
        Ok(self.db.q_one(&sql, &[])?.get(0))
    }

    fn doc_ids_after(&mut self, after: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT doc_id FROM {}.changes WHERE doc_id > $1 ORDER BY doc_id LIMIT $2",
            self.s
        );
        Ok(self
            .db
            .q(&sql, &[&after, &limit])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn each_change(
        &mut self,
        f: &mut dyn FnMut(i64, String, String, Vec<u8>),
    ) -> Result<(), StoreError> {
        // A portal (cursor) of 256 rows at a time: one document's changes in memory, not
        // the whole log's.
        let sql = format!(
            "SELECT seq, doc_id, hash, bytes FROM {}.changes ORDER BY doc_id, seq",
            self.s
        );
        let portal = self.db.c.bind(&sql, &[])?;
        loop {
            let rows = self.db.c.query_portal(&portal, 256)?;
            if rows.is_empty() {
                return Ok(());
            }
            for r in &rows {
                f(r.get(0), r.get(1), r.get(2), r.get(3));
            }
        }
    }

    fn quarantine(&mut self, seq: i64, reason: &str, at: i64) -> Result<(), StoreError> {
        let sql = format!(
            "WITH moved AS (DELETE FROM {s}.changes WHERE seq = $1 RETURNING *)
             INSERT INTO {s}.quarantine (seq, doc_id, hash, bytes, node, received_at, reason, quarantined_at)
             SELECT seq, doc_id, hash, bytes, node, received_at, $2, $3 FROM moved",
            s = self.s
        );
        self.db.x(&sql, &[&seq, &reason, &at])?;
        Ok(())
    }

    fn forget_doc(&mut self, doc_id: &str) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {}.docs WHERE doc_id = $1", self.s);
        self.db.x(&sql, &[&doc_id])?;
        Ok(())
    }
}
