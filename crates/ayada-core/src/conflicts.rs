//! What needs a person's decision. Locally a booking that overlaps another is refused, so
//! these arise when machines that worked offline sync: overlapping bookings, payments made
//! after their shift closed, and one field set to two values at once. The lists read the
//! projections (and the conflicting values are a projection of the merged documents), so
//! every machine lists the same conflicts whatever order it received the changes in.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value, ROOT};
use rusqlite::{Connection, Transaction};
use serde::Serialize;

use crate::docs::{to_json, DocId, DocKind};
use crate::error::{CoreError, Result};
use crate::roles::{Action, Session};
use crate::store::Writer;
use crate::time::ClinicTime;

/// One thing for a person to resolve.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Conflict {
    /// "overlapping-bookings" or "late-payment".
    pub kind: String,
    /// The records involved (appointment or cashbook entry ids).
    pub ids: Vec<String>,
    /// Clinic-local time it concerns.
    pub at: String,
    /// Who or what it concerns (a doctor's login, a shift, "patient.phone").
    pub about: String,
    /// For a concurrent edit: the field inside the record ("phone", "vitals.pulse").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
    /// For a concurrent edit: the document it is in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc_id: String,
    /// For a concurrent edit: the values to choose from (the one shown now first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// Changes received from a peer that this machine holds aside, not applied: their
/// predecessors have not arrived, or they do not fit their document. The sync goes on
/// without them; a person (or the operator) should know they are there.
pub(crate) fn held_changes(conn: &Connection, time: &ClinicTime) -> Result<Vec<Conflict>> {
    let mut stmt = conn
        .prepare("SELECT hash, doc_id, reason, held_at FROM held_changes ORDER BY held_at, hash")?;
    let rows = stmt.query_map([], |r| {
        Ok(Conflict {
            kind: "held-change".into(),
            ids: vec![hex::encode(r.get::<_, Vec<u8>>(0)?)],
            at: time.format(jiff::Timestamp::from_second(r.get(3)?).unwrap_or_default()),
            about: r.get(1)?,
            field: String::new(),
            doc_id: r.get(1)?,
            values: vec![r.get(2)?],
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
           AND a.source != 'walk-in' AND b.source != 'walk-in'
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
            field: String::new(),
            doc_id: String::new(),
            values: Vec::new(),
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
            field: String::new(),
            doc_id: String::new(),
            values: Vec::new(),
        })
    })
    .collect()
}

/// A value as a person reads it: text as written, anything else as JSON.
fn shown(doc: &AutoCommit, value: Value<'_>, id: &ObjId) -> Result<String> {
    Ok(match to_json(doc, value, id)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Collects the fields under `obj` (and its maps) that hold more than one distinct value.
fn scan(
    doc: &AutoCommit,
    obj: &ObjId,
    path: &str,
    out: &mut Vec<(String, Vec<String>)>,
) -> Result<()> {
    for key in doc.keys(obj) {
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let all = doc.get_all(obj, key.as_str())?;
        // Lists only grow (a booking's moves); two machines starting one at once keep one
        // list, and a person cannot choose between histories: not a conflict to settle.
        if all
            .iter()
            .any(|(v, _)| matches!(v, Value::Object(ObjType::List)))
        {
            continue;
        }
        if all.len() < 2 {
            if let Some((Value::Object(ObjType::Map), child)) = all.last() {
                scan(doc, child, &field, out)?;
            }
            continue;
        }
        // get_all lists the winner last; show it first.
        let mut values: Vec<String> = Vec::new();
        for (value, id) in all.iter().rev() {
            let text = shown(doc, value.clone(), id)?;
            if !values.contains(&text) {
                values.push(text);
            }
        }
        if values.len() > 1 {
            out.push((field, values));
        } else if let Some((Value::Object(ObjType::Map), child)) = all.last() {
            scan(doc, child, &field, out)?;
        }
    }
    Ok(())
}

/// Whether only one machine ever wrote the document: one actor's changes are always in
/// order, so nothing in it can have been set twice at once.
fn one_writer(doc: &AutoCommit) -> bool {
    doc.stats().num_actors <= 1
}

/// Projects the concurrent values of document `id`: of the records in `keys`, or (None) of
/// the whole document.
pub(crate) fn project_fields(
    tx: &Transaction<'_>,
    id: &DocId,
    doc: &AutoCommit,
    keys: Option<&[&str]>,
) -> Result<()> {
    let records: Vec<String> = match keys {
        Some(k) => k.iter().map(|s| s.to_string()).collect(),
        None => {
            tx.prepare_cached("DELETE FROM field_conflicts WHERE doc_id = ?1")?
                .execute([id.as_str()])?;
            if one_writer(doc) {
                return Ok(());
            }
            doc.keys(&ROOT).collect()
        }
    };
    for record in records {
        if keys.is_some() {
            tx.prepare_cached("DELETE FROM field_conflicts WHERE doc_id = ?1 AND record = ?2")?
                .execute([id.as_str(), record.as_str()])?;
        }
        let mut found = Vec::new();
        let all = doc.get_all(&ROOT, record.as_str())?;
        if all.len() > 1 {
            // The record itself was written twice (two machines made the same map).
            let values = all
                .iter()
                .rev()
                .map(|(v, i)| shown(doc, v.clone(), i))
                .collect::<Result<Vec<_>>>()?;
            found.push((String::new(), values));
        } else if let Some((Value::Object(ObjType::Map), obj)) = all.last() {
            scan(doc, obj, "", &mut found)?;
        }
        for (field, values) in found {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO field_conflicts (doc_id, record, field, vals) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute([id.as_str(), record.as_str(), field.as_str(), &serde_json::to_string(&values)?])?;
        }
    }
    Ok(())
}

/// What reading (and settling) a document of `kind` needs.
fn actions(kind: DocKind) -> (Action, Action) {
    match kind {
        DocKind::Clinic => (Action::ReadFrontDesk, Action::ManageSettings),
        DocKind::Patient => (Action::ReadFrontDesk, Action::WritePatients),
        DocKind::Appointments => (Action::ReadFrontDesk, Action::Book),
        DocKind::Visits => (Action::ReadClinical, Action::WriteClinical),
        DocKind::Cashbook | DocKind::Shift | DocKind::DayClose => {
            (Action::ReadMoney, Action::ManageSettings)
        }
    }
}

/// Fields set to different values at once on two machines, that `session` may read.
pub(crate) fn field_values(conn: &Connection, session: &Session) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare(
        "SELECT doc_id, record, field, vals FROM field_conflicts ORDER BY doc_id, record, field",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (doc_id, record, field, vals) = row?;
        let kind = DocId::parse(&doc_id)?.kind()?;
        if session.allow(actions(kind).0).is_err() {
            continue;
        }
        out.push(Conflict {
            kind: "concurrent-edit".into(),
            ids: vec![record],
            at: String::new(),
            about: if field.is_empty() {
                kind.prefix().to_string()
            } else {
                format!("{}.{field}", kind.prefix())
            },
            field,
            doc_id,
            values: serde_json::from_str(&vals)?,
        })
    }
    Ok(out)
}

/// Settles a concurrent edit: writes `value` (one of the offered values) into the field as a
/// new change, which supersedes both and syncs like any other.
pub(crate) fn settle(
    w: &mut Writer<'_>,
    doc_id: &str,
    record: &str,
    field: &str,
    value: &str,
) -> Result<()> {
    let id = DocId::parse(doc_id)?;
    w.allow(actions(id.kind()?).1)?;
    let offered: Option<String> =
        w.tx.query_row(
            "SELECT vals FROM field_conflicts WHERE doc_id = ?1 AND record = ?2 AND field = ?3",
            [doc_id, record, field],
            |r| r.get(0),
        )
        .ok();
    let values: Vec<String> = match offered {
        Some(v) => serde_json::from_str(&v)?,
        None => {
            return Err(CoreError::not_found(
                "conflict",
                format!("{doc_id} {record} {field}"),
            ))
        }
    };
    if !values.iter().any(|v| v == value) || field.is_empty() {
        return Err(CoreError::Invalid {
            field: "value".into(),
            reason: "not-offered".into(),
        });
    }
    let doc = w.doc(&id)?;
    let mut obj = match doc.get(&ROOT, record)? {
        Some((Value::Object(ObjType::Map), o)) => o,
        _ => return Err(CoreError::not_found("record", record)),
    };
    let mut parts: Vec<&str> = field.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    for part in parts {
        obj = match doc.get(&obj, part)? {
            Some((Value::Object(ObjType::Map), o)) => o,
            _ => return Err(CoreError::not_found("field", field)),
        };
    }
    // The chosen value in the type it had: text objects stay text, JSON stays typed.
    match doc.get(&obj, last)? {
        Some((Value::Object(ObjType::Text), _)) => {
            let text = doc.put_object(&obj, last, ObjType::Text)?;
            doc.update_text(&text, value)?;
        }
        _ => {
            let json: serde_json::Value = serde_json::from_str(value)
                .ok()
                .filter(|v: &serde_json::Value| !v.is_object() && !v.is_array())
                .unwrap_or_else(|| serde_json::Value::String(value.to_string()));
            let is_text = doc
                .get_all(&obj, last)?
                .iter()
                .any(|(v, _)| matches!(v, Value::Scalar(s) if matches!(s.as_ref(), automerge::ScalarValue::Str(_))));
            let scalar = if is_text {
                automerge::ScalarValue::Str(value.into())
            } else {
                crate::docs::scalar(&json)?
            };
            doc.put(&obj, last, scalar)?;
        }
    }
    w.touch(&id, record)?;
    w.audit("conflict-settle", format!("{doc_id} {record} {field}"));
    Ok(())
}
