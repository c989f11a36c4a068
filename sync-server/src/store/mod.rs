//! Server storage: the platform's tables (clinics, enrolled machines, the portal's) and each
//! clinic's change log kept apart. Two backends behind one trait: SQLite files (embedded, the
//! default: a database per clinic) and PostgreSQL (a schema per clinic, for several replicas).
//! The log's rules are written once ([`log`]) over the few reads and writes each backend gives.

pub mod admin;
mod admin_postgres;
mod admin_sqlite;
mod files;
mod guesses_postgres;
mod log;
pub mod migrate;
mod migrate_console;
mod portal;
mod portal_postgres;
mod portal_sqlite;
mod postgres;
mod postgres_conn;
mod postgres_log;
mod postgres_news;
mod postgres_seal;
mod reseal;
mod sqlite;
mod sqlite_log;
pub mod termination;
mod termination_postgres;
mod termination_sqlite;
pub mod vault;

pub use admin::{
    AdminAuditRow, AdminRecord, AdminSession, AdminStore, ClinicAccount, Email, EmailOutcome,
    Payment, Tier,
};
pub use portal::{OutMessage, PortalBooking, PortalRequest, PortalStore};
pub use postgres::PgStore;
pub use postgres::{schema_of, CLINIC_TABLES};
pub use postgres_news::APPLICATION as NEWS_APPLICATION;
pub use sqlite::{SqliteStore, MASTER_KEY_FILE};
pub use termination::{Termination, TerminationStore};
pub use vault::MasterKey;

/// The time now, Unix seconds.
pub fn unix_now() -> i64 {
    sqlite::now()
}

use ayada_sync::{AuditAnchor, AuditHead, MachineStatus, WireChange, WireDoc};

/// Something the store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("storage failed: {0}")]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("storage failed: {0}")]
    Pg(#[from] r2d2_postgres::postgres::Error),
    /// No connection to PostgreSQL could be had.
    #[error("storage failed: {0}")]
    Pool(#[from] r2d2_postgres::r2d2::Error),
    /// A file could not be created.
    #[error("storage failed: {0}")]
    Io(#[from] std::io::Error),
    /// A stored document could not be compacted.
    #[error("a stored document is damaged: {0}")]
    Doc(String),
    /// The slug or email is taken.
    #[error("a clinic with this {0} already exists")]
    Taken(&'static str),
    /// A sealed record or key does not open (a wrong master key, or damage); never says
    /// what the record holds.
    #[error("sealed data does not open: {0}")]
    Sealed(String),
}

impl StoreError {
    /// Whether the disk (or the filesystem holding the data folder) is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Db(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            StoreError::Io(e) => e.kind() == std::io::ErrorKind::StorageFull,
            StoreError::Pg(e) => {
                e.code() == Some(&r2d2_postgres::postgres::error::SqlState::DISK_FULL)
            }
            _ => false,
        }
    }
}

/// A clinic on the platform.
#[derive(Debug, Clone)]
pub struct ClinicRecord {
    /// Platform id of the clinic (its database's name).
    pub id: String,
    /// Short unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The owner's login email.
    pub owner_email: String,
    /// Argon2id hash of the owner's password.
    pub password_hash: String,
    /// The clinic data id its machines share, once the first machine has enrolled.
    pub data_clinic_id: Option<String>,
    /// The clinic's time zone.
    pub time_zone: String,
}

/// What an append did.
#[derive(Debug)]
pub struct Appended {
    /// What became of each change, in order.
    pub admissions: Vec<Admission>,
    /// The log's last position, when this append added to it (nothing new: `None`).
    pub head: Option<u64>,
}

/// An enrolled machine.
#[derive(Debug, Clone)]
pub struct Device {
    /// The platform clinic it belongs to.
    pub clinic_id: String,
    /// Its node id.
    pub node_id: String,
    /// The hash of its credential.
    pub credential_hash: String,
    /// Whether the owner revoked it.
    pub revoked: bool,
}

/// What the server keeps.
pub trait Store: PortalStore + AdminStore + TerminationStore + Send + Sync + 'static {
    /// Adds a clinic.
    fn create_clinic(&self, record: &ClinicRecord) -> Result<(), StoreError>;
    /// Finds a clinic by its owner's email.
    fn clinic_by_email(&self, email: &str) -> Result<Option<ClinicRecord>, StoreError>;
    /// Records the data id of a clinic whose first machine enrolled, unless one is recorded
    /// already (compare-and-set: of two machines seeding at once, one wins); true if this
    /// call set it.
    fn set_data_clinic(&self, clinic: &str, data_id: &str) -> Result<bool, StoreError>;
    /// Enrolls a machine with the hash of its credential.
    fn add_device(&self, clinic: &str, node: &str, credential_hash: &str)
        -> Result<(), StoreError>;
    /// Finds a machine by the hash of its credential.
    fn device(&self, credential_hash: &str) -> Result<Option<Device>, StoreError>;
    /// Appends to a clinic's log (durably) each change that fits the document it is filed
    /// under (see [`crate::fit`]); answers what became of each, in order, and the log's head
    /// when the append added to it.
    fn append(
        &self,
        clinic: &str,
        node: &str,
        changes: &[Decoded<'_>],
    ) -> Result<Appended, StoreError>;
    /// Re-reads a clinic's whole log with the rules a push now follows, and moves every change
    /// an older server accepted against them into quarantine (kept, never served).
    fn check_clinic(&self, clinic: &str) -> Result<CheckReport, StoreError>;
    /// Every clinic's platform id, but those whose data was deleted (their tombstones).
    fn clinic_ids(&self) -> Result<Vec<String>, StoreError>;
    /// Bytes a clinic's changes and photos take on the server.
    fn usage(&self, clinic: &str) -> Result<u64, StoreError>;
    /// Keeps an audit head a machine sent (append-only: the first hash for a row count
    /// stays); false if the machine once sent another hash for that count.
    fn record_audit_head(
        &self,
        clinic: &str,
        node: &str,
        head: &AuditHead,
    ) -> Result<bool, StoreError>;
    /// Every audit head a machine sent, oldest first.
    fn audit_anchors(&self, clinic: &str, node: &str) -> Result<Vec<AuditAnchor>, StoreError>;
    /// A page of a clinic's log after `since`, and the last position.
    fn after(
        &self,
        clinic: &str,
        since: u64,
        limit: u32,
    ) -> Result<(Vec<(u64, WireChange)>, u64), StoreError>;
    /// How many changes a clinic's log holds.
    fn log_len(&self, clinic: &str) -> Result<u64, StoreError>;
    /// The last position of a clinic's log (0 when empty).
    fn head(&self, clinic: &str) -> Result<u64, StoreError>;
    /// Where wrong password guesses are counted for every process serving this store, when
    /// several may (PostgreSQL). None: each process counts its own (a SQLite folder has one
    /// server).
    fn guess_ledger(&self) -> Option<&dyn GuessLedger> {
        None
    }
    /// Notes when machines synced, in one write ([`crate::contacts`] gathers them). A note
    /// older than the one kept changes nothing; a pull's (no `pending`) keeps the count the
    /// last push said.
    fn seen(&self, seen: &[Seen]) -> Result<(), StoreError>;
    /// Every machine enrolled into a clinic, with where it stood when last seen.
    fn machines(&self, clinic: &str) -> Result<Vec<MachineStatus>, StoreError>;
    /// Revokes every credential of machine `node` of `clinic`; None if the clinic has no
    /// such machine, else how many were still active.
    fn revoke(&self, clinic: &str, node: &str) -> Result<Option<u32>, StoreError>;
    /// Whether machine `node` of `clinic` holds the credential named `cred`
    /// ([`crate::auth::credential_id`]) and it is not revoked.
    fn credential_active(&self, clinic: &str, node: &str, cred: &str) -> Result<bool, StoreError>;
    /// Stores a blob of a clinic (durably); false if it was already there.
    fn put_blob(
        &self,
        clinic: &str,
        sha256: &str,
        bytes: &[u8],
        node: &str,
    ) -> Result<bool, StoreError>;
    /// A blob of a clinic, if that clinic holds it.
    fn blob(&self, clinic: &str, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Brings the stored compaction of one document of a clinic up to the log's end, so the
    /// next bootstrap finds it ready.
    fn compact(&self, clinic: &str, doc_id: &str) -> Result<(), StoreError>;
    /// A page of the clinic's documents compacted from its log, in id order after `after`,
    /// up to about `max_bytes`.
    fn bootstrap(
        &self,
        clinic: &str,
        after: Option<&str>,
        max_bytes: usize,
    ) -> Result<BootstrapPage, StoreError>;
    /// A 32-byte secret of the platform (token signing, the portal's links), made on first
    /// use and the same for every process serving this store.
    fn secret(&self, name: &str) -> Result<Vec<u8>, StoreError>;
    /// Calls `heard` with (clinic, machine, head) for each append another process serving
    /// this store made, for as long as the store lives; false when the backend has no such
    /// news (one process). A wake-up only: a news item can be lost, the log cannot.
    fn listen(&self, heard: Heard) -> Result<bool, StoreError> {
        let _ = heard;
        Ok(false)
    }
    /// Holds a clinic's authoring lock, across every process serving this store, until the
    /// guard is dropped: the portal writes as one actor on every replica, and two of its
    /// writes at once would take one sequence number. (One process needs nothing more than
    /// its own lock.)
    fn author_lock(&self, clinic: &str) -> Result<Box<dyn std::any::Any>, StoreError> {
        let _ = clinic;
        Ok(Box::new(()))
    }
}

/// Wrong password guesses kept in the store, for every process serving it (several replicas
/// on PostgreSQL) to count together. Keys are kept as keyed digests, never as the emails and
/// addresses they name.
pub trait GuessLedger: Send + Sync {
    /// For each key, in order: how many wrong guesses were made at or after `since` (Unix
    /// ms), and when the oldest of those was (0 when none).
    fn guesses(&self, keys: &[String], since: i64) -> Result<Vec<(i64, i64)>, StoreError>;
    /// A wrong guess for each key at `at` (Unix ms); every key's guesses from before
    /// `forget_before` are dropped.
    fn guessed(&self, keys: &[String], at: i64, forget_before: i64) -> Result<(), StoreError>;
    /// Forgets every wrong guess of `key`.
    fn forget_guesses(&self, key: &str) -> Result<(), StoreError>;
}

/// A machine's contact: when it synced (Unix seconds) and, after a push, what it said it
/// still holds unsent (None after a pull).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The clinic's platform id.
    pub clinic: String,
    /// The machine.
    pub node: String,
    /// When, in Unix seconds.
    pub at: i64,
    /// Changes it said it holds unsent (after a push).
    pub pending: Option<u64>,
}

impl Seen {
    /// The count as the stores keep it.
    fn pending_i64(&self) -> Option<i64> {
        self.pending.map(|p| p.min(i64::MAX as u64) as i64)
    }
}

/// What another process serving the store did to a machine of a clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// Appended the machine's changes to the clinic's log, up to this head.
    Head(u64),
    /// Revoked the machine.
    Revoked,
    /// The news stopped (its connection broke; `true`) or is heard again (`false`): what was
    /// said in between is lost. Said with no clinic and no machine.
    Lost(bool),
}

/// What [`Store::listen`] calls: (clinic, machine, what happened).
pub type Heard = Box<dyn Fn(&str, &str, News) + Send + Sync>;

/// A change of a push, decoded by the route that received it.
pub struct Decoded<'a> {
    /// As it came.
    pub wire: &'a WireChange,
    /// Its decoding.
    pub change: automerge::Change,
}

/// What became of one pushed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Appended to the log.
    New,
    /// The log held it already.
    Known,
    /// It does not fit its document; why.
    Refused(String),
}

/// What `check_clinic` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    /// Changes read.
    pub changes: u64,
    /// Changes moved into quarantine: their document, hash and the reason.
    pub quarantined: Vec<(String, String, String)>,
}

/// A page of compacted documents.
#[derive(Debug, Clone, Default)]
pub struct BootstrapPage {
    /// The documents.
    pub docs: Vec<WireDoc>,
    /// Every change up to this log position is inside the page's documents.
    pub as_of: u64,
    /// How many documents the clinic holds.
    pub total: u64,
    /// The id after which the next page starts, if there is one.
    pub next: Option<String>,
}
