-- Version 5: changes from a peer that could not be applied (their predecessors have not
-- arrived, or they do not fit their document) are kept aside instead of stopping the sync:
-- retried each time changes arrive, listed among the conflicts until they fit.
CREATE TABLE held_changes (
    hash BLOB PRIMARY KEY,
    doc_id TEXT NOT NULL,
    bytes BLOB NOT NULL,
    peer TEXT,
    reason TEXT NOT NULL,
    held_at INTEGER NOT NULL
);
