//! The operator's console's chapter of the store story.

use ayada_server::store::{AdminSession, Store, StoreError};

/// The operator's console: admins, their second factor, sessions, the audit chain.
pub fn admin_story<S: Store>(store: &S) {
    store.create_admin("ops@x.example", "hash-1").unwrap();
    assert!(matches!(
        store.create_admin("ops@x.example", "hash-2"),
        Err(StoreError::Taken(_))
    ));
    let admin = store.admin("ops@x.example").unwrap().unwrap();
    assert_eq!((admin.totp_secret, admin.totp_enrolled), (None, false));
    assert_eq!(store.admin("nobody@x.example").unwrap(), None);
    // The first secret offered stands until enrolled; a step is taken once, in order.
    assert_eq!(
        store.offer_totp_secret("ops@x.example", "S1").unwrap(),
        "S1"
    );
    assert_eq!(
        store.offer_totp_secret("ops@x.example", "S2").unwrap(),
        "S1"
    );
    assert!(store.take_totp_step("ops@x.example", 10).unwrap());
    assert!(!store.take_totp_step("ops@x.example", 10).unwrap());
    assert!(!store.take_totp_step("ops@x.example", 9).unwrap());
    assert!(store.take_totp_step("ops@x.example", 11).unwrap());
    let admin = store.admin("ops@x.example").unwrap().unwrap();
    assert_eq!((admin.totp_enrolled, admin.last_totp_step), (true, 11));
    assert_eq!(
        store.offer_totp_secret("ops@x.example", "S3").unwrap(),
        "S1"
    );
    // Sessions.
    let session = AdminSession {
        token_hash: "t1".into(),
        email: "ops@x.example".into(),
        stage: "password".into(),
        csrf: "c1".into(),
        created_at: 100,
        last_seen: 100,
    };
    store.create_admin_session(&session).unwrap();
    assert_eq!(store.admin_session("t1").unwrap(), Some(session.clone()));
    store.touch_admin_session("t1", 150, "full").unwrap();
    let touched = store.admin_session("t1").unwrap().unwrap();
    assert_eq!((touched.last_seen, touched.stage.as_str()), (150, "full"));
    store.end_admin_session("t1").unwrap();
    assert_eq!(store.admin_session("t1").unwrap(), None);
    // The audit log: a chain, in order.
    for action in ["admin-created", "login", "logout"] {
        store
            .append_admin_audit("ops@x.example", action, "", "203.0.113.9")
            .unwrap();
    }
    let rows = store.admin_audit().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].prev, ayada_server::store::admin::GENESIS);
    assert_eq!(rows[1].prev, rows[0].hash);
    assert_eq!(ayada_server::store::admin::first_break(&rows), None);
    // The clinics, by name.
    let names: Vec<String> = store
        .clinics()
        .unwrap()
        .into_iter()
        .map(|c| c.slug)
        .collect();
    assert!(names.contains(&"nour".to_string()), "{names:?}");
}
