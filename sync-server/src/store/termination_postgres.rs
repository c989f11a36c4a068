//! Termination in PostgreSQL: the clinic's schema is dropped with its data.

use super::postgres::{schema_of, PgStore};
use super::termination::{Termination, TerminationStore, CLINIC_ROWS};
use super::StoreError;

const COLUMNS: &str = "clinic_id, at, delete_after, by_admin, note, link_hash, deleted_at";

fn row(r: &r2d2_postgres::postgres::Row) -> Termination {
    Termination {
        clinic: r.get(0),
        at: r.get(1),
        delete_after: r.get(2),
        by: r.get(3),
        note: r.get(4),
        link_hash: r.get(5),
        deleted_at: r.get(6),
    }
}

impl PgStore {
    fn termination_where(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Option<Termination>, StoreError> {
        Ok(self
            .conn()?
            .q_opt(
                &format!("SELECT {COLUMNS} FROM platform.terminations WHERE {column} = $1"),
                &[&value],
            )?
            .as_ref()
            .map(row))
    }
}

impl TerminationStore for PgStore {
    fn terminate(&self, t: &Termination) -> Result<bool, StoreError> {
        let added = self.conn()?.x(
            &format!(
                "INSERT INTO platform.terminations ({COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (clinic_id) DO NOTHING"
            ),
            &[
                &t.clinic,
                &t.at,
                &t.delete_after,
                &t.by,
                &t.note,
                &t.link_hash,
            ],
        )?;
        Ok(added == 1)
    }

    fn termination(&self, clinic: &str) -> Result<Option<Termination>, StoreError> {
        self.termination_where("clinic_id", clinic)
    }

    fn termination_by_link(&self, link_hash: &str) -> Result<Option<Termination>, StoreError> {
        self.termination_where("link_hash", link_hash)
    }

    fn due_deletions(&self, now: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .conn()?
            .q(
                "SELECT clinic_id FROM platform.terminations
                 WHERE deleted_at IS NULL AND delete_after <= $1 ORDER BY delete_after",
                &[&now],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn blob_ids(&self, clinic: &str) -> Result<Vec<String>, StoreError> {
        let (mut conn, schema) = self.clinic(clinic)?;
        Ok(conn
            .q(
                &format!("SELECT sha256 FROM {schema}.blobs ORDER BY sha256"),
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn delete_clinic_data(&self, clinic: &str, at: i64) -> Result<bool, StoreError> {
        let schema = schema_of(clinic)?;
        let mut conn = self.conn()?;
        // The key first: from here on no copy of the clinic's rows opens, backups included.
        // Emptied, not deleted: a key is never made again for this clinic.
        conn.x(
            "INSERT INTO platform.clinic_keys (scope, wrapped, created_at) VALUES ($1, '', $2)
             ON CONFLICT (scope) DO UPDATE SET wrapped = ''",
            &[&clinic, &at],
        )?;
        self.keys.forget(clinic);
        let mut tx = conn.client.transaction()?;
        tx.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        tx.execute(
            "DELETE FROM platform.migrations WHERE scope = $1",
            &[&schema],
        )?;
        for (table, column) in CLINIC_ROWS {
            tx.execute(
                &format!("DELETE FROM platform.{table} WHERE {column} = $1"),
                &[&clinic],
            )?;
        }
        tx.execute(
            "UPDATE platform.clinics SET password_hash = '' WHERE id = $1",
            &[&clinic],
        )?;
        let marked = tx.execute(
            "UPDATE platform.terminations SET deleted_at = $2
             WHERE clinic_id = $1 AND deleted_at IS NULL",
            &[&clinic, &at],
        )? == 1;
        tx.commit()?;
        self.ready.lock().expect("ready poisoned").remove(&schema);
        Ok(marked)
    }
}
