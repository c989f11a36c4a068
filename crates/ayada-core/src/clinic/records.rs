//! The clinic's records as a whole: backups, restores and exports, the audit chain, the
//! projections rebuilt from the documents, and the demo data.

use std::path::Path;

use crate::audit::{self, AuditRow, Outcome};
use crate::error::Result;
use crate::keys::KeySource;
use crate::projections;
use crate::roles::{Action, Session};

use super::Clinic;

impl Clinic {
    /// Writes an encrypted backup of the whole clinic to `out` (owner; audited).
    pub fn backup(
        &mut self,
        session: &Session,
        out: &Path,
        passphrase: &str,
    ) -> Result<crate::backup::BackupReport> {
        self.allow_read(session, Action::BackupExport)?;
        let report = crate::backup::backup(&self.conn, out, passphrase)?;
        self.write(session, |w| {
            w.audit("backup", report.file.clone());
            Ok(())
        })?;
        Ok(report)
    }

    /// Restores a backup into `dir`, which must hold no clinic, under a new key from
    /// `key_source` and a new node id; the restore is audited on the restored clinic.
    pub fn restore(
        dir: &Path,
        key_source: &KeySource,
        from: &Path,
        passphrase: &str,
    ) -> Result<Clinic> {
        let old_node = crate::backup::restore(dir, key_source, from, passphrase)?;
        let mut clinic = Clinic::open(dir, key_source)?;
        clinic.audit_now(
            "",
            "restore",
            &format!("{} (made on machine {old_node})", from.display()),
            Outcome::Ok,
        )?;
        Ok(clinic)
    }

    /// Exports the clinic as CSV, JSON and photo files into `out` (owner; audited).
    pub fn export(&mut self, session: &Session, out: &Path) -> Result<crate::backup::ExportReport> {
        self.allow_read(session, Action::BackupExport)?;
        let report = crate::backup::export(&self.conn, out)?;
        self.write(session, |w| {
            w.audit("export", report.folder.clone());
            Ok(())
        })?;
        Ok(report)
    }

    /// Verifies the audit chain (owner); returns how many rows were checked.
    pub fn verify_audit(&mut self, session: &Session) -> Result<i64> {
        self.allow_read(session, Action::ReadAudit)?;
        audit::verify(&self.conn)
    }

    /// Like [`Clinic::verify_audit`], and also against audit heads this machine sent the sync
    /// server earlier (`count`, `hash`), which a rewritten past no longer matches.
    pub fn verify_audit_anchored(
        &mut self,
        session: &Session,
        anchors: &[(u64, String)],
    ) -> Result<(i64, usize)> {
        let rows = self.verify_audit(session)?;
        Ok((rows, audit::verify_anchors(&self.conn, anchors)?))
    }

    /// Where this machine's audit chain ends (rows, newest hash): sent with each push.
    pub fn audit_head(&self) -> Result<(u64, String)> {
        audit::head(&self.conn)
    }

    /// The newest audit rows (owner).
    pub fn audit_log(&mut self, session: &Session, limit: i64) -> Result<Vec<AuditRow>> {
        self.allow_read(session, Action::ReadAudit)?;
        audit::recent(&self.conn, limit)
    }

    /// Rebuilds every projection from the documents; returns how many documents it read.
    pub fn rebuild_projections(&mut self) -> Result<usize> {
        self.cache.clear();
        projections::rebuild(&mut self.conn, &self.ctx.time)
    }

    /// Every projection row as text, for comparing machines or a rebuild with the live rows.
    pub fn projection_snapshot(&self) -> Result<Vec<String>> {
        projections::snapshot(&self.conn)
    }

    /// How many changes this machine's log holds.
    pub fn change_count(&self) -> Result<i64> {
        crate::replication::change_count(&self.conn)
    }

    /// Fills the clinic with generated data (owner); see `demo`.
    pub fn generate_demo(
        &mut self,
        session: &Session,
        options: &crate::demo::DemoOptions,
    ) -> Result<crate::demo::DemoReport> {
        self.allow_read(session, Action::GenerateDemo)?;
        crate::demo::generate(self, session, options)
    }
}
