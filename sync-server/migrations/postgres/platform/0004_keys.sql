-- Each clinic's key (and the platform's own, scope 'platform'), wrapped by the master key
-- that lives outside the database; destroying a row leaves that clinic's rows unreadable.
CREATE TABLE platform.clinic_keys (
    scope TEXT PRIMARY KEY, wrapped BYTEA NOT NULL, created_at BIGINT NOT NULL);
-- The clinics whose rows are sealed: an older server wrote them in clear, and the first
-- process of this version to open a clinic seals them, with this row, in one transaction.
CREATE TABLE platform.sealed_clinics (
    clinic_id TEXT PRIMARY KEY, sealed_at BIGINT NOT NULL);
