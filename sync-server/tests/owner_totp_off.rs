//! The owner's two-step sign-in turned off: by the owner with the password and a code (a
//! wrong code refused), or by the operator for a lost phone (audited, the form's CSRF token
//! checked); the owner is emailed either way.

mod admin;

use admin::*;
use ayada_server::admin::totp;
use ayada_server::store::{AdminStore, Store};

/// Two-step sign-in on for the owner, its steps up to a few minutes ago used.
fn turned_on(live: &Live, clinic: &str) -> String {
    let secret = live
        .store
        .offer_owner_totp(clinic, &totp::new_secret())
        .unwrap();
    assert!(live
        .store
        .take_owner_totp_step(clinic, (now() / 30) as i64 - 10)
        .unwrap());
    secret
}

#[test]
fn the_owner_turns_two_step_sign_in_off_with_a_code_and_the_operator_for_a_lost_phone() {
    let live = live(|_| {});
    let clinic = live.store.clinic_by_email(OWNER).unwrap().unwrap().id;
    let secret = turned_on(&live, &clinic);

    let form = live.get("/owner/security/off?lang=en", None);
    assert_eq!(form.status(), 200);
    let csrf = cookie_value(&set_cookie(&form, "ayada_csrf").unwrap());
    let cookie = format!("ayada_csrf={csrf}");
    let off = |code: &str| {
        live.post(
            "/owner/security/off",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("lang", "en"),
                ("email", OWNER),
                ("password", OWNER_PW),
                ("code", code),
            ],
        )
    };
    let right = totp::code_at(&secret, OWNER, now()).unwrap();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = off(wrong);
    assert_eq!(refused.status(), 401);
    assert!(refused.text().unwrap().contains("not right"));
    assert!(live.store.owner_totp(&clinic).unwrap().is_some());
    let done = off(&right);
    assert_eq!(done.status(), 200);
    assert!(done.text().unwrap().contains("Two-step sign-in is off"));
    assert!(live.store.owner_totp(&clinic).unwrap().is_none());

    // A lost phone: the operator turns it off from the clinic's page.
    turned_on(&live, &clinic);
    let session = admin_session(&live);
    let page = format!("/admin/clinics/{clinic}?lang=en");
    let shown = live.get(&page, Some(&session)).text().unwrap();
    assert!(shown.contains("authenticator app's code"), "{shown}");
    let reset = format!("/admin/clinics/{clinic}/owner-totp-reset");
    let forged = live.post(&reset, Some(&session), &[("csrf", "forged-token")]);
    assert_eq!(forged.status(), 403);
    assert!(live.store.owner_totp(&clinic).unwrap().is_some());
    let r = live.post(&reset, Some(&session), &[("csrf", &form_csrf(&shown))]);
    assert_eq!(r.status(), 303);
    assert!(live.store.owner_totp(&clinic).unwrap().is_none());
    let audit = live.store.admin_audit().unwrap();
    assert!(audit
        .iter()
        .any(|row| row.action == "owner-totp-reset" && row.subject == clinic));
    let told = live
        .store
        .emails(20)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "totp-off")
        .count();
    assert_eq!(told, 2, "the owner is told each time");
}
