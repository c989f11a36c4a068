//! A clinic leaving the platform, in headless Chromium: the operator ends its subscription
//! on its console page (the slug typed to confirm), the owner opens the emailed download
//! page, and once the window has passed (the server's clock moved a month on with
//! libfaketime) the sweep deletes the clinic's data: its file and its key are gone, the
//! console shows the tombstone and the link says so. Both languages; screenshots in
//! target/test-artifacts/portal (console-ended-*.png, owner-export-*.png).

#[path = "portal/browser.rs"]
mod browser;
mod common;

use browser::{blank, Browser};
use common::console::*;
use common::*;

#[test]
fn the_operator_ends_a_clinic_the_owner_sees_the_download_and_a_month_later_it_is_gone() {
    if !browser::available() {
        eprintln!("SKIPPED: Debian's chromium and chromium-driver are not installed");
        return;
    }
    if common::on_postgres() {
        eprintln!("SKIPPED: the deleted file is looked for in the SQLite folder");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let (resend, emails) = fake_resend();
    let data = root.path().join("server");
    let mail = [
        ("AYADA_RESEND_KEY", "re_test_key"),
        ("AYADA_RESEND_URL", resend.as_str()),
        ("AYADA_PORTAL_SWEEP_SECONDS", "1"),
    ];
    let server = Server::start_with_env(&data, &mail);
    let clinic = server.create_clinic("nour", NOUR, OWNER_PW);
    let desk = enrolled_machine(root.path(), "front-desk", &server, NOUR, OWNER_PW, 1);
    desk.ok(None, &["sync"]);
    make_admin(&server);

    let b = Browser::desktop();
    b.open(&format!("{}/admin?lang=en", server.url));
    b.wait_page("Sign in");
    b.type_into("#email", ADMIN);
    b.type_into("#password", ADMIN_PW);
    b.click("button.main");
    b.wait_page("Two-step sign-in");
    let secret = b.text("#secret");
    b.type_into("#code", &authenticator(&secret));
    b.click("button.main");
    b.wait_page("Clinics (1)");
    b.open(&format!("{}/admin/clinics/{clinic}?lang=en", server.url));
    b.wait_page("End the subscription");
    b.type_into("#end-note", "the clinic closed its doors");
    b.type_into("#confirm", "nour");
    b.click("#terminate");
    b.wait_page("download its data until");
    assert!(!blank(&b.screenshot("console-ended-en")));
    b.open(&b.url().replace("lang=en", "lang=ar"));
    b.wait_page("انتهى اشتراكها");
    b.screenshot("console-ended-ar");

    // The owner's page behind the emailed link, in both languages.
    let link = export_link(&emails);
    b.open(&link);
    b.wait_page("تنزيل بيانات عيادتك");
    b.screenshot("owner-export-ar");
    b.open(&format!("{link}?lang=en"));
    b.wait_page("Download your clinic's data");
    assert!(b.text("#intro").contains("nour"));
    b.screenshot("owner-export-en");
    let url = server.url.clone();
    drop(server);

    // A month on (the window is 30 days): the sweep deletes the clinic's data.
    let ahead = clock_ahead(31);
    let mut moved: Vec<(&str, &str)> = mail.to_vec();
    moved.extend(ahead.iter().map(|(k, v)| (*k, v.as_str())));
    let server = Server::again_on(&data, &url, &moved);
    let file = data.join("clinics").join(format!("{clinic}.db"));
    for _ in 0..100 {
        if !file.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!file.exists(), "the clinic's file is deleted");
    let keys = rusqlite::Connection::open(data.join("platform.db"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM clinic_keys WHERE scope = ?1 AND length(wrapped) > 0",
            [&clinic],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(keys, 0, "the clinic's key is destroyed");
    let session = console_login(&server, &secret, 31 * 86_400);
    let page = console_page(
        &server,
        &session,
        &format!("/admin/clinics/{clinic}?lang=en"),
    );
    assert!(
        page.contains("Deleted") && page.contains("its key destroyed"),
        "{page}"
    );
    b.open(&format!("{link}?lang=en"));
    b.wait_page("the clinic's data was deleted");
    b.screenshot("owner-export-gone-en");
    let refused = desk.run_with(None, &[("AYADA_LANG", "en")], &["sync"]);
    assert!(!refused.status.success());
}
