//! The desk's second day from the command line: moving a booking, a doctor's absence, a
//! follow-up asked for at the visit.

mod shell;

use shell::*;

#[test]
fn the_desk_moves_a_booking_marks_an_absence_and_books_the_follow_up_a_visit_asked_for() {
    let sh = Shell::new();
    set_up(&sh);
    let p = id(
        &sh.ok(
            DESK,
            &["patient", "add", "--name", "ليلى", "--phone", "01012345678"],
        ),
        "patient_id",
    );
    let book = |at: &str| {
        id(
            &sh.ok(
                DESK,
                &["book", "--patient", &p, "--doctor", "dr.sara", "--at", at],
            ),
            "appointment_id",
        )
    };
    // 2030-01-05 is a Saturday, 01-06 a Sunday: Dr. Sara works both.
    let a = book("2030-01-05 10:00");
    let moved = sh.ok(
        DESK,
        &["appointment", "move", &a, "--at", "2030-01-06 11:00"],
    );
    assert_eq!(moved["appointment_id"], a.as_str());
    assert_eq!(moved["appointment"]["moves"].as_array().unwrap().len(), 1);
    let day = sh.ok(DESK, &["appointment", "list", "--date", "2030-01-06"]);
    assert_eq!(day["appointments"][0]["at"], "2030-01-06 11:00");
    let taken = book("2030-01-06 12:00");
    let refused = sh.fails(
        DESK,
        &["appointment", "move", &a, "--at", "2030-01-06 12:00"],
    );
    assert!(refused.contains("already has a booking"), "{refused}");

    // Sara is away on the 6th: both bookings are listed, then cancelled in one action.
    let absent = sh.ok(
        DESK,
        &[
            "schedule",
            "absent",
            "--doctor",
            "dr.sara",
            "--from",
            "2030-01-06",
            "--reason",
            "مرض",
        ],
    );
    assert_eq!(absent["appointments"].as_array().unwrap().len(), 2);
    let cancelled = sh.ok(
        DESK,
        &[
            "appointment",
            "cancel-many",
            &a,
            &taken,
            "--reason",
            "الطبيبة غائبة",
        ],
    );
    assert_eq!(cancelled["cancelled"].as_array().unwrap().len(), 2);
    let free = sh.ok(
        DESK,
        &[
            "schedule",
            "free",
            "--doctor",
            "dr.sara",
            "--date",
            "2030-01-06",
        ],
    );
    assert!(free["free"].as_array().unwrap().is_empty());
    sh.ok(
        DESK,
        &[
            "schedule",
            "back",
            "--doctor",
            "dr.sara",
            "--from",
            "2030-01-06",
        ],
    );

    // The visit asks for a follow-up in two weeks; the desk books the proposed slot.
    let seen = book("2030-01-07 10:00");
    sh.ok(DESK, &["appointment", "set-status", &seen, "arrived"]);
    let visit = sh.ok(
        DOCTOR,
        &[
            "visit",
            "record",
            "--appointment",
            &seen,
            "--diagnosis",
            "J06.9",
            "--follow-up",
            "2w",
        ],
    );
    assert_eq!(visit["visit"]["follow_up_days"], 14);
    let pending = sh.ok(DESK, &["follow-up", "list"]);
    let first = &pending["follow_ups"][0];
    assert_eq!(first["patient"], "ليلى");
    let proposed = first["proposed"].as_str().unwrap().to_string();
    let visit_id = first["visit_id"].as_str().unwrap().to_string();
    let follow = sh.ok(DESK, &["follow-up", "book", &visit_id]);
    assert_eq!(follow["appointment"]["follow_up_of"], visit_id.as_str());
    assert_eq!(follow["appointment"]["visit_type"], "follow-up");
    let on_day = sh.ok(
        DESK,
        &[
            "appointment",
            "list",
            "--date",
            proposed.split(' ').next().unwrap(),
        ],
    );
    assert!(on_day["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["at"] == proposed.as_str()));
    assert!(sh.ok(DESK, &["follow-up", "list"])["follow_ups"]
        .as_array()
        .unwrap()
        .is_empty());
    let bad = sh.fails(
        DOCTOR,
        &[
            "visit",
            "record",
            "--appointment",
            &seen,
            "--follow-up",
            "soon",
        ],
    );
    assert!(bad.contains("1 and 365"), "{bad}");
}
