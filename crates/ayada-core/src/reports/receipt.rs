//! The receipt a receptionist prints for a payment or a refund.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::ids::EntryId;
use crate::money::Money;
use crate::time::ClinicTime;

use super::{header, Header};

// ---- receipts ----

/// What an 80 mm receipt shows for one payment or refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Receipt {
    /// The clinic.
    pub header: Header,
    /// The entry's id (the receipt number is its last 12 digits).
    pub entry_id: String,
    /// payment or refund.
    pub kind: String,
    /// Clinic-local time.
    pub at: String,
    /// The patient's name.
    pub patient: String,
    /// The doctor's name.
    pub doctor: String,
    /// The visit type.
    pub visit_type: String,
    /// cash, card or insurance.
    pub method: String,
    /// The insurer of an insurance payment.
    pub insurer: Option<String>,
    /// The amount.
    pub amount: Money,
    /// Who took it (display name).
    pub recorded_by: String,
}

/// The receipt of payment or refund `id`.
pub(crate) fn receipt(conn: &Connection, time: &ClinicTime, id: EntryId) -> Result<Receipt> {
    let found = conn
        .query_row(
            "SELECT e.kind, e.at, COALESCE(p.name, ''), COALESCE(d.name, ''),
                    COALESCE(e.visit_type, ''), e.method, e.insurer, e.amount,
                    COALESCE(r.name, e.recorded_by)
             FROM cash_entries e
             LEFT JOIN patients p ON p.id = e.patient_id
             LEFT JOIN staff d ON d.id = e.doctor_id
             LEFT JOIN staff r ON r.login = e.recorded_by
             WHERE e.id = ?1 AND e.kind IN ('payment', 'refund')",
            [id.to_string()],
            |r| {
                Ok(Receipt {
                    header: Header::default(),
                    entry_id: id.to_string(),
                    kind: r.get(0)?,
                    at: time.format(Timestamp::from_second(r.get(1)?).unwrap_or_default()),
                    patient: r.get(2)?,
                    doctor: r.get(3)?,
                    visit_type: r.get(4)?,
                    method: r.get(5)?,
                    insurer: r.get(6)?,
                    amount: Money(r.get(7)?),
                    recorded_by: r.get(8)?,
                })
            },
        )
        .optional()?;
    let mut receipt = found.ok_or_else(|| CoreError::not_found("payment", id))?;
    receipt.header = header(conn)?;
    Ok(receipt)
}
