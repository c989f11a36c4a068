//! The PostgreSQL store's keys and its first sealing: the wrapped keys in
//! `platform.clinic_keys`, and the rows an older server wrote in clear sealed once (each
//! clinic's schema on its first use, the platform's rows at start), with the old row versions
//! rewritten out of the tables' files.

use std::sync::Arc;

use r2d2_postgres::postgres::Client;

use super::postgres::{locks, PgStore, Pool};
use super::reseal;
use super::sqlite::now;
use super::vault::{KeyTable, Kind, Sealer};
use super::StoreError;

/// The platform's table of wrapped keys.
pub(super) struct PlatformKeys<'a>(pub(super) &'a Pool);

impl KeyTable for PlatformKeys<'_> {
    fn wrapped_key(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .0
            .get()?
            .q_opt(
                "SELECT wrapped FROM platform.clinic_keys WHERE scope = $1",
                &[&scope],
            )?
            .map(|r| r.get(0)))
    }

    fn keep_wrapped_key(&self, scope: &str, wrapped: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut conn = self.0.get()?;
        conn.x(
            "INSERT INTO platform.clinic_keys (scope, wrapped, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (scope) DO NOTHING",
            &[&scope, &wrapped, &now()],
        )?;
        Ok(conn
            .q_one(
                "SELECT wrapped FROM platform.clinic_keys WHERE scope = $1",
                &[&scope],
            )?
            .get(0))
    }
}

impl PgStore {
    /// Seals what an older server kept in clear in the platform schema ([`reseal`]), under
    /// the migrations' lock (replicas starting together do it once).
    pub(super) fn seal_clear_platform_rows(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let done = conn.q_opt(
            "SELECT 1 FROM platform.sealed_clinics WHERE clinic_id = $1",
            &[&reseal::MARK],
        )?;
        if done.is_some() {
            return Ok(());
        }
        let clinics: Vec<String> = conn
            .q(&reseal::clinics_sql("platform."), &[])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let keys = reseal::keys(&clinics, |s| self.sealer(s))?;
        let platform = &keys[super::vault::PLATFORM];
        let mut tx = conn.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1, 1)", &[&locks::MIGRATE])?;
        let again = tx.query_opt(
            "SELECT 1 FROM platform.sealed_clinics WHERE clinic_id = $1",
            &[&reseal::MARK],
        )?;
        if again.is_some() {
            return Ok(());
        }
        let mut resealed = tx.execute("DELETE FROM platform.portal_requests", &[])?;
        for f in reseal::FIELDS {
            let update = reseal::update_sql(f, "platform.", "$");
            for r in tx.query(&reseal::select_sql(f, "platform."), &[])? {
                let (row, value, clinic): (String, String, String) = (r.get(0), r.get(1), r.get(2));
                let phone: Option<String> = r.get(3);
                let key = keys.get(&clinic).unwrap_or(platform);
                resealed +=
                    match reseal::sealed_value(f, key, platform, &row, &value, phone.as_deref()) {
                        Some((value, Some(phone))) => {
                            tx.execute(&update, &[&value, &row, &phone])?
                        }
                        Some((value, None)) => tx.execute(&update, &[&value, &row])?,
                        None => 0,
                    };
            }
        }
        tx.execute(
            "INSERT INTO platform.sealed_clinics (clinic_id, sealed_at) VALUES ($1, $2)",
            &[&reseal::MARK, &now()],
        )?;
        tx.commit()?;
        // The clear rows' old versions leave the tables' files (the write-ahead log keeps
        // them until its segments are recycled: docs/OPERATIONS.md).
        if resealed > 0 {
            let tables = [
                "portal_requests",
                "portal_bookings",
                "outbox",
                "clinic_waha",
            ];
            for table in tables.iter().chain(&["owner_totp", "admins", "emails"]) {
                conn.batch_execute(&format!("VACUUM FULL platform.{table}"))?;
            }
        }
        Ok(())
    }

    /// The key of a clinic (or of [`super::vault::PLATFORM`]), made on first use.
    pub(super) fn sealer(&self, scope: &str) -> Result<Arc<Sealer>, StoreError> {
        self.keys.sealer(&PlatformKeys(&self.platform), scope)
    }

    /// Keeps `key` as a clinic's, wrapped by this store's master key, in place of any it
    /// had ([`super::migrate`]: only for a clinic the store does not hold yet).
    pub(super) fn put_clinic_key(&self, clinic: &str, key: &[u8; 32]) -> Result<(), StoreError> {
        self.conn()?.x(
            "INSERT INTO platform.clinic_keys (scope, wrapped, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (scope) DO UPDATE SET wrapped = excluded.wrapped",
            &[&clinic, &self.keys.wrap(clinic, key), &now()],
        )?;
        self.keys.forget(clinic);
        Ok(())
    }
}

/// Seals the rows of a clinic's schema an older server wrote in clear, once: under the
/// clinic's log lock, with its mark in `platform.sealed_clinics` in the same transaction.
pub(super) fn seal_clear_rows(
    client: &mut Client,
    schema: &str,
    clinic: &str,
    key: &Sealer,
) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&locks::LOG, &clinic],
    )?;
    let done = tx
        .query_opt(
            "SELECT 1 FROM platform.sealed_clinics WHERE clinic_id = $1",
            &[&clinic],
        )?
        .is_some();
    let mut resealed = 0;
    if !done {
        for (table, id, kind) in [
            ("changes", "hash", Kind::Change),
            ("quarantine", "hash", Kind::Change),
            ("docs", "doc_id", Kind::Doc),
            ("blobs", "sha256", Kind::Blob),
        ] {
            let update = format!("UPDATE {schema}.{table} SET bytes = $2 WHERE {id} = $1");
            for r in tx.query(&format!("SELECT {id}, bytes FROM {schema}.{table}"), &[])? {
                let (row, bytes): (String, Vec<u8>) = (r.get(0), r.get(1));
                // A row that opens is sealed already.
                if key.open(kind, &row, &bytes).is_err() {
                    resealed += tx.execute(&update, &[&row, &key.seal(kind, &row, &bytes)])?;
                }
            }
        }
        tx.execute(
            "INSERT INTO platform.sealed_clinics (clinic_id, sealed_at) VALUES ($1, $2)",
            &[&clinic, &now()],
        )?;
    }
    tx.commit()?;
    if resealed > 0 {
        // The clear rows' old versions leave the tables' files.
        for table in ["changes", "quarantine", "docs", "blobs"] {
            client.batch_execute(&format!("VACUUM FULL {schema}.{table}"))?;
        }
    }
    Ok(())
}
