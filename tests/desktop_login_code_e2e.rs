//! The owner turns the login code on in the real window (the key read off the screen, as an
//! authenticator app would take it from the QR code), and from then on the owner's login
//! asks for the app's code: refused without it and with a wrong one, let in with the right
//! one; the receptionist logs in as before. Screenshots in target/test-artifacts/desktop.

#![cfg(unix)]

mod common;
mod window;

use std::time::Duration;

use window::*;

/// The code of the first step not used yet that the machine still takes (the step before
/// the clock's, its own, or the next), waiting for one if need be; `last` is the last used.
fn fresh_code(secret: &str, last: &mut u64) -> String {
    loop {
        let now = jiff::Timestamp::now().as_second() as u64;
        let step = (now / 30).saturating_sub(1).max(*last + 1);
        if step <= now / 30 + 1 {
            *last = step;
            return common::console::authenticator_at(secret, step * 30);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn the_owner_turns_the_login_code_on_and_the_window_asks_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    desk.ok(Some(("owner", OWNER_PW)), &["demo", "--days", "1"]);
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &desk.data), ("AYADA_KEY_FILE", &desk.key)],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=nav-settings]");
    s.click("[data-test=login-code-start]");
    let secret = s.text("[data-test=login-code-secret]");
    assert_eq!(secret.len(), 32, "{secret:?}");
    s.script(
        "document.querySelector('[data-test=login-code-qr]').scrollIntoView({block: 'center'})",
        serde_json::json!([]),
    );
    s.screenshot("26-login-code-setup");
    let mut last = 0;
    s.type_into(
        "[data-test=login-code-entry]",
        &fresh_code(&secret, &mut last),
    );
    s.click("[data-test=login-code-confirm]");
    s.wait_count("[data-test=login-code-on]", 1);

    // The password alone is not enough any more; a wrong code neither.
    s.log_out();
    s.type_into("[data-test=login]", "owner");
    s.type_into("[data-test=password]", OWNER_PW);
    s.click("[data-test=sign-in]");
    s.wait_text_for(
        "[data-test=error]",
        "authenticator",
        Duration::from_secs(10),
    );
    s.wait_count("[data-test=login-code]", 1);
    s.screenshot("27-login-asks-for-the-code");
    let right = fresh_code(&secret, &mut last);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    s.type_into("[data-test=login-code]", wrong);
    s.click("[data-test=sign-in]");
    s.wait_text_for("[data-test=error]", "not right", Duration::from_secs(10));
    s.type_into("[data-test=password]", OWNER_PW);
    s.type_into("[data-test=login-code]", &right);
    s.click("[data-test=sign-in]");
    s.find("[data-test=who]");

    // The same code does not open it twice; the receptionist needs none.
    s.log_out();
    s.log_in("reception", common::STAFF_PW);
    s.log_out();
    let refused = desk.run_with(
        Some(("owner", OWNER_PW)),
        &[("AYADA_LOGIN_CODE", &right)],
        &["appointment", "list"],
    );
    assert!(!refused.status.success(), "a used code let the owner in");
    let by_cli = desk.run_with(
        Some(("owner", OWNER_PW)),
        &[("AYADA_LOGIN_CODE", &fresh_code(&secret, &mut last))],
        &["appointment", "list"],
    );
    assert!(
        by_cli.status.success(),
        "{}",
        String::from_utf8_lossy(&by_cli.stderr)
    );
}
