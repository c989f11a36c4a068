//! What needs a person's decision. Locally a booking that overlaps another is refused, so
//! these arise when machines that worked offline sync (issue #3 fills in concurrent field
//! values); the queries read the projections, so every machine lists the same conflicts
//! whatever order it received the changes in.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::time::ClinicTime;

/// One thing for a person to resolve.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conflict {
    /// "overlapping-bookings" or "late-payment".
    pub kind: String,
    /// The records involved (appointment or cashbook entry ids).
    pub ids: Vec<String>,
    /// Clinic-local time it concerns.
    pub at: String,
    /// Who or what it concerns (a doctor's login, a shift).
    pub about: String,
}

/// Two bookings of one doctor that overlap and both still hold their slot.
pub(crate) fn overlapping_bookings(conn: &Connection, time: &ClinicTime) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, b.id, a.starts_at, COALESCE(s.login, a.doctor_id)
         FROM appointments a
         JOIN appointments b ON b.local_date = a.local_date AND b.doctor_id = a.doctor_id
              AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
         LEFT JOIN staff s ON s.id = a.doctor_id
         WHERE a.status NOT IN ('cancelled', 'no-show') AND b.status NOT IN ('cancelled', 'no-show')
         ORDER BY a.starts_at, a.id, b.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (a, b, at, doctor) = row?;
        Ok(Conflict {
            kind: "overlapping-bookings".into(),
            ids: vec![a, b],
            at: time.format(jiff::Timestamp::from_second(at).unwrap_or_default()),
            about: doctor,
        })
    })
    .collect()
}

/// Cashbook entries that belong to a shift but were made after it was closed.
pub(crate) fn late_payments(conn: &Connection, time: &ClinicTime) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare(
        "SELECT e.id, e.at, s.id FROM cash_entries e JOIN shifts s ON s.id = e.shift_id
         WHERE s.closed_at IS NOT NULL AND e.at > s.closed_at ORDER BY e.at, e.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (id, at, shift) = row?;
        Ok(Conflict {
            kind: "late-payment".into(),
            ids: vec![id],
            at: time.format(jiff::Timestamp::from_second(at).unwrap_or_default()),
            about: shift,
        })
    })
    .collect()
}
