//! The money: payments, refunds and expenses, the drawer's shifts, and the reports read
//! from them (the day's Z-report and its close, the month, revenue, receipts).

use jiff::civil::Date;

use crate::cashbook::{self, CashSummary, Entry, Method};
use crate::error::Result;
use crate::ids::{AppointmentId, EntryId};
use crate::money::Money;
use crate::reports::{
    self, Bucket, CloseSummary, DayReport, MonthReport, Period, Receipt, ServerCheck,
};
use crate::roles::{Action, Session};
use crate::shifts::{self, Shift, ShiftClosed};

use super::Clinic;

impl Clinic {
    /// Takes a payment for an appointment.
    pub fn pay(
        &mut self,
        session: &Session,
        appointment: AppointmentId,
        amount: Money,
        method: Method,
        insurer: Option<&str>,
    ) -> Result<Entry> {
        self.write(session, |w| {
            cashbook::pay(w, appointment, amount, method, insurer)
        })
    }

    /// Refunds (part of) a payment.
    pub fn refund(
        &mut self,
        session: &Session,
        payment: EntryId,
        amount: Money,
        reason: &str,
    ) -> Result<Entry> {
        self.write(session, |w| cashbook::refund(w, payment, amount, reason))
    }

    /// Records an expense from the drawer.
    pub fn add_expense(
        &mut self,
        session: &Session,
        amount: Money,
        category: &str,
        note: &str,
    ) -> Result<Entry> {
        self.write(session, |w| cashbook::expense(w, amount, category, note))
    }

    /// Opens this machine's shift.
    pub fn open_shift(&mut self, session: &Session, float: Money) -> Result<Shift> {
        self.write(session, |w| shifts::open(w, float))
    }

    /// The shift open on this machine, if any: who opened it and when, for the desk that
    /// runs it (no money in it).
    pub fn open_shift_here(&mut self, session: &Session) -> Result<Option<shifts::OpenShift>> {
        self.allow_read(session, Action::RunShift)?;
        shifts::open_on(&self.conn, &self.ctx.time, self.ctx.node)
    }

    /// Closes this machine's shift with the counted cash.
    pub fn close_shift(
        &mut self,
        session: &Session,
        counted: Money,
        note: &str,
    ) -> Result<ShiftClosed> {
        self.write(session, |w| shifts::close(w, counted, note))
    }

    /// A clinic-local day's totals (owner).
    pub fn cash_summary(&mut self, session: &Session, date: Date) -> Result<CashSummary> {
        self.allow_read(session, Action::ReadMoney)?;
        cashbook::summary(&self.conn, date)
    }

    /// The entries of a day (owner): the expense list and every payment.
    pub fn cash_entries(&mut self, session: &Session, date: Date) -> Result<Vec<Entry>> {
        self.allow_read(session, Action::ReadMoney)?;
        cashbook::entries_where(&self.conn, "local_date = ?1", &date.to_string())
    }

    /// A day's Z-report (owner): as closed if the day is closed, else a preview.
    pub fn day_report(&mut self, session: &Session, date: Date) -> Result<DayReport> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::day_report(&self.conn, &self.ctx.time, date)
    }

    /// Closes a day into its numbered, immutable Z-report (owner). `check` is what the sync
    /// server said about having every machine's changes.
    pub fn close_day(
        &mut self,
        session: &Session,
        date: Date,
        check: ServerCheck,
    ) -> Result<DayReport> {
        self.write(session, |w| reports::close_day(w, date, check))
    }

    /// Every closed day, newest first (owner).
    pub fn day_closes(&mut self, session: &Session) -> Result<Vec<CloseSummary>> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::closes(&self.conn)
    }

    /// The summary of the month holding `date` (owner).
    pub fn month_report(&mut self, session: &Session, date: Date) -> Result<MonthReport> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::month_report(&self.conn, date)
    }

    /// Revenue and visits per period between two dates (owner).
    pub fn revenue(
        &mut self,
        session: &Session,
        from: Date,
        to: Date,
        period: Period,
    ) -> Result<Vec<Bucket>> {
        self.allow_read(session, Action::ReadMoney)?;
        reports::revenue(&self.conn, from, to, period)
    }

    /// What the receipt of a payment or refund shows (the front desk prints it).
    pub fn receipt(&mut self, session: &Session, entry: EntryId) -> Result<Receipt> {
        self.allow_read(session, Action::PrintReceipt)?;
        reports::receipt(&self.conn, &self.ctx.time, entry)
    }
}
