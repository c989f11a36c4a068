//! The CLI contract, run as a new user would type it: the real binary, a real data folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const OWNER_PW: &str = "owner-pass-1";
const STAFF_PW: &str = "staff-pass-1";

struct Shell {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: PathBuf,
}

impl Shell {
    fn new() -> Shell {
        let tmp = tempfile::tempdir().unwrap();
        Shell {
            data: tmp.path().join("data"),
            key: tmp.path().join("clinic.key"),
            _tmp: tmp,
        }
    }

    fn run(&self, user: Option<(&str, &str)>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ayada-cli"));
        cmd.arg("--data")
            .arg(&self.data)
            .arg("--key-file")
            .arg(&self.key)
            .arg("--json");
        cmd.env_remove("AYADA_DB_PASSPHRASE")
            .env_remove("AYADA_LANG")
            .env("LANG", "C");
        cmd.env("AYADA_NEW_PASSWORD", STAFF_PW);
        if let Some((login, pw)) = user {
            cmd.arg("--user").arg(login).env("AYADA_PASSWORD", pw);
        } else {
            cmd.env("AYADA_PASSWORD", OWNER_PW);
        }
        cmd.args(args).output().unwrap()
    }

    fn ok(&self, user: Option<(&str, &str)>, args: &[&str]) -> Value {
        let out = self.run(user, args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
        serde_json::from_str(&stdout).unwrap()
    }

    fn fails(&self, user: Option<(&str, &str)>, args: &[&str]) -> String {
        let out = self.run(user, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err: Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|_| panic!("stderr: {}", String::from_utf8_lossy(&out.stderr)));
        err["error"]["message"].as_str().unwrap().to_string()
    }
}

const OWNER: Option<(&str, &str)> = Some(("owner", OWNER_PW));
const DESK: Option<(&str, &str)> = Some(("desk", STAFF_PW));
const DOCTOR: Option<(&str, &str)> = Some(("dr.sara", STAFF_PW));

fn id(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_string()
}

fn set_up(sh: &Shell) {
    let init = sh.ok(
        None,
        &[
            "init",
            "--clinic",
            "عيادة النور",
            "--owner-login",
            "owner",
            "--owner-name",
            "Dr. Hala",
        ],
    );
    assert!(init["clinic_id"].is_string());
    sh.ok(
        OWNER,
        &[
            "staff",
            "add",
            "--name",
            "منى",
            "--login",
            "desk",
            "--role",
            "receptionist",
        ],
    );
    sh.ok(
        OWNER,
        &[
            "staff",
            "add",
            "--name",
            "د. سارة",
            "--login",
            "dr.sara",
            "--role",
            "doctor",
        ],
    );
    sh.ok(
        OWNER,
        &[
            "schedule",
            "set",
            "--doctor",
            "dr.sara",
            "--days",
            "sat,sun,mon,tue,wed,thu",
            "--from",
            "10:00",
            "--to",
            "14:00",
            "--slot",
            "20",
        ],
    );
    sh.ok(
        OWNER,
        &[
            "visit-type",
            "set",
            "--name",
            "examination",
            "--price",
            "350.50",
            "--minutes",
            "20",
        ],
    );
    sh.ok(OWNER, &["insurer", "add", "--name", "AXA Egypt"]);
}

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
