//! The owner's reports on the money: a day's Z-report (previewed, then closed into a
//! numbered record that never changes), the month summary, revenue trends, and the receipt a
//! receptionist prints for a payment.
//!
//! A closed day keeps the list of cashbook entries it covered. An entry that reaches this
//! machine later for a closed day (a machine that was offline) is not in that list: it is
//! carried, flagged as late, into the next day closed after it, and the closed report stays
//! exactly as it was printed.

use std::collections::BTreeMap;

use automerge::ROOT;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use rusqlite::{params, Connection, OptionalExtension, ToSql};
use serde::{Deserialize, Serialize};

use crate::docs::{put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::EntryId;
use crate::money::Money;
use crate::roles::Action;
use crate::settings::read_settings;
use crate::store::Writer;
use crate::time::ClinicTime;

/// The clinic as a report's header shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Header {
    /// The clinic's name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// ISO currency code.
    pub currency: String,
    /// The clinic's time zone, which drew the day's boundaries.
    pub time_zone: String,
}

/// One row of a breakdown: what, how many entries, how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Line {
    /// A method, insurer, doctor's name, visit type or expense category.
    pub key: String,
    /// How many: the entries of that method or category; in the breakdowns of payments less
    /// refunds (insurer, doctor, visit type), the payments — a refund lowers the sum of the
    /// visit it refunds without being another one.
    pub count: i64,
    /// The sum.
    pub amount: Money,
}

/// Money in and out, broken down the ways the owner reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Totals {
    /// Payments per method.
    pub payments: Vec<Line>,
    /// Refunds per method.
    pub refunds: Vec<Line>,
    /// Insurance payments less their refunds, per insurer.
    pub by_insurer: Vec<Line>,
    /// Payments less refunds, per doctor.
    pub by_doctor: Vec<Line>,
    /// Payments less refunds, per visit type.
    pub by_visit_type: Vec<Line>,
    /// Expenses per category.
    pub expenses: Vec<Line>,
    /// All payments.
    pub total_payments: Money,
    /// All refunds.
    pub total_refunds: Money,
    /// All expenses.
    pub total_expenses: Money,
    /// Payments less refunds.
    pub net_revenue: Money,
    /// Cash payments less cash refunds less expenses: what the drawers gained.
    pub net_cash: Money,
}

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

/// One cashbook entry with its doctor's name, as the reports read it.
struct Row {
    id: String,
    kind: String,
    amount: i64,
    method: String,
    insurer: String,
    category: String,
    doctor: String,
    visit_type: String,
    local_date: String,
    recorded_by: String,
}

fn rows(conn: &Connection, filter: &str, args: &[&dyn ToSql]) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT e.id, e.kind, e.amount, e.method, COALESCE(e.insurer, ''),
                COALESCE(e.category, ''), COALESCE(s.name, e.doctor_id, ''),
                COALESCE(e.visit_type, ''), e.local_date, e.recorded_by
         FROM cash_entries e LEFT JOIN staff s ON s.id = e.doctor_id
         WHERE {filter} ORDER BY e.at, e.id"
    ))?;
    let found = stmt.query_map(args, |r| {
        Ok(Row {
            id: r.get(0)?,
            kind: r.get(1)?,
            amount: r.get(2)?,
            method: r.get(3)?,
            insurer: r.get(4)?,
            category: r.get(5)?,
            doctor: r.get(6)?,
            visit_type: r.get(7)?,
            local_date: r.get(8)?,
            recorded_by: r.get(9)?,
        })
    })?;
    Ok(found.collect::<rusqlite::Result<_>>()?)
}

/// Sums and counts by key, then sorted rows.
#[derive(Default)]
struct Tally(BTreeMap<String, (i64, i64)>);

impl Tally {
    fn add(&mut self, key: &str, amount: i64) {
        self.record(key, 1, amount);
    }
    fn record(&mut self, key: &str, count: i64, amount: i64) {
        let slot = self.0.entry(key.to_string()).or_default();
        slot.0 += count;
        slot.1 += amount;
    }
    fn lines(self) -> Vec<Line> {
        self.0
            .into_iter()
            .map(|(key, (count, amount))| Line {
                key,
                count,
                amount: Money(amount),
            })
            .collect()
    }
}

fn totals(rows: &[Row]) -> Totals {
    let (mut payments, mut refunds, mut insurers, mut doctors, mut types, mut expenses) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    let mut t = Totals::default();
    for r in rows {
        // A refund counts against the doctor, visit type and insurer of what it refunds: it
        // lowers their sum, and is not counted as one more of their payments.
        let (signed, paid) = match r.kind.as_str() {
            "payment" => {
                payments.add(&r.method, r.amount);
                t.total_payments.0 += r.amount;
                (r.amount, 1)
            }
            "refund" => {
                refunds.add(&r.method, r.amount);
                t.total_refunds.0 += r.amount;
                (-r.amount, 0)
            }
            _ => {
                expenses.add(&r.category, r.amount);
                t.total_expenses.0 += r.amount;
                t.net_cash.0 -= r.amount;
                continue;
            }
        };
        if r.method == "cash" {
            t.net_cash.0 += signed;
        }
        if r.method == "insurance" {
            insurers.record(&r.insurer, paid, signed);
        }
        doctors.record(&r.doctor, paid, signed);
        types.record(&r.visit_type, paid, signed);
    }
    t.net_revenue = Money(t.total_payments.0 - t.total_refunds.0);
    t.payments = payments.lines();
    t.refunds = refunds.lines();
    t.by_insurer = insurers.lines();
    t.by_doctor = doctors.lines();
    t.by_visit_type = types.lines();
    t.expenses = expenses.lines();
    t
}

fn header(conn: &Connection) -> Result<Header> {
    let s = read_settings(conn)?;
    Ok(Header {
        name: s.name,
        address: s.address,
        phones: s.phones,
        currency: s.currency,
        time_zone: s.time_zone,
    })
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

// ---- the month ----

/// One day's line in the month summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MonthDay {
    /// Clinic-local date.
    pub date: String,
    /// Payments.
    pub payments: Money,
    /// Refunds.
    pub refunds: Money,
    /// Expenses.
    pub expenses: Money,
    /// Payments less refunds.
    pub net_revenue: Money,
    /// Visits done.
    pub visits: i64,
    /// The day's Z-number, once closed.
    pub z_number: Option<i64>,
}

/// A month's summary: one line a day and the month's breakdowns. Entries count on the day
/// they were made (a late entry on its own date, not on the report it was carried into).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MonthReport {
    /// "2026-11".
    pub month: String,
    /// The clinic.
    pub header: Header,
    /// Every day of the month.
    pub days: Vec<MonthDay>,
    /// The month's money.
    pub totals: Totals,
    /// Visits done in the month.
    pub visits: i64,
}

/// The summary of the month that contains `first`.
pub(crate) fn month_report(conn: &Connection, first: Date) -> Result<MonthReport> {
    let first = first.first_of_month();
    let last = first.last_of_month();
    let (from, to) = (first.to_string(), last.to_string());
    let rows = rows(
        conn,
        "e.local_date BETWEEN ?1 AND ?2",
        &[&from as &dyn ToSql, &to],
    )?;
    let mut visits: BTreeMap<String, i64> = conn
        .prepare_cached(
            "SELECT local_date, COUNT(*) FROM appointments
             WHERE local_date BETWEEN ?1 AND ?2 AND status = 'done' GROUP BY local_date",
        )?
        .query_map([&from, &to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut z: BTreeMap<String, i64> = conn
        .prepare_cached(
            "SELECT date, MIN(number) FROM day_closes WHERE date BETWEEN ?1 AND ?2 GROUP BY date",
        )?
        .query_map([&from, &to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut days = Vec::new();
    for date in first.series(1.day()).take_while(|d| *d <= last) {
        let key = date.to_string();
        let of_day: Vec<&Row> = rows.iter().filter(|r| r.local_date == key).collect();
        let sum = |kind: &str| {
            Money(
                of_day
                    .iter()
                    .filter(|r| r.kind == kind)
                    .map(|r| r.amount)
                    .sum(),
            )
        };
        let (payments, refunds) = (sum("payment"), sum("refund"));
        days.push(MonthDay {
            payments,
            refunds,
            expenses: sum("expense"),
            net_revenue: Money(payments.0 - refunds.0),
            visits: visits.remove(&key).unwrap_or(0),
            z_number: z.remove(&key),
            date: key,
        });
    }
    Ok(MonthReport {
        month: first.strftime("%Y-%m").to_string(),
        header: header(conn)?,
        visits: days.iter().map(|d| d.visits).sum(),
        days,
        totals: totals(&rows),
    })
}

// ---- revenue trends ----

/// How revenue is grouped over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Per clinic-local day.
    Day,
    /// Per week, starting on Saturday (the Egyptian week).
    Week,
    /// Per calendar month.
    Month,
}

impl std::str::FromStr for Period {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Period> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            _ => Err(CoreError::invalid("period", "unknown-period")),
        }
    }
}

impl Period {
    /// The first day of the period that holds `date`.
    pub fn start(self, date: Date) -> Date {
        match self {
            Period::Day => date,
            Period::Week => {
                let back = (date.weekday().to_sunday_zero_offset() + 1) % 7;
                date.checked_sub(i64::from(back).days()).unwrap_or(date)
            }
            Period::Month => date.first_of_month(),
        }
    }
}

/// Revenue and visits of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Bucket {
    /// First clinic-local day of the period.
    pub start: String,
    /// Payments less refunds.
    pub revenue: Money,
    /// Visits done.
    pub visits: i64,
    /// Payments less refunds per doctor.
    pub by_doctor: BTreeMap<String, Money>,
    /// Payments less refunds per method.
    pub by_method: BTreeMap<String, Money>,
}

/// The longest range a trend covers: ten years of days.
const MAX_TREND_DAYS: i32 = 3660;

/// Revenue and visits per period from `from` to `to`, every period present (empty ones
/// too) so a chart has no holes.
pub(crate) fn revenue(
    conn: &Connection,
    from: Date,
    to: Date,
    period: Period,
) -> Result<Vec<Bucket>> {
    if to < from {
        return Err(CoreError::invalid("date", "end-before-start"));
    }
    if (to - from).get_days() > MAX_TREND_DAYS {
        return Err(CoreError::invalid("date", "range-too-long"));
    }
    let mut buckets: BTreeMap<Date, Bucket> = BTreeMap::new();
    for date in from.series(1.day()).take_while(|d| *d <= to) {
        let start = period.start(date);
        buckets.entry(start).or_insert_with(|| Bucket {
            start: start.to_string(),
            revenue: Money::ZERO,
            visits: 0,
            by_doctor: BTreeMap::new(),
            by_method: BTreeMap::new(),
        });
    }
    let (a, b) = (from.to_string(), to.to_string());
    let mut stmt = conn.prepare_cached(
        "SELECT e.local_date, e.method, COALESCE(s.name, e.doctor_id, ''),
                SUM(CASE e.kind WHEN 'payment' THEN e.amount ELSE -e.amount END)
         FROM cash_entries e LEFT JOIN staff s ON s.id = e.doctor_id
         WHERE e.local_date BETWEEN ?1 AND ?2 AND e.kind IN ('payment', 'refund')
         GROUP BY e.local_date, e.method, e.doctor_id",
    )?;
    let mut found = stmt.query([&a, &b])?;
    while let Some(r) = found.next()? {
        let date: Date = crate::time::parse_date(&r.get::<_, String>(0)?)?;
        let (method, doctor, sum): (String, String, i64) = (r.get(1)?, r.get(2)?, r.get(3)?);
        if let Some(bucket) = buckets.get_mut(&period.start(date)) {
            bucket.revenue.0 += sum;
            bucket.by_doctor.entry(doctor).or_default().0 += sum;
            bucket.by_method.entry(method).or_default().0 += sum;
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT local_date, COUNT(*) FROM appointments
         WHERE local_date BETWEEN ?1 AND ?2 AND status = 'done' GROUP BY local_date",
    )?;
    let mut found = stmt.query([&a, &b])?;
    while let Some(r) = found.next()? {
        let date: Date = crate::time::parse_date(&r.get::<_, String>(0)?)?;
        if let Some(bucket) = buckets.get_mut(&period.start(date)) {
            bucket.visits += r.get::<_, i64>(1)?;
        }
    }
    Ok(buckets.into_values().collect())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_saturday() {
        let fri = jiff::civil::date(2026, 11, 20);
        let sat = jiff::civil::date(2026, 11, 21);
        assert_eq!(Period::Week.start(sat), sat);
        assert_eq!(Period::Week.start(fri), jiff::civil::date(2026, 11, 14));
        assert_eq!(
            Period::Week.start(jiff::civil::date(2026, 11, 22)),
            sat,
            "Sunday belongs to the week that began the day before"
        );
        assert_eq!(Period::Month.start(fri), jiff::civil::date(2026, 11, 1));
    }

    fn entry(kind: &str, amount: i64, method: &str, doctor: &str) -> Row {
        Row {
            id: format!("{kind}-{amount}"),
            kind: kind.into(),
            amount,
            method: method.into(),
            insurer: if method == "insurance" {
                "AXA Egypt".into()
            } else {
                String::new()
            },
            category: String::new(),
            doctor: doctor.into(),
            visit_type: "examination".into(),
            local_date: "2026-11-23".into(),
            recorded_by: "reception".into(),
        }
    }

    #[test]
    fn a_refund_lowers_its_doctors_revenue_without_counting_as_another_payment() {
        let t = totals(&[
            entry("payment", 35_000, "cash", "Dr. Sara"),
            entry("refund", 2_000, "cash", "Dr. Sara"),
            entry("payment", 40_000, "insurance", "Dr. Karim"),
            entry("refund", 40_000, "insurance", "Dr. Karim"),
        ]);
        let line = |lines: &[Line], key: &str| {
            let l = lines.iter().find(|l| l.key == key).unwrap();
            (l.count, l.amount)
        };
        assert_eq!(line(&t.by_doctor, "Dr. Sara"), (1, Money(33_000)));
        assert_eq!(line(&t.by_doctor, "Dr. Karim"), (1, Money(0)));
        assert_eq!(line(&t.by_visit_type, "examination"), (2, Money(33_000)));
        assert_eq!(line(&t.by_insurer, "AXA Egypt"), (1, Money(0)));
        // The refunds are still counted where they are the entries listed.
        assert_eq!(line(&t.refunds, "cash"), (1, Money(2_000)));
        assert_eq!(line(&t.refunds, "insurance"), (1, Money(40_000)));
        assert_eq!(line(&t.payments, "cash"), (1, Money(35_000)));
    }
}
