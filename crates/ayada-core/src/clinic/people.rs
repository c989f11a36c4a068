//! The clinic's people and settings: staff accounts, the clinic's details, visit types and
//! prices, insurers, doctors' schedules and the free slots they give.

use jiff::civil::Date;

use crate::appointments::{self, AppointmentRow, Status};
use crate::error::{CoreError, Result};
use crate::ids::StaffId;
use crate::money::Money;
use crate::roles::{Action, Role, Session};
use crate::schedules::{self, Hours, Schedule};
use crate::settings::{self, ClinicSettings, Insurer, PortalSettings, VisitType, INSURERS};
use crate::staff::{self, StaffMember};

use super::Clinic;

impl Clinic {
    /// The names on the login screen: active accounts, no hashes.
    pub fn login_names(&self) -> Result<Vec<StaffMember>> {
        staff::rows(&self.conn, true)
    }

    /// Every account (owner).
    pub fn staff(&mut self, session: &Session) -> Result<Vec<StaffMember>> {
        self.allow_read(session, Action::ManageStaff)?;
        staff::rows(&self.conn, false)
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

    /// Puts a machine's LAN key in the clinic's list (owner): from then on the clinic's
    /// other machines let it sync with them directly.
    pub fn certify_machine(
        &mut self,
        session: &Session,
        node: &str,
        name: &str,
        key_hex: &str,
    ) -> Result<crate::machines::MachineKey> {
        self.write(session, |w| {
            crate::machines::certify(w, node, name, key_hex)
        })
    }

    /// Takes a machine's LAN key back (owner): the clinic's machines refuse it from the
    /// moment the change reaches them.
    pub fn revoke_machine(
        &mut self,
        session: &Session,
        node: &str,
    ) -> Result<crate::machines::MachineKey> {
        self.write(session, |w| crate::machines::revoke(w, node))
    }

    /// Opens an invitation (owner) for one new machine to join the clinic through this one
    /// over the LAN, for when the sync server cannot be reached. It replaces any earlier one,
    /// closes after [`crate::machines::INVITE_MINUTES`] minutes, after one use, or after three
    /// wrong secrets.
    pub fn invite_machine(&mut self, session: &Session) -> Result<crate::machines::MachineInvite> {
        self.write(session, crate::machines::invite)
    }

    /// Whether an invitation to join over the LAN is open now.
    pub fn machine_invite_open(&self) -> Result<bool> {
        crate::machines::invite_open(&self.conn, self.ctx.now())
    }

    /// Lists machine `node` with `key_hex` in the clinic's document if `secret` is the open
    /// invitation's: on the authority of the owner who opened it, who must still be an active
    /// owner then. A wrong secret counts against the invitation.
    pub fn accept_machine_invite(
        &mut self,
        secret: &[u8],
        node: &str,
        name: &str,
        key_hex: &str,
    ) -> Result<crate::machines::MachineKey> {
        let by = crate::machines::redeem(&self.conn, self.ctx.now(), secret)?;
        let closed = || CoreError::invalid("invitation", "no-invitation");
        let owner = staff::account(&self.conn, &by)?
            .filter(|a| a.active)
            .ok_or_else(closed)?;
        let session = Session {
            staff_id: owner.id,
            login: by,
            name: owner.name,
            role: owner.role,
        };
        self.write(&session, |w| {
            let listed = crate::machines::certify(w, node, name, key_hex)?;
            w.audit("machine-joined-over-lan", node.trim());
            Ok(listed)
        })
    }

    /// Every machine the clinic's document lists with its LAN key, revoked ones included.
    pub fn machine_keys(&self) -> Result<Vec<crate::machines::MachineKey>> {
        crate::machines::read(&self.conn)
    }

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
                .collect::<ayada_model::Result<_>>()?;
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
        settings::active_visit_types(&self.conn)
    }

    /// What patients may book online, and how (anyone at the clinic may read it).
    pub fn portal_settings(&mut self, session: &Session) -> Result<PortalSettings> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        self.write(session, settings::portal)
    }

    /// Saves what patients may book online (owner); it syncs to the server like any setting.
    pub fn set_portal_settings(
        &mut self,
        session: &Session,
        new: &PortalSettings,
    ) -> Result<PortalSettings> {
        self.write(session, |w| settings::set_portal(w, new))
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
        let doctor = staff::doctor_id(&self.conn, doctor)?;
        self.write(session, |w| {
            schedules::set(w, doctor, days, hours, slot_minutes)
        })
    }

    /// A doctor's weekly schedule and its exceptions, if one was set (everyone who books or
    /// sees the calendar may read it).
    pub fn schedule(&mut self, session: &Session, doctor: &str) -> Result<Option<Schedule>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let doctor = staff::doctor_id(&self.conn, doctor)?;
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
        let doctor = staff::doctor_id(&self.conn, doctor)?;
        self.write(session, |w| {
            schedules::set_exception(w, doctor, date, hours)
        })
    }

    /// The first free slot of `doctor` from `from` on, looking `days` days ahead:
    /// clinic-local "YYYY-MM-DD HH:MM".
    pub fn first_free_slot(
        &mut self,
        session: &Session,
        doctor: &str,
        from: Date,
        days: i64,
    ) -> Result<Option<String>> {
        for date in from.series(jiff::Span::new().days(1)).take(days as usize) {
            if let Some(slot) = self.free_slots(session, doctor, date)?.into_iter().next() {
                return Ok(Some(format!("{date} {slot}")));
            }
        }
        Ok(None)
    }

    /// Marks `doctor` away from `from` to `to` for `reason` (the owner or the desk), and
    /// returns the bookings on those days still to move or cancel.
    pub fn mark_absent(
        &mut self,
        session: &Session,
        doctor: &str,
        from: Date,
        to: Date,
        reason: &str,
    ) -> Result<Vec<AppointmentRow>> {
        self.allow_read(session, Action::MarkAbsence)?;
        let id = staff::doctor_id(&self.conn, doctor)?;
        self.write(session, |w| schedules::mark_absent(w, id, from, to, reason))?;
        self.bookings_between(session, doctor, from, to)
    }

    /// Takes back `doctor`'s absence from `from` to `to`.
    pub fn end_absence(
        &mut self,
        session: &Session,
        doctor: &str,
        from: Date,
        to: Date,
    ) -> Result<Schedule> {
        self.allow_read(session, Action::MarkAbsence)?;
        let id = staff::doctor_id(&self.conn, doctor)?;
        self.write(session, |w| schedules::end_absence(w, id, from, to))
    }

    /// `doctor`'s bookings and requests from `from` to `to` that still wait for the day (an
    /// absence's list to move or cancel).
    pub fn bookings_between(
        &mut self,
        session: &Session,
        doctor: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<AppointmentRow>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let login = staff::normalise_login(doctor)?;
        let mut out = Vec::new();
        for date in schedules::absence_days(from, to)? {
            out.extend(
                appointments::list(&self.conn, &self.ctx.time, date)?
                    .into_iter()
                    .filter(|a| {
                        a.doctor == login && matches!(a.status, Status::Booked | Status::Requested)
                    }),
            );
        }
        Ok(out)
    }

    /// A doctor's free slots on a date, clinic-local "HH:MM".
    pub fn free_slots(
        &mut self,
        session: &Session,
        doctor: &str,
        date: Date,
    ) -> Result<Vec<String>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let doctor = staff::doctor_id(&self.conn, doctor)?;
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
}
