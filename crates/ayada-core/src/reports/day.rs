//! A day's Z-report: previewed from the day's entries, closed into a numbered record that
//! never changes, and the late entries carried into the next close.

use automerge::ROOT;
use jiff::civil::Date;
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::docs::{put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::EntryId;
use crate::money::Money;
use crate::roles::Action;
use crate::store::Writer;
use crate::time::ClinicTime;

use super::{header, rows, totals, Header, Row, Totals};

/// A cash-drawer shift as the day's report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ShiftLine {
    /// The shift's id.
    pub id: String,
    /// The machine whose drawer it was (its node id).
    pub machine: String,
    /// Who opened it.
    pub opened_by: String,
    /// Clinic-local time it was opened.
    pub opened_at: String,
    /// Clinic-local time it was closed; None while open.
    pub closed_at: Option<String>,
    /// The opening float.
    pub float: Money,
    /// Cash expected at the close (or now, while open).
    pub expected: Money,
    /// Cash counted at the close.
    pub counted: Option<Money>,
    /// Counted − expected.
    pub difference: Option<Money>,
    /// Entries of this shift that arrived after it was closed.
    pub late_count: i64,
    /// Their net cash effect (not in `expected`).
    pub late_amount: Money,
}

/// A cashbook entry carried into a report because it arrived after its own day was closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LateEntry {
    /// The entry's id.
    pub id: String,
    /// The (closed) clinic-local date it belongs to.
    pub date: String,
    /// payment, refund or expense.
    pub kind: String,
    /// cash, card or insurance.
    pub method: String,
    /// The amount.
    pub amount: Money,
    /// Who recorded it.
    pub recorded_by: String,
}

/// What the sync server said, just before the close, about having every machine's changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServerCheck {
    /// Whether the server could be asked at all.
    pub asked: bool,
    /// Whether every machine had sent all its changes and this machine had them all.
    pub caught_up: bool,
    /// What it said, or why it could not be asked (for the report, in English).
    pub detail: String,
}

/// A day's Z-report. Closed, it is stored as it was and never computed again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DayReport {
    /// Its number in the clinic's sequence; None for a preview of a day not closed yet.
    pub number: Option<i64>,
    /// The clinic-local date.
    pub date: String,
    /// The clinic.
    pub header: Header,
    /// Clinic-local time of the close.
    pub closed_at: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Whether the server confirmed it had every machine's changes.
    pub server_check: Option<ServerCheck>,
    /// The money, late entries included.
    pub totals: Totals,
    /// Every shift opened that day.
    pub shifts: Vec<ShiftLine>,
    /// Bookings of the day, whatever became of them.
    pub bookings: i64,
    /// Visits done.
    pub visits: i64,
    /// Cancelled bookings.
    pub cancelled: i64,
    /// Patients who did not come.
    pub no_shows: i64,
    /// Entries of earlier closed days that arrived after their close.
    pub late: Vec<LateEntry>,
    /// Every cashbook entry this report covers.
    pub entry_ids: Vec<String>,
}

/// A closed day as stored in its `dayclose/<date>` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub(crate) struct DayClose {
    pub id: EntryId,
    pub number: i64,
    pub date: String,
    pub closed_at: i64,
    pub closed_by: String,
    /// The report as closed, as JSON: a string, so no merge can ever alter part of it.
    pub report: String,
}

/// Entries of `date`, and entries of earlier closed days that no close covers (late), that
/// no close covers yet.
fn day_rows(conn: &Connection, date: Date) -> Result<Vec<Row>> {
    rows(
        conn,
        "(e.local_date = ?1 OR (e.local_date < ?1 AND e.local_date IN (SELECT date FROM day_closes)))
         AND e.id NOT IN (SELECT entry_id FROM day_close_entries)",
        &[&date.to_string()],
    )
}

fn shifts_of(conn: &Connection, time: &ClinicTime, date: Date) -> Result<Vec<ShiftLine>> {
    let (start, end) = time.day_bounds(date)?;
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.node, COALESCE(st.name, s.opened_by), s.opened_at, s.closed_at, s.float,
                s.expected, s.counted, s.difference,
                (SELECT COUNT(*) FROM cash_entries e WHERE e.shift_id = s.id AND e.at > s.closed_at),
                (SELECT COALESCE(SUM(CASE e.kind WHEN 'payment' THEN e.amount ELSE -e.amount END), 0)
                   FROM cash_entries e
                  WHERE e.shift_id = s.id AND e.at > s.closed_at AND e.method = 'cash'),
                (SELECT COALESCE(SUM(CASE e.kind WHEN 'payment' THEN e.amount ELSE -e.amount END), 0)
                   FROM cash_entries e WHERE e.shift_id = s.id AND e.method = 'cash')
         FROM shifts s LEFT JOIN staff st ON st.login = s.opened_by
         WHERE s.opened_at >= ?1 AND s.opened_at < ?2 ORDER BY s.opened_at, s.id",
    )?;
    let found = stmt.query_map(params![start.as_second(), end.as_second()], |r| {
        let at = |i: usize| -> rusqlite::Result<Option<i64>> { r.get(i) };
        let money = |i: usize| -> rusqlite::Result<Option<Money>> {
            Ok(r.get::<_, Option<i64>>(i)?.map(Money))
        };
        let float: i64 = r.get(5)?;
        let moved: i64 = r.get(11)?;
        let show = |secs: i64| time.format(Timestamp::from_second(secs).unwrap_or_default());
        Ok(ShiftLine {
            id: r.get(0)?,
            machine: r.get(1)?,
            opened_by: r.get(2)?,
            opened_at: show(r.get(3)?),
            closed_at: at(4)?.map(show),
            float: Money(float),
            // A closed shift's expected cash is the figure frozen at its close.
            expected: money(6)?.unwrap_or(Money(float + moved)),
            counted: money(7)?,
            difference: money(8)?,
            late_count: r.get(9)?,
            late_amount: Money(r.get(10)?),
        })
    })?;
    Ok(found.collect::<rusqlite::Result<_>>()?)
}

fn counts(conn: &Connection, date: Date) -> Result<(i64, i64, i64, i64)> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FILTER (WHERE status <> 'requested'),
                COUNT(*) FILTER (WHERE status = 'done'),
                COUNT(*) FILTER (WHERE status = 'cancelled'),
                COUNT(*) FILTER (WHERE status = 'no-show')
         FROM appointments WHERE local_date = ?1",
        [date.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?)
}

/// The report of `date` as it would close now.
fn compute_day(conn: &Connection, time: &ClinicTime, date: Date) -> Result<DayReport> {
    let rows = day_rows(conn, date)?;
    let date_text = date.to_string();
    let late = rows
        .iter()
        .filter(|r| r.local_date < date_text)
        .map(|r| LateEntry {
            id: r.id.clone(),
            date: r.local_date.clone(),
            kind: r.kind.clone(),
            method: r.method.clone(),
            amount: Money(r.amount),
            recorded_by: r.recorded_by.clone(),
        })
        .collect();
    let (bookings, visits, cancelled, no_shows) = counts(conn, date)?;
    Ok(DayReport {
        number: None,
        date: date_text,
        header: header(conn)?,
        closed_at: None,
        closed_by: None,
        server_check: None,
        totals: totals(&rows),
        shifts: shifts_of(conn, time, date)?,
        bookings,
        visits,
        cancelled,
        no_shows,
        late,
        entry_ids: rows.into_iter().map(|r| r.id).collect(),
    })
}

/// The closed report of `date`, exactly as it was closed, if the day is closed. Two
/// machines that closed the same day offline both keep theirs; the lower number is shown.
fn closed(conn: &Connection, date: Date) -> Result<Option<DayReport>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT report FROM day_closes WHERE date = ?1 ORDER BY number, id LIMIT 1",
            [date.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(CoreError::from))
        .transpose()
}

/// The day's report: as closed if it is, otherwise a preview of what closing would give.
pub(crate) fn day_report(conn: &Connection, time: &ClinicTime, date: Date) -> Result<DayReport> {
    match closed(conn, date)? {
        Some(report) => Ok(report),
        None => compute_day(conn, time, date),
    }
}

/// Closes `date` into the next numbered Z-report. `check` is what the sync server said.
pub(crate) fn close_day(w: &mut Writer<'_>, date: Date, check: ServerCheck) -> Result<DayReport> {
    w.allow(Action::CloseDay)?;
    if date > w.today() {
        return Err(CoreError::invalid("date", "close-future"));
    }
    if let Some(done) = closed(&w.tx, date)? {
        return Err(CoreError::DayClosed {
            date: date.to_string(),
            number: done.number.unwrap_or_default(),
        });
    }
    let number: i64 = w.tx.query_row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM day_closes",
        [],
        |r| r.get(0),
    )?;
    let mut report = compute_day(&w.tx, &w.ctx.time, date)?;
    report.number = Some(number);
    report.closed_at = Some(w.ctx.time.format(w.now));
    report.closed_by = Some(w.session.name.clone());
    report.server_check = Some(check);
    let close = DayClose {
        id: EntryId::new(),
        number,
        date: date.to_string(),
        closed_at: w.now.as_second(),
        closed_by: w.session.login.clone(),
        report: serde_json::to_string(&report)?,
    };
    let doc_id = DocId::day_close(date);
    let key = close.id.to_string();
    put_record(w.doc(&doc_id)?, &ROOT, &key, &close, &[])?;
    w.touch(&doc_id, &key)?;
    w.audit(
        "day-close",
        format!("Z{number} {date} net {}", report.totals.net_revenue),
    );
    Ok(report)
}

/// Projects one closed day: its row and the entries it covers.
pub(crate) fn project_close(
    tx: &rusqlite::Transaction<'_>,
    doc_id: &DocId,
    close: &DayClose,
) -> Result<()> {
    let report: DayReport = serde_json::from_str(&close.report)?;
    let id = close.id.to_string();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO day_closes (id, doc_id, number, date, closed_at, closed_by, report)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        doc_id.as_str(),
        close.number,
        close.date,
        close.closed_at,
        close.closed_by,
        close.report
    ])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO day_close_entries (entry_id, close_id) VALUES (?1, ?2)",
    )?;
    for entry in &report.entry_ids {
        insert.execute(params![entry, id])?;
    }
    Ok(())
}

/// A closed day in the list of closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CloseSummary {
    /// Z-number.
    pub number: i64,
    /// Clinic-local date.
    pub date: String,
    /// Net revenue on the report.
    pub net_revenue: Money,
    /// Who closed it (login).
    pub closed_by: String,
}

/// Every closed day, newest number first.
pub(crate) fn closes(conn: &Connection) -> Result<Vec<CloseSummary>> {
    let mut stmt = conn
        .prepare("SELECT number, date, closed_by, report FROM day_closes ORDER BY number DESC")?;
    let found = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    found
        .map(|row| {
            let (number, date, closed_by, json) = row?;
            let report: DayReport = serde_json::from_str(&json)?;
            Ok(CloseSummary {
                number,
                date,
                net_revenue: report.totals.net_revenue,
                closed_by,
            })
        })
        .collect()
}
