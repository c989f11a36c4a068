//! The portal's tables in the embedded SQLite platform database.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::portal::{
    rank, OutMessage, PortalBooking, PortalRequest, PortalStore, BOOKING_COLUMNS, MESSAGE_COLUMNS,
    REQUEST_COLUMNS,
};
use super::portal::{wa_tag, waha_row};
use super::sqlite::{now, record, SqliteStore};
use super::vault::PLATFORM;
use super::{ClinicRecord, StoreError};

fn request_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PortalRequest> {
    Ok(PortalRequest {
        id: r.get(0)?,
        clinic: r.get(1)?,
        doctor: r.get(2)?,
        visit_type: r.get(3)?,
        starts_at: r.get(4)?,
        minutes: r.get(5)?,
        name: r.get(6)?,
        phone: r.get(7)?,
        gender: r.get(8)?,
        dob: r.get(9)?,
        lang: r.get(10)?,
        code_hash: r.get(11)?,
        attempts: r.get(12)?,
        sends: r.get(13)?,
        created_at: r.get(14)?,
        expires_at: r.get(15)?,
        last_sent_at: r.get(16)?,
        address: r.get(17)?,
        state: r.get(18)?,
    })
}

fn booking_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PortalBooking> {
    Ok(PortalBooking {
        token_hash: r.get(0)?,
        clinic: r.get(1)?,
        appointment_id: r.get(2)?,
        doc_id: r.get(3)?,
        phone: r.get(4)?,
        name: r.get(5)?,
        lang: r.get(6)?,
        status_told: r.get(7)?,
        starts_told: r.get(8)?,
        doctor_told: r.get(9)?,
        reminded: r.get(10)?,
        review_sent: r.get(11)?,
    })
}

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutMessage> {
    Ok(OutMessage {
        id: r.get(0)?,
        clinic: r.get(1)?,
        chat_id: r.get(2)?,
        text: r.get(3)?,
        idem_key: r.get(4)?,
        kind: r.get(5)?,
        state: r.get(6)?,
        attempts: r.get(7)?,
        next_at: r.get(8)?,
        last_error: r.get(9)?,
        wa_id: r.get(10)?,
        created_at: r.get(11)?,
    })
}

impl PortalStore for SqliteStore {
    fn clinic_by_slug(&self, slug: &str) -> Result<Option<ClinicRecord>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT id, slug, name, owner_email, password_hash, data_clinic_id, time_zone FROM clinics WHERE slug = ?1",
                [slug],
                record,
            )
            .optional()?)
    }

    fn clinic_by_id(&self, id: &str) -> Result<Option<ClinicRecord>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn
            .query_row(
                "SELECT id, slug, name, owner_email, password_hash, data_clinic_id, time_zone FROM clinics WHERE id = ?1",
                [id],
                record,
            )
            .optional()?)
    }

    fn clinic_doc(&self, clinic: &str, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.clinic_db(clinic)?;
        let key = self.sealer(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        let (bytes, _) =
            super::log::compact(&mut super::sqlite_log::SqliteLog(&conn), &key, doc_id)?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    fn clinic_doc_ids(&self, clinic: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        // Ids are ASCII ([a-z0-9/-]), so the range [prefix, prefix + U+FFFF) is the prefix's.
        let end = format!("{prefix}\u{ffff}");
        let ids = conn
            .prepare_cached(
                "SELECT DISTINCT doc_id FROM changes WHERE doc_id >= ?1 AND doc_id < ?2 ORDER BY doc_id",
            )?
            .query_map(params![prefix, end], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn add_request(&self, r: &PortalRequest) -> Result<bool, StoreError> {
        // The keys before the platform's connection: they may need it.
        let r = &r.sealed(&*self.sealer(&r.clinic)?, &*self.sealer(PLATFORM)?);
        let mut conn = self.platform.lock().expect("platform poisoned");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held: bool = tx
            .prepare_cached(
                "SELECT 1 FROM portal_requests WHERE clinic_id = ?1 AND doctor_id = ?2
                   AND state = 'verifying' AND expires_at > ?5
                   AND starts_at < ?4 AND starts_at + minutes * 60 > ?3",
            )?
            .exists(params![
                r.clinic,
                r.doctor,
                r.starts_at,
                r.starts_at + r.minutes * 60,
                r.created_at
            ])?;
        if held {
            return Ok(false);
        }
        tx.execute(
            &format!("INSERT INTO portal_requests ({REQUEST_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"),
            params![
                r.id, r.clinic, r.doctor, r.visit_type, r.starts_at, r.minutes, r.name, r.phone,
                r.gender, r.dob, r.lang, r.code_hash, r.attempts, r.sends, r.created_at,
                r.expires_at, r.last_sent_at, r.address, r.state
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn request(&self, id: &str) -> Result<Option<PortalRequest>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let found = conn
            .query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM portal_requests WHERE id = ?1"),
                [id],
                request_row,
            )
            .optional()?;
        drop(conn);
        found
            .map(|r| {
                let k = self.sealer(&r.clinic)?;
                r.opened(&k)
            })
            .transpose()
    }

    fn wrong_code(&self, id: &str) -> Result<u32, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.query_row(
            "UPDATE portal_requests SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts",
            [id],
            |r| r.get(0),
        )?)
    }

    fn code_resent(&self, id: &str, code_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE portal_requests SET code_hash = ?2, expires_at = ?3, last_sent_at = ?4,
                    sends = sends + 1 WHERE id = ?1",
            params![id, code_hash, expires_at, now()],
        )?;
        Ok(())
    }

    fn end_request(&self, id: &str, state: &str) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.execute(
            "UPDATE portal_requests SET state = ?2 WHERE id = ?1 AND state = 'verifying'",
            params![id, state],
        )? == 1)
    }

    fn held(&self, clinic: &str, now: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let rows = conn
            .prepare_cached(
                "SELECT doctor_id, starts_at, starts_at + minutes * 60 FROM portal_requests
                 WHERE clinic_id = ?1 AND state = 'verifying' AND expires_at > ?2",
            )?
            .query_map(params![clinic, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn requests_by_phone(&self, clinic: &str, phone: &str, since: i64) -> Result<u32, StoreError> {
        let tag = self.sealer(clinic)?.tag("phone", phone);
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM portal_requests WHERE clinic_id = ?1 AND phone = ?2 AND created_at >= ?3",
            params![clinic, tag, since],
            |r| r.get(0),
        )?)
    }

    fn requests_by_address(&self, address: &str, since: i64) -> Result<u32, StoreError> {
        let tag = self.sealer(PLATFORM)?.tag("address", address);
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM portal_requests WHERE address = ?1 AND created_at >= ?2",
            params![tag, since],
            |r| r.get(0),
        )?)
    }

    fn requests_at(&self, clinic: &str, since: i64) -> Result<u32, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM portal_requests WHERE clinic_id = ?1 AND created_at >= ?2",
            params![clinic, since],
            |r| r.get(0),
        )?)
    }

    fn purge_requests(&self, before: i64) -> Result<u32, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.execute(
            "DELETE FROM portal_requests WHERE expires_at < ?1",
            [before],
        )? as u32)
    }

    fn add_booking(&self, b: &PortalBooking) -> Result<(), StoreError> {
        let b = &b.sealed(&*self.sealer(&b.clinic)?);
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            &format!("INSERT INTO portal_bookings ({BOOKING_COLUMNS}, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
            params![
                b.token_hash, b.clinic, b.appointment_id, b.doc_id, b.phone, b.name, b.lang,
                b.status_told, b.starts_told, b.doctor_told, b.reminded, b.review_sent, now()
            ],
        )?;
        Ok(())
    }

    fn booking(&self, token_hash: &str) -> Result<Option<PortalBooking>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let found = conn
            .query_row(
                &format!("SELECT {BOOKING_COLUMNS} FROM portal_bookings WHERE token_hash = ?1"),
                [token_hash],
                booking_row,
            )
            .optional()?;
        drop(conn);
        found
            .map(|b| {
                let k = self.sealer(&b.clinic)?;
                b.opened(&k)
            })
            .transpose()
    }

    fn bookings_of(&self, clinic: &str) -> Result<Vec<PortalBooking>, StoreError> {
        let key = self.sealer(clinic)?;
        let conn = self.platform.lock().expect("platform poisoned");
        let rows: Vec<PortalBooking> = conn
            .prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM portal_bookings WHERE clinic_id = ?1
                   AND NOT (status_told IN ('cancelled', 'no-show') OR (status_told = 'done' AND review_sent = 1))
                 ORDER BY starts_told"
            ))?
            .query_map([clinic], booking_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|b| b.opened(&key)).collect()
    }

    fn booking_told(&self, b: &PortalBooking) -> Result<(), StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE portal_bookings SET status_told = ?2, starts_told = ?3, doctor_told = ?4,
                    reminded = ?5, review_sent = ?6 WHERE token_hash = ?1",
            params![
                b.token_hash,
                b.status_told,
                b.starts_told,
                b.doctor_told,
                b.reminded,
                b.review_sent
            ],
        )?;
        Ok(())
    }

    fn enqueue(&self, m: &OutMessage) -> Result<bool, StoreError> {
        let m = &m.sealed(&*self.sealer(&m.clinic)?);
        let conn = self.platform.lock().expect("platform poisoned");
        let at = now();
        Ok(conn.execute(
            "INSERT INTO outbox (clinic_id, chat_id, text, idem_key, kind, state, attempts, next_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, ?6, ?7, ?7) ON CONFLICT (idem_key) DO NOTHING",
            params![m.clinic, m.chat_id, m.text, m.idem_key, m.kind, m.next_at, at],
        )? == 1)
    }

    fn due(&self, now: i64, limit: u32) -> Result<Vec<OutMessage>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE state = 'queued' AND next_at <= ?1
                 ORDER BY kind != 'code', next_at, id LIMIT ?2"
            ))?
            .query_map(params![now, limit], message_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(conn);
        rows.into_iter()
            .map(|m| {
                let k = self.sealer(&m.clinic)?;
                m.opened(&k)
            })
            .collect()
    }

    fn message_tried(&self, m: &OutMessage) -> Result<(), StoreError> {
        // WAHA's message ids hold the patient's number: kept as a digest, found by one.
        let platform = self.sealer(PLATFORM)?;
        let wa_id = m.wa_id.as_ref().map(|id| wa_tag(&platform, id));
        let conn = self.platform.lock().expect("platform poisoned");
        conn.execute(
            "UPDATE outbox SET state = ?2, attempts = ?3, next_at = ?4, last_error = ?5, wa_id = ?6,
                    updated_at = ?7 WHERE id = ?1",
            params![
                m.id,
                m.state,
                m.attempts,
                m.next_at,
                m.last_error,
                wa_id,
                now()
            ],
        )?;
        Ok(())
    }

    fn message_ack(&self, wa_id: &str, state: &str) -> Result<bool, StoreError> {
        let wa_id = &*wa_tag(&*self.sealer(PLATFORM)?, wa_id);
        let conn = self.platform.lock().expect("platform poisoned");
        let current: Option<String> = conn
            .query_row("SELECT state FROM outbox WHERE wa_id = ?1", [wa_id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(current) = current else {
            return Ok(false);
        };
        if state == "failed" || rank(state) > rank(&current) {
            conn.execute(
                "UPDATE outbox SET state = ?2, updated_at = ?3 WHERE wa_id = ?1",
                params![wa_id, state, now()],
            )?;
        }
        Ok(true)
    }

    fn claim(&self, m: &OutMessage) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.execute(
            "UPDATE outbox SET state = 'sending', attempts = ?2, updated_at = ?3
             WHERE id = ?1 AND state = 'queued'",
            params![m.id, m.attempts, now()],
        )? == 1)
    }

    fn interrupted_sends(&self, before: i64) -> Result<u32, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        Ok(conn.execute(
            "UPDATE outbox SET state = 'failed', updated_at = ?1,
                    last_error = 'the server stopped while sending it; not sent again (it may have arrived)'
             WHERE state = 'sending' AND updated_at < ?2",
            params![now(), before],
        )? as u32)
    }

    fn messages(&self, clinic: &str, limit: u32) -> Result<Vec<OutMessage>, StoreError> {
        let key = self.sealer(clinic)?;
        let conn = self.platform.lock().expect("platform poisoned");
        let rows: Vec<OutMessage> = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE clinic_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![clinic, limit], message_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|m| m.opened(&key)).collect()
    }

    fn clinic_waha(&self, clinic: &str) -> Result<Option<(String, String, String)>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let found: Option<(String, String, String)> = conn
            .prepare_cached("SELECT base, api_key, session FROM clinic_waha WHERE clinic_id = ?1")?
            .query_row([clinic], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        drop(conn);
        found
            .map(|(base, sealed, session)| {
                let key = self.sealer(clinic)?;
                Ok((base, key.open_text(&waha_row(clinic), &sealed)?, session))
            })
            .transpose()
    }

    fn set_clinic_waha(
        &self,
        clinic: &str,
        waha: Option<(&str, &str, &str)>,
    ) -> Result<(), StoreError> {
        let sealer = self.sealer(clinic)?;
        let conn = self.platform.lock().expect("platform poisoned");
        match waha {
            Some((base, key, session)) => conn.execute(
                "INSERT INTO clinic_waha (clinic_id, base, api_key, session) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (clinic_id) DO UPDATE SET base = excluded.base,
                    api_key = excluded.api_key, session = excluded.session",
                params![clinic, base, sealer.seal_text(&waha_row(clinic), key), session],
            )?,
            None => conn.execute("DELETE FROM clinic_waha WHERE clinic_id = ?1", [clinic])?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, starts_at: i64, created_at: i64) -> PortalRequest {
        PortalRequest {
            id: id.into(),
            clinic: "c".into(),
            doctor: "d".into(),
            visit_type: "t".into(),
            starts_at,
            minutes: 15,
            name: "ليلى".into(),
            phone: "+201012345678".into(),
            gender: None,
            dob: None,
            lang: "ar".into(),
            code_hash: "00".into(),
            attempts: 0,
            sends: 1,
            created_at,
            expires_at: created_at + 600,
            last_sent_at: created_at,
            address: "127.0.0.1".into(),
            state: "verifying".into(),
        }
    }

    #[test]
    fn a_held_slot_takes_no_overlapping_request_and_what_was_typed_is_purged_later() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let now = 1_800_000_000;
        assert!(store.add_request(&request("a", now + 3600, now)).unwrap());
        assert!(
            !store
                .add_request(&request("b", now + 3600 + 600, now))
                .unwrap(),
            "overlaps the first's 15 minutes"
        );
        assert!(store
            .add_request(&request("c", now + 3600 + 900, now))
            .unwrap());
        assert_eq!(store.held("c", now).unwrap().len(), 2);
        assert!(
            store.held("c", now + 601).unwrap().is_empty(),
            "expired codes hold nothing"
        );
        assert_eq!(
            store.purge_requests(now + 600).unwrap(),
            0,
            "still within its time"
        );
        assert_eq!(store.purge_requests(now + 601).unwrap(), 2);
        assert!(store.request("a").unwrap().is_none());
    }
}
