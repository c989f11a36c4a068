//! What the booking portal keeps beside the clinics' logs, in the platform database: patients'
//! requests while they verify their phone (each holding its slot), the bookings made online
//! with their status links, and the outbox of messages to patients. The clinic's own records
//! (bookings, patients' files) are never kept here: they are changes in the clinic's log.

use super::vault::Sealer;
use super::{ClinicRecord, StoreError};

/// What the portal keeps of a patient, sealed as one field with the clinic's key (the
/// columns that held it in clear keep a keyed digest of the phone, for counting, or
/// nothing).
#[derive(serde::Serialize, serde::Deserialize)]
struct Patient {
    name: String,
    phone: String,
    #[serde(default)]
    gender: Option<String>,
    #[serde(default)]
    dob: Option<String>,
    /// The address a request came from (its column keeps a digest, for counting).
    #[serde(default)]
    address: Option<String>,
}

fn seal_patient(key: &Sealer, row: &str, p: &Patient) -> String {
    key.seal_text(row, &serde_json::to_string(p).expect("plain fields"))
}

fn open_patient(key: &Sealer, row: &str, sealed: &str) -> Result<Patient, StoreError> {
    serde_json::from_str(&key.open_text(row, sealed)?)
        .map_err(|_| StoreError::Sealed(format!("{row} holds no patient")))
}

impl PortalRequest {
    /// As the store keeps it: the patient sealed with the clinic's key, the phone and the
    /// address as keyed digests (of the clinic's and of the platform's key).
    pub(super) fn sealed(&self, clinic: &Sealer, platform: &Sealer) -> PortalRequest {
        let patient = Patient {
            name: self.name.clone(),
            phone: self.phone.clone(),
            gender: self.gender.clone(),
            dob: self.dob.clone(),
            address: Some(self.address.clone()),
        };
        PortalRequest {
            name: seal_patient(clinic, &format!("portal_requests/{}", self.id), &patient),
            phone: clinic.tag("phone", &self.phone),
            gender: None,
            dob: None,
            address: platform.tag("address", &self.address),
            ..self.clone()
        }
    }

    /// As the store read it, opened.
    pub(super) fn opened(self, clinic: &Sealer) -> Result<PortalRequest, StoreError> {
        let p = open_patient(clinic, &format!("portal_requests/{}", self.id), &self.name)?;
        Ok(PortalRequest {
            name: p.name,
            phone: p.phone,
            gender: p.gender,
            dob: p.dob,
            address: p.address.unwrap_or_default(),
            ..self
        })
    }
}

impl PortalBooking {
    /// As the store keeps it: the patient sealed, the phone a keyed digest.
    pub(super) fn sealed(&self, clinic: &Sealer) -> PortalBooking {
        let patient = Patient {
            name: self.name.clone(),
            phone: self.phone.clone(),
            gender: None,
            dob: None,
            address: None,
        };
        PortalBooking {
            name: seal_patient(
                clinic,
                &format!("portal_bookings/{}", self.token_hash),
                &patient,
            ),
            phone: clinic.tag("phone", &self.phone),
            ..self.clone()
        }
    }

    /// As the store read it, opened.
    pub(super) fn opened(self, clinic: &Sealer) -> Result<PortalBooking, StoreError> {
        let row = format!("portal_bookings/{}", self.token_hash);
        let p = open_patient(clinic, &row, &self.name)?;
        Ok(PortalBooking {
            name: p.name,
            phone: p.phone,
            ..self
        })
    }
}

impl OutMessage {
    /// As the store keeps it: the number and the text sealed with the clinic's key.
    pub(super) fn sealed(&self, clinic: &Sealer) -> OutMessage {
        let row = format!("outbox/{}", self.idem_key);
        OutMessage {
            chat_id: clinic.seal_text(&format!("{row}/to"), &self.chat_id),
            text: clinic.seal_text(&format!("{row}/text"), &self.text),
            ..self.clone()
        }
    }

    /// As the store read it, opened.
    pub(super) fn opened(self, clinic: &Sealer) -> Result<OutMessage, StoreError> {
        let row = format!("outbox/{}", self.idem_key);
        Ok(OutMessage {
            chat_id: clinic.open_text(&format!("{row}/to"), &self.chat_id)?,
            text: clinic.open_text(&format!("{row}/text"), &self.text)?,
            ..self
        })
    }
}

/// The digest a WAHA message id is kept as (the id holds the patient's number).
pub(super) fn wa_tag(platform: &Sealer, wa_id: &str) -> String {
    platform.tag("wa_id", wa_id)
}

/// The row a clinic's WAHA key is sealed as.
pub(super) fn waha_row(clinic: &str) -> String {
    format!("clinic_waha/{clinic}")
}

/// The portal's tables, created with the platform database.
pub(super) const PORTAL_TABLES: &str = "
CREATE TABLE IF NOT EXISTS portal_requests (
    id TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, doctor_id TEXT NOT NULL,
    visit_type_id TEXT NOT NULL, starts_at INTEGER NOT NULL, minutes INTEGER NOT NULL,
    name TEXT NOT NULL, phone TEXT NOT NULL, gender TEXT, dob TEXT, lang TEXT NOT NULL,
    code_hash TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, sends INTEGER NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_sent_at INTEGER NOT NULL,
    address TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS portal_requests_slot ON portal_requests (clinic_id, doctor_id, starts_at);
CREATE INDEX IF NOT EXISTS portal_requests_phone ON portal_requests (clinic_id, phone, created_at);
CREATE TABLE IF NOT EXISTS portal_bookings (
    token_hash TEXT PRIMARY KEY, clinic_id TEXT NOT NULL, appointment_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL, phone TEXT NOT NULL, name TEXT NOT NULL, lang TEXT NOT NULL,
    status_told TEXT NOT NULL, starts_told INTEGER NOT NULL, doctor_told TEXT NOT NULL,
    reminded TEXT NOT NULL DEFAULT '', review_sent INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS portal_bookings_clinic ON portal_bookings (clinic_id);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, clinic_id TEXT NOT NULL, chat_id TEXT NOT NULL, text TEXT NOT NULL,
    idem_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT,
    wa_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at);
CREATE INDEX IF NOT EXISTS outbox_wa ON outbox (wa_id);
CREATE TABLE IF NOT EXISTS clinic_waha (
    clinic_id TEXT PRIMARY KEY, base TEXT NOT NULL, api_key TEXT NOT NULL, session TEXT NOT NULL);
";

/// The columns of each table, in the order the row readers of both backends read them.
pub(super) const REQUEST_COLUMNS: &str = "id, clinic_id, doctor_id, visit_type_id, starts_at, minutes, name, phone, gender, dob, lang, code_hash, attempts, sends, created_at, expires_at, last_sent_at, address, state";
pub(super) const BOOKING_COLUMNS: &str = "token_hash, clinic_id, appointment_id, doc_id, phone, name, lang, status_told, starts_told, doctor_told, reminded, review_sent";
pub(super) const MESSAGE_COLUMNS: &str =
    "id, clinic_id, chat_id, text, idem_key, kind, state, attempts, next_at, last_error, wa_id, created_at";

/// The order delivery states move in; a late "sent" never takes back a "read".
pub(super) fn rank(state: &str) -> i32 {
    match state {
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        _ => 0,
    }
}

/// A patient's booking on the portal while they verify their phone; it holds its slot until
/// it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalRequest {
    /// Random, unguessable: the verification page's address.
    pub id: String,
    /// The clinic's platform id.
    pub clinic: String,
    /// The doctor's staff id.
    pub doctor: String,
    /// The visit type's id.
    pub visit_type: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// Length in minutes.
    pub minutes: i64,
    /// The patient's name as typed.
    pub name: String,
    /// E.164.
    pub phone: String,
    /// "female" or "male".
    pub gender: Option<String>,
    /// "YYYY-MM-DD".
    pub dob: Option<String>,
    /// "ar" or "en": the language of the pages and messages.
    pub lang: String,
    /// SHA-256 of the code, keyed by the request's id.
    pub code_hash: String,
    /// Wrong codes typed so far.
    pub attempts: u32,
    /// Codes sent so far.
    pub sends: u32,
    /// Unix seconds.
    pub created_at: i64,
    /// When the code stops working and the slot is let go.
    pub expires_at: i64,
    /// When the last code was sent.
    pub last_sent_at: i64,
    /// The client's address, for the limits per address.
    pub address: String,
    /// "verifying", "booked", "expired" or "refused".
    pub state: String,
}

/// A booking made on the portal: its status link (hashed) and what the patient was last told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalBooking {
    /// SHA-256 of the status link's token.
    pub token_hash: String,
    /// The clinic's platform id.
    pub clinic: String,
    /// The appointment's id in the clinic's documents.
    pub appointment_id: String,
    /// The document its record is in.
    pub doc_id: String,
    /// E.164.
    pub phone: String,
    /// The patient's name, for the messages.
    pub name: String,
    /// "ar" or "en".
    pub lang: String,
    /// The status the patient was last told.
    pub status_told: String,
    /// The start the patient was last told, Unix seconds.
    pub starts_told: i64,
    /// The doctor the patient was last told.
    pub doctor_told: String,
    /// The reminders sent (hours before), comma-separated.
    pub reminded: String,
    /// Whether the review request went out.
    pub review_sent: bool,
}

/// A message to a patient, stored before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMessage {
    /// Its number in the outbox.
    pub id: i64,
    /// The clinic's platform id.
    pub clinic: String,
    /// WhatsApp chat id ("201001234567@c.us").
    pub chat_id: String,
    /// What it says.
    pub text: String,
    /// One per event: the same event never makes a second message.
    pub idem_key: String,
    /// What it is about ("code", "confirmed", "reminder"…).
    pub kind: String,
    /// "queued", "sending", "sent", "delivered", "read", "failed".
    pub state: String,
    /// Tries so far.
    pub attempts: u32,
    /// When it may be tried next, Unix seconds.
    pub next_at: i64,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// WAHA's id of the sent message.
    pub wa_id: Option<String>,
    /// Unix seconds it was queued.
    pub created_at: i64,
}

/// The portal's storage.
pub trait PortalStore {
    /// The clinic with this slug.
    fn clinic_by_slug(&self, slug: &str) -> Result<Option<ClinicRecord>, StoreError>;
    /// The clinic with this platform id.
    fn clinic_by_id(&self, id: &str) -> Result<Option<ClinicRecord>, StoreError>;
    /// A clinic's document as its log holds it now (saved Automerge bytes), if it has one.
    fn clinic_doc(&self, clinic: &str, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// The ids of a clinic's documents that start with `prefix`.
    fn clinic_doc_ids(&self, clinic: &str, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// Stores a request unless a verifying one of the clinic holds time of the same doctor
    /// that overlaps it (one check and insert: two patients racing get one each way); false
    /// when the time is held.
    fn add_request(&self, request: &PortalRequest) -> Result<bool, StoreError>;
    /// A request by id.
    fn request(&self, id: &str) -> Result<Option<PortalRequest>, StoreError>;
    /// Counts a wrong code; the count now.
    fn wrong_code(&self, id: &str) -> Result<u32, StoreError>;
    /// A new code was sent: its hash, and when the request now expires.
    fn code_resent(&self, id: &str, code_hash: &str, expires_at: i64) -> Result<(), StoreError>;
    /// Moves a request to `state` if it is still verifying; false if it was not.
    fn end_request(&self, id: &str, state: &str) -> Result<bool, StoreError>;
    /// The (doctor, start, end) of the clinic's requests that hold time at `now`.
    fn held(&self, clinic: &str, now: i64) -> Result<Vec<(String, i64, i64)>, StoreError>;
    /// Requests made for `phone` at a clinic since `since` (any state).
    fn requests_by_phone(&self, clinic: &str, phone: &str, since: i64) -> Result<u32, StoreError>;
    /// Requests made from `address` since `since`, at any clinic.
    fn requests_by_address(&self, address: &str, since: i64) -> Result<u32, StoreError>;
    /// Requests made at a clinic since `since`.
    fn requests_at(&self, clinic: &str, since: i64) -> Result<u32, StoreError>;
    /// Forgets requests that ended (or expired) before `before`: what a patient typed is
    /// kept no longer than it serves.
    fn purge_requests(&self, before: i64) -> Result<u32, StoreError>;
    /// Stores a booking made online.
    fn add_booking(&self, booking: &PortalBooking) -> Result<(), StoreError>;
    /// A booking by the hash of its status link's token.
    fn booking(&self, token_hash: &str) -> Result<Option<PortalBooking>, StoreError>;
    /// Every booking made online at a clinic that may still change (not done, not cancelled
    /// long ago), for the relay to compare with the documents.
    fn bookings_of(&self, clinic: &str) -> Result<Vec<PortalBooking>, StoreError>;
    /// What the patient was last told of a booking.
    fn booking_told(&self, booking: &PortalBooking) -> Result<(), StoreError>;
    /// Queues a message; false when its event already made one.
    fn enqueue(&self, message: &OutMessage) -> Result<bool, StoreError>;
    /// The next messages due to be tried at `now`, oldest first.
    fn due(&self, now: i64, limit: u32) -> Result<Vec<OutMessage>, StoreError>;
    /// Updates a message's state after a try.
    fn message_tried(&self, message: &OutMessage) -> Result<(), StoreError>;
    /// Records a delivery report for the message WAHA knows as `wa_id`: `state` only moves
    /// forward (sent → delivered → read).
    fn message_ack(&self, wa_id: &str, state: &str) -> Result<bool, StoreError>;
    /// Takes a queued message to send it: marks it "sending" with its tries now, unless
    /// another process (replica) took it first; whether this one did.
    fn claim(&self, message: &OutMessage) -> Result<bool, StoreError>;
    /// Marks the messages left "sending" since before `before` as failed: a process stopped
    /// while sending them (they may have gone out: never sent twice); how many.
    fn interrupted_sends(&self, before: i64) -> Result<u32, StoreError>;
    /// A clinic's messages, newest first.
    fn messages(&self, clinic: &str, limit: u32) -> Result<Vec<OutMessage>, StoreError>;
    /// The clinic's own WAHA (base URL, API key, session), if the operator gave it one.
    fn clinic_waha(&self, clinic: &str) -> Result<Option<(String, String, String)>, StoreError>;
    /// Gives a clinic its own WAHA, or (None) sends its messages through the platform's again.
    fn set_clinic_waha(
        &self,
        clinic: &str,
        waha: Option<(&str, &str, &str)>,
    ) -> Result<(), StoreError>;
}
