//! One story of every store operation, told to both backends: the embedded SQLite folder and
//! PostgreSQL (a fresh database on the server the test command starts). Whatever the server
//! does, it does through these operations, so a backend that tells the story the same way
//! serves the same product. (What several processes on one store show is in
//! store_replicas.rs.)

#[path = "../../tests/pg/mod.rs"]
mod pg;
mod story;

use ayada_server::store::{
    AdminStore, Admission, MasterKey, OutMessage, PgStore, PortalBooking, PortalRequest, Seen,
    SqliteStore, Store, StoreError,
};
use ayada_sync::AuditHead;
use story::*;

fn request(id: &str, starts_at: i64, created_at: i64) -> PortalRequest {
    PortalRequest {
        id: id.into(),
        clinic: A.into(),
        doctor: "doc-1".into(),
        visit_type: "vt-1".into(),
        starts_at,
        minutes: 20,
        name: "فاطمة علي".into(),
        phone: "+201001234567".into(),
        gender: Some("female".into()),
        dob: None,
        lang: "ar".into(),
        code_hash: "h1".into(),
        attempts: 0,
        sends: 1,
        created_at,
        expires_at: created_at + 600,
        last_sent_at: created_at,
        address: "203.0.113.9".into(),
        state: "verifying".into(),
    }
}

fn message(key: &str, kind: &str, next_at: i64) -> OutMessage {
    OutMessage {
        id: 0,
        clinic: A.into(),
        chat_id: "201001234567@c.us".into(),
        text: "text".into(),
        idem_key: key.into(),
        kind: kind.into(),
        state: "queued".into(),
        attempts: 0,
        next_at,
        last_error: None,
        wa_id: None,
        created_at: 0,
    }
}

/// Every operation of the store, in the order a clinic's life meets them.
fn story<S: Store>(store: &S) {
    // Clinics: made once each; a slug or an email taken is refused.
    store
        .create_clinic(&clinic(A, "nour", "owner@nour.example"))
        .unwrap();
    store
        .create_clinic(&clinic(B, "shifa", "owner@shifa.example"))
        .unwrap();
    assert!(matches!(
        store.create_clinic(&clinic(
            "0191d6f4-0000-7000-8000-0000000000cc",
            "nour",
            "x@y.example"
        )),
        Err(StoreError::Taken("slug"))
    ));
    assert!(matches!(
        store.create_clinic(&clinic(
            "0191d6f4-0000-7000-8000-0000000000cc",
            "other",
            "owner@nour.example"
        )),
        Err(StoreError::Taken(_))
    ));
    assert_eq!(
        store.clinic_ids().unwrap(),
        vec![A.to_string(), B.to_string()]
    );
    assert_eq!(
        store
            .clinic_by_email("owner@nour.example")
            .unwrap()
            .unwrap()
            .id,
        A
    );
    assert!(store
        .clinic_by_email("nobody@nour.example")
        .unwrap()
        .is_none());
    assert_eq!(store.clinic_by_slug("shifa").unwrap().unwrap().id, B);
    assert_eq!(store.clinic_by_id(A).unwrap().unwrap().slug, "nour");
    assert!(store
        .clinic_by_id("0191d6f4-0000-7000-8000-0000000000ff")
        .unwrap()
        .is_none());
    // The first machine's data id is kept; a second is refused.
    assert!(store.set_data_clinic(A, "data-a").unwrap());
    assert!(!store.set_data_clinic(A, "data-other").unwrap());
    assert_eq!(
        store
            .clinic_by_id(A)
            .unwrap()
            .unwrap()
            .data_clinic_id
            .as_deref(),
        Some("data-a")
    );

    // Machines: enrolled, found by credential, revoked.
    let cred = "0123456789abcdef".to_string() + &"0".repeat(48);
    store.add_device(A, "node-1", &cred).unwrap();
    store
        .add_device(
            A,
            "node-2",
            &("fedcba9876543210".to_string() + &"1".repeat(48)),
        )
        .unwrap();
    let device = store.device(&cred).unwrap().unwrap();
    assert_eq!(
        (
            device.clinic_id.as_str(),
            device.node_id.as_str(),
            device.revoked
        ),
        (A, "node-1", false)
    );
    assert!(store.device("no-such-credential").unwrap().is_none());
    assert!(store
        .credential_active(A, "node-1", "0123456789abcdef")
        .unwrap());
    assert!(
        !store
            .credential_active(B, "node-1", "0123456789abcdef")
            .unwrap(),
        "another clinic's"
    );
    assert!(
        !store
            .credential_active(A, "node-1", "0123456789abcde")
            .unwrap(),
        "a shorter prefix"
    );
    assert!(
        !store
            .credential_active(A, "node-2", "0123456789abcdef")
            .unwrap(),
        "another machine's"
    );

    // The log: two edits appended, known when they come again, refused when they do not fit.
    let mine = edits(b"aaaa", 3);
    assert_eq!(
        push(store, A, "clinic", &mine[..2]),
        vec![Admission::New, Admission::New]
    );
    assert_eq!(
        push(store, A, "clinic", &mine[..2]),
        vec![Admission::Known, Admission::Known]
    );
    assert!(
        matches!(&push(store, A, "patient/p1", &mine[..1])[0], Admission::Refused(r) if r.contains("another document"))
    );
    let skipping = edits(b"bbbb", 2);
    assert!(
        matches!(&push(store, A, "clinic", &skipping[1..])[0], Admission::Refused(r) if r.contains("skips"))
    );
    assert_eq!(store.log_len(A).unwrap(), 2);
    assert_eq!(
        store.log_len(B).unwrap(),
        0,
        "another clinic's log is apart"
    );
    assert_eq!(store.head(B).unwrap(), 0);
    let (page, head) = store.after(A, 0, 10).unwrap();
    assert_eq!(head, store.head(A).unwrap());
    assert_eq!(page.len(), 2);
    assert!(page[0].0 < page[1].0);
    assert_eq!(page[0].1, wire("clinic", &mine[0]));
    let (rest, _) = store.after(A, page[0].0, 10).unwrap();
    assert_eq!(rest, page[1..].to_vec());
    assert_eq!(store.after(A, 0, 1).unwrap().0.len(), 1, "the limit holds");
    // A second document, then the third edit of the first.
    assert_eq!(
        push(store, A, "patient/p1", &edits(b"cccc", 1)),
        vec![Admission::New]
    );
    assert_eq!(push(store, A, "clinic", &mine[2..]), vec![Admission::New]);

    // Where machines stand: a pull keeps the last push's word on what is unsent.
    let seen = |at: i64, pending: Option<u64>| Seen {
        clinic: A.into(),
        node: "node-1".into(),
        at,
        pending,
    };
    store.seen(&[seen(1_000, Some(4))]).unwrap();
    store.seen(&[seen(1_010, None)]).unwrap();
    // A note written late (another replica's, older) moves neither back.
    store.seen(&[seen(1_005, Some(9))]).unwrap();
    let machines = store.machines(A).unwrap();
    assert_eq!(machines.len(), 2);
    assert_eq!(machines[0].node_id, "node-1");
    assert_eq!(machines[0].pending, Some(4));
    assert_eq!(machines[0].last_seen_at, Some(1_010));
    assert!(machines[1].last_seen_at.is_none());
    assert!(store.machines(B).unwrap().is_empty());
    assert_eq!(store.revoke(A, "node-1").unwrap(), Some(1));
    assert_eq!(store.revoke(A, "node-1").unwrap(), Some(0));
    assert_eq!(store.revoke(A, "node-9").unwrap(), None);
    assert_eq!(
        store.revoke(B, "node-2").unwrap(),
        None,
        "not a machine of that clinic"
    );
    assert!(!store
        .credential_active(A, "node-1", "0123456789abcdef")
        .unwrap());
    assert!(store.device(&cred).unwrap().unwrap().revoked);
    assert!(store.machines(A).unwrap()[0].revoked);

    // Audit heads: append-only per count.
    let head = |count: u64, hash: &str| AuditHead {
        count,
        hash: hash.into(),
    };
    assert!(store
        .record_audit_head(A, "node-1", &head(10, "h10"))
        .unwrap());
    assert!(store
        .record_audit_head(A, "node-1", &head(10, "h10"))
        .unwrap());
    assert!(!store
        .record_audit_head(A, "node-1", &head(10, "rewritten"))
        .unwrap());
    assert!(store
        .record_audit_head(A, "node-1", &head(12, "h12"))
        .unwrap());
    let anchors = store.audit_anchors(A, "node-1").unwrap();
    assert_eq!(
        anchors.iter().map(|a| a.head.count).collect::<Vec<_>>(),
        vec![10, 12]
    );
    assert_eq!(anchors[0].head.hash, "h10");
    assert!(store.audit_anchors(B, "node-1").unwrap().is_empty());

    // Photos.
    let photo = vec![0xFFu8, 0xD8, 1, 2, 3];
    assert!(store.put_blob(A, "sha-1", &photo, "node-1").unwrap());
    assert!(!store.put_blob(A, "sha-1", &photo, "node-1").unwrap());
    assert_eq!(store.blob(A, "sha-1").unwrap(), Some(photo));
    assert_eq!(
        store.blob(B, "sha-1").unwrap(),
        None,
        "another clinic's photo"
    );
    assert!(store.usage(A).unwrap() > 0);

    // Compaction and bootstrap: every document, the head they hold, paged by size.
    store.compact(A, "clinic").unwrap();
    let full = store.bootstrap(A, None, 1 << 20).unwrap();
    assert_eq!(full.total, 2);
    assert_eq!(full.as_of, store.head(A).unwrap());
    assert_eq!(
        full.docs
            .iter()
            .map(|d| d.doc_id.as_str())
            .collect::<Vec<_>>(),
        vec!["clinic", "patient/p1"]
    );
    assert!(full.next.is_none());
    let loaded = automerge::Automerge::load(&full.docs[0].bytes).unwrap();
    assert_eq!(
        loaded.get_changes(&[]).len(),
        3,
        "the compaction holds every change"
    );
    let first = store.bootstrap(A, None, 1).unwrap();
    assert_eq!(
        (first.docs.len(), first.next.as_deref()),
        (1, Some("clinic"))
    );
    let second = store.bootstrap(A, first.next.as_deref(), 1).unwrap();
    assert_eq!(second.docs[0].doc_id, "patient/p1");
    assert_eq!(
        store.clinic_doc(A, "clinic").unwrap(),
        Some(full.docs[0].bytes.clone())
    );
    assert_eq!(store.clinic_doc(A, "visits/x").unwrap(), None);
    assert_eq!(
        store.clinic_doc_ids(A, "patient/").unwrap(),
        vec!["patient/p1".to_string()]
    );
    assert!(store.clinic_doc_ids(B, "patient/").unwrap().is_empty());
    let report = store.check_clinic(A).unwrap();
    assert_eq!((report.changes, report.quarantined.len()), (4, 0));

    // The portal: a request holds its slot; the same doctor's overlapping time is refused.
    let t = 1_900_000_000;
    assert!(store.add_request(&request("r1", t + 3600, t)).unwrap());
    assert!(
        !store
            .add_request(&request("r2", t + 3600 + 600, t))
            .unwrap(),
        "overlaps r1"
    );
    assert!(
        store
            .add_request(&request("r3", t + 3600 + 1200, t))
            .unwrap(),
        "right after r1"
    );
    assert_eq!(
        store.request("r1").unwrap().unwrap(),
        request("r1", t + 3600, t)
    );
    assert!(store.request("r2").unwrap().is_none());
    assert_eq!(store.wrong_code("r1").unwrap(), 1);
    assert_eq!(store.wrong_code("r1").unwrap(), 2);
    store.code_resent("r1", "h2", t + 900).unwrap();
    let r1 = store.request("r1").unwrap().unwrap();
    assert_eq!(
        (r1.code_hash.as_str(), r1.expires_at, r1.sends, r1.attempts),
        ("h2", t + 900, 2, 2)
    );
    assert_eq!(store.held(A, t + 1).unwrap().len(), 2);
    assert!(store.end_request("r3", "booked").unwrap());
    assert!(
        !store.end_request("r3", "expired").unwrap(),
        "only a verifying request ends"
    );
    assert_eq!(
        store.held(A, t + 1).unwrap(),
        vec![("doc-1".to_string(), t + 3600, t + 3600 + 1200)]
    );
    assert!(store.held(A, t + 901).unwrap().is_empty(), "expired");
    assert_eq!(store.requests_by_phone(A, "+201001234567", t).unwrap(), 2);
    assert_eq!(
        store.requests_by_phone(A, "+201001234567", t + 1).unwrap(),
        0
    );
    assert_eq!(store.requests_by_address("203.0.113.9", t).unwrap(), 2);
    assert_eq!(store.requests_at(A, t).unwrap(), 2);
    assert_eq!(store.requests_at(B, t).unwrap(), 0);
    assert_eq!(
        store.purge_requests(t + 700).unwrap(),
        1,
        "r3 expired at t + 600"
    );
    assert!(store.request("r3").unwrap().is_none());

    // Bookings made online and what their patients were told.
    let mut booking = PortalBooking {
        token_hash: "tok-1".into(),
        clinic: A.into(),
        appointment_id: "appt-1".into(),
        doc_id: "appointments/x".into(),
        phone: "+201001234567".into(),
        name: "فاطمة".into(),
        lang: "ar".into(),
        status_told: "requested".into(),
        starts_told: t + 3600,
        doctor_told: "doc-1".into(),
        reminded: String::new(),
        review_sent: false,
    };
    store.add_booking(&booking).unwrap();
    assert_eq!(store.booking("tok-1").unwrap().unwrap(), booking);
    booking.status_told = "done".into();
    booking.reminded = "24".into();
    store.booking_told(&booking).unwrap();
    assert_eq!(store.bookings_of(A).unwrap(), vec![booking.clone()]);
    booking.review_sent = true;
    store.booking_told(&booking).unwrap();
    assert!(
        store.bookings_of(A).unwrap().is_empty(),
        "done and reviewed: over"
    );
    assert_eq!(store.booking("tok-1").unwrap().unwrap(), booking);

    // The outbox: one message per event, codes first, states that only move forward.
    assert!(store.enqueue(&message("e1", "confirmed", t)).unwrap());
    assert!(
        !store.enqueue(&message("e1", "confirmed", t)).unwrap(),
        "the same event"
    );
    assert!(store.enqueue(&message("e2", "code", t + 5)).unwrap());
    assert!(store.enqueue(&message("e3", "reminder", t + 999)).unwrap());
    let due = store.due(t + 10, 10).unwrap();
    assert_eq!(
        due.iter().map(|m| m.idem_key.as_str()).collect::<Vec<_>>(),
        vec!["e2", "e1"]
    );
    let mut sending = due[0].clone();
    sending.attempts = 1;
    assert!(store.claim(&sending).unwrap());
    assert!(
        !store.claim(&sending).unwrap(),
        "taken once: another replica leaves it"
    );
    let mut sent = due[1].clone();
    sent.state = "sent".into();
    sent.attempts = 1;
    sent.wa_id = Some("wa-1".into());
    store.message_tried(&sent).unwrap();
    assert!(store.message_ack("wa-1", "read").unwrap());
    assert!(store.message_ack("wa-1", "delivered").unwrap());
    assert!(!store.message_ack("wa-unknown", "read").unwrap());
    assert_eq!(
        store.interrupted_sends(0).unwrap(),
        0,
        "claimed just now: another replica may be sending it"
    );
    assert_eq!(
        store.interrupted_sends(i64::MAX).unwrap(),
        1,
        "the one left sending"
    );
    let listed = store.messages(A, 10).unwrap();
    let state = |key: &str| {
        listed
            .iter()
            .find(|m| m.idem_key == key)
            .unwrap()
            .state
            .clone()
    };
    assert_eq!(
        (state("e1"), state("e2"), state("e3")),
        ("read".into(), "failed".into(), "queued".into())
    );
    assert_eq!(listed[0].idem_key, "e3", "newest first");
    assert!(store.messages(B, 10).unwrap().is_empty());

    // A clinic's own WhatsApp number.
    assert_eq!(store.clinic_waha(A).unwrap(), None);
    store
        .set_clinic_waha(A, Some(("http://waha.example", "key", "nour")))
        .unwrap();
    store
        .set_clinic_waha(A, Some(("http://waha2.example", "key2", "nour")))
        .unwrap();
    assert_eq!(
        store.clinic_waha(A).unwrap(),
        Some(("http://waha2.example".into(), "key2".into(), "nour".into()))
    );
    store.set_clinic_waha(A, None).unwrap();
    assert_eq!(store.clinic_waha(A).unwrap(), None);
    story::admin::admin_story(store);
}

#[test]
fn the_sqlite_store_tells_the_whole_story() {
    let dir = tempfile::tempdir().unwrap();
    story(&SqliteStore::open(dir.path()).unwrap());
}

#[test]
fn the_postgres_store_tells_the_whole_story() {
    let Some(db) = pg::fresh("story") else { return };
    story(&PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap());
}

#[test]
fn a_postgres_store_keeps_each_clinic_in_its_own_schema_and_refuses_a_forged_clinic_id() {
    let Some(db) = pg::fresh("schemas") else {
        return;
    };
    let store = PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap();
    store
        .create_clinic(&clinic(A, "nour", "owner@nour.example"))
        .unwrap();
    push(&store, A, "clinic", &edits(b"aaaa", 1));
    let schemas = db.sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'c\\_%' ORDER BY 1");
    assert_eq!(
        schemas,
        vec![vec![Some(format!("c_{}", A.replace('-', "")))]]
    );
    let rows = db.sql(&format!(
        "SELECT COUNT(*) FROM c_{}.changes",
        A.replace('-', "")
    ));
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
    // The storage figure counts every table of the schema, by name (a migration that adds
    // a table must name it in CLINIC_TABLES).
    let tables = db.sql(&format!(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'c_{}' ORDER BY 1",
        A.replace('-', "")
    ));
    let mut named: Vec<&str> = ayada_server::store::CLINIC_TABLES.to_vec();
    named.sort_unstable();
    assert_eq!(
        tables,
        named
            .iter()
            .map(|t| vec![Some(t.to_string())])
            .collect::<Vec<_>>()
    );
    let catalogue = db.sql(&format!(
        "SELECT SUM(pg_total_relation_size(c.oid))::BIGINT FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'c_{}' AND c.relkind = 'r'",
        A.replace('-', "")
    ));
    assert_eq!(
        catalogue,
        vec![vec![Some(store.usage(A).unwrap().to_string())]]
    );
    // A clinic id is never put into SQL as it came.
    for forged in ["x; DROP SCHEMA platform CASCADE", "", "../etc"] {
        assert!(store.head(forged).is_err(), "{forged:?}");
    }
    assert_eq!(store.clinic_ids().unwrap(), vec![A.to_string()]);
    // Opening again (a restart, a second replica) applies no migration twice.
    drop(store);
    let again = PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap();
    assert_eq!(again.log_len(A).unwrap(), 1);
    let applied =
        db.sql("SELECT scope, COUNT(*) FROM platform.migrations GROUP BY scope ORDER BY scope");
    assert_eq!(applied.len(), 2, "platform and the clinic: {applied:?}");
}

#[test]
fn the_admin_audit_log_on_postgres_refuses_to_be_changed_or_cut() {
    let Some(db) = pg::fresh("admin_audit") else {
        return;
    };
    let store = PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap();
    for action in ["admin-created", "login"] {
        store
            .append_admin_audit("ops@x.example", action, "", "")
            .unwrap();
    }
    for sql in [
        "UPDATE platform.admin_audit SET action = 'nothing' WHERE seq = 1",
        "DELETE FROM platform.admin_audit WHERE seq = 2",
    ] {
        let refused = db.try_sql(sql).unwrap_err();
        assert!(refused.contains("append-only"), "{refused}");
    }
    assert_eq!(store.admin_audit().unwrap().len(), 2);
}
