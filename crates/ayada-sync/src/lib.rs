//! ayada-sync: replication without I/O. This crate holds the wire messages (versioned,
//! size-limited) that machines and the server exchange, the checks every receiver runs on
//! them before touching storage, and the one replication core ([`replica`]): a round with a
//! peer as a state machine that the HTTP client, the LAN peer and the in-memory test
//! network all drive, and the page rule ([`PullResponse::page`]) every answering side uses.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod messages;
pub mod replica;
pub mod screen;

pub use messages::{
    valid_blob_name, valid_doc_id, AuditAnchor, AuditAnchors, AuditHead, BootstrapResponse, Cursor,
    EnrollRequest, EnrollResponse, ExportRequest, MachineStatus, Notice, OutboxEntry, OutboxList,
    PullRequest, PullResponse, PushRequest, PushResponse, Refusal, RevokeRequest, RevokeResponse,
    StatusResponse, Storage, SyncError, TokenRequest, TokenResponse, WireChange, WireDoc,
};
pub use screen::screen;
