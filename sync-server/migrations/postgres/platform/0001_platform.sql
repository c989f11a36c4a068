-- The platform's tables: clinics, their enrolled machines and what each last said.
CREATE TABLE platform.clinics (
    id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    owner_email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    data_clinic_id TEXT, time_zone TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE platform.devices (
    credential_hash TEXT COLLATE "C" PRIMARY KEY, clinic_id TEXT NOT NULL REFERENCES platform.clinics (id),
    node_id TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX devices_clinic ON platform.devices (clinic_id, node_id);
CREATE TABLE platform.device_status (
    clinic_id TEXT NOT NULL, node_id TEXT NOT NULL, last_seen_at BIGINT NOT NULL,
    pending BIGINT, PRIMARY KEY (clinic_id, node_id));
-- Where each machine's audit chain ended at its pushes: outside the machine, so a past
-- rewritten there with its chain recomputed is still caught.
CREATE TABLE platform.audit_anchors (
    clinic_id TEXT NOT NULL, node_id TEXT NOT NULL, count BIGINT NOT NULL,
    hash TEXT NOT NULL, received_at BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, node_id, count));
-- The keys every replica must share (token signing, the portal's links).
CREATE TABLE platform.secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
