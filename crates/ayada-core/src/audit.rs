//! The tamper-evident audit log: who did what, when, from which machine, and whether it was
//! allowed. Rows are append-only (triggers refuse UPDATE and DELETE) and chained by SHA-256;
//! the newest hash is also kept in `meta`, so cutting rows off the end is detected too.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

const GENESIS: &str = "genesis";

/// How an audited attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It was done.
    Ok,
    /// The role may not do it.
    Denied,
    /// It was refused for another reason (a wrong password).
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One thing to audit.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Login of the person (or "-" before anyone logged in).
    pub actor: String,
    /// What was attempted ("payment", "login", "cash-summary"...).
    pub action: String,
    /// What it concerned (an id, a date); never a secret.
    pub subject: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// A row as read back for display.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AuditRow {
    /// Position in the log.
    pub seq: i64,
    /// Unix seconds, UTC.
    pub at: i64,
    /// The machine it happened on.
    pub node: String,
    /// Login of the person.
    pub actor: String,
    /// What was attempted.
    pub action: String,
    /// What it concerned.
    pub subject: String,
    /// "ok", "denied" or "failed".
    pub outcome: String,
}

fn row_hash(prev: &str, at: i64, node: &str, e: (&str, &str, &str, &str)) -> String {
    let mut h = Sha256::new();
    // Length-prefix every field so that no two different rows hash the same bytes.
    for part in [prev, &at.to_string(), node, e.0, e.1, e.2, e.3] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends one row, chained to the one before, inside the caller's transaction.
pub(crate) fn append(tx: &Transaction<'_>, node: &str, at: i64, entry: &AuditEntry) -> Result<()> {
    let prev: String = tx
        .prepare_cached("SELECT value FROM meta WHERE key = 'audit_head'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let outcome = entry.outcome.as_str();
    let hash = row_hash(
        &prev,
        at,
        node,
        (&entry.actor, &entry.action, &entry.subject, outcome),
    );
    tx.prepare_cached(
        "INSERT INTO audit (at, node, actor, action, subject, outcome, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        at,
        node,
        entry.actor,
        entry.action,
        entry.subject,
        outcome,
        prev,
        hash
    ])?;
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([&hash])?;
    Ok(())
}

/// Where this machine's chain ends: how many rows it holds and the newest row's hash. It
/// travels with each push, and the sync server keeps the sequence it saw, so a past rewritten
/// with its whole chain recomputed (which `verify` alone cannot tell) is still caught.
pub(crate) fn head(conn: &rusqlite::Connection) -> Result<(u64, String)> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))?;
    let hash: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok((count as u64, hash.unwrap_or_else(|| GENESIS.to_string())))
}

/// Checks the chain against heads seen outside this machine (`count` rows ending in
/// `hash`): the row at each such position must still carry that hash. Returns how many
/// heads were compared.
pub(crate) fn verify_anchors(
    conn: &rusqlite::Connection,
    anchors: &[(u64, String)],
) -> Result<usize> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, hash FROM audit ORDER BY seq LIMIT 1 OFFSET ?1")?;
    for (count, hash) in anchors.iter().filter(|(count, _)| *count > 0) {
        let row: Option<(i64, String)> = stmt
            .query_row([*count as i64 - 1], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            Some((_, stored)) if stored == *hash => {}
            Some((seq, _)) => return Err(CoreError::AuditTampered { seq }),
            None => return Err(CoreError::AuditTampered { seq: *count as i64 }),
        }
    }
    Ok(anchors.len())
}

/// Walks the whole log; returns how many rows it checked, or the first row that does not
/// chain (an edited, inserted or deleted row, or a cut-off end). The triggers that keep it
/// append-only must be there too.
pub(crate) fn verify(conn: &rusqlite::Connection) -> Result<i64> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, node, actor, action, subject, outcome, prev_hash, hash FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut count = 0;
    let mut last_seq = 0;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let at: i64 = r.get(1)?;
        let fields: Vec<String> = (2..=8).map(|i| r.get(i)).collect::<rusqlite::Result<_>>()?;
        let (node, actor, action, subject, outcome, stored_prev, stored_hash) = (
            &fields[0], &fields[1], &fields[2], &fields[3], &fields[4], &fields[5], &fields[6],
        );
        let expected = row_hash(&prev, at, node, (actor, action, subject, outcome));
        if *stored_prev != prev || *stored_hash != expected {
            return Err(CoreError::AuditTampered { seq });
        }
        prev = expected;
        count += 1;
        last_seq = seq;
    }
    let head: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if head.unwrap_or_else(|| GENESIS.to_string()) != prev {
        return Err(CoreError::AuditTampered { seq: last_seq + 1 });
    }
    // A whole chain whose guards were dropped may still have been rewritten, hashes and
    // all: say so (the heads the server kept tell the rest).
    let guards: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'
         AND name IN ('audit_no_update', 'audit_no_delete') AND tbl_name = 'audit'",
        [],
        |r| r.get(0),
    )?;
    if guards != 2 {
        return Err(CoreError::AuditUnprotected);
    }
    Ok(count)
}

/// The newest `limit` rows, newest first.
pub(crate) fn recent(conn: &rusqlite::Connection, limit: i64) -> Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, node, actor, action, subject, outcome FROM audit ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(AuditRow {
                seq: r.get(0)?,
                at: r.get(1)?,
                node: r.get(2)?,
                actor: r.get(3)?,
                action: r.get(4)?,
                subject: r.get(5)?,
                outcome: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
