-- Version 3: where each logged change came from, which photos the server already holds,
-- and which photos visits name that this machine has not received yet.

-- NULL: made on this machine; otherwise the peer it came from ("server"). A machine pushes
-- only its own changes: the server already has what it sent.
ALTER TABLE changes ADD COLUMN peer TEXT;
CREATE INDEX changes_own ON changes(seq) WHERE peer IS NULL;

-- 1 once the sync server has acknowledged the photo.
ALTER TABLE blobs ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;

-- Photos named by a visit that came from a peer before the photo itself did.
CREATE TABLE blob_wants (
    sha256 TEXT PRIMARY KEY
);

-- ---- projection (rebuilt with the others) ----
-- A field that two machines set at the same time to different values: Automerge keeps one
-- as the value everybody sees and the other beside it; a person chooses.
CREATE TABLE field_conflicts (
    doc_id TEXT NOT NULL,
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    vals   TEXT NOT NULL,
    PRIMARY KEY (doc_id, record, field)
);

-- A whole document re-projected (sync, bootstrap, rebuild) first drops its rows by doc_id:
-- without these, each drop read every patient (a five-year bootstrap took 199 s).
CREATE INDEX patients_doc ON patients(doc_id);
CREATE INDEX shifts_doc ON shifts(doc_id);
