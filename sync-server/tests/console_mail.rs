//! A clinic made from the console, its owner invited by email through Resend (a fake that
//! speaks Resend's API and checks what the real one checks: the Bearer key, a User-Agent,
//! the JSON fields, the idempotency key; it answers 429 first), and the owner's one-time
//! link: a short or mistyped password is refused, the link serves once, an expired one is
//! gone; the owner's machine enrolls with the password set.

mod admin;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use admin::*;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use ayada_server::mail::{Mail, ResendConfig};
use ayada_server::store::{AdminStore, Store};
use serde_json::{json, Value};

const KEY: &str = "re_test_key_1234";

/// What the fake Resend took: the headers that matter and the body.
#[derive(Debug, Clone)]
struct Took {
    idempotency_key: String,
    body: Value,
}

#[derive(Clone, Default)]
struct FakeResend {
    took: Arc<Mutex<Vec<Took>>>,
    /// Requests seen, answered or not.
    seen: Arc<Mutex<u32>>,
    /// How many first requests get 429.
    busy_first: u32,
}

fn refusal(status: StatusCode, name: &str, message: &str) -> axum::response::Response {
    (
        status,
        Json(json!({ "statusCode": status.as_u16(), "name": name, "message": message })),
    )
        .into_response()
}

impl FakeResend {
    /// Serves on loopback; answers the first `busy_first` requests with 429.
    fn start(rt: &tokio::runtime::Runtime, busy_first: u32) -> (FakeResend, String) {
        let fake = FakeResend {
            busy_first,
            ..FakeResend::default()
        };
        let serving = fake.clone();
        let app = axum::Router::new().route(
            "/emails",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let fake = serving.clone();
                async move { fake.answer(&headers, &body) }
            }),
        );
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(async move { axum::serve(listener, app).await });
        (fake, url)
    }

    fn answer(&self, headers: &HeaderMap, body: &str) -> axum::response::Response {
        let seen = {
            let mut seen = self.seen.lock().unwrap();
            *seen += 1;
            *seen
        };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match header("authorization") {
            None => {
                return refusal(
                    StatusCode::UNAUTHORIZED,
                    "missing_api_key",
                    "Missing API key",
                )
            }
            Some(a) if a != format!("Bearer {KEY}") => {
                return refusal(
                    StatusCode::FORBIDDEN,
                    "invalid_api_key",
                    "API key is invalid",
                )
            }
            _ => {}
        }
        if header("user-agent").is_none_or(str::is_empty) {
            return refusal(
                StatusCode::FORBIDDEN,
                "missing_user_agent",
                "User-Agent is required",
            );
        }
        let Ok(body) = serde_json::from_str::<Value>(body) else {
            return refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                "Invalid JSON",
            );
        };
        for field in ["from", "to", "subject"] {
            if body.get(field).is_none() {
                return refusal(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "missing_required_field",
                    field,
                );
            }
        }
        if body.get("text").is_none() && body.get("html").is_none() {
            return refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                "text or html",
            );
        }
        if seen <= self.busy_first {
            let mut r = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "Too many requests",
            );
            r.headers_mut().insert("retry-after", 1.into());
            return r;
        }
        let key = header("idempotency-key").unwrap_or_default().to_string();
        let mut took = self.took.lock().unwrap();
        // The same key with the same body: the same email, not a second one.
        if let Some(i) = took
            .iter()
            .position(|t| !key.is_empty() && t.idempotency_key == key)
        {
            return Json(json!({ "id": format!("email-{i}") })).into_response();
        }
        took.push(Took {
            idempotency_key: key,
            body,
        });
        Json(json!({ "id": format!("email-{}", took.len() - 1) })).into_response()
    }

    /// Waits for an email to `to` whose subject holds `needle`.
    fn wait_for(&self, to: &str, needle: &str) -> Took {
        let started = Instant::now();
        loop {
            let found = self
                .took
                .lock()
                .unwrap()
                .iter()
                .find(|t| {
                    t.body["to"][0] == to
                        && t.body["subject"]
                            .as_str()
                            .unwrap_or_default()
                            .contains(needle)
                })
                .cloned();
            if let Some(t) = found {
                return t;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no email to {to} about {needle}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The server mailing through a fake Resend with API key `key` (the fake answers 429 to
/// its first `busy_first` requests); `configure` sets the rest. The fake's runtime is kept
/// alive by the caller.
fn mailing(
    key: &str,
    busy_first: u32,
    configure: impl FnOnce(&mut ayada_server::AppState<ayada_server::store::SqliteStore>),
) -> (tokio::runtime::Runtime, FakeResend, Live) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (fake, resend_url) = FakeResend::start(&rt, busy_first);
    let live = live(|s| {
        let mut mail = Mail::new(Some(ResendConfig {
            base: resend_url,
            key: key.into(),
            from: "Ayada <no-reply@ayada.example>".into(),
        }));
        mail.retry_base = Duration::from_secs(1);
        s.mail = Arc::new(mail);
        configure(s);
    });
    (rt, fake, live)
}

/// The one-time link in an email's text.
fn link_in(text: &str) -> String {
    let at = text.find("/owner/password/").expect("a link");
    let from = text[..at].rfind("http").unwrap();
    text[from..].split_whitespace().next().unwrap().to_string()
}

#[test]
fn a_clinic_made_in_the_console_invites_its_owner_by_email_and_the_link_serves_once() {
    let (_rt, fake, live) = mailing(KEY, 1, |_| {});
    let full = admin_session(&live);
    let home = live.get("/admin?lang=en", Some(&full)).text().unwrap();
    let csrf = form_csrf(&home);
    let create = |slug: &str, email: &str, csrf: &str| {
        live.post(
            "/admin/clinics",
            Some(&full),
            &[
                ("csrf", csrf),
                ("lang", "en"),
                ("name", "عيادة الأمل"),
                ("slug", slug),
                ("owner_email", email),
                ("time_zone", "Africa/Cairo"),
            ],
        )
    };
    // A form from elsewhere, a bad address, an owner's email that is taken: refused, said why.
    assert_eq!(
        create("amal", "dr.amal@example.com", &"c".repeat(43)).status(),
        403
    );
    let bad = create("al amal!", "dr.amal@example.com", &csrf);
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("2 to 40 letters"));
    let taken = create("amal", OWNER, &csrf);
    assert_eq!(taken.status(), 400);
    assert!(taken.text().unwrap().contains("exists already"));
    let made = create("amal", "Dr.Amal@Example.com", &csrf);
    assert_eq!(made.status(), 303);

    // The invitation arrives (after Resend's 429 and its retry-after), once, in both
    // languages, with the key Resend dedups on.
    let mail = fake.wait_for("dr.amal@example.com", "Ayada");
    assert!(mail.idempotency_key.starts_with("owner-invite:"));
    let text = mail.body["text"].as_str().unwrap().to_string();
    assert!(
        text.contains("عيادتك") && text.contains("Set the owner's password"),
        "{text}"
    );
    assert!(*fake.seen.lock().unwrap() >= 2, "the 429 was tried again");
    // The console lists it as sent after two tries, and never shows its text (the link).
    let listed = live
        .get("/admin/emails?lang=en", Some(&full))
        .text()
        .unwrap();
    assert!(
        listed.contains("owner-invite") && listed.contains("sent"),
        "{listed}"
    );
    assert!(!listed.contains("/owner/password/"));

    // The owner's link: the form; a short password, two that differ; then set, once.
    let link = link_in(&text);
    let path = &link[link.find("/owner/").unwrap()..];
    let form = live.get(path, None);
    assert_eq!(form.status(), 200);
    let csrf_cookie = cookie_value(&set_cookie(&form, "ayada_csrf").unwrap());
    let cookie = format!("ayada_csrf={csrf_cookie}");
    let post = |password: &str, again: &str| {
        live.post(
            path,
            Some(&cookie),
            &[
                ("csrf", &csrf_cookie),
                ("lang", "en"),
                ("password", password),
                ("again", again),
            ],
        )
    };
    assert_eq!(post("short", "short").status(), 400);
    assert_eq!(post("amal-pass-1", "amal-pass-2").status(), 400);
    let set = post("amal-pass-1", "amal-pass-1");
    assert_eq!(set.status(), 200);
    assert!(set.text().unwrap().contains("The password is set"));
    assert_eq!(
        post("amal-pass-9", "amal-pass-9").status(),
        410,
        "the link served once"
    );
    assert_eq!(live.get(path, None).status(), 410);
    fake.wait_for("dr.amal@example.com", "password was set");

    // The owner's first machine enrolls with the password the link set.
    let enrolled = browser()
        .post(format!("{}/v1/enroll", live.url))
        .json(&json!({
            "email": "dr.amal@example.com", "password": "amal-pass-1",
            "node_id": uuid::Uuid::now_v7().to_string(),
            "local_clinic_id": uuid::Uuid::now_v7().to_string(),
        }))
        .send()
        .unwrap();
    assert_eq!(enrolled.status(), 200);

    // An invitation past its 72 hours is gone.
    let clinic = live
        .store
        .clinic_by_email("dr.amal@example.com")
        .unwrap()
        .unwrap()
        .id;
    live.store
        .add_owner_invite("late-hash", &clinic, "dr.amal@example.com", 1)
        .unwrap();
    assert_eq!(
        live.store
            .owner_invite("late-hash", ayada_server::store::unix_now())
            .unwrap(),
        None
    );

    let audit = live
        .get("/admin/audit?lang=en", Some(&full))
        .text()
        .unwrap();
    assert!(audit.contains("clinic-created"));
}

#[test]
fn a_wrong_resend_key_gives_the_email_up_with_resends_reason_and_no_retry_storm() {
    let (_rt, fake, live) = mailing("re_wrong", 0, |_| {});
    live.store
        .queue_email(&ayada_server::store::Email::queued(
            "someone@example.com",
            "owner-invite",
            "k-1",
            "s".into(),
            "t".into(),
            0,
        ))
        .unwrap();
    let started = Instant::now();
    loop {
        let email = live.store.emails(10).unwrap().remove(0);
        if email.state == "failed" {
            assert!(email.last_error.unwrap().contains("invalid_api_key"));
            assert_eq!(email.attempts, 1);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{email:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(*fake.seen.lock().unwrap(), 1);
    assert!(fake.took.lock().unwrap().is_empty());
}

#[test]
fn an_owner_who_lost_the_password_sets_a_new_one_by_an_emailed_link_and_strangers_learn_nothing() {
    let (_rt, fake, live) = mailing(KEY, 0, |s| {
        s.logins = Arc::new(ayada_server::logins::LoginGuard::new(
            ayada_server::logins::LoginLimits {
                fails_per_email: 3,
                ..Default::default()
            },
        ));
    });
    let form = live.get("/owner/reset?lang=en", None);
    let csrf = cookie_value(&set_cookie(&form, "ayada_csrf").unwrap());
    let cookie = format!("ayada_csrf={csrf}");
    let ask = |email: &str| {
        live.post(
            "/owner/reset",
            Some(&cookie),
            &[("csrf", &csrf), ("lang", "en"), ("email", email)],
        )
    };
    // A stranger's address and the owner's get the very same page.
    let unknown = ask("nobody@example.com");
    assert_eq!(unknown.status(), 200);
    let known = ask(OWNER);
    assert_eq!(known.status(), 200);
    assert_eq!(unknown.text().unwrap(), known.text().unwrap());
    let mail = fake.wait_for(OWNER, "new password");
    assert!(mail.idempotency_key.starts_with("password-reset:"));
    assert!(!fake
        .took
        .lock()
        .unwrap()
        .iter()
        .any(|t| t.body["to"][0] == "nobody@example.com"));

    // The link sets a new password once; the old one no longer enrolls, the new one does.
    let link = link_in(mail.body["text"].as_str().unwrap());
    let path = &link[link.find("/owner/").unwrap()..];
    let set = live.post(
        path,
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("lang", "en"),
            ("password", "new-owner-pass"),
            ("again", "new-owner-pass"),
        ],
    );
    assert_eq!(set.status(), 200);
    fake.wait_for(OWNER, "password was set");
    let enroll = |password: &str| {
        browser()
            .post(format!("{}/v1/enroll", live.url))
            .json(&json!({
                "email": OWNER, "password": password,
                "node_id": uuid::Uuid::now_v7().to_string(),
                "local_clinic_id": uuid::Uuid::now_v7().to_string(),
            }))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(enroll(OWNER_PW), 401);
    assert_eq!(enroll("new-owner-pass"), 200);

    // A flood of requests for one address is stopped (three per window here).
    assert_eq!(ask(OWNER).status(), 200);
    assert_eq!(ask(OWNER).status(), 200);
    assert_eq!(ask(OWNER).status(), 429);
}

/// The value of a page's hidden field `name`.
fn hidden(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name}"))
        + name.len()
        + 15;
    page[at..].split('"').next().unwrap().to_string()
}

/// The text of the element with id `id`.
fn text_of(page: &str, id: &str) -> String {
    let at = page.find(&format!("id=\"{id}\"")).unwrap();
    let from = page[at..].find('>').unwrap() + at + 1;
    page[from..].split('<').next().unwrap().to_string()
}

/// A code of the step after `used` (the phone shows it at most 30 s later), waiting when
/// that step is still too far ahead.
fn next_code(secret: &str, used: &mut i64) -> String {
    loop {
        let now_step = (now() / 30) as i64;
        let next = (*used + 1).max(now_step - 1);
        if next <= now_step + 1 {
            *used = next;
            return ayada_server::admin::totp::code_at(secret, OWNER, next as u64 * 30).unwrap();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn an_owner_turns_on_two_step_sign_in_and_then_every_password_door_asks_for_the_code() {
    let (_rt, fake, live) = mailing(KEY, 0, |_| {});
    let form = live.get("/owner/security?lang=en", None);
    let csrf = cookie_value(&set_cookie(&form, "ayada_csrf").unwrap());
    let cookie = format!("ayada_csrf={csrf}");
    let sign_in = |password: &str| {
        live.post(
            "/owner/security",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("lang", "en"),
                ("email", OWNER),
                ("password", password),
            ],
        )
    };
    assert_eq!(sign_in("not-it-at-all").status(), 401);
    let page = sign_in(OWNER_PW).text().unwrap();
    assert!(page.contains("data:image/png;base64,"), "the QR code");
    let secret = text_of(&page, "secret");
    let (clinic, expires, proof) = (
        hidden(&page, "clinic"),
        hidden(&page, "expires"),
        hidden(&page, "proof"),
    );
    let confirm = |proof: &str, code: &str| {
        live.post(
            "/owner/security/code",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("lang", "en"),
                ("clinic", &clinic),
                ("expires", &expires),
                ("proof", proof),
                ("code", code),
            ],
        )
    };
    let mut used = (now() / 30) as i64 - 2;
    let first = next_code(&secret, &mut used);
    // A forged proof (another clinic's id, or made up) and a wrong code are refused.
    assert_eq!(confirm(&"0".repeat(64), &first).status(), 403);
    assert_eq!(confirm(&proof, "000000").status(), 401);
    let on = confirm(&proof, &first);
    assert_eq!(on.status(), 200);
    assert!(on.text().unwrap().contains("Two-step sign-in is on"));
    fake.wait_for(OWNER, "Two-step sign-in is on");
    assert!(sign_in(OWNER_PW).text().unwrap().contains("already on"));

    // Enrolling: the password alone is not enough, a used code neither; a new one is.
    let enroll = |code: Option<&str>| {
        browser()
            .post(format!("{}/v1/enroll", live.url))
            .json(&json!({
                "email": OWNER, "password": OWNER_PW, "totp": code,
                "node_id": uuid::Uuid::now_v7().to_string(),
                "local_clinic_id": uuid::Uuid::now_v7().to_string(),
            }))
            .send()
            .unwrap()
    };
    let refused: Value = enroll(None).json().unwrap();
    assert_eq!(refused["code"], "totp-required");
    let reused: Value = enroll(Some(&first)).json().unwrap();
    assert_eq!(reused["code"], "bad-totp");
    assert_eq!(enroll(Some(&next_code(&secret, &mut used))).status(), 200);

    // A new password by link asks for the code too: the link alone is not the account.
    let reset_form = live.get("/owner/reset?lang=en", None);
    let csrf2 = cookie_value(&set_cookie(&reset_form, "ayada_csrf").unwrap());
    let cookie2 = format!("ayada_csrf={csrf2}");
    live.post(
        "/owner/reset",
        Some(&cookie2),
        &[("csrf", &csrf2), ("lang", "en"), ("email", OWNER)],
    );
    let mail = fake.wait_for(OWNER, "new password");
    let link = link_in(mail.body["text"].as_str().unwrap());
    let path = &link[link.find("/owner/").unwrap()..];
    assert!(live
        .get(path, None)
        .text()
        .unwrap()
        .contains("name=\"code\""));
    let set = |code: &str| {
        live.post(
            path,
            Some(&cookie2),
            &[
                ("csrf", &csrf2),
                ("lang", "en"),
                ("password", "another-pass-1"),
                ("again", "another-pass-1"),
                ("code", code),
            ],
        )
    };
    assert_eq!(set("").status(), 400);
    assert_eq!(set(&next_code(&secret, &mut used)).status(), 200);
}
