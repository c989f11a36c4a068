//! The server as a peer: what a patient does on the portal becomes Automerge changes the
//! server authors with its own actor for that clinic, written with the document model the
//! machines use, appended to the clinic's log through the same checks a machine's push goes
//! through, and announced to the clinic's machines like any push.

use automerge::{ActorId, AutoCommit};
use ayada_model::docs::DocId;
use ayada_sync::WireChange;
use sha2::{Digest, Sha256};

use crate::store::{Admission, Decoded, Store, StoreError};
use crate::AppState;

/// The node name the clinic's log records for the portal's changes.
pub const PORTAL_NODE: &str = "portal";

/// The portal's Automerge actor for a clinic: derived from the clinic's id, so every replica
/// of the server writes as the same peer, and unlike any machine's (a machine's actor is its
/// node id).
pub fn actor(clinic: &str) -> ActorId {
    let digest = Sha256::digest(format!("ayada-portal/{clinic}").as_bytes());
    ActorId::from(&digest[..16])
}

/// One document to change, and how.
pub type Edit<'a> = (
    DocId,
    Box<dyn FnOnce(&mut AutoCommit) -> Result<(), ayada_model::ModelError> + Send + 'a>,
);

/// Why the portal could not write.
#[derive(Debug, thiserror::Error)]
pub enum AuthorError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record did not fit the document model.
    #[error("the record does not fit its document: {0}")]
    Model(#[from] ayada_model::ModelError),
    /// The clinic's log refused the change (it would be a bug of ours).
    #[error("the clinic's log refused the portal's change: {0}")]
    Refused(String),
}

/// Applies each edit to the clinic's document as it stands, as the portal's actor, and
/// appends the changes to the clinic's log (durably) before answering. Callers hold the
/// clinic's portal lock, and this takes the store's authoring lock (other replicas), so two
/// portal writes never reuse one sequence number.
pub fn write<S: Store>(
    state: &AppState<S>,
    clinic: &str,
    message: &str,
    edits: Vec<Edit<'_>>,
) -> Result<(), AuthorError> {
    let _authoring = state.store.author_lock(clinic)?;
    let mut wire = Vec::new();
    for (doc_id, edit) in edits {
        let mut doc = match state.store.clinic_doc(clinic, doc_id.as_str())? {
            Some(bytes) => AutoCommit::load(&bytes).map_err(|e| StoreError::Doc(e.to_string()))?,
            None => AutoCommit::new(),
        };
        doc.set_actor(actor(clinic));
        edit(&mut doc)?;
        let options = automerge::transaction::CommitOptions::default()
            .with_message(message)
            .with_time(crate::store::unix_now());
        if doc.commit_with(options).is_none() {
            continue;
        }
        let Some(change) = doc.get_last_local_change() else {
            continue;
        };
        wire.push(WireChange {
            doc_id: doc_id.to_string(),
            hash: hex::encode(change.hash().0),
            bytes: change.raw_bytes().to_vec(),
        });
    }
    if wire.is_empty() {
        return Ok(());
    }
    let decoded = wire
        .iter()
        .map(|w| {
            w.screen()
                .map(|change| Decoded { wire: w, change })
                .map_err(AuthorError::Refused)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let appended = state.store.append(clinic, PORTAL_NODE, &decoded)?;
    if let Some(Admission::Refused(reason)) = appended
        .admissions
        .iter()
        .find(|a| matches!(a, Admission::Refused(_)))
    {
        return Err(AuthorError::Refused(reason.clone()));
    }
    if let Some(head) = appended.head {
        state.portal.views.moved(clinic);
        state.notices.notify(clinic, PORTAL_NODE, head);
        state
            .compactor
            .dirty(clinic, wire.iter().map(|w| w.doc_id.as_str()));
    }
    Ok(())
}
