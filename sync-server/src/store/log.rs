//! A clinic's change log as the checks and the bootstraps read it: each change's actor and
//! sequence number, the document a push judges against, and the compaction a bootstrap
//! serves.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::fit::DocFit;

/// How many changes the log holds for a document, and the last one's position.
pub(super) type Stamp = (i64, i64);

/// Brings the stored compaction of one document up to the log's end; answers the saved
/// document and, when one of its changes could not be applied yet (its predecessors are
/// missing), the log position just before that change: a machine that bootstraps must pull
/// from there rather than miss it.
pub(super) fn compact(
    conn: &Connection,
    doc_id: &str,
) -> Result<(Vec<u8>, Option<u64>), StoreError> {
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

/// A document's [`Stamp`] in the log now.
pub(super) fn doc_stamp(conn: &Connection, doc_id: &str) -> Result<Stamp, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM changes WHERE doc_id = ?1")?
        .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// A document as the log holds it now, ready to judge the next change.
pub(super) fn doc_fit(conn: &Connection, doc_id: &str) -> Result<DocFit, StoreError> {
    let (saved, upto): (Vec<u8>, i64) = conn
        .prepare_cached("SELECT bytes, upto FROM docs WHERE doc_id = ?1")?
        .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_default();
    let tail = conn
        .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq")?
        .query_map(params![doc_id, upto], |r| r.get::<_, Vec<u8>>(0))?
        .map(|bytes| {
            automerge::Change::from_bytes(bytes?).map_err(|e| StoreError::Doc(e.to_string()))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut seqs = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT actor, MAX(actor_seq) FROM changes WHERE doc_id = ?1 AND actor IS NOT NULL
         GROUP BY actor",
    )?;
    for row in stmt.query_map([doc_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })? {
        let (actor, seq) = row?;
        let actor = hex::decode(&actor).map_err(|e| StoreError::Doc(e.to_string()))?;
        seqs.insert(automerge::ActorId::from(actor), seq as u64);
    }
    DocFit::load(saved, tail, seqs).map_err(|e| StoreError::Doc(format!("{doc_id}: {e}")))
}
