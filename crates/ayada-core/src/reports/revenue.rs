//! Revenue trends: payments less refunds and visits per day, week or month.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::ToSpan;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::money::Money;

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
