//! Replication at the store: this machine's change log read out in order, changes from a
//! peer checked and applied, and a new machine joining a clinic. The transport (HTTP to the
//! server, or an in-memory test network) lives elsewhere and only moves these values.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use automerge::{AutoCommit, Change};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::docs::{DocId, Records};
use crate::error::{CoreError, Result};
use crate::projections;
use crate::store::{self, load_doc, store_changes};

/// The peer name under which changes from the sync server are logged.
pub const SERVER_PEER: &str = "server";

/// One change of this machine's log, as it is sent to a peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LoggedChange {
    /// Position in this machine's log.
    pub seq: i64,
    /// The document it belongs to.
    pub doc_id: String,
    /// The change hash, hex.
    pub hash: String,
    /// The raw change.
    pub bytes: Vec<u8>,
}

/// A change offered by a peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncomingChange {
    /// The document it claims to belong to.
    pub doc_id: String,
    /// The hash it claims, hex.
    pub hash: String,
    /// The raw change.
    pub bytes: Vec<u8>,
}

impl From<LoggedChange> for IncomingChange {
    fn from(c: LoggedChange) -> Self {
        IncomingChange {
            doc_id: c.doc_id,
            hash: c.hash,
            bytes: c.bytes,
        }
    }
}

/// Where this machine syncs, and how far it got.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncSettings {
    /// The sync server's base URL.
    pub server: String,
    /// The device credential from enrollment (secret).
    pub device_credential: String,
    /// The last position of this machine's log the server acknowledged.
    pub pushed: i64,
    /// The last position of the server's log this machine applied.
    pub pulled: u64,
}

impl std::fmt::Debug for SyncSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSettings")
            .field("server", &self.server)
            .field("device_credential", &"hidden")
            .field("pushed", &self.pushed)
            .field("pulled", &self.pulled)
            .finish()
    }
}

/// What became of a batch of incoming changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ApplyReport {
    /// Hashes now held (new, or already known).
    pub accepted: Vec<String>,
    /// Hashes refused, with the reason; they will never be accepted.
    pub refused: Vec<(String, String)>,
    /// Hashes whose predecessors are not here yet; send them again after those.
    pub deferred: Vec<String>,
    /// How many accepted changes were new to this machine.
    pub new: usize,
    /// How many changes this machine now holds aside (received, not applied yet).
    pub held: u64,
}

/// The changes held aside, oldest first.
fn held_changes(conn: &rusqlite::Connection) -> Result<Vec<(String, Vec<u8>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT doc_id, bytes FROM held_changes ORDER BY held_at")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Keeps a change aside, with why, until a later apply finds it fits.
fn hold(
    conn: &rusqlite::Connection,
    doc_id: &DocId,
    change: &Change,
    peer: Option<&str>,
    why: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO held_changes (hash, doc_id, bytes, peer, reason, held_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (hash) DO UPDATE SET reason = excluded.reason",
    )?
    .execute(params![
        change.hash().0.as_slice(),
        doc_id.as_str(),
        change.raw_bytes(),
        peer,
        why,
        now
    ])?;
    Ok(())
}

/// Applies `changes` to their document (`cached`, else as stored): all at once when they
/// fit, else one by one, so one change that does not fit keeps none of the others out.
/// Answers the document, the changes applied, and why each unfit one did not fit.
#[allow(clippy::type_complexity)]
fn apply_fitting<'c>(
    tx: &rusqlite::Connection,
    doc_id: &DocId,
    cached: Option<AutoCommit>,
    changes: &'c [Change],
) -> Result<(
    AutoCommit,
    Vec<&'c Change>,
    Vec<(automerge::ChangeHash, String)>,
)> {
    let stored = |tx: &rusqlite::Connection| -> Result<AutoCommit> {
        Ok(load_doc(tx, doc_id)?.unwrap_or_else(AutoCommit::new))
    };
    let mut doc = match cached {
        Some(doc) => doc,
        None => stored(tx)?,
    };
    let before = doc.get_heads();
    let mut unfit = Vec::new();
    let all_at_once = untrusted("a change received", || {
        Ok(doc.apply_changes(changes.to_vec())?)
    });
    if all_at_once.is_err() {
        doc = stored(tx)?;
        let mut fitting: Vec<Change> = Vec::new();
        for c in changes {
            match untrusted("a change received", || Ok(doc.apply_changes([c.clone()])?)) {
                Ok(()) => fitting.push(c.clone()),
                Err(e) => {
                    unfit.push((c.hash(), format!("it does not fit its document: {e}")));
                    // What a failed apply left half-done is dropped with it.
                    doc = stored(tx)?;
                    doc.apply_changes(fitting.clone())?;
                }
            }
        }
    }
    // In the order the document took them (each after what it depends on), not as they
    // came: the log is read out in this order to every peer, and a peer that checks a
    // batch change by change (the sync server) refuses a change that comes before its
    // predecessor. A peer may send a page in any order.
    let given: HashMap<automerge::ChangeHash, &'c Change> =
        changes.iter().map(|c| (c.hash(), c)).collect();
    let applied = doc
        .get_changes(&before)
        .iter()
        .filter_map(|c| given.get(&c.hash()).copied())
        .collect();
    Ok((doc, applied, unfit))
}

/// Changes of the log after position `seq`, oldest first, at most `limit`; with `except`,
/// only those that did not come from that peer: what it may not have yet.
pub(crate) fn changes_after(
    conn: &rusqlite::Connection,
    seq: i64,
    limit: usize,
    except: Option<&str>,
) -> Result<Vec<LoggedChange>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, doc_id, hash, bytes FROM changes WHERE seq > ?1 AND peer IS NOT ?3
         ORDER BY seq LIMIT ?2",
    )?;
    // `IS NOT` counts this machine's own changes (no peer) as differing from every name; with
    // no peer to leave out, the empty name, which no peer bears, keeps every change.
    let except = except.unwrap_or("");
    let rows = stmt.query_map(params![seq, limit as i64, except], |r| {
        Ok(LoggedChange {
            seq: r.get(0)?,
            doc_id: r.get(1)?,
            hash: hex::encode(r.get::<_, Vec<u8>>(2)?),
            bytes: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many changes after position `seq` did not come from `peer`.
pub(crate) fn count_for(conn: &rusqlite::Connection, peer: &str, seq: i64) -> Result<u64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM changes WHERE seq > ?1 AND peer IS NOT ?2")?
        .query_row(params![seq, peer], |r| r.get::<_, i64>(0))? as u64)
}

/// Loads documents saved whole by a peer (a bootstrap) in one transaction: each is merged
/// with what this machine holds of it, stored as a fresh snapshot, and projected. Nothing is
/// logged: the changes inside are the peer's, and later pulls start after them. A document
/// that does not load, or names no kind a clinic holds, refuses the whole page.
pub(crate) fn load_docs(
    conn: &mut rusqlite::Connection,
    cache: &mut store::DocCache,
    ctx: &store::Context,
    docs: &[(String, Vec<u8>)],
) -> Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let head: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
        r.get(0)
    })?;
    // Decoding a document and reading its records is two thirds of a bootstrap's time and
    // needs nothing from the database, so worker threads (one per core) do it for the next
    // documents while this one writes rows. Worker `w` takes every `n`th document and the
    // results are taken back in the page's order.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    std::thread::scope(|scope| -> Result<()> {
        let mut queues = Vec::new();
        for w in 0..workers {
            let (sender, decoded) = std::sync::mpsc::sync_channel(16);
            queues.push(decoded);
            scope.spawn(move || {
                for (id, bytes) in docs.iter().skip(w).step_by(workers) {
                    if sender.send(decode(id, bytes)).is_err() {
                        return; // the writer stopped at an error
                    }
                }
            });
        }
        let decoded = (0..docs.len()).map(|i| {
            queues[i % workers].recv().unwrap_or_else(|_| {
                Err(CoreError::Document {
                    detail: "a decoding thread stopped".into(),
                })
            })
        });
        for ((id, bytes), decoded) in docs.iter().zip(decoded) {
            let (doc_id, mut loaded, records) = decoded?;
            cache.take(&doc_id);
            // A document this machine does not hold yet is stored as it came (already a
            // save); one it holds is merged, saved anew and read again.
            let (doc, saved, records) = match load_doc(&tx, &doc_id)? {
                Some(mut mine) => {
                    mine.merge(&mut loaded)?;
                    let saved = mine.save();
                    let records = projections::whole_records(&doc_id, &mine)?;
                    (mine, saved, records)
                }
                None => (loaded, bytes.clone(), records),
            };
            tx.prepare_cached(
                "INSERT INTO docs (doc_id, kind, bytes, snapshot_seq, pending) VALUES (?1, ?2, ?3, ?4, 0)
                 ON CONFLICT(doc_id) DO UPDATE SET bytes = excluded.bytes,
                    snapshot_seq = excluded.snapshot_seq, pending = 0",
            )?
            .execute(params![id, doc_id.kind()?.prefix(), saved, head])?;
            projections::project_read(&tx, &ctx.time, &doc_id, &doc, None, records)?;
        }
        Ok(())
    })?;
    tx.commit()?;
    Ok(docs.len())
}

/// One page of this machine's documents saved whole, for a peer that holds nothing yet.
#[derive(Debug, Clone, Default)]
pub struct DocsPage {
    /// Every change at or before this position of this machine's log is inside the documents.
    pub as_of: u64,
    /// How many documents this machine holds.
    pub total: u64,
    /// The documents (id, `save()` bytes), in id order.
    pub docs: Vec<(String, Vec<u8>)>,
    /// The id to ask after for the next page; None on the last page.
    pub next: Option<String>,
}

/// Documents after id `after`, saved whole, up to about `max_bytes` (at least one), read in
/// one transaction so `as_of` holds for each of them.
pub(crate) fn docs_page(
    conn: &mut rusqlite::Connection,
    after: &str,
    max_bytes: usize,
) -> Result<DocsPage> {
    let tx = conn.transaction()?;
    let as_of: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
        r.get(0)
    })?;
    let total: i64 = tx.query_row("SELECT COUNT(*) FROM docs", [], |r| r.get(0))?;
    let ids: Vec<String> = tx
        .prepare("SELECT doc_id FROM docs WHERE doc_id > ?1 ORDER BY doc_id")?
        .query_map([after], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut page = DocsPage {
        as_of: as_of as u64,
        total: total as u64,
        ..DocsPage::default()
    };
    let mut bytes = 0;
    for id in ids {
        if bytes >= max_bytes {
            page.next = page.docs.last().map(|(id, _)| id.clone());
            break;
        }
        let doc_id = DocId::parse(&id)?;
        let Some(mut doc) = store::load_doc(&tx, &doc_id)? else {
            continue;
        };
        let saved = doc.save();
        bytes += saved.len();
        page.docs.push((id, saved));
    }
    Ok(page)
}

/// A received document decoded, with the records its projection reads.
pub(crate) fn decode(id: &str, bytes: &[u8]) -> Result<(DocId, AutoCommit, Records)> {
    let doc_id = DocId::parse(id)?;
    untrusted("a document received", || {
        let doc = AutoCommit::load(bytes)?;
        let records = projections::whole_records(&doc_id, &doc)?;
        Ok((doc_id.clone(), doc, records))
    })
}

/// Runs Automerge on bytes from a peer. Automerge 0.12 panics on some malformed input (an
/// `unwrap` on an unknown actor while importing a change's operations, found by the
/// `load_doc` and `apply_change` fuzz targets) instead of answering an error; such input is
/// refused like any other that does not fit, and what it half-did is dropped by the caller.
fn untrusted<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(CoreError::Document {
            detail: format!("{what} is malformed"),
        })
    })
}

/// Photos this machine made that the sync server has not acknowledged, at most `limit`.
pub(crate) fn blobs_to_upload(
    conn: &rusqlite::Connection,
    limit: usize,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, bytes FROM blobs WHERE uploaded = 0 ORDER BY sha256 LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Photos that visits name and this machine has not received, at most `limit`.
pub(crate) fn wanted_blobs(conn: &rusqlite::Connection, limit: usize) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT sha256 FROM blob_wants ORDER BY sha256 LIMIT ?1")?;
    let rows = stmt.query_map([limit as i64], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Audits what the booking portal did to this clinic's bookings (a patient's request, their
/// cancellation or move), as its changes arrive: the portal names it in each change's
/// message. Only the portal's known actions about a booking id are recorded; another
/// message, or one that does not read, is left out.
fn audit_portal_changes(
    tx: &rusqlite::Transaction<'_>,
    ctx: &store::Context,
    applied: &[&Change],
) -> Result<()> {
    for change in applied {
        let Some((action, id)) = change
            .message()
            .and_then(ayada_model::appointment::portal_action)
        else {
            continue;
        };
        let entry = crate::audit::AuditEntry {
            actor: ayada_model::appointment::PORTAL.into(),
            action: action.into(),
            subject: id.to_string(),
            outcome: crate::audit::Outcome::Ok,
        };
        crate::audit::append(tx, &ctx.node.to_string(), ctx.now().as_second(), &entry)?;
    }
    Ok(())
}

/// Checks and applies a batch in one transaction: each document's new changes are applied,
/// logged (with `peer`, the node they came from) and its projections rebuilt, or nothing is.
pub(crate) fn apply(
    conn: &mut rusqlite::Connection,
    cache: &mut store::DocCache,
    ctx: &store::Context,
    incoming: &[IncomingChange],
    peer: Option<&str>,
) -> Result<ApplyReport> {
    let mut report = ApplyReport::default();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut by_doc: BTreeMap<DocId, Vec<Change>> = BTreeMap::new();
    let mut seen = HashSet::new();
    for change in incoming {
        let refuse = |reason: &str| (change.hash.clone(), reason.to_string());
        // The checks every receiver runs (the server's too), then this store's own name for
        // the document.
        let decoded = match ayada_sync::screen(&change.doc_id, &change.hash, &change.bytes) {
            Ok(decoded) => decoded,
            Err(why) => {
                report.refused.push(refuse(&why));
                continue;
            }
        };
        let Ok(doc_id) = DocId::parse(&change.doc_id) else {
            report
                .refused
                .push(refuse("it names no known kind of document"));
            continue;
        };
        let hash = change.hash.clone();
        let known: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM changes WHERE hash = ?1",
                [decoded.hash().0.as_slice()],
                |r| r.get(0),
            )
            .optional()?;
        if known.is_some() || !seen.insert(hash.clone()) {
            report.accepted.push(hash);
            continue;
        }
        by_doc.entry(doc_id).or_default().push(decoded);
    }
    // Changes held aside by an earlier apply are tried again with these: their
    // predecessors may be among them.
    for (id, bytes) in held_changes(&tx)? {
        let (Ok(doc_id), Ok(decoded)) = (DocId::parse(&id), Change::from_bytes(bytes)) else {
            continue;
        };
        if seen.insert(hex::encode(decoded.hash().0)) {
            by_doc.entry(doc_id).or_default().push(decoded);
        }
    }
    let now = ctx.now().as_second();
    let mut back_to_cache = Vec::new();
    for (doc_id, changes) in by_doc {
        let cached = cache.take(&doc_id);
        let (mut doc, applied, unfit) = apply_fitting(&tx, &doc_id, cached, &changes)?;
        let waiting: Vec<(&Change, String)> = changes
            .iter()
            .filter(|c| doc.get_change_by_hash(&c.hash()).is_none())
            .map(|c| {
                let why = unfit.iter().find(|(h, _)| *h == c.hash()).map_or_else(
                    || "it waits for changes that have not arrived".to_string(),
                    |(_, why)| why.clone(),
                );
                (c, why)
            })
            .collect();
        report
            .deferred
            .extend(waiting.iter().map(|(c, _)| hex::encode(c.hash().0)));
        for (c, why) in &waiting {
            hold(&tx, &doc_id, c, peer, why, now)?;
        }
        if applied.is_empty() {
            continue;
        }
        // A change can fit its document and still hold what this version cannot read: then
        // the document's new changes are held aside, and the rest of the batch goes on.
        tx.execute_batch("SAVEPOINT apply_doc")?;
        let stored = store_changes(&tx, &doc_id, &mut doc, &applied, peer)
            .and_then(|()| projections::project(&tx, &ctx.time, &doc_id, &doc, None));
        if let Err(e) = stored {
            tx.execute_batch("ROLLBACK TO apply_doc; RELEASE apply_doc")?;
            for c in &applied {
                hold(
                    &tx,
                    &doc_id,
                    c,
                    peer,
                    &format!("its document cannot be read with it: {e}"),
                    now,
                )?;
                report.deferred.push(hex::encode(c.hash().0));
            }
            continue;
        }
        tx.execute_batch("RELEASE apply_doc")?;
        if doc_id.kind()? == crate::docs::DocKind::Appointments {
            audit_portal_changes(&tx, ctx, &applied)?;
        }
        for c in &applied {
            tx.prepare_cached("DELETE FROM held_changes WHERE hash = ?1")?
                .execute([c.hash().0.as_slice()])?;
        }
        report.new += applied.len();
        report
            .accepted
            .extend(applied.iter().map(|c| hex::encode(c.hash().0)));
        // A document holding changes it could not apply yet is reloaded from the log later,
        // so that what is in memory is exactly what is stored.
        if waiting.is_empty() {
            back_to_cache.push((doc_id, doc.with_actor(ctx.actor())));
        }
    }
    report.held = tx.query_row("SELECT COUNT(*) FROM held_changes", [], |r| {
        r.get::<_, i64>(0)
    })? as u64;
    tx.commit()?;
    for (id, doc) in back_to_cache {
        cache.put(id, doc);
    }
    Ok(report)
}

/// Every stored document's heads (hex, sorted): two machines hold identical documents
/// exactly when these are equal.
pub(crate) fn document_heads(conn: &rusqlite::Connection) -> Result<BTreeMap<String, Vec<String>>> {
    let ids: Vec<String> = conn
        .prepare("SELECT doc_id FROM docs ORDER BY doc_id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = BTreeMap::new();
    for id in ids {
        let doc_id = DocId::parse(&id)?;
        if let Some(mut doc) = load_doc(conn, &doc_id)? {
            let mut heads: Vec<String> = doc.get_heads().iter().map(|h| hex::encode(h.0)).collect();
            heads.sort();
            out.insert(id, heads);
        }
    }
    Ok(out)
}

/// Whether the data folder `dir` already holds a clinic.
pub(crate) fn has_clinic(dir: &Path) -> bool {
    dir.join(store::DB_FILE).exists()
}

/// How many documents this machine holds.
pub(crate) fn document_count(conn: &rusqlite::Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM docs", [], |r| r.get::<_, i64>(0))? as u64)
}

/// The newest position of this machine's change log (0 when empty).
pub(crate) fn log_head(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })?,
    )
}

/// How many changes this machine's log holds.
pub(crate) fn change_count(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM changes", [], |r| r.get(0))?)
}

/// Records that the sync server holds photo `sha256`.
pub(crate) fn blob_uploaded(conn: &rusqlite::Connection, sha256: &str) -> Result<()> {
    conn.execute("UPDATE blobs SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
    Ok(())
}
