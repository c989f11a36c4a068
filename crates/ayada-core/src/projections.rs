//! SQL projections of the documents: the tables screens query. Each record is projected by
//! one function, used both for the incremental update after a write and for a full rebuild,
//! so the two cannot drift apart.

use automerge::{AutoCommit, ReadDoc, ROOT};
use jiff::Timestamp;
use rusqlite::{params, Connection, Transaction};
use serde_json::Value as Json;

use crate::appointments::Appointment;
use crate::cashbook::Entry;
use crate::docs::{
    existing_map, from_json, get_record, get_root_json, read_records, record_keys, DocId, DocKind,
    Records,
};
use crate::error::{CoreError, Result};
use crate::patients::{search_text, Patient};
use crate::schedules::SCHEDULES;
use crate::settings::{Insurer, VisitType, INSURERS, VISIT_TYPES};
use crate::shifts::Shift;
use crate::staff::{Staff, STAFF};
use crate::text::fold;
use crate::time::ClinicTime;
use crate::visits::Visit;

/// Every projection table, in a stable order (for rebuilds and comparisons).
pub const TABLES: [&str; 12] = [
    "staff",
    "visit_types",
    "insurers",
    "schedules",
    "patients",
    "appointments",
    "visits",
    "cash_entries",
    "shifts",
    "day_closes",
    "day_close_entries",
    "field_conflicts",
];

/// Projects document `id`: only the records in `keys`, or (None) the whole document after
/// dropping its old rows.
pub(crate) fn project(
    tx: &Transaction<'_>,
    time: &ClinicTime,
    id: &DocId,
    doc: &AutoCommit,
    keys: Option<&[&str]>,
) -> Result<()> {
    let records = match keys {
        Some(keys) if id.kind()? != DocKind::Clinic => {
            let mut listed = Vec::new();
            for key in keys {
                if let Some(json) = get_root_json(doc, key)? {
                    listed.push((key.to_string(), json));
                }
            }
            listed
        }
        Some(_) => Vec::new(),
        None => whole_records(id, doc)?,
    };
    project_read(tx, time, id, doc, keys, records)
}

/// What projecting the whole document `id` reads from it: its records as JSON (the clinic
/// document is read field by field by `project_clinic`).
pub(crate) fn whole_records(id: &DocId, doc: &AutoCommit) -> Result<Records> {
    if id.kind()? == DocKind::Clinic {
        Ok(Vec::new())
    } else {
        Ok(read_records(doc)?)
    }
}

/// Projects document `id` from its records already read (`read_records` when `keys` is
/// None): a bootstrap reads them on another thread while this one writes rows.
pub(crate) fn project_read(
    tx: &Transaction<'_>,
    time: &ClinicTime,
    id: &DocId,
    doc: &AutoCommit,
    keys: Option<&[&str]>,
    records: Records,
) -> Result<()> {
    let kind = id.kind()?;
    crate::conflicts::project_fields(tx, id, doc, keys)?;
    if kind == DocKind::Clinic {
        return project_clinic(tx, doc);
    }
    let table = match kind {
        DocKind::Patient => "patients",
        DocKind::Appointments => "appointments",
        DocKind::Visits => "visits",
        DocKind::Cashbook => "cash_entries",
        DocKind::Shift => "shifts",
        DocKind::DayClose => "day_closes",
        DocKind::Clinic => unreachable!("handled above"),
    };
    if keys.is_none() {
        if kind == DocKind::DayClose {
            tx.prepare_cached("DELETE FROM day_close_entries WHERE close_id IN (SELECT id FROM day_closes WHERE doc_id = ?1)")?.execute([id.as_str()])?;
        }
        if kind == DocKind::Patient {
            // Only when there are rows: every statement on the FTS table makes it flush its
            // pending index, which a bootstrap (nothing to delete) would pay per document.
            let held = tx
                .prepare_cached("SELECT 1 FROM patients WHERE doc_id = ?1")?
                .exists([id.as_str()])?;
            if held {
                tx.prepare_cached("DELETE FROM patients_fts WHERE rowid IN (SELECT rowid FROM patients WHERE doc_id = ?1)")?
                    .execute([id.as_str()])?;
            }
        }
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE doc_id = ?1"))?
            .execute([id.as_str()])?;
    }
    // A whole document may come from a peer; a record in it that is not what its kind
    // should hold (a bug or a hostile peer) stays in the document but is left out of the
    // screens rather than blocking every other record.
    let lenient = keys.is_none();
    // The patients' search rows, written in one statement after the loop: each statement on
    // the FTS table flushes its pending index (≈ 1 s of a bootstrap when done per patient).
    let mut search_rows: Vec<(i64, String)> = Vec::new();
    for (key, json) in records {
        let at = Record {
            key: &key,
            json,
            lenient,
        };
        match kind {
            DocKind::Patient => {
                if let Some(p) = at.read::<Patient>()? {
                    search_rows.push((patient_row(tx, id, &p)?, search_text(&p)));
                }
            }
            DocKind::Appointments => {
                if let Some(a) = at.read::<Appointment>()? {
                    appointment_row(tx, time, id, &a)?;
                }
            }
            DocKind::Visits => {
                if let Some(v) = at.read::<Visit>()? {
                    visit_row(tx, time, id, &v)?;
                }
            }
            DocKind::Cashbook => {
                if let Some(e) = at.read::<Entry>()? {
                    entry_row(tx, time, id, &e)?;
                }
            }
            DocKind::Shift => {
                if let Some(s) = at.read::<Shift>()? {
                    shift_row(tx, id, &s)?;
                }
            }
            DocKind::DayClose => {
                if let Some(c) = at.read::<crate::reports::DayClose>()? {
                    match crate::reports::project_close(tx, id, &c) {
                        Err(CoreError::Document { .. }) if lenient => {}
                        other => other?,
                    }
                }
            }
            DocKind::Clinic => {}
        }
    }
    if !search_rows.is_empty() {
        let rows = serde_json::to_string(&search_rows)?;
        tx.prepare_cached(
            "INSERT INTO patients_fts (rowid, search)
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)",
        )?
        .execute([rows])?;
    }
    Ok(())
}

/// One record of a document being projected, as read from it.
struct Record<'a> {
    key: &'a str,
    json: Json,
    lenient: bool,
}

impl Record<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<Option<T>> {
        match from_json(self.json, self.key) {
            Err(ayada_model::ModelError::Document { .. }) if self.lenient => Ok(None),
            other => Ok(other.map(Some)?),
        }
    }
}

fn project_clinic(tx: &Transaction<'_>, doc: &AutoCommit) -> Result<()> {
    for table in ["staff", "visit_types", "insurers", "schedules"] {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    if let Some(parent) = existing_map(doc, &ROOT, STAFF)? {
        for key in record_keys(doc, &parent) {
            if let Some(s) = get_record::<Staff>(doc, &parent, &key)? {
                tx.prepare_cached("INSERT INTO staff (id, login, name, role, active, password_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![s.id.to_string(), s.login, s.name, s.role.as_str(), s.active, s.password_hash],)?;
            }
        }
    }
    if let Some(parent) = existing_map(doc, &ROOT, VISIT_TYPES)? {
        for key in record_keys(doc, &parent) {
            if let Some(t) = get_record::<VisitType>(doc, &parent, &key)? {
                tx.prepare_cached("INSERT INTO visit_types (id, name, price, minutes, active) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![t.id.to_string(), t.name, t.price.minor(), t.minutes, t.active],)?;
            }
        }
    }
    if let Some(parent) = existing_map(doc, &ROOT, INSURERS)? {
        for key in record_keys(doc, &parent) {
            if let Some(i) = get_record::<Insurer>(doc, &parent, &key)? {
                tx.prepare_cached("INSERT INTO insurers (id, name, active) VALUES (?1, ?2, ?3)")?
                    .execute(params![i.id.to_string(), i.name, i.active])?;
            }
        }
    }
    if let Some(parent) = existing_map(doc, &ROOT, SCHEDULES)? {
        for key in record_keys(doc, &parent) {
            if let Some((automerge::Value::Scalar(s), _)) = doc.get(&parent, key.as_str())? {
                if let automerge::ScalarValue::Str(json) = s.as_ref() {
                    tx.prepare_cached("INSERT INTO schedules (doctor_id, json) VALUES (?1, ?2)")?
                        .execute(params![key, json.as_str()])?;
                }
            }
        }
    }
    Ok(())
}

/// Writes a patient's row and returns its rowid; the caller writes the search row.
fn patient_row(tx: &Transaction<'_>, doc_id: &DocId, p: &Patient) -> Result<i64> {
    let existed = tx
        .prepare_cached("SELECT 1 FROM patients WHERE id = ?1")?
        .exists([p.id.to_string()])?;
    let rowid: i64 = tx.prepare_cached("INSERT INTO patients (id, doc_id, name, name_folded, phone, gender, dob, medical_history, allergies, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, name_folded = excluded.name_folded,
            phone = excluded.phone, gender = excluded.gender, dob = excluded.dob,
            medical_history = excluded.medical_history, allergies = excluded.allergies
         RETURNING rowid")?.query_row(params![
            p.id.to_string(),
            doc_id.as_str(),
            p.name,
            fold(&p.name),
            p.phone.as_str(),
            p.gender.map(|g| serde_json::to_value(g).ok().and_then(|v| v.as_str().map(str::to_string))),
            p.dob,
            p.medical_history,
            p.allergies,
            p.created_at
        ],
        |r| r.get(0),)?;
    if existed {
        tx.prepare_cached("DELETE FROM patients_fts WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    Ok(rowid)
}

fn appointment_row(
    tx: &Transaction<'_>,
    time: &ClinicTime,
    doc_id: &DocId,
    a: &Appointment,
) -> Result<()> {
    let starts = Timestamp::from_second(a.starts_at).map_err(|e| CoreError::Document {
        detail: e.to_string(),
    })?;
    tx.prepare_cached("INSERT OR REPLACE INTO appointments
         (id, doc_id, patient_id, doctor_id, starts_at, ends_at, local_date, visit_type, status, reason, source, created_at, arrived_at, moves, follow_up_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")?.execute(params![
            a.id.to_string(),
            doc_id.as_str(),
            a.patient_id.to_string(),
            a.doctor_id.to_string(),
            a.starts_at,
            a.starts_at + a.minutes * 60,
            time.local_date(starts).to_string(),
            a.visit_type,
            a.status.as_str(),
            a.reason,
            a.source,
            a.created_at,
            a.arrived_at,
            a.moves.len() as i64,
            a.follow_up_of.map(|v| v.to_string())
        ],)?;
    Ok(())
}

fn visit_row(tx: &Transaction<'_>, time: &ClinicTime, doc_id: &DocId, v: &Visit) -> Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO visits
         (id, doc_id, appointment_id, patient_id, doctor_id, visit_type, vitals, diagnoses, notes, photos, recorded_at, follow_up_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?.execute(params![
            v.id.to_string(),
            doc_id.as_str(),
            v.appointment_id.to_string(),
            v.patient_id.to_string(),
            v.doctor_id.to_string(),
            v.visit_type,
            serde_json::to_string(&v.vitals)?,
            serde_json::to_string(&v.diagnoses)?,
            v.notes,
            serde_json::to_string(&v.photos)?,
            v.recorded_at,
            v.follow_up_due(time).map(|d| d.to_string())
        ],)?;
    // A visit from a peer can arrive before its photos: note the ones still to fetch.
    for sha256 in &v.photos {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO blob_wants (sha256)
             SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
        )?
        .execute([sha256])?;
    }
    Ok(())
}

fn entry_row(tx: &Transaction<'_>, time: &ClinicTime, doc_id: &DocId, e: &Entry) -> Result<()> {
    let at = Timestamp::from_second(e.at).map_err(|err| CoreError::Document {
        detail: err.to_string(),
    })?;
    tx.prepare_cached("INSERT OR REPLACE INTO cash_entries
         (id, doc_id, kind, amount, method, insurer, category, appointment_id, patient_id, doctor_id,
          visit_type, refund_of, shift_id, note, at, local_date, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)")?.execute(params![
            e.id.to_string(),
            doc_id.as_str(),
            e.kind.as_str(),
            e.amount.minor(),
            e.method.as_str(),
            e.insurer,
            e.category,
            e.appointment_id.map(|x| x.to_string()),
            e.patient_id.map(|x| x.to_string()),
            e.doctor_id.map(|x| x.to_string()),
            e.visit_type,
            e.refund_of.map(|x| x.to_string()),
            e.shift_id.map(|x| x.to_string()),
            e.note,
            e.at,
            time.local_date(at).to_string(),
            e.recorded_by
        ],)?;
    Ok(())
}

fn shift_row(tx: &Transaction<'_>, doc_id: &DocId, s: &Shift) -> Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO shifts
         (id, doc_id, node, opened_by, opened_at, float, closed_at, closed_by, counted, expected, difference, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?.execute(params![
            s.id.to_string(),
            doc_id.as_str(),
            s.node,
            s.opened_by,
            s.opened_at,
            s.float.minor(),
            s.closed_at,
            s.closed_by,
            s.counted.map(|m| m.minor()),
            s.expected.map(|m| m.minor()),
            s.difference.map(|m| m.minor()),
            s.note
        ],)?;
    Ok(())
}

/// Drops every projection row and projects every stored document again.
pub(crate) fn rebuild(conn: &mut Connection, time: &ClinicTime) -> Result<usize> {
    let tx = conn.transaction()?;
    for table in TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    tx.prepare_cached("DELETE FROM patients_fts")?.execute([])?;
    let mut count = 0;
    for kind in DocKind::ALL {
        let ids: Vec<String> = tx
            .prepare("SELECT doc_id FROM docs WHERE kind = ?1 ORDER BY doc_id")?
            .query_map([kind.prefix()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            let id = DocId::parse(&id)?;
            if let Some(doc) = crate::store::load_doc(&tx, &id)? {
                project(&tx, time, &id, &doc, None)?;
                count += 1;
            }
        }
    }
    tx.commit()?;
    Ok(count)
}

/// Every projection row as text, table by table in a stable order: for proving that two
/// machines (or a rebuild and the incremental path) hold the same projections.
pub(crate) fn snapshot(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for table in TABLES {
        // The patients' rowid is a local detail; everything else must match.
        let columns = if table == "patients" {
            "id, doc_id, name, name_folded, phone, gender, dob, medical_history, allergies, created_at".to_string()
        } else {
            "*".to_string()
        };
        let mut stmt = conn.prepare(&format!("SELECT {columns} FROM {table}"))?;
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut line = format!("{table}:");
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push_str(&format!("{v:?}|"));
                }
                Ok(line)
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.sort();
        out.extend(rows);
    }
    let mut fts: Vec<String> = conn
        .prepare("SELECT p.id, f.search FROM patients_fts f JOIN patients p ON p.rowid = f.rowid")?
        .query_map([], |r| {
            Ok(format!(
                "fts:{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    fts.sort();
    out.extend(fts);
    Ok(out)
}
