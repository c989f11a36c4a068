//! A store an older server kept in clear is sealed the first time this version opens it, on
//! both backends: what it held still reads the same through the store, and the database
//! holds none of it readable any more. (The clinics' logs are sealed the same way on first
//! open: tests/untrusted_peers.rs writes clear changes as an older server did.)

#[path = "../../tests/pg/mod.rs"]
mod pg;
mod story;

use ayada_server::store::{MasterKey, PgStore, SqliteStore, Store};
use story::*;

/// What the older server kept in clear, each a value the sealed store must not show.
const CLEAR: &[&str] = &[
    "Hoda Clear",
    "201011112222",
    "waha-clear-key",
    "JBSWY3DPEHPK3PXP",
    "GEZDGNBVGY3TQOJQ",
    "reset-SECRET-link",
    "203.0.113.77",
];

/// The rows an older server wrote (in `schema`: "" for SQLite, "platform." for PostgreSQL),
/// its mark of a sealed platform database taken away.
fn older_rows(schema: &str) -> Vec<String> {
    let s = schema;
    vec![
        format!(
            "INSERT INTO {s}portal_bookings (token_hash, clinic_id, appointment_id, doc_id, phone,
                name, lang, status_told, starts_told, doctor_told, created_at)
             VALUES ('tok1', '{A}', 'appt-1', 'day/x', '+201011112222', 'Hoda Clear', 'en',
                'requested', 1900000000, 'doc-1', 0)"
        ),
        format!(
            "INSERT INTO {s}outbox (clinic_id, chat_id, text, idem_key, kind, state, next_at,
                created_at, updated_at, wa_id)
             VALUES ('{A}', '201011112222@c.us', 'Hello Hoda Clear', 'old-1', 'requested',
                'sent', 0, 0, 0, 'true_201011112222@c.us_9')"
        ),
        format!(
            "INSERT INTO {s}clinic_waha (clinic_id, base, api_key, session)
             VALUES ('{A}', 'http://waha.example', 'waha-clear-key', 'nour')"
        ),
        format!("INSERT INTO {s}owner_totp (clinic_id, secret) VALUES ('{A}', 'GEZDGNBVGY3TQOJQ')"),
        format!("UPDATE {s}admins SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE email = 'ops@example.com'"),
        format!(
            "INSERT INTO {s}emails (to_addr, subject, body, idem_key, kind, state, next_at, created_at)
             VALUES ('owner@nour.example', 'Reset', 'reset-SECRET-link', 'mail-1', 'owner-reset',
                'queued', 0, 0)"
        ),
        format!(
            "INSERT INTO {s}portal_requests (id, clinic_id, doctor_id, visit_type_id, starts_at,
                minutes, name, phone, lang, code_hash, sends, created_at, expires_at,
                last_sent_at, address, state)
             VALUES ('r-old', '{A}', 'doc-1', 'vt-1', 1900000000, 20, 'Hoda Clear',
                '+201011112222', 'en', 'h', 1, 0, 4000000000, 0, '203.0.113.77', 'verifying')"
        ),
        format!("DELETE FROM {s}sealed_clinics WHERE clinic_id = 'platform'"),
    ]
}

fn a_clinic_with_an_admin<S: Store>(store: &S) {
    store
        .create_clinic(&clinic(A, "nour", "owner@nour.example"))
        .unwrap();
    store
        .create_admin("ops@example.com", "$argon2id$x")
        .unwrap();
}

/// Everything the older server held reads the same through the sealed store.
fn reads_as_before<S: Store>(store: &S) {
    let booking = store.booking("tok1").unwrap().unwrap();
    assert_eq!(
        (booking.name.as_str(), booking.phone.as_str()),
        ("Hoda Clear", "+201011112222")
    );
    let message = store.messages(A, 10).unwrap().remove(0);
    assert_eq!(
        (message.chat_id.as_str(), message.text.as_str()),
        ("201011112222@c.us", "Hello Hoda Clear")
    );
    assert!(
        store
            .message_ack("true_201011112222@c.us_9", "read")
            .unwrap(),
        "a delivery report still finds its message"
    );
    assert_eq!(store.clinic_waha(A).unwrap().unwrap().1, "waha-clear-key");
    assert_eq!(store.owner_totp(A).unwrap().unwrap().0, "GEZDGNBVGY3TQOJQ");
    let admin = store.admin("ops@example.com").unwrap().unwrap();
    assert_eq!(admin.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    assert_eq!(store.emails(10).unwrap()[0].body, "reset-SECRET-link");
    assert_eq!(
        store.request("r-old").unwrap(),
        None,
        "a request still waiting for its code is dropped"
    );
}

fn shows_none(what: &str, text: &str) {
    for clear in CLEAR {
        assert!(!text.contains(clear), "{clear} is readable in {what}");
    }
}

#[test]
fn an_older_sqlite_folder_is_sealed_on_first_open_and_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    a_clinic_with_an_admin(&SqliteStore::open(dir.path()).unwrap());
    let raw = rusqlite::Connection::open(dir.path().join("platform.db")).unwrap();
    for sql in older_rows("") {
        raw.execute_batch(&sql).unwrap();
    }
    drop(raw);

    let store = SqliteStore::open(dir.path()).unwrap();
    reads_as_before(&store);
    drop(store);
    // Every byte of the folder: the rows, the pages they left and the write-ahead log.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            shows_none(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
            );
        }
    }
    // Opened again: nothing is sealed twice.
    reads_as_before(&SqliteStore::open(dir.path()).unwrap());
}

#[test]
fn an_older_postgres_database_is_sealed_on_first_open_and_reads_the_same() {
    let Some(db) = pg::fresh("sealing") else {
        return;
    };
    let master = MasterKey::from_hex(&db.master_hex).unwrap();
    a_clinic_with_an_admin(&PgStore::open(&db.url, &master).unwrap());
    for sql in older_rows("platform.") {
        db.sql(&sql);
    }

    let store = PgStore::open(&db.url, &master).unwrap();
    reads_as_before(&store);
    for table in [
        "portal_bookings",
        "outbox",
        "clinic_waha",
        "owner_totp",
        "admins",
        "emails",
        "portal_requests",
    ] {
        let rows = db.sql(&format!("SELECT t::text FROM platform.{table} t"));
        shows_none(table, &format!("{rows:?}"));
    }
    reads_as_before(&PgStore::open(&db.url, &master).unwrap());
}
