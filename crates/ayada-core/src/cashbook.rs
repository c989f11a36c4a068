//! The cashbook: payments (cash, card, insurance with its provider), refunds and expenses.
//! Append-only: a mistake is corrected by a refund, never by an edit. Recording money is the
//! front desk's; reading totals back is the owner's alone.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use automerge::ROOT;
use jiff::civil::Date;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::appointments;
use crate::docs::{get_root_record, put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::{AppointmentId, EntryId, PatientId, ShiftId, StaffId};
use crate::money::Money;
use crate::roles::Action;
use crate::shifts;
use crate::store::Writer;

/// How money moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Notes and coins through the drawer.
    Cash,
    /// A card terminal.
    Card,
    /// Billed to an insurer.
    Insurance,
}

impl Method {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Card => "card",
            Method::Insurance => "insurance",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Method> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cash" => Ok(Method::Cash),
            "card" => Ok(Method::Card),
            "insurance" => Ok(Method::Insurance),
            _ => Err(CoreError::invalid("method", "unknown-method")),
        }
    }
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// Money in for a visit.
    Payment,
    /// Money back to a patient.
    Refund,
    /// Money out for the clinic.
    Expense,
}

impl EntryKind {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::Expense => "expense",
        }
    }
}

/// One cashbook line, in the day's cashbook document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Entry {
    /// The id.
    pub id: EntryId,
    /// Payment, refund or expense.
    pub kind: EntryKind,
    /// Always positive; the kind says which way it went.
    pub amount: Money,
    /// How.
    pub method: Method,
    /// The insurer of an insurance payment.
    pub insurer: Option<String>,
    /// The category of an expense.
    pub category: Option<String>,
    /// The appointment paid for.
    pub appointment_id: Option<AppointmentId>,
    /// The patient who paid.
    pub patient_id: Option<PatientId>,
    /// The doctor the visit was with.
    pub doctor_id: Option<StaffId>,
    /// The visit type paid for.
    pub visit_type: Option<String>,
    /// The payment a refund gives back.
    pub refund_of: Option<EntryId>,
    /// The drawer shift it went through.
    pub shift_id: Option<ShiftId>,
    /// A free note.
    #[serde(default)]
    pub note: String,
    /// Unix seconds.
    pub at: i64,
    /// Login of whoever recorded it.
    pub recorded_by: String,
}

impl Entry {
    /// An entry recorded now by the session's user, through this machine's open shift (a
    /// cash movement without one is refused), with nothing else filled in.
    fn blank(w: &mut Writer<'_>, kind: EntryKind, amount: Money, method: Method) -> Result<Entry> {
        Ok(Entry {
            id: EntryId::new(),
            kind,
            amount,
            method,
            insurer: None,
            category: None,
            appointment_id: None,
            patient_id: None,
            doctor_id: None,
            visit_type: None,
            refund_of: None,
            shift_id: shift_for(w, method)?,
            note: String::new(),
            at: w.now.as_second(),
            recorded_by: w.session.login.clone(),
        })
    }
}

fn store(w: &mut Writer<'_>, entry: &Entry) -> Result<()> {
    let doc_id = DocId::cashbook(w.today());
    let key = entry.id.to_string();
    put_record(w.doc(&doc_id)?, &ROOT, &key, entry, &[])?;
    w.touch(&doc_id, &key)?;
    Ok(())
}

fn positive(amount: Money) -> Result<Money> {
    if amount.minor() <= 0 {
        return Err(CoreError::invalid("amount", "amount-positive"));
    }
    Ok(amount)
}

/// The drawer shift a cash movement must go through (and a card one may).
fn shift_for(w: &mut Writer<'_>, method: Method) -> Result<Option<ShiftId>> {
    let open = shifts::open_on_this_node(&w.tx, w.ctx.node)?;
    if method == Method::Cash && open.is_none() {
        return Err(CoreError::NoOpenShift);
    }
    Ok(open)
}

/// Takes a payment for an appointment.
pub(crate) fn pay(
    w: &mut Writer<'_>,
    appointment_id: AppointmentId,
    amount: Money,
    method: Method,
    insurer: Option<&str>,
) -> Result<Entry> {
    w.allow(Action::TakePayment)?;
    positive(amount)?;
    let appointment = appointments::get(w, appointment_id)?;
    if !appointment.status.holds_slot() {
        return Err(CoreError::invalid("appointment", "pay-cancelled"));
    }
    let insurer = match (method, insurer.map(str::trim).filter(|s| !s.is_empty())) {
        (Method::Insurance, Some(name)) => Some(crate::settings::insurer_named(w, name)?.name),
        (Method::Insurance, None) => return Err(CoreError::invalid("insurer", "insurer-needed")),
        (_, Some(_)) => return Err(CoreError::invalid("insurer", "insurer-only-insurance")),
        (_, None) => None,
    };
    let entry = Entry {
        insurer,
        appointment_id: Some(appointment_id),
        patient_id: Some(appointment.patient_id),
        doctor_id: Some(appointment.doctor_id),
        visit_type: Some(appointment.visit_type),
        ..Entry::blank(w, EntryKind::Payment, amount, method)?
    };
    store(w, &entry)?;
    w.audit(
        "payment",
        format!("{} {} {}", entry.id, entry.method, entry.amount),
    );
    Ok(entry)
}

/// Gives money back against a payment, never more than was paid.
pub(crate) fn refund(
    w: &mut Writer<'_>,
    payment_id: EntryId,
    amount: Money,
    reason: &str,
) -> Result<Entry> {
    w.allow(Action::TakePayment)?;
    positive(amount)?;
    if reason.trim().is_empty() {
        return Err(CoreError::invalid("reason", "required"));
    }
    let found: Option<(String, i64)> = w
        .tx
        .query_row(
            "SELECT doc_id, (SELECT COALESCE(SUM(amount), 0) FROM cash_entries WHERE refund_of = ?1)
             FROM cash_entries WHERE id = ?1 AND kind = 'payment'",
            [payment_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (doc_id, refunded) = found.ok_or_else(|| CoreError::not_found("payment", payment_id))?;
    let payment: Entry = get_root_record(w.doc(&DocId::parse(&doc_id)?)?, &payment_id.to_string())?
        .ok_or_else(|| CoreError::not_found("payment", payment_id))?;
    if refunded + amount.minor() > payment.amount.minor() {
        return Err(CoreError::invalid("amount", "refund-exceeds"));
    }
    let entry = Entry {
        insurer: payment.insurer.clone(),
        appointment_id: payment.appointment_id,
        patient_id: payment.patient_id,
        doctor_id: payment.doctor_id,
        visit_type: payment.visit_type.clone(),
        refund_of: Some(payment_id),
        note: reason.trim().to_string(),
        ..Entry::blank(w, EntryKind::Refund, amount, payment.method)?
    };
    store(w, &entry)?;
    w.audit(
        "refund",
        format!("{} of {} {}", entry.id, payment_id, entry.amount),
    );
    Ok(entry)
}

/// Records an expense paid from the drawer.
pub(crate) fn expense(
    w: &mut Writer<'_>,
    amount: Money,
    category: &str,
    note: &str,
) -> Result<Entry> {
    w.allow(Action::RecordExpense)?;
    positive(amount)?;
    let category = category.trim();
    if category.is_empty() {
        return Err(CoreError::invalid("category", "required"));
    }
    let entry = Entry {
        category: Some(category.to_string()),
        note: note.trim().to_string(),
        ..Entry::blank(w, EntryKind::Expense, amount, Method::Cash)?
    };
    store(w, &entry)?;
    w.audit(
        "expense",
        format!("{} {} {}", entry.id, category, entry.amount),
    );
    Ok(entry)
}

/// A day's money, for the owner.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CashSummary {
    /// Clinic-local date.
    pub date: String,
    /// Payments per method.
    pub payments: BTreeMap<String, Money>,
    /// Insurance payments per insurer.
    pub by_insurer: BTreeMap<String, Money>,
    /// Refunds per method.
    pub refunds: BTreeMap<String, Money>,
    /// Expenses per category.
    pub expenses: BTreeMap<String, Money>,
    /// Number of payments.
    pub payment_count: i64,
    /// All payments less all refunds.
    pub net_revenue: Money,
    /// Cash payments less cash refunds less expenses: what the drawers gained.
    pub net_cash: Money,
}

/// Sums a clinic-local day's cashbook from the projection.
pub(crate) fn summary(conn: &Connection, date: Date) -> Result<CashSummary> {
    let mut s = CashSummary {
        date: date.to_string(),
        ..Default::default()
    };
    let mut stmt = conn.prepare_cached(
        "SELECT kind, method, COALESCE(insurer, ''), COALESCE(category, ''), SUM(amount), COUNT(*)
         FROM cash_entries WHERE local_date = ?1 GROUP BY kind, method, insurer, category",
    )?;
    let mut rows = stmt.query(params![date.to_string()])?;
    while let Some(r) = rows.next()? {
        let (kind, method, insurer, category): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let (sum, count): (i64, i64) = (r.get(4)?, r.get(5)?);
        let add = |map: &mut BTreeMap<String, Money>, key: String| {
            map.entry(key).or_default().0 += sum;
        };
        match kind.as_str() {
            "payment" => {
                add(&mut s.payments, method.clone());
                if method == "insurance" {
                    add(&mut s.by_insurer, insurer);
                }
                s.payment_count += count;
                s.net_revenue.0 += sum;
                if method == "cash" {
                    s.net_cash.0 += sum;
                }
            }
            "refund" => {
                add(&mut s.refunds, method.clone());
                s.net_revenue.0 -= sum;
                if method == "cash" {
                    s.net_cash.0 -= sum;
                }
            }
            _ => {
                add(&mut s.expenses, category);
                s.net_cash.0 -= sum;
            }
        }
    }
    Ok(s)
}
/// The entries whose row matches `filter` (an SQL condition on `cash_entries` with one
/// parameter, `value`), newest first.
pub(crate) fn entries_where(conn: &Connection, filter: &str, value: &str) -> Result<Vec<Entry>> {
    let rows: Vec<(String, String)> = conn
        .prepare(&format!(
            "SELECT doc_id, id FROM cash_entries WHERE {filter} ORDER BY at DESC"
        ))?
        .query_map([value], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // A day's entries share one cash book document: it is loaded once, not once an
    // entry (the soak's 3,000 expenses of one day took minutes to list that way).
    let mut docs: std::collections::HashMap<String, automerge::AutoCommit> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for (doc_id, id) in rows {
        let doc = match docs.entry(doc_id) {
            std::collections::hash_map::Entry::Occupied(d) => d.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let parsed = crate::docs::DocId::parse(v.key())?;
                v.insert(crate::store::load_doc(conn, &parsed)?.unwrap_or_default())
            }
        };
        if let Some(e) = crate::docs::get_root_record(doc, &id)? {
            out.push(e);
        }
    }
    Ok(out)
}
