//! The operator's console in headless Chromium: an admin made on the command line logs in,
//! enrolls the second factor from the page (its key read off the screen, as a phone's
//! authenticator reads the QR code), and sees the clinic with its staff and machines, in
//! Arabic and English; the audit log shows each act. Screenshots in
//! target/test-artifacts/portal (console-*.png).

#[path = "portal/browser.rs"]
mod browser;
mod common;

use std::process::Command;

use browser::{blank, Browser};
use common::console::{authenticator, make_admin, ADMIN, ADMIN_PW};
use common::*;

#[test]
fn an_admin_enrolls_the_second_factor_and_sees_the_clinics_in_both_languages() {
    if !browser::available() {
        eprintln!("SKIPPED: Debian's chromium and chromium-driver are not installed");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    // A clinic with its front desk enrolled and synced (staff and a machine to count).
    let (server, desk) = front_desk_on_server(root.path(), 1, true);
    assert_eq!(make_admin(&server)["admin"], ADMIN);
    // A password under 12 characters is refused, and said why.
    let short = Command::new(bin("ayada-server"))
        .args(["admin", "create", "--email", "b@ayada.example"])
        .args(server.store_args())
        .env("AYADA_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let b = Browser::desktop();
    b.open(&format!("{}/admin", server.url));
    b.wait_page("تسجيل الدخول");
    b.type_into("#email", ADMIN);
    b.type_into("#password", ADMIN_PW);
    b.screenshot("console-login-ar");
    b.click("button.main");
    b.wait_page("الدخول بخطوتين إلزامي");
    assert!(!blank(&b.screenshot("console-enroll-ar")));
    let secret = b.text("#secret");
    b.type_into("#code", &authenticator(&secret));
    b.click("button.main");
    b.wait_page("العيادات (1)");
    let row = b.text("#clinics tbody tr");
    assert!(row.contains("nour") && row.contains(NOUR), "{row}");
    assert!(!blank(&b.screenshot("console-clinics-ar")));

    b.open(&format!("{}/admin?lang=en", server.url));
    b.wait_page("Clinics (1)");
    // The owner and the demo's three staff, from the clinic's own document; one machine.
    let staff: u32 = b
        .text("#clinics tbody tr td:nth-child(4)")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(staff, 4);
    assert_eq!(b.text("#clinics tbody tr td:nth-child(5)").trim(), "1");
    assert_ne!(b.text("#clinics tbody tr td:nth-child(6)").trim(), "never");
    b.screenshot("console-clinics-en");
    b.open(&format!("{}/admin/audit?lang=en", server.url));
    b.wait_page("hash chain is intact");
    let log = b.text("#audit");
    for act in ["admin-created", "totp-enrolled", "login"] {
        assert!(log.contains(act), "{act}: {log}");
    }
    b.screenshot("console-audit-en");

    // The clinic's page: a tier, a payment, then a suspension the front desk's sync meets.
    b.open(&format!("{}/admin/tiers?lang=en", server.url));
    b.type_into("#name", "Small clinic");
    b.type_into("#min_staff", "1");
    b.type_into("#max_staff", "5");
    b.type_into("#monthly", "450");
    b.click("#add-tier");
    b.wait_page("450.00 EGP");
    b.open(&format!("{}/admin?lang=en", server.url));
    b.click("#clinics tbody tr td a");
    b.wait_page("In its first month");
    b.type_into("#amount", "450");
    b.set_value("#paid_on", "2026-11-29");
    b.type_into("#reference", "IP-20261129-7781");
    b.set_value("#period_from", "2026-12-01");
    b.set_value("#period_to", "2099-12-31");
    b.click("#record");
    b.wait_page("Paid through 2099-12-31");
    assert!(b.text("#tier").contains("Small clinic"));
    b.type_into("#note", "the bank returned the transfer");
    b.click("#suspend");
    b.wait_page("Suspended by an admin");
    b.screenshot("console-clinic-suspended-en");
    let refused = desk.run(None, &["sync"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("suspended") && said.contains("the bank returned the transfer"),
        "{said}"
    );
    b.open(&b.url().replace("lang=en", "lang=ar"));
    b.wait_page("أوقفها مشرف");
    b.screenshot("console-clinic-suspended-ar");
    b.click("#resume");
    b.wait_page("مدفوعة حتى 2099-12-31");
    desk.ok(None, &["sync"]);
}
