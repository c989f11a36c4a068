//! The owner's login asks for an authenticator code on every machine of the clinic once the
//! owner turned it on: offline (a code needs only the clock), each code once per machine,
//! the other accounts untouched, and only the owner turns it on or off.

use ayada_core::CoreError;
use ayada_model::totp::code_at;

mod support;

use support::machines::{first_machine, joining_machine, login, pull, PW};

/// Now, early enough in its 30-second step that the test's three codes (the step before,
/// this one, the next) all stay within the one either side of the clock's while it runs.
fn early_in_a_step() -> u64 {
    loop {
        let now = jiff::Timestamp::now().as_second() as u64;
        if now % 30 < 20 {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[test]
fn the_owners_login_asks_for_the_code_on_every_machine_once_turned_on() {
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    pull(&mut machines, 1, 0);
    let owner = login(&mut machines[0], "owner");
    let desk = login(&mut machines[0], "desk");

    // Only the owner turns it on, for the owner's own login.
    assert!(matches!(
        machines[0].clinic.start_login_code(&desk),
        Err(CoreError::Forbidden { .. })
    ));
    let setup = machines[0].clinic.start_login_code(&owner).unwrap();
    assert!(setup.qr.starts_with("data:image/png;base64,"));
    let now = early_in_a_step();
    let code = |offset: i64| code_at(&setup.secret, "owner", (now as i64 + offset) as u64).unwrap();
    let wrong = if code(-30) == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(matches!(
        machines[0].clinic.confirm_login_code(&owner, wrong),
        Err(CoreError::LoginCodeWrong)
    ));
    machines[0]
        .clinic
        .confirm_login_code(&owner, &code(-30))
        .unwrap();
    assert!(machines[0].clinic.login_code_on(&owner).unwrap());

    // This machine: the password alone is not enough; a code serves once.
    assert!(matches!(
        machines[0].clinic.login("owner", PW),
        Err(CoreError::LoginCodeRequired)
    ));
    assert!(matches!(
        machines[0]
            .clinic
            .login_with_code("owner", PW, Some(&code(-30))),
        Err(CoreError::LoginCodeWrong)
    ));
    machines[0]
        .clinic
        .login_with_code("owner", PW, Some(&code(0)))
        .unwrap();
    assert!(matches!(
        machines[0]
            .clinic
            .login_with_code("owner", PW, Some(&code(0))),
        Err(CoreError::LoginCodeWrong)
    ));
    // A wrong password is still just that, code or not.
    assert!(matches!(
        machines[0]
            .clinic
            .login_with_code("owner", "not-it", Some(&code(30))),
        Err(CoreError::LoginFailed)
    ));
    // The other accounts log in as before.
    login(&mut machines[0], "desk");

    // The other machine, once the clinic's document reached it, asks too.
    pull(&mut machines, 1, 0);
    assert!(matches!(
        machines[1].clinic.login("owner", PW),
        Err(CoreError::LoginCodeRequired)
    ));
    let there = machines[1]
        .clinic
        .login_with_code("owner", PW, Some(&code(0)))
        .unwrap();
    assert!(machines[1].clinic.login_code_on(&there).unwrap());

    // The audit keeps the refusals and the change, never a code.
    let rows = machines[0].clinic.audit_log(&owner, 50).unwrap();
    assert!(rows.iter().any(|r| r.action == "login-code-on"));
    assert!(rows
        .iter()
        .any(|r| r.action == "login" && r.subject == "login-code-required"));
    assert!(rows.iter().all(|r| !r.subject.contains(&code(0))));

    // Off again, with a code: the password alone opens it.
    machines[0]
        .clinic
        .remove_login_code(&owner, &code(30))
        .unwrap();
    machines[0].clinic.login("owner", PW).unwrap();
    pull(&mut machines, 1, 0);
    machines[1].clinic.login("owner", PW).unwrap();
}
