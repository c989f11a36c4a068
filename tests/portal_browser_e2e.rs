//! The portal in headless Chromium at a phone's size: a patient books in Arabic, reads the
//! code from (fake) WhatsApp and confirms; the receptionist's machine syncs and confirms; the
//! status page shows it and WhatsApp said it; the patient cancels and the clinic's machine
//! sees it. The English page too. Screenshots in target/test-artifacts/portal.

mod common;
mod fake_waha;
mod portal;

use common::*;
use fake_waha::{code_in, FakeWaha};
use portal::browser::{blank, Browser};
use portal::*;

#[test]
fn a_patient_books_on_a_phone_in_arabic_and_the_desk_answers() {
    if !portal::browser::available() {
        // scripts/test.sh installs them; a developer's machine may not have them.
        eprintln!("SKIPPED: Debian's chromium and chromium-driver are not installed");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let waha = FakeWaha::start();
    let (server, m) = clinic_online(root.path(), &waha, &[]);
    let phone = Browser::phone();

    phone.open(&format!("{}/c/nour", server.url));
    phone.wait_page("احجز زيارتك أونلاين");
    assert!(!blank(&phone.screenshot("clinic-ar")));

    // A day two or more days ahead (past the cut-off whatever today is), its first time.
    let slot = slots_ahead(&Phone::new(&server), "ar")[0].clone();
    phone.open(&format!("{}{}", server.url, slot));
    phone.wait_page("الاسم بالكامل");
    phone.type_into("#name", "ليلى محمود");
    phone.type_into("#phone", "٠١٠ ١٢٣٤ ٥٦٧٨");
    phone.set_value("#dob", "1990-05-21");
    phone.screenshot("form-ar");
    phone.click("button.main");
    phone.wait_page("أرسلنا كودًا");
    phone.screenshot("code-ar");
    let code = code_in(&waha.wait_for("201012345678@c.us", "كود الحجز", 10).text);
    phone.type_into("#code", &code);
    phone.click("form button.main");
    phone.wait_page("تم إرسال الطلب");
    assert!(phone.url().contains("/b/"));
    assert!(!blank(&phone.screenshot("requested-ar")));

    // The desk confirms on its machine; the patient hears it and the page shows it.
    m.ok(None, &["sync"]);
    let date = jiff::Timestamp::from_second(param(&slot, "at").parse().unwrap())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Africa/Cairo").unwrap())
        .date()
        .to_string();
    let day = m.ok(DESK, &["appointment", "list", "--date", &date]);
    let request = day["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "requested")
        .expect("the request is on the desk's day")
        .clone();
    m.ok(
        DESK,
        &[
            "appointment",
            "set-status",
            request["id"].as_str().unwrap(),
            "booked",
        ],
    );
    m.ok(None, &["sync"]);
    waha.wait_for("201012345678@c.us", "تم تأكيد زيارتك", 15);
    phone.open(&phone.url());
    phone.wait_page("مؤكد");
    phone.screenshot("confirmed-ar");

    // The patient cancels; the machine sees it at its next sync.
    phone.click("button.quiet");
    phone.wait_page("ملغي");
    phone.screenshot("cancelled-ar");
    m.ok(None, &["sync"]);
    let day = m.ok(DESK, &["appointment", "list", "--date", &date]);
    let after = day["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == request["id"])
        .unwrap()
        .clone();
    assert_eq!(after["status"], "cancelled");

    // English, left to right: another patient books the same way and reads the status.
    phone.open(&format!("{}/c/nour?lang=en", server.url));
    phone.wait_page("Book a visit online");
    assert!(!blank(&phone.screenshot("clinic-en")));
    let slot = slots_ahead(&Phone::new(&server), "en")[1].clone();
    phone.open(&format!("{}{}", server.url, slot));
    phone.wait_page("Your full name");
    phone.type_into("#name", "Sara Adel");
    phone.type_into("#phone", "+20 111 222 3344");
    phone.set_value("#dob", "1988-02-14");
    phone.click("button.main");
    phone.wait_page("We sent a 6-digit code");
    let code = code_in(&waha.wait_for("201112223344@c.us", "booking code", 10).text);
    phone.type_into("#code", &code);
    phone.click("form button.main");
    phone.wait_page("Requested: the clinic will confirm it");
    assert!(!blank(&phone.screenshot("requested-en")));
}
