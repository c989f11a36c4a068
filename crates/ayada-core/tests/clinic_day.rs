//! A clinic's life through the public API, on a real SQLCipher file.

use ayada_core::appointments::Status;
use ayada_core::demo::DemoOptions;
use ayada_core::import::ImportOptions;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::{Clinic, CoreError};

mod support;

use support::fixture::*;
use support::patient;

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
fn a_bad_csv_line_is_reported_by_number_and_nothing_is_imported_unless_accepted() {
    let f = fixture();
    let (mut clinic, _, reception, _) = staffed(&f);
    let csv = "name,phone,gender,dob\nأحمد علي,01012345678,male,1980-02-01\nMona,12345,female,\nSara,01198765432,,2099-01-01\n\"Ali, Jr\",٠١٢٢٢٢٢٢٢٢٢,m,\n";
    let dry = clinic
        .import_patients(
            &reception,
            csv.as_bytes(),
            &ImportOptions {
                dry_run: true,
                skip_bad_lines: false,
                ..Default::default()
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
        .import_patients(&reception, csv.as_bytes(), &ImportOptions::default())
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
            &ImportOptions {
                dry_run: false,
                skip_bad_lines: true,
                ..Default::default()
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
    let no_header = clinic.import_patients(&reception, b"x,y\n1,2\n", &ImportOptions::default());
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
    let (mut clinic, owner, reception, _) = staffed(&f);
    // Noon today, and Dr. Sara works today whatever weekday it is: a booking must fall in
    // her hours.
    let today = clinic.time().today();
    let noon = clinic
        .time()
        .instant(today, ayada_core::time::parse_time("12:00").unwrap())
        .unwrap();
    clinic.set_clock(Some(noon));
    let hours = vec![ayada_core::schedules::Hours {
        from: "08:00".into(),
        to: "20:00".into(),
    }];
    clinic
        .set_schedule_exception(&owner, "dr.sara", today, hours)
        .unwrap();
    let p = patient(&mut clinic, &reception, "Karim", "01033333333");
    let q = patient(&mut clinic, &reception, "Nour", "01044444444");
    let walked = clinic
        .walk_in(&reception, p, "dr.sara", "examination")
        .unwrap();
    assert_eq!(walked.status, Status::Arrived);
    assert_eq!(walked.source, ayada_core::appointments::WALK_IN);
    let queue = clinic.appointments(&reception, today).unwrap();
    let row = queue.iter().find(|r| r.id == walked.id).unwrap();
    assert_eq!(row.status, Status::Arrived);
    assert_eq!(row.doctor_name, "د. سارة", "the queue names the doctor");
    assert_eq!(row.source, "walk-in");

    // A booking at the very minute the walk-in came is not refused and is no conflict.
    let now = clinic.time().local(noon);
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
