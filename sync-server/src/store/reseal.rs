//! The platform database of an older server, sealed once on the first start of this one:
//! what it kept in clear of patients (their bookings' names and phones, the outbox's numbers
//! and texts, WAHA's message ids), the clinics' WAHA keys, the TOTP secrets and the emails'
//! bodies. Patients' requests still waiting for their code are dropped (they live minutes and
//! their addresses would need the clear address to count). A field that opens already is
//! left as it is, so a pass cut short is simply run again; the mark `platform` in
//! `sealed_clinics` is written with the last row.

use std::collections::HashMap;
use std::sync::Arc;

use super::admin::{admin_totp_row, owner_totp_row};
use super::portal::{wa_tag, waha_row};
use super::vault::{Sealer, PLATFORM};
use super::StoreError;

/// The mark of a sealed platform database in `sealed_clinics`.
pub(super) const MARK: &str = "platform";

/// One text field of a row: the SQL that rewrites it takes (new value, key) in that order.
pub(super) struct Field {
    /// The table.
    pub table: &'static str,
    /// The row's key column.
    pub key: &'static str,
    /// The column.
    pub column: &'static str,
    /// The column naming the row's clinic, whose key seals it (None: the platform's).
    pub clinic: Option<&'static str>,
}

/// Every clear field an older server kept, and how each is sealed.
pub(super) const FIELDS: &[Field] = &[
    Field {
        table: "portal_bookings",
        key: "token_hash",
        column: "name",
        clinic: Some("clinic_id"),
    },
    Field {
        table: "outbox",
        key: "idem_key",
        column: "chat_id",
        clinic: Some("clinic_id"),
    },
    Field {
        table: "outbox",
        key: "idem_key",
        column: "text",
        clinic: Some("clinic_id"),
    },
    Field {
        table: "outbox",
        key: "idem_key",
        column: "wa_id",
        clinic: None,
    },
    Field {
        table: "clinic_waha",
        key: "clinic_id",
        column: "api_key",
        clinic: Some("clinic_id"),
    },
    Field {
        table: "owner_totp",
        key: "clinic_id",
        column: "secret",
        clinic: Some("clinic_id"),
    },
    Field {
        table: "admins",
        key: "email",
        column: "totp_secret",
        clinic: None,
    },
    Field {
        table: "emails",
        key: "idem_key",
        column: "body",
        clinic: None,
    },
];

/// What a field of an older server's row becomes: None when it is sealed already. `row` is
/// the row's (key, value, the value of `portal_bookings.phone`).
pub(super) fn sealed_value(
    field: &Field,
    key: &Sealer,
    platform: &Sealer,
    row_key: &str,
    value: &str,
    phone: Option<&str>,
) -> Option<(String, Option<String>)> {
    match (field.table, field.column) {
        ("portal_bookings", "name") => {
            let row = format!("portal_bookings/{row_key}");
            if key.open_text(&row, value).is_ok() {
                return None;
            }
            let phone = phone.unwrap_or_default();
            let patient = serde_json::json!({ "name": value, "phone": phone }).to_string();
            Some((key.seal_text(&row, &patient), Some(key.tag("phone", phone))))
        }
        ("outbox", "chat_id") | ("outbox", "text") => {
            let part = if field.column == "chat_id" {
                "to"
            } else {
                "text"
            };
            let row = format!("outbox/{row_key}/{part}");
            (key.open_text(&row, value).is_err()).then(|| (key.seal_text(&row, value), None))
        }
        // A digest is 64 hex digits; WAHA's ids are not.
        ("outbox", "wa_id") => (!(value.len() == 64
            && value.bytes().all(|b| b.is_ascii_hexdigit())))
        .then(|| (wa_tag(platform, value), None)),
        (table, _) => {
            let row = match table {
                "clinic_waha" => waha_row(row_key),
                "owner_totp" => owner_totp_row(row_key),
                "admins" => admin_totp_row(row_key),
                _ => format!("emails/{row_key}"),
            };
            let key = if field.clinic.is_some() {
                key
            } else {
                platform
            };
            (key.open_text(&row, value).is_err()).then(|| (key.seal_text(&row, value), None))
        }
    }
}

/// The keys a pass needs: each clinic's and the platform's.
pub(super) fn keys(
    clinics: &[String],
    sealer: impl Fn(&str) -> Result<Arc<Sealer>, StoreError>,
) -> Result<HashMap<String, Arc<Sealer>>, StoreError> {
    let mut keys = HashMap::new();
    for scope in clinics.iter().map(String::as_str).chain([PLATFORM]) {
        keys.insert(scope.to_string(), sealer(scope)?);
    }
    Ok(keys)
}

/// Every clinic a platform row names, in tables of `schema` ("" for SQLite's, "platform."
/// for PostgreSQL's).
pub(super) fn clinics_sql(schema: &str) -> String {
    let tables: Vec<String> = FIELDS
        .iter()
        .filter_map(|f| {
            f.clinic
                .map(|c| format!("SELECT {c} FROM {schema}{}", f.table))
        })
        .collect();
    tables.join(" UNION ")
}

/// A field's rows: key, value, clinic ('' for the platform's), and the booking's phone.
pub(super) fn select_sql(f: &Field, schema: &str) -> String {
    let phone = if f.table == "portal_bookings" {
        "phone"
    } else {
        "NULL"
    };
    format!(
        "SELECT {key}, {column}, {clinic}, {phone} FROM {schema}{table} WHERE {column} IS NOT NULL",
        key = f.key,
        column = f.column,
        clinic = f.clinic.unwrap_or("''"),
        table = f.table,
    )
}

/// Rewrites a field of one row: placeholders 1 (new value), 2 (row key), and for a booking
/// 3 (its phone's digest); `mark` is "?" or "$".
pub(super) fn update_sql(f: &Field, schema: &str, mark: &str) -> String {
    let phone = if f.table == "portal_bookings" {
        format!(", phone = {mark}3")
    } else {
        String::new()
    };
    format!(
        "UPDATE {schema}{table} SET {column} = {mark}1{phone} WHERE {key} = {mark}2",
        table = f.table,
        column = f.column,
        key = f.key,
    )
}
