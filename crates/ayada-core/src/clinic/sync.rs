//! Replication: what needs a person after two machines wrote at once, and the change log,
//! documents and photos a sync round exchanges with the server.

use crate::error::{CoreError, Result};
use crate::photos;
use crate::roles::{Action, Session};
use crate::store;

use super::Clinic;

impl Clinic {
    /// What needs a person's decision: overlapping bookings for anyone at the desk, late
    /// payments for the owner.
    pub fn conflicts(&mut self, session: &Session) -> Result<Vec<crate::conflicts::Conflict>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let mut all = crate::conflicts::overlapping_bookings(&self.conn, &self.ctx.time)?;
        if session.allow(Action::ReadMoney).is_ok() {
            all.extend(crate::conflicts::late_payments(&self.conn, &self.ctx.time)?);
        }
        all.extend(crate::conflicts::field_values(&self.conn, session)?);
        all.extend(crate::conflicts::held_changes(&self.conn, &self.ctx.time)?);
        Ok(all)
    }

    /// Settles a concurrent edit by choosing one of the values the machines wrote; the choice
    /// is a new change that syncs like any other.
    pub fn settle_conflict(
        &mut self,
        session: &Session,
        doc_id: &str,
        record: &str,
        field: &str,
        value: &str,
    ) -> Result<()> {
        self.write(session, |w| {
            crate::conflicts::settle(w, doc_id, record, field, value)
        })
    }

    /// This machine's changes after log position `seq`, oldest first (for a peer's pull).
    pub fn changes_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> Result<Vec<crate::replication::LoggedChange>> {
        crate::replication::changes_after(&self.conn, seq, limit, None)
    }

    /// How many documents this machine holds.
    pub fn document_count(&self) -> Result<u64> {
        crate::replication::document_count(&self.conn)
    }

    /// The newest position of this machine's change log.
    pub fn log_head(&self) -> Result<i64> {
        crate::replication::log_head(&self.conn)
    }

    /// Every document's heads, read from storage (not the cache): equal on two machines
    /// exactly when they hold identical documents.
    pub fn document_heads(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
        crate::replication::document_heads(&self.conn)
    }

    /// Where and how this machine syncs, once enrolled.
    pub fn sync_settings(&self) -> Result<Option<crate::replication::SyncSettings>> {
        store::meta(&self.conn, "sync")?
            .map(|json| serde_json::from_str(&json).map_err(CoreError::from))
            .transpose()
    }

    /// Records where and how this machine syncs (the credential is kept in the encrypted store).
    pub fn set_sync_settings(&mut self, settings: &crate::replication::SyncSettings) -> Result<()> {
        store::set_meta(&self.conn, "sync", &serde_json::to_string(settings)?)
    }

    /// Checks and applies changes from a peer (see `replication::apply`).
    pub fn apply_changes(
        &mut self,
        incoming: &[crate::replication::IncomingChange],
    ) -> Result<crate::replication::ApplyReport> {
        crate::replication::apply(&mut self.conn, &mut self.cache, &self.ctx, incoming, None)
    }

    /// Like [`Clinic::apply_changes`], for changes received from the sync server: they are
    /// logged as the server's, so they are never pushed back to it.
    pub fn apply_server_changes(
        &mut self,
        incoming: &[crate::replication::IncomingChange],
    ) -> Result<crate::replication::ApplyReport> {
        self.apply_changes_from(incoming, crate::replication::SERVER_PEER)
    }

    /// Like [`Clinic::apply_changes`], for changes received from `peer` (the sync server, or
    /// a machine of the clinic on the LAN, by its node id): logged as that peer's, so they
    /// are never sent back to it.
    pub fn apply_changes_from(
        &mut self,
        incoming: &[crate::replication::IncomingChange],
        peer: &str,
    ) -> Result<crate::replication::ApplyReport> {
        crate::replication::apply(
            &mut self.conn,
            &mut self.cache,
            &self.ctx,
            incoming,
            Some(peer),
        )
    }

    /// The changes after log position `seq` that did not come from `peer`, oldest first:
    /// what a push to it sends. This machine's own, and those other machines gave it, so a
    /// change that crossed the LAN reaches the sync server even if its author never does.
    pub fn changes_for(
        &self,
        peer: &str,
        seq: i64,
        limit: usize,
    ) -> Result<Vec<crate::replication::LoggedChange>> {
        crate::replication::changes_after(&self.conn, seq, limit, Some(peer))
    }

    /// How many changes after log position `seq` did not come from `peer` (still to send it).
    pub fn count_for(&self, peer: &str, seq: i64) -> Result<u64> {
        crate::replication::count_for(&self.conn, peer, seq)
    }

    /// Where this machine stands with a machine of the clinic on the LAN (zero when never met).
    pub fn peer_cursors(&self, node: &str) -> Result<(u64, u64)> {
        Ok(store::meta(&self.conn, &format!("peer:{node}"))?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or((0, 0)))
    }

    /// Keeps where this machine stands with a machine of the clinic on the LAN.
    pub fn set_peer_cursors(&mut self, node: &str, sent: u64, received: u64) -> Result<()> {
        store::set_meta(
            &self.conn,
            &format!("peer:{node}"),
            &serde_json::to_string(&(sent, received))?,
        )
    }

    /// This machine's LAN identity (certificate and private key, DER), once made. Kept only
    /// in the encrypted store.
    pub fn lan_identity(&self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let Some(json) = store::meta(&self.conn, "lan_identity")? else {
            return Ok(None);
        };
        let (cert, key): (String, String) = serde_json::from_str(&json)?;
        let decode = |h: &str| {
            hex::decode(h).map_err(|_| CoreError::Document {
                detail: "the stored LAN identity does not read".into(),
            })
        };
        Ok(Some((decode(&cert)?, decode(&key)?)))
    }

    /// The machine this one joined the clinic through over the LAN, and its public key (hex),
    /// as the join code vouched for it: trusted until the clinic's own list names that machine
    /// (a new machine holds no list until its first round has loaded the clinic's document).
    pub fn lan_pin(&self) -> Result<Option<(String, String)>> {
        Ok(store::meta(&self.conn, "lan_pin")?
            .map(|json| serde_json::from_str(&json))
            .transpose()?)
    }

    /// Keeps the machine this one joined through, and its key.
    pub fn set_lan_pin(&mut self, node: &str, key_hex: &str) -> Result<()> {
        store::set_meta(
            &self.conn,
            "lan_pin",
            &serde_json::to_string(&(node, key_hex))?,
        )
    }

    /// Keeps this machine's LAN identity (certificate and private key, DER).
    pub fn set_lan_identity(&mut self, cert: &[u8], key: &[u8]) -> Result<()> {
        store::set_meta(
            &self.conn,
            "lan_identity",
            &serde_json::to_string(&(hex::encode(cert), hex::encode(key)))?,
        )
    }

    /// Loads a page of documents compacted by the sync server (a new machine's bootstrap).
    pub fn load_server_docs(&mut self, docs: &[(String, Vec<u8>)]) -> Result<usize> {
        crate::replication::load_docs(&mut self.conn, &mut self.cache, &self.ctx, docs)
    }

    /// A page of this machine's documents saved whole, after document id `after`, up to
    /// about `max_bytes`: what a machine of the clinic that holds nothing loads first.
    pub fn docs_page(
        &mut self,
        after: &str,
        max_bytes: usize,
    ) -> Result<crate::replication::DocsPage> {
        crate::replication::docs_page(&mut self.conn, after, max_bytes)
    }

    /// Photos made here that the sync server has not acknowledged yet (name, bytes).
    pub fn blobs_to_upload(&self, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        crate::replication::blobs_to_upload(&self.conn, limit)
    }

    /// Records that the sync server holds photo `sha256`.
    pub fn blob_uploaded(&self, sha256: &str) -> Result<()> {
        crate::replication::blob_uploaded(&self.conn, sha256)
    }

    /// Photos that visits name and this machine does not hold yet.
    pub fn wanted_blobs(&self, limit: usize) -> Result<Vec<String>> {
        crate::replication::wanted_blobs(&self.conn, limit)
    }

    /// Stores a photo received from the sync server, after checking it against its name and
    /// decoding it under the usual limits; a bad one is refused and nothing is stored.
    pub fn receive_blob(&mut self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        self.adopt_blob(sha256, bytes, true)
    }

    /// Like [`Clinic::receive_blob`], for a photo from another machine of the clinic: the
    /// sync server may not hold it yet, so this machine sends it there too.
    pub fn receive_blob_from_machine(&mut self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        self.adopt_blob(sha256, bytes, false)
    }

    fn adopt_blob(&mut self, sha256: &str, bytes: Vec<u8>, uploaded: bool) -> Result<()> {
        let photo = photos::adopt(sha256, bytes)?;
        let tx = self.conn.transaction()?;
        photos::store(&tx, &photo, uploaded)?;
        tx.commit()?;
        Ok(())
    }

    /// A photo's bytes as this machine holds them, for another machine of the clinic that
    /// asks (None when this machine does not hold it).
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        match photos::load(&self.conn, sha256, false) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(CoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
