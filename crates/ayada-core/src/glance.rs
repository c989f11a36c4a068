//! A patient's history at a glance: what the desk should know the moment a name comes up
//! in a search or the queue — when they were last seen, how often they did not come, and
//! what they still owe.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::error::Result;
use crate::ids::PatientId;
use crate::money::Money;

/// A patient's history in three figures.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Glance {
    /// The clinic-local day of their last visit that was seen through, if any.
    pub last_visit: Option<String>,
    /// Bookings they did not come to.
    pub no_shows: i64,
    /// What their visits cost (at the visit type's price) less what they paid net of
    /// refunds, never below zero. `None` for a role that does not take payments.
    pub balance_due: Option<Money>,
}

/// The statuses whose visit is owed for: the desk takes the fee from check-in on.
const OWED: &str = "('arrived', 'in-exam', 'done')";

/// `patient`'s glance; the balance only when `with_money`.
pub(crate) fn of(conn: &Connection, patient: PatientId, with_money: bool) -> Result<Glance> {
    let id = patient.to_string();
    let (last_visit, no_shows): (Option<String>, i64) = conn
        .prepare_cached(
            "SELECT (SELECT MAX(local_date) FROM appointments WHERE patient_id = ?1 AND status = 'done'),
                    (SELECT COUNT(*) FROM appointments WHERE patient_id = ?1 AND status = 'no-show')",
        )?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let balance_due = if with_money {
        let (owed, paid): (i64, i64) = conn
            .prepare_cached(&format!(
                "SELECT (SELECT COALESCE(SUM(t.price), 0) FROM appointments a
                         JOIN visit_types t ON t.name = a.visit_type
                         WHERE a.patient_id = ?1 AND a.status IN {OWED}),
                        (SELECT COALESCE(SUM(CASE kind WHEN 'payment' THEN amount
                                                       WHEN 'refund' THEN -amount ELSE 0 END), 0)
                         FROM cash_entries WHERE patient_id = ?1)"
            ))?
            .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Some(Money((owed - paid).max(0)))
    } else {
        None
    };
    Ok(Glance {
        last_visit,
        no_shows,
        balance_due,
    })
}
