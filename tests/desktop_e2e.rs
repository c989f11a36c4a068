//! The real desktop app (the Tauri binary in WebKitGTK) under Xvfb, driven through
//! WebDriver (tauri-driver + WebKitWebDriver) as people would use it for a clinic day. The
//! screenshots are kept in target/test-artifacts/desktop for a person to look at.
//!
//! Needs `xvfb-run`, `tauri-driver` (cargo install tauri-driver --locked) and Debian's
//! webkit2gtk-driver; the README's test command installs them.

#![cfg(unix)]

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const OWNER_PW: &str = "owner-pass-1";
const STAFF_PW: &str = "staff-pass-1";
/// How long the page may take to show what a step waits for.
const WAIT: Duration = Duration::from_secs(10);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/desktop");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// tauri-driver under its own Xvfb display; killed (with the app) when dropped.
struct Driver {
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

fn tauri_driver() -> PathBuf {
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
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One window at a time: two tests' drivers starting together raced for their ports (a
/// session request was dropped mid-answer), and the machine has two cores anyway.
static ONE_WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start_driver(home: &Path, envs: &[(&str, &Path)]) -> Driver {
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
fn clinic_today() -> jiff::civil::Date {
    jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap().date()
}

fn free_display() -> String {
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
fn grab_display(display: &str) -> Vec<u8> {
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
fn park_pointer(display: &str) {
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

/// A WebDriver session on the app's window.
struct Session {
    http: reqwest::blocking::Client,
    base: String,
    display: String,
}

impl Session {
    fn new(driver: &Driver, app: &Path) -> Session {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let caps =
            json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app}}}});
        let resp: Value = http
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        Session {
            http,
            base: format!("{}/session/{id}", driver.url),
            display: driver.display.clone(),
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

    fn find_all(&self, css: &str) -> Vec<String> {
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
    fn find(&self, css: &str) -> String {
        self.poll(WAIT, &format!("{css} never appeared"), || {
            self.find_all(css).into_iter().next()
        })
    }

    /// Asks `check` every 100 ms until it answers, failing after `limit` with `what` and the
    /// page's text.
    fn poll<T>(&self, limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
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

    fn click(&self, css: &str) {
        let el = self.find(css);
        self.post(&format!("/element/{el}/click"), json!({}));
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.post(&format!("/element/{el}/clear"), json!({}));
        self.post(&format!("/element/{el}/value"), json!({ "text": text }));
    }

    /// Sets an input's value the way the page sees typing (an `input` event): for an empty
    /// value, and for date inputs, whose typing WebKit's driver does not do in every locale.
    fn set_value(&self, css: &str, value: &str) {
        self.find(css);
        self.script(
            "const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('input', {bubbles: true}));",
            json!([css, value]),
        );
    }

    /// Chooses an option of a select by its value, as a click on it would (a `change` event).
    fn choose(&self, css: &str, value: &str) {
        self.find(css);
        self.script(
            "const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        );
    }

    fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.get(&format!("/element/{el}/text"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn page_text(&self) -> String {
        self.script("return document.body.innerText", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn script(&self, code: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": code, "args": args }))
    }

    /// Waits until `css`'s text contains `expected`.
    fn wait_text(&self, css: &str, expected: &str) -> String {
        self.wait_text_for(css, expected, WAIT)
    }

    /// `wait_text` with its own limit, for what arrives over the network.
    fn wait_text_for(&self, css: &str, expected: &str, limit: Duration) -> String {
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
    fn wait_count(&self, css: &str, n: usize) {
        self.poll(WAIT, &format!("{css} never matched {n} elements"), || {
            (self.find_all(css).len() == n).then_some(())
        })
    }

    /// Presses Enter where the keyboard is, once the focus is on an element matching `css`.
    fn press_enter(&self, css: &str) {
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
    fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
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

    fn screenshot(&self, name: &str) {
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
    fn open_patient_file(&self, query: &str) {
        self.click("[data-test=nav-patients]");
        self.type_into("[data-test=patients-search]", query);
        self.click("[data-test=patients-hit]");
    }

    fn log_in(&self, login: &str, password: &str) {
        self.type_into("[data-test=login]", login);
        self.type_into("[data-test=password]", password);
        self.click("[data-test=sign-in]");
        self.find("[data-test=who]");
    }

    fn log_out(&self) {
        self.click("[data-test=logout]");
        self.find("[data-test=sign-in]");
    }
}

/// A front-desk machine under `root` with a new clinic made by ayada-cli (the owner's login
/// "owner").
fn front_desk(root: &Path) -> common::Machine {
    let desk = common::Machine::new(root, "desk");
    desk.ok_with_password(
        OWNER_PW,
        &["init", "--clinic", "desk", "--owner-login", "owner"],
    );
    desk
}

#[test]
fn an_idle_window_logs_out_by_itself_while_a_working_one_stays_logged_in() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    desk.ok(Some(("owner", OWNER_PW)), &["demo", "--days", "1"]);
    // A shared PC told to lock after four idle seconds (ten minutes unless told).
    let driver = start_driver(
        tmp.path(),
        &[
            ("AYADA_DATA", &desk.data),
            ("AYADA_KEY_FILE", &desk.key),
            ("AYADA_IDLE_LOCK_SECONDS", Path::new("4")),
        ],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.log_in("reception", STAFF_PW);
    // Working: a click a second for seven seconds keeps her logged in.
    for screen in [
        "patients", "calendar", "today", "patients", "calendar", "today", "cash",
    ] {
        s.click(&format!("[data-test=nav-{screen}]"));
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(
        s.find_all("[data-test=who]").len(),
        1,
        "logged out while working"
    );
    // Idle: the login screen comes back by itself, and the core's session is gone too.
    std::thread::sleep(Duration::from_secs(5));
    s.find("[data-test=sign-in]");
    assert!(s.find_all("[data-test=who]").is_empty());
    let refused = s.invoke("appointments", json!({})).unwrap_err();
    assert_eq!(refused["code"], "not-logged-in", "{refused}");
    s.screenshot("13-locked-after-idle");
}

#[test]
fn a_wrong_key_shows_why_in_the_remembered_language_and_leaves_the_clinic_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = front_desk(tmp.path());
    let before = std::fs::read(desk.data.join("clinic.db")).unwrap();
    // Someone restored another clinic's key file onto this PC, whose people read Arabic.
    let wrong = tmp.path().join("other.key");
    std::fs::write(&wrong, "ab".repeat(32)).unwrap();
    std::fs::write(desk.data.join("language"), "ar").unwrap();
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &desk.data), ("AYADA_KEY_FILE", &wrong)],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    let said = s.wait_text("[data-test=app-error]", "المفتاح");
    assert!(!said.contains("ab".repeat(32).as_str()), "{said}");
    s.poll(WAIT, "the window never turned right to left", || {
        (s.script("return document.documentElement.dir", json!([])) == "rtl").then_some(())
    });
    // Neither the first-run screen (which would make a new clinic) nor the login screen.
    assert!(s.find_all("[data-test=clinic-name]").is_empty());
    assert!(s.find_all("[data-test=sign-in]").is_empty());
    s.screenshot("15-wrong-key-arabic");
    drop(s);
    drop(driver);
    assert_eq!(
        std::fs::read(desk.data.join("clinic.db")).unwrap(),
        before,
        "the clinic's file is untouched"
    );
}

#[test]
fn a_clinic_day_in_the_real_window_in_english_then_arabic() {
    // Today's slots that are over are not offered; the doctor works 00:00-23:40, so a run
    // that would book in the clinic's last twenty minutes waits for the next day.
    let cairo = jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap();
    if cairo.hour() == 23 && cairo.minute() >= 35 {
        let wait = 60 * (60 - i64::from(cairo.minute())) + 10;
        eprintln!("waiting {wait} s for the clinic's next day");
        std::thread::sleep(Duration::from_secs(wait as u64));
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("clinic");
    let key = tmp.path().join("clinic.key");
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &data), ("AYADA_KEY_FILE", &key)],
    );
    let app = common::bin("ayada");
    let s = Session::new(&driver, &app);

    // First run: the owner creates the clinic.
    s.type_into("[data-test=clinic-name]", "عيادة النور");
    s.type_into("[data-test=owner-name]", "Dr. Hala");
    s.type_into("[data-test=owner-login]", "owner");
    s.type_into("[data-test=owner-password]", OWNER_PW);
    s.screenshot("01-first-run");
    s.click("[data-test=create-clinic]");
    assert!(s.text("[data-test=who]").contains("Dr. Hala"));

    // The owner adds the front desk and a doctor, and the doctor's hours.
    s.click("[data-test=nav-owner]");
    for (name, login, role) in [
        ("منى", "reception", "receptionist"),
        ("د. سارة", "dr.sara", "doctor"),
    ] {
        s.type_into("[data-test=staff-name]", name);
        s.type_into("[data-test=staff-login]", login);
        // Choosing an option the way WebDriver specifies it: clicking the option.
        s.click(&format!("[data-test=staff-role] option[value={role}]"));
        s.type_into("[data-test=staff-password]", STAFF_PW);
        s.click("[data-test=add-staff]");
        s.wait_text("[data-test=staff-row]", login);
    }
    // The doctor's hours: none yet, then every day of the week (the test runs on any day)
    // from midnight to 23:40. An evening range with only its start is refused first.
    s.wait_text("[data-test=sched-current]", "No working hours");
    let unticked = s.script(
        "return [...document.querySelectorAll('[data-test=sched-day]')].filter(b => !b.checked).map(b => b.value)",
        json!([]),
    );
    for day in unticked.as_array().unwrap() {
        s.click(&format!(
            "[data-test=sched-day][value={}]",
            day.as_str().unwrap()
        ));
    }
    s.type_into("[data-test=sched-from]", "00:00");
    s.type_into("[data-test=sched-to]", "23:40");
    s.type_into("[data-test=sched-from-2]", "18:00");
    s.click("[data-test=set-schedule]");
    s.wait_text("[data-test=schedule-error]", "start and the end");
    s.set_value("[data-test=sched-from-2]", "");
    s.click("[data-test=set-schedule]");
    s.wait_text(
        "[data-test=sched-current]",
        "Sat, Sun, Mon, Tue, Wed, Thu, Fri",
    );
    s.wait_text("[data-test=sched-current]", "00:00–23:40 · 20 min");
    // A day off next month shows in the list of days off, with its weekday.
    let off = clinic_today() + jiff::Span::new().days(30);
    s.set_value("[data-test=off-date]", &off.to_string());
    s.click("[data-test=set-day-off]");
    s.wait_text(
        "[data-test=days-off]",
        &format!("{off} {} · Day off", off.strftime("%A")),
    );
    // A new visit type with its price, and an insurer the desk can pick.
    s.type_into("[data-test=type-name]", "follow-up");
    s.type_into("[data-test=type-price]", "abc");
    s.click("[data-test=save-type]");
    s.find("[data-test=prices-error]");
    s.type_into("[data-test=type-price]", "150");
    s.type_into("[data-test=type-minutes]", "15");
    s.click("[data-test=save-type]");
    s.wait_text("[data-test=visit-types]", "150.00");
    s.type_into("[data-test=insurer-name]", "AXA Egypt");
    s.click("[data-test=add-insurer]");
    s.wait_text("[data-test=insurers]", "AXA Egypt");
    s.screenshot("02-owner-staff");
    s.log_out();

    // The receptionist registers a patient with an Arabic name, books and checks her in.
    // Beside the queue's date field, the date as people read it: weekday, day, month.
    s.log_in("reception", STAFF_PW);
    let today = clinic_today();
    s.wait_text(
        "[data-test=queue-date-long]",
        &format!("{} {}", today.day(), today.strftime("%B")),
    );
    assert!(s
        .text("[data-test=queue-date-long]")
        .starts_with(&today.strftime("%A").to_string()));
    s.type_into("[data-test=new-name]", "فاطمة الزهراء");
    s.type_into("[data-test=new-phone]", "01012345678");
    s.click("[data-test=register]");
    s.wait_text("[data-test=chosen-patient]", "فاطمة");
    // She is booked from the keyboard alone: her name in another spelling (search still
    // finds her), Enter takes the first patient found and moves to the first free slot,
    // Enter takes the slot and moves to Book, Enter books.
    s.type_into("[data-test=patient-search]", "فاطمه");
    s.wait_text("[data-test=patient-hit]", "01012345678");
    s.press_enter("[data-test=patient-search]");
    s.press_enter("[data-test=slot]");
    s.press_enter("[data-test=book]");
    s.wait_text("[data-test=booked]", "فاطمة");
    s.wait_text("[data-test=queue]", "فاطمة الزهراء");
    s.click("[data-test=check-in]");
    s.wait_text("[data-test=row-status]", "Waiting");
    s.screenshot("03-today-queue");

    // Money is the owner's: the command layer refuses the receptionist.
    let refused = s
        .invoke("day_report", json!({ "date": "2026-01-01" }))
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("may not"));
    s.log_out();

    // The doctor records the visit with a prescription photo. Alt+4 opens her fourth
    // screen, the visit.
    s.log_in("dr.sara", STAFF_PW);
    s.post(
        "/actions",
        json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": "\u{E00A}"}, {"type": "keyDown", "value": "4"},
            {"type": "keyUp", "value": "4"}, {"type": "keyUp", "value": "\u{E00A}"}
        ]}]}),
    );
    s.find("[data-test=nav-visit].active");
    s.click("[data-test=visit-patient]");
    s.type_into("[data-test=temperature]", "37.6");
    s.type_into("[data-test=blood-pressure]", "120/80");
    s.type_into("[data-test=pulse]", "78");
    s.type_into("[data-test=weight]", "64.5");
    s.type_into("[data-test=spo2]", "98");
    // A slight fever is marked; a normal pulse is not.
    s.wait_text("[data-test=range-temperature]", "outside the usual range");
    assert!(!s
        .text("[data-test=range-pulse]")
        .contains("outside the usual range"));
    s.type_into("[data-test=diagnosis]", "التهاب الحلق; Fever");
    let photo = tmp.path().join("prescription.png");
    image::RgbImage::from_fn(320, 200, |x, y| image::Rgb([x as u8, y as u8, 200]))
        .save(&photo)
        .unwrap();
    let input = s.find("[data-test=photos]");
    s.post(
        &format!("/element/{input}/value"),
        json!({ "text": photo.to_str().unwrap() }),
    );
    s.wait_count("[data-test=picked-photo]", 1);
    // A second page of the prescription dropped onto the form, with a PDF that is left out.
    // (The page's own drop event, with the files a drag from the file manager carries.)
    s.post(
        "/execute/async",
        json!({"args": [], "script": "const c = document.createElement('canvas'); c.width = 200; c.height = 300;
         const g = c.getContext('2d'); g.fillStyle = '#3366aa'; g.fillRect(0, 0, 200, 300);
         const done = arguments[arguments.length - 1];
         c.toBlob((b) => {
           const t = new DataTransfer();
           t.items.add(new File([b], 'page-2.png', { type: 'image/png' }));
           t.items.add(new File(['%PDF-1.4'], 'lab.pdf', { type: 'application/pdf' }));
           const zone = document.querySelector('[data-test=photo-drop]');
           zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: t, bubbles: true, cancelable: true }));
           zone.dispatchEvent(new DragEvent('drop', { dataTransfer: t, bubbles: true, cancelable: true }));
           done(1);
         }, 'image/png');"}),
    );
    s.wait_count("[data-test=picked-photo]", 2);
    s.wait_text("[data-test=photos-refused]", "lab.pdf");
    s.screenshot("04-visit");
    s.click("[data-test=save-visit]");
    s.find("[data-test=visit-saved]");
    // The photo in her file: a thumbnail, and the full picture over the screen.
    s.open_patient_file("فاطمة");
    s.wait_text("[data-test=file-visits]", "التهاب الحلق");
    s.click("[data-test=photo-thumb]");
    s.find("[data-test=photo-full]");
    s.screenshot("04b-photo-full");
    let started = Instant::now();
    let width = loop {
        let width = s.script(
            "const i = document.querySelector('[data-test=photo-full] img'); return i.complete ? i.naturalWidth : 0",
            json!([]),
        );
        if width != 0 || started.elapsed() > Duration::from_secs(10) {
            break width;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let state = s.script("const i = document.querySelector('[data-test=photo-full] img'); const t = document.querySelector('[data-test=photo-thumb] img'); return [i.src, i.complete, i.naturalWidth, t.naturalWidth, t.src, document.body.innerText.slice(0, 300)]", json!([]));
    assert_eq!(width, 320, "the stored picture at its own size: {state}");
    s.click("[data-test=photo-close]");
    s.log_out();

    // The receptionist takes the payment and closes the shift.
    s.log_in("reception", STAFF_PW);
    s.click("[data-test=nav-cash]");
    // The desk sees that no drawer is open here, opens one, and then sees since when and
    // by whom (its money is the owner's to read).
    s.wait_text("[data-test=shift-state]", "No shift is open");
    assert!(s.find_all("[data-test=close-shift]").is_empty());
    s.type_into("[data-test=float]", "100");
    s.click("[data-test=open-shift]");
    s.find("[data-test=cash-message]");
    let open = s.wait_text("[data-test=shift-state]", "Shift open since");
    assert!(open.contains("منى") && !open.contains("100"), "{open}");
    assert!(s.find_all("[data-test=open-shift]").is_empty());
    s.type_into("[data-test=pay-amount]", "350");
    s.click("[data-test=pay]");
    s.wait_text("[data-test=cash-message]", "Payment recorded");
    s.click("[data-test=print-receipt]");
    let receipt = s.wait_text("[data-test=receipt-path]", ".pdf");
    let receipt = PathBuf::from(receipt.trim_start_matches("Saved to").trim());
    let text = pdf_text(&receipt);
    assert!(
        text.contains("350.00") && text.contains("فاطمة الزهراء"),
        "{text}"
    );
    // A refund on that payment and an expense from the drawer.
    s.type_into("[data-test=refund-amount]", "20");
    s.type_into("[data-test=refund-reason]", "خصم");
    s.click("[data-test=refund]");
    s.wait_text("[data-test=cash-message]", "Refund recorded");
    s.type_into("[data-test=expense-amount]", "50");
    s.type_into("[data-test=expense-category]", "supplies");
    s.click("[data-test=add-expense]");
    s.wait_text("[data-test=cash-message]", "Expense recorded");
    s.type_into("[data-test=counted]", "380");
    s.click("[data-test=close-shift]");
    s.wait_text("[data-test=cash-message]", "Shift closed");
    s.wait_text("[data-test=shift-state]", "No shift is open");
    s.screenshot("05-cash");
    s.log_out();

    // The owner reads the day, closes it into Z-1 and saves its PDF; the chart agrees.
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=nav-owner]");
    s.wait_text("[data-test=net-revenue]", "330.00");
    // The whole day on the screen, as on the paper: the refund, the expense, what the drawer
    // should hold and what was counted (float 100 + 350 − 20 − 50 = 380, counted 380).
    s.wait_text("[data-test=report-refunds]", "20.00");
    // One visit, paid and then partly refunded: the doctor's line is one visit's net revenue.
    let doctor_line = s.wait_text("[data-test=report-by-doctor]", "330.00");
    assert!(
        doctor_line.contains("×1") && !doctor_line.contains("×2"),
        "{doctor_line}"
    );
    s.wait_text("[data-test=report-expenses]", "supplies");
    s.wait_text("[data-test=total-expenses]", "50.00");
    s.wait_text("[data-test=net-cash]", "280.00");
    s.wait_text("[data-test=report-shifts]", "380.00");
    s.wait_text("[data-test=shift-difference]", "0.00");
    s.wait_text("[data-test=report-activity]", "Visits");
    s.wait_text("[data-test=revenue-total]", "330.00");
    s.wait_text("[data-test=revenue-breakdown]", "Cash");
    s.wait_text("[data-test=revenue-visits]", "1");
    s.click("[data-test=close-day]");
    s.wait_text("[data-test=report-title]", "Z-1");
    s.wait_text("[data-test=server-check]", "not enrolled");
    s.click("[data-test=save-pdf]");
    let saved = s.wait_text("[data-test=pdf-path]", ".pdf");
    let pdf = PathBuf::from(saved.trim_start_matches("Saved to").trim());
    assert!(
        pdf.starts_with(data.join("reports")) && pdf.exists(),
        "{saved}"
    );
    let text = pdf_text(&pdf);
    assert!(
        text.contains("350.00") && text.contains("تقرير إقفال اليوم"),
        "{text}"
    );
    s.screenshot("06-owner-report");

    // Settings: an encrypted backup and an export into a folder off the clinic's own.
    let usb = tmp.path().join("usb");
    std::fs::create_dir_all(&usb).unwrap();
    s.click("[data-test=nav-settings]");
    s.wait_text(
        "[data-test=machines-note]",
        "not connected to a sync server",
    );
    // The clinic's details: phones come back in their international form.
    s.type_into("[data-test=details-address]", "12 شارع التحرير، الدقي");
    s.type_into("[data-test=details-phones]", "02 3333 4444, 01012345678");
    s.click("[data-test=save-details]");
    s.wait_text("[data-test=details-saved]", "Saved");
    let phones = s.script(
        "return document.querySelector('[data-test=details-phones]').value",
        json!([]),
    );
    assert_eq!(phones, "+20233334444, +201012345678");
    s.type_into("[data-test=backup-folder]", usb.to_str().unwrap());
    s.type_into("[data-test=backup-passphrase]", "short");
    s.click("[data-test=backup]");
    s.wait_text("[data-test=error]", "8");
    s.type_into("[data-test=backup-passphrase]", "usb-passphrase-1");
    s.click("[data-test=backup]");
    let saved = s.wait_text("[data-test=backup-path]", ".db");
    let backup = PathBuf::from(saved.trim_start_matches("Saved to").trim());
    assert!(backup.starts_with(&usb) && backup.exists(), "{saved}");
    let head = std::fs::read(&backup).unwrap();
    assert!(
        !head.starts_with(b"SQLite format 3"),
        "the backup is encrypted"
    );
    s.click("[data-test=export]");
    let exported = s.wait_text("[data-test=export-path]", "ayada-export");
    let export = PathBuf::from(exported.trim_start_matches("Saved to").trim());
    assert!(export.join("clinic.json").exists(), "{exported}");
    assert!(export.join("photos").read_dir().unwrap().count() >= 1);
    s.screenshot("06b-settings");

    // Arabic: the whole layout mirrors.
    s.click("[data-test=language]");
    s.wait_text("[data-test=nav-cash]", "الخزينة");
    let dir = s.script("return document.documentElement.dir", json!([]));
    assert_eq!(dir, "rtl");
    s.screenshot("07-owner-arabic");
    // The day's report in Arabic, in the printed report's own words.
    s.click("[data-test=nav-owner]");
    s.wait_text("[data-test=day-report]", "المرتجعات حسب طريقة الدفع");
    s.wait_text("[data-test=report-shifts]", "الفرق");
    s.screenshot("07b-owner-report-arabic");
    s.click("[data-test=nav-today]");
    s.wait_text("[data-test=queue]", "فاطمة");
    // The queue's date in Arabic words, in the digits of the times and the money beside it.
    let long = s.wait_text("[data-test=queue-date-long]", &today.year().to_string());
    assert!(long.contains(&today.day().to_string()), "{long}");
    assert!(
        !long.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c)),
        "{long}"
    );
    s.screenshot("08-today-arabic");

    // A patient who walks in without a booking joins today's queue, already waiting: she
    // comes back for a follow-up, which the desk picks by its Arabic name.
    s.type_into("[data-test=patient-search]", "فاطمه");
    s.click("[data-test=patient-hit]");
    let kinds = s.text("[data-test=book-visit-type]");
    assert!(
        kinds.contains("كشف") && kinds.contains("استشارة"),
        "{kinds}"
    );
    s.choose("[data-test=book-visit-type]", "follow-up");
    s.click("[data-test=walk-in]");
    s.wait_text("[data-test=walk-in-tag]", "بدون موعد");
    // The queue says what she came for when it is not an examination.
    s.wait_text("[data-test=row-visit-type]", "استشارة");
    assert!(
        s.text("[data-test=queue]").contains("د. سارة"),
        "the doctor's name"
    );

    // Her file: the booking, the payment, and an edit that is kept.
    s.open_patient_file("فاطمة");
    s.wait_text("[data-test=file-name]", "فاطمة الزهراء");
    s.wait_text("[data-test=file-payments]", "350.00");
    let bookings = s.text("[data-test=file-bookings]");
    assert!(bookings.contains("د. سارة"), "{bookings}");
    assert!(
        bookings.contains("استشارة"),
        "the walk-in's visit type: {bookings}"
    );
    s.click("[data-test=edit-patient]");
    s.type_into("[data-test=edit-allergies]", "البنسلين");
    s.click("[data-test=save-patient]");
    s.wait_text("[data-test=file-allergies]", "البنسلين");
    s.screenshot("08b-patient-file-arabic");

    // The week of the doctor: her booking in today's column, Saturday first.
    s.click("[data-test=nav-calendar]");
    s.wait_text("[data-test=calendar]", "فاطمة");
    let columns = s.find_all("[data-test=calendar-column]");
    assert_eq!(columns.len(), 7, "a week");
    // Each column is headed the way the person reads a day ("السبت، 21 نوفمبر"), not with
    // the ISO date the screens pass around.
    let headings = s.script(
        "return [...document.querySelectorAll('[data-test=calendar-day-heading]')].map(h => h.textContent)",
        json!([]),
    );
    let headings: Vec<&str> = headings
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .collect();
    assert_eq!(headings.len(), 7, "{headings:?}");
    assert!(
        headings[0].contains("السبت"),
        "Saturday first: {headings:?}"
    );
    assert!(
        headings
            .iter()
            .all(|h| !h.contains('-') && h.chars().any(|c| c.is_ascii_digit())),
        "weekday and day of the month, in the money's digits: {headings:?}"
    );
    s.screenshot("08c-calendar-arabic");
    s.click("[data-test=nav-conflicts]");
    s.find("[data-test=no-conflicts]");

    // The doctor calls the walk-in in: her allergy is the first thing on the visit form.
    s.log_out();
    s.log_in("dr.sara", STAFF_PW);
    s.click("[data-test=nav-visit]");
    s.click("[data-test=visit-patient]");
    s.wait_text("[data-test=visit-allergies]", "البنسلين");
    s.screenshot("08d-visit-arabic");

    // The machine remembers its language: the window opens again in Arabic, right to left,
    // from its first screen (written before the clinic is unlocked).
    drop(s);
    drop(driver);
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &data), ("AYADA_KEY_FILE", &key)],
    );
    let s = Session::new(&driver, &app);
    s.wait_text("[data-test=sign-in]", "دخول");
    let dir = s.script("return document.documentElement.dir", json!([]));
    assert_eq!(dir, "rtl");
    s.screenshot("14-reopened-in-arabic");

    // The data really is in the encrypted clinic on disk.
    drop(s);
    drop(driver);
    let mut clinic = ayada_core::Clinic::open(&data, &ayada_core::KeySource::KeyFile(key)).unwrap();
    let owner = clinic.login("owner", OWNER_PW).unwrap();
    let closes = clinic.day_closes(&owner).unwrap();
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].net_revenue, ayada_core::Money(33_000));
    let z1 = clinic.day_report(&owner, clinic.time().today()).unwrap();
    assert_eq!(
        z1.shifts[0].difference,
        Some(ayada_core::Money::ZERO),
        "float 100 + 350 − 20 − 50 = 380 counted"
    );
    let doctor = clinic.login("dr.sara", STAFF_PW).unwrap();
    let patient = clinic.search_patients(&doctor, "فاطمة", 5).unwrap()[0].id;
    let visits = clinic
        .patient_file(&doctor, patient)
        .unwrap()
        .visits
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        visits[0].photos.len(),
        2,
        "the photo picked and the one dropped in the window were stored"
    );
    assert_eq!(visits[0].diagnoses, ["التهاب الحلق", "Fever"]);
    assert_eq!(visits[0].vitals.weight_g, Some(64_500));
    assert!(!clinic
        .photo(&doctor, &visits[0].photos[0], true)
        .unwrap()
        .is_empty());
}

#[test]
fn a_machine_joins_from_the_window_shows_sync_live_and_sees_other_work_arrive_by_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::Server::start(&tmp.path().join("server"));
    server.create_clinic("nour", "owner@nour.example", OWNER_PW);
    // The front desk's clinic, made from the command line, seeds the server.
    let desk = common::enrolled_machine(
        tmp.path(),
        "front-desk",
        &server,
        "owner@nour.example",
        OWNER_PW,
        1,
    );
    desk.ok(None, &["sync"]);

    // The exam room's window starts on an empty data folder and joins from the first run.
    let room_data = tmp.path().join("exam-room");
    let room_key = tmp.path().join("exam-room.key");
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &room_data), ("AYADA_KEY_FILE", &room_key)],
    );
    let app = common::bin("ayada");
    let s = Session::new(&driver, &app);
    s.click("[data-test=choose-join]");
    s.type_into("[data-test=join-server]", &server.url[7..]);
    s.type_into("[data-test=join-email]", "owner@nour.example");
    s.type_into("[data-test=join-password]", "not-the-password");
    s.click("[data-test=join-clinic]");
    s.wait_text("[data-test=error]", "wrong");
    s.screenshot("09-join-refused");
    s.type_into("[data-test=join-password]", OWNER_PW);
    s.click("[data-test=join-clinic]");
    // The staff arrive with the clinic's first sync.
    s.wait_text_for("[data-test=user-reception]", "منى", Duration::from_secs(60));
    s.log_in("reception", STAFF_PW);
    s.wait_text_for(
        "[data-test=sync-state]",
        "Online, live",
        Duration::from_secs(60),
    );
    s.screenshot("10-sync-live");

    // The front desk queues a patient for today from the command line.
    let desk_user = Some(("reception", STAFF_PW));
    let patient = desk.ok(
        desk_user,
        &[
            "patient",
            "add",
            "--name",
            "زينب من مكتب الاستقبال",
            "--phone",
            "01077770001",
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    // A walk-in, so that the test does not depend on a free slot being left today.
    desk.ok(
        desk_user,
        &["walk-in", "--patient", &patient, "--doctor", "dr.sara"],
    );
    desk.ok(None, &["sync"]);
    // Nobody touches the window: the server's notice brings the booking into the queue.
    s.wait_text_for(
        "[data-test=queue]",
        "زينب من مكتب الاستقبال",
        Duration::from_secs(20),
    );
    s.script(
        "[...document.querySelectorAll('[data-test=queue-row]')].find(r => r.textContent.includes(arguments[0])).scrollIntoView()",
        json!(["زينب"]),
    );
    s.screenshot("11-arrived-by-itself");
    // One queue per doctor: her tab says how many of hers wait and shows only her
    // patients, the walk-in among them.
    let tab = s.wait_text("[data-test=queue-doctor]", "سارة");
    assert!(tab.contains("waiting"), "the walk-in waits: {tab}");
    s.script(
        "[...document.querySelectorAll('[data-test=queue-doctor]')].find(b => b.textContent.includes(arguments[0])).click()",
        json!(["سارة"]),
    );
    s.poll(WAIT, "the queue never narrowed to one doctor", || {
        let doctors = s.script(
            "return [...document.querySelectorAll('[data-test=queue-row]')].map(r => r.children[2].textContent)",
            json!([]),
        );
        let doctors = doctors.as_array().cloned().unwrap_or_default();
        (!doctors.is_empty() && doctors.iter().all(|d| d.as_str().unwrap_or("").contains("سارة")))
            .then_some(())
    });
    s.wait_text("[data-test=queue]", "زينب من مكتب الاستقبال");
    s.screenshot("11c-one-doctors-queue");
    s.click("[data-test=queue-doctor]");

    // Two booking requests for a day next week reach the desk's window the same way (the
    // online portal will make them; here the other desk does), each to confirm or decline.
    let day = (clinic_today() + jiff::Span::new().days(7)).to_string();
    let (first, second) = (format!("{day} 10:00"), format!("{day} 10:20"));
    for at in [&first, &second] {
        desk.ok(
            desk_user,
            &[
                "book",
                "--request",
                "--patient",
                &patient,
                "--doctor",
                "dr.sara",
                "--at",
                at,
            ],
        );
    }
    desk.ok(None, &["sync"]);
    s.wait_text_for("[data-test=requests]", &second, Duration::from_secs(20));
    s.wait_count("[data-test=request-row]", 2);
    s.script(
        "document.querySelector('[data-test=requests]').scrollIntoView()",
        json!([]),
    );
    s.screenshot("11a-booking-requests");
    s.click("[data-test=confirm-request]");
    s.wait_count("[data-test=request-row]", 1);
    s.wait_text("[data-test=requests]", &second);
    s.click("[data-test=decline-request]");
    s.wait_count("[data-test=requests]", 0);
    // The answers travel back to the other desk.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        desk.ok(None, &["sync"]);
        let listed = desk.ok(desk_user, &["appointment", "list", "--date", &day]);
        let statuses: Vec<(String, String)> = listed["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["at"].as_str().unwrap().to_string(),
                    a["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want = [
            (first.clone(), "booked".to_string()),
            (second.clone(), "cancelled".to_string()),
        ];
        if statuses == want {
            break;
        }
        assert!(Instant::now() < deadline, "the desk sees {statuses:?}");
        std::thread::sleep(Duration::from_millis(500));
    }

    // The owner sees both machines and revokes the front desk's (a stolen PC, say).
    s.log_out();
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=nav-settings]");
    s.wait_text_for("[data-test=machines]", "this one", Duration::from_secs(20));
    assert_eq!(s.find_all("[data-test=machine-row]").len(), 2);
    s.type_into("[data-test=revoke-email]", "owner@nour.example");
    s.type_into("[data-test=revoke-password]", OWNER_PW);
    s.click("[data-test=revoke]");
    s.wait_text_for("[data-test=machines]", "Revoked", Duration::from_secs(20));
    s.screenshot("11b-machines");
    let refused = desk.run(None, &["sync"]);
    assert!(!refused.status.success(), "a revoked machine still synced");

    // The server goes away: the window says it is offline, and why, and keeps working.
    drop(server);
    s.click("[data-test=sync-now]");
    s.wait_text_for("[data-test=sync-state]", "Offline", Duration::from_secs(30));
    s.wait_text("[data-test=sync-error]", "cannot be reached");
    s.screenshot("12-sync-offline");
    // The last sync is told on the clinic's clock (Cairo), whatever zone this computer's
    // clock is set to (the window runs here with the test machine's, usually UTC).
    let line = s.text("[data-test=sync-state]");
    let said = line
        .split("last sync ")
        .nth(1)
        .and_then(|t| jiff::civil::Time::strptime("%H:%M", t.get(..5)?).ok())
        .unwrap_or_else(|| panic!("no time of the last sync in {line:?}"));
    let cairo = jiff::Timestamp::now().in_tz("Africa/Cairo").unwrap().time();
    let minutes = |t: jiff::civil::Time| i32::from(t.hour()) * 60 + i32::from(t.minute());
    let behind = (minutes(cairo) - minutes(said)).rem_euclid(24 * 60);
    assert!(
        behind <= 3,
        "last sync {said} against Cairo's {cairo}: {line:?}"
    );
    drop(s);
    drop(driver);
    // The joined machine has its own key file, not the front desk's.
    assert!(room_key.exists());
    assert_ne!(
        std::fs::read(&room_key).unwrap(),
        std::fs::read(&desk.key).unwrap()
    );
}
