//! The real desktop app (the Tauri binary in WebKitGTK) under Xvfb, driven through
//! WebDriver (tauri-driver + WebKitWebDriver) as people would use it for a clinic day. The
//! screenshots are kept in target/test-artifacts/desktop for a person to look at.
//!
//! Needs `xvfb-run`, `tauri-driver` (cargo install tauri-driver --locked) and Debian's
//! webkit2gtk-driver; the README's test command installs them.

#![cfg(unix)]

mod common;
mod window;

use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

use window::*;

#[test]
fn an_idle_window_logs_out_by_itself_while_a_working_one_stays_logged_in() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    desk.ok(Some(("owner", OWNER_PW)), &["demo", "--days", "1"]);
    // A shared PC told to lock after four idle seconds (ten minutes unless told).
    let driver = start_driver(
        tmp.path(),
        &[
            ("AYADA_DATA", &desk.data),
            ("AYADA_KEY_FILE", &desk.key),
            ("AYADA_IDLE_LOCK_SECONDS", Path::new("4")),
        ],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.log_in("reception", STAFF_PW);
    // Working: a click a second for seven seconds keeps her logged in.
    for screen in [
        "patients", "calendar", "today", "patients", "calendar", "today", "cash",
    ] {
        s.click(&format!("[data-test=nav-{screen}]"));
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(
        s.find_all("[data-test=who]").len(),
        1,
        "logged out while working"
    );
    // Idle: the login screen comes back by itself, and the core's session is gone too.
    std::thread::sleep(Duration::from_secs(5));
    s.find("[data-test=sign-in]");
    assert!(s.find_all("[data-test=who]").is_empty());
    let refused = s.invoke("appointments", json!({})).unwrap_err();
    assert_eq!(refused["code"], "not-logged-in", "{refused}");
    s.screenshot("13-locked-after-idle");
}

#[test]
fn a_wrong_key_shows_why_in_the_remembered_language_and_leaves_the_clinic_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    let before = std::fs::read(desk.data.join("clinic.db")).unwrap();
    // Someone restored another clinic's key file onto this PC, whose people read Arabic.
    let wrong = tmp.path().join("other.key");
    std::fs::write(&wrong, "ab".repeat(32)).unwrap();
    std::fs::write(desk.data.join("language"), "ar").unwrap();
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &desk.data), ("AYADA_KEY_FILE", &wrong)],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    let said = s.wait_text("[data-test=app-error]", "المفتاح");
    assert!(!said.contains("ab".repeat(32).as_str()), "{said}");
    s.poll(WAIT, "the window never turned right to left", || {
        (s.script("return document.documentElement.dir", json!([])) == "rtl").then_some(())
    });
    // Neither the first-run screen (which would make a new clinic) nor the login screen.
    assert!(s.find_all("[data-test=clinic-name]").is_empty());
    assert!(s.find_all("[data-test=sign-in]").is_empty());
    s.screenshot("15-wrong-key-arabic");
    drop(s);
    drop(driver);
    assert_eq!(
        std::fs::read(desk.data.join("clinic.db")).unwrap(),
        before,
        "the clinic's file is untouched"
    );
}

#[test]
fn a_machine_joins_from_the_window_shows_sync_live_and_sees_other_work_arrive_by_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::Server::start(&tmp.path().join("server"));
    server.create_clinic("nour", "owner@nour.example", OWNER_PW);
    // The front desk's clinic, made from the command line, seeds the server.
    let desk = common::enrolled_machine(
        tmp.path(),
        "front-desk",
        &server,
        "owner@nour.example",
        OWNER_PW,
        1,
    );
    desk.ok(None, &["sync"]);

    // The exam room's window starts on an empty data folder and joins from the first run.
    let room_data = tmp.path().join("exam-room");
    let room_key = tmp.path().join("exam-room.key");
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &room_data), ("AYADA_KEY_FILE", &room_key)],
    );
    let app = common::bin("ayada");
    let s = Session::new(&driver, &app);
    s.click("[data-test=choose-join]");
    s.type_into("[data-test=join-server]", &server.url[7..]);
    s.type_into("[data-test=join-email]", "owner@nour.example");
    s.type_into("[data-test=join-password]", "not-the-password");
    s.click("[data-test=join-clinic]");
    s.wait_text("[data-test=error]", "wrong");
    s.screenshot("09-join-refused");
    s.type_into("[data-test=join-password]", OWNER_PW);
    s.click("[data-test=join-clinic]");
    // The staff arrive with the clinic's first sync.
    s.wait_text_for("[data-test=user-reception]", "منى", Duration::from_secs(60));
    s.log_in("reception", STAFF_PW);
    s.wait_text_for(
        "[data-test=sync-state]",
        "Online, live",
        Duration::from_secs(60),
    );
    s.screenshot("10-sync-live");

    // The front desk queues a patient for today from the command line.
    let desk_user = Some(("reception", STAFF_PW));
    let patient = desk.ok(
        desk_user,
        &[
            "patient",
            "add",
            "--name",
            "زينب من مكتب الاستقبال",
            "--phone",
            "01077770001",
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    // A walk-in, so that the test does not depend on a free slot being left today.
    desk.ok(
        desk_user,
        &["walk-in", "--patient", &patient, "--doctor", "dr.sara"],
    );
    desk.ok(None, &["sync"]);
    // Nobody touches the window: the server's notice brings the booking into the queue.
    s.wait_text_for(
        "[data-test=queue]",
        "زينب من مكتب الاستقبال",
        Duration::from_secs(20),
    );
    s.script(
        "[...document.querySelectorAll('[data-test=queue-row]')].find(r => r.textContent.includes(arguments[0])).scrollIntoView()",
        json!(["زينب"]),
    );
    s.screenshot("11-arrived-by-itself");
    // One queue per doctor: her tab says how many of hers wait and shows only her
    // patients, the walk-in among them.
    let tab = s.wait_text("[data-test=queue-doctor]", "سارة");
    assert!(tab.contains("waiting"), "the walk-in waits: {tab}");
    s.script(
        "[...document.querySelectorAll('[data-test=queue-doctor]')].find(b => b.textContent.includes(arguments[0])).click()",
        json!(["سارة"]),
    );
    s.poll(WAIT, "the queue never narrowed to one doctor", || {
        let doctors = s.script(
            "return [...document.querySelectorAll('[data-test=queue-row]')].map(r => r.children[2].textContent)",
            json!([]),
        );
        let doctors = doctors.as_array().cloned().unwrap_or_default();
        (!doctors.is_empty() && doctors.iter().all(|d| d.as_str().unwrap_or("").contains("سارة")))
            .then_some(())
    });
    s.wait_text("[data-test=queue]", "زينب من مكتب الاستقبال");
    s.screenshot("11c-one-doctors-queue");
    s.click("[data-test=queue-doctor]");

    // Two booking requests for a day next week reach the desk's window the same way (the
    // online portal will make them; here the other desk does), each to confirm or decline.
    // The demo's doctors work Saturday to Thursday: a Friday next week becomes Saturday.
    let mut day = clinic_today() + jiff::Span::new().days(7);
    if day.weekday() == jiff::civil::Weekday::Friday {
        day += jiff::Span::new().days(1);
    }
    let day = day.to_string();
    let (first, second) = (format!("{day} 10:00"), format!("{day} 10:20"));
    for at in [&first, &second] {
        desk.ok(
            desk_user,
            &[
                "book",
                "--request",
                "--patient",
                &patient,
                "--doctor",
                "dr.sara",
                "--at",
                at,
            ],
        );
    }
    desk.ok(None, &["sync"]);
    s.wait_text_for("[data-test=requests]", &second, Duration::from_secs(20));
    s.wait_count("[data-test=request-row]", 2);
    s.script(
        "document.querySelector('[data-test=requests]').scrollIntoView()",
        json!([]),
    );
    s.screenshot("11a-booking-requests");
    s.click("[data-test=confirm-request]");
    s.wait_count("[data-test=request-row]", 1);
    s.wait_text("[data-test=requests]", &second);
    s.click("[data-test=decline-request]");
    s.wait_count("[data-test=requests]", 0);
    // The answers travel back to the other desk.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        desk.ok(None, &["sync"]);
        let listed = desk.ok(desk_user, &["appointment", "list", "--date", &day]);
        let statuses: Vec<(String, String)> = listed["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["at"].as_str().unwrap().to_string(),
                    a["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want = [
            (first.clone(), "booked".to_string()),
            (second.clone(), "cancelled".to_string()),
        ];
        if statuses == want {
            break;
        }
        assert!(Instant::now() < deadline, "the desk sees {statuses:?}");
        std::thread::sleep(Duration::from_millis(500));
    }

    // The owner sees both machines and revokes the front desk's (a stolen PC, say).
    s.log_out();
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=nav-settings]");
    s.wait_text_for("[data-test=machines]", "this one", Duration::from_secs(20));
    assert_eq!(s.find_all("[data-test=machine-row]").len(), 2);
    s.type_into("[data-test=revoke-email]", "owner@nour.example");
    s.type_into("[data-test=revoke-password]", OWNER_PW);
    s.click("[data-test=revoke]");
    s.wait_text_for("[data-test=machines]", "Revoked", Duration::from_secs(20));
    // Their last contact is written as the core writes days (year first), not in the web
    // view's idea of a Canadian date (WebKitGTK's ICU wrote en-CA month first).
    s.wait_text("[data-test=machines]", &clinic_today().to_string());
    s.screenshot("11b-machines");
    let refused = desk.run(None, &["sync"]);
    assert!(!refused.status.success(), "a revoked machine still synced");

    // The server goes away: the window says it is offline, and why, and keeps working.
    drop(server);
    s.click("[data-test=sync-now]");
    s.wait_text_for("[data-test=sync-state]", "Offline", Duration::from_secs(30));
    s.wait_text("[data-test=sync-error]", "cannot be reached");
    s.screenshot("12-sync-offline");
    // The last sync is told on the clinic's clock (Cairo), whatever zone this computer's
    // clock is set to (the window runs here with the test machine's, usually UTC).
    let line = s.text("[data-test=sync-state]");
    let said = line
        .split("last sync ")
        .nth(1)
        .and_then(|t| jiff::civil::Time::strptime("%H:%M", t.get(..5)?).ok())
        .unwrap_or_else(|| panic!("no time of the last sync in {line:?}"));
    let cairo = jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap().time();
    let minutes = |t: jiff::civil::Time| i32::from(t.hour()) * 60 + i32::from(t.minute());
    let behind = (minutes(cairo) - minutes(said)).rem_euclid(24 * 60);
    assert!(
        behind <= 3,
        "last sync {said} against Cairo's {cairo}: {line:?}"
    );
    drop(s);
    drop(driver);
    // The joined machine has its own key file, not the front desk's.
    assert!(room_key.exists());
    assert_ne!(
        std::fs::read(&room_key).unwrap(),
        std::fs::read(&desk.key).unwrap()
    );
}

/// The header's LAN line, for a person to look at. Not in the test command: it needs mDNS
/// on this computer's own network, which a CI machine may not carry (the LAN itself is
/// tested in network namespaces, `crates/ayada-client/tests/lan_netns.rs`). By hand:
/// `cargo build --workspace && cargo test --test desktop_e2e the_header_counts -- --ignored`.
#[test]
#[ignore = "needs mDNS on the host's network; run by hand for the screenshots"]
fn the_header_counts_the_clinics_machines_that_answer_on_the_lan() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::Server::start(&tmp.path().join("server"));
    server.create_clinic("nour", "owner@nour.example", OWNER_PW);
    let desk = common::enrolled_machine(
        tmp.path(),
        "front-desk",
        &server,
        "owner@nour.example",
        OWNER_PW,
        1,
    );
    desk.ok(None, &["sync"]);
    let exam = common::Machine::new(tmp.path(), "exam-room");
    exam.enroll(&server, "owner@nour.example", OWNER_PW);
    exam.ok(None, &["sync"]);
    // The front desk hears of the exam room's LAN key from the server.
    desk.ok(None, &["sync"]);
    // The exam room answers on the LAN (the test host the namespace test runs).
    let mut exam_host = std::process::Command::new(common::bin("lan_node"))
        .arg(&exam.data)
        .arg(&exam.key)
        .env("AYADA_DESK_LOGIN", "reception")
        .env("AYADA_DESK_PASSWORD", STAFF_PW)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &desk.data), ("AYADA_KEY_FILE", &desk.key)],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.log_in("reception", STAFF_PW);
    s.wait_text_for(
        "[data-test=lan-state]",
        "1 machine on the LAN",
        Duration::from_secs(60),
    );
    s.screenshot("16-lan-header");
    s.click("[data-test=language]");
    s.wait_text_for(
        "[data-test=lan-state]",
        "جهاز واحد على الشبكة المحلية",
        Duration::from_secs(30),
    );
    s.screenshot("17-lan-header-arabic");
    let _ = exam_host.kill();
    let _ = exam_host.wait();
}

/// A clinic that has no sync server at all grows by one machine over the LAN: the owner's
/// window shows a join code (screenshots in both languages), the new machine joins with it
/// from the command line and loads the clinic from the window's machine, and the owner's list
/// then names it. The window answers on a loopback port it is told (`AYADA_LAN_BIND`), so the
/// join is found by address, not by mDNS.
#[test]
fn the_owner_shows_a_join_code_and_a_new_machine_joins_over_the_lan_without_a_server() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    desk.ok(Some(("owner", OWNER_PW)), &["demo", "--days", "1"]);
    let bind = format!("127.0.0.1:{}", free_port());
    let driver = start_driver(
        tmp.path(),
        &[
            ("AYADA_DATA", &desk.data),
            ("AYADA_KEY_FILE", &desk.key),
            ("AYADA_LAN_BIND", Path::new(&bind)),
        ],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=nav-settings]");
    s.click("[data-test=lan-invite]");
    s.wait_count("[data-test=lan-code]", 1);
    let code = s.text("[data-test=lan-code]");
    assert_eq!(code.len(), 39, "{code:?}");
    s.screenshot("18-lan-join-code");

    // The exam room's new laptop: an empty folder, the code typed in.
    let exam = common::Machine::new(tmp.path(), "exam-room");
    let started = Instant::now();
    let joined = loop {
        // The window starts answering on the LAN within a few seconds of the login.
        let out = exam.run(
            None,
            &[
                "join-lan",
                "--code",
                &code,
                "--at",
                &bind,
                "--name",
                "exam room",
            ],
        );
        if out.status.success() || started.elapsed() > Duration::from_secs(20) {
            break common::json_of(&out, "join-lan");
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(joined["documents"].as_u64().unwrap() > 0, "{joined}");
    let mut room = exam.open();
    // It holds the clinic: the demo's accounts log in there, the front desk's day is there.
    room.login("dr.sara", STAFF_PW).unwrap();
    let reception = room.login("reception", STAFF_PW).unwrap();
    let at_desk = desk.ok(common::DESK, &["appointment", "list"]);
    let date = at_desk["date"].as_str().unwrap().parse().unwrap();
    let booked = at_desk["appointments"].as_array().unwrap().len();
    assert!(booked > 0, "the demo booked the day: {at_desk}");
    assert_eq!(room.appointments(&reception, date).unwrap().len(), booked);
    drop(room);
    // The code served once: typed again on another machine, it is refused, and said why.
    let late = common::Machine::new(tmp.path(), "late");
    let refused = late.run(None, &["join-lan", "--code", &code, "--at", &bind]);
    assert!(!refused.status.success());

    // The owner's list names the new machine.
    s.click("[data-test=lan-refresh]");
    s.wait_text("[data-test=listed-machines]", "exam room");
    // The used code is off the screen.
    s.wait_count("[data-test=lan-code]", 0);
    s.screenshot("19-lan-joined");
    s.click("[data-test=language]");
    s.wait_text("[data-test=listed-machines]", "مُدرج");
    s.script(
        "document.querySelector('[data-test=lan-invite]').scrollIntoView({block: 'center'})",
        json!([]),
    );
    s.screenshot("20-lan-joined-arabic");
}

/// The other way round: the owner opens the invitation from the command line on the front
/// desk (`machines invite`), and the exam room's window joins with the code on its first run,
/// wrong code first. It then holds the clinic: the receptionist logs in and sees the day.
#[test]
fn a_new_window_joins_over_the_lan_from_the_first_run_with_the_owners_code() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    desk.ok(Some(("owner", OWNER_PW)), &["demo", "--days", "1"]);
    let bind = format!("127.0.0.1:{}", free_port());
    let mut inviting = std::process::Command::new(common::bin("ayada-cli"))
        .arg("--data")
        .arg(&desk.data)
        .arg("--key-file")
        .arg(&desk.key)
        .args([
            "--json", "--user", "owner", "machines", "invite", "--bind", &bind,
        ])
        .env("AYADA_PASSWORD", OWNER_PW)
        .env("LANG", "C")
        .env_remove("AYADA_LANG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    std::io::BufReader::new(inviting.stderr.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    let code = said
        .split("Join code: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no code in {said:?}"))
        .to_string();

    let room_data = tmp.path().join("exam-room");
    let room_key = tmp.path().join("exam-room.key");
    let driver = start_driver(
        tmp.path(),
        &[
            ("AYADA_DATA", &room_data),
            ("AYADA_KEY_FILE", &room_key),
            ("AYADA_LAN_JOIN_AT", Path::new(&bind)),
        ],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.click("[data-test=choose-join]");
    // A code mistyped so that it does not even read: said at once, and nothing is made.
    s.type_into("[data-test=join-code]", "ABCD-EFGH");
    s.click("[data-test=join-over-lan]");
    s.wait_text("[data-test=error]", "not a join code");
    assert!(!room_data.join("clinic.db").exists());
    s.type_into("[data-test=join-code]", &code.to_lowercase());
    s.type_into("[data-test=join-machine-name]", "غرفة الكشف");
    s.screenshot("21-join-over-lan");
    s.click("[data-test=join-over-lan]");
    s.wait_text_for("[data-test=user-reception]", "منى", Duration::from_secs(30));
    s.log_in("reception", STAFF_PW);
    s.click("[data-test=nav-today]");
    let at_desk = desk.ok(common::DESK, &["appointment", "list"]);
    let first = at_desk["appointments"][0]["patient"]
        .as_str()
        .unwrap_or_else(|| panic!("{at_desk}"))
        .to_string();
    s.wait_text_for("body", &first, Duration::from_secs(10));
    s.screenshot("22-joined-over-lan-today");

    // The front desk's command says who joined, under the name typed in the window.
    let out = inviting.wait_with_output().unwrap();
    assert!(out.status.success());
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["name"], "غرفة الكشف", "{answer}");
}
