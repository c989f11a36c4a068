//! `Clinic`: one clinic's encrypted store on this machine, and every operation on it. Each
//! operation takes the acting `Session`; the role check, the write and the audit row happen
//! here, below any interface.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::appointments::{self, Appointment, AppointmentRow, Booking, BookingKind, Status};
use crate::audit::{self, AuditEntry, AuditRow, Outcome};
use crate::cashbook::{self, CashSummary, Entry, Method};
use crate::error::{CoreError, Result};
use crate::ids::{AppointmentId, ClinicId, EntryId, NodeId, PatientId, StaffId};
use crate::keys::{self, KeySource};
use crate::money::Money;
use crate::patients::{self, NewPatient, Patient, PatientEdit, PatientHit};
use crate::photos;
use crate::projections;
use crate::reports::{
    self, Bucket, CloseSummary, DayReport, MonthReport, Period, Receipt, ServerCheck,
};
use crate::roles::{Action, Role, Session};
use crate::schedules::{self, Hours, Schedule};
use crate::settings::{self, ClinicSettings, Insurer, VisitType, INSURERS};
use crate::shifts::{self, Shift, ShiftClosed};
use crate::staff::{self, StaffMember};
use crate::store::{self, Context, DocCache, Writer, DB_FILE};
use crate::time::ClinicTime;
use crate::visits::{self, Visit, VisitInput};

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
        let conn = store::open_encrypted(&dir.join(DB_FILE), key.as_ref(), true)?;
        store::create_schema(&conn)?;
        conn.execute_batch(&format!(
            "INSERT INTO meta (key, value) VALUES ('clinic_id', '{clinic_id}'), ('node_id', '{node}'), ('time_zone', '{}');",
            time.name().replace('\'', "")
        ))?;
        let mut clinic = Clinic {
            conn,
            cache: DocCache::default(),
            ctx: Context {
                node,
                time,
                fixed_now: None,
            },
            dir: dir.to_path_buf(),
            clinic_id,
        };
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
            let conn = store::open_encrypted(&dir.join(DB_FILE), Some(&key), true)?;
            store::create_schema(&conn)?;
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('clinic_id', ?1), ('node_id', ?2), ('time_zone', ?3)",
                params![clinic_id.to_string(), node.to_string(), time.name()],
            )?;
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
        let day: Option<String> = self.conn.query_row(
            "SELECT MAX(local_date) FROM appointments WHERE local_date <= ?1",
            [until.to_string()],
            |r| r.get(0),
        )?;
        day.map(|d| crate::time::parse_date(&d)).transpose()
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
        let login = staff::normalise_login(login).map_err(|_| CoreError::LoginFailed)?;
        let row: Option<(String, String, String, bool, String)> = self
            .conn
            .query_row(
                "SELECT id, name, role, active, password_hash FROM staff WHERE login = ?1",
                [&login],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((id, name, role, active, _hash)) =
            row.filter(|r| staff::verify_password(password, &r.4))
        else {
            self.audit_now(&login, "login", "", Outcome::Failed)?;
            return Err(CoreError::LoginFailed);
        };
        if !active {
            self.audit_now(&login, "login", "inactive", Outcome::Failed)?;
            return Err(CoreError::AccountInactive { login });
        }
        self.audit_now(&login, "login", "", Outcome::Ok)?;
        Ok(Session {
            staff_id: id.parse()?,
            login,
            name,
            role: role.parse()?,
        })
    }

    /// The names on the login screen: active accounts, no hashes.
    pub fn login_names(&self) -> Result<Vec<StaffMember>> {
        self.staff_rows("WHERE active = 1")
    }

    fn staff_rows(&self, filter: &str) -> Result<Vec<StaffMember>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, name, login, role, active FROM staff {filter} ORDER BY name"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, name, login, role, active) = row?;
            Ok(StaffMember {
                id: id.parse()?,
                name,
                login,
                role: role.parse()?,
                active,
            })
        })
        .collect()
    }

    /// Every account (owner).
    pub fn staff(&mut self, session: &Session) -> Result<Vec<StaffMember>> {
        self.allow_read(session, Action::ManageStaff)?;
        self.staff_rows("")
    }

    /// Adds a staff account (owner).
    pub fn add_staff(
        &mut self,
        session: &Session,
        name: &str,
        login: &str,
        role: Role,
        password: &str,
    ) -> Result<StaffMember> {
        self.write(session, |w| {
            staff::add(w, StaffId::new(), name, login, role, password, true)
        })
        .map(|s| StaffMember::from(&s))
    }

    /// Deactivates or re-activates an account (owner).
    pub fn set_staff_active(
        &mut self,
        session: &Session,
        login: &str,
        active: bool,
    ) -> Result<StaffMember> {
        self.write(session, |w| staff::set_active(w, login, active))
            .map(|s| StaffMember::from(&s))
    }

    /// Changes a password (the owner's for anyone; anyone's for themselves).
    pub fn set_password(&mut self, session: &Session, login: &str, password: &str) -> Result<()> {
        self.write(session, |w| staff::set_password(w, login, password))
    }

    // ---- settings ----

    /// The clinic's details.
    pub fn settings(&mut self, session: &Session) -> Result<ClinicSettings> {
        self.write(session, settings::settings)
    }

    /// Changes the clinic's details (owner). The time zone is fixed at creation.
    pub fn update_settings(
        &mut self,
        session: &Session,
        new: &ClinicSettings,
    ) -> Result<ClinicSettings> {
        self.write(session, |w| {
            w.allow(Action::ManageSettings)?;
            let old = settings::settings(w)?;
            let mut new = new.clone();
            new.clinic_id = old.clinic_id;
            new.time_zone = old.time_zone;
            new.phones = new
                .phones
                .iter()
                .map(|p| crate::phones::Phone::parse(p).map(|p| p.to_string()))
                .collect::<Result<_>>()?;
            settings::put_settings(w, &new)?;
            w.audit("settings-update", "");
            Ok(new)
        })
    }

    /// Creates or re-prices a visit type (owner).
    pub fn set_visit_type(
        &mut self,
        session: &Session,
        name: &str,
        price: Money,
        minutes: Option<i64>,
    ) -> Result<VisitType> {
        self.write(session, |w| {
            settings::set_visit_type(w, name, price, minutes)
        })
    }

    /// The active visit types with prices.
    pub fn visit_types(&mut self, session: &Session) -> Result<Vec<VisitType>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let mut stmt = self.conn.prepare("SELECT id, name, price, minutes, active FROM visit_types WHERE active = 1 ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, name, price, minutes, active) = row?;
            Ok(VisitType {
                id: id.parse()?,
                name,
                price: Money(price),
                minutes,
                active,
            })
        })
        .collect()
    }

    /// Adds an insurance provider (owner).
    pub fn add_insurer(&mut self, session: &Session, name: &str) -> Result<Insurer> {
        self.write(session, |w| settings::add_insurer(w, name))
    }

    /// The active insurers, by name.
    pub fn insurers(&mut self, session: &Session) -> Result<Vec<Insurer>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let mut all: Vec<Insurer> = self.write(session, |w| settings::list(w, INSURERS))?;
        all.retain(|i| i.active);
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    // ---- schedules ----

    fn doctor_id(&self, login: &str) -> Result<StaffId> {
        let login = staff::normalise_login(login)?;
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM staff WHERE login = ?1 AND role = 'doctor' AND active = 1",
                [&login],
                |r| r.get(0),
            )
            .optional()?;
        id.ok_or_else(|| CoreError::not_found("doctor", &login))?
            .parse()
    }

    /// Sets a doctor's weekly schedule (owner).
    pub fn set_schedule(
        &mut self,
        session: &Session,
        doctor: &str,
        days: Vec<String>,
        hours: Vec<Hours>,
        slot_minutes: i64,
    ) -> Result<Schedule> {
        self.allow_read(session, Action::ManageSettings)?;
        let doctor = self.doctor_id(doctor)?;
        self.write(session, |w| {
            schedules::set(w, doctor, days, hours, slot_minutes)
        })
    }

    /// A doctor's weekly schedule and its exceptions, if one was set (everyone who books or
    /// sees the calendar may read it).
    pub fn schedule(&mut self, session: &Session, doctor: &str) -> Result<Option<Schedule>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let doctor = self.doctor_id(doctor)?;
        schedules::load(&self.conn, doctor)
    }

    /// Gives a doctor other hours on a date; no hours is a day off (owner).
    pub fn set_schedule_exception(
        &mut self,
        session: &Session,
        doctor: &str,
        date: Date,
        hours: Vec<Hours>,
    ) -> Result<Schedule> {
        self.allow_read(session, Action::ManageSettings)?;
        let doctor = self.doctor_id(doctor)?;
        self.write(session, |w| {
            schedules::set_exception(w, doctor, date, hours)
        })
    }

    /// A doctor's free slots on a date, clinic-local "HH:MM".
    pub fn free_slots(
        &mut self,
        session: &Session,
        doctor: &str,
        date: Date,
    ) -> Result<Vec<String>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let doctor = self.doctor_id(doctor)?;
        let Some(schedule) = schedules::load(&self.conn, doctor)? else {
            return Ok(Vec::new());
        };
        let (start, end) = self.ctx.time.day_bounds(date)?;
        let busy = appointments::busy(&self.conn, doctor, start, end)?
            .into_iter()
            .map(|(a, b)| {
                (
                    jiff::Timestamp::from_second(a).unwrap_or_default(),
                    jiff::Timestamp::from_second(b).unwrap_or_default(),
                )
            })
            .collect::<Vec<_>>();
        let slots = schedules::free_slots(&schedule, &self.ctx.time, date, &busy)?;
        // A slot that is over cannot be booked any more; the one under way still can (the
        // patient is at the desk now).
        let now = self.ctx.now();
        let length = jiff::SignedDuration::from_mins(schedule.slot_minutes);
        Ok(slots
            .into_iter()
            .filter(|t| *t + length > now)
            .map(|t| self.ctx.time.local(t).strftime("%H:%M").to_string())
            .collect())
    }

    // ---- patients ----

    /// Registers a patient.
    pub fn add_patient(&mut self, session: &Session, new: &NewPatient) -> Result<Patient> {
        self.write(session, |w| patients::add(w, new))
    }

    /// Edits a patient's details.
    pub fn update_patient(
        &mut self,
        session: &Session,
        id: PatientId,
        edit: &PatientEdit,
    ) -> Result<Patient> {
        self.write(session, |w| patients::update(w, id, edit))
    }

    /// As-you-type search over names (Arabic variants folded) and phone numbers.
    pub fn search_patients(
        &mut self,
        session: &Session,
        query: &str,
        limit: usize,
    ) -> Result<Vec<PatientHit>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        patients::search(&self.conn, query, limit)
    }

    /// A patient's file, with what the role may see.
    pub fn patient_file(&mut self, session: &Session, id: PatientId) -> Result<PatientFile> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let patient = self.write(session, |w| patients::get(w, id))?;
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT DISTINCT local_date FROM appointments WHERE patient_id = ?1 ORDER BY local_date DESC")?
            .query_map([id.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut appointments = Vec::new();
        for date in ids {
            let date: Date = date.parse().map_err(|_| CoreError::Document {
                detail: "bad date".into(),
            })?;
            appointments.extend(
                appointments::list(&self.conn, &self.ctx.time, date)?
                    .into_iter()
                    .filter(|a| a.patient_id == id),
            );
        }
        let visits = if session.allow(Action::ReadClinical).is_ok() {
            Some(self.visits_of(session, id)?)
        } else {
            None
        };
        let payments = if session.allow(Action::TakePayment).is_ok()
            || session.allow(Action::ReadMoney).is_ok()
        {
            Some(self.entries_where("patient_id = ?1", &id.to_string())?)
        } else {
            None
        };
        Ok(PatientFile {
            patient,
            appointments,
            visits,
            payments,
        })
    }

    fn visits_of(&mut self, session: &Session, patient: PatientId) -> Result<Vec<Visit>> {
        let rows: Vec<(String, String)> = self
            .conn
            .prepare(
                "SELECT doc_id, id FROM visits WHERE patient_id = ?1 ORDER BY recorded_at DESC",
            )?
            .query_map([patient.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        self.write(session, |w| {
            rows.iter()
                .filter_map(|(doc, id)| {
                    crate::docs::DocId::parse(doc)
                        .and_then(|d| crate::docs::get_root_record(w.doc(&d)?, id))
                        .transpose()
                })
                .collect()
        })
    }

    fn entries_where(&self, filter: &str, value: &str) -> Result<Vec<Entry>> {
        let rows: Vec<(String, String)> = self
            .conn
            .prepare(&format!(
                "SELECT doc_id, id FROM cash_entries WHERE {filter} ORDER BY at DESC"
            ))?
            .query_map([value], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // A day's entries share one cash book document: it is loaded once, not once an
        // entry (the soak's 3,000 expenses of one day took minutes to list that way).
        let mut docs: std::collections::HashMap<String, automerge::AutoCommit> =
            std::collections::HashMap::new();
        let mut out = Vec::new();
        for (doc_id, id) in rows {
            let doc = match docs.entry(doc_id) {
                std::collections::hash_map::Entry::Occupied(d) => d.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let parsed = crate::docs::DocId::parse(v.key())?;
                    v.insert(store::load_doc(&self.conn, &parsed)?.unwrap_or_default())
                }
            };
            if let Some(e) = crate::docs::get_root_record(doc, &id)? {
                out.push(e);
            }
        }
        Ok(out)
    }

    // ---- appointments ----

    /// Books a slot.
    pub fn book(&mut self, session: &Session, booking: &Booking) -> Result<Appointment> {
        self.write(session, |w| {
            appointments::book(w, booking, BookingKind::Confirmed)
        })
    }

    /// Records a booking request (status `requested`) that holds its slot until the desk
    /// confirms or declines it; see `BookingKind::Request`.
    pub fn request_booking(&mut self, session: &Session, booking: &Booking) -> Result<Appointment> {
        self.write(session, |w| {
            appointments::book(w, booking, BookingKind::Request)
        })
    }

    /// Queues a patient who came without a booking for a doctor now, already arrived; see
    /// `appointments::walk_in`.
    pub fn walk_in(
        &mut self,
        session: &Session,
        patient: PatientId,
        doctor_login: &str,
        visit_type: &str,
    ) -> Result<Appointment> {
        self.write(session, |w| {
            appointments::walk_in(w, patient, doctor_login, visit_type)
        })
    }

    /// Moves an appointment along its statuses.
    pub fn set_appointment_status(
        &mut self,
        session: &Session,
        id: AppointmentId,
        status: Status,
        reason: Option<&str>,
    ) -> Result<Appointment> {
        self.write(session, |w| appointments::set_status(w, id, status, reason))
    }

    /// A clinic-local day's appointments.
    pub fn appointments(&mut self, session: &Session, date: Date) -> Result<Vec<AppointmentRow>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        appointments::list(&self.conn, &self.ctx.time, date)
    }

    /// Booking requests waiting for the desk, from today on.
    pub fn booking_requests(&mut self, session: &Session) -> Result<Vec<AppointmentRow>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let today = self.ctx.time.local_date(self.ctx.now());
        appointments::open_requests(&self.conn, &self.ctx.time, today)
    }

    // ---- visits ----

    /// Records the visit of an appointment (doctors).
    pub fn record_visit(
        &mut self,
        session: &Session,
        appointment: AppointmentId,
        input: &VisitInput,
    ) -> Result<Visit> {
        self.write(session, |w| visits::record(w, appointment, input))
    }

    /// A stored photo, full size or thumbnail (doctors).
    pub fn photo(&mut self, session: &Session, sha256: &str, thumbnail: bool) -> Result<Vec<u8>> {
        self.allow_read(session, Action::ReadClinical)?;
        photos::load(&self.conn, sha256, thumbnail)
    }

    // ---- money ----

    /// Takes a payment for an appointment.
    pub fn pay(
        &mut self,
        session: &Session,
        appointment: AppointmentId,
        amount: Money,
        method: Method,
        insurer: Option<&str>,
    ) -> Result<Entry> {
        self.write(session, |w| {
            cashbook::pay(w, appointment, amount, method, insurer)
        })
    }

    /// Refunds (part of) a payment.
    pub fn refund(
        &mut self,
        session: &Session,
        payment: EntryId,
        amount: Money,
        reason: &str,
    ) -> Result<Entry> {
        self.write(session, |w| cashbook::refund(w, payment, amount, reason))
    }

    /// Records an expense from the drawer.
    pub fn add_expense(
        &mut self,
        session: &Session,
        amount: Money,
        category: &str,
        note: &str,
    ) -> Result<Entry> {
        self.write(session, |w| cashbook::expense(w, amount, category, note))
    }

    /// Opens this machine's shift.
    pub fn open_shift(&mut self, session: &Session, float: Money) -> Result<Shift> {
        self.write(session, |w| shifts::open(w, float))
    }

    /// The shift open on this machine, if any: who opened it and when, for the desk that
    /// runs it (no money in it).
    pub fn open_shift_here(&mut self, session: &Session) -> Result<Option<shifts::OpenShift>> {
        self.allow_read(session, Action::RunShift)?;
        shifts::open_on(&self.conn, &self.ctx.time, self.ctx.node)
    }

    /// Closes this machine's shift with the counted cash.
    pub fn close_shift(
        &mut self,
        session: &Session,
        counted: Money,
        note: &str,
    ) -> Result<ShiftClosed> {
        self.write(session, |w| shifts::close(w, counted, note))
    }

    /// A clinic-local day's totals (owner).
    pub fn cash_summary(&mut self, session: &Session, date: Date) -> Result<CashSummary> {
        self.allow_read(session, Action::ReadMoney)?;
        cashbook::summary(&self.conn, date)
    }

    /// The entries of a day (owner): the expense list and every payment.
    pub fn cash_entries(&mut self, session: &Session, date: Date) -> Result<Vec<Entry>> {
        self.allow_read(session, Action::ReadMoney)?;
        self.entries_where("local_date = ?1", &date.to_string())
    }

    // ---- reports ----

    /// A day's Z-report (owner): as closed if the day is closed, else a preview.
    pub fn day_report(&mut self, session: &Session, date: Date) -> Result<DayReport> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::day_report(&self.conn, &self.ctx.time, date)
    }

    /// Closes a day into its numbered, immutable Z-report (owner). `check` is what the sync
    /// server said about having every machine's changes.
    pub fn close_day(
        &mut self,
        session: &Session,
        date: Date,
        check: ServerCheck,
    ) -> Result<DayReport> {
        self.write(session, |w| reports::close_day(w, date, check))
    }

    /// Every closed day, newest first (owner).
    pub fn day_closes(&mut self, session: &Session) -> Result<Vec<CloseSummary>> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::closes(&self.conn)
    }

    /// The summary of the month holding `date` (owner).
    pub fn month_report(&mut self, session: &Session, date: Date) -> Result<MonthReport> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::month_report(&self.conn, date)
    }

    /// Revenue and visits per period between two dates (owner).
    pub fn revenue(
        &mut self,
        session: &Session,
        from: Date,
        to: Date,
        period: Period,
    ) -> Result<Vec<Bucket>> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::revenue(&self.conn, from, to, period)
    }

    /// What the receipt of a payment or refund shows (the front desk prints it).
    pub fn receipt(&mut self, session: &Session, entry: EntryId) -> Result<Receipt> {
        self.allow_read(session, Action::PrintReceipt)?;
        reports::receipt(&self.conn, &self.ctx.time, entry)
    }

    // ---- backup and export ----

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

    /// What needs a person's decision: overlapping bookings for anyone at the desk, late
    /// payments for the owner.
    pub fn conflicts(&mut self, session: &Session) -> Result<Vec<crate::conflicts::Conflict>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let mut all = crate::conflicts::overlapping_bookings(&self.conn, &self.ctx.time)?;
        if session.allow(Action::ReadMoney).is_ok() {
            all.extend(crate::conflicts::late_payments(&self.conn, &self.ctx.time)?);
        }
        all.extend(crate::conflicts::field_values(&self.conn, session)?);
        all.extend(crate::conflicts::held_changes(&self.conn, &self.ctx.time)?);
        Ok(all)
    }

    /// Settles a concurrent edit by choosing one of the values the machines wrote; the choice
    /// is a new change that syncs like any other.
    pub fn settle_conflict(
        &mut self,
        session: &Session,
        doc_id: &str,
        record: &str,
        field: &str,
        value: &str,
    ) -> Result<()> {
        self.write(session, |w| {
            crate::conflicts::settle(w, doc_id, record, field, value)
        })
    }

    // ---- replication ----

    /// This machine's changes after log position `seq`, oldest first (for a peer's pull).
    pub fn changes_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> Result<Vec<crate::replication::LoggedChange>> {
        crate::replication::changes_after(&self.conn, seq, limit, false)
    }

    /// How many documents this machine holds.
    pub fn document_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM docs", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The newest position of this machine's change log.
    pub fn log_head(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?)
    }

    /// Every document's heads, read from storage (not the cache): equal on two machines
    /// exactly when they hold identical documents.
    pub fn document_heads(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
        crate::replication::document_heads(&self.conn)
    }

    /// Where and how this machine syncs, once enrolled.
    pub fn sync_settings(&self) -> Result<Option<crate::replication::SyncSettings>> {
        store::meta(&self.conn, "sync")?
            .map(|json| serde_json::from_str(&json).map_err(CoreError::from))
            .transpose()
    }

    /// Records where and how this machine syncs (the credential is kept in the encrypted store).
    pub fn set_sync_settings(&mut self, settings: &crate::replication::SyncSettings) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('sync', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [serde_json::to_string(settings)?],
        )?;
        Ok(())
    }

    /// Checks and applies changes from a peer (see `replication::apply`).
    pub fn apply_changes(
        &mut self,
        incoming: &[crate::replication::IncomingChange],
    ) -> Result<crate::replication::ApplyReport> {
        crate::replication::apply(&mut self.conn, &mut self.cache, &self.ctx, incoming, None)
    }

    /// Like [`Clinic::apply_changes`], for changes received from the sync server: they are
    /// logged as the server's, so they are never pushed back to it.
    pub fn apply_server_changes(
        &mut self,
        incoming: &[crate::replication::IncomingChange],
    ) -> Result<crate::replication::ApplyReport> {
        crate::replication::apply(
            &mut self.conn,
            &mut self.cache,
            &self.ctx,
            incoming,
            Some(crate::replication::SERVER_PEER),
        )
    }

    /// This machine's own changes after log position `seq` (not those it received), oldest
    /// first: what a push to the sync server sends.
    pub fn own_changes_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> Result<Vec<crate::replication::LoggedChange>> {
        crate::replication::changes_after(&self.conn, seq, limit, true)
    }

    /// How many of this machine's own changes lie after log position `seq`.
    pub fn own_changes_count(&self, seq: i64) -> Result<u64> {
        crate::replication::own_changes_count(&self.conn, seq)
    }

    /// Loads a page of documents compacted by the sync server (a new machine's bootstrap).
    pub fn load_server_docs(&mut self, docs: &[(String, Vec<u8>)]) -> Result<usize> {
        crate::replication::load_docs(&mut self.conn, &mut self.cache, &self.ctx, docs)
    }

    /// Photos made here that the sync server has not acknowledged yet (name, bytes).
    pub fn blobs_to_upload(&self, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        crate::replication::blobs_to_upload(&self.conn, limit)
    }

    /// Records that the sync server holds photo `sha256`.
    pub fn blob_uploaded(&self, sha256: &str) -> Result<()> {
        self.conn
            .execute("UPDATE blobs SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// Photos that visits name and this machine does not hold yet.
    pub fn wanted_blobs(&self, limit: usize) -> Result<Vec<String>> {
        crate::replication::wanted_blobs(&self.conn, limit)
    }

    /// Stores a photo received from the sync server, after checking it against its name and
    /// decoding it under the usual limits; a bad one is refused and nothing is stored.
    pub fn receive_blob(&mut self, sha256: &str, bytes: Vec<u8>) -> Result<()> {
        let photo = photos::adopt(sha256, bytes)?;
        let tx = self.conn.transaction()?;
        photos::store(&tx, &photo, true)?;
        tx.commit()?;
        Ok(())
    }

    // ---- bulk, audit, projections ----

    /// Imports patients from CSV (see `import`).
    pub fn import_patients(
        &mut self,
        session: &Session,
        csv: &[u8],
        options: crate::import::ImportOptions,
    ) -> Result<crate::import::ImportReport> {
        self.allow_read(session, Action::ImportPatients)?;
        crate::import::run(self, session, csv, options)
    }

    pub(crate) fn write_as<R>(
        &mut self,
        session: &Session,
        f: impl FnOnce(&mut Writer<'_>) -> Result<R>,
    ) -> Result<R> {
        self.write(session, f)
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
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))?)
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
