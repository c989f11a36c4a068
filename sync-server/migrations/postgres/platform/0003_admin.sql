-- The operator's console: platform admins, their sessions (the cookie's hash only) and the
-- admin audit log, append-only and hash-chained.
CREATE TABLE platform.admins (
    email TEXT PRIMARY KEY, password_hash TEXT NOT NULL, totp_secret TEXT,
    totp_enrolled BOOLEAN NOT NULL DEFAULT FALSE, last_totp_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL);
CREATE TABLE platform.admin_sessions (
    token_hash TEXT PRIMARY KEY, email TEXT NOT NULL, stage TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL);
CREATE TABLE platform.admin_audit (
    seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, admin TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, address TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
-- Billing: tiers by staff count, payments recorded by hand, suspensions by hand.
CREATE TABLE platform.tiers (
    id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, min_staff BIGINT NOT NULL,
    max_staff BIGINT, monthly_piastres BIGINT NOT NULL);
CREATE TABLE platform.payments (
    id BIGSERIAL PRIMARY KEY, clinic_id TEXT NOT NULL REFERENCES platform.clinics (id),
    amount_piastres BIGINT NOT NULL, paid_on TEXT NOT NULL, method TEXT NOT NULL,
    reference TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
    tier TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at BIGINT NOT NULL);
CREATE INDEX payments_clinic ON platform.payments (clinic_id, period_to);
CREATE TABLE platform.clinic_holds (
    clinic_id TEXT PRIMARY KEY REFERENCES platform.clinics (id), note TEXT NOT NULL,
    since BIGINT NOT NULL);
-- Email through Resend, kept before it is sent; owners' one-time invitation links.
CREATE TABLE platform.emails (
    id BIGSERIAL PRIMARY KEY, to_addr TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    idem_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL, last_error TEXT,
    resend_id TEXT, created_at BIGINT NOT NULL);
CREATE INDEX emails_due ON platform.emails (state, next_at);
CREATE TABLE platform.owner_invites (
    token_hash TEXT PRIMARY KEY, clinic_id TEXT NOT NULL REFERENCES platform.clinics (id),
    email TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
-- The owners' second factor (two-step sign-in on their server account).
CREATE TABLE platform.owner_totp (
    clinic_id TEXT PRIMARY KEY REFERENCES platform.clinics (id), secret TEXT NOT NULL,
    enrolled BOOLEAN NOT NULL DEFAULT FALSE, last_step BIGINT NOT NULL DEFAULT 0);
CREATE FUNCTION platform.admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the admin audit log is append-only';
END $$;
CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON platform.admin_audit
    FOR EACH ROW EXECUTE FUNCTION platform.admin_audit_append_only();
