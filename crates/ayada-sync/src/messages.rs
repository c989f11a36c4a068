//! The push / pull messages and their limits.

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks; a peer with another major version is refused.
pub const PROTOCOL_VERSION: u16 = 1;
/// The largest single change accepted (bytes). A visit with long notes is a few KB.
pub const MAX_CHANGE_BYTES: usize = 1024 * 1024;
/// The most changes in one push.
pub const MAX_BATCH_CHANGES: usize = 1000;
/// The most bytes of changes in one push.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// A position in a node's append-only change log: "everything after N".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Cursor(pub u64);

/// The kinds of document a clinic holds: the first part of every document id. A change for
/// anything else belongs to no clinic and is refused.
pub const DOC_KINDS: [&str; 7] = [
    "clinic",
    "patient",
    "appointments",
    "visits",
    "cashbook",
    "shift",
    "dayclose",
];

/// Whether `doc_id` names a document a clinic can hold (`patient/<uuid>`, `cashbook/<date>`…):
/// a known kind, and only plain id characters after it.
pub fn valid_doc_id(doc_id: &str) -> bool {
    let mut parts = doc_id.split('/');
    let kind = parts.next().unwrap_or_default();
    DOC_KINDS.contains(&kind)
        && doc_id.len() <= 128
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// One Automerge change as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireChange {
    /// The document it belongs to ("patient/…", "cashbook/2026-11-22"…).
    pub doc_id: String,
    /// The change hash, hex.
    pub hash: String,
    /// The raw change bytes (base64 in JSON).
    #[serde(with = "base64_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
    pub bytes: Vec<u8>,
}

/// Optional bytes as base64 in JSON (null when absent).
pub(crate) mod base64_opt {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| STANDARD.decode(text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// The owner's account enrolls a machine into their clinic.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The clinic owner's email on the server.
    pub email: String,
    /// The owner's password (sent over TLS in production; never logged).
    pub password: String,
    /// The machine's node id.
    pub node_id: String,
    /// The id of the clinic this machine already holds, if any.
    pub local_clinic_id: Option<String>,
    /// The machine's public key for the clinic's LAN (hex of a DER SubjectPublicKeyInfo):
    /// the server lists it in the clinic's document, so the clinic's other machines let
    /// this one sync with them directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lan_key: Option<String>,
    /// The owner's TOTP code, when the owner turned on two-step sign-in (never logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
}

/// The owner revokes one of the clinic's machines (a lost or stolen laptop); its device
/// credential stops working at once, its current access token when it expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeRequest {
    /// The clinic owner's email on the server.
    pub email: String,
    /// The owner's password (never logged).
    pub password: String,
    /// The node id of the machine to revoke.
    pub node_id: String,
    /// The owner's TOTP code, when the owner turned on two-step sign-in (never logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
}

/// The owner asks the server for the export of a clinic whose subscription ended
/// (`POST /owner/export`); the answer is the encrypted export itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    /// The clinic owner's email on the server.
    pub email: String,
    /// The owner's password (never logged).
    pub password: String,
    /// The owner's TOTP code, when two-step sign-in is on (never logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
    /// The passphrase the export is locked with (never logged, never kept).
    pub passphrase: String,
}

/// How many credentials of that machine were revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeResponse {
    /// Credentials revoked now (0 if it was revoked already).
    pub revoked: u32,
}

/// A machine's long-lived credential and what it joins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    /// Secret; exchanged for short-lived tokens. Stored encrypted on the machine.
    pub device_credential: String,
    /// The clinic's data id, which every machine of the clinic shares.
    pub clinic_id: String,
    /// The clinic's time zone.
    pub time_zone: String,
    /// True when this machine's clinic became the server clinic's data (the first machine).
    pub seeded: bool,
}

/// A machine asks for a short-lived access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    /// The device credential from enrollment.
    pub device_credential: String,
}

/// A short-lived access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer …`.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// "Here are my changes."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    /// Protocol version of the sender.
    pub version: u16,
    /// The changes, oldest first.
    pub changes: Vec<WireChange>,
    /// How many of the sender's changes are still to come after this batch (0: this batch
    /// empties its queue). Lets the server say whether every machine is caught up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    /// Where the sender's audit chain ends now; the server keeps the sequence it saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditHead>,
}

/// The end of a machine's audit chain: how many rows, and the newest row's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditHead {
    /// Rows in the chain.
    pub count: u64,
    /// The newest row's hash (hex), or "genesis" for an empty chain.
    pub hash: String,
}

/// An audit head the server received from the calling machine, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditAnchor {
    /// What the machine said.
    #[serde(flatten)]
    pub head: AuditHead,
    /// When (Unix seconds).
    pub received_at: i64,
}

/// `GET /v1/audit`: every audit head the calling machine has sent, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditAnchors {
    /// Protocol version of the server.
    pub version: u16,
    /// The heads.
    pub anchors: Vec<AuditAnchor>,
}

/// One enrolled machine as the server last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MachineStatus {
    /// Its node id.
    pub node_id: String,
    /// When it enrolled (Unix seconds).
    pub enrolled_at: i64,
    /// Its last push or pull (Unix seconds); None if it never synced.
    pub last_seen_at: Option<i64>,
    /// Changes it still held unsent after its last push; None if it never pushed.
    pub pending: Option<u64>,
    /// Whether the owner revoked it.
    pub revoked: bool,
}

/// The server's view of a clinic: how long its log is and where each machine stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusResponse {
    /// Protocol version of the server.
    pub version: u16,
    /// The last position of the clinic's log on the server.
    pub head: u64,
    /// Every machine enrolled into the clinic.
    pub machines: Vec<MachineStatus>,
    /// The clinic's storage on the server and its quota (older servers say nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
}

/// A message the server's portal sent (or is sending) to one of the clinic's patients, as
/// the clinic's owner sees it: what it was about and what became of it, never its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OutboxEntry {
    /// "code", "requested", "confirmed", "declined", "cancelled", "cancelled-by-you",
    /// "rescheduled", "reminder" or "review".
    pub kind: String,
    /// "queued", "sending", "sent", "delivered", "read" or "failed".
    pub state: String,
    /// Tries so far.
    pub attempts: u32,
    /// Why the last try failed, if it did.
    pub last_error: Option<String>,
    /// Unix seconds it was queued.
    pub queued_at: i64,
    /// The number's last three digits ("…678").
    pub to: String,
}

/// The clinic's latest messages to patients, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OutboxList {
    /// Protocol version of the server.
    pub version: u16,
    /// The messages.
    pub messages: Vec<OutboxEntry>,
}

/// How much of its quota a clinic uses on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Storage {
    /// Bytes used (changes and photos).
    pub used_bytes: u64,
    /// Bytes allowed.
    pub quota_bytes: u64,
}

/// Why one change of a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// The change's hash as sent.
    pub hash: String,
    /// A sentence saying why.
    pub reason: String,
}

/// Which changes of a push were made durable and which were refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// Hashes stored (or already known).
    pub accepted: Vec<String>,
    /// Hashes refused, with reasons.
    pub refused: Vec<Refusal>,
}

/// "Give me your changes after this cursor."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The last position already received.
    pub since: Cursor,
    /// At most this many.
    pub limit: u32,
}

/// One page of a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Protocol version of the sender.
    pub version: u16,
    /// The changes after the cursor, oldest first.
    pub changes: Vec<WireChange>,
    /// The cursor to ask from next.
    pub next: Cursor,
    /// Whether more pages follow.
    pub more: bool,
}

impl PullResponse {
    /// A page of a log after position `since`: `rows` (at most the page's limit, in order,
    /// with their positions) and `head`, the log's last position. The next page asks after
    /// the last row sent, so a page cut short by its limit says that more follow.
    pub fn page(since: u64, rows: Vec<(u64, WireChange)>, head: u64) -> PullResponse {
        let next = rows.last().map_or(since, |(seq, _)| *seq);
        PullResponse {
            version: PROTOCOL_VERSION,
            more: next < head,
            next: Cursor(next),
            changes: rows.into_iter().map(|(_, c)| c).collect(),
        }
    }
}

/// The most bytes of one blob (a prescription photo, already downscaled to 2000 px).
pub const MAX_BLOB_BYTES: usize = 10 * 1024 * 1024;
/// The most bytes of compacted documents in one bootstrap page.
pub const MAX_BOOTSTRAP_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Whether `sha256` is a blob name: 64 lowercase hex digits.
pub fn valid_blob_name(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// One compacted document of a bootstrap: every change of it the server held, saved whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireDoc {
    /// The document id.
    pub doc_id: String,
    /// `Automerge::save` of the document (base64 in JSON).
    #[serde(with = "base64_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
    pub bytes: Vec<u8>,
}

/// One page of a bootstrap: documents in id order after `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BootstrapResponse {
    /// Protocol version of the sender.
    pub version: u16,
    /// Every change at or before this position of the server's log is inside these
    /// documents; the machine pulls after it once the last page is in.
    pub as_of: Cursor,
    /// How many documents the clinic holds (for a progress bar).
    pub total: u64,
    /// The documents of this page.
    pub docs: Vec<WireDoc>,
    /// The id to ask after for the next page; None on the last page.
    pub next: Option<String>,
}

/// What the server tells connected machines over the WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The clinic's log head after the change that prompted it.
    pub head: u64,
}

/// A message that must be refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The peer speaks another protocol version.
    #[error("the other side speaks sync protocol {0}, this one speaks {PROTOCOL_VERSION}; update the older one")]
    Version(u16),
    /// Too many changes in one batch.
    #[error("a batch may hold at most {MAX_BATCH_CHANGES} changes, this one holds {0}; send it in parts")]
    TooManyChanges(usize),
    /// Too many bytes in one batch.
    #[error(
        "a batch may hold at most {MAX_BATCH_BYTES} bytes, this one holds {0}; send it in parts"
    )]
    BatchTooLarge(usize),
    /// The audit head is not a row count and a SHA-256.
    #[error("the audit head must be a row count and a SHA-256 in hex")]
    BadAuditHead,
}

impl PushRequest {
    /// Checks the whole batch; single oversized changes are refused one by one by
    /// `oversized`, so the rest of the batch still lands.
    pub fn check(&self) -> Result<(), SyncError> {
        if self.version != PROTOCOL_VERSION {
            return Err(SyncError::Version(self.version));
        }
        if self.changes.len() > MAX_BATCH_CHANGES {
            return Err(SyncError::TooManyChanges(self.changes.len()));
        }
        let bytes: usize = self.changes.iter().map(|c| c.bytes.len()).sum();
        if bytes > MAX_BATCH_BYTES {
            return Err(SyncError::BatchTooLarge(bytes));
        }
        if let Some(head) = &self.audit {
            let sha256 = head.hash.len() == 64 && head.hash.bytes().all(|b| b.is_ascii_hexdigit());
            if !(sha256 || (head.hash == "genesis" && head.count == 0)) {
                return Err(SyncError::BadAuditHead);
            }
        }
        Ok(())
    }

    /// The refusals for changes that are each over the size limit.
    pub fn oversized(&self) -> Vec<Refusal> {
        self.changes
            .iter()
            .filter(|c| c.bytes.len() > MAX_CHANGE_BYTES)
            .map(|c| Refusal {
                hash: c.hash.clone(),
                reason: format!(
                    "the change is {} bytes; the limit is {MAX_CHANGE_BYTES}",
                    c.bytes.len()
                ),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: usize) -> WireChange {
        WireChange {
            doc_id: "patient/x".into(),
            hash: format!("{n:064x}"),
            bytes: vec![0; n],
        }
    }

    #[test]
    fn batches_over_the_limits_or_from_another_version_are_refused_whole() {
        let ok = PushRequest {
            version: PROTOCOL_VERSION,
            changes: vec![change(10)],
            pending: None,
            audit: None,
        };
        assert_eq!(ok.check(), Ok(()));
        let old = PushRequest {
            version: 0,
            ..ok.clone()
        };
        assert_eq!(old.check(), Err(SyncError::Version(0)));
        let many = PushRequest {
            version: PROTOCOL_VERSION,
            changes: (0..=MAX_BATCH_CHANGES).map(|_| change(1)).collect(),
            pending: None,
            audit: None,
        };
        assert!(matches!(many.check(), Err(SyncError::TooManyChanges(_))));
        let big = PushRequest {
            version: PROTOCOL_VERSION,
            changes: (0..9).map(|_| change(MAX_CHANGE_BYTES)).collect(),
            pending: None,
            audit: None,
        };
        assert!(matches!(big.check(), Err(SyncError::BatchTooLarge(_))));
        let forged_head = PushRequest {
            audit: Some(AuditHead {
                count: 3,
                hash: "<script>".into(),
            }),
            ..ok.clone()
        };
        assert_eq!(forged_head.check(), Err(SyncError::BadAuditHead));
        assert!(big
            .check()
            .unwrap_err()
            .to_string()
            .contains("send it in parts"));
    }

    #[test]
    fn one_oversized_change_is_refused_alone() {
        let push = PushRequest {
            version: PROTOCOL_VERSION,
            changes: vec![change(5), change(MAX_CHANGE_BYTES + 1)],
            pending: Some(0),
            audit: None,
        };
        assert_eq!(push.check(), Ok(()));
        let refused = push.oversized();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].hash, push.changes[1].hash);
    }

    #[test]
    fn only_a_clinics_kinds_of_document_are_valid() {
        assert!(valid_doc_id("patient/0190a1b2-0000-7000-8000-000000000000"));
        assert!(valid_doc_id("cashbook/2026-11-22"));
        assert!(valid_doc_id("clinic"));
        for bad in [
            "users/1",
            "patient/../x",
            "patient//x",
            "",
            "patient/a b",
            "cashbook/2026-11-22/",
        ] {
            assert!(!valid_doc_id(bad), "{bad}");
        }
    }

    #[test]
    fn messages_round_trip_through_json() {
        let pull = PullResponse {
            version: PROTOCOL_VERSION,
            changes: vec![change(3)],
            next: Cursor(42),
            more: true,
        };
        let text = serde_json::to_string(&pull).unwrap();
        assert_eq!(serde_json::from_str::<PullResponse>(&text).unwrap(), pull);
    }
}
