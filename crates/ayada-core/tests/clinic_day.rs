//! A clinic's life through the public API, on a real SQLCipher file.

use std::path::{Path, PathBuf};

use ayada_core::appointments::{Booking, Status};
use ayada_core::cashbook::Method;
use ayada_core::demo::DemoOptions;
use ayada_core::import::ImportOptions;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::visits::{VisitInput, VitalsInput};
use ayada_core::{Clinic, CoreError, InitOptions, KeySource, Lang, Money, Role, Session};

mod support;

const PASSWORD: &str = "owner-pass-1";
const STAFF_PASSWORD: &str = "staff-pass-1";

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: KeySource,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("clinic");
    let key = KeySource::KeyFile(tmp.path().join("clinic.key"));
    Fixture {
        _tmp: tmp,
        dir,
        key,
    }
}

fn small_clinic() -> InitOptions {
    InitOptions {
        clinic_name: "C".into(),
        owner_login: "owner".into(),
        owner_name: String::new(),
        owner_password: PASSWORD.into(),
        time_zone: "Africa/Cairo".into(),
        currency: "EGP".into(),
    }
}

fn init(f: &Fixture) -> (Clinic, Session) {
    Clinic::init(
        &f.dir,
        &f.key,
        &InitOptions {
            clinic_name: "عيادة الشفاء".into(),
            owner_login: "owner".into(),
            owner_name: "Dr. Hala".into(),
            owner_password: PASSWORD.into(),
            time_zone: "Africa/Cairo".into(),
            currency: "EGP".into(),
        },
    )
    .unwrap()
}

/// Owner, receptionist and a doctor with a schedule and priced visit types.
fn staffed(f: &Fixture) -> (Clinic, Session, Session, Session) {
    let (mut clinic, owner) = init(f);
    support::add_desk_and_doctor(&mut clinic, &owner, "reception", STAFF_PASSWORD);
    clinic
        .set_visit_type(
            &owner,
            "examination",
            Money::parse("350.50").unwrap(),
            Some(20),
        )
        .unwrap();
    clinic.add_insurer(&owner, "AXA Egypt").unwrap();
    support::sara_works(
        &mut clinic,
        &owner,
        "sat,sun,mon,tue,wed,thu",
        "10:00",
        "14:00",
    );
    let reception = clinic.login("reception", STAFF_PASSWORD).unwrap();
    let doctor = clinic.login("dr.sara", STAFF_PASSWORD).unwrap();
    (clinic, owner, reception, doctor)
}

use support::patient;

fn book(
    clinic: &mut Clinic,
    s: &Session,
    p: ayada_core::ids::PatientId,
    at: &str,
) -> Result<ayada_core::appointments::Appointment, CoreError> {
    clinic.book(s, &booking(p, at))
}

fn booking(p: ayada_core::ids::PatientId, at: &str) -> Booking {
    let (d, t) = at.split_once(' ').unwrap();
    Booking {
        patient: p,
        doctor_login: "dr.sara".into(),
        date: parse_date(d).unwrap(),
        time: parse_time(t).unwrap(),
        visit_type: "examination".into(),
    }
}

fn instant(clinic: &Clinic, at: &str) -> jiff::Timestamp {
    let (d, t) = at.split_once(' ').unwrap();
    clinic
        .time()
        .instant(parse_date(d).unwrap(), parse_time(t).unwrap())
        .unwrap()
}

fn raw_connection(f: &Fixture) -> rusqlite::Connection {
    let KeySource::KeyFile(path) = &f.key else {
        unreachable!()
    };
    let hex = std::fs::read_to_string(path).unwrap();
    let conn = rusqlite::Connection::open(f.dir.join("clinic.db")).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex.trim()))
        .unwrap();
    conn
}

fn files_contain(dir: &Path, needle: &[u8]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            bytes
                .windows(needle.len())
                .any(|w| w == needle)
                .then(|| path.display().to_string())
        })
        .collect()
}

#[test]
fn a_wrong_key_is_refused_and_never_makes_a_new_database() {
    let f = fixture();
    let (mut clinic, owner) = init(&f);
    patient(&mut clinic, &owner, "Zeinab", "01012345678");
    drop(clinic);
    let size = std::fs::metadata(f.dir.join("clinic.db")).unwrap().len();
    let other = f.dir.parent().unwrap().join("other.key");
    std::fs::write(&other, "11".repeat(32)).unwrap();
    let err = Clinic::open(&f.dir, &KeySource::KeyFile(other))
        .err()
        .expect("opened with a wrong key");
    assert!(matches!(err, CoreError::WrongKey), "{err:?}");
    assert_eq!(
        err.to_string().split('.').next().unwrap(),
        "This database cannot be opened with this key"
    );
    assert!(err.message(Lang::Ar).contains("لا يمكن فتح قاعدة البيانات"));
    assert_eq!(
        std::fs::metadata(f.dir.join("clinic.db")).unwrap().len(),
        size
    );
    // The right key still opens it, with its data.
    let mut clinic = Clinic::open(&f.dir, &f.key).unwrap();
    let owner = clinic.login("owner", PASSWORD).unwrap();
    assert_eq!(
        clinic.search_patients(&owner, "zeinab", 10).unwrap().len(),
        1
    );
}

#[test]
fn a_passphrase_clinic_refuses_a_wrong_passphrase_and_another_key_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let source = KeySource::Passphrase("a long passphrase".into());
    let options = small_clinic();
    drop(Clinic::init(&dir, &source, &options).unwrap());
    assert!(matches!(
        Clinic::open(&dir, &KeySource::Passphrase("wrong passphrase".into())),
        Err(CoreError::WrongKey)
    ));
    let err = Clinic::open(&dir, &KeySource::KeyFile(tmp.path().join("k")))
        .err()
        .unwrap();
    assert!(
        matches!(err, CoreError::KeySourceMismatch { .. }),
        "{err:?}"
    );
    assert!(Clinic::open(&dir, &source).is_ok());
    assert!(matches!(
        Clinic::init(&dir, &source, &options),
        Err(CoreError::ClinicExists { .. })
    ));
    assert!(matches!(
        Clinic::open(&tmp.path().join("empty"), &source),
        Err(CoreError::NoClinic { .. })
    ));
}

#[test]
fn the_keyring_is_used_when_there_is_one_and_refused_clearly_when_not() {
    let f = fixture();
    let options = small_clinic();
    // The README's test command runs the suite inside a D-Bus session with an unlocked
    // gnome-keyring and sets AYADA_REAL_KEYRING=1; a bare machine has neither.
    if std::env::var("AYADA_REAL_KEYRING").as_deref() == Ok("1") {
        let (clinic, _) = Clinic::init(&f.dir, &KeySource::Keyring, &options).unwrap();
        drop(clinic);
        let mut clinic = Clinic::open(&f.dir, &KeySource::Keyring).unwrap();
        clinic.login("owner", PASSWORD).unwrap();
        let info = std::fs::read_to_string(f.dir.join("key.json")).unwrap();
        assert!(info.contains("keyring") && !info.contains("x'"), "{info}");
    } else {
        let saved = std::env::var_os("DBUS_SESSION_BUS_ADDRESS");
        if saved.is_some() {
            eprintln!("a D-Bus session exists without AYADA_REAL_KEYRING=1; checking only the fallback message");
        }
        match Clinic::init(&f.dir, &KeySource::Keyring, &options) {
            Err(err @ CoreError::KeyringUnavailable { .. }) => {
                assert!(err.to_string().contains("AYADA_DB_PASSPHRASE"), "{err}");
                assert!(!f.dir.join("clinic.db").exists(), "nothing is left behind");
            }
            Ok(_) => assert!(saved.is_some(), "a keyring worked without a D-Bus session"),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn no_record_text_reaches_the_database_or_wal_files() {
    let f = fixture();
    let (mut clinic, owner, reception, _) = staffed(&f);
    let id = patient(
        &mut clinic,
        &reception,
        "Zeinab Marker-Qwerty عائشة المميزة",
        "01098765432",
    );
    clinic
        .update_patient(
            &owner,
            id,
            &ayada_core::patients::PatientEdit {
                allergies: Some("Penicillin-Unique".into()),
                ..Default::default()
            },
        )
        .unwrap();
    // The connection is still open, so the WAL holds the latest pages.
    assert!(f.dir.join("clinic.db-wal").exists());
    for needle in [
        "Marker-Qwerty",
        "عائشة المميزة",
        "1098765432",
        "Penicillin-Unique",
        "reception",
        "argon2id",
    ] {
        assert_eq!(
            files_contain(&f.dir, needle.as_bytes()),
            Vec::<String>::new(),
            "{needle} found on disk"
        );
    }
    drop(clinic);
}

#[test]
fn rebuilt_projections_equal_the_incremental_ones_on_a_generated_clinic() {
    let f = fixture();
    let (mut clinic, owner) = init(&f);
    let report = clinic
        .generate_demo(
            &owner,
            &DemoOptions {
                days: 4,
                staff_password: STAFF_PASSWORD.into(),
                seed: 7,
            },
        )
        .unwrap();
    assert!(
        report.appointments > 150 && report.payments > 80,
        "{report:?}"
    );
    let live = clinic.projection_snapshot().unwrap();
    assert!(live.iter().any(|r| r.starts_with("appointments:")));
    assert!(live.iter().any(|r| r.starts_with("cash_entries:")));
    assert!(live.iter().any(|r| r.starts_with("shifts:")));
    let docs = clinic.rebuild_projections().unwrap();
    assert!(docs > 20);
    assert_eq!(clinic.projection_snapshot().unwrap(), live);
    // And from a cold open, too.
    drop(clinic);
    let mut clinic = Clinic::open(&f.dir, &f.key).unwrap();
    clinic.rebuild_projections().unwrap();
    assert_eq!(clinic.projection_snapshot().unwrap(), live);
}

#[test]
fn a_demo_clinic_made_on_an_earlier_day_is_brought_up_to_today_without_doubling_a_day() {
    let f = fixture();
    let (mut clinic, owner) = init(&f);
    let day = |d: &str| parse_date(d).unwrap();
    let noon = |clinic: &Clinic, d: &str| {
        let time = clinic.time().clone();
        time.instant(day(d), parse_time("12:00").unwrap()).unwrap()
    };
    let options = |days| DemoOptions {
        days,
        staff_password: STAFF_PASSWORD.into(),
        seed: 7,
    };
    // Made on Monday at noon: Sunday whole, Monday up to noon, Monday's drawer still open.
    let monday = noon(&clinic, "2026-11-23");
    clinic.set_clock(Some(monday));
    let first = clinic.generate_demo(&owner, &options(2)).unwrap();
    assert_eq!(first.days, 2, "{first:?}");
    let sunday_bookings = clinic
        .appointments(&owner, day("2026-11-22"))
        .unwrap()
        .len();
    assert!(sunday_bookings > 40);
    let monday_report = clinic.day_report(&owner, day("2026-11-23")).unwrap();
    assert!(monday_report.shifts.iter().all(|s| s.closed_at.is_none()));
    let still_booked = |clinic: &mut Clinic| {
        clinic
            .appointments(&owner, day("2026-11-23"))
            .unwrap()
            .iter()
            .filter(|a| a.status == Status::Booked)
            .count()
    };
    assert!(still_booked(&mut clinic) > 10, "Monday afternoon is ahead");
    let monday_paid = monday_report.totals.net_revenue;

    // Run again the same day: nothing to add.
    assert_eq!(clinic.generate_demo(&owner, &options(2)).unwrap().days, 0);

    // Started again on Wednesday with a month asked for: only Tuesday and Wednesday are
    // made; Monday's drawer was closed that evening and Wednesday's is open.
    clinic.set_clock(Some(noon(&clinic, "2026-11-25")));
    let again = clinic.generate_demo(&owner, &options(30)).unwrap();
    assert_eq!(again.days, 2, "{again:?}");
    assert_eq!(
        clinic
            .appointments(&owner, day("2026-11-22"))
            .unwrap()
            .len(),
        sunday_bookings
    );
    assert!(!clinic
        .appointments(&owner, day("2026-11-24"))
        .unwrap()
        .is_empty());
    assert!(!clinic
        .appointments(&owner, day("2026-11-25"))
        .unwrap()
        .is_empty());
    let monday_report = clinic.day_report(&owner, day("2026-11-23")).unwrap();
    assert!(!monday_report.shifts.is_empty());
    assert!(monday_report.shifts.iter().all(|s| s
        .closed_at
        .as_deref()
        .is_some_and(|at| at.contains("22:15"))));
    // Monday's afternoon happened: no booking of that past day is left waiting, and its
    // visits were paid for before the drawer closed.
    assert_eq!(still_booked(&mut clinic), 0);
    assert!(
        monday_report.totals.net_revenue.minor() > monday_paid.minor(),
        "{:?} after {:?}",
        monday_report.totals.net_revenue,
        monday_paid
    );
    let wednesday = clinic.day_report(&owner, day("2026-11-25")).unwrap();
    assert!(wednesday.shifts.iter().any(|s| s.closed_at.is_none()));
}

#[test]
fn search_matches_arabic_spelling_variants_and_arabic_digits() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let ahmed = patient(
        &mut clinic,
        &reception,
        "أحمد مصطفى إبراهيم",
        "0101 234 5678",
    );
    let mona = patient(&mut clinic, &reception, "منى فاطمة", "+20 12 0000 1111");
    patient(&mut clinic, &reception, "Sara Ali", "01555555555");
    let ids = |clinic: &mut Clinic, q: &str| -> Vec<_> {
        clinic
            .search_patients(&reception, q, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    };
    assert_eq!(ids(&mut clinic, "احمد مصطفي"), vec![ahmed]);
    assert_eq!(ids(&mut clinic, "ابراهيم"), vec![ahmed]);
    assert_eq!(ids(&mut clinic, "مُصْطَفَى"), vec![ahmed]);
    assert_eq!(ids(&mut clinic, "فاطمه"), vec![mona]);
    assert_eq!(
        ids(&mut clinic, "اح"),
        vec![ahmed],
        "two letters match a name prefix"
    );
    assert_eq!(ids(&mut clinic, "٠١٠١٢٣"), vec![ahmed]);
    assert_eq!(ids(&mut clinic, "+20 101 234"), vec![ahmed]);
    assert_eq!(ids(&mut clinic, "00201200001111"), vec![mona]);
    assert_eq!(ids(&mut clinic, "sara"), ids(&mut clinic, "SARA"));
    assert!(ids(&mut clinic, "zzz").is_empty());
}

#[test]
fn senseless_status_changes_and_double_bookings_are_refused() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let p = patient(&mut clinic, &reception, "Omar", "01011111111");
    let q = patient(&mut clinic, &reception, "Laila", "01022222222");
    let a = book(&mut clinic, &reception, p, "2030-01-05 10:00").unwrap();
    let clash = book(&mut clinic, &reception, q, "2030-01-05 10:10").unwrap_err();
    assert!(matches!(clash, CoreError::SlotTaken { .. }), "{clash:?}");
    let err = clinic
        .set_appointment_status(&reception, a.id, Status::Done, None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "An appointment that is booked cannot become done."
    );
    assert!(
        clinic
            .set_appointment_status(&reception, a.id, Status::Cancelled, None)
            .is_err(),
        "needs a reason"
    );
    clinic
        .set_appointment_status(&reception, a.id, Status::Cancelled, Some("travel"))
        .unwrap();
    assert!(clinic
        .set_appointment_status(&reception, a.id, Status::Arrived, None)
        .is_err());
    // The cancelled slot is free again.
    let date = parse_date("2030-01-05").unwrap();
    assert!(clinic
        .free_slots(&reception, "dr.sara", date)
        .unwrap()
        .contains(&"10:00".to_string()));
    book(&mut clinic, &reception, q, "2030-01-05 10:00").unwrap();
    assert!(!clinic
        .free_slots(&reception, "dr.sara", date)
        .unwrap()
        .contains(&"10:00".to_string()));
}

#[test]
fn a_receptionist_is_denied_the_money_and_the_denial_is_audited() {
    let f = fixture();
    let (mut clinic, owner, reception, doctor) = staffed(&f);
    let today = clinic.time().today();
    let err = clinic.cash_summary(&reception, today).unwrap_err();
    assert!(matches!(err, CoreError::Forbidden { .. }));
    assert_eq!(err.to_string(), "A receptionist may not read the money (cash totals, reports, revenue). Ask the clinic owner if you need this.");
    assert!(clinic.cash_summary(&doctor, today).is_err());
    assert!(clinic
        .add_staff(&reception, "x", "x", Role::Owner, STAFF_PASSWORD)
        .is_err());
    assert!(clinic
        .set_visit_type(&reception, "examination", Money(1), None)
        .is_err());
    let log = clinic.audit_log(&owner, 50).unwrap();
    let denied: Vec<_> = log
        .iter()
        .filter(|r| r.outcome == "denied")
        .map(|r| (r.actor.as_str(), r.action.as_str()))
        .collect();
    assert!(denied.contains(&("reception", "read-money")), "{denied:?}");
    assert!(denied.contains(&("dr.sara", "read-money")), "{denied:?}");
    assert!(
        denied.contains(&("reception", "manage-staff")),
        "{denied:?}"
    );
    assert!(
        denied.contains(&("reception", "manage-settings")),
        "{denied:?}"
    );
    assert!(clinic.audit_log(&reception, 5).is_err());
    // A failed login is audited under the login tried, never with the password.
    assert!(matches!(
        clinic.login("reception", "wrong-password"),
        Err(CoreError::LoginFailed)
    ));
    let log = clinic.audit_log(&owner, 5).unwrap();
    assert!(log
        .iter()
        .any(|r| r.action == "login" && r.outcome == "failed" && r.actor == "reception"));
    assert!(!log.iter().any(|r| r.subject.contains("wrong-password")));
}

#[test]
fn an_edited_or_cut_audit_log_is_detected() {
    let f = fixture();
    let (mut clinic, owner, reception, _) = staffed(&f);
    patient(&mut clinic, &reception, "Omar", "01011111111");
    let rows = clinic.verify_audit(&owner).unwrap();
    assert!(rows >= 8);
    drop(clinic);
    let conn = raw_connection(&f);
    // The log refuses edits outright…
    assert!(conn
        .execute("UPDATE audit SET actor = 'nobody' WHERE seq = 3", [])
        .is_err());
    assert!(conn.execute("DELETE FROM audit WHERE seq = 3", []).is_err());
    // …so an attacker with the key drops the guard first; the chain still tells.
    conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .unwrap();
    conn.execute("UPDATE audit SET actor = 'nobody' WHERE seq = 3", [])
        .unwrap();
    drop(conn);
    let mut clinic = Clinic::open(&f.dir, &f.key).unwrap();
    let owner2 = clinic.login("owner", PASSWORD).unwrap();
    let err = clinic.verify_audit(&owner2).unwrap_err();
    assert!(
        matches!(err, CoreError::AuditTampered { seq: 3 }),
        "{err:?}"
    );
    drop(clinic);
    // Restoring the row leaves a whole chain, but its guards are still gone: said too.
    let conn = raw_connection(&f);
    conn.execute("UPDATE audit SET actor = 'owner' WHERE seq = 3", [])
        .unwrap();
    let fixed = Clinic::open(&f.dir, &f.key).unwrap().verify_audit(&owner);
    assert!(
        matches!(fixed, Err(CoreError::AuditUnprotected)),
        "{fixed:?}"
    );
    // Cutting the newest row off is caught by the stored head.
    conn.execute(
        "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
        [],
    )
    .unwrap();
    drop(conn);
    let err = Clinic::open(&f.dir, &f.key)
        .unwrap()
        .verify_audit(&owner)
        .unwrap_err();
    assert!(matches!(err, CoreError::AuditTampered { .. }), "{err:?}");
}

#[test]
fn money_sums_are_exact_and_the_drawer_balances() {
    let f = fixture();
    let (mut clinic, owner, reception, doctor) = staffed(&f);
    assert!(matches!(
        clinic.pay(
            &reception,
            ayada_core::ids::AppointmentId::new(),
            Money(1),
            Method::Cash,
            None
        ),
        Err(CoreError::NotFound { .. })
    ));
    let today = clinic.time().today();
    let mut amounts = Vec::new();
    let p = patient(&mut clinic, &reception, "Omar", "01011111111");
    let first = book(&mut clinic, &reception, p, "2030-01-05 10:00").unwrap();
    let err = clinic
        .pay(&reception, first.id, Money(100), Method::Cash, None)
        .unwrap_err();
    assert!(
        matches!(err, CoreError::NoOpenShift),
        "cash needs an open drawer: {err:?}"
    );
    clinic
        .open_shift(&reception, Money::parse("500").unwrap())
        .unwrap();
    assert!(matches!(
        clinic.open_shift(&reception, Money(0)),
        Err(CoreError::ShiftAlreadyOpen)
    ));
    let mut cash = 0;
    for (i, text) in ["350.50", "0.10", "0.20", "1234.55", "0.01", "99.99"]
        .iter()
        .enumerate()
    {
        let a = if i == 0 {
            first.clone()
        } else {
            book(
                &mut clinic,
                &reception,
                p,
                &format!("2030-01-05 1{}:00", i.min(3)),
            )
            .unwrap_or_else(|_| {
                book(&mut clinic, &reception, p, &format!("2030-01-06 1{}:20", i)).unwrap()
            })
        };
        let amount = Money::parse(text).unwrap();
        let method = if i % 3 == 2 {
            Method::Card
        } else {
            Method::Cash
        };
        let entry = clinic.pay(&reception, a.id, amount, method, None).unwrap();
        if method == Method::Cash {
            cash += amount.minor();
        }
        amounts.push((entry.id, amount, method));
    }
    let insured = book(&mut clinic, &reception, p, "2030-01-07 10:00").unwrap();
    assert!(
        clinic
            .pay(&reception, insured.id, Money(100), Method::Insurance, None)
            .is_err(),
        "insurer required"
    );
    assert!(clinic
        .pay(
            &reception,
            insured.id,
            Money(100),
            Method::Insurance,
            Some("Unknown Co")
        )
        .is_err());
    clinic
        .pay(
            &reception,
            insured.id,
            Money(30_000),
            Method::Insurance,
            Some("axa egypt"),
        )
        .unwrap();
    let (paid_id, _, _) = amounts[0];
    assert!(
        clinic
            .refund(
                &reception,
                paid_id,
                Money::parse("350.51").unwrap(),
                "overcharged"
            )
            .is_err(),
        "refund above the payment"
    );
    clinic
        .refund(
            &reception,
            paid_id,
            Money::parse("50.50").unwrap(),
            "discount",
        )
        .unwrap();
    clinic
        .add_expense(
            &reception,
            Money::parse("75.25").unwrap(),
            "supplies",
            "gauze",
        )
        .unwrap();
    let summary = clinic.cash_summary(&owner, today).unwrap();
    let total: i64 = amounts.iter().map(|(_, m, _)| m.minor()).sum::<i64>() + 30_000;
    assert_eq!(summary.net_revenue.minor(), total - 5_050);
    assert_eq!(summary.payments["insurance"], Money(30_000));
    assert_eq!(summary.by_insurer["AXA Egypt"], Money(30_000));
    assert_eq!(summary.net_cash.minor(), cash - 5_050 - 7_525);
    assert_eq!(summary.expenses["supplies"], Money(7_525));
    // The receptionist counts blind; the owner reads expected and difference afterwards.
    let closed = clinic
        .close_shift(
            &reception,
            Money(50_000 + cash - 5_050 - 7_525 - 100),
            "one pound short",
        )
        .unwrap();
    assert_eq!(closed.expected, None);
    let _ = doctor;
    let shift_rows = clinic
        .projection_snapshot()
        .unwrap()
        .into_iter()
        .filter(|r| r.starts_with("shifts:"))
        .collect::<Vec<_>>();
    assert_eq!(shift_rows.len(), 1);
    assert!(shift_rows[0].contains("Integer(-100)"), "{shift_rows:?}");
}

#[test]
fn a_visit_with_a_corrupt_photo_writes_nothing_and_a_good_one_is_stored_clean() {
    let f = fixture();
    let (mut clinic, _, reception, doctor) = staffed(&f);
    let p = patient(&mut clinic, &reception, "Omar", "01011111111");
    let a = book(&mut clinic, &reception, p, "2030-01-05 10:00").unwrap();
    let input = VisitInput {
        diagnoses: vec!["Flu".into()],
        ..Default::default()
    };
    assert!(
        clinic.record_visit(&doctor, a.id, &input).is_err(),
        "not arrived yet"
    );
    clinic
        .set_appointment_status(&reception, a.id, Status::Arrived, None)
        .unwrap();
    assert!(matches!(
        clinic.record_visit(&reception, a.id, &input),
        Err(CoreError::Forbidden { .. })
    ));
    let before = clinic.change_count().unwrap();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png);
    let truncated = {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend_from_slice(&[0, 0, 1, 0]);
        v
    };
    let bad = VisitInput {
        diagnoses: vec!["Flu".into()],
        photos: vec![truncated],
        ..Default::default()
    };
    let err = clinic.record_visit(&doctor, a.id, &bad).unwrap_err();
    assert!(matches!(err, CoreError::BadImage { .. }), "{err:?}");
    assert!(err.message(Lang::Ar).contains("لم يُحفظ شيء"));
    assert_eq!(clinic.change_count().unwrap(), before, "nothing written");
    let unknown_type = VisitInput {
        visit_type: Some("massage".into()),
        ..Default::default()
    };
    assert!(clinic.record_visit(&doctor, a.id, &unknown_type).is_err());
    let visit = clinic
        .record_visit(
            &doctor,
            a.id,
            &VisitInput {
                vitals: VitalsInput {
                    temperature: Some("38.2".into()),
                    blood_pressure: Some("130/85".into()),
                    ..Default::default()
                },
                diagnoses: vec!["Acute pharyngitis".into()],
                note: Some("Fluids, rest.".into()),
                photos: vec![tiny_jpeg()],
                visit_type: Some("follow-up".into()),
            },
        )
        .unwrap();
    assert_eq!(visit.vitals.temperature_dc, Some(382));
    assert_eq!(
        visit.visit_type, "follow-up",
        "the doctor says what the visit was"
    );
    assert_eq!(visit.photos.len(), 1);
    let thumb = clinic.photo(&doctor, &visit.photos[0], true).unwrap();
    assert!(image::load_from_memory(&thumb).is_ok());
    assert!(
        clinic.photo(&reception, &visit.photos[0], false).is_err(),
        "clinical photos are the doctors'"
    );
    let file = clinic.patient_file(&doctor, p).unwrap();
    assert_eq!(file.visits.unwrap()[0].notes, "Fluids, rest.");
    assert!(clinic.patient_file(&reception, p).unwrap().visits.is_none());
}

fn tiny_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[test]
fn a_bad_csv_line_is_reported_by_number_and_nothing_is_imported_unless_accepted() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let csv = "name,phone,gender,dob\nأحمد علي,01012345678,male,1980-02-01\nMona,12345,female,\nSara,01198765432,,2099-01-01\n\"Ali, Jr\",٠١٢٢٢٢٢٢٢٢٢,m,\n";
    let dry = clinic
        .import_patients(
            &reception,
            csv.as_bytes(),
            ImportOptions {
                dry_run: true,
                skip_bad_lines: false,
            },
        )
        .unwrap();
    assert_eq!(dry.lines, 4);
    assert_eq!(
        dry.bad.iter().map(|b| b.line).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(matches!(dry.bad[0].error, CoreError::InvalidPhone { .. }));
    assert_eq!(dry.imported, 0);
    let refused = clinic
        .import_patients(&reception, csv.as_bytes(), ImportOptions::default())
        .unwrap();
    assert_eq!(refused.imported, 0);
    assert!(
        clinic
            .search_patients(&reception, "احمد", 5)
            .unwrap()
            .is_empty(),
        "nothing imported"
    );
    let accepted = clinic
        .import_patients(
            &reception,
            csv.as_bytes(),
            ImportOptions {
                dry_run: false,
                skip_bad_lines: true,
            },
        )
        .unwrap();
    assert_eq!(accepted.imported, 2);
    assert_eq!(
        clinic.search_patients(&reception, "احمد", 5).unwrap().len(),
        1
    );
    assert_eq!(
        clinic
            .search_patients(&reception, "01222222222", 5)
            .unwrap()[0]
            .name,
        "Ali, Jr"
    );
    let no_header = clinic.import_patients(&reception, b"x,y\n1,2\n", ImportOptions::default());
    assert!(no_header.is_err());
}

#[test]
fn a_deactivated_account_cannot_log_in_and_the_owner_cannot_lock_themselves_out() {
    let f = fixture();
    let (mut clinic, owner, reception, _) = staffed(&f);
    assert!(
        clinic
            .set_staff_active(&reception, "dr.sara", false)
            .is_err(),
        "owner only"
    );
    clinic.set_staff_active(&owner, "dr.sara", false).unwrap();
    let err = clinic.login("dr.sara", STAFF_PASSWORD).unwrap_err();
    assert!(matches!(err, CoreError::AccountInactive { .. }), "{err:?}");
    assert!(clinic.set_staff_active(&owner, "owner", false).is_err());
    // An inactive doctor takes no new bookings.
    let p = patient(&mut clinic, &reception, "Omar", "01011111111");
    assert!(matches!(
        book(&mut clinic, &reception, p, "2030-01-05 10:00"),
        Err(CoreError::NotFound { .. })
    ));
    clinic.set_staff_active(&owner, "dr.sara", true).unwrap();
    clinic.login("dr.sara", STAFF_PASSWORD).unwrap();
    let names: Vec<_> = clinic
        .login_names()
        .unwrap()
        .into_iter()
        .map(|m| m.login)
        .collect();
    assert!(names.contains(&"dr.sara".to_string()));
}

#[test]
fn the_owner_edits_the_clinic_details_with_normalised_phones() {
    let f = fixture();
    let (mut clinic, owner, reception, _) = staffed(&f);
    let mut settings = clinic.settings(&owner).unwrap();
    assert_eq!(settings.name, "عيادة الشفاء");
    assert_eq!(settings.time_zone, "Africa/Cairo");
    settings.address = "12 شارع التحرير، الدقي، الجيزة".into();
    settings.latitude_e6 = Some(30_038_000);
    settings.longitude_e6 = Some(31_211_000);
    settings.phones = vec!["02 3333 4444".into(), "01012345678".into()];
    settings.email = "info@example.org".into();
    settings.time_zone = "Europe/London".into();
    assert!(clinic.update_settings(&reception, &settings).is_err());
    let saved = clinic.update_settings(&owner, &settings).unwrap();
    assert_eq!(
        saved.phones,
        vec!["+20233334444".to_string(), "+201012345678".to_string()]
    );
    assert_eq!(
        saved.time_zone, "Africa/Cairo",
        "the zone is fixed at creation"
    );
    drop(clinic);
    let mut clinic = Clinic::open(&f.dir, &f.key).unwrap();
    let owner = clinic.login("owner", PASSWORD).unwrap();
    assert_eq!(
        clinic.settings(&owner).unwrap().latitude_e6,
        Some(30_038_000)
    );
}

#[test]
fn a_walk_in_joins_todays_queue_arrived_without_taking_a_slot_or_making_a_conflict() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let p = patient(&mut clinic, &reception, "Karim", "01033333333");
    let q = patient(&mut clinic, &reception, "Nour", "01044444444");
    let walked = clinic
        .walk_in(&reception, p, "dr.sara", "examination")
        .unwrap();
    assert_eq!(walked.status, Status::Arrived);
    assert_eq!(walked.source, ayada_core::appointments::WALK_IN);
    let today = clinic.time().today();
    let queue = clinic.appointments(&reception, today).unwrap();
    let row = queue.iter().find(|r| r.id == walked.id).unwrap();
    assert_eq!(row.status, Status::Arrived);
    assert_eq!(row.doctor_name, "د. سارة", "the queue names the doctor");
    assert_eq!(row.source, "walk-in");

    // A booking at the very minute the walk-in came is not refused and is no conflict.
    let now = clinic.time().local(jiff::Timestamp::now());
    let at = format!("{} {}", now.date(), now.strftime("%H:%M"));
    book(&mut clinic, &reception, q, &at).unwrap();
    assert!(clinic.conflicts(&reception).unwrap().is_empty());

    // Today's free slots never offer one that is over (20-minute slots).
    let earliest = (now.clone() - jiff::SignedDuration::from_mins(20))
        .strftime("%H:%M")
        .to_string();
    for slot in clinic.free_slots(&reception, "dr.sara", today).unwrap() {
        assert!(
            now.hour() == 0 && now.minute() < 20 || slot > earliest,
            "{slot} is over at {now}"
        );
    }
    // A walk-in needs a patient the clinic knows and a real doctor.
    assert!(clinic
        .walk_in(&reception, p, "reception", "examination")
        .is_err());
}

#[test]
fn a_booking_request_holds_its_slot_until_the_desk_confirms_or_declines_it() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let mona = patient(&mut clinic, &reception, "Mona", "01055555555");
    let hany = patient(&mut clinic, &reception, "Hany", "01066666666");
    let laila = patient(&mut clinic, &reception, "Laila", "01077777777");
    clinic.set_clock(Some(instant(&clinic, "2027-03-08 09:00")));
    let asked = clinic
        .request_booking(&reception, &booking(mona, "2027-03-10 10:00"))
        .unwrap();
    assert_eq!(asked.status, Status::Requested);
    assert!(
        matches!(
            book(&mut clinic, &reception, hany, "2027-03-10 10:00"),
            Err(CoreError::SlotTaken { .. })
        ),
        "a request holds its slot"
    );
    let later = clinic
        .request_booking(&reception, &booking(laila, "2027-03-11 11:00"))
        .unwrap();
    let past = clinic
        .request_booking(&reception, &booking(hany, "2027-03-07 12:00"))
        .unwrap();
    let open: Vec<_> = clinic
        .booking_requests(&reception)
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.patient, r.doctor_name))
        .collect();
    assert_eq!(
        open,
        [
            (asked.id, "Mona".to_string(), "د. سارة".to_string()),
            (later.id, "Laila".to_string(), "د. سارة".to_string())
        ],
        "every day's open requests from today on, not a day that is over"
    );
    assert!(clinic
        .set_appointment_status(&reception, past.id, Status::Arrived, None)
        .is_err());

    clinic
        .set_appointment_status(&reception, asked.id, Status::Booked, None)
        .unwrap();
    clinic
        .set_appointment_status(&reception, later.id, Status::Cancelled, Some("Declined"))
        .unwrap();
    let open = clinic.booking_requests(&reception).unwrap();
    assert!(open.is_empty(), "{open:?}");
    book(&mut clinic, &reception, hany, "2027-03-11 11:00")
        .expect("a declined request frees its slot");

    // The waiting time counts from the check-in: Mona comes twenty minutes late.
    clinic.set_clock(Some(instant(&clinic, "2027-03-10 10:20")));
    clinic
        .set_appointment_status(&reception, asked.id, Status::Arrived, None)
        .unwrap();
    let day = parse_date("2027-03-10").unwrap();
    let row = clinic
        .appointments(&reception, day)
        .unwrap()
        .into_iter()
        .find(|r| r.id == asked.id)
        .unwrap();
    assert_eq!(
        row.arrived_at,
        Some(instant(&clinic, "2027-03-10 10:20").as_second())
    );
    assert_eq!(
        row.starts_at,
        instant(&clinic, "2027-03-10 10:00").as_second()
    );
    // And it survives a rebuild from the documents.
    clinic.rebuild_projections().unwrap();
    let again = clinic.appointments(&reception, day).unwrap();
    assert_eq!(again.iter().find(|r| r.id == asked.id), Some(&row));
}

#[test]
fn a_version_3_database_gains_check_in_times_and_keeps_its_bookings() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let p = patient(&mut clinic, &reception, "Samir", "01088888888");
    clinic.set_clock(Some(instant(&clinic, "2027-04-04 09:50")));
    let a = book(&mut clinic, &reception, p, "2027-04-04 10:00").unwrap();
    clinic
        .set_appointment_status(&reception, a.id, Status::Arrived, None)
        .unwrap();
    drop(clinic);
    // What an Ayada of schema 3 left on disk: no arrived_at column, nor what came later.
    raw_connection(&f)
        .execute_batch(
            "ALTER TABLE appointments DROP COLUMN arrived_at;
             DROP TABLE held_changes;
             UPDATE meta SET value = '3' WHERE key = 'schema_version';",
        )
        .unwrap();

    let mut clinic = Clinic::open(&f.dir, &f.key).unwrap();
    let day = parse_date("2027-04-04").unwrap();
    let row = |clinic: &mut Clinic| {
        clinic
            .appointments(&reception, day)
            .unwrap()
            .into_iter()
            .find(|r| r.id == a.id)
            .unwrap()
    };
    assert_eq!(row(&mut clinic).status, Status::Arrived);
    clinic.rebuild_projections().unwrap();
    assert_eq!(
        row(&mut clinic).arrived_at,
        Some(instant(&clinic, "2027-04-04 09:50").as_second()),
        "the check-in time comes back from the document"
    );
    let version: String = raw_connection(&f)
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, ayada_core::store::SCHEMA_VERSION.to_string());
}

#[test]
fn the_desk_sees_whether_its_drawer_is_open_and_since_when_but_not_its_money() {
    let f = fixture();
    let (mut clinic, owner, reception, doctor) = staffed(&f);
    assert_eq!(clinic.open_shift_here(&reception).unwrap(), None);
    let nine = clinic
        .time()
        .instant(
            parse_date("2026-11-23").unwrap(),
            parse_time("09:45").unwrap(),
        )
        .unwrap();
    clinic.set_clock(Some(nine));
    let opened = clinic.open_shift(&reception, Money(50_000)).unwrap();
    let open = clinic.open_shift_here(&reception).unwrap().unwrap();
    assert_eq!(open.id, opened.id);
    assert_eq!(open.opened_by, "reception");
    assert_eq!(open.opened_by_name, "منى");
    assert_eq!(open.opened_at, "2026-11-23 09:45", "on the clinic's clock");
    let shown = serde_json::to_string(&open).unwrap();
    assert!(
        !shown.contains("500"),
        "no float in what the desk reads: {shown}"
    );
    assert_eq!(clinic.open_shift_here(&owner).unwrap(), Some(open));
    assert!(matches!(
        clinic.open_shift_here(&doctor),
        Err(CoreError::Forbidden { .. })
    ));
    clinic.close_shift(&reception, Money(50_000), "").unwrap();
    assert_eq!(clinic.open_shift_here(&reception).unwrap(), None);
}
