//! What every receiver checks of a change before its document sees it: the server on a
//! push, a machine answering a LAN peer's push, a machine taking a pull page. A peer
//! (stolen, buggy or hostile) may send anything; these are the checks that need no document.

use automerge::Change;

use crate::messages::{valid_doc_id, WireChange, MAX_CHANGE_BYTES};

/// Checks a change's size, its document's name, its decoding and its hash, and answers it
/// decoded; a refusal says why, in words a log and the sender can show.
pub fn screen(doc_id: &str, hash: &str, bytes: &[u8]) -> Result<Change, String> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(format!(
            "the change is {} bytes; the limit is {MAX_CHANGE_BYTES}",
            bytes.len()
        ));
    }
    if !valid_doc_id(doc_id) {
        return Err("it names no document a clinic can hold".into());
    }
    let decoded = Change::from_bytes(bytes.to_vec())
        .map_err(|_| "it does not decode as an Automerge change".to_string())?;
    if hex::encode(decoded.hash().0) != hash {
        return Err("its hash does not match its bytes".into());
    }
    Ok(decoded)
}

impl WireChange {
    /// [`screen`] for a change as it travels.
    pub fn screen(&self) -> Result<Change, String> {
        screen(&self.doc_id, &self.hash, &self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_change() -> Change {
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "name", "Nour")
            .unwrap();
        doc.get_last_local_change().unwrap().clone()
    }

    #[test]
    fn a_sound_change_passes_and_each_flaw_is_named() {
        let mut change = a_change();
        let (bytes, hash) = (change.bytes().to_vec(), hex::encode(change.hash().0));
        assert!(screen("patient/p1", &hash, &bytes).is_ok());
        let refused = |doc: &str, hash: &str, bytes: &[u8]| screen(doc, hash, bytes).unwrap_err();
        assert!(refused("nonsense/p1", &hash, &bytes).contains("no document"));
        assert!(refused("patient/p1", &hash, b"not automerge").contains("does not decode"));
        assert!(refused("patient/p1", &"0".repeat(64), &bytes).contains("hash does not match"));
        let huge = vec![0u8; MAX_CHANGE_BYTES + 1];
        assert!(refused("patient/p1", &hash, &huge).contains("the limit is"));
    }
}
