//! Headless Chromium at a phone's size, through chromedriver's WebDriver: the portal as a
//! patient's phone shows it, with screenshots saved to target/test-artifacts/portal.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "../webdriver/mod.rs"]
mod webdriver;
pub use webdriver::WebDriver;

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

/// chromedriver and one browser session; both stopped when dropped. The WebDriver calls
/// (find, click, type, wait) are the desktop tests' own ([`WebDriver`]).
pub struct Browser {
    driver: Child,
    wd: WebDriver,
    _profile: tempfile::TempDir,
}

impl std::ops::Deref for Browser {
    type Target = WebDriver;
    fn deref(&self) -> &WebDriver {
        &self.wd
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.wd.end();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// A phone-sized (390 × 844) headless Chromium.
    pub fn phone() -> Browser {
        Browser::sized(390, 844)
    }

    /// A desktop-sized (1280 × 800) headless Chromium: the operator's console.
    pub fn desktop() -> Browser {
        Browser::sized(1280, 800)
    }

    fn sized(width: u32, height: u32) -> Browser {
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
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while reqwest::blocking::get(format!("{url}/status")).is_err() {
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
                     format!("--window-size={width},{height}"), "--lang=ar",
                     format!("--user-data-dir={}", profile.path().display())]
        }}}});
        Browser {
            driver,
            wd: WebDriver::start(&url, &caps),
            _profile: profile,
        }
    }

    /// Opens `url`.
    pub fn open(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    /// The address now shown.
    pub fn url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_string()
    }

    /// Waits until the page's text holds `needle`.
    pub fn wait_page(&self, needle: &str) {
        self.wait_text("body", needle);
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
