//! A folder's console moves to PostgreSQL with its clinics: the payments, holds and
//! terminations with each clinic, and (into a database whose console is new) the admins with
//! their second factor, the tiers, the emails and the hash-chained audit log, every sealed
//! field sealed again with the target's own key and reading the same.

#[path = "../../tests/pg/mod.rs"]
mod pg;
mod story;

use ayada_server::store::admin::first_break;
use ayada_server::store::{
    AdminStore, Email, MasterKey, Payment, PgStore, SqliteStore, Store, Termination,
    TerminationStore, Tier,
};
use story::*;

#[test]
fn the_console_moves_to_postgres_with_its_clinics_and_reads_the_same() {
    let Some(db) = pg::fresh("console_move") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let from = SqliteStore::open(dir.path()).unwrap();
    from.create_clinic(&clinic(A, "nour", "owner@nour.example"))
        .unwrap();
    push(&from, A, "patient/p1", &edits(b"\x01", 2));
    from.create_admin("ops@ayada.example", "$argon2id$x")
        .unwrap();
    let secret = from
        .offer_totp_secret("ops@ayada.example", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        .unwrap();
    from.append_admin_audit("command line", "admin-created", "ops@ayada.example", "")
        .unwrap();
    from.put_tier(&Tier {
        id: 0,
        name: "Small".into(),
        min_staff: 0,
        max_staff: Some(5),
        monthly_piastres: 30_000,
    })
    .unwrap();
    from.add_payment(&Payment {
        id: 0,
        clinic: A.into(),
        amount_piastres: 30_000,
        paid_on: "2026-11-29".into(),
        method: "cash".into(),
        reference: "R-1".into(),
        period_from: "2026-11-29".into(),
        period_to: "2026-12-28".into(),
        tier: "Small".into(),
        recorded_by: "ops@ayada.example".into(),
    })
    .unwrap();
    from.append_admin_audit("ops@ayada.example", "payment-recorded", A, "127.0.0.1")
        .unwrap();
    from.queue_email(&Email::queued(
        "owner@nour.example",
        "owner-invite",
        "owner-invite:a",
        "Your clinic".into(),
        "Set your password: https://x/owner/password/SECRET".into(),
        0,
    ))
    .unwrap();
    from.terminate(&Termination {
        clinic: A.into(),
        at: 1_900_000_000,
        delete_after: 1_902_592_000,
        by: "ops@ayada.example".into(),
        note: "closed".into(),
        link_hash: "h".into(),
        deleted_at: None,
    })
    .unwrap();

    let to = PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap();
    let moved = ayada_server::store::migrate::migrate(&from, &to).unwrap();
    assert_eq!(moved.console.clinic_rows, 2, "{moved:?}");
    assert_eq!(moved.console.platform_rows, Some(5), "{moved:?}");

    let paid = &to.payments(A).unwrap()[0];
    assert_eq!(
        (
            paid.amount_piastres,
            paid.period_to.as_str(),
            paid.reference.as_str()
        ),
        (30_000, "2026-12-28", "R-1")
    );
    assert_eq!(to.tiers().unwrap()[0].name, "Small");
    let admin = to.admin("ops@ayada.example").unwrap().unwrap();
    assert_eq!(admin.totp_secret.as_deref(), Some(secret.as_str()));
    assert_eq!(
        to.emails(10).unwrap()[0].body,
        "Set your password: https://x/owner/password/SECRET"
    );
    let audit = to.admin_audit().unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(first_break(&audit), None, "the chain moved whole");
    assert_eq!(to.termination(A).unwrap().unwrap().note, "closed");
    assert_eq!(to.log_len(A).unwrap(), 2);
    // The target's own key seals what moved: the raw column is not the source's.
    let raw = db.sql("SELECT totp_secret FROM platform.admins");
    assert!(!raw[0][0].as_deref().unwrap().contains("JBSWY3DP"));
}
