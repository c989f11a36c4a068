//! The booking portal's benchmarks (issue #16), against the real server (the `ayada-server`
//! library serving over loopback HTTP in this process, its portal on, a fake WAHA in this
//! process too) and a real encrypted clinic of 30 demo days, enrolled and synced:
//!
//! 1. the clinic's page under 200 concurrent visitors: p50 / p99 (target p99 ≤ 100 ms);
//! 2. the pages' weights (target ≤ 30 KB compressed; these are uncompressed);
//! 3. a booking's time from the verified code to the request on the clinic's machine, which
//!    runs the desktop app's background loop (WebSocket notices): p50 / p99 (target ≤ 2 s).
//!
//!     cargo bench -p ayada-client --bench portal_bench
//!
//! AYADA_BENCH_VISITORS (200) and AYADA_BENCH_PAGES (10 per visitor) size the first part.
//! Prints one JSON object at the end.

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use ayada_core::demo::DemoOptions;
use ayada_core::{Clinic, InitOptions, KeySource};
use ayada_server::portal::waha::WahaConfig;
use ayada_server::portal::{Portal, PortalConfig};
use ayada_server::store::{ClinicRecord, SqliteStore, Store};
use serde_json::{json, Value};

const PW: &str = "owner-pass-1";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

/// The codes the fake WAHA was asked to send, newest last.
type Outbox = Arc<Mutex<Vec<String>>>;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A value of the first `name="…" value="…"` of a page.
fn field(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap();
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].replace("&amp;", "&")
}

/// Every slot link of a page.
fn slot_links(html: &str) -> Vec<String> {
    html.match_indices("href=\"/c/bench/book?doctor=")
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&")
        })
        .filter(|l| l.contains("&at="))
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // The fake WAHA: takes every message, keeps the codes.
    let codes: Outbox = Arc::default();
    let kept = codes.clone();
    let waha_listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let waha_url = format!("http://{}", waha_listener.local_addr().unwrap());
    let waha = axum::Router::new().route(
        "/api/sendText",
        post(move |body: axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                let text = body["text"].as_str().unwrap_or_default().to_string();
                if let Some(code) = text
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                {
                    kept.lock().unwrap().push(code.to_string());
                }
                (
                    axum::http::StatusCode::CREATED,
                    axum::Json(json!({"id": "true_x_1"})),
                )
            }
        }),
    );
    rt.spawn(async move { axum::serve(waha_listener, waha).await });

    // The server with its portal.
    let dir = root.join("server");
    let store = Arc::new(SqliteStore::open(&dir).unwrap());
    let tokens = Arc::new(ayada_server::auth::Tokens::load_or_create(&dir).unwrap());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut state = ayada_server::AppState::new(store.clone(), tokens);
    state.portal = Arc::new(Portal::new(
        PortalConfig {
            public_url: url.clone(),
            waha: Some(WahaConfig {
                base: waha_url,
                key: "k".into(),
                session: "default".into(),
            }),
            pace: Duration::ZERO,
            per_address_per_hour: 1_000_000,
            per_clinic_per_hour: 1_000_000,
            per_phone_per_day: 1_000_000,
            ..PortalConfig::default()
        },
        b"bench portal key, 32 bytes long!".to_vec(),
    ));
    {
        let _inside = rt.enter();
        state.start_portal();
    }
    let app = ayada_server::router(state);
    rt.spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    store
        .create_clinic(&ClinicRecord {
            id: uuid::Uuid::now_v7().to_string(),
            slug: "bench".into(),
            name: "bench".into(),
            owner_email: "owner@bench.example".into(),
            password_hash: ayada_server::hash_password(PW).unwrap(),
            data_clinic_id: None,
            time_zone: "Africa/Cairo".into(),
        })
        .unwrap();

    // The clinic's machine: 30 demo days (its portal on), enrolled, synced.
    let m = root.join("machine");
    let key = KeySource::KeyFile(m.join("k"));
    let (mut clinic, owner) = Clinic::init(
        &m.join("data"),
        &key,
        &InitOptions::in_egypt("عيادة الشفاء", "owner", "Dr. Hala", PW),
    )
    .unwrap();
    clinic
        .generate_demo(
            &owner,
            &DemoOptions {
                days: 30,
                staff_password: PW.into(),
                seed: 7,
            },
        )
        .unwrap();
    drop(clinic);
    ayada_client::enroll(&m.join("data"), &key, &url, "owner@bench.example", PW).unwrap();
    let mut clinic = Clinic::open(&m.join("data"), &key).unwrap();
    ayada_client::sync(&mut clinic, 1000, &mut |_, _| {}).unwrap();

    // 1. The clinic's page under concurrent visitors.
    let visitors = env_number("AYADA_BENCH_VISITORS", 200);
    let pages = env_number("AYADA_BENCH_PAGES", 10);
    let page_url = format!("{url}/c/bench");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(visitors)
        .build()
        .unwrap();
    drop(rt.block_on(http.get(&page_url).send()).unwrap());
    // Each visitor opens its connection (its first page, timed apart: the burst of 200 new
    // connections at once), then all read pages back to back, together.
    let barrier = Arc::new(tokio::sync::Barrier::new(visitors + 1));
    let (mut firsts, mut samples): (Vec<f64>, Vec<f64>) = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..visitors {
            let (http, page_url, barrier) = (http.clone(), page_url.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                let t = Instant::now();
                let _ = http
                    .get(&page_url)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let first = ms(t.elapsed());
                barrier.wait().await;
                let mut times = Vec::new();
                for _ in 0..pages {
                    let t = Instant::now();
                    let body = http
                        .get(&page_url)
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    assert!(body.contains("bench") || body.contains("الشفاء"));
                    times.push(ms(t.elapsed()));
                }
                (first, times)
            }));
        }
        barrier.wait().await;
        let (mut firsts, mut all) = (Vec::new(), Vec::new());
        for t in tasks {
            let (first, times) = t.await.unwrap();
            firsts.push(first);
            all.extend(times);
        }
        (firsts, all)
    });
    firsts.sort_by(|a, b| a.total_cmp(b));
    samples.sort_by(|a, b| a.total_cmp(b));
    eprintln!(
        "clinic page p50 {} ms p99 {} ms",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99)
    );
    let page = json!({
        "visitors": visitors,
        "requests": samples.len(),
        "p50_ms": percentile(&samples, 0.5),
        "p99_ms": percentile(&samples, 0.99),
        "max_ms": samples.last(),
        "first_page_p50_ms": percentile(&firsts, 0.5),
        "first_page_p99_ms": percentile(&firsts, 0.99),
    });

    // 2 and 3. Bookings, each timed from the verified code to the request on the machine.
    let clinic = Arc::new(Mutex::new(clinic));
    let (tx, rx) = channel();
    let sync_loop = ayada_client::sync_loop::spawn(clinic.clone(), move |state, round| {
        let _ = tx.send((state.live, round.is_some_and(|r| r.new > 0)));
    });
    while !rx.recv().unwrap().0 {}
    let desk = clinic.lock().unwrap().login("owner", PW).unwrap();
    let browser = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, cookie: &str| {
        browser
            .get(format!("{url}{path}"))
            .header("cookie", cookie)
            .send()
            .unwrap()
    };
    let post = |path: &str, cookie: &str, pairs: &[(&str, &str)]| {
        browser
            .post(format!("{url}{path}"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .unwrap()
    };
    let home = get("/c/bench", "").text().unwrap();
    let mut weights = serde_json::Map::new();
    weights.insert("clinic_page_bytes".into(), home.len().into());
    let mut booking_ms = Vec::new();
    let mut slots = Vec::new();
    for days in 2..10 {
        let doctor = {
            let at = home.find("doctor=").unwrap();
            home[at + 7..at + 43].to_string()
        };
        let date = jiff::Zoned::now()
            .date()
            .checked_add(jiff::Span::new().days(days))
            .unwrap();
        let day = get(&format!("/c/bench/book?doctor={doctor}&date={date}"), "")
            .text()
            .unwrap();
        weights.entry("day_page_bytes").or_insert(day.len().into());
        slots.extend(slot_links(&day));
        if slots.len() >= 20 {
            break;
        }
    }
    for (i, slot) in slots.iter().take(20).enumerate() {
        let response = get(slot, "");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let body = response.text().unwrap();
        weights
            .entry("form_page_bytes")
            .or_insert(body.len().into());
        let visit_type = {
            let at = body.find("<option value=\"").unwrap();
            body[at + 15..at + 51].to_string()
        };
        let at = slot
            .split("at=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string();
        let doctor = slot
            .split("doctor=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string();
        let phone = format!("0101{:07}", 1000 + i);
        let before = codes.lock().unwrap().len();
        let posted = post(
            "/c/bench/book",
            &cookie,
            &[
                ("csrf", &field(&body, "csrf")),
                ("doctor", &doctor),
                ("at", &at),
                ("visit_type", &visit_type),
                ("name", "زائر"),
                ("phone", &phone),
                ("gender", "female"),
                ("dob", "1990-01-01"),
            ],
        );
        assert_eq!(posted.status(), 303, "{}", posted.text().unwrap());
        let verify = posted.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let code = loop {
            let sent = codes.lock().unwrap();
            if sent.len() > before {
                break sent[sent.len() - 1].clone();
            }
            drop(sent);
            std::thread::sleep(Duration::from_millis(5));
        };
        let page = get(&verify, &cookie).text().unwrap();
        weights
            .entry("code_page_bytes")
            .or_insert(page.len().into());
        while rx.try_recv().is_ok() {}
        let requests_before = clinic
            .lock()
            .unwrap()
            .booking_requests(&desk)
            .unwrap()
            .len();
        let started = Instant::now();
        let done = post(
            &verify,
            &cookie,
            &[("csrf", &field(&page, "csrf")), ("code", &code)],
        );
        assert_eq!(done.status(), 303);
        loop {
            let (_, new) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
            if new
                && clinic
                    .lock()
                    .unwrap()
                    .booking_requests(&desk)
                    .unwrap()
                    .len()
                    > requests_before
            {
                break;
            }
        }
        booking_ms.push(ms(started.elapsed()));
        if i == 0 {
            let status = get(done.headers()["location"].to_str().unwrap(), &cookie)
                .text()
                .unwrap();
            weights.insert("status_page_bytes".into(), status.len().into());
        }
    }
    sync_loop.stop();
    booking_ms.sort_by(|a, b| a.total_cmp(b));
    eprintln!("verified → machine p50 {} ms", percentile(&booking_ms, 0.5));
    println!(
        "{}",
        json!({
            "clinic_page": page,
            "weights": Value::Object(weights),
            "verified_to_machine": {
                "bookings": booking_ms.len(),
                "p50_ms": percentile(&booking_ms, 0.5),
                "p99_ms": percentile(&booking_ms, 0.99),
                "max_ms": booking_ms.last(),
            }
        })
    );
}
