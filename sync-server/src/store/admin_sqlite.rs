//! The console's tables in the SQLite platform database.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::admin::{admin_totp_row, owner_totp_row};
use super::admin::{
    chain_hash, AdminAuditRow, AdminRecord, AdminSession, AdminStore, ClinicAccount, Email,
    EmailOutcome, Payment, Tier, GENESIS,
};
use super::sqlite::{now, record, SqliteStore};
use super::vault::PLATFORM;
use super::{ClinicRecord, StoreError};

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AdminSession> {
    Ok(AdminSession {
        token_hash: r.get(0)?,
        email: r.get(1)?,
        stage: r.get(2)?,
        csrf: r.get(3)?,
        created_at: r.get(4)?,
        last_seen: r.get(5)?,
    })
}

impl AdminStore for SqliteStore {
    fn create_admin(&self, email: &str, password_hash: &str) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let added = conn.execute(
            "INSERT INTO admins (email, password_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (email) DO NOTHING",
            params![email, password_hash, now()],
        )?;
        if added == 0 {
            return Err(StoreError::Taken("email"));
        }
        Ok(())
    }

    fn admin(&self, email: &str) -> Result<Option<AdminRecord>, StoreError> {
        let key = self.sealer(PLATFORM)?;
        let conn = self.platform.lock().expect("platform poisoned");
        let found: Option<AdminRecord> = conn
            .query_row(
                "SELECT email, password_hash, totp_secret, totp_enrolled, last_totp_step
                 FROM admins WHERE email = ?1",
                [email],
                |r| {
                    Ok(AdminRecord {
                        email: r.get(0)?,
                        password_hash: r.get(1)?,
                        totp_secret: r.get(2)?,
                        totp_enrolled: r.get(3)?,
                        last_totp_step: r.get(4)?,
                    })
                },
            )
            .optional()?;
        found
            .map(|mut a| {
                if let Some(sealed) = &a.totp_secret {
                    a.totp_secret = Some(key.open_text(&admin_totp_row(email), sealed)?);
                }
                Ok(a)
            })
            .transpose()
    }

    fn offer_totp_secret(&self, email: &str, secret: &str) -> Result<String, StoreError> {
        let key = self.sealer(PLATFORM)?;
        let row = admin_totp_row(email);
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE admins SET totp_secret = ?2
             WHERE email = ?1 AND totp_enrolled = 0 AND totp_secret IS NULL",
            params![email, key.seal_text(&row, secret)],
        )?;
        let kept: Option<String> = conn.query_row(
            "SELECT totp_secret FROM admins WHERE email = ?1",
            [email],
            |r| r.get(0),
        )?;
        kept.map_or(Ok(String::new()), |k| key.open_text(&row, &k))
    }

    fn take_totp_step(&self, email: &str, step: i64) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let taken = conn.execute(
            "UPDATE admins SET last_totp_step = ?2, totp_enrolled = 1
             WHERE email = ?1 AND last_totp_step < ?2",
            params![email, step],
        )?;
        Ok(taken == 1)
    }

    fn create_admin_session(&self, s: &AdminSession) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "INSERT INTO admin_sessions (token_hash, email, stage, csrf, created_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                s.token_hash,
                s.email,
                s.stage,
                s.csrf,
                s.created_at,
                s.last_seen
            ],
        )?;
        Ok(())
    }

    fn admin_session(&self, token_hash: &str) -> Result<Option<AdminSession>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT token_hash, email, stage, csrf, created_at, last_seen
                 FROM admin_sessions WHERE token_hash = ?1",
                [token_hash],
                session_row,
            )
            .optional()?)
    }

    fn touch_admin_session(
        &self,
        token_hash: &str,
        now: i64,
        stage: &str,
    ) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE admin_sessions SET last_seen = ?2, stage = ?3 WHERE token_hash = ?1",
            params![token_hash, now, stage],
        )?;
        Ok(())
    }

    fn end_admin_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "DELETE FROM admin_sessions WHERE token_hash = ?1",
            [token_hash],
        )?;
        Ok(())
    }

    fn forget_admin_sessions(&self, before: i64) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute("DELETE FROM admin_sessions WHERE last_seen < ?1", [before])?;
        Ok(())
    }

    fn append_admin_audit(
        &self,
        admin: &str,
        action: &str,
        subject: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.platform.lock().expect("platform poisoned");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (seq, prev): (i64, String) = tx
            .query_row(
                "SELECT seq, hash FROM admin_audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string()));
        let (seq, at) = (seq + 1, now());
        let hash = chain_hash(&prev, seq, at, admin, action, subject, address);
        tx.execute(
            "INSERT INTO admin_audit (seq, at, admin, action, subject, address, prev, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![seq, at, admin, action, subject, address, prev, hash],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn admin_audit(&self) -> Result<Vec<AdminAuditRow>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare(
            "SELECT seq, at, admin, action, subject, address, prev, hash
             FROM admin_audit ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AdminAuditRow {
                seq: r.get(0)?,
                at: r.get(1)?,
                admin: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                address: r.get(5)?,
                prev: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn clinics(&self) -> Result<Vec<ClinicRecord>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare(
            "SELECT id, slug, name, owner_email, password_hash, data_clinic_id, time_zone
             FROM clinics ORDER BY name, slug",
        )?;
        let rows = stmt.query_map([], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn tiers(&self) -> Result<Vec<Tier>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare(
            "SELECT id, name, min_staff, max_staff, monthly_piastres FROM tiers
             ORDER BY min_staff, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Tier {
                id: r.get(0)?,
                name: r.get(1)?,
                min_staff: r.get(2)?,
                max_staff: r.get(3)?,
                monthly_piastres: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_tier(&self, t: &Tier) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        if t.id == 0 {
            conn.execute(
                "INSERT INTO tiers (name, min_staff, max_staff, monthly_piastres)
                 VALUES (?1, ?2, ?3, ?4)",
                params![t.name, t.min_staff, t.max_staff, t.monthly_piastres],
            )?;
        } else {
            conn.execute(
                "UPDATE tiers SET name = ?2, min_staff = ?3, max_staff = ?4, monthly_piastres = ?5
                 WHERE id = ?1",
                params![t.id, t.name, t.min_staff, t.max_staff, t.monthly_piastres],
            )?;
        }
        Ok(())
    }

    fn delete_tier(&self, id: i64) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute("DELETE FROM tiers WHERE id = ?1", [id])?;
        Ok(())
    }

    fn add_payment(&self, p: &Payment) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "INSERT INTO payments (clinic_id, amount_piastres, paid_on, method, reference,
                period_from, period_to, tier, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                p.clinic,
                p.amount_piastres,
                p.paid_on,
                p.method,
                p.reference,
                p.period_from,
                p.period_to,
                p.tier,
                p.recorded_by,
                now()
            ],
        )?;
        Ok(())
    }

    fn payments(&self, clinic: &str) -> Result<Vec<Payment>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare(
            "SELECT id, clinic_id, amount_piastres, paid_on, method, reference, period_from,
                period_to, tier, recorded_by
             FROM payments WHERE clinic_id = ?1 ORDER BY period_to DESC, id DESC",
        )?;
        let rows = stmt.query_map([clinic], |r| {
            Ok(Payment {
                id: r.get(0)?,
                clinic: r.get(1)?,
                amount_piastres: r.get(2)?,
                paid_on: r.get(3)?,
                method: r.get(4)?,
                reference: r.get(5)?,
                period_from: r.get(6)?,
                period_to: r.get(7)?,
                tier: r.get(8)?,
                recorded_by: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn clinic_account(&self, clinic: &str) -> Result<Option<ClinicAccount>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT c.created_at, c.time_zone,
                    (SELECT MAX(period_to) FROM payments p WHERE p.clinic_id = c.id),
                    (SELECT note FROM clinic_holds h WHERE h.clinic_id = c.id),
                    EXISTS (SELECT 1 FROM tiers),
                    t.delete_after, t.deleted_at IS NOT NULL
                 FROM clinics c LEFT JOIN terminations t ON t.clinic_id = c.id
                 WHERE c.id = ?1",
                [clinic],
                |r| {
                    Ok(ClinicAccount {
                        created_at: r.get(0)?,
                        time_zone: r.get(1)?,
                        paid_through: r.get(2)?,
                        held: r.get(3)?,
                        billed: r.get(4)?,
                        ended: r
                            .get::<_, Option<i64>>(5)?
                            .map(|until| Ok::<_, rusqlite::Error>((until, r.get(6)?)))
                            .transpose()?,
                    })
                },
            )
            .optional()?)
    }

    fn hold_clinic(&self, clinic: &str, note: Option<&str>) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        match note {
            Some(note) => conn.execute(
                "INSERT INTO clinic_holds (clinic_id, note, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT (clinic_id) DO UPDATE SET note = excluded.note",
                params![clinic, note, now()],
            )?,
            None => conn.execute("DELETE FROM clinic_holds WHERE clinic_id = ?1", [clinic])?,
        };
        Ok(())
    }

    fn queue_email(&self, e: &Email) -> Result<bool, StoreError> {
        let e = &e.sealed(&*self.sealer(PLATFORM)?);
        let conn = self.platform.lock().expect("platform poisoned");
        let added = conn.execute(
            "INSERT INTO emails (to_addr, subject, body, idem_key, kind, state, next_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7) ON CONFLICT (idem_key) DO NOTHING",
            params![e.to, e.subject, e.body, e.idem_key, e.kind, e.next_at, now()],
        )?;
        Ok(added == 1)
    }

    fn due_emails(&self, at: i64, limit: u32) -> Result<Vec<Email>, StoreError> {
        let key = self.sealer(PLATFORM)?;
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare(&format!(
            "SELECT {EMAIL_COLUMNS} FROM emails WHERE state = 'queued' AND next_at <= ?1
             ORDER BY next_at, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![at, limit], email_row)?;
        let rows: Vec<Email> = rows.collect::<Result<_, _>>()?;
        rows.into_iter().map(|e| e.opened(&key)).collect()
    }

    fn email_tried(&self, id: i64, o: &EmailOutcome) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE emails SET state = ?2, attempts = ?3, next_at = ?4, last_error = ?5,
                resend_id = ?6 WHERE id = ?1",
            params![
                id,
                o.state,
                o.attempts,
                o.next_at,
                o.last_error,
                o.resend_id
            ],
        )?;
        Ok(())
    }

    fn emails(&self, limit: u32) -> Result<Vec<Email>, StoreError> {
        let key = self.sealer(PLATFORM)?;
        let conn = self.platform.lock().expect("platform poisoned");
        let mut stmt = conn.prepare(&format!(
            "SELECT {EMAIL_COLUMNS} FROM emails ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], email_row)?;
        let rows: Vec<Email> = rows.collect::<Result<_, _>>()?;
        rows.into_iter().map(|e| e.opened(&key)).collect()
    }

    fn add_owner_invite(
        &self,
        token_hash: &str,
        clinic: &str,
        email: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "INSERT INTO owner_invites (token_hash, clinic_id, email, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, clinic, email, expires_at],
        )?;
        Ok(())
    }

    fn owner_invite(
        &self,
        token_hash: &str,
        at: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT clinic_id, email FROM owner_invites
                 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                params![token_hash, at],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn owner_totp(&self, clinic: &str) -> Result<Option<(String, bool)>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let found: Option<(String, bool)> = conn
            .query_row(
                "SELECT secret, enrolled FROM owner_totp WHERE clinic_id = ?1",
                [clinic],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        drop(conn);
        // The key only for a row: a deleted clinic has neither.
        found
            .map(|(s, on)| {
                let key = self.sealer(clinic)?;
                Ok((key.open_text(&owner_totp_row(clinic), &s)?, on))
            })
            .transpose()
    }

    fn offer_owner_totp(&self, clinic: &str, secret: &str) -> Result<String, StoreError> {
        let key = self.sealer(clinic)?;
        let row = owner_totp_row(clinic);
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "INSERT INTO owner_totp (clinic_id, secret) VALUES (?1, ?2)
             ON CONFLICT (clinic_id) DO NOTHING",
            params![clinic, key.seal_text(&row, secret)],
        )?;
        let kept: String = conn.query_row(
            "SELECT secret FROM owner_totp WHERE clinic_id = ?1",
            [clinic],
            |r| r.get(0),
        )?;
        key.open_text(&row, &kept)
    }

    fn take_owner_totp_step(&self, clinic: &str, step: i64) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let taken = conn.execute(
            "UPDATE owner_totp SET last_step = ?2, enrolled = 1
             WHERE clinic_id = ?1 AND last_step < ?2",
            params![clinic, step],
        )?;
        Ok(taken == 1)
    }

    fn remove_owner_totp(&self, clinic: &str) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.execute("DELETE FROM owner_totp WHERE clinic_id = ?1", [clinic])? == 1)
    }

    fn take_owner_invite(
        &self,
        token_hash: &str,
        at: i64,
        password_hash: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let mut conn = self.platform.lock().expect("platform poisoned");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Option<(String, String)> = tx
            .query_row(
                "UPDATE owner_invites SET used_at = ?2
                 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                 RETURNING clinic_id, email",
                params![token_hash, at],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((clinic, _)) = &found {
            tx.execute(
                "UPDATE clinics SET password_hash = ?2 WHERE id = ?1",
                params![clinic, password_hash],
            )?;
        }
        tx.commit()?;
        Ok(found)
    }
}

const EMAIL_COLUMNS: &str =
    "id, to_addr, subject, body, idem_key, kind, state, attempts, next_at, last_error, resend_id, created_at";

fn email_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Email> {
    Ok(Email {
        id: r.get(0)?,
        to: r.get(1)?,
        subject: r.get(2)?,
        body: r.get(3)?,
        idem_key: r.get(4)?,
        kind: r.get(5)?,
        state: r.get(6)?,
        attempts: r.get(7)?,
        next_at: r.get(8)?,
        last_error: r.get(9)?,
        resend_id: r.get(10)?,
        created_at: r.get(11)?,
    })
}
