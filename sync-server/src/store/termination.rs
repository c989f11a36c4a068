//! A clinic leaving the platform: the operator ends its subscription, its owner may download
//! an encrypted export of everything for a window of days, and then its data is deleted so
//! that nothing of it can be read again: its key is destroyed first (every sealed copy of its
//! rows, backups included, is unreadable from that moment), then its rows and files go. A
//! tombstone stays: the clinic's row (name, slug, owner's email, no password), its payments,
//! its termination and the admin audit.

use super::StoreError;

/// The termination's table (SQLite; PostgreSQL's is a migration).
pub(super) const TERMINATION_TABLES: &str = "
CREATE TABLE IF NOT EXISTS terminations (
    clinic_id TEXT PRIMARY KEY, at INTEGER NOT NULL, delete_after INTEGER NOT NULL,
    by_admin TEXT NOT NULL, note TEXT NOT NULL, link_hash TEXT NOT NULL UNIQUE,
    deleted_at INTEGER);
";

/// A clinic's termination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    /// The clinic's platform id.
    pub clinic: String,
    /// When it was ended (Unix seconds).
    pub at: i64,
    /// When its data is deleted (Unix seconds): until then its owner may download it.
    pub delete_after: i64,
    /// The admin who ended it.
    pub by: String,
    /// Why (the operator's note).
    pub note: String,
    /// SHA-256 of the download link's token, hex (the link itself is only emailed).
    pub link_hash: String,
    /// When its data was deleted.
    pub deleted_at: Option<i64>,
}

/// Termination: what the console, the owner's download and the deletion sweep need.
pub trait TerminationStore {
    /// Ends a clinic's subscription; false if it was ended already (nothing changes).
    fn terminate(&self, termination: &Termination) -> Result<bool, StoreError>;
    /// A clinic's termination, if it was ended.
    fn termination(&self, clinic: &str) -> Result<Option<Termination>, StoreError>;
    /// The termination whose download link's token hashes to `link_hash`.
    fn termination_by_link(&self, link_hash: &str) -> Result<Option<Termination>, StoreError>;
    /// The clinics whose download window has passed at `now` and whose data still stands.
    fn due_deletions(&self, now: i64) -> Result<Vec<String>, StoreError>;
    /// The hashes of every photo a clinic holds, in order.
    fn blob_ids(&self, clinic: &str) -> Result<Vec<String>, StoreError>;
    /// Deletes a terminated clinic's data at `at`: its key first (its row emptied, so none is
    /// ever made again for the clinic), then its log, documents,
    /// photos and quarantine, its machines and what they reported, the portal's rows and its
    /// WhatsApp settings, its owner's password and second factor. Safe to run again after a
    /// failure part way, or on two replicas at once; true for the run that marked it deleted.
    fn delete_clinic_data(&self, clinic: &str, at: i64) -> Result<bool, StoreError>;
}

/// The platform's rows of a clinic deleted with its data, as (table, clinic column).
pub(super) const CLINIC_ROWS: &[(&str, &str)] = &[
    ("devices", "clinic_id"),
    ("device_status", "clinic_id"),
    ("audit_anchors", "clinic_id"),
    ("portal_requests", "clinic_id"),
    ("portal_bookings", "clinic_id"),
    ("outbox", "clinic_id"),
    ("clinic_waha", "clinic_id"),
    ("owner_totp", "clinic_id"),
    ("owner_invites", "clinic_id"),
    ("clinic_holds", "clinic_id"),
    ("sealed_clinics", "clinic_id"),
];
