//! The portal's tables in PostgreSQL's platform schema.

use r2d2_postgres::postgres::Row;

use super::portal::{
    rank, OutMessage, PortalBooking, PortalRequest, PortalStore, BOOKING_COLUMNS, MESSAGE_COLUMNS,
    REQUEST_COLUMNS,
};
use super::portal::{wa_tag, waha_row};
use super::postgres::{clinic_where, locks, PgStore};
use super::sqlite::now;
use super::vault::PLATFORM;
use super::{log, postgres_log::PgLog, ClinicRecord, StoreError};

fn request_row(r: &Row) -> PortalRequest {
    PortalRequest {
        id: r.get(0),
        clinic: r.get(1),
        doctor: r.get(2),
        visit_type: r.get(3),
        starts_at: r.get(4),
        minutes: r.get(5),
        name: r.get(6),
        phone: r.get(7),
        gender: r.get(8),
        dob: r.get(9),
        lang: r.get(10),
        code_hash: r.get(11),
        attempts: r.get::<_, i64>(12) as u32,
        sends: r.get::<_, i64>(13) as u32,
        created_at: r.get(14),
        expires_at: r.get(15),
        last_sent_at: r.get(16),
        address: r.get(17),
        state: r.get(18),
    }
}

fn booking_row(r: &Row) -> PortalBooking {
    PortalBooking {
        token_hash: r.get(0),
        clinic: r.get(1),
        appointment_id: r.get(2),
        doc_id: r.get(3),
        phone: r.get(4),
        name: r.get(5),
        lang: r.get(6),
        status_told: r.get(7),
        starts_told: r.get(8),
        doctor_told: r.get(9),
        reminded: r.get(10),
        review_sent: r.get(11),
    }
}

fn message_row(r: &Row) -> OutMessage {
    OutMessage {
        id: r.get(0),
        clinic: r.get(1),
        chat_id: r.get(2),
        text: r.get(3),
        idem_key: r.get(4),
        kind: r.get(5),
        state: r.get(6),
        attempts: r.get::<_, i64>(7) as u32,
        next_at: r.get(8),
        last_error: r.get(9),
        wa_id: r.get(10),
        created_at: r.get(11),
    }
}

impl PgStore {
    fn count(
        &self,
        sql: &str,
        params: &[&(dyn postgres_types::ToSql + Sync)],
    ) -> Result<u32, StoreError> {
        let n: i64 = self.conn()?.q_one(sql, params)?.get(0);
        Ok(n.clamp(0, u32::MAX as i64) as u32)
    }
}

use r2d2_postgres::postgres::types as postgres_types;

impl PortalStore for PgStore {
    fn clinic_by_slug(&self, slug: &str) -> Result<Option<ClinicRecord>, StoreError> {
        clinic_where(&mut self.conn()?, "slug", slug)
    }

    fn clinic_by_id(&self, id: &str) -> Result<Option<ClinicRecord>, StoreError> {
        clinic_where(&mut self.conn()?, "id", id)
    }

    fn clinic_doc(&self, clinic: &str, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        let key = self.sealer(clinic)?;
        let super::postgres_conn::PgConn { client, stmts, .. } = &mut *conn;
        let mut tx = client.transaction()?;
        let (bytes, _) = log::compact(&mut PgLog::new(&mut tx, &schema, stmts), &key, doc_id)?;
        tx.commit()?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    fn clinic_doc_ids(&self, clinic: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        // Ids are ASCII ([a-z0-9/-]) and the column is collated "C", so the range
        // [prefix, prefix + U+FFFF) is the prefix's.
        let end = format!("{prefix}\u{ffff}");
        Ok(conn
            .cached()
            .tq(
                &format!("SELECT DISTINCT doc_id FROM {schema}.changes WHERE doc_id >= $1 AND doc_id < $2 ORDER BY doc_id"),
                &[(&prefix, postgres_types::Type::TEXT), (&end, postgres_types::Type::TEXT)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn add_request(&self, r: &PortalRequest) -> Result<bool, StoreError> {
        let r = &r.sealed(&*self.sealer(&r.clinic)?, &*self.sealer(PLATFORM)?);
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // The check and the insert under the clinic's portal lock: of two patients racing for
        // one slot on two replicas, one gets it.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&locks::PORTAL, &r.clinic],
        )?;
        let held = tx
            .query_opt(
                "SELECT 1 FROM platform.portal_requests WHERE clinic_id = $1 AND doctor_id = $2
                   AND state = 'verifying' AND expires_at > $5
                   AND starts_at < $4 AND starts_at + minutes * 60 > $3 LIMIT 1",
                &[
                    &r.clinic,
                    &r.doctor,
                    &r.starts_at,
                    &(r.starts_at + r.minutes * 60),
                    &r.created_at,
                ],
            )?
            .is_some();
        if held {
            return Ok(false);
        }
        tx.execute(
            &format!("INSERT INTO platform.portal_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"),
            &[
                &r.id, &r.clinic, &r.doctor, &r.visit_type, &r.starts_at, &r.minutes, &r.name, &r.phone,
                &r.gender, &r.dob, &r.lang, &r.code_hash, &i64::from(r.attempts), &i64::from(r.sends),
                &r.created_at, &r.expires_at, &r.last_sent_at, &r.address, &r.state,
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn request(&self, id: &str) -> Result<Option<PortalRequest>, StoreError> {
        self.conn()?
            .q_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM platform.portal_requests WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(request_row)
            .map(|r| {
                let k = self.sealer(&r.clinic)?;
                r.opened(&k)
            })
            .transpose()
    }

    fn wrong_code(&self, id: &str) -> Result<u32, StoreError> {
        let n: i64 = self
            .conn()?
            .q_one(
                "UPDATE platform.portal_requests SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
                &[&id],
            )?
            .get(0);
        Ok(n as u32)
    }

    fn code_resent(&self, id: &str, code_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        self.conn()?.x(
            "UPDATE platform.portal_requests SET code_hash = $2, expires_at = $3, last_sent_at = $4,
                    sends = sends + 1 WHERE id = $1",
            &[&id, &code_hash, &expires_at, &now()],
        )?;
        Ok(())
    }

    fn end_request(&self, id: &str, state: &str) -> Result<bool, StoreError> {
        Ok(self.conn()?.x(
            "UPDATE platform.portal_requests SET state = $2 WHERE id = $1 AND state = 'verifying'",
            &[&id, &state],
        )? == 1)
    }

    fn held(&self, clinic: &str, now: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT doctor_id, starts_at, starts_at + minutes * 60 FROM platform.portal_requests
                 WHERE clinic_id = $1 AND state = 'verifying' AND expires_at > $2",
                &[&clinic, &now],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn requests_by_phone(&self, clinic: &str, phone: &str, since: i64) -> Result<u32, StoreError> {
        self.count(
            "SELECT COUNT(*) FROM platform.portal_requests WHERE clinic_id = $1 AND phone = $2 AND created_at >= $3",
            &[&clinic, &self.sealer(clinic)?.tag("phone", phone), &since],
        )
    }

    fn requests_by_address(&self, address: &str, since: i64) -> Result<u32, StoreError> {
        self.count(
            "SELECT COUNT(*) FROM platform.portal_requests WHERE address = $1 AND created_at >= $2",
            &[&self.sealer(PLATFORM)?.tag("address", address), &since],
        )
    }

    fn requests_at(&self, clinic: &str, since: i64) -> Result<u32, StoreError> {
        self.count(
            "SELECT COUNT(*) FROM platform.portal_requests WHERE clinic_id = $1 AND created_at >= $2",
            &[&clinic, &since],
        )
    }

    fn purge_requests(&self, before: i64) -> Result<u32, StoreError> {
        Ok(self.conn()?.x(
            "DELETE FROM platform.portal_requests WHERE expires_at < $1",
            &[&before],
        )? as u32)
    }

    fn add_booking(&self, b: &PortalBooking) -> Result<(), StoreError> {
        let b = &b.sealed(&*self.sealer(&b.clinic)?);
        self.conn()?.x(
            &format!("INSERT INTO platform.portal_bookings ({BOOKING_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
            &[
                &b.token_hash, &b.clinic, &b.appointment_id, &b.doc_id, &b.phone, &b.name, &b.lang,
                &b.status_told, &b.starts_told, &b.doctor_told, &b.reminded, &b.review_sent, &now(),
            ],
        )?;
        Ok(())
    }

    fn booking(&self, token_hash: &str) -> Result<Option<PortalBooking>, StoreError> {
        self.conn()?
            .q_opt(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM platform.portal_bookings WHERE token_hash = $1"
                ),
                &[&token_hash],
            )?
            .as_ref()
            .map(booking_row)
            .map(|b| {
                let k = self.sealer(&b.clinic)?;
                b.opened(&k)
            })
            .transpose()
    }

    fn bookings_of(&self, clinic: &str) -> Result<Vec<PortalBooking>, StoreError> {
        let key = self.sealer(clinic)?;
        self.conn()?
            .q(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM platform.portal_bookings WHERE clinic_id = $1
                       AND NOT (status_told IN ('cancelled', 'no-show') OR (status_told = 'done' AND review_sent))
                     ORDER BY starts_told"
                ),
                &[&clinic],
            )?
            .iter()
            .map(|r| booking_row(r).opened(&key))
            .collect()
    }

    fn booking_told(&self, b: &PortalBooking) -> Result<(), StoreError> {
        self.conn()?.x(
            "UPDATE platform.portal_bookings SET status_told = $2, starts_told = $3, doctor_told = $4,
                    reminded = $5, review_sent = $6 WHERE token_hash = $1",
            &[&b.token_hash, &b.status_told, &b.starts_told, &b.doctor_told, &b.reminded, &b.review_sent],
        )?;
        Ok(())
    }

    fn enqueue(&self, m: &OutMessage) -> Result<bool, StoreError> {
        let m = &m.sealed(&*self.sealer(&m.clinic)?);
        let at = now();
        Ok(self.conn()?.x(
            "INSERT INTO platform.outbox (clinic_id, chat_id, text, idem_key, kind, state, attempts, next_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $7) ON CONFLICT (idem_key) DO NOTHING",
            &[&m.clinic, &m.chat_id, &m.text, &m.idem_key, &m.kind, &m.next_at, &at],
        )? == 1)
    }

    fn due(&self, now: i64, limit: u32) -> Result<Vec<OutMessage>, StoreError> {
        self.conn()?
            .q(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM platform.outbox WHERE state = 'queued' AND next_at <= $1
                     ORDER BY kind != 'code', next_at, id LIMIT $2"
                ),
                &[&now, &i64::from(limit)],
            )?
            .iter()
            .map(|r| {
                let m = message_row(r);
                { let k = self.sealer(&m.clinic)?; m.opened(&k) }
            })
            .collect()
    }

    fn message_tried(&self, m: &OutMessage) -> Result<(), StoreError> {
        // WAHA's message ids hold the patient's number: kept as a digest, found by one.
        let platform = self.sealer(PLATFORM)?;
        let wa_id = m.wa_id.as_ref().map(|id| wa_tag(&platform, id));
        self.conn()?.x(
            "UPDATE platform.outbox SET state = $2, attempts = $3, next_at = $4, last_error = $5, wa_id = $6,
                    updated_at = $7 WHERE id = $1",
            &[&m.id, &m.state, &i64::from(m.attempts), &m.next_at, &m.last_error, &wa_id, &now()],
        )?;
        Ok(())
    }

    fn message_ack(&self, wa_id: &str, state: &str) -> Result<bool, StoreError> {
        let wa_id = &*wa_tag(&*self.sealer(PLATFORM)?, wa_id);
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let current: Option<String> = tx
            .query_opt(
                "SELECT state FROM platform.outbox WHERE wa_id = $1 FOR UPDATE",
                &[&wa_id],
            )?
            .map(|r| r.get(0));
        let Some(current) = current else {
            return Ok(false);
        };
        if state == "failed" || rank(state) > rank(&current) {
            tx.execute(
                "UPDATE platform.outbox SET state = $2, updated_at = $3 WHERE wa_id = $1",
                &[&wa_id, &state, &now()],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    fn claim(&self, m: &OutMessage) -> Result<bool, StoreError> {
        Ok(self.conn()?.x(
            "UPDATE platform.outbox SET state = 'sending', attempts = $2, updated_at = $3
             WHERE id = $1 AND state = 'queued'",
            &[&m.id, &i64::from(m.attempts), &now()],
        )? == 1)
    }

    fn interrupted_sends(&self, before: i64) -> Result<u32, StoreError> {
        Ok(self.conn()?.x(
            "UPDATE platform.outbox SET state = 'failed', updated_at = $1,
                    last_error = 'the server stopped while sending it; not sent again (it may have arrived)'
             WHERE state = 'sending' AND updated_at < $2",
            &[&now(), &before],
        )? as u32)
    }

    fn messages(&self, clinic: &str, limit: u32) -> Result<Vec<OutMessage>, StoreError> {
        let key = self.sealer(clinic)?;
        self.conn()?
            .q(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM platform.outbox WHERE clinic_id = $1 ORDER BY id DESC LIMIT $2"
                ),
                &[&clinic, &i64::from(limit)],
            )?
            .iter()
            .map(|r| message_row(r).opened(&key))
            .collect()
    }

    fn clinic_waha(&self, clinic: &str) -> Result<Option<(String, String, String)>, StoreError> {
        self.conn()?
            .q_opt(
                "SELECT base, api_key, session FROM platform.clinic_waha WHERE clinic_id = $1",
                &[&clinic],
            )?
            .map(|r| {
                let key = self
                    .sealer(clinic)?
                    .open_text(&waha_row(clinic), r.get(1))?;
                Ok::<_, StoreError>((r.get(0), key, r.get(2)))
            })
            .transpose()
    }

    fn set_clinic_waha(
        &self,
        clinic: &str,
        waha: Option<(&str, &str, &str)>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        match waha {
            Some((base, key, session)) => conn.x(
                "INSERT INTO platform.clinic_waha (clinic_id, base, api_key, session) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (clinic_id) DO UPDATE SET base = excluded.base,
                    api_key = excluded.api_key, session = excluded.session",
                &[&clinic, &base, &self.sealer(clinic)?.seal_text(&waha_row(clinic), key), &session],
            )?,
            None => conn.x("DELETE FROM platform.clinic_waha WHERE clinic_id = $1", &[&clinic])?,
        };
        Ok(())
    }
}
