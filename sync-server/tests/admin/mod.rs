//! What the console's tests share: the real server on loopback with an admin and a clinic,
//! and a browser that keeps no cookie jar (each request says which cookies it sends).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use ayada_server::admin::totp;
use ayada_server::auth::Tokens;
use ayada_server::store::{AdminStore, ClinicRecord, SqliteStore, Store};
use ayada_server::{router, AppState};
use reqwest::blocking::{Client, Response};
use reqwest::header;

pub const ADMIN: &str = "ops@ayada.example";
pub const ADMIN_PW: &str = "operator-pass-12";
pub const OWNER: &str = "owner@nour.example";
pub const OWNER_PW: &str = "owner-pass-1";

pub struct Live {
    pub url: String,
    pub store: Arc<SqliteStore>,
    /// The server's state, for what its background work does (the deletion sweep).
    pub state: AppState<SqliteStore>,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

pub fn live(configure: impl FnOnce(&mut AppState<SqliteStore>)) -> Live {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    store
        .create_clinic(&ClinicRecord {
            id: uuid::Uuid::now_v7().to_string(),
            slug: "nour".into(),
            name: "عيادة النور".into(),
            owner_email: OWNER.into(),
            password_hash: ayada_server::hash_password(OWNER_PW).unwrap(),
            data_clinic_id: None,
            time_zone: "Africa/Cairo".into(),
        })
        .unwrap();
    store
        .create_admin(ADMIN, &ayada_server::hash_password(ADMIN_PW).unwrap())
        .unwrap();
    store
        .append_admin_audit("command line", "admin-created", ADMIN, "")
        .unwrap();
    let mut state = AppState::new(
        store.clone(),
        Arc::new(Tokens::from_secret(b"0123456789abcdef0123456789abcdef")),
    );
    configure(&mut state);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // The email sender (it stops at once when no Resend is configured).
    rt.spawn(ayada_server::mail::run(state.clone()));
    let kept = state.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    rt.spawn(async move { axum::serve(listener, app).await });
    Live {
        url,
        store,
        state: kept,
        dir,
        rt,
    }
}

/// A browser that keeps no cookie jar: each request says which cookies it sends.
pub fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

pub fn cookie_value(set: &str) -> String {
    set.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

pub fn location(r: &Response) -> String {
    r.headers()[header::LOCATION].to_str().unwrap().to_string()
}

/// The value of the hidden `csrf` field of a page's form.
pub fn form_csrf(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field")
        + 19;
    page[at..at + 43].to_string()
}

impl Live {
    pub fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = browser().get(format!("{}{path}", self.url));
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().unwrap()
    }

    pub fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Response {
        let mut req = browser()
            .post(format!("{}{path}", self.url))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(urlencoded(form));
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().unwrap()
    }

    /// The password step: answers the session cookie ("ayada_admin=…") at the code stage.
    pub fn password(&self, password: &str) -> Result<String, Box<Response>> {
        let form = self.get("/admin/login", None);
        let csrf_cookie = set_cookie(&form, "ayada_csrf").unwrap();
        let csrf = cookie_value(&csrf_cookie);
        let r = self.post(
            "/admin/login",
            Some(&format!("ayada_csrf={csrf}")),
            &[("email", ADMIN), ("password", password), ("csrf", &csrf)],
        );
        if r.status() != 303 {
            return Err(Box::new(r));
        }
        assert_eq!(location(&r), "/admin/totp?lang=ar");
        let set = set_cookie(&r, "ayada_admin").unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
            assert!(set.contains(part), "{set}");
        }
        Ok(format!("ayada_admin={}", cookie_value(&set)))
    }

    /// The code page of a session at the code stage: its CSRF token and, while enrolling,
    /// the secret.
    pub fn code_page(&self, cookie: &str) -> (String, Option<String>, String) {
        let page = self.get("/admin/totp", Some(cookie)).text().unwrap();
        let secret = page.find("id=\"secret\"").map(|at| {
            let from = page[at..].find('>').unwrap() + at + 1;
            let to = page[from..].find('<').unwrap() + from;
            page[from..to].to_string()
        });
        (form_csrf(&page), secret, page)
    }

    pub fn code(&self, cookie: &str, csrf: &str, code: &str) -> Response {
        self.post(
            "/admin/totp",
            Some(cookie),
            &[("code", code), ("csrf", csrf)],
        )
    }

    /// Both steps, with the secret known: the full session's cookie.
    pub fn log_in(&self, secret: &str) -> String {
        let cookie = self.password(ADMIN_PW).unwrap();
        let (csrf, _, _) = self.code_page(&cookie);
        let r = self.code(&cookie, &csrf, &fresh_code(self, secret));
        assert_eq!(r.status(), 303, "{}", r.text().unwrap());
        format!(
            "ayada_admin={}",
            cookie_value(&set_cookie(&r, "ayada_admin").unwrap())
        )
    }
}

/// A form's body as a browser sends it.
pub fn urlencoded(form: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn now() -> u64 {
    jiff::Timestamp::now().as_second() as u64
}

/// A code of a step no earlier code took (waiting for the next step if the current one was
/// used): the admin's phone shows a new one every 30 s.
pub fn fresh_code(live: &Live, secret: &str) -> String {
    loop {
        let last = live.store.admin(ADMIN).unwrap().unwrap().last_totp_step;
        if (now() / 30) as i64 > last {
            return totp::code_at(secret, ADMIN, now()).unwrap();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A new machine asks to enroll with the owner's account.
pub fn enroll(live: &Live) -> Response {
    browser()
        .post(format!("{}/v1/enroll", live.url))
        .json(&serde_json::json!({
            "email": OWNER, "password": OWNER_PW,
            "node_id": uuid::Uuid::now_v7().to_string(),
            "local_clinic_id": uuid::Uuid::now_v7().to_string(),
        }))
        .send()
        .unwrap()
}

/// A machine of the clinic enrolled with the owner's account: its device credential.
pub fn enrolled_machine(live: &Live) -> String {
    let answer: serde_json::Value = enroll(live).json().unwrap();
    answer["device_credential"].as_str().unwrap().to_string()
}

pub fn token(live: &Live, credential: &str) -> Response {
    browser()
        .post(format!("{}/v1/token", live.url))
        .json(&serde_json::json!({ "device_credential": credential }))
        .send()
        .unwrap()
}

/// A console session that passed both factors (enrolling the second factor on the way).
pub fn admin_session(live: &Live) -> String {
    let half = live.password(ADMIN_PW).unwrap();
    let (_, secret, _) = live.code_page(&half);
    live.log_in(&secret.expect("the first login shows the secret"))
}
