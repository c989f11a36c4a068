//! What the operator's console keeps in the platform database: the platform admins (an
//! Argon2id password and a TOTP secret each), their sessions (kept only as a hash of the
//! cookie), and the admin audit log, append-only and hash-chained so that a row changed or
//! taken out afterwards breaks the chain the console checks. No patient's data is here.

use sha2::{Digest, Sha256};

use super::vault::Sealer;
use super::{ClinicRecord, StoreError};

/// The console's tables in the SQLite platform database (PostgreSQL: the migration
/// `0003_admin.sql`). The audit log refuses UPDATE and DELETE.
pub(super) const ADMIN_TABLES: &str = "
CREATE TABLE IF NOT EXISTS admins (
    email TEXT PRIMARY KEY, password_hash TEXT NOT NULL, totp_secret TEXT,
    totp_enrolled INTEGER NOT NULL DEFAULT 0, last_totp_step INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash TEXT PRIMARY KEY, email TEXT NOT NULL, stage TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS admin_audit (
    seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, admin TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, address TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tiers (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, min_staff INTEGER NOT NULL,
    max_staff INTEGER, monthly_piastres INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY, clinic_id TEXT NOT NULL, amount_piastres INTEGER NOT NULL,
    paid_on TEXT NOT NULL, method TEXT NOT NULL, reference TEXT NOT NULL,
    period_from TEXT NOT NULL, period_to TEXT NOT NULL, tier TEXT NOT NULL,
    recorded_by TEXT NOT NULL, recorded_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS payments_clinic ON payments (clinic_id, period_to);
CREATE TABLE IF NOT EXISTS clinic_holds (
    clinic_id TEXT PRIMARY KEY, note TEXT NOT NULL, since INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS emails (
    id INTEGER PRIMARY KEY, to_addr TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    idem_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT,
    resend_id TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS emails_due ON emails (state, next_at);
CREATE TABLE IF NOT EXISTS owner_invites (
    token_hash TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, email TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS owner_totp (
    clinic_id TEXT PRIMARY KEY, secret TEXT NOT NULL, enrolled INTEGER NOT NULL DEFAULT 0,
    last_step INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER IF NOT EXISTS admin_audit_no_update BEFORE UPDATE ON admin_audit
    BEGIN SELECT RAISE(ABORT, 'the admin audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS admin_audit_no_delete BEFORE DELETE ON admin_audit
    BEGIN SELECT RAISE(ABORT, 'the admin audit log is append-only'); END;
";

/// A subscription tier: the clinics whose active staff is in its range pay its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Its id (0 for a new one).
    pub id: i64,
    /// What the operator calls it ("Small clinic").
    pub name: String,
    /// The fewest active staff it covers.
    pub min_staff: i64,
    /// The most, or None: no upper bound.
    pub max_staff: Option<i64>,
    /// Its monthly price, piastres.
    pub monthly_piastres: i64,
}

/// A payment the operator recorded by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Its id (0 before it is kept).
    pub id: i64,
    /// The clinic's platform id.
    pub clinic: String,
    /// Piastres.
    pub amount_piastres: i64,
    /// "YYYY-MM-DD".
    pub paid_on: String,
    /// "cash", "bank-transfer", "instapay" or "wallet".
    pub method: String,
    /// The transfer's or receipt's reference, or empty.
    pub reference: String,
    /// The period it pays for, "YYYY-MM-DD" both, inclusive.
    pub period_from: String,
    /// The last day it pays for.
    pub period_to: String,
    /// The tier it paid for (its name then).
    pub tier: String,
    /// The admin who recorded it.
    pub recorded_by: String,
}

/// What the platform knows of a clinic's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicAccount {
    /// When the clinic was made (Unix seconds).
    pub created_at: i64,
    /// Its time zone (its days are its own).
    pub time_zone: String,
    /// The last day paid for, if any payment was recorded.
    pub paid_through: Option<String>,
    /// The operator's suspension and its note, if suspended by hand.
    pub held: Option<String>,
    /// Whether the platform bills at all (it has tiers): a server with none (one clinic's
    /// own, self-hosted) never suspends a clinic for want of payment.
    pub billed: bool,
    /// When its subscription was ended, if it was: until when its data is kept (Unix
    /// seconds), and whether it is deleted already.
    pub ended: Option<(i64, bool)>,
}

/// An email to send through Resend, kept before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Its id (0 before it is kept).
    pub id: i64,
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (it may hold a one-time link: never logged).
    pub body: String,
    /// Unique per event; also Resend's `Idempotency-Key`, so a retry is never a second mail.
    pub idem_key: String,
    /// "owner-invite", "password-changed"…
    pub kind: String,
    /// "queued", "sent" or "failed".
    pub state: String,
    /// Tries so far.
    pub attempts: u32,
    /// When it is tried next (Unix seconds).
    pub next_at: i64,
    /// Why the last try failed (Resend's answer, never the body).
    pub last_error: Option<String>,
    /// Resend's id once sent.
    pub resend_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// What became of an email's try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOutcome {
    /// "queued" (to try again), "sent" or "failed".
    pub state: String,
    /// Tries so far.
    pub attempts: u32,
    /// When to try again.
    pub next_at: i64,
    /// Why it failed.
    pub last_error: Option<String>,
    /// Resend's id.
    pub resend_id: Option<String>,
}

impl Email {
    /// A new email for event `idem_key`, to be tried first at `next_at` (Unix seconds).
    pub fn queued(
        to: &str,
        kind: &str,
        idem_key: &str,
        subject: String,
        body: String,
        next_at: i64,
    ) -> Email {
        Email {
            id: 0,
            to: to.to_string(),
            subject,
            body,
            idem_key: idem_key.to_string(),
            kind: kind.to_string(),
            state: "queued".into(),
            attempts: 0,
            next_at,
            last_error: None,
            resend_id: None,
            created_at: 0,
        }
    }

    /// As the store keeps it: the body (it may hold a one-time link) sealed with the
    /// platform's key.
    pub(super) fn sealed(&self, platform: &Sealer) -> Email {
        Email {
            body: platform.seal_text(&format!("emails/{}", self.idem_key), &self.body),
            ..self.clone()
        }
    }

    /// As the store read it, opened.
    pub(super) fn opened(self, platform: &Sealer) -> Result<Email, StoreError> {
        Ok(Email {
            body: platform.open_text(&format!("emails/{}", self.idem_key), &self.body)?,
            ..self
        })
    }
}

/// The row an admin's TOTP secret is sealed as (with the platform's key).
pub(super) fn admin_totp_row(email: &str) -> String {
    format!("admins/{email}/totp")
}

/// The row an owner's TOTP secret is sealed as (with the clinic's key).
pub(super) fn owner_totp_row(clinic: &str) -> String {
    format!("owner_totp/{clinic}")
}

/// The `prev` of the first row of the chain.
pub const GENESIS: &str = "genesis";

/// A platform admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRecord {
    /// Their login.
    pub email: String,
    /// Argon2id (PHC string).
    pub password_hash: String,
    /// Base32, once made (at the first login); secret.
    pub totp_secret: Option<String>,
    /// Whether a code from that secret has been shown once (enrollment done).
    pub totp_enrolled: bool,
    /// The last TOTP time step used: a code is taken once.
    pub last_totp_step: i64,
}

/// One console session, as kept (the cookie itself never is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    /// SHA-256 of the cookie's token, hex.
    pub token_hash: String,
    /// The admin.
    pub email: String,
    /// "password" (the second factor is still to come) or "full".
    pub stage: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request.
    pub last_seen: i64,
}

/// One row of the admin audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAuditRow {
    /// Its place in the chain, from 1.
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who (an admin's email, or the command line).
    pub admin: String,
    /// What ("login", "totp-enrolled", "admin-created"…).
    pub action: String,
    /// On what (a clinic's id, an email), or empty.
    pub subject: String,
    /// The client address, or empty.
    pub address: String,
    /// The hash of the row before (`GENESIS` for the first).
    pub prev: String,
    /// This row's hash.
    pub hash: String,
}

/// The hash of an audit row, over every field and the hash before it.
pub fn chain_hash(
    prev: &str,
    seq: i64,
    at: i64,
    admin: &str,
    action: &str,
    subject: &str,
    address: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &at.to_string(),
        admin,
        action,
        subject,
        address,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Where the chain first breaks (a row's `prev` is not the hash before it, or its hash is
/// not its fields'), if it does; rows oldest first.
pub fn first_break(rows: &[AdminAuditRow]) -> Option<i64> {
    let mut prev = GENESIS.to_string();
    let mut seq = 0;
    for r in rows {
        seq += 1;
        let own = chain_hash(
            &r.prev, r.seq, r.at, &r.admin, &r.action, &r.subject, &r.address,
        );
        if r.seq != seq || r.prev != prev || r.hash != own {
            return Some(seq);
        }
        prev = r.hash.clone();
    }
    None
}

/// The console's storage.
pub trait AdminStore {
    /// Adds an admin; `StoreError::Taken("email")` if there is one with that email.
    fn create_admin(&self, email: &str, password_hash: &str) -> Result<(), StoreError>;
    /// The admin with this (lower-case) email.
    fn admin(&self, email: &str) -> Result<Option<AdminRecord>, StoreError>;
    /// Keeps the TOTP secret made at an admin's first login, unless one is enrolled already;
    /// answers the secret that stands.
    fn offer_totp_secret(&self, email: &str, secret: &str) -> Result<String, StoreError>;
    /// Takes TOTP step `step` for the admin if it is later than the last one taken (so a code
    /// works once, on every replica), marking the secret enrolled; false if it is not later.
    fn take_totp_step(&self, email: &str, step: i64) -> Result<bool, StoreError>;
    /// Keeps a new session.
    fn create_admin_session(&self, session: &AdminSession) -> Result<(), StoreError>;
    /// The session whose cookie hashes to `token_hash`.
    fn admin_session(&self, token_hash: &str) -> Result<Option<AdminSession>, StoreError>;
    /// Notes a request of the session at `now`, and moves it to `stage`.
    fn touch_admin_session(
        &self,
        token_hash: &str,
        now: i64,
        stage: &str,
    ) -> Result<(), StoreError>;
    /// Ends a session (logout, idle, or its admin's password changed).
    fn end_admin_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Forgets every session not used since `before` (Unix seconds): ones abandoned at the
    /// code step, or left open, do not pile up.
    fn forget_admin_sessions(&self, before: i64) -> Result<(), StoreError>;
    /// Appends a row to the admin audit log (the chain's next link, in one transaction).
    fn append_admin_audit(
        &self,
        admin: &str,
        action: &str,
        subject: &str,
        address: &str,
    ) -> Result<(), StoreError>;
    /// The whole admin audit log, oldest first.
    fn admin_audit(&self) -> Result<Vec<AdminAuditRow>, StoreError>;
    /// Every clinic on the platform, by name.
    fn clinics(&self) -> Result<Vec<ClinicRecord>, StoreError>;
    /// The tiers, by their least staff.
    fn tiers(&self) -> Result<Vec<Tier>, StoreError>;
    /// Adds a tier (`id` 0) or changes one.
    fn put_tier(&self, tier: &Tier) -> Result<(), StoreError>;
    /// Takes a tier away.
    fn delete_tier(&self, id: i64) -> Result<(), StoreError>;
    /// Keeps a payment.
    fn add_payment(&self, payment: &Payment) -> Result<(), StoreError>;
    /// A clinic's payments, latest period first.
    fn payments(&self, clinic: &str) -> Result<Vec<Payment>, StoreError>;
    /// What the platform knows of a clinic's account; None for an unknown clinic.
    fn clinic_account(&self, clinic: &str) -> Result<Option<ClinicAccount>, StoreError>;
    /// Suspends a clinic by hand with a note (`Some`), or lifts that (`None`).
    fn hold_clinic(&self, clinic: &str, note: Option<&str>) -> Result<(), StoreError>;
    /// Keeps an email to send; false when its event queued one already.
    fn queue_email(&self, email: &Email) -> Result<bool, StoreError>;
    /// Emails due at `now`, oldest first.
    fn due_emails(&self, now: i64, limit: u32) -> Result<Vec<Email>, StoreError>;
    /// Records what became of a try.
    fn email_tried(&self, id: i64, outcome: &EmailOutcome) -> Result<(), StoreError>;
    /// The latest emails, newest first (the console shows their state, never their body).
    fn emails(&self, limit: u32) -> Result<Vec<Email>, StoreError>;
    /// Keeps an owner's invitation (only its token's hash).
    fn add_owner_invite(
        &self,
        token_hash: &str,
        clinic: &str,
        email: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The invitation's clinic and email if it is unused and not expired at `now`.
    fn owner_invite(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(String, String)>, StoreError>;
    /// The owner's TOTP secret and whether it is enrolled (two-step sign-in on).
    fn owner_totp(&self, clinic: &str) -> Result<Option<(String, bool)>, StoreError>;
    /// Keeps the secret offered to the owner unless one is enrolled; the one that stands.
    fn offer_owner_totp(&self, clinic: &str, secret: &str) -> Result<String, StoreError>;
    /// Takes TOTP step `step` for the owner if later than the last (a code works once),
    /// turning two-step sign-in on; false if it is not later.
    fn take_owner_totp_step(&self, clinic: &str, step: i64) -> Result<bool, StoreError>;
    /// Turns the owner's two-step sign-in off (its secret forgotten); false if it was not
    /// set.
    fn remove_owner_totp(&self, clinic: &str) -> Result<bool, StoreError>;
    /// Uses the invitation once and sets the clinic owner's password (one transaction);
    /// the clinic and email, or None if it was used, expired or unknown.
    fn take_owner_invite(
        &self,
        token_hash: &str,
        now: i64,
        password_hash: &str,
    ) -> Result<Option<(String, String)>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, prev: &str, action: &str) -> AdminAuditRow {
        let hash = chain_hash(prev, seq, 100 + seq, "a@x", action, "", "127.0.0.1");
        AdminAuditRow {
            seq,
            at: 100 + seq,
            admin: "a@x".into(),
            action: action.into(),
            subject: String::new(),
            address: "127.0.0.1".into(),
            prev: prev.into(),
            hash,
        }
    }

    #[test]
    fn a_row_changed_or_taken_out_breaks_the_chain_where_it_was() {
        let a = row(1, GENESIS, "login");
        let b = row(2, &a.hash, "clinic-created");
        let c = row(3, &b.hash, "logout");
        assert_eq!(first_break(&[a.clone(), b.clone(), c.clone()]), None);
        let mut forged = b.clone();
        forged.action = "nothing".into();
        assert_eq!(first_break(&[a.clone(), forged, c.clone()]), Some(2));
        assert_eq!(first_break(&[a, c]), Some(2));
    }
}
