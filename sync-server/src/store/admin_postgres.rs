//! The console's tables in PostgreSQL's platform schema.

use r2d2_postgres::postgres::Row;

use super::admin::{admin_totp_row, owner_totp_row};
use super::admin::{
    chain_hash, AdminAuditRow, AdminRecord, AdminSession, AdminStore, ClinicAccount, Email,
    EmailOutcome, Payment, Tier, GENESIS,
};
use super::postgres::{locks, record, PgStore, RECORD_COLUMNS};
use super::sqlite::now;
use super::vault::PLATFORM;
use super::{ClinicRecord, StoreError};

fn session_row(r: &Row) -> AdminSession {
    AdminSession {
        token_hash: r.get(0),
        email: r.get(1),
        stage: r.get(2),
        csrf: r.get(3),
        created_at: r.get(4),
        last_seen: r.get(5),
    }
}

impl AdminStore for PgStore {
    fn create_admin(&self, email: &str, password_hash: &str) -> Result<(), StoreError> {
        let added = self.conn()?.x(
            "INSERT INTO platform.admins (email, password_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (email) DO NOTHING",
            &[&email, &password_hash, &now()],
        )?;
        if added == 0 {
            return Err(StoreError::Taken("email"));
        }
        Ok(())
    }

    fn admin(&self, email: &str) -> Result<Option<AdminRecord>, StoreError> {
        let key = self.sealer(PLATFORM)?;
        self.conn()?
            .q_opt(
                "SELECT email, password_hash, totp_secret, totp_enrolled, last_totp_step
                 FROM platform.admins WHERE email = $1",
                &[&email],
            )?
            .map(|r| {
                let sealed: Option<String> = r.get(2);
                Ok::<_, StoreError>(AdminRecord {
                    email: r.get(0),
                    password_hash: r.get(1),
                    totp_secret: sealed
                        .map(|s| key.open_text(&admin_totp_row(email), &s))
                        .transpose()?,
                    totp_enrolled: r.get(3),
                    last_totp_step: r.get(4),
                })
            })
            .transpose()
    }

    fn offer_totp_secret(&self, email: &str, secret: &str) -> Result<String, StoreError> {
        let key = self.sealer(PLATFORM)?;
        let row = admin_totp_row(email);
        let mut conn = self.conn()?;
        conn.x(
            "UPDATE platform.admins SET totp_secret = $2
             WHERE email = $1 AND NOT totp_enrolled AND totp_secret IS NULL",
            &[&email, &key.seal_text(&row, secret)],
        )?;
        let kept: Option<String> = conn
            .q_one(
                "SELECT totp_secret FROM platform.admins WHERE email = $1",
                &[&email],
            )?
            .get(0);
        kept.map_or(Ok(String::new()), |k| key.open_text(&row, &k))
    }

    fn take_totp_step(&self, email: &str, step: i64) -> Result<bool, StoreError> {
        let taken = self.conn()?.x(
            "UPDATE platform.admins SET last_totp_step = $2, totp_enrolled = TRUE
             WHERE email = $1 AND last_totp_step < $2",
            &[&email, &step],
        )?;
        Ok(taken == 1)
    }

    fn create_admin_session(&self, s: &AdminSession) -> Result<(), StoreError> {
        self.conn()?.x(
            "INSERT INTO platform.admin_sessions
                (token_hash, email, stage, csrf, created_at, last_seen)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &s.token_hash,
                &s.email,
                &s.stage,
                &s.csrf,
                &s.created_at,
                &s.last_seen,
            ],
        )?;
        Ok(())
    }

    fn admin_session(&self, token_hash: &str) -> Result<Option<AdminSession>, StoreError> {
        Ok(self
            .conn()?
            .q_opt(
                "SELECT token_hash, email, stage, csrf, created_at, last_seen
                 FROM platform.admin_sessions WHERE token_hash = $1",
                &[&token_hash],
            )?
            .as_ref()
            .map(session_row))
    }

    fn touch_admin_session(
        &self,
        token_hash: &str,
        now: i64,
        stage: &str,
    ) -> Result<(), StoreError> {
        self.conn()?.x(
            "UPDATE platform.admin_sessions SET last_seen = $2, stage = $3 WHERE token_hash = $1",
            &[&token_hash, &now, &stage],
        )?;
        Ok(())
    }

    fn end_admin_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.conn()?.x(
            "DELETE FROM platform.admin_sessions WHERE token_hash = $1",
            &[&token_hash],
        )?;
        Ok(())
    }

    fn forget_admin_sessions(&self, before: i64) -> Result<(), StoreError> {
        self.conn()?.x(
            "DELETE FROM platform.admin_sessions WHERE last_seen < $1",
            &[&before],
        )?;
        Ok(())
    }

    fn append_admin_audit(
        &self,
        admin: &str,
        action: &str,
        subject: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // One link at a time across replicas: the next row names the last one's hash.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, 0)",
            &[&locks::ADMIN_AUDIT],
        )?;
        let (seq, prev): (i64, String) = tx
            .query_opt(
                "SELECT seq, hash FROM platform.admin_audit ORDER BY seq DESC LIMIT 1",
                &[],
            )?
            .map_or((0, GENESIS.to_string()), |r| (r.get(0), r.get(1)));
        let (seq, at) = (seq + 1, now());
        let hash = chain_hash(&prev, seq, at, admin, action, subject, address);
        tx.execute(
            "INSERT INTO platform.admin_audit (seq, at, admin, action, subject, address, prev, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&seq, &at, &admin, &action, &subject, &address, &prev, &hash],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn admin_audit(&self) -> Result<Vec<AdminAuditRow>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT seq, at, admin, action, subject, address, prev, hash
                 FROM platform.admin_audit ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| AdminAuditRow {
                seq: r.get(0),
                at: r.get(1),
                admin: r.get(2),
                action: r.get(3),
                subject: r.get(4),
                address: r.get(5),
                prev: r.get(6),
                hash: r.get(7),
            })
            .collect())
    }

    fn clinics(&self) -> Result<Vec<ClinicRecord>, StoreError> {
        Ok(self
            .conn()?
            .q(
                &format!("SELECT {RECORD_COLUMNS} FROM platform.clinics ORDER BY name, slug"),
                &[],
            )?
            .iter()
            .map(record)
            .collect())
    }

    fn tiers(&self) -> Result<Vec<Tier>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT id, name, min_staff, max_staff, monthly_piastres FROM platform.tiers
                 ORDER BY min_staff, id",
                &[],
            )?
            .iter()
            .map(|r| Tier {
                id: r.get(0),
                name: r.get(1),
                min_staff: r.get(2),
                max_staff: r.get(3),
                monthly_piastres: r.get(4),
            })
            .collect())
    }

    fn put_tier(&self, t: &Tier) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        if t.id == 0 {
            conn.x(
                "INSERT INTO platform.tiers (name, min_staff, max_staff, monthly_piastres)
                 VALUES ($1, $2, $3, $4)",
                &[&t.name, &t.min_staff, &t.max_staff, &t.monthly_piastres],
            )?;
        } else {
            conn.x(
                "UPDATE platform.tiers SET name = $2, min_staff = $3, max_staff = $4,
                    monthly_piastres = $5 WHERE id = $1",
                &[
                    &t.id,
                    &t.name,
                    &t.min_staff,
                    &t.max_staff,
                    &t.monthly_piastres,
                ],
            )?;
        }
        Ok(())
    }

    fn delete_tier(&self, id: i64) -> Result<(), StoreError> {
        self.conn()?
            .x("DELETE FROM platform.tiers WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn add_payment(&self, p: &Payment) -> Result<(), StoreError> {
        self.conn()?.x(
            "INSERT INTO platform.payments (clinic_id, amount_piastres, paid_on, method,
                reference, period_from, period_to, tier, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &p.clinic,
                &p.amount_piastres,
                &p.paid_on,
                &p.method,
                &p.reference,
                &p.period_from,
                &p.period_to,
                &p.tier,
                &p.recorded_by,
                &now(),
            ],
        )?;
        Ok(())
    }

    fn payments(&self, clinic: &str) -> Result<Vec<Payment>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT id, clinic_id, amount_piastres, paid_on, method, reference, period_from,
                    period_to, tier, recorded_by
                 FROM platform.payments WHERE clinic_id = $1 ORDER BY period_to DESC, id DESC",
                &[&clinic],
            )?
            .iter()
            .map(|r| Payment {
                id: r.get(0),
                clinic: r.get(1),
                amount_piastres: r.get(2),
                paid_on: r.get(3),
                method: r.get(4),
                reference: r.get(5),
                period_from: r.get(6),
                period_to: r.get(7),
                tier: r.get(8),
                recorded_by: r.get(9),
            })
            .collect())
    }

    fn clinic_account(&self, clinic: &str) -> Result<Option<ClinicAccount>, StoreError> {
        Ok(self
            .conn()?
            .q_opt(
                "SELECT c.created_at, c.time_zone,
                    (SELECT MAX(period_to) FROM platform.payments p WHERE p.clinic_id = c.id),
                    (SELECT note FROM platform.clinic_holds h WHERE h.clinic_id = c.id),
                    EXISTS (SELECT 1 FROM platform.tiers),
                    t.delete_after, t.deleted_at IS NOT NULL
                 FROM platform.clinics c LEFT JOIN platform.terminations t ON t.clinic_id = c.id
                 WHERE c.id = $1",
                &[&clinic],
            )?
            .map(|r| ClinicAccount {
                created_at: r.get(0),
                time_zone: r.get(1),
                paid_through: r.get(2),
                held: r.get(3),
                billed: r.get(4),
                ended: r
                    .get::<_, Option<i64>>(5)
                    .map(|until| (until, r.get::<_, Option<bool>>(6).unwrap_or(false))),
            }))
    }

    fn hold_clinic(&self, clinic: &str, note: Option<&str>) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        match note {
            Some(note) => conn.x(
                "INSERT INTO platform.clinic_holds (clinic_id, note, since) VALUES ($1, $2, $3)
                 ON CONFLICT (clinic_id) DO UPDATE SET note = excluded.note",
                &[&clinic, &note, &now()],
            )?,
            None => conn.x(
                "DELETE FROM platform.clinic_holds WHERE clinic_id = $1",
                &[&clinic],
            )?,
        };
        Ok(())
    }

    fn queue_email(&self, e: &Email) -> Result<bool, StoreError> {
        let e = &e.sealed(&*self.sealer(PLATFORM)?);
        let added = self.conn()?.x(
            "INSERT INTO platform.emails (to_addr, subject, body, idem_key, kind, state, next_at,
                created_at)
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7) ON CONFLICT (idem_key) DO NOTHING",
            &[
                &e.to,
                &e.subject,
                &e.body,
                &e.idem_key,
                &e.kind,
                &e.next_at,
                &now(),
            ],
        )?;
        Ok(added == 1)
    }

    fn due_emails(&self, at: i64, limit: u32) -> Result<Vec<Email>, StoreError> {
        let key = self.sealer(PLATFORM)?;
        self.conn()?
            .q(
                &format!(
                    "SELECT {EMAIL_COLUMNS} FROM platform.emails
                     WHERE state = 'queued' AND next_at <= $1 ORDER BY next_at, id LIMIT $2"
                ),
                &[&at, &i64::from(limit)],
            )?
            .iter()
            .map(|r| email_row(r).opened(&key))
            .collect()
    }

    fn email_tried(&self, id: i64, o: &EmailOutcome) -> Result<(), StoreError> {
        self.conn()?.x(
            "UPDATE platform.emails SET state = $2, attempts = $3, next_at = $4, last_error = $5,
                resend_id = $6 WHERE id = $1",
            &[
                &id,
                &o.state,
                &i64::from(o.attempts),
                &o.next_at,
                &o.last_error,
                &o.resend_id,
            ],
        )?;
        Ok(())
    }

    fn emails(&self, limit: u32) -> Result<Vec<Email>, StoreError> {
        let key = self.sealer(PLATFORM)?;
        self.conn()?
            .q(
                &format!("SELECT {EMAIL_COLUMNS} FROM platform.emails ORDER BY id DESC LIMIT $1"),
                &[&i64::from(limit)],
            )?
            .iter()
            .map(|r| email_row(r).opened(&key))
            .collect()
    }

    fn add_owner_invite(
        &self,
        token_hash: &str,
        clinic: &str,
        email: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.conn()?.x(
            "INSERT INTO platform.owner_invites (token_hash, clinic_id, email, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&token_hash, &clinic, &email, &expires_at],
        )?;
        Ok(())
    }

    fn owner_invite(
        &self,
        token_hash: &str,
        at: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn()?
            .q_opt(
                "SELECT clinic_id, email FROM platform.owner_invites
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
                &[&token_hash, &at],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn owner_totp(&self, clinic: &str) -> Result<Option<(String, bool)>, StoreError> {
        self.conn()?
            .q_opt(
                "SELECT secret, enrolled FROM platform.owner_totp WHERE clinic_id = $1",
                &[&clinic],
            )?
            .map(|r| {
                let secret = self
                    .sealer(clinic)?
                    .open_text(&owner_totp_row(clinic), r.get(0))?;
                Ok::<_, StoreError>((secret, r.get(1)))
            })
            .transpose()
    }

    fn offer_owner_totp(&self, clinic: &str, secret: &str) -> Result<String, StoreError> {
        let key = self.sealer(clinic)?;
        let row = owner_totp_row(clinic);
        let mut conn = self.conn()?;
        conn.x(
            "INSERT INTO platform.owner_totp (clinic_id, secret) VALUES ($1, $2)
             ON CONFLICT (clinic_id) DO NOTHING",
            &[&clinic, &key.seal_text(&row, secret)],
        )?;
        let kept: String = conn
            .q_one(
                "SELECT secret FROM platform.owner_totp WHERE clinic_id = $1",
                &[&clinic],
            )?
            .get(0);
        key.open_text(&row, &kept)
    }

    fn take_owner_totp_step(&self, clinic: &str, step: i64) -> Result<bool, StoreError> {
        let taken = self.conn()?.x(
            "UPDATE platform.owner_totp SET last_step = $2, enrolled = TRUE
             WHERE clinic_id = $1 AND last_step < $2",
            &[&clinic, &step],
        )?;
        Ok(taken == 1)
    }

    fn remove_owner_totp(&self, clinic: &str) -> Result<bool, StoreError> {
        Ok(self.conn()?.x(
            "DELETE FROM platform.owner_totp WHERE clinic_id = $1",
            &[&clinic],
        )? == 1)
    }

    fn take_owner_invite(
        &self,
        token_hash: &str,
        at: i64,
        password_hash: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let found: Option<(String, String)> = tx
            .query_opt(
                "UPDATE platform.owner_invites SET used_at = $2
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
                 RETURNING clinic_id, email",
                &[&token_hash, &at],
            )?
            .map(|r| (r.get(0), r.get(1)));
        if let Some((clinic, _)) = &found {
            tx.execute(
                "UPDATE platform.clinics SET password_hash = $2 WHERE id = $1",
                &[clinic, &password_hash],
            )?;
        }
        tx.commit()?;
        Ok(found)
    }
}

const EMAIL_COLUMNS: &str =
    "id, to_addr, subject, body, idem_key, kind, state, attempts, next_at, last_error, resend_id, created_at";

fn email_row(r: &Row) -> Email {
    Email {
        id: r.get(0),
        to: r.get(1),
        subject: r.get(2),
        body: r.get(3),
        idem_key: r.get(4),
        kind: r.get(5),
        state: r.get(6),
        attempts: r.get::<_, i64>(7) as u32,
        next_at: r.get(8),
        last_error: r.get(9),
        resend_id: r.get(10),
        created_at: r.get(11),
    }
}
