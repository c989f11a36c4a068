//! The operator's side as the tests drive it over HTTP: a fake Resend that speaks its API,
//! the console's two-step login (the authenticator code computed as an app would), and the
//! end of a clinic's subscription.

use std::process::Command;
use std::sync::{Arc, Mutex};

use reqwest::blocking::{Client, Response};
use reqwest::header;

use super::{bin, json_of, Server};

pub const ADMIN: &str = "ops@ayada.example";
pub const ADMIN_PW: &str = "operator-pass-12";

/// Resend's `POST /emails` as it answers: each email's JSON kept.
pub fn fake_resend() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let state = kept.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().route(
                "/emails",
                axum::routing::post(
                    move |headers: axum::http::HeaderMap,
                          axum::Json(email): axum::Json<serde_json::Value>| {
                        let state = state.clone();
                        async move {
                            assert_eq!(headers["authorization"], "Bearer re_test_key");
                            state.lock().unwrap().push(email);
                            axum::Json(serde_json::json!({ "id": resend_id() }))
                        }
                    },
                ),
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{}", rx.recv().unwrap()), kept)
}

/// An id as Resend gives one, different for every email this process sends.
fn resend_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("00000000-0000-4000-8000-{n:012x}")
}

pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn cookie(r: &Response, name: &str) -> String {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// The value of a page's hidden `csrf` field.
pub fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    page[at..at + 43].to_string()
}

pub fn post(url: &str, cookie: &str, form: &[(&str, &str)]) -> Response {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    client()
        .post(url)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.join("&"))
        .send()
        .unwrap()
}

/// The code an authenticator app shows for a base32 key at Unix time `at`.
pub fn authenticator_at(secret: &str, at: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        ADMIN.into(),
    )
    .unwrap()
    .generate(at)
}

/// The code an authenticator app shows now.
pub fn authenticator(secret: &str) -> String {
    authenticator_at(secret, jiff::Timestamp::now().as_second() as u64)
}

/// The password step: a session cookie at the code stage, and the code page.
fn password_step(server: &Server) -> (String, String) {
    let login = client()
        .get(format!("{}/admin/login", server.url))
        .send()
        .unwrap();
    let csrf = cookie(&login, "ayada_csrf");
    let r = post(
        &format!("{}/admin/login", server.url),
        &format!("ayada_csrf={csrf}"),
        &[("email", ADMIN), ("password", ADMIN_PW), ("csrf", &csrf)],
    );
    assert_eq!(r.status(), 303);
    let half = format!("ayada_admin={}", cookie(&r, "ayada_admin"));
    let page = client()
        .get(format!("{}/admin/totp", server.url))
        .header(header::COOKIE, &half)
        .send()
        .unwrap()
        .text()
        .unwrap();
    (half, page)
}

/// The code step with `code`: the full session's cookie.
fn code_step(server: &Server, half: &str, page: &str, code: &str) -> String {
    let r = post(
        &format!("{}/admin/totp", server.url),
        half,
        &[("code", code), ("csrf", &csrf_in(page))],
    );
    assert_eq!(r.status(), 303);
    format!("ayada_admin={}", cookie(&r, "ayada_admin"))
}

/// The first login, the second factor enrolled on the way (its key read off the page): the
/// session's cookie and the key.
pub fn enroll_console(server: &Server) -> (String, String) {
    let (half, page) = password_step(server);
    let at = page.find("id=\"secret\"").expect("the key to type");
    let from = page[at..].find('>').unwrap() + at + 1;
    let secret: String = page[from..from + page[from..].find('<').unwrap()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let cookie = code_step(server, &half, &page, &authenticator(&secret));
    (cookie, secret)
}

/// A later login, on a server whose clock is `ahead` seconds ahead of this one's.
pub fn console_login(server: &Server, secret: &str, ahead: u64) -> String {
    let (half, page) = password_step(server);
    let at = jiff::Timestamp::now().as_second() as u64 + ahead;
    code_step(server, &half, &page, &authenticator_at(secret, at))
}

/// The console's two steps over HTTP, the second factor enrolled on the way: a session.
pub fn console_session(server: &Server) -> String {
    enroll_console(server).0
}

/// `ayada-server admin create` for the tests' admin: what it printed.
pub fn make_admin(server: &Server) -> serde_json::Value {
    let made = Command::new(bin("ayada-server"))
        .args(["admin", "create", "--email", ADMIN])
        .args(server.store_args())
        .env("AYADA_ADMIN_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    json_of(&made, "admin create")
}

/// The operator ends clinic `clinic` (slug `slug`) from its console page.
pub fn end_clinic(server: &Server, session: &str, clinic: &str, slug: &str) {
    let page_url = format!("{}/admin/clinics/{clinic}", server.url);
    let page = client()
        .get(&page_url)
        .header(header::COOKIE, session)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let ended = post(
        &format!("{page_url}/terminate"),
        session,
        &[
            ("csrf", &csrf_in(&page)),
            ("lang", "en"),
            ("note", "the clinic closed"),
            ("confirm", slug),
        ],
    );
    assert_eq!(ended.status(), 303);
}

/// The download link in the termination email Resend was given, once it arrives.
pub fn export_link(emails: &Mutex<Vec<serde_json::Value>>) -> String {
    (0..100)
        .find_map(|_| {
            let found = emails.lock().unwrap().iter().find_map(|e| {
                let text = e["text"].as_str()?;
                let at = text.find("/owner/export/")?;
                let start = text[..at].rfind("http").unwrap_or(at);
                Some(text[start..].split_whitespace().next()?.to_string())
            });
            if found.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            found
        })
        .expect("the termination email reached Resend")
}

/// A console page's text, with the session's cookie.
pub fn console_page(server: &Server, session: &str, path: &str) -> String {
    client()
        .get(format!("{}{path}", server.url))
        .header(header::COOKIE, session)
        .send()
        .unwrap()
        .text()
        .unwrap()
}
