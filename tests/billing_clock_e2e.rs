//! A clinic's standing as the clock moves, with the real binaries: the operator records a
//! month's payment; five weeks later (the server's clock moved ahead with libfaketime, the
//! machines' left alone) the clinic is in its grace and still syncs; seven weeks later it is
//! suspended, its front desk's sync is refused with the sentence and its portal is paused;
//! a new payment brings it all back at once.

mod common;

use common::console::*;
use common::*;

const DAY: u64 = 86_400;

/// The server on `data`, on the address `url` its machines know, with its clock `days`
/// ahead.
fn server_ahead(data: &std::path::Path, url: &str, days: u64) -> Server {
    let env = clock_ahead(days);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::again_on(data, url, &env)
}

fn pay(server: &Server, session: &str, clinic: &str, from: &str, to: &str) {
    let page = console_page(server, session, &format!("/admin/clinics/{clinic}"));
    let r = post(
        &format!("{}/admin/clinics/{clinic}/payments", server.url),
        session,
        &[
            ("csrf", &csrf_in(&page)),
            ("lang", "en"),
            ("amount", "300"),
            ("paid_on", from),
            ("method", "bank-transfer"),
            ("reference", "TR-1"),
            ("period_from", from),
            ("period_to", to),
        ],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap());
}

#[test]
fn a_clinic_goes_to_grace_then_suspended_as_the_clock_moves_and_a_payment_resumes_it() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("server");
    let server = Server::start(&data);
    let clinic = server.create_clinic("nour", NOUR, OWNER_PW);
    let desk = enrolled_machine(root.path(), "front-desk", &server, NOUR, OWNER_PW, 1);
    desk.ok(None, &["sync"]);
    make_admin(&server);
    let (session, secret) = enroll_console(&server);
    let page = console_page(&server, &session, "/admin/tiers");
    let r = post(
        &format!("{}/admin/tiers", server.url),
        &session,
        &[
            ("csrf", &csrf_in(&page)),
            ("name", "Small"),
            ("min_staff", "0"),
            ("max_staff", ""),
            ("monthly", "300"),
        ],
    );
    assert_eq!(r.status(), 303);
    let today = jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap().date();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    pay(&server, &session, &clinic, &day(0), &day(29));
    let url = server.url.clone();
    drop(server);

    // Five weeks on: past the paid month, within the 14 days' grace. It syncs, and the
    // console says until when.
    let server = server_ahead(&data, &url, 35);
    desk.ok(None, &["sync"]);
    let session = console_login(&server, &secret, 35 * DAY);
    let shown = console_page(
        &server,
        &session,
        &format!("/admin/clinics/{clinic}?lang=en"),
    );
    assert!(
        shown.contains("Grace") && shown.contains(&format!("its sync stops on {}", day(44))),
        "{shown}"
    );
    drop(server);

    // Seven weeks on: suspended. The desk's sync is refused with why; the portal is paused.
    let server = server_ahead(&data, &url, 50);
    let refused = desk.run_with(None, &[("AYADA_LANG", "en")], &["sync"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stdout).to_string()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("suspended") && said.contains(&format!("since {}", day(29))),
        "{said}"
    );
    let portal = client()
        .get(format!("{}/c/nour", server.url))
        .send()
        .unwrap();
    assert_eq!(portal.status(), 503);

    // A payment recorded: everything back at once, nothing lost.
    let session = console_login(&server, &secret, 50 * DAY);
    pay(&server, &session, &clinic, &day(30), &day(89));
    desk.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            "After the payment",
            "--phone",
            "01011112233",
        ],
    );
    let synced = desk.ok(None, &["sync"]);
    assert!(synced["pushed"].as_u64().unwrap() > 0, "{synced}");
    assert_eq!(
        client()
            .get(format!("{}/c/nour", server.url))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}
