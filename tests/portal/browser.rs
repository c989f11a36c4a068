//! Headless Chromium at a phone's size, through chromedriver's WebDriver: the portal as a
//! patient's phone shows it, with screenshots saved to target/test-artifacts/portal.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Where the screenshots go.
pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/portal");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether Debian's chromium and chromedriver are installed (scripts/test.sh installs them).
pub fn available() -> bool {
    Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists()
}

/// chromedriver and one browser session; both stopped when dropped.
pub struct Browser {
    driver: Child,
    http: reqwest::blocking::Client,
    base: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.base).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// A phone-sized (390 × 844) headless Chromium.
    pub fn phone() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{url}/status")).send().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=390,844", "--lang=ar",
                     format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let resp: Value = http
            .post(format!("{url}/session"))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        Browser {
            driver,
            http,
            base: format!("{url}/session/{id}"),
            _profile: profile,
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
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

    fn get(&self, path: &str) -> Value {
        let resp: Value = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
            .json()
            .unwrap();
        resp["value"].clone()
    }

    /// Opens `url`.
    pub fn open(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    /// The address now shown.
    pub fn url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_string()
    }

    /// The first element matching `css`, waiting up to 10 s.
    pub fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let found = self.post("/element", json!({"using": "css selector", "value": css}));
            if let Some(id) = found[ELEMENT].as_str() {
                return id.to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{css} never appeared; the page says: {}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.post(&format!("/element/{el}/click"), json!({}));
    }

    /// Types into a field.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.post(&format!("/element/{el}/clear"), json!({}));
        self.post(&format!("/element/{el}/value"), json!({ "text": text }));
    }

    /// Sets a field's value as a date picker would (a date field's typing depends on the
    /// browser's locale).
    pub fn set_value(&self, css: &str, value: &str) {
        let el = self.find(css);
        self.post(
            "/execute/sync",
            json!({"script": "arguments[0].value = arguments[1];", "args": [{ELEMENT: el}, value]}),
        );
    }

    /// The page's visible text.
    pub fn text(&self) -> String {
        let body = self.post(
            "/element",
            json!({"using": "css selector", "value": "body"}),
        );
        let Some(el) = body[ELEMENT].as_str() else {
            return String::new();
        };
        self.get(&format!("/element/{el}/text"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the page's text holds `needle`.
    pub fn wait_text(&self, needle: &str) {
        let started = Instant::now();
        while !self.text().contains(needle) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{needle:?} never showed; the page says: {}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves what the phone shows as `name`.png, and returns the PNG.
    pub fn screenshot(&self, name: &str) -> Vec<u8> {
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(self.get("/screenshot").as_str().unwrap())
            .unwrap();
        std::fs::write(artifacts().join(format!("{name}.png")), &png).unwrap();
        png
    }
}

/// Whether a PNG is mostly one colour (a blank or failed render).
pub fn blank(png: &[u8]) -> bool {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    let first = img.get_pixel(0, img.height() / 2);
    img.pixels().filter(|p| *p == first).count() as f64 / (img.width() * img.height()) as f64 > 0.97
}
