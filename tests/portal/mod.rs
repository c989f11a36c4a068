//! A patient's phone as the portal tests drive it: plain HTTP (no script, as the pages need
//! none), the CSRF cookie kept like a browser keeps it, redirects looked at rather than
//! followed; and a clinic on a real server with a fake WAHA.
#![allow(dead_code)]

pub mod browser;

use std::path::Path;
use std::sync::Mutex;

use reqwest::blocking::Client;
use reqwest::redirect::Policy;

use crate::common::*;
use crate::fake_waha::{self, FakeWaha};

/// One patient's browser.
pub struct Phone {
    http: Client,
    base: String,
    cookie: Mutex<Option<String>>,
}

/// An answer: status, where it redirects to, and the page.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Phone {
    pub fn new(server: &Server) -> Phone {
        Phone::from_address(server, "127.0.0.1")
    }

    /// A phone on another connection: its requests come from `address` (any of 127.0.0.0/8).
    pub fn from_address(server: &Server, address: &str) -> Phone {
        Phone {
            http: Client::builder()
                .redirect(Policy::none())
                .local_address(address.parse::<std::net::IpAddr>().unwrap())
                .build()
                .unwrap(),
            base: server.url.clone(),
            cookie: Mutex::new(None),
        }
    }

    fn keep(&self, response: &reqwest::blocking::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            if let Some(pair) = text.split(';').next() {
                *self.cookie.lock().unwrap() = Some(pair.to_string());
            }
        }
    }

    fn answer(&self, response: reqwest::blocking::Response) -> Answer {
        self.keep(&response);
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string()),
            headers: response.headers().clone(),
            body: response.text().unwrap(),
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = self.cookie.lock().unwrap().clone() {
            request = request.header("cookie", c);
        }
        self.answer(request.send().unwrap())
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = self.cookie.lock().unwrap().clone() {
            request = request.header("cookie", c);
        }
        self.answer(request.send().unwrap())
    }

    /// Forgets its cookies (another device, or an attacker's page).
    pub fn forget(&self) {
        *self.cookie.lock().unwrap() = None;
    }
}

/// A form value as a browser sends it (application/x-www-form-urlencoded).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `&amp;` and friends back to text, as a browser reads an attribute.
pub fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The value of the first `name="…" value="…"` input of a page.
pub fn field(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    unescape(&rest[..rest.find('"').unwrap()])
}

/// Every link of a page that starts with `prefix`.
pub fn links(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(&format!("href=\"{prefix}"))
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
        .collect()
}

/// The value of `key` in a link's query.
pub fn param(link: &str, key: &str) -> String {
    link.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {link}"))
        .to_string()
}

/// The environment of a server whose portal speaks to `waha` quickly enough for tests.
pub fn portal_env(waha: &FakeWaha) -> Vec<(&'static str, String)> {
    vec![
        ("AYADA_WAHA_URL", waha.url.clone()),
        ("AYADA_WAHA_KEY", fake_waha::KEY.to_string()),
        ("AYADA_WAHA_WEBHOOK_KEY", WEBHOOK_KEY.to_string()),
        ("AYADA_MESSAGE_PACE_MS", "20".to_string()),
        ("AYADA_MESSAGE_RETRY_SECONDS", "1".to_string()),
        ("AYADA_PORTAL_SWEEP_SECONDS", "1".to_string()),
        ("AYADA_CODE_RESEND_SECONDS", "1".to_string()),
    ]
}

/// The key the fake WAHA's webhooks are signed with.
pub const WEBHOOK_KEY: &str = "webhook-test-key";

/// A server with the portal on, clinic "nour" on it, and its front desk machine with a
/// day of demo data (its owner put both doctors and both visit types online), synced.
pub fn clinic_online(root: &Path, waha: &FakeWaha, extra: &[(&str, &str)]) -> (Server, Machine) {
    let mut env: Vec<(&str, String)> = portal_env(waha);
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_with_env(&root.join("server"), &env);
    server.create_clinic("nour", NOUR, OWNER_PW);
    let m = enrolled_machine(root, "front-desk", &server, NOUR, OWNER_PW, 1);
    m.ok(None, &["sync"]);
    (server, m)
}

/// A day's page of free times of the first doctor, two to nine days ahead (past any
/// cut-off and whatever the weekday): the links of its slots.
pub fn slots_ahead(phone: &Phone, lang: &str) -> Vec<String> {
    let page = phone.get(&format!("/c/nour?lang={lang}"));
    assert_eq!(page.status, 200, "{}", page.body);
    let more = links(&page.body, "/c/nour/book?doctor=");
    let doctor = param(&more[0], "doctor");
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Africa/Cairo").unwrap())
        .date();
    for days in 2..10 {
        let date = today.checked_add(jiff::Span::new().days(days)).unwrap();
        let day = phone.get(&format!(
            "/c/nour/book?doctor={doctor}&date={date}&lang={lang}"
        ));
        let slots: Vec<String> = links(&day.body, "/c/nour/book?doctor=")
            .into_iter()
            .filter(|l| l.contains("&at="))
            .collect();
        if !slots.is_empty() {
            return slots;
        }
    }
    panic!("no free time in the coming days");
}

/// Fills and posts the booking form of `slot`; the answer.
pub fn ask(phone: &Phone, slot: &str, name: &str, number: &str, lang: &str) -> Answer {
    let form = phone.get(slot);
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = field(&form.body, "csrf");
    let visit_type = {
        let at = form.body.find("<option value=\"").unwrap();
        let rest = &form.body[at + 15..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    phone.post(
        "/c/nour/book",
        &[
            ("csrf", &csrf),
            ("lang", lang),
            ("doctor", &param(slot, "doctor")),
            ("at", &param(slot, "at")),
            ("visit_type", &visit_type),
            ("name", name),
            ("phone", number),
            ("gender", "female"),
            ("dob", "1990-05-21"),
        ],
    )
}

/// Types `code` on the verification page the booking form led to.
pub fn type_code(phone: &Phone, verify: &str, code: &str, lang: &str) -> Answer {
    let page = phone.get(verify);
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let path = verify.split('?').next().unwrap();
    phone.post(path, &[("csrf", &csrf), ("lang", lang), ("code", code)])
}
