-- Clinics whose subscription ended: their owner's download window, then the deletion of
-- their data (the row stays, with when it was deleted).
CREATE TABLE platform.terminations (
    clinic_id TEXT PRIMARY KEY, at BIGINT NOT NULL, delete_after BIGINT NOT NULL,
    by_admin TEXT NOT NULL, note TEXT NOT NULL, link_hash TEXT NOT NULL UNIQUE,
    deleted_at BIGINT);
