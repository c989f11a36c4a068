//! The front desk's second day: moving bookings (here and across machines that worked
//! apart), a doctor's absence, follow-ups asked for at the visit, and a patient's history at
//! a glance. Days are counted from the clinic's today and both doctors work every day, so
//! the tests hold on any weekday and at any hour.

use ayada_core::appointments::{Appointment, AppointmentRow, Booking, Move, Status};
use ayada_core::cashbook::Method;
use ayada_core::ids::PatientId;
use ayada_core::time::parse_time;
use ayada_core::visits::VisitInput;
use ayada_core::{Clinic, CoreError, Money, Role, Session};
use jiff::civil::Date;

mod support;

use support::fixture::{fixture, staffed, STAFF_PASSWORD};
use support::machines::{first_machine, joining_machine, login, pull, Machine};

/// The clinic's day `n` days from today.
fn day(clinic: &Clinic, n: i64) -> Date {
    clinic
        .time()
        .today()
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
}

/// Dr. Sara and Dr. Omar both work every day from 10:00 to 14:00, 20-minute slots.
fn both_doctors_every_day(clinic: &mut Clinic, owner: &Session) {
    clinic
        .add_staff(owner, "د. عمر", "dr.omar", Role::Doctor, STAFF_PASSWORD)
        .unwrap();
    for doctor in ["dr.sara", "dr.omar"] {
        clinic
            .set_schedule(
                owner,
                doctor,
                ayada_core::schedules::parse_days("sat,sun,mon,tue,wed,thu,fri").unwrap(),
                vec![ayada_core::schedules::Hours {
                    from: "10:00".into(),
                    to: "14:00".into(),
                }],
                20,
            )
            .unwrap();
    }
}

fn book_at(
    clinic: &mut Clinic,
    s: &Session,
    patient: PatientId,
    doctor: &str,
    date: Date,
    time: &str,
) -> Result<ayada_core::appointments::Appointment, CoreError> {
    clinic.book(
        s,
        &Booking {
            patient,
            doctor_login: doctor.into(),
            date,
            time: parse_time(time).unwrap(),
            visit_type: "examination".into(),
        },
    )
}

fn to(date: Date, time: &str, doctor: Option<&str>) -> Move {
    Move {
        date,
        time: parse_time(time).unwrap(),
        doctor_login: doctor.map(str::to_string),
    }
}

#[test]
fn a_booking_moves_to_another_time_day_or_doctor_keeping_its_id_and_history() {
    let f = fixture();
    let (mut c, owner, desk, _doctor) = staffed(&f);
    both_doctors_every_day(&mut c, &owner);
    let laila = support::patient(&mut c, &desk, "ليلى حسن", "01012345678");
    let (d1, d2) = (day(&c, 2), day(&c, 3));
    let booked = book_at(&mut c, &desk, laila, "dr.sara", d1, "10:00").unwrap();
    let report_before = c.day_report(&owner, d1).unwrap();

    // Ten minutes later on the same day: its own old place is not a clash.
    let moved = c
        .move_appointment(&desk, booked.id, &to(d1, "10:10", None))
        .unwrap();
    assert_eq!(moved.id, booked.id);
    assert_eq!(moved.moves.len(), 1);
    assert_eq!(moved.moves[0].from_at, booked.starts_at);
    assert_eq!(moved.moves[0].by, "reception");
    let row = c.appointments(&desk, d1).unwrap();
    assert_eq!(row.len(), 1);
    assert!(row[0].at.ends_with("10:10"), "{}", row[0].at);
    assert_eq!(row[0].moves, 1);

    // Another day, then another doctor: it leaves the first day's list whole.
    c.move_appointment(&desk, booked.id, &to(d2, "11:00", None))
        .unwrap();
    assert!(c.appointments(&desk, d1).unwrap().is_empty());
    let moved = c
        .move_appointment(&desk, booked.id, &to(d2, "11:00", Some("dr.omar")))
        .unwrap();
    let rows = c.appointments(&desk, d2).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].id, rows[0].doctor.as_str()),
        (booked.id, "dr.omar")
    );
    assert_eq!(rows[0].status, Status::Booked);
    assert_eq!(moved.moves.len(), 3, "each move is kept: {:?}", moved.moves);

    // A move is not a cancellation: no day counts one, and the booking counts where it is.
    let first = c.day_report(&owner, d1).unwrap();
    let second = c.day_report(&owner, d2).unwrap();
    assert_eq!((first.cancelled, second.cancelled), (0, 0));
    assert_eq!(report_before.bookings, 1);
    assert_eq!((first.bookings, second.bookings), (0, 1));
    // The move is in the audit log, by whom.
    let audit = c.audit_log(&owner, 20).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.action == "appointment-move" && r.actor == "reception")
            .count(),
        3
    );
}

#[test]
fn a_move_is_checked_like_a_new_booking() {
    let f = fixture();
    let (mut c, owner, desk, doctor) = staffed(&f);
    both_doctors_every_day(&mut c, &owner);
    let a = support::patient(&mut c, &desk, "أحمد", "01111111111");
    let b = support::patient(&mut c, &desk, "منى", "01222222222");
    let d1 = day(&c, 2);
    let first = book_at(&mut c, &desk, a, "dr.sara", d1, "10:00").unwrap();
    book_at(&mut c, &desk, b, "dr.sara", d1, "11:00").unwrap();

    let taken = c.move_appointment(&desk, first.id, &to(d1, "10:50", None));
    assert!(
        matches!(taken, Err(CoreError::SlotTaken { .. })),
        "{taken:?}"
    );
    let yesterday = day(&c, -1);
    let past = c.move_appointment(&desk, first.id, &to(yesterday, "10:00", None));
    assert!(
        matches!(&past, Err(CoreError::Invalid { reason, .. }) if reason == "move-into-past"),
        "{past:?}"
    );
    let same = c.move_appointment(&desk, first.id, &to(d1, "10:00", None));
    assert!(
        matches!(&same, Err(CoreError::Invalid { reason, .. }) if reason == "move-same-slot"),
        "{same:?}"
    );
    // Outside her hours (10:00-14:00), or running past their end, like a new booking.
    for late in ["15:00", "13:50", "09:40"] {
        let refused = c.move_appointment(&desk, first.id, &to(d1, late, None));
        assert!(
            matches!(&refused, Err(CoreError::Invalid { reason, .. }) if reason == "outside-hours"),
            "{late}: {refused:?}"
        );
    }
    let new_late = book_at(&mut c, &desk, b, "dr.sara", d1, "14:00");
    assert!(new_late.is_err(), "{new_late:?}");
    let nobody = c.move_appointment(&desk, first.id, &to(d1, "12:00", Some("reception")));
    assert!(
        matches!(nobody, Err(CoreError::NotFound { .. })),
        "{nobody:?}"
    );
    // A doctor may move a booking too (Book is theirs); the owner marks Omar away on d1.
    c.mark_absent(&owner, "dr.omar", d1, d1, "مؤتمر").unwrap();
    let away = c.move_appointment(&doctor, first.id, &to(d1, "12:00", Some("dr.omar")));
    assert!(
        matches!(away, Err(CoreError::DoctorAbsent { .. })),
        "{away:?}"
    );
    let message = away.unwrap_err().message(ayada_core::Lang::Ar);
    assert!(message.contains("غائب"), "{message}");

    // A booking under way is not moved; nothing above changed it.
    c.set_appointment_status(&desk, first.id, Status::Arrived, None)
        .unwrap();
    let begun = c.move_appointment(&desk, first.id, &to(d1, "12:00", None));
    assert!(
        matches!(&begun, Err(CoreError::Invalid { reason, .. }) if reason == "move-not-waiting"),
        "{begun:?}"
    );
    let rows = c.appointments(&desk, d1).unwrap();
    assert_eq!(rows.iter().map(|r| r.moves).sum::<i64>(), 0);
}

/// Two machines of one clinic that both hold Laila's booking at 10:00 two days from now,
/// and a desk logged in on each.
fn a_booking_on_two_machines() -> (Vec<Machine>, [Session; 2], Appointment, Date) {
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    let desk_a = login(&mut machines[0], "desk");
    let d1 = day(&machines[0].clinic, 2);
    let p = support::patient(&mut machines[0].clinic, &desk_a, "ليلى", "01012345678");
    let booked = book_at(&mut machines[0].clinic, &desk_a, p, "dr.sara", d1, "10:00").unwrap();
    pull(&mut machines, 1, 0);
    let desk_b = login(&mut machines[1], "desk");
    (machines, [desk_a, desk_b], booked, d1)
}

/// After the last exchange: on both machines the day's one booking passes `check` and no
/// conflict is left.
fn both_agree(
    machines: &mut [Machine],
    desks: [&Session; 2],
    d1: Date,
    check: impl Fn(&AppointmentRow),
) {
    for (m, s) in machines.iter_mut().zip(desks) {
        let rows = m.clinic.appointments(s, d1).unwrap();
        check(&rows[0]);
        assert!(m.clinic.conflicts(s).unwrap().is_empty());
    }
}

#[test]
fn two_machines_moving_one_booking_apart_end_the_same_and_list_it_to_settle() {
    let (mut machines, [desk_a, desk_b], booked, d1) = a_booking_on_two_machines();

    // Apart: one desk moves it to 11:00, the other to 12:00.
    machines[0]
        .clinic
        .move_appointment(&desk_a, booked.id, &to(d1, "11:00", None))
        .unwrap();
    machines[1]
        .clinic
        .move_appointment(&desk_b, booked.id, &to(d1, "12:00", None))
        .unwrap();
    pull(&mut machines, 1, 0);
    pull(&mut machines, 0, 1);

    let snapshot = machines[0].clinic.projection_snapshot().unwrap();
    assert_eq!(snapshot, machines[1].clinic.projection_snapshot().unwrap());
    let rows = machines[0].clinic.appointments(&desk_a, d1).unwrap();
    assert_eq!(rows.len(), 1, "one booking, not two: {rows:?}");
    assert_eq!(rows[0].moves, 2, "both moves are in its history");
    let conflicts = machines[0].clinic.conflicts(&desk_a).unwrap();
    assert_eq!(conflicts, machines[1].clinic.conflicts(&desk_b).unwrap());
    let start = conflicts
        .iter()
        .find(|c| c.kind == "concurrent-edit" && c.field == "starts_at")
        .unwrap_or_else(|| panic!("the two times are listed: {conflicts:?}"));
    assert_eq!(start.ids, vec![booked.id.to_string()]);
    assert_eq!(start.values.len(), 2);

    // A person chooses 11:00 on machine B; after the next exchange both agree, conflict gone.
    let eleven = machines[1]
        .clinic
        .time()
        .instant(d1, parse_time("11:00").unwrap())
        .unwrap()
        .as_second()
        .to_string();
    machines[1]
        .clinic
        .settle_conflict(&desk_b, &start.doc_id, &start.ids[0], "starts_at", &eleven)
        .unwrap();
    pull(&mut machines, 0, 1);
    both_agree(&mut machines, [&desk_a, &desk_b], d1, |row| {
        assert!(row.at.ends_with("11:00"), "{}", row.at)
    });
}

#[test]
fn a_move_and_a_cancellation_made_apart_meet_as_a_conflict_not_a_quiet_cancel() {
    let (mut machines, [desk_a, desk_b], booked, d1) = a_booking_on_two_machines();

    machines[0]
        .clinic
        .move_appointment(&desk_a, booked.id, &to(d1, "13:00", None))
        .unwrap();
    machines[1]
        .clinic
        .set_appointment_status(&desk_b, booked.id, Status::Cancelled, Some("سافرت"))
        .unwrap();
    pull(&mut machines, 1, 0);
    pull(&mut machines, 0, 1);

    assert_eq!(
        machines[0].clinic.projection_snapshot().unwrap(),
        machines[1].clinic.projection_snapshot().unwrap()
    );
    let conflicts = machines[0].clinic.conflicts(&desk_a).unwrap();
    assert_eq!(conflicts, machines[1].clinic.conflicts(&desk_b).unwrap());
    let status = conflicts
        .iter()
        .find(|c| c.field == "status")
        .unwrap_or_else(|| panic!("the move and the cancel are listed: {conflicts:?}"));
    let mut values = status.values.clone();
    values.sort();
    assert_eq!(values, vec!["booked".to_string(), "cancelled".to_string()]);

    // Settled as booked: the patient keeps the moved time on both machines.
    machines[0]
        .clinic
        .settle_conflict(&desk_a, &status.doc_id, &status.ids[0], "status", "booked")
        .unwrap();
    pull(&mut machines, 1, 0);
    both_agree(&mut machines, [&desk_a, &desk_b], d1, |row| {
        assert_eq!(row.status, Status::Booked);
        assert!(row.at.ends_with("13:00"), "{}", row.at);
    });
}

#[test]
fn an_absence_lists_the_days_bookings_to_move_or_cancel_in_one_action() {
    let f = fixture();
    let (mut c, owner, desk, _doctor) = staffed(&f);
    both_doctors_every_day(&mut c, &owner);
    let (d1, d2) = (day(&c, 2), day(&c, 3));
    let mut ids = Vec::new();
    for (i, time) in ["10:00", "10:20", "10:40"].iter().enumerate() {
        let p = support::patient(
            &mut c,
            &desk,
            &format!("مريض {i}"),
            &format!("0101234567{i}"),
        );
        ids.push(book_at(&mut c, &desk, p, "dr.sara", d1, time).unwrap().id);
    }
    let other = support::patient(&mut c, &desk, "بعد الغياب", "01099999999");
    let later = day(&c, 5);
    book_at(&mut c, &desk, other, "dr.sara", later, "10:00").unwrap();

    // The desk marks Sara away for two days: her bookings on them are listed, nothing else.
    let listed = c
        .mark_absent(&desk, "dr.sara", d1, d2, "إجازة مرضية")
        .unwrap();
    assert_eq!(listed.iter().map(|a| a.id).collect::<Vec<_>>(), ids);
    assert!(c.free_slots(&desk, "dr.sara", d1).unwrap().is_empty());
    let p = support::patient(&mut c, &desk, "جديد", "01088888888");
    let refused = book_at(&mut c, &desk, p, "dr.sara", d2, "12:00");
    assert!(
        matches!(refused, Err(CoreError::DoctorAbsent { .. })),
        "{refused:?}"
    );

    // Omar is busy at 10:20: moving all three to him is refused whole, nothing moves.
    let q = support::patient(&mut c, &desk, "عند عمر", "01077777777");
    book_at(&mut c, &desk, q, "dr.omar", d1, "10:20").unwrap();
    let all = c.move_appointments(&desk, &ids, "dr.omar");
    assert!(matches!(all, Err(CoreError::SlotTaken { .. })), "{all:?}");
    assert_eq!(
        c.bookings_between(&desk, "dr.sara", d1, d2).unwrap().len(),
        3
    );

    // The first goes to Omar at its time, the other two are cancelled in one action.
    c.move_appointments(&desk, &ids[..1], "dr.omar").unwrap();
    let cancelled = c
        .cancel_appointments(&desk, &ids[1..], "الطبيبة غائبة")
        .unwrap();
    assert!(cancelled
        .iter()
        .all(|a| a.status == Status::Cancelled && a.reason.as_deref() == Some("الطبيبة غائبة")));
    assert!(c
        .bookings_between(&desk, "dr.sara", d1, d2)
        .unwrap()
        .is_empty());
    assert_eq!(c.day_report(&owner, d1).unwrap().cancelled, 2);

    // A range too long, backwards, or without a reason is refused; the absence can end.
    assert!(c.mark_absent(&desk, "dr.sara", d2, d1, "x").is_err());
    let far = day(&c, 200);
    assert!(c.mark_absent(&desk, "dr.sara", d1, far, "x").is_err());
    assert!(c.mark_absent(&desk, "dr.sara", d1, d1, " ").is_err());
    c.end_absence(&desk, "dr.sara", d1, d2).unwrap();
    assert!(!c.free_slots(&desk, "dr.sara", d2).unwrap().is_empty());
}

#[test]
fn a_follow_up_asked_at_the_visit_waits_on_the_desk_until_booked() {
    let f = fixture();
    let (mut c, owner, desk, doctor) = staffed(&f);
    both_doctors_every_day(&mut c, &owner);
    // The visit happens tomorrow at 10:00; the clinic's clock is set to it.
    let d1 = day(&c, 1);
    let p = support::patient(&mut c, &desk, "ليلى", "01012345678");
    let booked = book_at(&mut c, &desk, p, "dr.sara", d1, "10:00").unwrap();
    let visit_time = c.time().instant(d1, parse_time("10:05").unwrap()).unwrap();
    c.set_clock(Some(visit_time));
    c.set_appointment_status(&desk, booked.id, Status::Arrived, None)
        .unwrap();
    let too_long = c.record_visit(
        &doctor,
        booked.id,
        &VisitInput {
            follow_up_days: Some(400),
            ..Default::default()
        },
    );
    assert!(too_long.is_err());
    let visit = c
        .record_visit(
            &doctor,
            booked.id,
            &VisitInput {
                diagnoses: vec!["التهاب الحلق".into()],
                follow_up_days: Some(14),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(visit.follow_up_days, Some(14));

    let due = d1.checked_add(jiff::Span::new().days(14)).unwrap();
    let pending = c.follow_ups(&desk).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].visit_id, visit.id);
    assert_eq!(pending[0].due, due.to_string());
    assert_eq!(
        pending[0].proposed.as_deref(),
        Some(format!("{due} 10:00").as_str())
    );

    // The doctor books the proposed slot; it is a follow-up, linked to the visit.
    let follow = c.book_follow_up(&doctor, visit.id, None).unwrap();
    assert_eq!(follow.visit_type, "follow-up");
    assert_eq!(follow.follow_up_of, Some(visit.id));
    assert!(c.follow_ups(&desk).unwrap().is_empty());
    // Cancelled, it waits again; booked by phone with the same doctor, it is answered.
    c.set_appointment_status(&desk, follow.id, Status::Cancelled, Some("لا يناسب"))
        .unwrap();
    assert_eq!(c.follow_ups(&desk).unwrap().len(), 1);
    book_at(&mut c, &desk, p, "dr.sara", due, "12:00").unwrap();
    assert!(c.follow_ups(&desk).unwrap().is_empty());
    // The doctor takes a follow-up back with 0 days.
    let again = c
        .record_visit(
            &doctor,
            booked.id,
            &VisitInput {
                follow_up_days: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(again.follow_up_days, None);
    let no = c.book_follow_up(&desk, visit.id, Some((due, parse_time("13:00").unwrap())));
    assert!(
        matches!(&no, Err(CoreError::Invalid { reason, .. }) if reason == "no-follow-up"),
        "{no:?}"
    );
}

#[test]
fn a_patients_glance_shows_the_last_visit_the_no_shows_and_what_is_owed() {
    let f = fixture();
    let (mut c, owner, desk, doctor) = staffed(&f);
    both_doctors_every_day(&mut c, &owner);
    let d1 = day(&c, 1);
    let p = support::patient(&mut c, &desk, "ليلى حسن", "01012345678");
    let seen = book_at(&mut c, &desk, p, "dr.sara", d1, "10:00").unwrap();
    let missed = book_at(&mut c, &desk, p, "dr.sara", d1, "12:00").unwrap();
    let after = c.time().instant(d1, parse_time("13:00").unwrap()).unwrap();
    c.set_clock(Some(after));
    for s in [Status::Arrived, Status::InExam, Status::Done] {
        c.set_appointment_status(&desk, seen.id, s, None).unwrap();
    }
    c.set_appointment_status(&desk, missed.id, Status::NoShow, None)
        .unwrap();
    c.open_shift(&desk, Money::ZERO).unwrap();
    // The examination costs 350.50; 200 paid, 50 of it refunded: 200.50 owed.
    let paid = c
        .pay(
            &desk,
            seen.id,
            Money::parse("200").unwrap(),
            Method::Cash,
            None,
        )
        .unwrap();
    c.refund(&desk, paid.id, Money::parse("50").unwrap(), "خطأ")
        .unwrap();

    let hit = &c.search_patients(&desk, "ليلى", 5).unwrap()[0];
    let glance = hit.glance.clone().unwrap();
    assert_eq!(glance.last_visit.as_deref(), Some(d1.to_string().as_str()));
    assert_eq!(glance.no_shows, 1);
    assert_eq!(glance.balance_due, Some(Money::parse("200.50").unwrap()));
    // The queue shows the same; a doctor sees the history but not the money.
    let queue = c.appointments(&desk, d1).unwrap();
    assert_eq!(queue[0].glance.as_ref(), Some(&glance));
    let for_doctor = c.appointments(&doctor, d1).unwrap();
    let seen_by_doctor = for_doctor[0].glance.clone().unwrap();
    assert_eq!(
        (seen_by_doctor.no_shows, seen_by_doctor.balance_due),
        (1, None)
    );
    // Paid in full, nothing is owed.
    c.pay(
        &desk,
        seen.id,
        Money::parse("200.50").unwrap(),
        Method::Card,
        None,
    )
    .unwrap();
    let hit = &c.search_patients(&owner, "01012345678", 5).unwrap()[0];
    assert_eq!(hit.glance.as_ref().unwrap().balance_due, Some(Money::ZERO));
}
