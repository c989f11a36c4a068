//! The clinic as the portal sees it, read from the clinic's own documents with the document
//! model the machines use (`ayada-model`): its details, the doctors and visit types the owner
//! put online, their schedules, and the bookings that hold time. Kept per clinic while its
//! log does not move, so a page costs a lookup, not a reading of documents.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use automerge::AutoCommit;
use ayada_model::appointment::Appointment;
use ayada_model::clinic::{
    list_in, portal_in, settings_in, ClinicSettings, PortalSettings, Role, Staff, VisitType, STAFF,
    VISIT_TYPES,
};
use ayada_model::docs::{read_records, DocId};
use ayada_model::ids::{StaffId, VisitTypeId};
use ayada_model::schedule::{check_slot, free_slots, schedules_in, Schedule, SlotRefusal};
use ayada_model::time::ClinicTime;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::words::Lang;
use crate::store::{ClinicRecord, Store, StoreError};

/// How far back the bookings' documents are read: a booking stays in the document of the
/// day it was first made for when it is moved, so a booking moved into the coming days may
/// live in an older day's document.
const MOVED_FROM_DAYS: i64 = 31;

/// The slots patients typing their code hold: (doctor id, start, end), Unix seconds.
pub type Held = Vec<(String, i64, i64)>;

/// A patient cannot book a slot starting sooner than this (the desk needs to see it).
pub const LEAD_MINUTES: i64 = 30;

/// The clinic as its documents say now.
pub struct ClinicView {
    /// The platform's record of the clinic.
    pub record: ClinicRecord,
    /// Its details (name, address, phones, zone).
    pub settings: ClinicSettings,
    /// What the owner put online.
    pub portal: PortalSettings,
    /// Its time zone.
    pub time: ClinicTime,
    /// The doctors bookable online, active, in the owner's order.
    pub doctors: Vec<Staff>,
    /// The visit types bookable online, active.
    pub visit_types: Vec<VisitType>,
    schedules: HashMap<StaffId, Schedule>,
    /// Each doctor's bookings that hold their time, as (start, end) Unix seconds.
    busy: HashMap<StaffId, Vec<(i64, i64)>>,
    /// The log position this was read at.
    pub head: u64,
    /// The clinic-local day it was read on.
    pub today: Date,
}

impl ClinicView {
    /// Reads the clinic's documents; None when no machine has brought them yet.
    pub fn load<S: Store>(
        store: &S,
        record: &ClinicRecord,
        now: Timestamp,
    ) -> Result<Option<ClinicView>, StoreError> {
        let head = store.head(&record.id)?;
        let Some(bytes) = store.clinic_doc(&record.id, DocId::clinic().as_str())? else {
            return Ok(None);
        };
        let bad = |e: ayada_model::ModelError| StoreError::Doc(e.to_string());
        let clinic = AutoCommit::load(&bytes).map_err(|e| StoreError::Doc(e.to_string()))?;
        let settings = settings_in(&clinic).map_err(bad)?;
        let portal = portal_in(&clinic).map_err(bad)?;
        let time = ClinicTime::new(&settings.time_zone).map_err(bad)?;
        let staff: Vec<Staff> = list_in(&clinic, STAFF).map_err(bad)?;
        let types: Vec<VisitType> = list_in(&clinic, VISIT_TYPES).map_err(bad)?;
        let doctors = portal
            .doctors
            .iter()
            .filter_map(|id| {
                staff
                    .iter()
                    .find(|s| s.id == *id && s.active && s.role == Role::Doctor)
            })
            .cloned()
            .collect::<Vec<_>>();
        let visit_types = portal
            .visit_types
            .iter()
            .filter_map(|id| types.iter().find(|t| t.id == *id && t.active))
            .cloned()
            .collect();
        let schedules = schedules_in(&clinic)
            .map_err(bad)?
            .into_iter()
            .map(|s| (s.doctor_id, s))
            .collect();
        let today = time.local_date(now);
        let from = today.saturating_sub(jiff::Span::new().days(MOVED_FROM_DAYS));
        let to = today.saturating_add(jiff::Span::new().days(portal.days_ahead + 1));
        let mut busy: HashMap<StaffId, Vec<(i64, i64)>> = HashMap::new();
        for id in store.clinic_doc_ids(&record.id, "appointments/")? {
            let in_window = id
                .rsplit('/')
                .next()
                .and_then(|d| d.parse::<Date>().ok())
                .is_some_and(|d| from <= d && d <= to);
            if !in_window {
                continue;
            }
            for appointment in appointments_in(store, &record.id, &id)? {
                if appointment.blocks_time() {
                    busy.entry(appointment.doctor_id)
                        .or_default()
                        .push((appointment.starts_at, appointment.ends_at()));
                }
            }
        }
        Ok(Some(ClinicView {
            record: record.clone(),
            settings,
            portal,
            time,
            doctors,
            visit_types,
            schedules,
            busy,
            head,
            today,
        }))
    }

    /// Whether patients can book here now.
    pub fn open(&self) -> bool {
        self.portal.enabled && !self.doctors.is_empty() && !self.visit_types.is_empty()
    }

    /// A bookable doctor by id.
    pub fn doctor(&self, id: StaffId) -> Option<&Staff> {
        self.doctors.iter().find(|d| d.id == id)
    }

    /// A bookable visit type by id.
    pub fn visit_type(&self, id: VisitTypeId) -> Option<&VisitType> {
        self.visit_types.iter().find(|t| t.id == id)
    }

    /// The last day a patient may book.
    pub fn last_day(&self) -> Date {
        self.today
            .saturating_add(jiff::Span::new().days(self.portal.days_ahead))
    }

    /// The time `doctor` has taken: bookings and other patients' held requests, without
    /// `except` (the booking being moved, which may overlap where it was).
    fn busy_with(
        &self,
        doctor: StaffId,
        held: &[(String, i64, i64)],
        except: Option<&Appointment>,
    ) -> Vec<(i64, i64)> {
        let mut busy = self.busy.get(&doctor).cloned().unwrap_or_default();
        let id = doctor.to_string();
        busy.extend(
            held.iter()
                .filter(|(d, _, _)| *d == id)
                .map(|(_, a, b)| (*a, *b)),
        );
        if let Some(e) = except {
            busy.retain(|(a, b)| !(*a == e.starts_at && *b == e.ends_at()));
        }
        busy
    }

    /// The free slots of `doctor` on `date` a patient may take at `now`: within the schedule
    /// (a doctor with none is not bookable online), not held by a booking or by another
    /// patient verifying, not too soon, not beyond the days ahead.
    pub fn free_on(
        &self,
        doctor: StaffId,
        date: Date,
        held: &[(String, i64, i64)],
        now: Timestamp,
        except: Option<&Appointment>,
    ) -> Vec<Timestamp> {
        let Some(schedule) = self.schedules.get(&doctor) else {
            return Vec::new();
        };
        if date < self.today || date > self.last_day() {
            return Vec::new();
        }
        let busy: Vec<(Timestamp, Timestamp)> = self
            .busy_with(doctor, held, except)
            .into_iter()
            .filter_map(|(a, b)| {
                Some((
                    Timestamp::from_second(a).ok()?,
                    Timestamp::from_second(b).ok()?,
                ))
            })
            .collect();
        let earliest = now + SignedDuration::from_mins(LEAD_MINUTES);
        free_slots(schedule, &self.time, date, &busy)
            .unwrap_or_default()
            .into_iter()
            .filter(|at| *at >= earliest)
            .collect()
    }

    /// The next `n` free slots of `doctor`, from today on.
    pub fn next_free(
        &self,
        doctor: StaffId,
        held: &[(String, i64, i64)],
        now: Timestamp,
        n: usize,
    ) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut date = self.today;
        while date <= self.last_day() && out.len() < n {
            out.extend(self.free_on(doctor, date, held, now, None));
            date = date.saturating_add(jiff::Span::new().days(1));
        }
        out.truncate(n);
        out
    }

    /// Whether `doctor` can take `minutes` from `starts`: one of the slots the portal offers,
    /// and the check the desk's booking makes for the visit's whole length (`except`: the
    /// booking being moved).
    pub fn can_take(
        &self,
        doctor: StaffId,
        starts: Timestamp,
        minutes: i64,
        held: &[(String, i64, i64)],
        now: Timestamp,
        except: Option<&Appointment>,
    ) -> Result<(), SlotRefusal> {
        let busy = self.busy_with(doctor, held, except);
        let refusal = check_slot(
            self.schedules.get(&doctor),
            &self.time,
            starts,
            minutes,
            &busy,
        )
        .unwrap_or(Some(SlotRefusal::OutsideHours));
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        let date = self.time.local_date(starts);
        if !self
            .free_on(doctor, date, held, now, except)
            .contains(&starts)
        {
            return Err(SlotRefusal::OutsideHours);
        }
        Ok(())
    }
}

/// The bookings of one appointments document.
pub fn appointments_in<S: Store>(
    store: &S,
    clinic: &str,
    doc_id: &str,
) -> Result<Vec<Appointment>, StoreError> {
    let Some(bytes) = store.clinic_doc(clinic, doc_id)? else {
        return Ok(Vec::new());
    };
    let doc = AutoCommit::load(&bytes).map_err(|e| StoreError::Doc(e.to_string()))?;
    let records = read_records(&doc).map_err(|e| StoreError::Doc(e.to_string()))?;
    // A record a newer version wrote that this one cannot read is skipped, not fatal.
    Ok(records
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_value(json).ok())
        .collect())
}

/// The clinic views, each kept while its clinic's log stays where it was read and the day
/// has not turned; the clinics by slug for a few seconds; and each clinic's rendered page
/// while its view, the held slots and the minute stay the same (a page is read far more
/// often than a clinic changes: 200 visitors at once cost a lookup each).
#[derive(Default)]
pub struct Views {
    kept: Mutex<HashMap<String, (Arc<ClinicView>, Instant)>>,
    held: Mutex<HashMap<String, (Held, Instant)>>,
    slugs: Mutex<HashMap<String, (ClinicRecord, Instant)>>,
    pages: Mutex<HashMap<(String, Lang), CachedPage>>,
}

/// A rendered clinic page and what it was rendered from.
struct CachedPage {
    head: u64,
    held: Vec<(String, i64, i64)>,
    minute: i64,
    body: Arc<String>,
}

/// How long a clinic found by its slug is kept before it is read again.
const SLUG_SECONDS: u64 = 5;

/// How long a view is trusted without asking the log where it ends: this process forgets a
/// view as soon as it moves the clinic's log (a push, the portal's own write); the check is
/// for what another process did (`ayada-server check`).
const TRUSTED_MS: u128 = 1000;

impl Views {
    /// The clinic with this slug (kept a few seconds).
    pub fn record<S: Store>(
        &self,
        store: &S,
        slug: &str,
    ) -> Result<Option<ClinicRecord>, StoreError> {
        if let Some((record, at)) = self.slugs.lock().expect("views poisoned").get(slug) {
            if at.elapsed().as_secs() < SLUG_SECONDS {
                return Ok(Some(record.clone()));
            }
        }
        let found = store.clinic_by_slug(slug)?;
        let mut slugs = self.slugs.lock().expect("views poisoned");
        if slugs.len() > 10_000 {
            slugs.clear();
        }
        if let Some(record) = &found {
            slugs.insert(slug.to_string(), (record.clone(), Instant::now()));
        }
        Ok(found)
    }

    /// The clinic's page in `lang` for `view` and `held` at `now`, rendered by `render` only
    /// when one of them changed (the free times move with the minute).
    pub fn page(
        &self,
        view: &ClinicView,
        lang: Lang,
        held: &[(String, i64, i64)],
        now: Timestamp,
        render: impl FnOnce() -> String,
    ) -> Arc<String> {
        let key = (view.record.id.clone(), lang);
        let minute = now.as_second() / 60;
        if let Some(page) = self.pages.lock().expect("views poisoned").get(&key) {
            if page.head == view.head && page.minute == minute && page.held == held {
                return page.body.clone();
            }
        }
        let body = Arc::new(render());
        let mut pages = self.pages.lock().expect("views poisoned");
        if pages.len() > 10_000 {
            pages.clear();
        }
        pages.insert(
            key,
            CachedPage {
                head: view.head,
                held: held.to_vec(),
                minute,
                body: body.clone(),
            },
        );
        body
    }

    /// The clinic's view now; None while no machine has brought its documents.
    pub fn get<S: Store>(
        &self,
        store: &S,
        record: &ClinicRecord,
        now: Timestamp,
    ) -> Result<Option<Arc<ClinicView>>, StoreError> {
        if let Some((view, checked)) = self.kept.lock().expect("views poisoned").get(&record.id) {
            if checked.elapsed().as_millis() < TRUSTED_MS && view.today == view.time.local_date(now)
            {
                return Ok(Some(view.clone()));
            }
        }
        let head = store.head(&record.id)?;
        if let Some((view, checked)) = self
            .kept
            .lock()
            .expect("views poisoned")
            .get_mut(&record.id)
        {
            if view.head == head && view.today == view.time.local_date(now) {
                *checked = Instant::now();
                return Ok(Some(view.clone()));
            }
        }
        let Some(view) = ClinicView::load(store, record, now)? else {
            return Ok(None);
        };
        let view = Arc::new(view);
        let mut kept = self.kept.lock().expect("views poisoned");
        if kept.len() > 10_000 {
            kept.clear();
        }
        kept.insert(record.id.clone(), (view.clone(), Instant::now()));
        Ok(Some(view))
    }

    /// Forgets a clinic's view: its log moved.
    pub fn moved(&self, clinic: &str) {
        self.kept.lock().expect("views poisoned").remove(clinic);
    }

    /// The slots of a clinic that patients typing their code hold now, for the pages (kept a
    /// second; a booking itself checks the store, in one transaction).
    pub fn held<S: Store>(
        &self,
        store: &S,
        clinic: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        if let Some((held, at)) = self.held.lock().expect("views poisoned").get(clinic) {
            if at.elapsed().as_millis() < TRUSTED_MS {
                return Ok(held.clone());
            }
        }
        let held = store.held(clinic, now.as_second())?;
        let mut kept = self.held.lock().expect("views poisoned");
        if kept.len() > 10_000 {
            kept.clear();
        }
        kept.insert(clinic.to_string(), (held.clone(), Instant::now()));
        Ok(held)
    }

    /// Forgets a clinic's held slots: a request was made or ended.
    pub fn held_changed(&self, clinic: &str) {
        self.held.lock().expect("views poisoned").remove(clinic);
    }
}
