//! The booking portal end to end: a patient's phone on the real server over loopback HTTP, a
//! fake WAHA bringing the codes, and the clinic's front desk machine syncing through the same
//! server. A booking goes from the clinic's page to the desk and back to the patient.

mod common;
mod fake_waha;
mod portal;

use common::*;
use fake_waha::{code_in, FakeWaha};
use portal::*;

const LAILA: &str = "201012345678@c.us";

/// The desk's appointments of the clinic-local day of `at` (Unix seconds).
fn desk_day(m: &Machine, at: &str) -> Vec<serde_json::Value> {
    let date = jiff::Timestamp::from_second(at.parse().unwrap())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Africa/Cairo").unwrap())
        .date();
    m.ok(DESK, &["appointment", "list", "--date", &date.to_string()])["appointments"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_patient_books_in_arabic_the_desk_confirms_and_the_patient_cancels() {
    let root = tempfile::tempdir().unwrap();
    let waha = FakeWaha::start();
    let (server, m) = clinic_online(root.path(), &waha, &[]);
    let phone = Phone::new(&server);

    // The clinic's page: Arabic by default, right to left, no script allowed.
    let page = phone.get("/c/nour");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("dir=\"rtl\"") && page.body.contains("احجز زيارتك أونلاين"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(
        page.body.contains("٤٠٠٫٠٠ ج.م"),
        "the examination's price, Arabic digits"
    );

    // A time two or more days ahead, a name, a phone typed in Arabic-Indic digits.
    let slot = slots_ahead(&phone, "ar")[0].clone();
    let asked = ask(&phone, &slot, "ليلى محمود", "٠١٠١٢٣٤٥٦٧٨", "ar");
    assert_eq!(asked.status, 303, "{}", asked.body);
    let verify = asked.location.unwrap();
    assert!(verify.starts_with("/c/nour/verify/"), "{verify}");
    assert!(
        !verify.contains("0101") && !verify.contains("ليلى"),
        "no patient data in a URL"
    );

    // The code comes by WhatsApp; a wrong one is refused with the tries left.
    let code = code_in(&waha.wait_for(LAILA, "كود الحجز", 10).text);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = type_code(&phone, &verify, wrong, "ar");
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("بقيت"), "{}", refused.body);
    let verified = type_code(&phone, &verify, &code, "ar");
    assert_eq!(verified.status, 303, "{}", verified.body);
    let status_link = verified.location.unwrap();
    assert!(status_link.starts_with("/b/"), "{status_link}");
    let status = phone.get(&status_link);
    assert!(
        status.body.contains("data-status=\"status-requested\""),
        "{}",
        status.body
    );
    let told = waha.wait_for(LAILA, "استلمنا طلبك", 10);
    assert!(
        told.text.contains(status_link.split('?').next().unwrap()),
        "the message carries the status link: {}",
        told.text
    );
    // The same code never works twice.
    assert_eq!(phone.get(&verify).status, 404, "a used code's page is gone");

    // The desk sees the request like any other booking, confirms it, and WhatsApp says so.
    m.ok(None, &["sync"]);
    let at = param(&slot, "at");
    let request = desk_day(&m, &at)
        .into_iter()
        .find(|a| a["status"] == "requested")
        .expect("the portal's request reached the desk");
    let id = request["id"].as_str().unwrap().to_string();
    m.ok(DESK, &["appointment", "set-status", &id, "booked"]);
    m.ok(None, &["sync"]);
    let confirmed = waha.wait_for(LAILA, "تم تأكيد زيارتك", 15);
    assert!(
        confirmed
            .text
            .contains(status_link.split('?').next().unwrap()),
        "every message carries the status link: {}",
        confirmed.text
    );
    let status = phone.get(&status_link);
    assert!(
        status.body.contains("data-status=\"status-booked\""),
        "{}",
        status.body
    );
    assert_eq!(
        phone
            .get(&format!(
                "{}/calendar.ics",
                status_link.split('?').next().unwrap()
            ))
            .status,
        200
    );

    // The patient cancels from the status link; the desk's machine sees it after its sync.
    let csrf = field(&status.body, "csrf");
    let cancelled = phone.post(
        &format!("{}/cancel", status_link.split('?').next().unwrap()),
        &[("csrf", &csrf), ("lang", "ar")],
    );
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert!(cancelled.body.contains("data-status=\"status-cancelled\""));
    waha.wait_for(LAILA, "تم إلغاء زيارتك", 10);
    m.ok(None, &["sync"]);
    let after = desk_day(&m, &at)
        .into_iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap();
    assert_eq!(after["status"], "cancelled", "{after}");
    // The machine audited what the portal did, as it arrived.
    let log = m
        .ok(
            Some(("owner", OWNER_PW)),
            &["audit", "log", "--limit", "40"],
        )
        .to_string();
    assert!(
        log.contains("portal-request") && log.contains("portal-cancel"),
        "{log}"
    );
    assert!(log.contains(&id), "the audit names the booking");
    // `ok` fails the test if the command fails: the chain with the portal's rows verifies.
    m.ok(Some(("owner", OWNER_PW)), &["audit", "verify"]);

    // The owner sees what WhatsApp was asked to say, and what became of it; never the text.
    let owner = Some(("owner", OWNER_PW));
    let listed = m.ok(owner, &["portal", "messages"]);
    let kinds: Vec<&str> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    for kind in ["code", "requested", "confirmed", "cancelled-by-you"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(
        listed["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["to"] == "…678" && x["state"] == "sent"),
        "{listed}"
    );
    assert!(
        !listed.to_string().contains("كود الحجز في"),
        "no text reaches the clinic's list"
    );
    let refused = m.run(DESK, &["portal", "messages"]);
    assert!(!refused.status.success(), "the owner's alone");

    // The same in English, for a patient who chose it.
    let slot = slots_ahead(&phone, "en")[1].clone();
    let asked = ask(&phone, &slot, "Sara Adel", "+20 111 222 3344", "en");
    assert_eq!(asked.status, 303, "{}", asked.body);
    let code = code_in(&waha.wait_for("201112223344@c.us", "booking code", 10).text);
    let verified = type_code(&phone, &asked.location.unwrap(), &code, "en");
    let page = phone.get(&verified.location.unwrap());
    assert!(
        page.body.contains("dir=\"ltr\"")
            && page.body.contains("Requested: the clinic will confirm it")
    );
}

/// Clinic-local "YYYY-MM-DD HH:MM" of a slot link's time.
fn local(slot: &str) -> String {
    jiff::Timestamp::from_second(param(slot, "at").parse().unwrap())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Africa/Cairo").unwrap())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Books `slot` for `number` through the portal, code and all; the status link.
fn book_online(phone: &Phone, waha: &FakeWaha, slot: &str, number: &str, chat: &str) -> String {
    let asked = ask(phone, slot, "هدى سامي", number, "ar");
    assert_eq!(asked.status, 303, "{}", asked.body);
    let before = waha.to(chat).len();
    let code = loop {
        let sent = waha.to(chat);
        if sent.len() > before || sent.iter().any(|m| m.text.contains("كود")) {
            break code_in(
                &sent
                    .iter()
                    .rev()
                    .find(|m| m.text.contains("كود"))
                    .unwrap()
                    .text,
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let verified = type_code(phone, &asked.location.unwrap(), &code, "ar");
    assert_eq!(verified.status, 303, "{}", verified.body);
    verified
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn the_patient_moves_the_visit_hears_reminders_and_reviews_and_an_offline_clash_is_a_conflict() {
    let root = tempfile::tempdir().unwrap();
    let waha = FakeWaha::start();
    let (server, m) = clinic_online(root.path(), &waha, &[]);
    let owner = Some(("owner", OWNER_PW));
    m.ok(
        owner,
        &[
            "portal",
            "set",
            "--reminders",
            "168",
            "--review-link",
            "https://g.page/r/nour-review",
        ],
    );
    m.ok(None, &["sync"]);
    let phone = Phone::new(&server);
    let chat = "201099887766@c.us";
    let slots = slots_ahead(&phone, "ar");
    let link = book_online(&phone, &waha, &slots[0], "01099887766", chat);

    // Confirmed at the desk: the confirmation, then the reminder (a week before, so due now).
    m.ok(None, &["sync"]);
    let id = desk_day(&m, &param(&slots[0], "at"))
        .into_iter()
        .find(|a| a["status"] == "requested")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    m.ok(DESK, &["appointment", "set-status", &id, "booked"]);
    m.ok(None, &["sync"]);
    waha.wait_for(chat, "تم تأكيد زيارتك", 15);
    waha.wait_for(chat, "تذكير", 15);

    // The patient moves it to another free time of the day; the desk's machine sees it moved.
    let page = phone.get(&format!("{link}/move?lang=ar"));
    assert_eq!(page.status, 200, "{}", page.body);
    let to = {
        let at = page.body.find("name=\"at\" value=\"").unwrap();
        let rest = &page.body[at + 17..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    let moved = phone.post(
        &format!("{link}/move"),
        &[
            ("csrf", &field(&page.body, "csrf")),
            ("lang", "ar"),
            ("at", &to),
        ],
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(
        moved.body.contains("أصبح موعد زيارتك"),
        "the page says where it went"
    );
    waha.wait_for(chat, "أصبح موعد زيارتك", 10);
    m.ok(None, &["sync"]);
    let row = desk_day(&m, &to)
        .into_iter()
        .find(|a| a["id"] == id.as_str())
        .expect("moved on the desk's day");
    assert_eq!(row["status"], "booked");
    // A time already taken is refused, and the booking stays where it is.
    let taken = phone.post(
        &format!("{link}/move"),
        &[
            ("csrf", &field(&page.body, "csrf")),
            ("lang", "ar"),
            ("at", &to),
        ],
    );
    assert_eq!(taken.status, 409);

    // Seen: the review request goes out once the visit is done.
    for status in ["arrived", "in-exam", "done"] {
        m.ok(DESK, &["appointment", "set-status", &id, status]);
    }
    m.ok(None, &["sync"]);
    let review = waha.wait_for(chat, "يسعدنا تقييمك", 15);
    assert!(review.text.contains("https://g.page/r/nour-review"));

    // The desk books a time while its machine is offline; a patient takes the same time on
    // the portal (the server could not know): after the sync both stand, listed as a clash.
    let patient = m.ok(
        DESK,
        &["patient", "add", "--name", "كريم", "--phone", "01234567890"],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    let clash = slots[5].clone();
    // The portal lists the demo's doctors in the owner's order: Dr. Sara first.
    m.ok(
        DESK,
        &[
            "book",
            "--patient",
            &patient,
            "--doctor",
            "dr.sara",
            "--at",
            &local(&clash),
        ],
    );
    book_online(
        &Phone::new(&server),
        &waha,
        &clash,
        "01055544433",
        "201055544433@c.us",
    );
    m.ok(None, &["sync"]);
    let conflicts = m.ok(DESK, &["conflicts"]);
    let listed = conflicts.to_string();
    assert!(listed.contains("overlap"), "the clash is listed: {listed}");
}

#[test]
fn a_clinic_with_its_own_whatsapp_number_sends_through_it() {
    let root = tempfile::tempdir().unwrap();
    let platform = FakeWaha::start();
    let own = FakeWaha::start();
    let (server, _m) = clinic_online(root.path(), &platform, &[("AYADA_MESSAGE_PACE_MS", "700")]);
    let set = |args: &[&str]| {
        let out = std::process::Command::new(bin("ayada-server"))
            .args(["clinic", "waha"])
            .args(server.store_args())
            .args(["--slug", "nour"])
            .args(args)
            .env("AYADA_WAHA_KEY", fake_waha::KEY)
            .output()
            .unwrap();
        json_of(&out, args)
    };
    set(&["--url", &own.url, "--session", "default"]);
    let phone = Phone::new(&server);
    let slots = slots_ahead(&phone, "ar");
    assert_eq!(
        ask(&phone, &slots[0], "منة", "01011122233", "ar").status,
        303
    );
    own.wait_for("201011122233@c.us", "كود", 10);
    assert!(
        platform.sent().is_empty(),
        "the clinic's own number sent it"
    );

    // Back to the platform's number; two codes asked at once go out spaced, not in a burst.
    set(&["--platform"]);
    assert_eq!(
        ask(&phone, &slots[1], "منة", "01044455566", "ar").status,
        303
    );
    assert_eq!(
        ask(&phone, &slots[2], "مي", "01077788899", "ar").status,
        303
    );
    let first = platform.wait_for("201044455566@c.us", "كود", 10);
    let second = platform.wait_for("201077788899@c.us", "كود", 10);
    let gap = if second.at > first.at {
        second.at - first.at
    } else {
        first.at - second.at
    };
    assert!(
        gap >= std::time::Duration::from_millis(650),
        "paced: {gap:?}"
    );
}
