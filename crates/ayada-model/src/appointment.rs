//! A booking as its document holds it: the status machine, the record, and where it was
//! before each move. An appointment's record lives in the document of the doctor and day it
//! was first booked for, and stays there when it is moved.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, Value, ROOT};

use crate::docs::{put_record, DocId};
use crate::error::{ModelError, Result};
use crate::ids::{AppointmentId, PatientId, StaffId, VisitId};

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Asked for online, waiting for the desk to confirm.
    Requested,
    /// Confirmed.
    Booked,
    /// The patient is in the waiting room.
    Arrived,
    /// With the doctor.
    InExam,
    /// Seen.
    Done,
    /// Called off (with a reason).
    Cancelled,
    /// Did not come.
    NoShow,
}

impl Status {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Booked => "booked",
            Status::Arrived => "arrived",
            Status::InExam => "in-exam",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
            Status::NoShow => "no-show",
        }
    }

    /// Whether `self → next` makes sense at a clinic desk.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Requested, Booked | Cancelled)
                | (Booked, Arrived | Cancelled | NoShow)
                | (Arrived, InExam | Cancelled)
                | (InExam, Done)
        )
    }

    /// Whether the appointment still holds its slot.
    pub fn holds_slot(self) -> bool {
        !matches!(self, Status::Cancelled | Status::NoShow)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Status> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_ascii_lowercase()))
            .map_err(|_| ModelError::invalid("status", "unknown-status"))
    }
}

/// A booking as stored in the document of the doctor and day it was first booked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Appointment {
    /// The id.
    pub id: AppointmentId,
    /// Who is coming.
    pub patient_id: PatientId,
    /// Whom they see.
    pub doctor_id: StaffId,
    /// Start, Unix seconds UTC.
    pub starts_at: i64,
    /// Length in minutes.
    pub minutes: i64,
    /// Visit type name ("examination", "follow-up"…).
    pub visit_type: String,
    /// Where it is now.
    pub status: Status,
    /// Why it was cancelled or missed.
    pub reason: Option<String>,
    /// "desk", "portal" or "walk-in" (`WALK_IN`).
    pub source: String,
    /// Unix seconds it was made.
    pub created_at: i64,
    /// Who made it (the server's id for portal requests).
    pub created_by: String,
    /// Unix seconds the patient checked in (or, for a walk-in, came): the queue's waiting
    /// time counts from here. Absent in bookings made before it was recorded.
    #[serde(default)]
    pub arrived_at: Option<i64>,
    /// Where it was before each move, oldest first. Written (empty) with a new booking, so
    /// that moves made on two machines apart append to one list and both are kept.
    #[serde(default)]
    pub moves: Vec<Moved>,
    /// The visit that asked for this follow-up, when booked from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<VisitId>,
}

/// The `source` of a patient seen without a booking: they wait for a gap and hold no slot.
pub const WALK_IN: &str = "walk-in";

/// The `source` of a request a patient made on the booking portal.
pub const PORTAL: &str = "portal";

/// What the booking portal does to a booking, each named in the message of the Automerge
/// change it authors (`portal-cancel <appointment id>`), so that the clinic's machines audit
/// the change when it arrives: the portal has no audit log on the machines of its own.
pub const PORTAL_ACTIONS: [&str; 3] = ["portal-request", "portal-cancel", "portal-move"];

/// The message of a portal change: its action and the booking.
pub fn portal_message(action: &str, id: AppointmentId) -> String {
    format!("{action} {id}")
}

/// Reads a change's message back into (action, booking), if it is a portal action about a
/// booking; anything else (another peer's message, a forged one) is None.
pub fn portal_action(message: &str) -> Option<(&'static str, AppointmentId)> {
    let (action, id) = message.split_once(' ')?;
    let action = PORTAL_ACTIONS.into_iter().find(|a| *a == action)?;
    Some((action, id.parse().ok()?))
}

impl Appointment {
    /// Whether it holds its doctor's time: not cancelled or missed, and not a walk-in.
    pub fn blocks_time(&self) -> bool {
        self.status.holds_slot() && self.source != WALK_IN
    }

    /// Its end, Unix seconds.
    pub fn ends_at(&self) -> i64 {
        self.starts_at + self.minutes * 60
    }

    /// The document a new booking is stored in: its doctor's day. A moved booking stays in
    /// the document it was first stored in (see the module's docs).
    pub fn doc_id(&self, time: &crate::time::ClinicTime) -> DocId {
        DocId::appointments(
            self.doctor_id,
            time.local_date(Timestamp::from_second(self.starts_at).unwrap_or_default()),
        )
    }
}

/// Where a booking was before one move, and who moved it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Moved {
    /// Its start before the move, Unix seconds.
    pub from_at: i64,
    /// Its doctor before the move.
    pub from_doctor: StaffId,
    /// When it was moved, Unix seconds.
    pub at: i64,
    /// Who moved it (login).
    pub by: String,
}

/// Writes a booking's record into its document, touching only the fields that changed.
pub fn put(doc: &mut AutoCommit, appointment: &Appointment) -> Result<()> {
    put_record(doc, &ROOT, &appointment.id.to_string(), appointment, &[])
}

/// Writes a moved booking's status again although it did not change: a cancellation made
/// elsewhere while it was moved then sets the same field, so the two meet as a conflict a
/// person settles instead of a cancelled booking that quietly moved. Automerge skips a put
/// of the value already there, hence delete, then put.
pub fn restate_status(doc: &mut AutoCommit, appointment: &Appointment) -> Result<()> {
    let key = appointment.id.to_string();
    if let Some((Value::Object(ObjType::Map), record)) = doc.get(&ROOT, key.as_str())? {
        doc.delete(&record, "status")?;
        doc.put(&record, "status", appointment.status.as_str())?;
    }
    Ok(())
}
