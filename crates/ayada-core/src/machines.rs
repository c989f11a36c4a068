//! The clinic's machines as its document lists them, with the public key each proves itself
//! with on the clinic's LAN. The owner puts a machine's key there when it joins (from the
//! machine itself, or from any enrolled machine when the sync server cannot be reached) and
//! takes it back when the machine is lost; the list syncs like every other record, so a
//! revocation reaches the LAN by either path. A key not in the list, or revoked, opens
//! nothing: that is how a machine of another clinic is refused.

use ayada_model::clinic::{machines_in, put_machine, MACHINE_PREFIX};

use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::roles::Action;
use crate::store::Writer;

pub use ayada_model::clinic::MachineKey;

fn listed(w: &mut Writer<'_>) -> Result<Vec<MachineKey>> {
    Ok(machines_in(w.doc(&DocId::clinic())?)?)
}

fn put(w: &mut Writer<'_>, record: &MachineKey) -> Result<()> {
    let id = DocId::clinic();
    put_machine(w.doc(&id)?, record)?;
    w.touch(&id, &format!("{MACHINE_PREFIX}{}", record.node_id))
}

/// The most bytes of a public key (a DER SubjectPublicKeyInfo; P-256 is 91, RSA-4096 550).
const MAX_KEY_BYTES: usize = 600;

/// Puts machine `node`'s LAN key in the clinic's list (owner). A revoked machine stays
/// revoked: a lost laptop is enrolled again under a new node id, never given its old one.
pub(crate) fn certify(
    w: &mut Writer<'_>,
    node: &str,
    name: &str,
    key_hex: &str,
) -> Result<MachineKey> {
    w.allow(Action::ManageStaff)?;
    let node: crate::ids::NodeId = node
        .trim()
        .parse()
        .map_err(|_| CoreError::invalid("node", "not-a-node"))?;
    let key =
        hex::decode(key_hex.trim()).map_err(|_| CoreError::invalid("machine-key", "not-a-key"))?;
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(CoreError::invalid("machine-key", "not-a-key"));
    }
    let name = name.trim();
    if name.chars().count() > 80 {
        return Err(CoreError::invalid("name", "too-long"));
    }
    let existing = listed(w)?
        .into_iter()
        .find(|m| m.node_id == node.to_string());
    if existing.as_ref().is_some_and(|m| m.revoked) {
        return Err(CoreError::invalid("node", "machine-revoked"));
    }
    let record = MachineKey {
        node_id: node.to_string(),
        name: name.to_string(),
        key: hex::encode(key),
        revoked: false,
    };
    put(w, &record)?;
    Ok(record)
}

/// Takes machine `node`'s key back (owner).
pub(crate) fn revoke(w: &mut Writer<'_>, node: &str) -> Result<MachineKey> {
    w.allow(Action::ManageStaff)?;
    let mut record = listed(w)?
        .into_iter()
        .find(|m| m.node_id == node.trim())
        .ok_or_else(|| CoreError::not_found("machine", node.trim()))?;
    record.revoked = true;
    put(w, &record)?;
    Ok(record)
}

/// Every machine the clinic's document lists, revoked ones included.
pub(crate) fn read(conn: &rusqlite::Connection) -> Result<Vec<MachineKey>> {
    let doc = crate::store::load_doc(conn, &DocId::clinic())?.unwrap_or_default();
    Ok(machines_in(&doc)?)
}
