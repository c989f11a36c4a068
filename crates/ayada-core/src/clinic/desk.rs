//! The front desk and the exam room: patients and their files, bookings and the queue,
//! visits and their photos, and patients brought in from a file.

use jiff::civil::{Date, Time};

use crate::appointments::{self, Appointment, AppointmentRow, Booking, BookingKind, Move, Status};
use crate::error::{CoreError, Result};
use crate::follow_ups::{self, FollowUp};
use crate::glance;
use crate::ids::{AppointmentId, PatientId, VisitId};
use crate::patients::{self, NewPatient, Patient, PatientEdit, PatientHit};
use crate::photos;
use crate::roles::{Action, Session};
use crate::visits::{self, Visit, VisitInput};

use super::{Clinic, PatientFile};

/// Whether `session` sees what a patient owes: whoever takes payments, and the owner.
fn sees_balances(session: &Session) -> bool {
    session.allow(Action::TakePayment).is_ok() || session.allow(Action::ReadMoney).is_ok()
}

impl Clinic {
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
        let mut hits = patients::search(&self.conn, query, limit)?;
        let money = sees_balances(session);
        for hit in &mut hits {
            hit.glance = Some(glance::of(&self.conn, hit.id, money)?);
        }
        Ok(hits)
    }

    /// A patient's file, with what the role may see.
    pub fn patient_file(&mut self, session: &Session, id: PatientId) -> Result<PatientFile> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let patient = self.write(session, |w| patients::get(w, id))?;
        let mut appointments = Vec::new();
        for date in appointments::days_of_patient(&self.conn, id)? {
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
        let payments = if sees_balances(session) {
            Some(crate::cashbook::entries_where(
                &self.conn,
                "patient_id = ?1",
                &id.to_string(),
            )?)
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

    pub(super) fn visits_of(
        &mut self,
        session: &Session,
        patient: PatientId,
    ) -> Result<Vec<Visit>> {
        let rows = visits::of_patient(&self.conn, patient)?;
        self.write(session, |w| {
            rows.iter()
                .filter_map(|(doc, id)| {
                    let mut read = || -> Result<Option<_>> {
                        let d = crate::docs::DocId::parse(doc)?;
                        Ok(crate::docs::get_root_record(w.doc(&d)?, id)?)
                    };
                    read().transpose()
                })
                .collect()
        })
    }

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

    /// A clinic-local day's appointments, each with its patient's history at a glance.
    pub fn appointments(&mut self, session: &Session, date: Date) -> Result<Vec<AppointmentRow>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let mut rows = appointments::list(&self.conn, &self.ctx.time, date)?;
        let money = sees_balances(session);
        for row in &mut rows {
            row.glance = Some(glance::of(&self.conn, row.patient_id, money)?);
        }
        Ok(rows)
    }

    /// Moves a booking to another time, day or doctor (see `appointments::move_to`).
    pub fn move_appointment(
        &mut self,
        session: &Session,
        id: AppointmentId,
        to: &Move,
    ) -> Result<Appointment> {
        self.write(session, |w| appointments::move_to(w, id, to))
    }

    /// Moves bookings to another doctor at the same times, all or none.
    pub fn move_appointments(
        &mut self,
        session: &Session,
        ids: &[AppointmentId],
        doctor_login: &str,
    ) -> Result<Vec<Appointment>> {
        self.write(session, |w| appointments::move_many(w, ids, doctor_login))
    }

    /// Cancels bookings with one reason, all or none.
    pub fn cancel_appointments(
        &mut self,
        session: &Session,
        ids: &[AppointmentId],
        reason: &str,
    ) -> Result<Vec<Appointment>> {
        self.write(session, |w| appointments::cancel_many(w, ids, reason))
    }

    /// The follow-ups doctors asked for that no booking answers yet (overdue ones for
    /// `follow_ups::OVERDUE_DAYS`), each with the first free slot from its day on.
    pub fn follow_ups(&mut self, session: &Session) -> Result<Vec<FollowUp>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let today = self.ctx.time.local_date(self.ctx.now());
        let since = today
            .checked_sub(jiff::Span::new().days(follow_ups::OVERDUE_DAYS))
            .unwrap_or(today);
        let mut pending = follow_ups::pending(&self.conn, since)?;
        for f in &mut pending {
            let due = crate::time::parse_date(&f.due)?.max(today);
            f.proposed = self.first_free_slot(session, &f.doctor, due, 14)?;
        }
        Ok(pending)
    }

    /// Books the follow-up `visit` asked for, at `at` or (none) at the slot `follow_ups`
    /// proposes.
    pub fn book_follow_up(
        &mut self,
        session: &Session,
        visit: VisitId,
        at: Option<(Date, Time)>,
    ) -> Result<Appointment> {
        self.allow_read(session, Action::Book)?;
        let (date, time) = match at {
            Some(at) => at,
            None => {
                let proposed = self
                    .follow_ups(session)?
                    .into_iter()
                    .find(|f| f.visit_id == visit)
                    .ok_or_else(|| CoreError::invalid("follow-up", "no-follow-up"))?
                    .proposed
                    .ok_or_else(|| CoreError::not_found("free-slot", visit))?;
                crate::time::parse_local_datetime(&proposed)?
            }
        };
        self.write(session, |w| follow_ups::book(w, visit, date, time))
    }

    /// Booking requests waiting for the desk, from today on.
    pub fn booking_requests(&mut self, session: &Session) -> Result<Vec<AppointmentRow>> {
        self.allow_read(session, Action::ReadFrontDesk)?;
        let today = self.ctx.time.local_date(self.ctx.now());
        appointments::open_requests(&self.conn, &self.ctx.time, today)
    }

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

    /// Imports patients from a workbook or a CSV (see `import`).
    pub fn import_patients(
        &mut self,
        session: &Session,
        file: &[u8],
        options: &crate::import::ImportOptions,
    ) -> Result<crate::import::ImportReport> {
        self.import_patients_with_progress(session, file, options, &mut |_, _| {})
    }

    /// `import_patients`, telling `progress` how far the writing has come.
    pub fn import_patients_with_progress(
        &mut self,
        session: &Session,
        file: &[u8],
        options: &crate::import::ImportOptions,
        progress: crate::import::Progress<'_>,
    ) -> Result<crate::import::ImportReport> {
        self.allow_read(session, Action::ImportPatients)?;
        crate::import::run(self, session, file, options, progress)
    }

    /// Imports future appointments (and the patients they introduce) from a workbook or a
    /// CSV: day, time, doctor by name or login, visit type (see `import`).
    pub fn import_appointments(
        &mut self,
        session: &Session,
        file: &[u8],
        options: &crate::import::ImportOptions,
    ) -> Result<crate::import::ImportReport> {
        self.allow_read(session, Action::ImportPatients)?;
        self.allow_read(session, Action::Book)?;
        crate::import::appointments::run(self, session, file, options)
    }

    /// Every patient's id, phone and folded name (for an import's duplicates).
    pub(crate) fn patient_keys(&self) -> Result<Vec<(PatientId, String, String)>> {
        patients::keys(&self.conn)
    }
}
