//! A terminated clinic's data deleted by the store, on both backends: its key first (so no
//! copy of its rows opens again), then its log, documents, photos and platform rows; its
//! tombstone stays, and a second run changes nothing.

#[path = "../../tests/pg/mod.rs"]
mod pg;
mod story;

use ayada_server::store::{MasterKey, PgStore, SqliteStore, Store, Termination};
use story::*;

fn ended(clinic: &str, at: i64, days: i64) -> Termination {
    Termination {
        clinic: clinic.into(),
        at,
        delete_after: at + days * 86_400,
        by: "ops@ayada.example".into(),
        note: "left for another system".into(),
        link_hash: format!("link-of-{clinic}"),
        deleted_at: None,
    }
}

fn deletion_story<S: Store>(store: &S) {
    store
        .create_clinic(&clinic(A, "nour", "owner@nour.example"))
        .unwrap();
    store
        .create_clinic(&clinic(B, "other", "owner@other.example"))
        .unwrap();
    for id in [A, B] {
        push(
            store,
            id,
            "patient/p1",
            &edits_of(b"\x01\x02", 3, "Termination Witness"),
        );
        store
            .put_blob(id, "ab12", b"photo bytes", "node-1")
            .unwrap();
        store
            .add_device(id, "node-1", &format!("cred-{id}"))
            .unwrap();
        store
            .set_clinic_waha(id, Some(("http://waha.example", "key", "s")))
            .unwrap();
    }
    let t = 1_900_000_000;
    assert!(store.terminate(&ended(A, t, 30)).unwrap());
    assert!(!store.terminate(&ended(A, t + 5, 1)).unwrap(), "ended once");
    assert_eq!(
        store.termination(A).unwrap().unwrap().delete_after,
        t + 30 * 86_400
    );
    assert_eq!(
        store
            .termination_by_link("link-of-0191d6f4-0000-7000-8000-00000000000a")
            .unwrap()
            .unwrap()
            .clinic,
        A
    );
    let account = store.clinic_account(A).unwrap().unwrap();
    assert_eq!(account.ended, Some((t + 30 * 86_400, false)));
    assert_eq!(store.blob_ids(A).unwrap(), vec!["ab12".to_string()]);

    // Within the window nothing is due; after it, the clinic is.
    assert!(store.due_deletions(t + 29 * 86_400).unwrap().is_empty());
    assert_eq!(
        store.due_deletions(t + 30 * 86_400).unwrap(),
        vec![A.to_string()]
    );
    assert!(store.delete_clinic_data(A, t + 30 * 86_400).unwrap());

    // The tombstone: the clinic's row without its password, its termination with the day.
    let tomb = store.clinic_by_id(A).unwrap().unwrap();
    assert_eq!(
        (tomb.slug.as_str(), tomb.password_hash.as_str()),
        ("nour", "")
    );
    assert_eq!(
        store.termination(A).unwrap().unwrap().deleted_at,
        Some(t + 30 * 86_400)
    );
    assert_eq!(
        store.clinic_account(A).unwrap().unwrap().ended,
        Some((t + 30 * 86_400, true))
    );
    assert!(store.due_deletions(t + 40 * 86_400).unwrap().is_empty());
    // Its machines, its WhatsApp settings: gone.
    assert!(store.device(&format!("cred-{A}")).unwrap().is_none());
    assert!(store.machines(A).unwrap().is_empty());
    assert_eq!(store.clinic_waha(A).unwrap(), None);
    // The other clinic is untouched.
    assert_eq!(store.log_len(B).unwrap(), 3);
    assert_eq!(store.blob(B, "ab12").unwrap().unwrap(), b"photo bytes");
    assert!(store.device(&format!("cred-{B}")).unwrap().is_some());
    // No key is made again for it: what would read or write its rows is refused.
    assert!(store.blob(A, "ab12").is_err());
    assert!(
        !store.clinic_ids().unwrap().contains(&A.to_string()),
        "a tombstone is no clinic to serve"
    );
    // A second run (a sweep that failed part way) changes nothing.
    assert!(!store.delete_clinic_data(A, t + 31 * 86_400).unwrap());
    assert_eq!(
        store.termination(A).unwrap().unwrap().deleted_at,
        Some(t + 30 * 86_400)
    );
}

#[test]
fn a_sqlite_store_deletes_an_ended_clinic_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let file = dir.path().join("clinics").join(format!("{A}.db"));
    deletion_story(&store);
    assert!(!file.exists(), "the clinic's file is gone");
    for name in ["-wal", "-shm"] {
        assert!(!dir
            .path()
            .join("clinics")
            .join(format!("{A}.db{name}"))
            .exists());
    }
    let raw = rusqlite::Connection::open(dir.path().join("platform.db")).unwrap();
    let keys: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM clinic_keys WHERE scope = ?1 AND length(wrapped) > 0",
            [A],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, 0, "the clinic's key is destroyed");
}

#[test]
fn a_postgres_store_deletes_an_ended_clinic_for_good() {
    let Some(db) = pg::fresh("termination") else {
        return;
    };
    let store = PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap();
    deletion_story(&store);
    let schema = ayada_server::store::schema_of(A).unwrap();
    let left = db.sql(&format!(
        "SELECT COUNT(*) FROM pg_namespace WHERE nspname = '{schema}'"
    ));
    assert_eq!(
        left[0][0].as_deref(),
        Some("0"),
        "the clinic's schema is dropped"
    );
    let keys = db.sql(&format!(
        "SELECT COUNT(*) FROM platform.clinic_keys WHERE scope = '{A}' AND length(wrapped) > 0"
    ));
    assert_eq!(
        keys[0][0].as_deref(),
        Some("0"),
        "the clinic's key is destroyed"
    );
}
