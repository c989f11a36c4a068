//! The console's tables in PostgreSQL's platform schema.

use r2d2_postgres::postgres::Row;

use super::admin::{chain_hash, AdminAuditRow, AdminRecord, AdminSession, AdminStore, GENESIS};
use super::postgres::{locks, record, PgStore, RECORD_COLUMNS};
use super::sqlite::now;
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
        Ok(self
            .conn()?
            .q_opt(
                "SELECT email, password_hash, totp_secret, totp_enrolled, last_totp_step
                 FROM platform.admins WHERE email = $1",
                &[&email],
            )?
            .map(|r| AdminRecord {
                email: r.get(0),
                password_hash: r.get(1),
                totp_secret: r.get(2),
                totp_enrolled: r.get(3),
                last_totp_step: r.get(4),
            }))
    }

    fn offer_totp_secret(&self, email: &str, secret: &str) -> Result<String, StoreError> {
        let mut conn = self.conn()?;
        conn.x(
            "UPDATE platform.admins SET totp_secret = $2
             WHERE email = $1 AND NOT totp_enrolled AND totp_secret IS NULL",
            &[&email, &secret],
        )?;
        Ok(conn
            .q_one(
                "SELECT COALESCE(totp_secret, '') FROM platform.admins WHERE email = $1",
                &[&email],
            )?
            .get(0))
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
}
