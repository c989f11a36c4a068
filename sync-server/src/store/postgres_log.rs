//! A clinic's log in its PostgreSQL schema: the reads and writes [`LogTx`] names.

use std::collections::HashMap;

use r2d2_postgres::postgres::types::{ToSql, Type};
use r2d2_postgres::postgres::GenericClient;

use super::postgres_conn::{Cached, Stmts};

use super::log::{LogTx, Looked, Row};
use super::StoreError;

/// A transaction (of the `postgres` crate's or begun by hand) and the clinic's schema.
pub(super) struct PgLog<'a, C> {
    db: Cached<'a, C>,
    s: &'a str,
    /// The news payload's start, when the inserts announce the new head themselves.
    news: Option<String>,
}

impl<'a, C: GenericClient> PgLog<'a, C> {
    pub(super) fn new(tx: &'a mut C, schema: &'a str, stmts: &'a mut Stmts) -> Self {
        PgLog {
            db: Cached { c: tx, stmts },
            s: schema,
            news: None,
        }
    }

    /// Inserts will notify `postgres_news`'s channel of the new head, inside the insert's
    /// own statement (delivered at commit).
    pub(super) fn announcing(mut self, prefix: String) -> Self {
        self.news = Some(prefix);
        self
    }
}

impl<C: GenericClient> LogTx for PgLog<'_, C> {
    fn look(&mut self, hashes: &[&str], docs: &[&str]) -> Result<Looked, StoreError> {
        // Both in one round trip: a hash row names its document, a document row its stamp.
        let sql = format!(
            "SELECT hash, doc_id, 0::BIGINT, 0::BIGINT FROM {s}.changes WHERE hash = ANY($1)
             UNION ALL
             SELECT NULL, doc_id, COUNT(*), MAX(seq) FROM {s}.changes WHERE doc_id = ANY($2)
             GROUP BY doc_id",
            s = self.s
        );
        let mut filed = HashMap::new();
        let mut stamps = HashMap::new();
        for r in self.db.q(&sql, &[&hashes, &docs])? {
            match r.get::<_, Option<String>>(0) {
                Some(hash) => {
                    filed.insert(hash, r.get(1));
                }
                None => {
                    stamps.insert(r.get(1), (r.get(2), r.get(3)));
                }
            }
        }
        Ok((filed, stamps))
    }

    fn insert_all(
        &mut self,
        changes: &[Row<'_>],
        node: &str,
        at: i64,
    ) -> Result<Vec<i64>, StoreError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        // One statement, in the order given (WITH ORDINALITY keeps it for the identity).
        let sql = format!(
            "INSERT INTO {}.changes (doc_id, hash, bytes, node, received_at, actor, actor_seq)
             SELECT d, h, b, $4, $5, a, s
             FROM UNNEST($1::text[], $2::text[], $3::bytea[], $6::text[], $7::bigint[])
                  WITH ORDINALITY AS t(d, h, b, a, s, i)
             ORDER BY i
             RETURNING hash, seq",
            self.s
        );
        let news = self.news.as_deref().unwrap_or_default();
        // The news rides in the insert's statement: one round trip, not two. A CTE with a
        // volatile function is run once and never inlined.
        let sql = if self.news.is_some() {
            format!(
                "WITH ins AS ({sql}),
                      news AS (SELECT pg_notify($8, $9 || MAX(seq)) FROM ins)
                 SELECT ins.hash, ins.seq FROM ins, news"
            )
        } else {
            sql
        };
        let docs: Vec<&str> = changes.iter().map(|c| c.doc_id).collect();
        let hashes: Vec<&str> = changes.iter().map(|c| c.hash).collect();
        let bytes: Vec<&[u8]> = changes.iter().map(|c| c.sealed.as_slice()).collect();
        let actors: Vec<&str> = changes.iter().map(|c| c.actor.as_str()).collect();
        let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
        let params: [&(dyn ToSql + Sync); 9] = [
            &docs,
            &hashes,
            &bytes,
            &node,
            &at,
            &actors,
            &seqs,
            &super::postgres_news::CHANNEL,
            &news,
        ];
        let given = if self.news.is_some() { 9 } else { 7 };
        let rows = self.db.q(&sql, &params[..given])?;
        // RETURNING promises no order: matched back by hash (unique in the log).
        let taken: HashMap<&str, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        hashes
            .iter()
            .map(|h| {
                taken.get(h).copied().ok_or_else(|| {
                    StoreError::Doc(format!("change {h} was inserted without a position"))
                })
            })
            .collect()
    }

    fn saved_doc(&mut self, doc_id: &str) -> Result<(Vec<u8>, i64), StoreError> {
        let sql = format!("SELECT bytes, upto FROM {}.docs WHERE doc_id = $1", self.s);
        Ok(self
            .db
            .tq_opt(&sql, &[(&doc_id, Type::TEXT)])?
            .map(|r| (r.get(0), r.get(1)))
            .unwrap_or_default())
    }

    fn tail(
        &mut self,
        doc_id: &str,
        after: i64,
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError> {
        let sql = format!(
            "SELECT seq, hash, bytes FROM {}.changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq",
            self.s
        );
        Ok(self
            .db
            .tq(&sql, &[(&doc_id, Type::TEXT), (&after, Type::INT8)])?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn actor_seqs(&mut self, doc_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = format!(
            "SELECT actor, MAX(actor_seq) FROM {}.changes WHERE doc_id = $1 GROUP BY actor",
            self.s
        );
        Ok(self
            .db
            .tq(&sql, &[(&doc_id, Type::TEXT)])?
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
        self.db.tx(
            &sql,
            &[
                (&doc_id, Type::TEXT),
                (&bytes, Type::BYTEA),
                (&upto, Type::INT8),
            ],
        )?;
        Ok(())
    }

    fn head(&mut self) -> Result<i64, StoreError> {
        let sql = format!("SELECT COALESCE(MAX(seq), 0) FROM {}.changes", self.s);
        Ok(self.db.tq_one(&sql, &[])?.get(0))
    }

    fn doc_count(&mut self) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(DISTINCT doc_id) FROM {}.changes", self.s);
        Ok(self.db.tq_one(&sql, &[])?.get(0))
    }

    fn doc_ids_after(&mut self, after: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT doc_id FROM {}.changes WHERE doc_id > $1 ORDER BY doc_id LIMIT $2",
            self.s
        );
        Ok(self
            .db
            .tq(&sql, &[(&after, Type::TEXT), (&limit, Type::INT8)])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn each_change(
        &mut self,
        f: &mut dyn FnMut(i64, String, String, Vec<u8>),
    ) -> Result<(), StoreError> {
        // A cursor read 256 rows at a time: one document's changes in memory, not the
        // whole log's (the transaction holds it; CLOSE frees it before a quarantine).
        self.db.c.batch_execute(&format!(
            "DECLARE each_change NO SCROLL CURSOR FOR
             SELECT seq, doc_id, hash, bytes FROM {}.changes ORDER BY doc_id, seq",
            self.s
        ))?;
        loop {
            let rows = self.db.c.query("FETCH 256 FROM each_change", &[])?;
            if rows.is_empty() {
                self.db.c.batch_execute("CLOSE each_change")?;
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
        self.db.tx(
            &sql,
            &[(&seq, Type::INT8), (&reason, Type::TEXT), (&at, Type::INT8)],
        )?;
        Ok(())
    }

    fn forget_doc(&mut self, doc_id: &str) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {}.docs WHERE doc_id = $1", self.s);
        self.db.tx(&sql, &[(&doc_id, Type::TEXT)])?;
        Ok(())
    }
}
