//! The CLI contract, run as a new user would type it: the real binary, a real data folder.

use std::path::Path;
use std::process::Command;

mod shell;

use shell::*;

#[test]
fn a_clinic_day_runs_from_the_command_line() {
    let sh = Shell::new();
    set_up(&sh);
    let p = id(
        &sh.ok(
            DESK,
            &[
                "patient",
                "add",
                "--name",
                "أحمد مصطفى",
                "--phone",
                "٠١٠١٢٣٤٥٦٧٨",
                "--gender",
                "male",
                "--dob",
                "1980-01-02",
            ],
        ),
        "patient_id",
    );
    let hits = sh.ok(DESK, &["patient", "search", "احمد مصطفي"]);
    assert_eq!(hits["patients"][0]["id"], p.as_str());
    assert_eq!(hits["patients"][0]["phone"], "+201012345678");
    let free = sh.ok(
        DESK,
        &[
            "schedule",
            "free",
            "--doctor",
            "dr.sara",
            "--date",
            "2030-01-05",
        ],
    );
    assert_eq!(free["free"].as_array().unwrap().len(), 12);
    let a = id(
        &sh.ok(
            DESK,
            &[
                "book",
                "--patient",
                &p,
                "--doctor",
                "dr.sara",
                "--at",
                "2030-01-05 10:20",
            ],
        ),
        "appointment_id",
    );
    let free = sh.ok(
        DESK,
        &[
            "schedule",
            "free",
            "--doctor",
            "dr.sara",
            "--date",
            "2030-01-05",
        ],
    );
    assert!(!free["free"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "10:20"));
    sh.ok(DESK, &["appointment", "set-status", &a, "arrived"]);
    sh.ok(DESK, &["appointment", "set-status", &a, "in-exam"]);
    let visit = sh.ok(
        DOCTOR,
        &[
            "visit",
            "record",
            "--appointment",
            &a,
            "--temp",
            "38.5",
            "--bp",
            "120/80",
            "--pulse",
            "88",
            "--weight",
            "80",
            "--diagnosis",
            "Flu",
            "--diagnosis",
            "نزلة برد",
            "--note",
            "rest",
        ],
    );
    assert_eq!(visit["visit"]["vitals"]["temperature_dc"], 385);
    assert_eq!(visit["visit"]["diagnoses"].as_array().unwrap().len(), 2);
    sh.ok(DOCTOR, &["appointment", "set-status", &a, "done"]);
    sh.ok(DESK, &["shift", "open", "--float", "500"]);
    let pay = sh.ok(
        DESK,
        &[
            "pay",
            "--appointment",
            &a,
            "--amount",
            "350.50",
            "--method",
            "cash",
        ],
    );
    assert_eq!(pay["payment"]["amount"], 35050);
    sh.ok(
        DESK,
        &["expense", "add", "--amount", "20", "--category", "tea"],
    );
    let closed = sh.ok(DESK, &["shift", "close", "--counted", "830.50"]);
    assert!(closed["expected"].is_null(), "the desk counts blind");
    let list = sh.ok(DESK, &["appointment", "list", "--date", "2030-01-05"]);
    assert_eq!(list["appointments"][0]["status"], "done");
    let summary = sh.ok(OWNER, &["cash", "summary"]);
    assert_eq!(summary["payments"]["cash"], 35050);
    assert_eq!(summary["net_cash"], 33050);
    let show = sh.ok(DESK, &["patient", "show", &p]);
    assert_eq!(show["payments"].as_array().unwrap().len(), 1);
    assert!(show["visits"].is_null());
    let audit = sh.ok(OWNER, &["audit", "verify"]);
    assert_eq!(audit["ok"], true);
    assert_eq!(
        sh.ok(OWNER, &["conflicts"])["conflicts"],
        serde_json::json!([])
    );
}

#[test]
fn errors_are_sentences_in_the_persons_language_and_change_nothing() {
    let sh = Shell::new();
    set_up(&sh);
    let p = id(
        &sh.ok(
            DESK,
            &["patient", "add", "--name", "Omar", "--phone", "01011111111"],
        ),
        "patient_id",
    );
    let a = id(
        &sh.ok(
            DESK,
            &[
                "book",
                "--patient",
                &p,
                "--doctor",
                "dr.sara",
                "--at",
                "2030-01-05 10:00",
            ],
        ),
        "appointment_id",
    );
    assert_eq!(
        sh.fails(DESK, &["appointment", "set-status", &a, "done"]),
        "An appointment that is booked cannot become done."
    );
    let out = sh.run(
        DESK,
        &["--lang", "ar", "appointment", "set-status", &a, "done"],
    );
    let ar = String::from_utf8(out.stderr).unwrap();
    assert!(ar.contains("محجوز") && ar.contains("منتهٍ"), "{ar}");
    assert!(sh
        .fails(DESK, &["cash", "summary"])
        .starts_with("A receptionist may not read the money"));
    assert!(sh
        .fails(
            DESK,
            &[
                "pay",
                "--appointment",
                &a,
                "--amount",
                "350.555",
                "--method",
                "cash"
            ]
        )
        .contains("350.555"));
    assert!(sh
        .fails(DESK, &["patient", "add", "--name", "X", "--phone", "12"])
        .contains("phone number"));
    assert!(sh
        .fails(
            DESK,
            &[
                "book",
                "--patient",
                &p,
                "--doctor",
                "dr.sara",
                "--at",
                "2030-01-05 10:10"
            ]
        )
        .contains("already has a booking"));
    // A wrong password says so without echoing it.
    let out = sh.run(
        Some(("desk", "guess-this-1")),
        &["patient", "search", "omar"],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success()
            && stderr.contains("login or the password is wrong")
            && !stderr.contains("guess-this-1"),
        "{stderr}"
    );
    // A wrong key file is named as such, and no empty clinic appears.
    std::fs::write(sh.key.with_extension("other"), "ab".repeat(32)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ayada-cli"))
        .args(["--data"])
        .arg(&sh.data)
        .arg("--key-file")
        .arg(sh.key.with_extension("other"))
        .args(["--user", "owner", "conflicts"])
        .env("AYADA_PASSWORD", OWNER_PW)
        .env("LANG", "C")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("This database cannot be opened with this key"),
        "{stderr}"
    );
    let list = sh.ok(DESK, &["appointment", "list", "--date", "2030-01-05"]);
    assert_eq!(
        list["appointments"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[test]
fn a_csv_import_reports_bad_lines_by_number_and_imports_none_unless_told() {
    let sh = Shell::new();
    set_up(&sh);
    let csv = sh.data.parent().unwrap().join("patients.csv");
    std::fs::write(&csv, "name,phone,gender,dob\nفاطمة علي,01012345678,female,1990-05-01\nBad Phone,123,,\nمحمود حسن,01198765432,male,\n,01234567890,,\n").unwrap();
    let dry = sh.ok(
        DESK,
        &[
            "import",
            "patients",
            "--csv",
            csv.to_str().unwrap(),
            "--dry-run",
        ],
    );
    let lines: Vec<_> = dry["bad_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 5]);
    assert_eq!(dry["valid"], 2);
    let out = sh.run(
        DESK,
        &["import", "patients", "--csv", csv.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was imported"));
    assert_eq!(
        sh.ok(DESK, &["patient", "search", "فاطمه"])["patients"],
        serde_json::json!([])
    );
    let done = sh.ok(
        DESK,
        &[
            "import",
            "patients",
            "--csv",
            csv.to_str().unwrap(),
            "--skip-bad-lines",
        ],
    );
    assert_eq!(done["imported"], 2);
    assert_eq!(
        sh.ok(DESK, &["patient", "search", "فاطمه"])["patients"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_demo_fills_a_clinic_with_a_realistic_day() {
    let sh = Shell::new();
    sh.ok(
        None,
        &["init", "--clinic", "Demo", "--owner-login", "owner"],
    );
    let demo = sh.ok(OWNER, &["demo", "--days", "2"]);
    let report = &demo["report"];
    assert!(report["appointments"].as_u64().unwrap() >= 52, "{report}");
    assert!(report["patients"].as_u64().unwrap() > 20, "{report}");
    // The demo clinic is closed on Fridays: its last working day is today, or yesterday on a
    // Friday.
    let now = jiff::Zoned::now().in_tz("Africa/Cairo").unwrap();
    let day = if now.weekday() == jiff::civil::Weekday::Friday {
        now.date().yesterday().unwrap()
    } else {
        now.date()
    };
    let listed = sh.ok(
        Some(("reception", STAFF_PW)),
        &["appointment", "list", "--date", &day.to_string()],
    );
    assert!(
        listed["appointments"].as_array().unwrap().len() >= 26,
        "{day}"
    );
    sh.ok(OWNER, &["audit", "verify"]);
    assert!(Path::new(&sh.data).join("clinic.db").exists());
}
