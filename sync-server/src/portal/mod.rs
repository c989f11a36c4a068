//! The patients' side of the server: the booking portal, its messages by WhatsApp, and the
//! relay between what patients do online and the clinic's machines.
//!
//! - [`view`]: the clinic as its documents say (through `ayada-model`), with free slots;
//! - [`pages`] and [`words`]: server-rendered pages (no script), Arabic by default, English;
//! - [`booking`], [`verify`] and [`status`]: a booking from slot to verified code to a
//!   request the server authors ([`author`]) into the clinic's log; the status link, cancel,
//!   reschedule, calendar file; [`respond`]: what their answers share;
//! - [`guard`]: what limits a stranger (codes, counts per phone, address and clinic, CSRF,
//!   security headers);
//! - [`outbox`] and [`waha`]: messages stored before they are sent, paced and retried;
//!   WAHA's delivery reports through its signed webhook;
//! - [`relay`]: what the desk did to an online booking, told to the patient, and the
//!   reminders and review requests.

pub mod author;
pub mod booking;
pub mod guard;
pub mod outbox;
pub mod pages;
pub mod relay;
pub mod respond;
pub mod status;
pub mod verify;
pub mod view;
pub mod waha;
pub mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

use crate::store::Store;
use crate::AppState;

/// The portal's settings, from the command line (docs/OPERATIONS.md lists each).
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The address patients reach the server at, for the links in messages
    /// ("https://book.example.com").
    pub public_url: String,
    /// The platform's WAHA; None: messages wait in the outbox until one is configured.
    pub waha: Option<waha::WahaConfig>,
    /// The key WAHA signs its webhooks with; None refuses every webhook.
    pub webhook_hmac_key: Option<String>,
    /// How long a code works (at most 10 minutes).
    pub code_ttl: Duration,
    /// How long before another code may be asked for.
    pub resend_after: Duration,
    /// Wrong codes allowed per request.
    pub max_attempts: u32,
    /// Codes sent per request.
    pub max_sends: u32,
    /// Requests per phone per clinic per day.
    pub per_phone_per_day: u32,
    /// Requests per client address per hour.
    pub per_address_per_hour: u32,
    /// Requests per clinic per hour.
    pub per_clinic_per_hour: u32,
    /// Bookings per phone still waiting for the desk.
    pub open_per_phone: u32,
    /// Least time between two messages on one WAHA session.
    pub pace: Duration,
    /// The wait after a message's first failed try; it doubles with each, up to an hour.
    pub retry_base: Duration,
    /// How often the relay looks for reminders and review requests due.
    pub sweep_every: Duration,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            public_url: "http://127.0.0.1:8787".into(),
            waha: None,
            webhook_hmac_key: None,
            code_ttl: Duration::from_secs(600),
            resend_after: Duration::from_secs(60),
            max_attempts: 5,
            max_sends: 3,
            per_phone_per_day: 5,
            per_address_per_hour: 20,
            per_clinic_per_hour: 200,
            open_per_phone: 2,
            pace: Duration::from_secs(3),
            retry_base: Duration::from_secs(30),
            sweep_every: Duration::from_secs(60),
        }
    }
}

/// The portal's state, shared by its handlers and its background tasks.
pub struct Portal {
    /// Its settings.
    pub config: PortalConfig,
    /// The clinics as their documents say.
    pub views: view::Views,
    /// The key codes and status tokens are hashed with.
    pub key: Vec<u8>,
    /// One portal write at a time per clinic: the portal's changes to a clinic's documents
    /// carry consecutive sequence numbers of its one actor.
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Wakes the outbox's sender when a message is queued.
    pub outbox_wake: tokio::sync::Notify,
    /// Clinics whose log moved since the relay last looked.
    pub relay: relay::Pokes,
    /// The HTTP client that speaks to WAHA.
    pub http: reqwest::Client,
}

impl Portal {
    /// The portal with `config`, hashing with `key`.
    pub fn new(config: PortalConfig, key: Vec<u8>) -> Portal {
        Portal {
            config,
            views: view::Views::default(),
            key,
            locks: Mutex::new(HashMap::new()),
            outbox_wake: tokio::sync::Notify::new(),
            relay: relay::Pokes::default(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The WAHA that sends a clinic's messages: its own, if the operator gave it one
    /// (`ayada-server clinic waha`), else the platform's.
    pub fn waha_for<S: Store>(
        &self,
        store: &S,
        clinic: &str,
    ) -> Result<Option<waha::WahaConfig>, crate::store::StoreError> {
        Ok(match store.clinic_waha(clinic)? {
            Some((base, key, session)) => Some(waha::WahaConfig { base, key, session }),
            None => self.config.waha.clone(),
        })
    }

    /// The clinic's portal write lock.
    pub fn lock(&self, clinic: &str) -> Arc<Mutex<()>> {
        self.locks
            .lock()
            .expect("portal locks poisoned")
            .entry(clinic.to_string())
            .or_default()
            .clone()
    }
}

/// The portal's routes.
pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/c/{slug}", get(booking::clinic_page::<S>))
        .route(
            "/c/{slug}/book",
            get(booking::book_form::<S>).post(booking::book::<S>),
        )
        .route(
            "/c/{slug}/verify/{request}",
            get(verify::verify_form::<S>).post(verify::verify::<S>),
        )
        .route("/c/{slug}/resend/{request}", post(verify::resend::<S>))
        .route("/b/{token}", get(status::status_page::<S>))
        .route("/b/{token}/cancel", post(status::cancel::<S>))
        .route(
            "/b/{token}/move",
            get(status::move_form::<S>).post(status::move_to::<S>),
        )
        .route("/b/{token}/calendar.ics", get(status::calendar::<S>))
        .route("/v1/waha/webhook", post(waha::webhook::<S>))
        .route("/v1/messages", get(outbox::messages::<S>))
}
