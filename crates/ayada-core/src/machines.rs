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

// ---- joining over the LAN while the server is away ----

/// How long an invitation to join over the LAN stays open.
pub const INVITE_MINUTES: i64 = 15;
/// Wrong secrets an open invitation takes before it closes (a guesser gets three tries at
/// 80 bits, not a million).
const INVITE_TRIES: u32 = 3;
/// Where the open invitation is kept (only its secret's hash).
const INVITE_META: &str = "lan_invite";

/// The open invitation, as this machine keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Pending {
    /// SHA-256 of the secret, hex.
    hash: String,
    expires_at: i64,
    /// The owner who opened it: the new machine is listed on their authority.
    by: String,
    tries: u32,
}

/// An invitation for one new machine to join the clinic through this one. The secret goes
/// to the new machine by hand (inside the join code); only its hash is kept here.
#[derive(Clone, PartialEq, Eq)]
pub struct MachineInvite {
    /// 80 random bits.
    pub secret: [u8; 10],
    /// When it closes if unused.
    pub expires_at: jiff::Timestamp,
}

impl std::fmt::Debug for MachineInvite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("MachineInvite")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn secret_hash(secret: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret))
}

/// Opens an invitation (owner), replacing any earlier one.
pub(crate) fn invite(w: &mut Writer<'_>) -> Result<MachineInvite> {
    w.allow(Action::ManageStaff)?;
    let mut secret = [0u8; 10];
    getrandom::fill(&mut secret).map_err(|e| CoreError::Storage {
        detail: format!("no random source: {e}"),
    })?;
    let expires_at = w.now + jiff::SignedDuration::from_mins(INVITE_MINUTES);
    let pending = Pending {
        hash: secret_hash(&secret),
        expires_at: expires_at.as_second(),
        by: w.session.login.clone(),
        tries: 0,
    };
    crate::store::set_meta(&w.tx, INVITE_META, &serde_json::to_string(&pending)?)?;
    w.audit("invite-machine", "");
    Ok(MachineInvite { secret, expires_at })
}

fn pending(conn: &rusqlite::Connection, now: jiff::Timestamp) -> Result<Option<Pending>> {
    let Some(json) = crate::store::meta(conn, INVITE_META)? else {
        return Ok(None);
    };
    let pending: Pending = serde_json::from_str(&json)?;
    Ok((pending.expires_at > now.as_second()).then_some(pending))
}

/// Whether an invitation is open now (the LAN side lets an unlisted machine say hello only
/// then).
pub(crate) fn invite_open(conn: &rusqlite::Connection, now: jiff::Timestamp) -> Result<bool> {
    Ok(pending(conn, now)?.is_some())
}

/// Closes the open invitation, if any.
pub(crate) fn forget_invite(conn: &rusqlite::Connection) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [INVITE_META])?;
    Ok(())
}

/// Checks `secret` against the open invitation. Right: the invitation is used up and the
/// owner who opened it answers, to list the new machine on their authority. Wrong: it counts
/// a try, and the third closes it.
pub(crate) fn redeem(
    conn: &rusqlite::Connection,
    now: jiff::Timestamp,
    secret: &[u8],
) -> Result<String> {
    let closed = || CoreError::invalid("invitation", "no-invitation");
    let mut open = pending(conn, now)?.ok_or_else(closed)?;
    // Hashes are compared, not secrets: how long the comparison takes tells of the hash.
    if secret_hash(secret) != open.hash {
        open.tries += 1;
        if open.tries >= INVITE_TRIES {
            forget_invite(conn)?;
        } else {
            crate::store::set_meta(conn, INVITE_META, &serde_json::to_string(&open)?)?;
        }
        return Err(CoreError::invalid("invitation", "wrong-invitation"));
    }
    forget_invite(conn)?;
    Ok(open.by)
}
