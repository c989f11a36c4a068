//! ayada-sync: replication without I/O. This crate holds the wire messages (versioned,
//! size-limited) that machines and the server exchange, and the checks every receiver runs
//! on them before touching storage. The state machine and the in-memory N-peer test network
//! come with the sync issue (#3); the HTTP client, the axum handlers and the tests will all
//! drive the same types.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod messages;

pub use messages::{
    valid_blob_name, valid_doc_id, AuditAnchor, AuditAnchors, AuditHead, BootstrapResponse, Cursor,
    EnrollRequest, EnrollResponse, MachineStatus, Notice, OutboxEntry, OutboxList, PullRequest,
    PullResponse, PushRequest, PushResponse, Refusal, RevokeRequest, RevokeResponse,
    StatusResponse, Storage, SyncError, TokenRequest, TokenResponse, WireChange, WireDoc,
};
