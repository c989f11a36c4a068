//! A WebDriver client: one session on a driver (tauri-driver for the desktop window,
//! chromedriver for the portal), finding, clicking, typing and waiting as a person would.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long the page may take to show what a step waits for.
pub const WAIT: Duration = Duration::from_secs(10);

/// A session on a WebDriver server.
pub struct WebDriver {
    http: reqwest::blocking::Client,
    base: String,
}

impl WebDriver {
    /// Opens a session on the driver at `driver` with `caps`.
    pub fn start(driver: &str, caps: &Value) -> WebDriver {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let resp: Value = http
            .post(format!("{driver}/session"))
            .json(caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        WebDriver {
            http,
            base: format!("{driver}/session/{id}"),
        }
    }

    /// Ends the session.
    pub fn end(&self) {
        let _ = self.http.delete(&self.base).send();
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        let resp: Value = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap();
        resp["value"].clone()
    }

    pub fn get(&self, path: &str) -> Value {
        let resp: Value = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
            .json()
            .unwrap();
        resp["value"].clone()
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let found = self.post("/elements", json!({"using": "css selector", "value": css}));
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_object()?.values().next()?.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting up to 10 s for it to appear.
    pub fn find(&self, css: &str) -> String {
        self.poll(WAIT, &format!("{css} never appeared"), || {
            self.find_all(css).into_iter().next()
        })
    }

    /// Asks `check` every 100 ms until it answers, failing after `limit` with `what` and the
    /// page's text.
    pub fn poll<T>(&self, limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(answer) = check() {
                return answer;
            }
            assert!(
                started.elapsed() < limit,
                "{what}; the page says: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.post(&format!("/element/{el}/click"), json!({}));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.post(&format!("/element/{el}/clear"), json!({}));
        self.post(&format!("/element/{el}/value"), json!({ "text": text }));
    }

    /// Sets an input's value the way the page sees typing (an `input` event): for an empty
    /// value, and for date inputs, whose typing WebKit's driver does not do in every locale.
    pub fn set_value(&self, css: &str, value: &str) {
        self.find(css);
        self.script(
            "const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('input', {bubbles: true}));",
            json!([css, value]),
        );
    }

    /// Chooses an option of a select by its value, as a click on it would (a `change` event).
    pub fn choose(&self, css: &str, value: &str) {
        self.find(css);
        self.script(
            "const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.get(&format!("/element/{el}/text"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn page_text(&self) -> String {
        self.script("return document.body.innerText", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn script(&self, code: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": code, "args": args }))
    }

    /// Waits until `css`'s text contains `expected`.
    pub fn wait_text(&self, css: &str, expected: &str) -> String {
        self.wait_text_for(css, expected, WAIT)
    }

    /// `wait_text` with its own limit, for what arrives over the network.
    pub fn wait_text_for(&self, css: &str, expected: &str, limit: Duration) -> String {
        self.poll(limit, &format!("{css} never said {expected:?}"), || {
            self.find_all(css)
                .into_iter()
                .map(|el| {
                    self.get(&format!("/element/{el}/text"))
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .find(|t| t.contains(expected))
        })
    }

    /// Waits up to 10 s until exactly `n` elements match `css`.
    pub fn wait_count(&self, css: &str, n: usize) {
        self.poll(WAIT, &format!("{css} never matched {n} elements"), || {
            (self.find_all(css).len() == n).then_some(())
        })
    }
}
