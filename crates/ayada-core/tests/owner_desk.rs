//! The owner's desk: day closes that never change, late entries carried forward, the month,
//! revenue trends, receipts, backup and restore, export; and that only the owner gets them.

use ayada_core::appointments::{Booking, Status};
use ayada_core::cashbook::Method;
use ayada_core::demo::DemoOptions;
use ayada_core::ids::{AppointmentId, PatientId};
use ayada_core::replication::IncomingChange;
use ayada_core::reports::{Period, ServerCheck};
use ayada_core::time::{parse_date, parse_time};
use ayada_core::visits::{VisitInput, VitalsInput};
use ayada_core::{Clinic, CoreError, KeySource, Money, Session};
use jiff::civil::Date;

mod support;

const PW: &str = "owner-pass-1";

struct Machine {
    clinic: Clinic,
    owner: Option<Session>,
    desk: Option<Session>,
    _tmp: tempfile::TempDir,
}

fn first_machine() -> Machine {
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner) = support::new_clinic(tmp.path(), "عيادة النور", PW);
    support::add_desk_and_doctor(&mut clinic, &owner, "desk", PW);
    clinic
        .set_visit_type(&owner, "examination", Money(30_000), Some(20))
        .unwrap();
    clinic.add_insurer(&owner, "AXA Egypt").unwrap();
    support::sara_works(
        &mut clinic,
        &owner,
        "sat,sun,mon,tue,wed,thu,fri",
        "09:00",
        "21:00",
    );
    let desk = clinic.login("desk", PW).unwrap();
    Machine {
        clinic,
        owner: Some(owner),
        desk: Some(desk),
        _tmp: tmp,
    }
}

fn joining_machine(from: &Machine) -> Machine {
    let (clinic, _tmp) = support::joining_in_temp(&from.clinic);
    Machine {
        clinic,
        owner: None,
        desk: None,
        _tmp,
    }
}

/// Gives `to` everything `from` holds (each machine's whole log; duplicates are ignored).
fn sync(from: &Machine, to: &mut Machine) {
    let all: Vec<IncomingChange> = from
        .clinic
        .changes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(Into::into)
        .collect();
    let report = to.clinic.apply_changes(&all).unwrap();
    assert!(report.refused.is_empty() && report.deferred.is_empty());
}

fn at(m: &mut Machine, date: &str, time: &str) {
    let zoned = parse_date(date)
        .unwrap()
        .to_datetime(parse_time(time).unwrap())
        .in_tz("Africa/Cairo")
        .unwrap();
    m.clinic.set_clock(Some(zoned.timestamp()));
}

fn day(text: &str) -> Date {
    parse_date(text).unwrap()
}

fn patient(m: &mut Machine, name: &str, phone: &str) -> PatientId {
    let desk = m.desk.clone().unwrap();
    support::patient(&mut m.clinic, &desk, name, phone)
}

fn booked(m: &mut Machine, p: PatientId, date: &str, time: &str) -> AppointmentId {
    let desk = m.desk.clone().unwrap();
    m.clinic
        .book(
            &desk,
            &Booking {
                patient: p,
                doctor_login: "dr.sara".into(),
                date: parse_date(date).unwrap(),
                time: parse_time(time).unwrap(),
                visit_type: "examination".into(),
            },
        )
        .unwrap()
        .id
}

fn no_check() -> ServerCheck {
    ServerCheck {
        asked: false,
        caught_up: false,
        detail: "this machine is not connected to a sync server".into(),
    }
}

#[test]
fn a_closed_day_never_changes_and_a_late_payment_goes_on_the_next_report() {
    let mut a = first_machine();
    let mut b = joining_machine(&a);
    sync(&a, &mut b);
    b.desk = Some(b.clinic.login("desk", PW).unwrap());
    let (desk_a, owner) = (a.desk.clone().unwrap(), a.owner.clone().unwrap());
    let desk_b = b.desk.clone().unwrap();

    // Day one at the front desk (machine A).
    at(&mut a, "2026-11-18", "09:30");
    a.clinic.open_shift(&desk_a, Money(50_000)).unwrap();
    let p1 = patient(&mut a, "أحمد علي", "01011111111");
    let p2 = patient(&mut a, "Mona Adel", "01022222222");
    let ap1 = booked(&mut a, p1, "2026-11-18", "10:00");
    let ap2 = booked(&mut a, p2, "2026-11-18", "10:20");
    at(&mut a, "2026-11-18", "10:05");
    a.clinic
        .pay(&desk_a, ap1, Money(30_000), Method::Cash, None)
        .unwrap();
    a.clinic
        .add_expense(&desk_a, Money(4_500), "supplies", "gauze")
        .unwrap();
    sync(&a, &mut b);

    // Machine B takes a payment while its network is down.
    at(&mut b, "2026-11-18", "11:00");
    b.clinic.open_shift(&desk_b, Money(10_000)).unwrap();
    b.clinic
        .pay(
            &desk_b,
            ap2,
            Money(25_000),
            Method::Insurance,
            Some("AXA Egypt"),
        )
        .unwrap();
    b.clinic
        .pay(&desk_b, ap2, Money(5_000), Method::Cash, None)
        .unwrap();
    b.clinic.close_shift(&desk_b, Money(15_000), "").unwrap();

    // The owner closes the day on A without B's entries.
    at(&mut a, "2026-11-18", "21:00");
    a.clinic.close_shift(&desk_a, Money(75_500), "").unwrap();
    let z1 = a
        .clinic
        .close_day(&owner, day("2026-11-18"), no_check())
        .unwrap();
    assert_eq!(z1.number, Some(1));
    assert_eq!(z1.totals.net_revenue, Money(30_000));
    assert_eq!(z1.totals.total_expenses, Money(4_500));
    assert_eq!(z1.totals.net_cash, Money(25_500));
    assert_eq!(z1.entry_ids.len(), 2);
    assert_eq!(z1.shifts.len(), 1);
    assert_eq!(z1.shifts[0].difference, Some(Money::ZERO));
    assert!(z1.late.is_empty());
    let err = a
        .clinic
        .close_day(&owner, day("2026-11-18"), no_check())
        .unwrap_err();
    assert!(
        matches!(err, CoreError::DayClosed { number: 1, .. }),
        "{err}"
    );

    // B comes back online.
    sync(&b, &mut a);
    sync(&a, &mut b);
    let again = a.clinic.day_report(&owner, day("2026-11-18")).unwrap();
    assert_eq!(again, z1, "the closed report is exactly as it was closed");
    let seen_on_b = {
        let owner_b = b.clinic.login("owner", PW).unwrap();
        b.clinic.day_report(&owner_b, day("2026-11-18")).unwrap()
    };
    assert_eq!(seen_on_b, z1, "every machine shows the same closed report");

    // The next day's report carries B's two payments, flagged as late.
    at(&mut a, "2026-11-19", "21:00");
    let preview = a.clinic.day_report(&owner, day("2026-11-19")).unwrap();
    assert_eq!(preview.number, None);
    assert_eq!(preview.late.len(), 2);
    assert!(preview.late.iter().all(|l| l.date == "2026-11-18"));
    let z2 = a
        .clinic
        .close_day(&owner, day("2026-11-19"), no_check())
        .unwrap();
    assert_eq!(z2.number, Some(2));
    assert_eq!(z2.totals.net_revenue, Money(30_000));
    assert_eq!(
        z2.totals
            .by_insurer
            .iter()
            .map(|l| (l.key.as_str(), l.amount))
            .collect::<Vec<_>>(),
        vec![("AXA Egypt", Money(25_000))]
    );
    assert_eq!(z2.late.len(), 2);
    // Carried once: the day after shows nothing late.
    let z3_preview = a.clinic.day_report(&owner, day("2026-11-20")).unwrap();
    assert!(z3_preview.late.is_empty());
    // B's closed shift shows with its own figures on day one's machine list.
    let closes = a.clinic.day_closes(&owner).unwrap();
    assert_eq!(
        closes.iter().map(|c| c.number).collect::<Vec<_>>(),
        vec![2, 1]
    );
    // A day that has not come cannot be closed.
    let err = a
        .clinic
        .close_day(&owner, day("2026-11-21"), no_check())
        .unwrap_err();
    assert!(matches!(err, CoreError::Invalid { .. }), "{err}");
    // Rebuilding the projections from the documents gives the same closes.
    let before = a.clinic.projection_snapshot().unwrap();
    a.clinic.rebuild_projections().unwrap();
    assert_eq!(a.clinic.projection_snapshot().unwrap(), before);
}

#[test]
fn only_the_owner_reads_reports_and_only_the_front_desk_and_owner_print_receipts() {
    let mut a = first_machine();
    let desk = a.desk.clone().unwrap();
    let owner = a.owner.clone().unwrap();
    let doctor = a.clinic.login("dr.sara", PW).unwrap();
    at(&mut a, "2026-11-18", "09:30");
    a.clinic.open_shift(&desk, Money(0)).unwrap();
    let p = patient(&mut a, "هالة", "01033333333");
    let ap = booked(&mut a, p, "2026-11-18", "10:00");
    let paid = a
        .clinic
        .pay(&desk, ap, Money(30_000), Method::Cash, None)
        .unwrap();
    let d = day("2026-11-18");
    let tmp = tempfile::tempdir().unwrap();
    for who in [&desk, &doctor] {
        let denied = [
            a.clinic.day_report(who, d).err(),
            a.clinic.close_day(who, d, no_check()).err(),
            a.clinic.month_report(who, d).err(),
            a.clinic.revenue(who, d, d, Period::Day).err(),
            a.clinic.day_closes(who).err(),
            a.clinic
                .backup(who, &tmp.path().join("b"), "long-passphrase")
                .err(),
            a.clinic.export(who, &tmp.path().join("e")).err(),
        ];
        for err in denied {
            assert!(matches!(err, Some(CoreError::Forbidden { .. })), "{err:?}");
        }
    }
    assert!(!tmp.path().join("b").exists() && !tmp.path().join("e").exists());
    let receipt = a.clinic.receipt(&desk, paid.id).unwrap();
    assert_eq!(receipt.patient, "هالة");
    assert_eq!(receipt.doctor, "د. سارة");
    assert_eq!(receipt.amount, Money(30_000));
    assert_eq!(receipt.recorded_by, "منى");
    assert_eq!(a.clinic.receipt(&owner, paid.id).unwrap(), receipt);
    assert!(matches!(
        a.clinic.receipt(&doctor, paid.id),
        Err(CoreError::Forbidden { .. })
    ));
    let denials = a
        .clinic
        .audit_log(&owner, 100)
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "denied")
        .count();
    assert_eq!(denials, 15, "every refusal is audited");
}

#[test]
fn the_month_and_the_trends_add_up_to_the_cashbook_of_a_generated_month() {
    let mut a = first_machine();
    let owner = a.owner.clone().unwrap();
    a.clinic
        .generate_demo(
            &owner,
            &DemoOptions {
                days: 45,
                staff_password: PW.into(),
                seed: 7,
            },
        )
        .unwrap();
    let today = a.clinic.time().today();
    let month_start = today
        .first_of_month()
        .checked_sub(jiff::ToSpan::months(1))
        .unwrap();
    let month = a.clinic.month_report(&owner, month_start).unwrap();
    assert_eq!(month.days.len() as i8, month_start.days_in_month());
    let mut net = 0;
    let mut payments = 0;
    for d in &month.days {
        let cash = a.clinic.cash_summary(&owner, day(&d.date)).unwrap();
        let day_payments: i64 = cash.payments.values().map(|m| m.minor()).sum();
        assert_eq!(d.payments.minor(), day_payments, "{}", d.date);
        assert_eq!(d.net_revenue, cash.net_revenue, "{}", d.date);
        net += cash.net_revenue.minor();
        payments += day_payments;
    }
    assert!(payments > 0, "the generated month has payments");
    assert_eq!(month.totals.net_revenue.minor(), net);
    assert_eq!(month.totals.total_payments.minor(), payments);
    let by_method: i64 = month.totals.payments.iter().map(|l| l.amount.minor()).sum();
    assert_eq!(by_method, payments);
    let by_doctor: i64 = month
        .totals
        .by_doctor
        .iter()
        .map(|l| l.amount.minor())
        .sum();
    assert_eq!(by_doctor, net);
    assert!(month.visits > 0);

    let last = month_start.last_of_month();
    for period in [Period::Day, Period::Week, Period::Month] {
        let buckets = a.clinic.revenue(&owner, month_start, last, period).unwrap();
        let total: i64 = buckets.iter().map(|b| b.revenue.minor()).sum();
        assert_eq!(total, net, "{period:?}");
        let visits: i64 = buckets.iter().map(|b| b.visits).sum();
        assert_eq!(visits, month.visits, "{period:?}");
        for b in &buckets {
            let doctors: i64 = b.by_doctor.values().map(|m| m.minor()).sum();
            let methods: i64 = b.by_method.values().map(|m| m.minor()).sum();
            assert_eq!((doctors, methods), (b.revenue.minor(), b.revenue.minor()));
        }
    }
    let days = a
        .clinic
        .revenue(&owner, month_start, last, Period::Day)
        .unwrap();
    assert_eq!(days.len(), month.days.len(), "empty days are buckets too");
}

#[test]
fn backup_and_restore_give_the_same_documents_under_a_new_key_and_machine() {
    let mut a = first_machine();
    let owner = a.owner.clone().unwrap();
    let desk = a.desk.clone().unwrap();
    let doctor = a.clinic.login("dr.sara", PW).unwrap();
    at(&mut a, "2026-11-18", "09:30");
    a.clinic.open_shift(&desk, Money(0)).unwrap();
    let p = patient(&mut a, "سلمى", "01044444444");
    let ap = booked(&mut a, p, "2026-11-18", "10:00");
    a.clinic
        .set_appointment_status(&desk, ap, Status::Arrived, None)
        .unwrap();
    // The machine has a LAN key and has met a peer: neither may pass to a restored copy.
    a.clinic.set_lan_identity(b"cert", b"secret key").unwrap();
    a.clinic.set_peer_cursors("0190-peer", 3, 4).unwrap();
    let mut png = Vec::new();
    image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    a.clinic
        .record_visit(
            &doctor,
            ap,
            &VisitInput {
                vitals: VitalsInput::default(),
                diagnoses: vec!["J06.9".into()],
                note: Some("ملاحظة".into()),
                photos: vec![png],
                ..Default::default()
            },
        )
        .unwrap();
    a.clinic
        .pay(&desk, ap, Money(30_000), Method::Cash, None)
        .unwrap();
    a.clinic
        .close_day(&owner, day("2026-11-18"), no_check())
        .unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("clinic.ayada-backup");
    let err = a.clinic.backup(&owner, &file, "short").unwrap_err();
    assert!(matches!(err, CoreError::Invalid { .. }), "{err}");
    let report = a
        .clinic
        .backup(&owner, &file, "correct horse battery")
        .unwrap();
    assert!(report.documents > 0 && report.bytes > 0);
    let err = a
        .clinic
        .backup(&owner, &file, "correct horse battery")
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Invalid { .. }),
        "never overwrites: {err}"
    );
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes.windows(6).any(|w| w == "سلمى".as_bytes()),
        "the backup is encrypted"
    );

    let target = tmp.path().join("restored");
    let key = KeySource::KeyFile(tmp.path().join("restored.key"));
    let err = Clinic::restore(&target, &key, &file, "wrong passphrase")
        .err()
        .unwrap();
    assert!(matches!(err, CoreError::BadBackup { .. }), "{err}");
    assert!(!target.join("clinic.db").exists(), "nothing left behind");
    let garbage = tmp.path().join("garbage");
    std::fs::write(&garbage, b"not a backup at all").unwrap();
    assert!(matches!(
        Clinic::restore(&target, &key, &garbage, "correct horse battery").err(),
        Some(CoreError::BadBackup { .. })
    ));

    let mut restored = Clinic::restore(&target, &key, &file, "correct horse battery").unwrap();
    assert_eq!(
        restored.document_heads().unwrap(),
        a.clinic.document_heads().unwrap()
    );
    assert_eq!(
        restored.projection_snapshot().unwrap(),
        a.clinic.projection_snapshot().unwrap()
    );
    assert_eq!(restored.id(), a.clinic.id());
    assert_ne!(
        restored.node(),
        a.clinic.node(),
        "a restored store is a new machine"
    );
    assert!(restored.sync_settings().unwrap().is_none());
    assert!(restored.lan_identity().unwrap().is_none());
    assert_eq!(restored.peer_cursors("0190-peer").unwrap(), (0, 0));
    let owner_r = restored.login("owner", PW).unwrap();
    restored.verify_audit(&owner_r).unwrap();
    let doctor_r = restored.login("dr.sara", PW).unwrap();
    let file_r = restored.patient_file(&doctor_r, p).unwrap();
    let sha = file_r.visits.unwrap()[0].photos[0].clone();
    assert!(!restored.photo(&doctor_r, &sha, false).unwrap().is_empty());
    drop(restored);
    let err = Clinic::restore(&target, &key, &file, "correct horse battery")
        .err()
        .unwrap();
    assert!(matches!(err, CoreError::ClinicExists { .. }), "{err}");

    // Export: CSV and JSON another system can read, photos as files, no password hashes.
    let out = tmp.path().join("export");
    let exported = a.clinic.export(&owner, &out).unwrap();
    assert_eq!(exported.photos, 1);
    let staff_csv = std::fs::read_to_string(out.join("staff.csv")).unwrap();
    assert!(!staff_csv.contains("password") && !staff_csv.contains("argon2"));
    assert!(staff_csv.contains("د. سارة"));
    let patients: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("patients.json")).unwrap()).unwrap();
    assert_eq!(patients[0]["name"], "سلمى");
    let mut reader = csv::Reader::from_path(out.join("cash_entries.csv")).unwrap();
    let amounts: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[reader_column("cash_entries.csv", &out, "amount")].to_string())
        .collect();
    assert_eq!(amounts, vec!["30000"]);
    let photo = std::fs::read_dir(out.join("photos"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    image::open(&photo).expect("the exported photo is an image file");
    let err = a.clinic.export(&owner, &out).unwrap_err();
    assert!(matches!(err, CoreError::Invalid { .. }), "{err}");
    let actions: Vec<String> = a
        .clinic
        .audit_log(&owner, 50)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.contains(&"backup".to_string()) && actions.contains(&"export".to_string()));
}

fn reader_column(file: &str, dir: &std::path::Path, name: &str) -> usize {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap()
}
