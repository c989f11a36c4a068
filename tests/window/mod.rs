//! The desktop window under test: the app started through tauri-driver under Xvfb, a
//! WebDriver session on it, screenshots of the real display, and the machines behind it.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

pub const OWNER_PW: &str = "owner-pass-1";
pub const STAFF_PW: &str = "staff-pass-1";
#[path = "../webdriver/mod.rs"]
mod webdriver;
pub use webdriver::{WebDriver, WAIT};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/desktop");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// tauri-driver under its own Xvfb display; killed (with the app) when dropped.
pub struct Driver {
    child: Child,
    url: String,
    /// The X display the window is on (":N").
    display: String,
    /// Released after the processes are gone (fields drop after `Drop::drop`).
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // xvfb-run, Xvfb, tauri-driver, WebKitWebDriver and the app share the process group
        // made for them at spawn (its id is xvfb-run's pid, never this test's group).
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

pub fn tauri_driver() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let path = home.join("bin/tauri-driver");
    assert!(
        path.exists(),
        "tauri-driver is missing: `cargo install tauri-driver --locked` (scripts/test.sh does)"
    );
    path
}

/// The words of a PDF the window saved, as pdftotext reads them.
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One window at a time: two tests' drivers starting together raced for their ports (a
/// session request was dropped mid-answer), and the machine has two cores anyway.
pub static ONE_WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn start_driver(home: &Path, envs: &[(&str, &Path)]) -> Driver {
    let turn = ONE_WINDOW.lock().unwrap_or_else(|p| p.into_inner());
    let port = free_port();
    let native = free_port();
    let display = free_display();
    let mut cmd = Command::new("xvfb-run");
    cmd.process_group(0)
        // `-ac`: the test reads the screen without xvfb-run's cookie (a local socket only).
        .args(["-n", &display[1..], "-s", "-screen 0 1280x800x24 -ac"])
        .arg(tauri_driver())
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        // A computer whose clock is not in the clinic's zone (Cairo): what the window shows
        // must follow the clinic's.
        .env("TZ", "UTC")
        .env_remove("AYADA_DB_PASSPHRASE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .expect("xvfb-run and tauri-driver must be installed");
    let url = format!("http://127.0.0.1:{port}");
    // Both ends must listen: tauri-driver opens its own port while WebKitWebDriver (which it
    // spawned just before) may still be starting, and a session request forwarded then is cut
    // mid-answer (seen once in CI, on a cold machine's first window).
    let started = Instant::now();
    for (what, p) in [("tauri-driver", port), ("WebKitWebDriver", native)] {
        while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what} did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Driver {
        child,
        url,
        display,
        _turn: turn,
    }
}

/// An X display number no server holds (its lock file is absent), for this test's Xvfb:
/// the screenshots are taken from the display itself.
/// The clinic's today (the tests' clinics are in Africa/Cairo).
pub fn clinic_today() -> jiff::civil::Date {
    jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap().date()
}

pub fn free_display() -> String {
    (110..900)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .map(|n| format!(":{n}"))
        .expect("no free X display number")
}

/// What the X display shows, as a PNG. WebKitWebDriver's own screenshot hangs once the app
/// turns WebKit's DMA-BUF renderer off (src-tauri/src/lib.rs), while the window itself paints
/// normally: so the test looks at the screen, as a person would.
pub fn grab_display(display: &str) -> Vec<u8> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat, ImageOrder};
    let (conn, screen) = x11rb::connect(Some(display)).expect("the test's X display");
    let setup = conn.setup();
    assert_eq!(setup.image_byte_order, ImageOrder::LSB_FIRST);
    let root = &setup.roots[screen];
    let (w, h) = (root.width_in_pixels, root.height_in_pixels);
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, root.root, 0, 0, w, h, !0)
        .unwrap()
        .reply()
        .unwrap();
    assert_eq!(image.depth, 24, "the test's Xvfb runs at 24 bits");
    // 24-bit pixels travel as 32-bit little-endian words: blue, green, red, padding.
    let rgb: Vec<u8> = image
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    let picture = image::RgbImage::from_raw(w.into(), h.into(), rgb).unwrap();
    let mut png = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut png, image::ImageFormat::Png).unwrap();
    png.into_inner()
}

/// Moves the X pointer to the screen's bottom-right corner, off the window: where it rests
/// (the screen's middle, on a fresh Xvfb) GTK shows the tooltip of whatever is under it — a
/// nav button's "Alt+1" stood in the middle of the screenshots.
pub fn park_pointer(display: &str) {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::ConnectionExt;
    let (conn, screen) = x11rb::connect(Some(display)).expect("the test's X display");
    let root = &conn.setup().roots[screen];
    let (x, y) = (root.width_in_pixels - 1, root.height_in_pixels - 1);
    conn.warp_pointer(x11rb::NONE, root.root, 0, 0, 0, 0, x as i16, y as i16)
        .unwrap()
        .check()
        .expect("the pointer moved");
}

/// A WebDriver session on the app's window (the WebDriver calls are [`WebDriver`]'s).
pub struct Session {
    wd: WebDriver,
    display: String,
}

impl std::ops::Deref for Session {
    type Target = WebDriver;
    fn deref(&self) -> &WebDriver {
        &self.wd
    }
}

impl Session {
    pub fn new(driver: &Driver, app: &Path) -> Session {
        let caps =
            json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app}}}});
        Session {
            wd: WebDriver::start(&driver.url, &caps),
            display: driver.display.clone(),
        }
    }

    /// Gives a file input a file, as choosing it in the file dialog would (the page gets
    /// its `change` event with the bytes): through a DataTransfer, which needs no support
    /// for uploads in the driver.
    pub fn choose_file(&self, css: &str, name: &str, bytes: &[u8]) {
        use base64::Engine as _;
        self.find(css);
        self.script(
            "const i = document.querySelector(arguments[0]);
             const bytes = Uint8Array.from(atob(arguments[2]), (c) => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], arguments[1]));
             i.files = dt.files;
             i.dispatchEvent(new Event('change', { bubbles: true }));",
            json!([
                css,
                name,
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ]),
        );
    }

    /// Presses Enter where the keyboard is, once the focus is on an element matching `css`.
    pub fn press_enter(&self, css: &str) {
        self.poll(WAIT, &format!("the focus never reached {css}"), || {
            let focused = self.script(
                "return !!document.activeElement && document.activeElement.matches(arguments[0])",
                json!([css]),
            );
            (focused == json!(true)).then_some(())
        });
        let active = self.get("/element/active");
        let el = active
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an active element")
            .to_string();
        self.post(
            &format!("/element/{el}/value"),
            json!({ "text": "\u{E007}" }),
        );
    }

    /// Calls a Tauri command directly, as the page's code would; returns Ok or the error.
    pub fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let out = self.post(
            "/execute/async",
            json!({
                "script": "const done = arguments[arguments.length - 1];
                           window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
                             .then(v => done({ ok: v }), e => done({ err: e }));",
                "args": [command, args],
            }),
        );
        match out.get("ok") {
            Some(v) => Ok(v.clone()),
            None => Err(out["err"].clone()),
        }
    }

    pub fn screenshot(&self, name: &str) {
        park_pointer(&self.display);
        // A frame drawn right after a DOM change may still show the old one: wait two.
        self.post(
            "/execute/async",
            json!({"script": "const d = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => d(1)));", "args": []}),
        );
        // And the window's process has put that frame on the screen.
        std::thread::sleep(Duration::from_millis(150));
        let png = grab_display(&self.display);
        std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
    }

    /// Opens the Patients screen and the first file the search finds for `query`.
    pub fn open_patient_file(&self, query: &str) {
        self.click("[data-test=nav-patients]");
        self.type_into("[data-test=patients-search]", query);
        self.click("[data-test=patients-hit]");
    }

    pub fn log_in(&self, login: &str, password: &str) {
        self.type_into("[data-test=login]", login);
        self.type_into("[data-test=password]", password);
        self.click("[data-test=sign-in]");
        self.find("[data-test=who]");
    }

    pub fn log_out(&self) {
        self.click("[data-test=logout]");
        self.find("[data-test=sign-in]");
    }
}

/// A run that starts in the clinic's last 25 minutes (Cairo) waits for the next day: its
/// day would end under it (the slots of today that are over are not offered, a follow-up's
/// day is counted from the visit's).
pub fn wait_if_the_clinic_day_is_ending() {
    let cairo = jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap();
    if cairo.hour() == 23 && cairo.minute() >= 35 {
        let wait = 60 * (60 - i64::from(cairo.minute())) + 10;
        eprintln!("waiting {wait} s for the clinic's next day");
        std::thread::sleep(Duration::from_secs(wait as u64));
    }
}

/// A front-desk machine under `root` with a new clinic made by ayada-cli (the owner's login
/// "owner").
pub fn front_desk(root: &Path) -> common::Machine {
    let desk = common::Machine::new(root, "desk");
    desk.ok_with_password(
        OWNER_PW,
        &["init", "--clinic", "desk", "--owner-login", "owner"],
    );
    desk
}
