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
CREATE FUNCTION platform.admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the admin audit log is append-only';
END $$;
CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON platform.admin_audit
    FOR EACH ROW EXECUTE FUNCTION platform.admin_audit_append_only();
