//! A clinic's change log as the pushes, the checks and the bootstraps read it, written once
//! for every backend: each backend gives the few reads and writes of [`LogTx`] inside one
//! transaction of its own, and the rules (what a push admits, what a compaction saves, what a
//! bootstrap page holds) live here.

use std::collections::HashMap;
use std::sync::Mutex;

use ayada_sync::WireDoc;

use super::vault::{Kind, Sealer};
use super::{Admission, BootstrapPage, CheckReport, Decoded, StoreError};
use crate::fit::DocFit;

/// How many changes the log holds for a document, and the last one's position.
pub(super) type Stamp = (i64, i64);

/// What the log says before a push: the document each known change is filed under (by
/// hash), and each known document's [`Stamp`].
pub(super) type Looked = (HashMap<String, String>, HashMap<String, Stamp>);

/// A document a push judged, with its stamp after the push.
pub(super) type Judged = (String, DocFit, Stamp);

/// A change as the log keeps it: its bytes sealed with the clinic's key.
pub(super) struct Row<'a> {
    pub(super) doc_id: &'a str,
    pub(super) hash: &'a str,
    pub(super) sealed: Vec<u8>,
    /// Its actor, as hex, and its sequence number (what a push checks against).
    pub(super) actor: String,
    pub(super) seq: i64,
}

/// One clinic's log inside one transaction of a backend. The bytes it reads and writes are
/// sealed ([`super::vault`]): the rules here seal and open them.
pub(super) trait LogTx {
    /// What the log says before a push is judged: the document it files each of these
    /// changes (by hash) under, for those it holds, and the [`Stamp`] of each of these
    /// documents, for those it holds.
    fn look(&mut self, hashes: &[&str], docs: &[&str]) -> Result<Looked, StoreError>;
    /// A document's stored compaction and the log position it reaches (empty and 0 if none).
    fn saved_doc(&mut self, doc_id: &str) -> Result<(Vec<u8>, i64), StoreError>;
    /// A document's changes after log position `after`, in order: position, hash, bytes.
    fn tail(&mut self, doc_id: &str, after: i64)
        -> Result<Vec<(i64, String, Vec<u8>)>, StoreError>;
    /// Each actor's highest sequence number in a document, as hex and number.
    fn actor_seqs(&mut self, doc_id: &str) -> Result<Vec<(String, i64)>, StoreError>;
    /// Stores a document's compaction up to log position `upto` (never moving it back).
    fn save_doc(&mut self, doc_id: &str, bytes: &[u8], upto: i64) -> Result<(), StoreError>;
    /// Appends changes at the log's end, in order; answers the position each took, in the
    /// order given.
    fn insert_all(&mut self, rows: &[Row<'_>], node: &str, at: i64)
        -> Result<Vec<i64>, StoreError>;
    /// The last log position (0 when empty).
    fn head(&mut self) -> Result<i64, StoreError>;
    /// How many documents the log holds.
    fn doc_count(&mut self) -> Result<i64, StoreError>;
    /// Up to `limit` document ids after `after`, in order.
    fn doc_ids_after(&mut self, after: &str, limit: i64) -> Result<Vec<String>, StoreError>;
    /// Every change as (position, document, hash, bytes), by document then position.
    fn each_change(
        &mut self,
        f: &mut dyn FnMut(i64, String, String, Vec<u8>),
    ) -> Result<(), StoreError>;
    /// Moves the change at `seq` into quarantine with `reason`.
    fn quarantine(&mut self, seq: i64, reason: &str, at: i64) -> Result<(), StoreError>;
    /// Forgets a document's compaction (made again from the log).
    fn forget_doc(&mut self, doc_id: &str) -> Result<(), StoreError>;
}

/// Documents as the last pushes left them, ready to judge the next change without loading
/// the document again (that doubled a push's time). Each is stamped with its log's count and
/// last position, and used only while the log still says the same, so a change another
/// process (or replica) appended is never judged against a stale document.
#[derive(Default)]
pub(super) struct Fits {
    kept: Mutex<HashMap<(String, String), (DocFit, Stamp)>>,
}

/// How many judged documents are kept in memory (a few tens of KB each).
const KEPT_FITS: usize = 1024;

impl Fits {
    fn take(&self, clinic: &str, doc_id: &str) -> Option<(DocFit, Stamp)> {
        self.kept
            .lock()
            .expect("fits poisoned")
            .remove(&(clinic.to_string(), doc_id.to_string()))
    }

    /// Keeps the documents a committed push judged.
    pub(super) fn keep(&self, clinic: &str, judged: Vec<Judged>) {
        let mut kept = self.kept.lock().expect("fits poisoned");
        if kept.len() + judged.len() > KEPT_FITS {
            kept.clear();
        }
        for (doc_id, fit, stamp) in judged {
            kept.insert((clinic.to_string(), doc_id), (fit, stamp));
        }
    }
}

/// What one append did inside its transaction.
pub(super) struct Outcome {
    /// What became of each change, in order.
    pub(super) admissions: Vec<Admission>,
    /// The documents judged, with their stamps after the append (to [`Fits::keep`] once the
    /// transaction is committed, and only then).
    pub(super) judged: Vec<Judged>,
    /// The log's last position, when this append added to it.
    pub(super) head: Option<i64>,
}

/// Appends each change of a push that fits its document, and answers what became of each.
///
/// The caller holds the clinic's log to itself for the transaction (a lock or a write
/// transaction), so the stamps after the append are the ones before and what it inserted:
/// no second read.
pub(super) fn append(
    tx: &mut dyn LogTx,
    key: &Sealer,
    fits: &Fits,
    clinic: &str,
    node: &str,
    changes: &[Decoded<'_>],
    at: i64,
) -> Result<Outcome, StoreError> {
    // First what the log says of each change, then each document's candidates judged
    // together, then the admitted ones appended in the order they came.
    let mut out: Vec<Option<Admission>> = Vec::with_capacity(changes.len());
    let mut candidates: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut in_batch: HashMap<&str, &str> = HashMap::new();
    let hashes: Vec<&str> = changes.iter().map(|c| c.wire.hash.as_str()).collect();
    let mut docs: Vec<&str> = changes.iter().map(|c| c.wire.doc_id.as_str()).collect();
    docs.sort_unstable();
    docs.dedup();
    let (filed, stamps) = tx.look(&hashes, &docs)?;
    for (i, c) in changes.iter().enumerate() {
        let doc_id = c.wire.doc_id.as_str();
        let known: Option<String> = match in_batch.get(c.wire.hash.as_str()) {
            Some(d) => Some(d.to_string()),
            None => filed.get(&c.wire.hash).cloned(),
        };
        out.push(match known {
            Some(d) if d == doc_id => Some(Admission::Known),
            Some(_) => Some(Admission::Refused(
                "it is already filed under another document".into(),
            )),
            None => {
                in_batch.insert(&c.wire.hash, doc_id);
                candidates.entry(doc_id).or_default().push(i);
                None
            }
        });
    }
    let mut judged: Vec<(&str, DocFit, Stamp)> = Vec::new();
    for (doc_id, positions) in &candidates {
        let stamp = stamps.get(*doc_id).copied();
        let mut fit = match (fits.take(clinic, doc_id), stamp) {
            (Some((fit, kept)), Some(stamp)) if kept == stamp => fit,
            // A document the log holds no change of has nothing to load (a check that
            // quarantines a document's changes forgets its compaction too).
            (_, None) => DocFit::empty(),
            _ => doc_fit(tx, key, doc_id)?,
        };
        let stamp = stamp.unwrap_or((0, 0));
        let batch: Vec<&automerge::Change> =
            positions.iter().map(|i| &changes[*i].change).collect();
        for (i, verdict) in positions.iter().zip(fit.admit_all(&batch)) {
            out[*i] = Some(match verdict {
                Ok(()) => Admission::New,
                Err(reason) => Admission::Refused(reason),
            });
        }
        judged.push((doc_id, fit, stamp));
    }
    let new: Vec<&Decoded<'_>> = changes
        .iter()
        .zip(&out)
        .filter(|(_, a)| *a == &Some(Admission::New))
        .map(|(c, _)| c)
        .collect();
    let rows: Vec<Row<'_>> = new
        .iter()
        .map(|c| Row {
            doc_id: &c.wire.doc_id,
            hash: &c.wire.hash,
            sealed: key.seal(Kind::Change, &c.wire.hash, &c.wire.bytes),
            actor: c.change.actor_id().to_hex_string(),
            seq: c.change.seq() as i64,
        })
        .collect();
    let positions = tx.insert_all(&rows, node, at)?;
    if positions.len() != new.len() {
        return Err(StoreError::Doc(format!(
            "{} changes inserted, {} positions given back",
            new.len(),
            positions.len()
        )));
    }
    let judged = judged
        .into_iter()
        .map(|(doc_id, fit, (count, last))| {
            let mine = new
                .iter()
                .zip(&positions)
                .filter(|(c, _)| c.wire.doc_id == doc_id);
            let (added, last) = mine.fold((0, last), |(n, l), (_, p)| (n + 1, l.max(*p)));
            (doc_id.to_string(), fit, (count + added, last))
        })
        .collect();
    let admissions = out
        .into_iter()
        .map(|a| a.unwrap_or(Admission::Refused("it was not judged".into())))
        .collect();
    Ok(Outcome {
        admissions,
        judged,
        head: positions.iter().copied().max(),
    })
}

/// Brings the stored compaction of one document up to the log's end; answers the saved
/// document and, when one of its changes could not be applied yet (its predecessors are
/// missing), the log position just before that change: a machine that bootstraps must pull
/// from there rather than miss it.
pub(super) fn compact(
    tx: &mut dyn LogTx,
    key: &Sealer,
    doc_id: &str,
) -> Result<(Vec<u8>, Option<u64>), StoreError> {
    let (saved, upto) = saved_doc(tx, key, doc_id)?;
    let rows = tail(tx, key, doc_id, upto)?;
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
    tx.save_doc(doc_id, &key.seal(Kind::Doc, doc_id, &bytes), complete)?;
    Ok((bytes, stuck.map(|s| s as u64)))
}

/// A document's stored compaction, opened, and the log position it reaches.
fn saved_doc(tx: &mut dyn LogTx, key: &Sealer, doc_id: &str) -> Result<(Vec<u8>, i64), StoreError> {
    let (sealed, upto) = tx.saved_doc(doc_id)?;
    if sealed.is_empty() {
        return Ok((sealed, upto));
    }
    Ok((key.open(Kind::Doc, doc_id, &sealed)?, upto))
}

/// A document's changes after `after`, opened: position and bytes.
fn tail(
    tx: &mut dyn LogTx,
    key: &Sealer,
    doc_id: &str,
    after: i64,
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    tx.tail(doc_id, after)?
        .into_iter()
        .map(|(seq, hash, sealed)| Ok((seq, key.open(Kind::Change, &hash, &sealed)?)))
        .collect()
}

/// A document as the log holds it now, ready to judge the next change.
pub(super) fn doc_fit(
    tx: &mut dyn LogTx,
    key: &Sealer,
    doc_id: &str,
) -> Result<DocFit, StoreError> {
    let (saved, upto) = saved_doc(tx, key, doc_id)?;
    let tail = tail(tx, key, doc_id, upto)?
        .into_iter()
        .map(|(_, bytes)| {
            automerge::Change::from_bytes(bytes).map_err(|e| StoreError::Doc(e.to_string()))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut seqs = HashMap::new();
    for (actor, seq) in tx.actor_seqs(doc_id)? {
        let actor = hex::decode(&actor).map_err(|e| StoreError::Doc(e.to_string()))?;
        seqs.insert(automerge::ActorId::from(actor), seq as u64);
    }
    DocFit::load(saved, tail, seqs).map_err(|e| StoreError::Doc(format!("{doc_id}: {e}")))
}

/// Re-reads the whole log with the rules a push follows now, and moves every change that
/// breaks them into quarantine.
pub(super) fn check(tx: &mut dyn LogTx, key: &Sealer, at: i64) -> Result<CheckReport, StoreError> {
    let mut report = CheckReport::default();
    let mut bad: Vec<(i64, String)> = Vec::new();
    // Document by document, so only one is in memory at a time.
    let mut current: Option<(String, DocFit)> = None;
    tx.each_change(&mut |seq, doc_id, hash, bytes| {
        report.changes += 1;
        if current.as_ref().is_none_or(|(d, _)| *d != doc_id) {
            current = Some((doc_id.clone(), DocFit::empty()));
        }
        let fit = &mut current.as_mut().expect("set above").1;
        let verdict = match key.open(Kind::Change, &hash, &bytes) {
            Err(_) => Err("it does not open with the clinic's key".to_string()),
            Ok(bytes) => match automerge::Change::from_bytes(bytes) {
                Err(_) => Err("it does not decode as an Automerge change".to_string()),
                Ok(change) => fit.admit(&change),
            },
        };
        if let Err(reason) = verdict {
            report.quarantined.push((doc_id, hash, reason.clone()));
            bad.push((seq, reason));
        }
    })?;
    for (seq, reason) in &bad {
        tx.quarantine(*seq, reason, at)?;
    }
    // Their compactions may hold what was quarantined: made again from the log.
    for (doc_id, _, _) in &report.quarantined {
        tx.forget_doc(doc_id)?;
    }
    Ok(report)
}

/// How many document ids one bootstrap page reads at most.
const PAGE_IDS: i64 = 2000;

/// A page of the clinic's documents compacted from its log, in id order after `after`, up to
/// about `max_bytes`; the head and the documents come from the transaction's one state.
pub(super) fn bootstrap(
    tx: &mut dyn LogTx,
    key: &Sealer,
    after: Option<&str>,
    max_bytes: usize,
) -> Result<BootstrapPage, StoreError> {
    let head = tx.head()?;
    let total = tx.doc_count()?;
    let ids = tx.doc_ids_after(after.unwrap_or(""), PAGE_IDS)?;
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
        let (bytes, stuck) = compact(tx, key, id)?;
        if let Some(before) = stuck {
            page.as_of = page.as_of.min(before);
        }
        size += bytes.len();
        page.docs.push(WireDoc {
            doc_id: id.clone(),
            bytes,
        });
    }
    if page.next.is_none() && ids.len() as i64 == PAGE_IDS {
        page.next = ids.last().cloned();
    }
    Ok(page)
}
