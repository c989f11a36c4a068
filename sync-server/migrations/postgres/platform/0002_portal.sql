-- The booking portal: requests while the patient verifies, bookings made online, the
-- outbox of messages, and the clinics that send through their own WhatsApp number.
CREATE TABLE platform.portal_requests (
    id TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, doctor_id TEXT NOT NULL,
    visit_type_id TEXT NOT NULL, starts_at BIGINT NOT NULL, minutes BIGINT NOT NULL,
    name TEXT NOT NULL, phone TEXT NOT NULL, gender TEXT, dob TEXT, lang TEXT NOT NULL,
    code_hash TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, sends BIGINT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, last_sent_at BIGINT NOT NULL,
    address TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX portal_requests_slot ON platform.portal_requests (clinic_id, doctor_id, starts_at);
CREATE INDEX portal_requests_phone ON platform.portal_requests (clinic_id, phone, created_at);
CREATE INDEX portal_requests_address ON platform.portal_requests (address, created_at);
CREATE TABLE platform.portal_bookings (
    token_hash TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, appointment_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL, phone TEXT NOT NULL, name TEXT NOT NULL, lang TEXT NOT NULL,
    status_told TEXT NOT NULL, starts_told BIGINT NOT NULL, doctor_told TEXT NOT NULL,
    reminded TEXT NOT NULL DEFAULT '', review_sent BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL);
CREATE INDEX portal_bookings_clinic ON platform.portal_bookings (clinic_id);
CREATE TABLE platform.outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, clinic_id TEXT NOT NULL,
    chat_id TEXT NOT NULL, text TEXT NOT NULL, idem_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL,
    last_error TEXT, wa_id TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX outbox_due ON platform.outbox (state, next_at);
CREATE INDEX outbox_wa ON platform.outbox (wa_id);
CREATE INDEX outbox_clinic ON platform.outbox (clinic_id, id);
CREATE TABLE platform.clinic_waha (
    clinic_id TEXT PRIMARY KEY, base TEXT NOT NULL, api_key TEXT NOT NULL, session TEXT NOT NULL);
