//! The relay from the clinic to its online patients: when a machine's push moves a clinic's
//! log, the bookings made online are read again from the documents and each change the desk
//! made (confirmed, declined, cancelled, moved) is told to the patient once; on a sweep, the
//! reminders before a visit and the review request after one go out.

use std::collections::HashSet;
use std::sync::Mutex;

use ayada_model::appointment::{Appointment, Status};
use jiff::Timestamp;

use super::view::{appointments_in, ClinicView};
use super::words::{say, when, Lang};
use crate::store::{PortalBooking, Store, StoreError};
use crate::AppState;

/// Clinics whose log moved since the relay last looked.
#[derive(Default)]
pub struct Pokes {
    clinics: Mutex<HashSet<String>>,
    wake: tokio::sync::Notify,
}

impl Pokes {
    /// Says that `clinic`'s log moved.
    pub fn poke(&self, clinic: &str) {
        self.clinics
            .lock()
            .expect("pokes poisoned")
            .insert(clinic.to_string());
        self.wake.notify_one();
    }

    fn take(&self) -> Vec<String> {
        self.clinics
            .lock()
            .expect("pokes poisoned")
            .drain()
            .collect()
    }
}

/// Relays for as long as the server runs.
pub async fn run<S: Store>(state: AppState<S>) {
    let every = state.portal.config.sweep_every;
    let mut sweep = tokio::time::interval(every);
    loop {
        let all = tokio::select! {
            _ = state.portal.relay.wake.notified() => false,
            _ = sweep.tick() => true,
        };
        let mut clinics = state.portal.relay.take();
        if all {
            let store = state.store.clone();
            let swept = tokio::task::spawn_blocking(move || {
                // What patients typed for a request is kept a day after it ended, no longer.
                store.purge_requests(crate::store::unix_now() - 86_400)?;
                store.clinic_ids()
            });
            if let Ok(Ok(ids)) = swept.await {
                clinics = ids;
            }
        }
        for clinic in clinics {
            let state = state.clone();
            let id = clinic.clone();
            let done =
                tokio::task::spawn_blocking(move || relay_clinic(&state, &id, Timestamp::now()))
                    .await;
            if let Ok(Err(e)) = done {
                tracing::warn!(%clinic, error = %e, "relay failed; it tries again at the next change or sweep");
            }
        }
    }
}

/// The appointment record of an online booking, as its document says now.
pub fn appointment_of<S: Store>(
    state: &AppState<S>,
    b: &PortalBooking,
) -> Result<Option<Appointment>, StoreError> {
    Ok(appointments_in(&*state.store, &b.clinic, &b.doc_id)?
        .into_iter()
        .find(|a| a.id.to_string() == b.appointment_id))
}

/// What to tell the patient of booking `b` whose record now reads `a`: each message's kind
/// and idempotency key, and what they will then have been told.
fn news(
    view: &ClinicView,
    b: &PortalBooking,
    a: &Appointment,
    now: Timestamp,
) -> (Vec<(String, String)>, PortalBooking) {
    let mut out = Vec::new();
    let mut told = b.clone();
    let id = &b.appointment_id;
    let status = a.status.as_str();
    if status != b.status_told && !(b.status_told == "declined" && a.status == Status::Cancelled) {
        let kind = match (b.status_told.as_str(), a.status) {
            ("requested", Status::Booked) => Some("confirmed"),
            ("requested", Status::Cancelled) => Some("declined"),
            (_, Status::Cancelled) => Some("cancelled"),
            _ => None,
        };
        told.status_told = if kind == Some("declined") {
            "declined".into()
        } else {
            status.into()
        };
        if let Some(kind) = kind {
            out.push((kind.to_string(), format!("{kind}:{id}")));
        }
    }
    let doctor = a.doctor_id.to_string();
    if a.status.holds_slot() && (a.starts_at != b.starts_told || doctor != b.doctor_told) {
        told.starts_told = a.starts_at;
        told.doctor_told = doctor.clone();
        out.push((
            "rescheduled".into(),
            format!("rescheduled:{id}:{}:{doctor}", a.starts_at),
        ));
    }
    if a.status == Status::Booked {
        for hours in &view.portal.reminder_hours {
            let due = a.starts_at - hours * 3600 <= now.as_second()
                && now.as_second() < a.starts_at - 1800;
            let sent = told.reminded.split(',').any(|h| h == hours.to_string());
            if due && !sent {
                told.reminded = if told.reminded.is_empty() {
                    hours.to_string()
                } else {
                    format!("{},{hours}", told.reminded)
                };
                out.push((
                    "reminder".into(),
                    format!("reminder:{id}:{hours}:{}", a.starts_at),
                ));
            }
        }
    }
    if a.status == Status::Done && !told.review_sent {
        // Without a review link there is nothing to ask: the booking is over for the relay
        // all the same, and is not read again at every push.
        told.review_sent = true;
        if !view.portal.review_link.is_empty() {
            out.push(("review".into(), format!("review:{id}")));
        }
    }
    (out, told)
}

/// The text of a message of `kind` about booking `b` (now reading `a`).
pub fn text(
    view: &ClinicView,
    kind: &str,
    b: &PortalBooking,
    a: &Appointment,
    portal: &super::Portal,
) -> String {
    let lang = Lang::from_code(Some(&b.lang));
    let at = view
        .time
        .local(Timestamp::from_second(a.starts_at).unwrap_or_default());
    let doctor = view
        .doctors
        .iter()
        .find(|d| d.id == a.doctor_id)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let first = b
        .name
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let public_url = &portal.config.public_url;
    let page = format!("{public_url}/c/{}?lang={}", view.record.slug, lang.code());
    let token = super::guard::status_token(&portal.key, &b.appointment_id);
    let link = format!("{public_url}/b/{token}?lang={}", lang.code());
    let id = format!("msg-{kind}");
    say(
        lang,
        &id,
        &[
            ("name", first.into()),
            ("clinic", view.settings.name.clone().into()),
            ("when", when(lang, &at).into()),
            ("doctor", doctor.into()),
            ("address", view.settings.address.clone().into()),
            ("link", link.into()),
            ("page", page.into()),
            ("review", view.portal.review_link.clone().into()),
        ],
    )
}

/// Reads a clinic's online bookings again and queues what their patients should be told.
pub fn relay_clinic<S: Store>(
    state: &AppState<S>,
    clinic: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let bookings = state.store.bookings_of(clinic)?;
    if bookings.is_empty() {
        return Ok(());
    }
    let Some(record) = state.store.clinic_by_id(clinic)? else {
        return Ok(());
    };
    let Some(view) = state.portal.views.get(&*state.store, &record, now)? else {
        return Ok(());
    };
    for b in bookings {
        let Some(a) = appointment_of(state, &b)? else {
            continue;
        };
        let (messages, told) = news(&view, &b, &a, now);
        for (kind, key) in messages {
            let text = text(&view, &kind, &b, &a, &state.portal);
            super::outbox::queue(state, clinic, &b.phone, &kind, &key, text)?;
        }
        if told != b {
            state.store.booking_told(&told)?;
        }
    }
    Ok(())
}
