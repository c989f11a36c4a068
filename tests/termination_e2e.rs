//! A clinic leaves the platform and takes its data with it, with the real binaries: the
//! operator ends it in the console (password and authenticator code, over HTTP), the front
//! desk's sync is refused with the sentence, the owner's email (through a fake Resend that
//! speaks its API) brings the download link, the owner downloads the export with the
//! password and a passphrase, and `ayada-cli export-open` turns it into a machine's folder
//! where the owner signs in and exports the clinic's CSV, the patient there.

mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};

use common::*;
use reqwest::blocking::{Client, Response};
use reqwest::header;

const ADMIN: &str = "ops@ayada.example";
const ADMIN_PW: &str = "operator-pass-12";
const PASSPHRASE: &str = "cedar tree by the nile";
const WITNESS: &str = "Termination Witness";

/// Resend's `POST /emails` as it answers: each email's JSON kept.
fn fake_resend() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
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
                            axum::Json(serde_json::json!({ "id": uuid_like() }))
                        }
                    },
                ),
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{}", rx.recv().unwrap()), kept)
}

fn uuid_like() -> String {
    format!(
        "{:032x}",
        std::time::SystemTime::now()
            .elapsed()
            .map_or(0, |d| d.as_nanos())
    )
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie(r: &Response, name: &str) -> String {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// The value of a page's hidden `csrf` field.
fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    page[at..at + 43].to_string()
}

fn post(url: &str, cookie: &str, form: &[(&str, &str)]) -> Response {
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

/// The code an authenticator app shows now for a base32 key.
fn authenticator(secret: &str) -> String {
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
    .generate_current()
    .unwrap()
}

/// The console's two steps over HTTP, the second factor enrolled on the way: a session.
fn console_session(server: &Server) -> String {
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
    let at = page.find("id=\"secret\"").expect("the key to type");
    let from = page[at..].find('>').unwrap() + at + 1;
    let secret: String = page[from..from + page[from..].find('<').unwrap()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let r = post(
        &format!("{}/admin/totp", server.url),
        &half,
        &[("code", &authenticator(&secret)), ("csrf", &csrf_in(&page))],
    );
    assert_eq!(r.status(), 303);
    format!("ayada_admin={}", cookie(&r, "ayada_admin"))
}

#[test]
fn an_ended_clinic_is_downloaded_opened_on_a_new_machine_and_exported_as_csv() {
    let root = tempfile::tempdir().unwrap();
    let (resend, emails) = fake_resend();
    let server = Server::start_with_env(
        &root.path().join("server"),
        &[
            ("AYADA_RESEND_KEY", "re_test_key"),
            ("AYADA_RESEND_URL", &resend),
            ("AYADA_EMAIL_RETRY_SECONDS", "1"),
        ],
    );
    let clinic = server.create_clinic("nour", NOUR, OWNER_PW);
    let desk = enrolled_machine(root.path(), "front-desk", &server, NOUR, OWNER_PW, 1);
    desk.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            WITNESS,
            "--phone",
            "01077788899",
        ],
    );
    desk.ok(None, &["sync"]);
    let made = Command::new(bin("ayada-server"))
        .args(["admin", "create", "--email", ADMIN])
        .args(server.store_args())
        .env("AYADA_ADMIN_PASSWORD", ADMIN_PW)
        .output()
        .unwrap();
    json_of(&made, "admin create");

    // The operator ends the clinic, the slug typed to confirm.
    let session = console_session(&server);
    let page_url = format!("{}/admin/clinics/{clinic}", server.url);
    let page = client()
        .get(&page_url)
        .header(header::COOKIE, &session)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let ended = post(
        &format!("{page_url}/terminate"),
        &session,
        &[
            ("csrf", &csrf_in(&page)),
            ("lang", "en"),
            ("note", "the clinic closed"),
            ("confirm", "nour"),
        ],
    );
    assert_eq!(ended.status(), 303);

    // The front desk keeps everything, and its sync says why it stopped, in its language.
    let refused = desk.run_with(None, &[("AYADA_LANG", "en")], &["sync"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stdout).to_string()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("subscription has ended"), "{said}");

    // The owner's email brings the link.
    let link = (0..100)
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
        .expect("the termination email reached Resend");
    let form = client().get(&link).send().unwrap();
    assert_eq!(form.status(), 200);
    let csrf = cookie(&form, "ayada_csrf");
    let got = post(
        &link,
        &format!("ayada_csrf={csrf}"),
        &[
            ("csrf", &csrf),
            ("password", OWNER_PW),
            ("passphrase", PASSPHRASE),
            ("again", PASSPHRASE),
        ],
    );
    assert_eq!(got.status(), 200);
    let file = root.path().join("nour.ayada-export");
    std::fs::write(&file, got.bytes().unwrap()).unwrap();

    // A wrong passphrase opens nothing and leaves the folder empty.
    let opened = Machine::new(root.path(), "after-the-platform");
    let wrong = opened.run_with(
        None,
        &[("AYADA_EXPORT_PASSPHRASE", "not the passphrase")],
        &["export-open", "--file", file.to_str().unwrap()],
    );
    assert!(!wrong.status.success());
    assert!(!opened.data.join("clinic.db").exists());

    let done = json_of(
        &opened.run_with(
            None,
            &[("AYADA_EXPORT_PASSPHRASE", PASSPHRASE)],
            &["export-open", "--file", file.to_str().unwrap()],
        ),
        "export-open",
    );
    assert!(done["documents"].as_u64().unwrap() > 10, "{done}");
    // The owner signs in on the opened folder as before and exports the clinic.
    let out = root.path().join("csv");
    opened.ok(
        Some(("owner", OWNER_PW)),
        &["export", "--out", out.to_str().unwrap()],
    );
    let mut csv = String::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            csv += &std::fs::read_to_string(&path).unwrap();
        }
    }
    assert!(csv.contains(WITNESS), "the patient is in the CSV export");

    // From a machine of the clinic, the owner's server account gets the same export.
    let from_desk = root.path().join("from-desk.ayada-export");
    let download = |password: &str| {
        desk.run_with(
            None,
            &[
                ("AYADA_PASSWORD", password),
                ("AYADA_EXPORT_PASSPHRASE", PASSPHRASE),
                ("AYADA_LANG", "en"),
            ],
            &[
                "export-download",
                "--email",
                NOUR,
                "--out",
                from_desk.to_str().unwrap(),
            ],
        )
    };
    assert!(!download("not-the-password").status.success());
    assert!(!from_desk.exists(), "nothing is kept of a refused download");
    json_of(&download(OWNER_PW), "export-download");
    let again = Machine::new(root.path(), "second-open");
    let reopened = json_of(
        &again.run_with(
            None,
            &[("AYADA_EXPORT_PASSPHRASE", PASSPHRASE)],
            &["export-open", "--file", from_desk.to_str().unwrap()],
        ),
        "export-open",
    );
    assert_eq!(reopened["documents"], done["documents"]);
}
