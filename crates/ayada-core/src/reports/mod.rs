//! The owner's reports on the money: a day's Z-report (previewed, then closed into a
//! numbered record that never changes), the month summary, revenue trends, and the receipt a
//! receptionist prints for a payment.
//!
//! A closed day keeps the list of cashbook entries it covered. An entry that reaches this
//! machine later for a closed day (a machine that was offline) is not in that list: it is
//! carried, flagged as late, into the next day closed after it, and the closed report stays
//! exactly as it was printed.

mod day;
mod month;
mod receipt;
mod revenue;

pub(crate) use day::{close_day, closes, day_report, project_close, DayClose};
pub use day::{CloseSummary, DayReport, LateEntry, ServerCheck, ShiftLine};
pub(crate) use month::month_report;
pub use month::{MonthDay, MonthReport};
pub(crate) use receipt::receipt;
pub use receipt::Receipt;
pub(crate) use revenue::revenue;
pub use revenue::{Bucket, Period};

use std::collections::BTreeMap;

use rusqlite::{Connection, ToSql};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::money::Money;
use crate::settings::read_settings;

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
