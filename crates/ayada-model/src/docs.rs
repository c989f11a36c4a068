//! The clinic's Automerge documents: their ids, and the mapping between a record (a serde
//! struct) and a map inside a document.
//!
//! Granularity (see docs/BENCHMARKS.md): one document for the clinic's settings and staff,
//! patients in 256 bucket documents, one per doctor per day for appointments and for
//! visits, one per day for the cashbook, one per shift. Records sit directly under the
//! document root keyed by their UUIDv7, so two machines that create the same document
//! offline never create the same nested object twice (which Automerge would resolve by
//! hiding one of them).

use std::fmt;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ValueRef, ROOT};
use jiff::civil::Date;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::error::{ModelError, Result};
use crate::ids::{PatientId, ShiftId, StaffId};

/// What a document holds; decides how it is projected into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// Settings, staff, visit types, insurers, schedules.
    Clinic,
    /// One patient's file.
    Patient,
    /// One doctor's bookings of one day.
    Appointments,
    /// One doctor's visits of one day.
    Visits,
    /// One day's payments, refunds and expenses.
    Cashbook,
    /// One cash-drawer shift.
    Shift,
    /// The Z-report of one closed clinic-local day.
    DayClose,
}

impl DocKind {
    /// Every kind, in the order projections are rebuilt (the clinic first: staff names).
    pub const ALL: [DocKind; 7] = [
        DocKind::Clinic,
        DocKind::Patient,
        DocKind::Appointments,
        DocKind::Visits,
        DocKind::Cashbook,
        DocKind::Shift,
        DocKind::DayClose,
    ];

    /// The prefix of this kind's document ids.
    pub fn prefix(self) -> &'static str {
        match self {
            DocKind::Clinic => "clinic",
            DocKind::Patient => "patient",
            DocKind::Appointments => "appointments",
            DocKind::Visits => "visits",
            DocKind::Cashbook => "cashbook",
            DocKind::Shift => "shift",
            DocKind::DayClose => "dayclose",
        }
    }
}

/// A document's id: its kind, then what it is about, separated by slashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(String);

impl DocId {
    /// The clinic's one settings document.
    pub fn clinic() -> DocId {
        DocId("clinic".into())
    }
    /// The document a new patient's file goes in: one of 256 buckets, chosen by the last two
    /// hex digits of the id (random in a UUIDv7), so every machine picks the same one.
    /// Files made before buckets (`patient/<id>`) stay in their own documents; see
    /// `patients::doc_of`.
    pub fn patient(id: PatientId) -> DocId {
        let text = id.to_string();
        DocId(format!("patient/{}", &text[text.len() - 2..]))
    }
    /// A doctor's bookings of one clinic-local day.
    pub fn appointments(doctor: StaffId, date: Date) -> DocId {
        DocId(format!("appointments/{doctor}/{date}"))
    }
    /// A doctor's visits of one clinic-local day.
    pub fn visits(doctor: StaffId, date: Date) -> DocId {
        DocId(format!("visits/{doctor}/{date}"))
    }
    /// The cashbook of one clinic-local day.
    pub fn cashbook(date: Date) -> DocId {
        DocId(format!("cashbook/{date}"))
    }
    /// A shift's document.
    pub fn shift(id: ShiftId) -> DocId {
        DocId(format!("shift/{id}"))
    }

    /// The Z-report of one clinic-local day.
    pub fn day_close(date: Date) -> DocId {
        DocId(format!("dayclose/{date}"))
    }

    /// Reads a stored id back, refusing unknown kinds and odd characters (a malformed id
    /// from a peer); the rule is the one the sync server applies, from ayada-sync.
    pub fn parse(text: &str) -> Result<DocId> {
        if !ayada_sync::valid_doc_id(text) {
            return Err(ModelError::Document {
                detail: format!("unknown document id {text}"),
            });
        }
        let id = DocId(text.to_string());
        id.kind()?;
        Ok(id)
    }

    /// The kind, from the prefix.
    pub fn kind(&self) -> Result<DocKind> {
        let prefix = self.0.split('/').next().unwrap_or_default();
        DocKind::ALL
            .into_iter()
            .find(|k| k.prefix() == prefix)
            .ok_or_else(|| ModelError::Document {
                detail: format!("unknown document id {}", self.0),
            })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The map at `key` under `parent`, created if it is not there yet.
pub fn map_at(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(parent, key, ObjType::Map)?),
    }
}

/// The map at `key` under `parent`, if there is one.
pub fn existing_map(doc: &AutoCommit, parent: &ObjId, key: &str) -> Result<Option<ObjId>> {
    Ok(match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

/// The keys of the records under `parent` (the root, for most documents).
pub fn record_keys(doc: &AutoCommit, parent: &ObjId) -> Vec<String> {
    doc.keys(parent).collect()
}

/// Writes `record` as the map `key` under `parent`, touching only the fields that changed
/// so that concurrent edits of different fields merge. Fields named in `text_keys` are
/// Automerge text (character-level merge); other strings are plain values.
pub fn put_record<T: Serialize>(
    doc: &mut AutoCommit,
    parent: &ObjId,
    key: &str,
    record: &T,
    text_keys: &[&str],
) -> Result<()> {
    let Json::Object(fields) = serde_json::to_value(record)? else {
        return Err(ModelError::Document {
            detail: "a record must serialise to a map".into(),
        });
    };
    let obj = map_at(doc, parent, key)?;
    write_map(doc, &obj, &fields, text_keys)
}

/// Reads the record `key` under `parent`, if it exists.
pub fn get_record<T: DeserializeOwned>(
    doc: &AutoCommit,
    parent: &ObjId,
    key: &str,
) -> Result<Option<T>> {
    match existing_map(doc, parent, key)? {
        Some(obj) => from_json(read_value(doc, &obj)?, key).map(Some),
        None => Ok(None),
    }
}

/// The record `key` directly under the root as JSON, if it exists.
pub fn get_root_json(doc: &AutoCommit, key: &str) -> Result<Option<Json>> {
    match existing_map(doc, &ROOT, key)? {
        Some(obj) => read_value(doc, &obj).map(Some),
        None => Ok(None),
    }
}

/// A record read as JSON into its struct (named `key`, for the error).
pub fn from_json<T: DeserializeOwned>(json: Json, key: &str) -> Result<T> {
    serde_json::from_value(json).map_err(|e| ModelError::Document {
        detail: format!("record {key}: {e}"),
    })
}

/// A document's records as JSON, by key.
pub type Records = Vec<(String, Json)>;

/// Every record (map) directly under the root as JSON, in key order, read in one pass over
/// the root: looking each key up again would seek through the document per key.
pub fn read_records(doc: &AutoCommit) -> Result<Records> {
    doc.map_range(&ROOT, ..)
        .filter(|item| matches!(item.value, ValueRef::Object(ObjType::Map)))
        .map(|item| Ok((item.key.to_string(), read_value(doc, &item.id())?)))
        .collect()
}

/// Reads the record `key` directly under the document root.
pub fn get_root_record<T: DeserializeOwned>(doc: &AutoCommit, key: &str) -> Result<Option<T>> {
    get_record(doc, &ROOT, key)
}

fn write_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    fields: &Map<String, Json>,
    text_keys: &[&str],
) -> Result<()> {
    for (key, value) in fields {
        let current = doc.get(obj, key.as_str())?;
        match value {
            Json::Object(inner) => {
                let child = map_at(doc, obj, key)?;
                write_map(doc, &child, inner, text_keys)?;
            }
            Json::Array(items) => {
                let old = match &current {
                    Some((Value::Object(ObjType::List), id)) => {
                        Some((id.clone(), read_value(doc, id)?))
                    }
                    _ => None,
                };
                match old {
                    Some((_, Json::Array(ref old_items))) if old_items == items => {}
                    // An append keeps the list object, so concurrent appends both survive.
                    Some((list, Json::Array(old_items)))
                        if items.len() > old_items.len() && items.starts_with(&old_items) =>
                    {
                        for (i, item) in items.iter().enumerate().skip(old_items.len()) {
                            insert_item(doc, &list, i, item, text_keys)?;
                        }
                    }
                    _ => {
                        let list = doc.put_object(obj, key.as_str(), ObjType::List)?;
                        for (i, item) in items.iter().enumerate() {
                            insert_item(doc, &list, i, item, text_keys)?;
                        }
                    }
                }
            }
            Json::String(text) if text_keys.contains(&key.as_str()) => {
                let text_obj = match current {
                    Some((Value::Object(ObjType::Text), id)) => id,
                    _ => doc.put_object(obj, key.as_str(), ObjType::Text)?,
                };
                doc.update_text(&text_obj, text)?;
            }
            scalar_json => {
                let new = scalar(scalar_json)?;
                let same =
                    matches!(&current, Some((Value::Scalar(old), _)) if old.as_ref() == &new);
                if !same {
                    doc.put(obj, key.as_str(), new)?;
                }
            }
        }
    }
    Ok(())
}

/// Inserts one item of a list: a scalar, or a map written field by field (a booking's moves).
fn insert_item(
    doc: &mut AutoCommit,
    list: &ObjId,
    index: usize,
    item: &Json,
    text_keys: &[&str],
) -> Result<()> {
    match item {
        Json::Object(fields) => {
            let map = doc.insert_object(list, index, ObjType::Map)?;
            write_map(doc, &map, fields, text_keys)
        }
        _ => {
            doc.insert(list, index, scalar(item)?)?;
            Ok(())
        }
    }
}

/// A JSON scalar as an Automerge scalar; lists and maps are refused.
pub fn scalar(value: &Json) -> Result<ScalarValue> {
    Ok(match value {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Number(n) => match n.as_i64() {
            Some(i) => ScalarValue::Int(i),
            None => ScalarValue::F64(n.as_f64().unwrap_or_default()),
        },
        Json::Array(_) | Json::Object(_) => {
            return Err(ModelError::Document {
                detail: "nested lists are not supported in records".into(),
            })
        }
    })
}

// Each object is read in one pass (`map_range`/`list_range`): reading it key by key made
// Automerge seek through the document once per field, 45 % of a bootstrap's time (perf).
fn read_value(doc: &AutoCommit, obj: &ObjId) -> Result<Json> {
    match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => {
            let mut out = Map::new();
            for item in doc.map_range(obj, ..) {
                let value = match item.value {
                    ValueRef::Object(_) => read_value(doc, &item.id())?,
                    ValueRef::Scalar(s) => scalar_json(&ScalarValue::from(&s)),
                };
                out.insert(item.key.into_owned(), value);
            }
            Ok(Json::Object(out))
        }
        ObjType::List => {
            let mut out = Vec::new();
            for item in doc.list_range(obj, ..) {
                out.push(match item.value {
                    ValueRef::Object(_) => read_value(doc, &item.id())?,
                    ValueRef::Scalar(s) => scalar_json(&ScalarValue::from(&s)),
                });
            }
            Ok(Json::Array(out))
        }
        ObjType::Text => Ok(Json::String(doc.text(obj)?)),
    }
}

/// A value read from a document (scalar or object) as JSON.
pub fn to_json(doc: &AutoCommit, value: Value<'_>, id: &ObjId) -> Result<Json> {
    Ok(match value {
        Value::Object(_) => read_value(doc, id)?,
        Value::Scalar(s) => scalar_json(&s),
    })
}

fn scalar_json(s: &ScalarValue) -> Json {
    match s {
        ScalarValue::Null => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        ScalarValue::Timestamp(t) => Json::from(*t),
        _ => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq, Clone)]
    struct Rec {
        name: String,
        count: i64,
        tags: Vec<String>,
        notes: String,
        gone: Option<String>,
    }

    #[test]
    fn records_round_trip_and_concurrent_field_edits_merge() {
        let mut a = AutoCommit::new();
        let rec = Rec {
            name: "أحمد".into(),
            count: 3,
            tags: vec!["x".into()],
            notes: "fever".into(),
            gone: None,
        };
        put_record(&mut a, &ROOT, "r1", &rec, &["notes"]).unwrap();
        a.commit();
        let mut b = a.fork();
        let mut on_a = rec.clone();
        on_a.name = "أحمد علي".into();
        on_a.tags.push("a".into());
        put_record(&mut a, &ROOT, "r1", &on_a, &["notes"]).unwrap();
        let mut on_b = rec.clone();
        on_b.notes = "fever, cough".into();
        on_b.tags.push("b".into());
        put_record(&mut b, &ROOT, "r1", &on_b, &["notes"]).unwrap();
        a.merge(&mut b).unwrap();
        let merged: Rec = get_root_record(&a, "r1").unwrap().unwrap();
        assert_eq!(merged.name, "أحمد علي");
        assert_eq!(merged.notes, "fever, cough");
        assert_eq!(
            merged.tags.len(),
            3,
            "both appends survive: {:?}",
            merged.tags
        );
    }

    #[test]
    fn the_document_kinds_are_the_ones_the_sync_server_accepts() {
        let prefixes: Vec<&str> = DocKind::ALL.iter().map(|k| k.prefix()).collect();
        assert_eq!(prefixes, ayada_sync::messages::DOC_KINDS);
    }

    #[test]
    fn unknown_document_kinds_are_refused() {
        assert!(DocId::parse("nonsense/1").is_err());
        assert_eq!(
            DocId::parse("cashbook/2026-11-22").unwrap().kind().unwrap(),
            DocKind::Cashbook
        );
    }
}
