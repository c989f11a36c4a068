//! Cash-drawer shifts: opened with a float, closed with the counted cash. The expected cash
//! is float + cash payments − cash refunds − expenses that went through the shift. One open
//! shift per machine: the drawer belongs to the front-desk PC, not to a person.

use automerge::ROOT;
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::docs::{get_root_record, put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::{NodeId, ShiftId};
use crate::money::Money;
use crate::roles::{allowed, Action};
use crate::store::Writer;
use crate::time::ClinicTime;

/// A shift as stored in its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Shift {
    /// The id.
    pub id: ShiftId,
    /// The machine whose drawer it is.
    pub node: String,
    /// Login of who opened it.
    pub opened_by: String,
    /// Unix seconds.
    pub opened_at: i64,
    /// Cash in the drawer at the start.
    pub float: Money,
    /// Unix seconds, once closed.
    pub closed_at: Option<i64>,
    /// Login of who closed it.
    pub closed_by: Option<String>,
    /// Cash counted at the close.
    pub counted: Option<Money>,
    /// Cash the cashbook says should be there.
    pub expected: Option<Money>,
    /// Counted − expected (negative: cash is missing).
    pub difference: Option<Money>,
    /// Why the drawer did not match, or anything else.
    #[serde(default)]
    pub note: String,
}

/// What closing tells the person who closed. The expected cash and the difference are the
/// owner's to read: a receptionist counts blind.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ShiftClosed {
    /// The shift.
    pub id: ShiftId,
    /// What was counted.
    pub counted: Money,
    /// Expected cash (owner only).
    pub expected: Option<Money>,
    /// Counted − expected (owner only).
    pub difference: Option<Money>,
}

/// The open shift of a machine, if any.
pub(crate) fn open_on_this_node(tx: &Transaction<'_>, node: NodeId) -> Result<Option<ShiftId>> {
    let id: Option<String> = tx
        .query_row(
            "SELECT id FROM shifts WHERE node = ?1 AND closed_at IS NULL ORDER BY opened_at DESC LIMIT 1",
            [node.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id.map(|i| i.parse()).transpose()?)
}

/// The shift open on a machine, as the desk sees it: who opened it and when, not its money
/// (the float and the cash are the owner's to read).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OpenShift {
    /// The shift.
    pub id: ShiftId,
    /// Login of who opened it.
    pub opened_by: String,
    /// Their name, as the staff list has it.
    pub opened_by_name: String,
    /// Clinic-local "YYYY-MM-DD HH:MM".
    pub opened_at: String,
}

/// The shift open on machine `node`, if any.
pub(crate) fn open_on(
    conn: &Connection,
    time: &ClinicTime,
    node: NodeId,
) -> Result<Option<OpenShift>> {
    let row: Option<(String, String, Option<String>, i64)> = conn
        .query_row(
            "SELECT s.id, s.opened_by, (SELECT name FROM staff WHERE login = s.opened_by LIMIT 1),
                    s.opened_at
             FROM shifts s WHERE s.node = ?1 AND s.closed_at IS NULL
             ORDER BY s.opened_at DESC LIMIT 1",
            [node.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(id, login, name, at)| {
        let at = Timestamp::from_second(at)
            .map_err(|e| CoreError::invalid("opened_at", e.to_string()))?;
        Ok(OpenShift {
            id: id.parse()?,
            opened_by_name: name.unwrap_or_else(|| login.clone()),
            opened_by: login,
            opened_at: time.format(at),
        })
    })
    .transpose()
}

/// Opens this machine's drawer with a float.
pub(crate) fn open(w: &mut Writer<'_>, float: Money) -> Result<Shift> {
    w.allow(Action::RunShift)?;
    if float.minor() < 0 {
        return Err(CoreError::invalid("amount", "amount-positive"));
    }
    if open_on_this_node(&w.tx, w.ctx.node)?.is_some() {
        return Err(CoreError::ShiftAlreadyOpen);
    }
    let shift = Shift {
        id: ShiftId::new(),
        node: w.ctx.node.to_string(),
        opened_by: w.session.login.clone(),
        opened_at: w.now.as_second(),
        float,
        closed_at: None,
        closed_by: None,
        counted: None,
        expected: None,
        difference: None,
        note: String::new(),
    };
    put(w, &shift)?;
    w.audit("shift-open", format!("{} float {}", shift.id, float));
    Ok(shift)
}

fn put(w: &mut Writer<'_>, shift: &Shift) -> Result<()> {
    let doc_id = DocId::shift(shift.id);
    let key = shift.id.to_string();
    put_record(w.doc(&doc_id)?, &ROOT, &key, shift, &[])?;
    w.touch(&doc_id, &key)?;
    Ok(())
}

/// The cash that should be in the drawer of a shift now.
pub(crate) fn expected_cash(tx: &Transaction<'_>, id: ShiftId, float: Money) -> Result<Money> {
    let moved: i64 = tx.query_row(
        "SELECT COALESCE(SUM(CASE kind WHEN 'payment' THEN amount ELSE -amount END), 0)
         FROM cash_entries WHERE shift_id = ?1 AND method = 'cash'",
        params![id.to_string()],
        |r| r.get(0),
    )?;
    Ok(Money(float.minor() + moved))
}

/// Closes this machine's open shift with the counted cash.
pub(crate) fn close(w: &mut Writer<'_>, counted: Money, note: &str) -> Result<ShiftClosed> {
    w.allow(Action::RunShift)?;
    if counted.minor() < 0 {
        return Err(CoreError::invalid("amount", "amount-positive"));
    }
    let id = open_on_this_node(&w.tx, w.ctx.node)?.ok_or(CoreError::NoOpenShift)?;
    let mut shift: Shift = get_root_record(w.doc(&DocId::shift(id))?, &id.to_string())?
        .ok_or_else(|| CoreError::not_found("shift", id))?;
    let expected = expected_cash(&w.tx, id, shift.float)?;
    let difference = Money(counted.minor() - expected.minor());
    shift.closed_at = Some(w.now.as_second());
    shift.closed_by = Some(w.session.login.clone());
    shift.counted = Some(counted);
    shift.expected = Some(expected);
    shift.difference = Some(difference);
    shift.note = note.trim().to_string();
    put(w, &shift)?;
    w.audit("shift-close", format!("{id} counted {counted}"));
    let owner = allowed(w.session.role, Action::ReadMoney);
    Ok(ShiftClosed {
        id,
        counted,
        expected: owner.then_some(expected),
        difference: owner.then_some(difference),
    })
}
