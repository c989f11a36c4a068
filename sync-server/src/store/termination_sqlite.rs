//! Termination in the embedded SQLite store.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::sqlite::SqliteStore;
use super::termination::{Termination, TerminationStore, CLINIC_ROWS};
use super::StoreError;

const COLUMNS: &str = "clinic_id, at, delete_after, by_admin, note, link_hash, deleted_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Termination> {
    Ok(Termination {
        clinic: r.get(0)?,
        at: r.get(1)?,
        delete_after: r.get(2)?,
        by: r.get(3)?,
        note: r.get(4)?,
        link_hash: r.get(5)?,
        deleted_at: r.get(6)?,
    })
}

impl SqliteStore {
    fn termination_where(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Option<Termination>, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let found = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM terminations WHERE {column} = ?1"),
                [value],
                row,
            )
            .optional()?;
        Ok(found)
    }
}

impl TerminationStore for SqliteStore {
    fn terminate(&self, t: &Termination) -> Result<bool, StoreError> {
        let conn = self.platform.lock().expect("platform poisoned");
        let added = conn.execute(
            &format!(
                "INSERT INTO terminations ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)
                 ON CONFLICT (clinic_id) DO NOTHING"
            ),
            params![t.clinic, t.at, t.delete_after, t.by, t.note, t.link_hash],
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
        let conn = self.platform.lock().expect("platform poisoned");
        let ids = conn
            .prepare(
                "SELECT clinic_id FROM terminations WHERE deleted_at IS NULL AND delete_after <= ?1
                 ORDER BY delete_after",
            )?
            .query_map([now], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn blob_ids(&self, clinic: &str) -> Result<Vec<String>, StoreError> {
        let db = self.clinic_db(clinic)?;
        let conn = db.lock().expect("clinic db poisoned");
        let ids = conn
            .prepare("SELECT sha256 FROM blobs ORDER BY sha256")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn delete_clinic_data(&self, clinic: &str, at: i64) -> Result<bool, StoreError> {
        // The key first: from here on no copy of the clinic's rows opens, wherever it is.
        // Emptied, not deleted: a key is never made again for this clinic.
        self.platform.lock().expect("platform poisoned").execute(
            "INSERT INTO clinic_keys (scope, wrapped, created_at) VALUES (?1, x'', ?2)
                 ON CONFLICT (scope) DO UPDATE SET wrapped = x''",
            params![clinic, at],
        )?;
        self.keys.forget(clinic);
        // Its file (and the log beside it). Clinic ids are UUIDs the platform made.
        self.clinics
            .lock()
            .expect("clinic map poisoned")
            .remove(clinic);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = self
                .dir
                .join("clinics")
                .join(format!("{clinic}.db{suffix}"));
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        let mut conn = self.platform.lock().expect("platform poisoned");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (table, column) in CLINIC_ROWS {
            tx.execute(
                &format!("DELETE FROM {table} WHERE {column} = ?1"),
                [clinic],
            )?;
        }
        tx.execute(
            "UPDATE clinics SET password_hash = '' WHERE id = ?1",
            [clinic],
        )?;
        let marked = tx.execute(
            "UPDATE terminations SET deleted_at = ?2 WHERE clinic_id = ?1 AND deleted_at IS NULL",
            params![clinic, at],
        )? == 1;
        tx.commit()?;
        // The pages the rows held are wiped (SQLite reuses them without clearing).
        super::sqlite_log::forget_clear_pages(&conn)?;
        Ok(marked)
    }
}
