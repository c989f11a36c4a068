//! The owner's online-booking settings from the command line: what patients may book on the
//! clinic's page, kept in the clinic document so they sync to the server like any setting.

mod shell;

use shell::*;

#[test]
fn the_owner_chooses_what_patients_may_book_online_and_the_desk_may_not() {
    let sh = Shell::new();
    set_up(&sh);
    let off = sh.ok(OWNER, &["portal", "show"]);
    assert_eq!(
        off["portal"]["enabled"], false,
        "not bookable until the owner says"
    );

    let on = sh.ok(
        OWNER,
        &[
            "portal",
            "set",
            "--enabled",
            "true",
            "--doctors",
            "dr.sara",
            "--visit-types",
            "examination",
            "--days-ahead",
            "21",
            "--reminders",
            "٢٤,2",
            "--review-link",
            "https://g.page/r/ayada-review",
        ],
    );
    let portal = &on["portal"];
    assert_eq!(portal["enabled"], true);
    assert_eq!(portal["doctors"].as_array().unwrap().len(), 1);
    assert_eq!(portal["visit_types"].as_array().unwrap().len(), 1);
    assert_eq!(portal["days_ahead"], 21);
    assert_eq!(portal["reminder_hours"], serde_json::json!([24, 2]));
    assert_eq!(portal["cutoff_hours"], 3, "kept at its default");

    // A receptionist is not a bookable doctor, and the limits hold.
    let not_doctor = sh.fails(OWNER, &["portal", "set", "--doctors", "desk"]);
    assert!(not_doctor.contains("only doctors"), "{not_doctor}");
    let too_far = sh.fails(OWNER, &["portal", "set", "--days-ahead", "365"]);
    assert!(too_far.contains("1 to 90 days"), "{too_far}");
    let link = sh.fails(OWNER, &["portal", "set", "--review-link", "javascript:x"]);
    assert!(link.contains("https://"), "{link}");

    // Only the owner changes them; anyone at the clinic reads them.
    let refused = sh.fails(DESK, &["portal", "set", "--enabled", "false"]);
    assert!(!refused.is_empty());
    let seen = sh.ok(DESK, &["portal", "show"]);
    assert_eq!(seen["portal"]["enabled"], true);
    assert_eq!(
        seen["portal"]["days_ahead"], 21,
        "the refused changes left nothing"
    );
}
