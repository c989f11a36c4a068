//! The clinic's encrypted store on disk: wrong keys and key sources, no record text in the
//! files, a cut or edited audit chain, a corrupt photo, and an older database migrated.

use ayada_core::appointments::Status;
use ayada_core::time::parse_date;
use ayada_core::visits::{VisitInput, VitalsInput};
use ayada_core::{Clinic, CoreError, KeySource, Lang};

mod support;

use support::fixture::*;
use support::patient;

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
                follow_up_days: None,
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
             DROP INDEX appointments_follow_up; DROP INDEX visits_follow_up; DROP INDEX cash_patient;
             ALTER TABLE appointments DROP COLUMN moves;
             ALTER TABLE appointments DROP COLUMN follow_up_of;
             ALTER TABLE visits DROP COLUMN follow_up_due;
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
