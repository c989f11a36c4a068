//! Every door of the server, tried by a stranger over real loopback HTTP: password guesses,
//! a flood of password checks, slow and idle connections, too many connections, two clinics
//! seeding one at once, revocation, HTTPS.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ayada_server::auth::Tokens;
use ayada_server::logins::{LoginGuard, LoginLimits};
use ayada_server::serving::{serve, ServeOptions};
use ayada_server::store::{ClinicRecord, SqliteStore, Store};
use ayada_server::{router, AppState};
use serde_json::{json, Value};

const EMAIL: &str = "owner@nour.example";
const PASSWORD: &str = "owner-pass-1";

struct Live {
    url: String,
    addr: std::net::SocketAddr,
    store: Arc<SqliteStore>,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn live(options: ServeOptions, configure: impl FnOnce(&mut AppState<SqliteStore>)) -> Live {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    store
        .create_clinic(&ClinicRecord {
            id: uuid::Uuid::now_v7().to_string(),
            slug: "nour".into(),
            name: "Al-Nour".into(),
            owner_email: EMAIL.into(),
            password_hash: ayada_server::hash_password(PASSWORD).unwrap(),
            data_clinic_id: None,
            time_zone: "Africa/Cairo".into(),
        })
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    rt.spawn(serve(
        listener,
        router(state),
        options,
        std::future::pending(),
    ));
    Live {
        url: format!("{scheme}://{addr}"),
        addr,
        store,
        _rt: rt,
        _dir: dir,
    }
}

fn enroll_body(password: &str, local: Option<&str>) -> Value {
    json!({ "email": EMAIL, "password": password, "node_id": uuid::Uuid::now_v7().to_string(), "local_clinic_id": local })
}

fn post(url: &str, path: &str, body: &Value) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new()
        .post(format!("{url}{path}"))
        .json(body)
        .send()
        .unwrap()
}

#[test]
fn wrong_passwords_lock_the_account_with_429_and_retry_after_even_for_the_right_one() {
    let server = live(ServeOptions::default(), |s| {
        s.logins = Arc::new(LoginGuard::new(LoginLimits {
            fails_per_email: 3,
            ..LoginLimits::default()
        }))
    });
    for _ in 0..3 {
        let r = post(&server.url, "/v1/enroll", &enroll_body("guess", Some("x")));
        assert_eq!(r.status(), 401);
    }
    let locked = post(&server.url, "/v1/enroll", &enroll_body(PASSWORD, Some("x")));
    assert_eq!(locked.status(), 429);
    let wait: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    let said: Value = locked.json().unwrap();
    assert_eq!(said["code"], "too-many-guesses");
    assert!(said["error"].as_str().unwrap().contains("minutes"));
    // The revoke door counts the same guesses.
    let revoke = post(
        &server.url,
        "/v1/machines/revoke",
        &json!({ "email": EMAIL, "password": PASSWORD, "node_id": "x" }),
    );
    assert_eq!(revoke.status(), 429);
}

#[test]
fn a_flood_of_password_checks_is_refused_fast_beyond_the_bound_not_queued() {
    let server = live(ServeOptions::default(), |s| {
        s.logins = Arc::new(LoginGuard::new(LoginLimits {
            fails_per_email: 1000,
            fails_per_address: 1000,
            concurrent_hashes: 1,
            ..LoginLimits::default()
        }))
    });
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..24)
            .map(|_| {
                s.spawn(|| {
                    post(&server.url, "/v1/enroll", &enroll_body("wrong", Some("x")))
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let busy = statuses.iter().filter(|s| **s == 503).count();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(busy + checked, 24, "{statuses:?}");
    assert!(
        busy > 0 && checked > 0,
        "some are checked, the excess refused: {statuses:?}"
    );
    // Queued one after another, 24 debug-build Argon2 hashes would take far longer.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn two_clinics_seeding_one_server_clinic_at_once_never_merge() {
    let server = live(ServeOptions::default(), |_| {});
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = ["clinic-one", "clinic-two"]
            .into_iter()
            .map(|local| {
                let url = server.url.clone();
                s.spawn(move || {
                    let r = post(&url, "/v1/enroll", &enroll_body(PASSWORD, Some(local)));
                    (r.status().as_u16(), r.json().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
    let lost: Vec<_> = answers.iter().filter(|(s, _)| *s == 409).collect();
    assert_eq!((won.len(), lost.len()), (1, 1), "{answers:?}");
    assert_eq!(won[0].1["seeded"], true);
    let clinic = server.store.clinic_by_email(EMAIL).unwrap().unwrap();
    assert_eq!(
        clinic.data_clinic_id.as_deref(),
        won[0].1["clinic_id"].as_str()
    );
}

/// Reads until the server closes the connection; how long it took.
fn closed_within(mut stream: TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) if started.elapsed() < limit => return started.elapsed(),
            Ok(0) | Err(_) => panic!("the connection was still open after {limit:?}"),
            Ok(_) => continue,
        }
    }
}

#[test]
fn slow_headers_idle_connections_and_one_connection_too_many_are_closed() {
    let options = ServeOptions {
        max_connections: 3,
        header_timeout: Duration::from_secs(1),
        tls: None,
    };
    let server = live(options, |_| {});
    // Headers sent a byte at a time, never finished.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // A connection that says nothing at all.
    let idle = TcpStream::connect(server.addr).unwrap();
    // A third sends one whole request, reads its answer and then idles, kept alive.
    let mut third = TcpStream::connect(server.addr).unwrap();
    third
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    let n = third.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // A fourth over the cap of three is closed at once.
    std::thread::sleep(Duration::from_millis(200));
    let fourth = TcpStream::connect(server.addr).unwrap();
    assert!(closed_within(fourth, Duration::from_millis(900)) < Duration::from_millis(900));
    assert!(closed_within(slow, Duration::from_secs(5)) >= Duration::from_millis(500));
    closed_within(idle, Duration::from_secs(5));
    closed_within(third, Duration::from_secs(5));
    // With those gone, the server answers again.
    let health = reqwest::blocking::get(format!("{}/v1/health", server.url)).unwrap();
    assert_eq!(health.status(), 200);
}

#[test]
fn a_revoked_machine_loses_its_socket_at_once_and_its_old_token_stays_dead_when_it_enrolls_again() {
    let server = live(ServeOptions::default(), |_| {});
    let node = uuid::Uuid::now_v7().to_string();
    let enroll = |node: &str| -> Value {
        let r = post(
            &server.url,
            "/v1/enroll",
            &json!({ "email": EMAIL, "password": PASSWORD, "node_id": node, "local_clinic_id": "c" }),
        );
        assert_eq!(r.status(), 200);
        r.json().unwrap()
    };
    let token_of = |credential: &Value| -> String {
        post(
            &server.url,
            "/v1/token",
            &json!({ "device_credential": credential }),
        )
        .json::<Value>()
        .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = enroll(&node);
    let old_token = token_of(&first["device_credential"]);

    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/v1/events",
        server.addr
    ))
    .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {old_token}").parse().unwrap(),
    );
    let (mut socket, _) = tungstenite::connect(request).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = socket.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }

    let revoked = post(
        &server.url,
        "/v1/machines/revoke",
        &json!({ "email": EMAIL, "password": PASSWORD, "node_id": node }),
    );
    assert_eq!(revoked.status(), 200);
    let started = Instant::now();
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "closed after {:?}",
        started.elapsed()
    );

    // The same node id enrolls again: its new token works, the old one never again.
    let again = enroll(&node);
    let new_token = token_of(&again["device_credential"]);
    let status = |token: &str| {
        reqwest::blocking::Client::new()
            .get(format!("{}/v1/status", server.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status(&new_token), 200);
    assert_eq!(status(&old_token), 401);
}

#[test]
fn the_server_speaks_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let server = live(
        ServeOptions {
            tls: Some((cert_path, key_path)),
            ..ServeOptions::default()
        },
        |_| {},
    );
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/v1/health", server.addr.port());
    let health: Value = client.get(&url).send().unwrap().json().unwrap();
    assert_eq!(health["status"], "ok");
    // Plain HTTP to the HTTPS port gets no answer.
    assert!(
        reqwest::blocking::get(format!("http://{}/v1/health", server.addr))
            .map(|r| !r.status().is_success())
            .unwrap_or(true)
    );
}

/// Enrolls a machine into the test clinic (seeding it) and gives its access token.
fn enrolled_token(server: &Live) -> String {
    let enrolled: Value = post(&server.url, "/v1/enroll", &enroll_body(PASSWORD, Some("c")))
        .json()
        .unwrap();
    let token: Value = post(
        &server.url,
        "/v1/token",
        &json!({ "device_credential": enrolled["device_credential"] }),
    )
    .json()
    .unwrap();
    token["token"].as_str().unwrap().to_string()
}

#[test]
fn a_clinic_over_its_quota_is_refused_with_the_figure_and_random_bytes_are_no_photo() {
    let server = live(ServeOptions::default(), |s| s.quota_bytes = 64 * 1024);
    let token = enrolled_token(&server);
    let http = reqwest::blocking::Client::new();
    // Random bytes behind a JPEG header are not stored as a photo.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let name = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&fake))
    };
    let refused = http
        .put(format!("{}/v1/blobs/{name}", server.url))
        .bearer_auth(&token)
        .body(fake)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().unwrap().contains("does not decode"));
    // A batch that would pass the clinic's 64 KiB is refused whole, with the figure.
    let big: Vec<Value> = (0..4)
        .map(|i| json!({ "doc_id": format!("cashbook/2001-01-0{}", i + 1), "hash": "00".repeat(32), "bytes": base64_of(&vec![i as u8; 30_000]) }))
        .collect();
    let full = http
        .post(format!("{}/v1/changes", server.url))
        .bearer_auth(&token)
        .json(&json!({ "version": 1, "changes": big }))
        .send()
        .unwrap();
    assert_eq!(full.status(), 507);
    let said: Value = full.json().unwrap();
    assert_eq!(said["code"], "quota", "{said}");
    assert!(said["error"]
        .as_str()
        .unwrap()
        .contains("storage on the server is full"));
    // The machines list shows how much of its quota the clinic uses.
    let status: Value = http
        .get(format!("{}/v1/status", server.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["storage"]["quota_bytes"], 64 * 1024);
    assert!(status["storage"]["used_bytes"].as_u64().unwrap() > 0);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(unix)]
#[test]
fn the_server_s_folders_and_files_are_its_user_s_alone() {
    use std::os::unix::fs::PermissionsExt;
    let server = live(ServeOptions::default(), |_| {});
    enrolled_token(&server);
    let root = server._dir.path();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(root), 0o700);
    assert_eq!(mode(&root.join("clinics")), 0o700);
    let mut files = 0;
    for dir in [root.to_path_buf(), root.join("clinics")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(
        files >= 3,
        "platform.db, its -wal and a clinic's database at least"
    );
}
