//! The server as the clinic's certifier on the LAN: when the owner enrolls a machine, the
//! server puts the machine's LAN key in the clinic's document (a change it authors, like the
//! portal's), and when the owner revokes a machine it marks the key revoked there. The
//! clinic's machines sync the list and trust each other by it, with or without the server.

use ayada_model::clinic::{machines_in, put_machine, MachineKey};
use ayada_model::docs::DocId;

use crate::error::ApiError;
use crate::portal::author::{self, AuthorError};
use crate::store::Store;
use crate::AppState;

/// The most bytes of a machine's public key (DER SubjectPublicKeyInfo).
const MAX_KEY_BYTES: usize = 600;

/// Checks a machine's public key as sent (hex of a DER SubjectPublicKeyInfo, of plausible
/// size); answers it in canonical form.
pub fn checked(key_hex: &str) -> Result<String, ApiError> {
    match hex::decode(key_hex.trim()) {
        Ok(key) if !key.is_empty() && key.len() <= MAX_KEY_BYTES => Ok(hex::encode(key)),
        _ => Err(ApiError::BadRequest(
            "The machine's LAN key is not a public key.".into(),
        )),
    }
}

fn written(e: AuthorError) -> ApiError {
    match e {
        AuthorError::Store(e) => e.into(),
        other => {
            tracing::error!(error = %other, "the machine list could not be written");
            ApiError::Internal
        }
    }
}

/// Lists machine `node` with `key` in clinic `clinic`'s document.
pub fn certify<S: Store>(
    state: &AppState<S>,
    clinic: &str,
    node: &str,
    key: String,
) -> Result<(), ApiError> {
    let node = node.to_string();
    author::write(
        state,
        clinic,
        "machine enrolled",
        vec![(
            DocId::clinic(),
            Box::new(move |doc| {
                // A machine that joined over the LAN is listed already, under the name the
                // owner gave it: the same key keeps its name. A revoked node stays revoked
                // (a lost laptop comes back under a new node id, never its old one).
                let listed = machines_in(doc)?.into_iter().find(|m| m.node_id == node);
                let record = MachineKey {
                    node_id: node.clone(),
                    name: listed
                        .as_ref()
                        .filter(|m| m.key == key)
                        .map(|m| m.name.clone())
                        .unwrap_or_default(),
                    key: key.clone(),
                    revoked: listed.is_some_and(|m| m.revoked),
                };
                put_machine(doc, &record)
            }),
        )],
    )
    .map_err(written)
}

/// Marks machine `node`'s key revoked in clinic `clinic`'s document, if it is listed.
pub fn revoke<S: Store>(state: &AppState<S>, clinic: &str, node: &str) -> Result<(), ApiError> {
    let node = node.to_string();
    author::write(
        state,
        clinic,
        "machine revoked",
        vec![(
            DocId::clinic(),
            Box::new(move |doc| {
                let listed = machines_in(doc)?.into_iter().find(|m| m.node_id == node);
                match listed {
                    Some(mut m) if !m.revoked => {
                        m.revoked = true;
                        put_machine(doc, &m)
                    }
                    _ => Ok(()),
                }
            }),
        )],
    )
    .map_err(written)
}
