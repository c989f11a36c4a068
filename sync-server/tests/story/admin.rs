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
    // Sessions unused since a moment are forgotten; a recent one stays.
    for (hash, seen) in [("old", 100), ("new", 500)] {
        let s = AdminSession {
            token_hash: hash.into(),
            last_seen: seen,
            ..session.clone()
        };
        store.create_admin_session(&s).unwrap();
    }
    store.forget_admin_sessions(300).unwrap();
    assert_eq!(store.admin_session("old").unwrap(), None);
    assert!(store.admin_session("new").unwrap().is_some());
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
    // Tiers, payments, the account a standing is computed from, a hold.
    let tier = ayada_server::store::Tier {
        id: 0,
        name: "Small".into(),
        min_staff: 0,
        max_staff: Some(5),
        monthly_piastres: 30_000,
    };
    store.put_tier(&tier).unwrap();
    let tiers = store.tiers().unwrap();
    assert_eq!(tiers.len(), 1);
    store
        .put_tier(&ayada_server::store::Tier {
            monthly_piastres: 35_000,
            ..tiers[0].clone()
        })
        .unwrap();
    assert_eq!(store.tiers().unwrap()[0].monthly_piastres, 35_000);
    let clinic = store.clinics().unwrap()[0].id.clone();
    let account = store.clinic_account(&clinic).unwrap().unwrap();
    assert_eq!((account.paid_through, account.held), (None, None));
    assert!(account.billed, "a tier exists: the platform bills");
    for (from, to) in [("2026-12-01", "2026-12-31"), ("2027-01-01", "2027-01-31")] {
        store
            .add_payment(&ayada_server::store::Payment {
                id: 0,
                clinic: clinic.clone(),
                amount_piastres: 35_000,
                paid_on: "2026-11-29".into(),
                method: "instapay".into(),
                reference: "IP-1".into(),
                period_from: from.into(),
                period_to: to.into(),
                tier: "Small".into(),
                recorded_by: "ops@x.example".into(),
            })
            .unwrap();
    }
    let paid = store.payments(&clinic).unwrap();
    assert_eq!(paid[0].period_to, "2027-01-31", "latest first");
    store.hold_clinic(&clinic, Some("cheque bounced")).unwrap();
    let account = store.clinic_account(&clinic).unwrap().unwrap();
    assert_eq!(account.paid_through.as_deref(), Some("2027-01-31"));
    assert_eq!(account.held.as_deref(), Some("cheque bounced"));
    store.hold_clinic(&clinic, None).unwrap();
    assert_eq!(store.clinic_account(&clinic).unwrap().unwrap().held, None);
    store.delete_tier(tiers[0].id).unwrap();
    assert!(store.tiers().unwrap().is_empty());
    assert!(!store.clinic_account(&clinic).unwrap().unwrap().billed);
    assert_eq!(store.clinic_account("no-such-clinic").unwrap(), None);
    // Emails: kept once per event, due in order, their outcome recorded.
    let email = ayada_server::store::Email::queued(
        "owner@x.example",
        "owner-invite",
        "owner-invite:1",
        "Your clinic".into(),
        "a link".into(),
        100,
    );
    assert!(store.queue_email(&email).unwrap());
    assert!(!store.queue_email(&email).unwrap(), "one per event");
    assert!(store.due_emails(99, 10).unwrap().is_empty());
    let due = store.due_emails(100, 10).unwrap();
    assert_eq!(due.len(), 1);
    let outcome = ayada_server::store::EmailOutcome {
        state: "sent".into(),
        attempts: 2,
        next_at: 0,
        last_error: None,
        resend_id: Some("re-1".into()),
    };
    store.email_tried(due[0].id, &outcome).unwrap();
    assert!(store.due_emails(1_000, 10).unwrap().is_empty());
    let kept = &store.emails(10).unwrap()[0];
    assert_eq!((kept.state.as_str(), kept.attempts), ("sent", 2));
    // An owner's invitation: alive until used once or expired.
    store
        .add_owner_invite("inv-1", &clinic, "owner@x.example", 1_000)
        .unwrap();
    assert!(store.owner_invite("inv-1", 999).unwrap().is_some());
    assert_eq!(store.owner_invite("inv-1", 1_000).unwrap(), None, "expired");
    assert_eq!(store.take_owner_invite("inv-1", 1_000, "h").unwrap(), None);
    let taken = store.take_owner_invite("inv-1", 500, "new-hash").unwrap();
    assert_eq!(taken.map(|(c, _)| c), Some(clinic.clone()));
    assert_eq!(
        store.take_owner_invite("inv-1", 501, "other").unwrap(),
        None,
        "once"
    );
    let record = store
        .clinics()
        .unwrap()
        .into_iter()
        .find(|c| c.id == clinic)
        .unwrap();
    assert_eq!(record.password_hash, "new-hash");
    // The clinics, by name.
    let names: Vec<String> = store
        .clinics()
        .unwrap()
        .into_iter()
        .map(|c| c.slug)
        .collect();
    assert!(names.contains(&"nour".to_string()), "{names:?}");
}
