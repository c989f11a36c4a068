//! The operator's console at /admin, over real loopback HTTP, as an admin uses it and as an
//! attacker tries it: the password, the TOTP enrolled at the first login, a fresh session
//! after the code; and a form from another site, a cookie replayed after logout or taken
//! before the code, a code used twice, codes and passwords guessed, an admin without the
//! second factor, a clinic machine's token, an idle session, and a row of the audit log
//! changed behind its back.

mod admin;

use std::sync::Arc;
use std::time::Duration;

use admin::*;
use ayada_server::admin::AdminConfig;
use ayada_server::logins::{LoginGuard, LoginLimits};
use ayada_server::store::Store;

#[test]
fn an_admin_enrolls_totp_at_the_first_login_and_every_attack_on_the_doors_fails() {
    let live = live(|_| {});
    // Nobody: the console sends to the login page, in Arabic, right to left.
    let r = live.get("/admin", None);
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/login?lang=ar".into())
    );
    let login = live.get("/admin/login", None).text().unwrap();
    assert!(login.contains("dir=\"rtl\"") && login.contains("تسجيل الدخول"));
    assert!(live
        .get("/admin/login?lang=en", None)
        .text()
        .unwrap()
        .contains("dir=\"ltr\""));

    // A login form posted from another site (no CSRF cookie, or another token) is refused.
    let forged = live.post(
        "/admin/login",
        None,
        &[
            ("email", ADMIN),
            ("password", ADMIN_PW),
            ("csrf", &"x".repeat(43)),
        ],
    );
    assert_eq!(forged.status(), 403);
    // A wrong password says so, and starts no session.
    let wrong = live.password("not-the-password").unwrap_err();
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong, "ayada_admin").is_none());

    // The right password opens only the code step: the console itself is not reachable.
    let half = live.password(ADMIN_PW).unwrap();
    let r = live.get("/admin", Some(&half));
    assert_eq!(location(&r), "/admin/totp?lang=ar");
    let (csrf, secret, page) = live.code_page(&half);
    let secret = secret.expect("the first login shows the secret to enroll");
    assert!(page.contains("data:image/png;base64,"), "the QR code");
    // The code form from another site, and a wrong code, are refused.
    assert_eq!(live.code(&half, &"y".repeat(43), "123456").status(), 403);
    let wrong = live.code(&half, &csrf, "000000");
    assert_eq!(wrong.status(), 401);
    // The right code: a new session, under a new token; the old one opens nothing now.
    let code = fresh_code(&live, &secret);
    let passed = live.code(&half, &csrf, &code);
    assert_eq!(
        (passed.status().as_u16(), location(&passed)),
        (303, "/admin?lang=ar".into())
    );
    let full = format!(
        "ayada_admin={}",
        cookie_value(&set_cookie(&passed, "ayada_admin").unwrap())
    );
    assert_ne!(full, half);
    assert_eq!(live.get("/admin", Some(&half)).status(), 303);
    let home = live.get("/admin?lang=en", Some(&full));
    assert_eq!(home.status(), 200);
    let home = home.text().unwrap();
    assert!(
        home.contains("عيادة النور") && home.contains(OWNER),
        "{home}"
    );
    // The same code again (a shoulder-surfer, a replayed form) is refused.
    let again = live.password(ADMIN_PW).unwrap();
    let (csrf2, secret_again, _) = live.code_page(&again);
    assert_eq!(
        secret_again, None,
        "enrolled: the secret is never shown again"
    );
    assert_eq!(live.code(&again, &csrf2, &code).status(), 401);

    // A clinic machine's bearer token is nothing to the console.
    let r = browser()
        .get(format!("{}/admin", live.url))
        .bearer_auth("a.machine.token")
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);

    // Logout needs the session's CSRF token; after it, the cookie replayed opens nothing.
    let page = live.get("/admin", Some(&full)).text().unwrap();
    let token = form_csrf(&page);
    assert_eq!(
        live.post("/admin/logout", Some(&full), &[("csrf", &"z".repeat(43))])
            .status(),
        403
    );
    let out = live.post("/admin/logout", Some(&full), &[("csrf", &token)]);
    assert_eq!(out.status(), 303);
    assert!(set_cookie(&out, "ayada_admin")
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(live.get("/admin", Some(&full)).status(), 303);

    // The audit log holds each act, in a chain the console finds intact.
    let full = live.log_in(&secret);
    let audit = live
        .get("/admin/audit?lang=en", Some(&full))
        .text()
        .unwrap();
    assert!(audit.contains("hash chain is intact"), "{audit}");
    for act in ["admin-created", "totp-enrolled", "login", "logout"] {
        assert!(audit.contains(act), "{act} missing: {audit}");
    }
    // Append-only: the database refuses to change or drop a row.
    let db = rusqlite::Connection::open(live.dir.path().join("platform.db")).unwrap();
    let changed = db.execute(
        "UPDATE admin_audit SET action = 'nothing' WHERE seq = 2",
        [],
    );
    assert!(changed.is_err());
    assert!(db
        .execute("DELETE FROM admin_audit WHERE seq = 2", [])
        .is_err());
    // A row forged past the triggers (dropped, the row changed, put back) breaks the chain.
    db.execute_batch(
        "DROP TRIGGER admin_audit_no_update;
         UPDATE admin_audit SET subject = 'someone else' WHERE seq = 1;",
    )
    .unwrap();
    let audit = live
        .get("/admin/audit?lang=en", Some(&full))
        .text()
        .unwrap();
    assert!(audit.contains("broken at row #1"), "{audit}");
}

#[test]
fn guessed_passwords_and_codes_lock_the_door_even_for_the_right_ones() {
    let live = live(|s| {
        s.logins = Arc::new(LoginGuard::new(LoginLimits {
            fails_per_email: 3,
            ..LoginLimits::default()
        }))
    });
    for _ in 0..3 {
        assert_eq!(live.password("a-guess-1234").unwrap_err().status(), 401);
    }
    assert_eq!(live.password(ADMIN_PW).unwrap_err().status(), 429);

    // Codes: a fresh server (the password counter is per process), three wrong codes, then
    // even the right one waits.
    let live = crate::live(|s| {
        s.logins = Arc::new(LoginGuard::new(LoginLimits {
            fails_per_email: 3,
            ..LoginLimits::default()
        }))
    });
    let half = live.password(ADMIN_PW).unwrap();
    let (csrf, secret, _) = live.code_page(&half);
    for guess in ["111111", "222222", "333333"] {
        assert_eq!(live.code(&half, &csrf, guess).status(), 401);
    }
    let right = fresh_code(&live, &secret.unwrap());
    assert_eq!(live.code(&half, &csrf, &right).status(), 429);
}

#[test]
fn an_idle_session_ends_by_itself() {
    let live = live(|s| {
        s.admin = Arc::new(AdminConfig {
            idle: Duration::from_secs(1),
            ..AdminConfig::default()
        })
    });
    let half = live.password(ADMIN_PW).unwrap();
    let (_, secret, _) = live.code_page(&half);
    let full = live.log_in(&secret.unwrap());
    assert_eq!(live.get("/admin", Some(&full)).status(), 200);
    std::thread::sleep(Duration::from_millis(2500));
    let r = live.get("/admin", Some(&full));
    assert_eq!(location(&r), "/admin/login?lang=ar");
}

#[test]
fn the_operator_records_tiers_and_payments_and_a_suspension_stops_sync_and_booking_until_resumed() {
    let live = live(|_| {});
    let half = live.password(ADMIN_PW).unwrap();
    let (_, secret, _) = live.code_page(&half);
    let full = live.log_in(&secret.unwrap());
    let clinic = live.store.clinic_by_email(OWNER).unwrap().unwrap().id;
    let credential = enrolled_machine(&live);
    let machine_token = token(&live, &credential)
        .json::<serde_json::Value>()
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let page = format!("/admin/clinics/{clinic}?lang=en");
    // No tier yet: the platform bills nobody, and no clinic is suspended for want of payment.
    let shown = live.get(&page, Some(&full)).text().unwrap();
    assert!(shown.contains("bills nobody yet"), "{shown}");
    let csrf = form_csrf(&shown);

    // Tiers: one added; one that overlaps it, and a price that is not money, refused.
    let tier = |name: &str, min: &str, max: &str, monthly: &str| {
        live.post(
            "/admin/tiers",
            Some(&full),
            &[
                ("csrf", &csrf),
                ("lang", "en"),
                ("name", name),
                ("min_staff", min),
                ("max_staff", max),
                ("monthly", monthly),
            ],
        )
    };
    assert_eq!(tier("Small", "0", "5", "300").status(), 303);
    let overlap = tier("Also small", "3", "9", "400");
    assert_eq!(overlap.status(), 400);
    assert!(overlap.text().unwrap().contains("overlaps"));
    assert_eq!(tier("Odd", "10", "", "a lot").status(), 400);
    let tiers = live
        .get("/admin/tiers?lang=en", Some(&full))
        .text()
        .unwrap();
    assert!(tiers.contains("Small") && tiers.contains("300.00 EGP") && !tiers.contains("Odd"));
    // Billing on: a new clinic has its first month.
    let shown = live.get(&page, Some(&full)).text().unwrap();
    assert!(shown.contains("In its first month"), "{shown}");

    // A payment: a wrong one is refused with why, a good one recorded.
    let pay = |amount: &str, from: &str, to: &str, csrf: &str| {
        live.post(
            &format!("/admin/clinics/{clinic}/payments"),
            Some(&full),
            &[
                ("csrf", csrf),
                ("lang", "en"),
                ("amount", amount),
                ("paid_on", "2026-11-29"),
                ("method", "instapay"),
                ("reference", "IP-778812"),
                ("period_from", from),
                ("period_to", to),
            ],
        )
    };
    let bad = pay("-5", "2026-12-01", "2026-12-31", &csrf);
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("positive number of pounds"));
    assert_eq!(pay("300", "2027-01-31", "2027-01-01", &csrf).status(), 400);
    assert_eq!(
        pay("300", "2026-12-01", "2099-12-31", &"f".repeat(43)).status(),
        403
    );
    assert_eq!(
        pay("300.50", "2026-12-01", "2099-12-31", &csrf).status(),
        303
    );
    let shown = live.get(&page, Some(&full)).text().unwrap();
    assert!(shown.contains("Paid through 2099-12-31") && shown.contains("300.50 EGP"));
    assert!(shown.contains("IP-778812") && shown.contains("InstaPay"));

    // A suspension by hand: the machines' sync is refused with the reason, at the token
    // door and with a token taken before; the portal says booking is paused.
    let hold = live.post(
        &format!("/admin/clinics/{clinic}/hold"),
        Some(&full),
        &[("csrf", &csrf), ("lang", "en"), ("note", "cheque bounced")],
    );
    assert_eq!(hold.status(), 303);
    let refused = token(&live, &credential);
    assert_eq!(refused.status(), 403);
    let said: serde_json::Value = refused.json().unwrap();
    assert_eq!(said["code"], "suspended");
    assert!(
        said["error"].as_str().unwrap().contains("cheque bounced"),
        "{said}"
    );
    let pull = browser()
        .get(format!("{}/v1/changes?since=0", live.url))
        .bearer_auth(&machine_token)
        .send()
        .unwrap();
    assert_eq!(pull.status(), 403);
    let portal = live.get("/c/nour?lang=en", None);
    assert_eq!(portal.status(), 503);
    assert!(portal
        .text()
        .unwrap()
        .contains("Online booking at this clinic is paused"));
    let shown = live.get(&page, Some(&full)).text().unwrap();
    assert!(
        shown.contains("Suspended by an admin: cheque bounced"),
        "{shown}"
    );

    // Resumed: everything comes back.
    let resume = live.post(
        &format!("/admin/clinics/{clinic}/resume"),
        Some(&full),
        &[("csrf", &csrf), ("lang", "en")],
    );
    assert_eq!(resume.status(), 303);
    assert_eq!(token(&live, &credential).status(), 200);
    assert_ne!(live.get("/c/nour?lang=en", None).status(), 503);

    let audit = live
        .get("/admin/audit?lang=en", Some(&full))
        .text()
        .unwrap();
    for act in [
        "tier-added",
        "payment-recorded",
        "clinic-suspended",
        "clinic-resumed",
    ] {
        assert!(audit.contains(act), "{act}: {audit}");
    }
    assert!(audit.contains("hash chain is intact"));
}

/// Days before or after the clinic's today (Africa/Cairo), as the forms take them.
fn cairo_day(offset: i64) -> String {
    let today = jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap().date();
    today
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
        .to_string()
}

#[test]
fn a_clinic_whose_paid_days_ran_out_is_in_grace_then_suspended_and_a_payment_brings_it_back() {
    let live = live(|_| {});
    let full = admin_session(&live);
    let clinic = live.store.clinic_by_email(OWNER).unwrap().unwrap().id;
    let credential = enrolled_machine(&live);
    let page = format!("/admin/clinics/{clinic}?lang=en");
    let csrf = form_csrf(&live.get(&page, Some(&full)).text().unwrap());
    let post = |path: &str, fields: &[(&str, &str)]| {
        let mut form = vec![("csrf", csrf.as_str()), ("lang", "en")];
        form.extend_from_slice(fields);
        live.post(path, Some(&full), &form)
    };
    assert_eq!(
        post(
            "/admin/tiers",
            &[
                ("name", "Small"),
                ("min_staff", "0"),
                ("max_staff", ""),
                ("monthly", "300")
            ]
        )
        .status(),
        303
    );
    let pay = |from: &str, to: &str| {
        post(
            &format!("/admin/clinics/{clinic}/payments"),
            &[
                ("amount", "300"),
                ("paid_on", from),
                ("method", "cash"),
                ("reference", ""),
                ("period_from", from),
                ("period_to", to),
            ],
        )
    };
    // Paid through five days ago: grace, with the day sync stops; the machine still syncs.
    assert_eq!(pay(&cairo_day(-35), &cairo_day(-5)).status(), 303);
    let shown = live.get(&page, Some(&full)).text().unwrap();
    let stops = cairo_day(-5 + 15);
    assert!(
        shown.contains(&format!("its sync stops on {stops}")),
        "{shown}"
    );
    assert_eq!(token(&live, &credential).status(), 200);

    // A clinic paid through twenty days ago (past the 14 days of grace): suspended, and its
    // machine is told since when.
    let other = uuid::Uuid::now_v7().to_string();
    live.store
        .create_clinic(&ayada_server::store::ClinicRecord {
            id: other.clone(),
            slug: "late".into(),
            name: "Late".into(),
            owner_email: "late@example.com".into(),
            password_hash: ayada_server::hash_password(OWNER_PW).unwrap(),
            data_clinic_id: None,
            time_zone: "Africa/Cairo".into(),
        })
        .unwrap();
    let late_page = format!("/admin/clinics/{other}?lang=en");
    let post_late = |from: &str, to: &str| {
        post(
            &format!("/admin/clinics/{other}/payments"),
            &[
                ("amount", "300"),
                ("paid_on", from),
                ("method", "wallet"),
                ("reference", "W-1"),
                ("period_from", from),
                ("period_to", to),
            ],
        )
    };
    assert_eq!(post_late(&cairo_day(-50), &cairo_day(-20)).status(), 303);
    let late_machine: serde_json::Value = browser()
        .post(format!("{}/v1/enroll", live.url))
        .json(&serde_json::json!({
            "email": "late@example.com", "password": OWNER_PW,
            "node_id": uuid::Uuid::now_v7().to_string(),
            "local_clinic_id": uuid::Uuid::now_v7().to_string(),
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let late_credential = late_machine["device_credential"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = token(&live, &late_credential);
    assert_eq!(refused.status(), 403);
    let said: serde_json::Value = refused.json().unwrap();
    assert!(
        said["error"]
            .as_str()
            .unwrap()
            .contains(&format!("nothing has been paid since {}", cairo_day(-20))),
        "{said}"
    );
    assert!(live
        .get(&late_page, Some(&full))
        .text()
        .unwrap()
        .contains("Suspended: nothing has been paid"));
    // Paid through next month: it syncs again at once.
    assert_eq!(post_late(&cairo_day(-19), &cairo_day(30)).status(), 303);
    assert_eq!(token(&live, &late_credential).status(), 200);
}
