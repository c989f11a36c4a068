-- The local store. Documents and the change log are the truth; every table after the
-- "projections" line is rebuilt from the documents by rebuild_projections().

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A document is its snapshot plus the changes logged after snapshot_seq. The snapshot is
-- rewritten only every few dozen changes, so a write costs its change, not the document.
CREATE TABLE docs (
    doc_id       TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    snapshot_seq INTEGER NOT NULL,
    pending      INTEGER NOT NULL
);
CREATE INDEX docs_kind ON docs(kind);

-- Append-only; seq is this node's cursor for peers, hash dedupes changes from any peer.
CREATE TABLE changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    hash   BLOB NOT NULL UNIQUE,
    bytes  BLOB NOT NULL
);
CREATE INDEX changes_doc ON changes(doc_id, seq);

-- Tamper-evident: each row's hash covers its fields and the previous row's hash.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    node      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Content-addressed photos (already re-encoded and stripped), with their thumbnails.
CREATE TABLE blobs (
    sha256    TEXT PRIMARY KEY,
    mime      TEXT NOT NULL,
    width     INTEGER NOT NULL,
    height    INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    thumbnail BLOB NOT NULL
);

-- ---- projections ----

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    active        INTEGER NOT NULL,
    password_hash TEXT NOT NULL
);
CREATE INDEX staff_login ON staff(login);

CREATE TABLE visit_types (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    price   INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    active  INTEGER NOT NULL
);

CREATE TABLE insurers (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    active INTEGER NOT NULL
);

CREATE TABLE schedules (
    doctor_id TEXT PRIMARY KEY,
    json      TEXT NOT NULL
);

CREATE TABLE patients (
    rowid           INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    doc_id          TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_folded     TEXT NOT NULL,
    phone           TEXT NOT NULL,
    gender          TEXT,
    dob             TEXT,
    medical_history TEXT NOT NULL,
    allergies       TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX patients_name_folded ON patients(name_folded);
CREATE INDEX patients_phone ON patients(phone);
-- Trigram: substring search over folded names and every typed form of the phone number.
CREATE VIRTUAL TABLE patients_fts USING fts5(search, tokenize = 'trigram');

CREATE TABLE appointments (
    id          TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    doctor_id   TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    local_date  TEXT NOT NULL,
    visit_type  TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    source      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX appointments_day ON appointments(local_date, doctor_id, starts_at);
CREATE INDEX appointments_patient ON appointments(patient_id);
CREATE INDEX appointments_doctor ON appointments(doctor_id, starts_at);
CREATE INDEX appointments_doc ON appointments(doc_id);

CREATE TABLE visits (
    id             TEXT PRIMARY KEY,
    doc_id         TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    doctor_id      TEXT NOT NULL,
    visit_type     TEXT NOT NULL,
    vitals         TEXT NOT NULL,
    diagnoses      TEXT NOT NULL,
    notes          TEXT NOT NULL,
    photos         TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL
);
CREATE INDEX visits_patient ON visits(patient_id);
CREATE INDEX visits_appointment ON visits(appointment_id);
CREATE INDEX visits_doc ON visits(doc_id);

CREATE TABLE cash_entries (
    id             TEXT PRIMARY KEY,
    doc_id         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    method         TEXT NOT NULL,
    insurer        TEXT,
    category       TEXT,
    appointment_id TEXT,
    patient_id     TEXT,
    doctor_id      TEXT,
    visit_type     TEXT,
    refund_of      TEXT,
    shift_id       TEXT,
    note           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    local_date     TEXT NOT NULL,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX cash_day ON cash_entries(local_date, kind, method);
CREATE INDEX cash_shift ON cash_entries(shift_id);
CREATE INDEX cash_appointment ON cash_entries(appointment_id);
CREATE INDEX cash_doc ON cash_entries(doc_id);

CREATE TABLE shifts (
    id          TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    node        TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    opened_at   INTEGER NOT NULL,
    float       INTEGER NOT NULL,
    closed_at   INTEGER,
    closed_by   TEXT,
    counted     INTEGER,
    expected    INTEGER,
    difference  INTEGER,
    note        TEXT NOT NULL
);
CREATE INDEX shifts_open ON shifts(node, closed_at);
