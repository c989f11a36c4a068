//! `Clinic`: one clinic's encrypted store on this machine, and every operation on it. Each
//! operation takes the acting `Session`; the role check, the write and the audit row happen
//! here, below any interface.

mod desk;
mod login_code;
pub use login_code::LoginCodeSetup;
mod money;
mod people;
mod records;
mod sync;

use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use rusqlite::Connection;
use serde::Serialize;

use crate::appointments::AppointmentRow;
use crate::audit::{self, AuditEntry, Outcome};
use crate::cashbook::Entry;
use crate::error::{CoreError, Result};
use crate::ids::{ClinicId, NodeId, StaffId};
use crate::keys::{self, KeySource};
use crate::money::Money;
use crate::patients::Patient;
use crate::roles::{Action, Role, Session};
use crate::settings::{self, ClinicSettings};
use crate::staff;
use crate::store::{self, Context, DocCache, Writer, DB_FILE};
use crate::time::ClinicTime;
use crate::visits::Visit;

/// What `init` needs to create a clinic.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The clinic's name.
    pub clinic_name: String,
    /// The owner's login.
    pub owner_login: String,
    /// The owner's display name.
    pub owner_name: String,
    /// The owner's password (hashed with Argon2id; never stored).
    pub owner_password: String,
    /// IANA zone (default Africa/Cairo).
    pub time_zone: String,
    /// ISO 4217 code (default EGP).
    pub currency: String,
}

impl InitOptions {
    /// A clinic in Egypt, where Ayada starts: Cairo's time zone and Egyptian pounds.
    pub fn in_egypt(
        clinic_name: impl Into<String>,
        owner_login: impl Into<String>,
        owner_name: impl Into<String>,
        owner_password: impl Into<String>,
    ) -> InitOptions {
        InitOptions {
            clinic_name: clinic_name.into(),
            owner_login: owner_login.into(),
            owner_name: owner_name.into(),
            owner_password: owner_password.into(),
            time_zone: crate::time::DEFAULT_TZ.into(),
            currency: "EGP".into(),
        }
    }
}

/// A patient's file as a screen shows it: details, bookings, and what the role may see of
/// visits and payments.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PatientFile {
    /// The patient's details.
    pub patient: Patient,
    /// Every booking, newest first.
    pub appointments: Vec<AppointmentRow>,
    /// Visits (doctors only).
    pub visits: Option<Vec<Visit>>,
    /// Payments and refunds (front desk and owner).
    pub payments: Option<Vec<Entry>>,
}

/// Where a clinic lives when no folder is given: the platform's data folder (XDG data home,
/// `%APPDATA%`, `~/Library/Application Support`) under `ayada/clinic`. The CLI and the
/// desktop app share it, so both open the same clinic by default.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("ayada")
        .join("clinic")
}

/// One clinic on this machine.
pub struct Clinic {
    conn: Connection,
    cache: DocCache,
    ctx: Context,
    dir: PathBuf,
    clinic_id: ClinicId,
}

impl Clinic {
    /// Creates a new clinic in `dir` (which must not hold one), with its owner, and logs the
    /// owner in. On failure nothing is left behind.
    pub fn init(
        dir: &Path,
        key_source: &KeySource,
        options: &InitOptions,
    ) -> Result<(Clinic, Session)> {
        let db = dir.join(DB_FILE);
        if db.exists() {
            return Err(CoreError::ClinicExists {
                dir: dir.display().to_string(),
            });
        }
        let time = ClinicTime::new(&options.time_zone)?;
        staff::hash_password(&options.owner_password)?;
        fs::create_dir_all(dir)?;
        let result = Self::create(dir, key_source, options, time);
        if result.is_err() {
            for file in [DB_FILE, "clinic.db-wal", "clinic.db-shm", "key.json"] {
                let _ = fs::remove_file(dir.join(file));
            }
        }
        result
    }

    /// A new, empty store in `dir` for machine `node` of clinic `clinic_id` (a new clinic's
    /// first machine, or one joining).
    fn new_store(
        dir: &Path,
        key: Option<&keys::Key>,
        clinic_id: ClinicId,
        node: NodeId,
        time: ClinicTime,
    ) -> Result<Clinic> {
        let conn = store::open_encrypted(&dir.join(DB_FILE), key, true)?;
        store::create_schema(&conn)?;
        store::set_identity(&conn, &clinic_id, &node, time.name())?;
        Ok(Clinic {
            conn,
            cache: DocCache::default(),
            ctx: Context {
                node,
                time,
                fixed_now: None,
            },
            dir: dir.to_path_buf(),
            clinic_id,
        })
    }

    fn create(
        dir: &Path,
        key_source: &KeySource,
        options: &InitOptions,
        time: ClinicTime,
    ) -> Result<(Clinic, Session)> {
        let clinic_id = ClinicId::new();
        let node = NodeId::new();
        let key = match key_source {
            #[cfg(feature = "bench-plain")]
            KeySource::PlainForBenchmark => None,
            _ => Some(keys::create_key(
                dir,
                key_source,
                &format!("{clinic_id}/{node}"),
            )?),
        };
        let mut clinic = Clinic::new_store(dir, key.as_ref(), clinic_id, node, time)?;
        let owner = Session {
            staff_id: StaffId::new(),
            login: staff::normalise_login(&options.owner_login)?,
            name: if options.owner_name.trim().is_empty() {
                options.owner_login.clone()
            } else {
                options.owner_name.trim().to_string()
            },
            role: Role::Owner,
        };
        let id = owner.staff_id;
        clinic.write(&owner, |w| {
            settings::put_settings(
                w,
                &ClinicSettings {
                    clinic_id,
                    name: options.clinic_name.trim().to_string(),
                    address: String::new(),
                    latitude_e6: None,
                    longitude_e6: None,
                    phones: Vec::new(),
                    email: String::new(),
                    time_zone: options.time_zone.clone(),
                    currency: options.currency.trim().to_ascii_uppercase(),
                },
            )?;
            staff::add(
                w,
                id,
                &owner.name,
                &owner.login,
                Role::Owner,
                &options.owner_password,
                false,
            )?;
            settings::set_visit_type(w, "examination", Money::ZERO, Some(20))?;
            settings::set_visit_type(w, "follow-up", Money::ZERO, Some(15))?;
            w.audit("clinic-init", clinic_id.to_string());
            Ok(())
        })?;
        Ok((clinic, owner))
    }

    /// Prepares this machine to join an existing clinic: an empty encrypted store with its
    /// own new key and node id, holding nothing until the clinic's changes are applied
    /// (`apply_changes`). Staff can log in once the clinic document has arrived.
    pub fn join(
        dir: &Path,
        key_source: &KeySource,
        clinic_id: ClinicId,
        node: NodeId,
        time_zone: &str,
    ) -> Result<Clinic> {
        if crate::replication::has_clinic(dir) {
            return Err(CoreError::ClinicExists {
                dir: dir.display().to_string(),
            });
        }
        let time = ClinicTime::new(time_zone)?;
        fs::create_dir_all(dir)?;
        let result = (|| {
            let key = keys::create_key(dir, key_source, &format!("{clinic_id}/{node}"))?;
            Clinic::new_store(dir, Some(&key), clinic_id, node, time)
        })();
        if result.is_err() {
            for file in [DB_FILE, "clinic.db-wal", "clinic.db-shm", "key.json"] {
                let _ = fs::remove_file(dir.join(file));
            }
        }
        result
    }

    /// Opens the clinic in `dir` with the key source it was created with. A wrong key is
    /// `CoreError::WrongKey`; a folder with no clinic is `CoreError::NoClinic`.
    pub fn open(dir: &Path, key_source: &KeySource) -> Result<Clinic> {
        let db = dir.join(DB_FILE);
        if !db.exists() {
            return Err(CoreError::NoClinic {
                dir: dir.display().to_string(),
            });
        }
        let key = keys::load_key(dir, key_source)?;
        let conn = store::open_encrypted(&db, Some(&key), false)?;
        store::upgrade(&conn)?;
        let missing = |what: &str| CoreError::Document {
            detail: format!("the database has no {what}"),
        };
        let node: NodeId = store::meta(&conn, "node_id")?
            .ok_or_else(|| missing("node id"))?
            .parse()?;
        let clinic_id: ClinicId = store::meta(&conn, "clinic_id")?
            .ok_or_else(|| missing("clinic id"))?
            .parse()?;
        let tz = store::meta(&conn, "time_zone")?.ok_or_else(|| missing("time zone"))?;
        Ok(Clinic {
            conn,
            cache: DocCache::default(),
            ctx: Context {
                node,
                time: ClinicTime::new(&tz)?,
                fixed_now: None,
            },
            dir: dir.to_path_buf(),
            clinic_id,
        })
    }

    /// The clinic's id.
    pub fn id(&self) -> ClinicId {
        self.clinic_id
    }

    /// This machine's node id.
    pub fn node(&self) -> NodeId {
        self.ctx.node
    }

    /// The clinic's clock.
    pub fn time(&self) -> &ClinicTime {
        &self.ctx.time
    }

    /// Now for this clinic's writes: the system clock, or the one `set_clock` fixed.
    pub(crate) fn now(&self) -> jiff::Timestamp {
        self.ctx.now()
    }

    /// The latest clinic-local day up to `until` that has appointments.
    pub(crate) fn last_appointment_day(&self, until: Date) -> Result<Option<Date>> {
        crate::appointments::last_day(&self.conn, until)
    }

    /// The store, for the modules that read their tables beside an operation (an import's
    /// checks before its one write).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes every later write happen at `at` instead of the system clock's now (None: back
    /// to the system clock). For tests and scenarios that need a given clinic day; the
    /// desktop app and the CLI never call it.
    #[doc(hidden)]
    pub fn set_clock(&mut self, at: Option<jiff::Timestamp>) {
        self.ctx.fixed_now = at;
    }

    /// Runs `f` as one atomic write by `session`. A refusal for the role is itself audited
    /// (in its own transaction, since the write is rolled back).
    pub(crate) fn write<R>(
        &mut self,
        session: &Session,
        f: impl FnOnce(&mut Writer<'_>) -> Result<R>,
    ) -> Result<R> {
        let result = (|| {
            let mut w = Writer::new(&mut self.conn, &mut self.cache, session, &self.ctx)?;
            let out = f(&mut w)?;
            w.finish()?;
            Ok(out)
        })();
        if let Err(CoreError::Forbidden { action, .. }) = &result {
            self.audit_now(session.login(), action, "", Outcome::Denied)?;
        }
        result
    }

    /// Refuses `action` to this session's role (audited), for what a caller does outside the
    /// core with the answer (reading the server's outbox of messages to patients).
    pub fn may(&mut self, session: &Session, action: Action) -> Result<()> {
        self.allow_read(session, action)
    }

    /// Checks a read; a refusal is audited.
    fn allow_read(&mut self, session: &Session, action: Action) -> Result<()> {
        if let Err(err) = session.allow(action) {
            self.audit_now(session.login(), action.id(), "", Outcome::Denied)?;
            return Err(err);
        }
        Ok(())
    }

    fn audit_now(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        outcome: Outcome,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let entry = AuditEntry {
            actor: actor.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            outcome,
        };
        audit::append(
            &tx,
            &self.ctx.node.to_string(),
            jiff::Timestamp::now().as_second(),
            &entry,
        )?;
        tx.commit()?;
        Ok(())
    }

    // ---- staff and login ----

    /// Checks a login and password against the clinic's accounts (offline); every attempt is
    /// audited, the password never.
    pub fn login(&mut self, login: &str, password: &str) -> Result<Session> {
        self.login_with_code(login, password, None)
    }

    /// [`Clinic::login`] with the code of the account's authenticator app, which an account
    /// that turned it on asks for (`CoreError::LoginCodeRequired` without it).
    pub fn login_with_code(
        &mut self,
        login: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<Session> {
        let login = staff::normalise_login(login).map_err(|_| CoreError::LoginFailed)?;
        let Some(account) = staff::account(&self.conn, &login)?
            .filter(|a| staff::verify_password(password, &a.password_hash))
        else {
            self.audit_now(&login, "login", "", Outcome::Failed)?;
            return Err(CoreError::LoginFailed);
        };
        if !account.active {
            self.audit_now(&login, "login", "inactive", Outcome::Failed)?;
            return Err(CoreError::AccountInactive { login });
        }
        self.check_login_code(account.id, &login, code)?;
        self.audit_now(&login, "login", "", Outcome::Ok)?;
        Ok(Session {
            staff_id: account.id,
            login,
            name: account.name,
            role: account.role,
        })
    }

    pub(crate) fn write_as<R>(
        &mut self,
        session: &Session,
        f: impl FnOnce(&mut Writer<'_>) -> Result<R>,
    ) -> Result<R> {
        self.write(session, f)
    }
}
