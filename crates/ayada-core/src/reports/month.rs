//! The month summary: each day's money and visits.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::ToSpan;
use rusqlite::{Connection, ToSql};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::money::Money;

use super::{header, rows, totals, Header, Row, Totals};

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
