//! `ayada-server migrate --from DIR --to postgres://…`: an SQLite deployment moved into
//! PostgreSQL in one transaction (all or nothing). Every change is decoded and its hash
//! checked on the way, keeps its log position (machines resume from their cursors), and the
//! two logs are compared position by position before the transaction commits. The keys move
//! too, so machines' tokens and patients' status links keep working, and so do the clinics'
//! keys, wrapped again by the target's master key: every sealed row moves as it is.
//!
//! Not moved: patients' portal requests still waiting for their code (they live 15 minutes,
//! and their addresses are digests of the source's own platform key); a patient whose code
//! was on its way asks again.

use r2d2_postgres::postgres::types::ToSql;
use r2d2_postgres::postgres::Transaction;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

pub use super::migrate_console::ConsoleMoved;
use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::vault::Sealer;
use super::{Store, StoreError};

/// How a column is read from SQLite and written to PostgreSQL.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Int,
    Text,
    Bytes,
    Bool,
    /// Text sealed with the platform's own key as the row `prefix` + the value of column
    /// `key` + `suffix` ([`super::vault::Sealer::seal_text`]): opened with the source's key,
    /// sealed again with the target's.
    PlatformSealed {
        prefix: &'static str,
        key: usize,
        suffix: &'static str,
    },
}
use Kind::*;

/// A table as both backends name it (PostgreSQL's in schema `platform`).
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) columns: &'static [(&'static str, Kind)],
    /// Whether it has an identity column whose values are kept.
    pub(super) identity: bool,
}

/// The platform's own keys of both stores, for the fields sealed with them.
pub(super) struct Reseal {
    from: std::sync::Arc<Sealer>,
    to: std::sync::Arc<Sealer>,
}

const PLATFORM: &[Table] = &[
    Table {
        name: "clinics",
        columns: &[
            ("id", Text),
            ("slug", Text),
            ("name", Text),
            ("owner_email", Text),
            ("password_hash", Text),
            ("data_clinic_id", Text),
            ("time_zone", Text),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "devices",
        columns: &[
            ("credential_hash", Text),
            ("clinic_id", Text),
            ("node_id", Text),
            ("created_at", Int),
            ("revoked_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "device_status",
        columns: &[
            ("clinic_id", Text),
            ("node_id", Text),
            ("last_seen_at", Int),
            ("pending", Int),
        ],
        identity: false,
    },
    Table {
        name: "audit_anchors",
        columns: &[
            ("clinic_id", Text),
            ("node_id", Text),
            ("count", Int),
            ("hash", Text),
            ("received_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "portal_bookings",
        columns: &[
            ("token_hash", Text),
            ("clinic_id", Text),
            ("appointment_id", Text),
            ("doc_id", Text),
            ("phone", Text),
            ("name", Text),
            ("lang", Text),
            ("status_told", Text),
            ("starts_told", Int),
            ("doctor_told", Text),
            ("reminded", Text),
            ("review_sent", Bool),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Int),
            ("clinic_id", Text),
            ("chat_id", Text),
            ("text", Text),
            ("idem_key", Text),
            ("kind", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_at", Int),
            ("last_error", Text),
            ("wa_id", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identity: true,
    },
    Table {
        name: "clinic_waha",
        columns: &[
            ("clinic_id", Text),
            ("base", Text),
            ("api_key", Text),
            ("session", Text),
        ],
        identity: false,
    },
];

const BLOBS: Table = Table {
    name: "blobs",
    columns: &[
        ("sha256", Text),
        ("bytes", Bytes),
        ("node", Text),
        ("received_at", Int),
    ],
    identity: false,
};

const QUARANTINE: Table = Table {
    name: "quarantine",
    columns: &[
        ("seq", Int),
        ("doc_id", Text),
        ("hash", Text),
        ("bytes", Bytes),
        ("node", Text),
        ("received_at", Int),
        ("reason", Text),
        ("quarantined_at", Int),
    ],
    identity: false,
};

/// What was moved.
#[derive(Debug, Default, serde::Serialize)]
pub struct Moved {
    /// Clinics moved.
    pub clinics: u64,
    /// Changes moved, all verified.
    pub changes: u64,
    /// Photos moved.
    pub blobs: u64,
    /// Rows of the platform's other tables moved.
    pub platform_rows: u64,
    /// The console's rows: what moved, or that the target's own were kept.
    pub console: ConsoleMoved,
}

fn param(
    row: &rusqlite::Row<'_>,
    i: usize,
    kind: Kind,
    reseal: &Reseal,
) -> Result<Box<dyn ToSql + Sync>, StoreError> {
    Ok(match kind {
        Int => Box::new(row.get::<_, Option<i64>>(i)?),
        Text => Box::new(row.get::<_, Option<String>>(i)?),
        Bytes => Box::new(row.get::<_, Option<Vec<u8>>>(i)?),
        Bool => Box::new(row.get::<_, Option<i64>>(i)?.map(|v| v != 0)),
        PlatformSealed {
            prefix,
            key,
            suffix,
        } => {
            let sealed: Option<String> = row.get(i)?;
            let id = format!("{prefix}{}{suffix}", row.get::<_, String>(key)?);
            Box::new(
                sealed
                    .map(|s| {
                        Ok::<_, StoreError>(
                            reseal.to.seal_text(&id, &reseal.from.open_text(&id, &s)?),
                        )
                    })
                    .transpose()?,
            )
        }
    })
}

/// Copies every row of `t` from SQLite into `schema`; how many.
pub(super) fn copy(
    src: &Connection,
    tx: &mut Transaction<'_>,
    schema: &str,
    t: &Table,
    reseal: &Reseal,
) -> Result<u64, StoreError> {
    let names: Vec<&str> = t.columns.iter().map(|(n, _)| *n).collect();
    let list = names.join(", ");
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let overriding = if t.identity {
        "OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let insert = tx.prepare(&format!(
        "INSERT INTO {schema}.{} ({list}) {overriding} VALUES ({})",
        t.name,
        marks.join(", ")
    ))?;
    let mut stmt = src.prepare(&format!("SELECT {list} FROM {}", t.name))?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        let params = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| param(row, i, *kind, reseal))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        tx.execute(&insert, &refs)?;
        n += 1;
    }
    if t.identity {
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{schema}.{0}', 'id'),
                           GREATEST((SELECT COALESCE(MAX(id), 0) FROM {schema}.{0}), 1))",
            t.name
        ))?;
    }
    Ok(n)
}

/// Copies a clinic's log, change by change: each decoded and its hash checked, at its own
/// position; then both logs are digested in order and compared.
fn copy_log(
    src: &Connection,
    key: &Sealer,
    tx: &mut Transaction<'_>,
    schema: &str,
) -> Result<u64, StoreError> {
    let insert = tx.prepare(&format!(
        "INSERT INTO {schema}.changes (seq, doc_id, hash, bytes, node, received_at, actor, actor_seq)
         OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))?;
    let mut stmt = src
        .prepare("SELECT seq, doc_id, hash, bytes, node, received_at FROM changes ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let (mut n, mut digest) = (0u64, Sha256::new());
    while let Some(r) = rows.next()? {
        let (seq, doc_id, hash, sealed, node, at): (i64, String, String, Vec<u8>, String, i64) = (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        );
        // Opened to be checked; moved sealed (the target holds the same clinic key).
        let bytes = key.open(super::vault::Kind::Change, &hash, &sealed)?;
        let wire = ayada_sync::WireChange {
            doc_id,
            hash,
            bytes,
        };
        let change = wire.screen().map_err(|why| {
            StoreError::Doc(format!(
                "change {seq} of {schema} ({}): {why}; run `ayada-server check --data …` first, which quarantines it",
                wire.doc_id
            ))
        })?;
        tx.execute(
            &insert,
            &[
                &seq,
                &wire.doc_id,
                &wire.hash,
                &sealed,
                &node,
                &at,
                &change.actor_id().to_hex_string(),
                &(change.seq() as i64),
            ],
        )?;
        digest.update(format!("{seq} {} {}\n", wire.doc_id, wire.hash));
        n += 1;
    }
    let next = tx
        .query_one(
            &format!("SELECT COALESCE(MAX(seq), 0) + 1 FROM {schema}.changes"),
            &[],
        )?
        .get::<_, i64>(0);
    tx.batch_execute(&format!(
        "ALTER TABLE {schema}.changes ALTER COLUMN seq RESTART WITH {next}"
    ))?;
    // Read back what PostgreSQL now holds, in its order.
    let mut back = Sha256::new();
    for r in tx.query(
        &format!("SELECT seq, doc_id, hash FROM {schema}.changes ORDER BY seq"),
        &[],
    )? {
        back.update(format!(
            "{} {} {}\n",
            r.get::<_, i64>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2)
        ));
    }
    if back.finalize() != digest.finalize() {
        return Err(StoreError::Doc(format!(
            "{schema}: the copied log differs from the source"
        )));
    }
    Ok(n)
}

/// Moves the SQLite store `from` (its server stopped) into the PostgreSQL store `to`.
pub fn migrate(from: &SqliteStore, to: &PgStore) -> Result<Moved, StoreError> {
    let ids = from.clinic_ids()?;
    let taken = to.clinic_ids()?;
    if let Some(id) = ids.iter().find(|id| taken.contains(id)) {
        return Err(StoreError::Doc(format!(
            "clinic {id} is in the PostgreSQL database already: nothing was moved"
        )));
    }
    // Each clinic's key, wrapped again by the target's master key, then its schema, migrated
    // (sealed with that key), before the one transaction that fills them. A key with no
    // clinic in the target (should that transaction fail) serves nothing.
    for id in &ids {
        let key = from.clinic_key(id)?;
        to.put_clinic_key(id, &key)?;
        drop(to.clinic(id)?);
    }
    let mut moved = Moved::default();
    let reseal = Reseal {
        from: from.sealer(super::vault::PLATFORM)?,
        to: to.sealer(super::vault::PLATFORM)?,
    };
    let mut conn = to.conn()?;
    let mut tx = conn.transaction()?;
    {
        let platform = from.platform.lock().expect("platform poisoned");
        for t in PLATFORM {
            moved.platform_rows += copy(&platform, &mut tx, "platform", t, &reseal)?;
        }
        moved.console = super::migrate_console::copy_console(&platform, &mut tx, &reseal)?;
    }
    moved.clinics = ids.len() as u64;
    moved.platform_rows -= moved.clinics;
    for id in &ids {
        let schema = super::postgres::schema_of(id)?;
        let db = from.clinic_db(id)?;
        let src = db.lock().expect("clinic db poisoned");
        moved.changes += copy_log(&src, &*from.sealer(id)?, &mut tx, &schema)?;
        moved.blobs += copy(&src, &mut tx, &schema, &BLOBS, &reseal)?;
        copy(&src, &mut tx, &schema, &QUARANTINE, &reseal)?;
    }
    for name in ["jwt.secret", "portal.secret"] {
        let value = from.secret(name)?;
        tx.execute(
            "INSERT INTO platform.secrets (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )?;
    }
    tx.commit()?;
    Ok(moved)
}
