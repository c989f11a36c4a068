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
    assert_eq!(type_code_again(&phone, &verify, &code), 404);

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
    waha.wait_for(LAILA, "تم تأكيد زيارتك", 15);
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

/// Posts `code` again on a verification page that has been used: its answer's status.
fn type_code_again(phone: &Phone, verify: &str, _code: &str) -> u16 {
    phone.get(verify).status
}
