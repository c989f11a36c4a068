//! Sync benchmarks of issue #3, against the real server (the `ayada-server` library serving
//! over loopback HTTP in this process) and real encrypted clinics:
//!
//! 1. bootstrap of a generated clinic (AYADA_BENCH_DAYS, default 1825 = the five-year
//!    reference clinic) onto a new machine: the first (the server compacts every document)
//!    and a second one (compactions already stored);
//! 2. a write on machine A visible in machine B's projections through the server, both
//!    running the desktop app's background loop (WebSocket notices): p50 / p99;
//! 3. three machines, each with 600 changes made offline, reconnect: time until all three
//!    hold identical documents;
//! 4. 500 simulated machines (100 clinics × 5) pushing small batches at once: p50 / p99
//!    push latency, and every change counted back from the server's logs.
//!
//!     cargo bench -p ayada-client --bench sync_bench
//!
//! AYADA_BENCH_ONLY=bootstrap|latency|reconnect|machines runs one part. Prints one JSON
//! object at the end.

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ayada_core::demo::DemoOptions;
use ayada_core::patients::NewPatient;
use ayada_core::{Clinic, InitOptions, KeySource, Session};
use ayada_server::auth::{credential_hash, Tokens};
use ayada_server::store::{ClinicRecord, SqliteStore, Store};
use serde_json::{json, Value};

const PW: &str = "owner-pass-1";

struct Server {
    url: String,
    store: Arc<SqliteStore>,
    tokens: Arc<Tokens>,
    _rt: tokio::runtime::Runtime,
}

fn serve(dir: &std::path::Path) -> Server {
    let store = Arc::new(SqliteStore::open(dir).unwrap());
    let tokens = Arc::new(Tokens::load_or_create(dir).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = ayada_server::AppState::new(store.clone(), tokens.clone());
    rt.spawn(async move { axum::serve(listener, ayada_server::router(state)).await });
    Server {
        url,
        store,
        tokens,
        _rt: rt,
    }
}

fn server_clinic(server: &Server, slug: &str) -> (String, String) {
    let email = format!("owner@{slug}.example");
    let id = uuid::Uuid::now_v7().to_string();
    server
        .store
        .create_clinic(&ClinicRecord {
            id: id.clone(),
            slug: slug.into(),
            name: slug.into(),
            owner_email: email.clone(),
            password_hash: ayada_server::hash_password(PW).unwrap(),
            data_clinic_id: None,
            time_zone: "Africa/Cairo".into(),
        })
        .unwrap();
    (id, email)
}

fn new_clinic(dir: &std::path::Path, days: u32) -> (Clinic, Session) {
    let (mut clinic, owner) = Clinic::init(
        &dir.join("data"),
        &KeySource::KeyFile(dir.join("k")),
        &InitOptions::in_egypt("عيادة الشفاء", "owner", "Dr. Hala", PW),
    )
    .unwrap();
    if days > 0 {
        clinic
            .generate_demo(
                &owner,
                &DemoOptions {
                    days,
                    staff_password: PW.into(),
                    seed: 7,
                },
            )
            .unwrap();
    }
    (clinic, owner)
}

fn enroll(dir: &std::path::Path, server: &Server, email: &str) {
    ayada_client::enroll(
        &dir.join("data"),
        &KeySource::KeyFile(dir.join("k")),
        &server.url,
        email,
        PW,
    )
    .unwrap();
}

fn open(dir: &std::path::Path) -> Clinic {
    Clinic::open(&dir.join("data"), &KeySource::KeyFile(dir.join("k"))).unwrap()
}

fn sync(clinic: &mut Clinic) -> ayada_client::Round {
    ayada_client::sync(clinic, 1000, &mut |_, _| {}).unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

fn patient(i: usize, tag: &str) -> NewPatient {
    NewPatient {
        name: format!("Bench {tag} {i}"),
        phone: format!("0101{:07}", i),
        gender: None,
        dob: None,
        medical_history: String::new(),
        allergies: String::new(),
    }
}

fn bootstrap(root: &std::path::Path) -> Value {
    let days: u32 = std::env::var("AYADA_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(1825);
    // AYADA_BENCH_DIR keeps the generated clinic and the seeded server between runs (the
    // five-year generation alone takes minutes); the joining machines are always new.
    let reuse = root.join("a").join("data").exists();
    let server = serve(&root.join("server"));
    let email = "owner@boot.example".to_string();
    let a = root.join("a");
    let (generated, seed_time, changes) = if reuse {
        (Duration::ZERO, Duration::ZERO, 0)
    } else {
        server_clinic(&server, "boot");
        let started = Instant::now();
        let (clinic, _) = new_clinic(&a, days);
        let generated = started.elapsed();
        drop(clinic);
        eprintln!("generated {days} days in {generated:?}");
        enroll(&a, &server, &email);
        let started = Instant::now();
        let seeded = sync(&mut open(&a));
        eprintln!(
            "seeded the server with {} changes in {:?}",
            seeded.pushed,
            started.elapsed()
        );
        (generated, started.elapsed(), seeded.pushed)
    };
    let ca = open(&a);
    let records = ca.projection_snapshot().unwrap().len();
    let documents = ca.document_count().unwrap();
    for name in ["b", "c"] {
        let _ = std::fs::remove_dir_all(root.join(name));
    }
    let mut runs = Vec::new();
    for name in ["b", "c"] {
        let dir = root.join(name);
        enroll(&dir, &server, &email);
        let mut c = open(&dir);
        let started = Instant::now();
        let round = sync(&mut c);
        let took = started.elapsed();
        assert_eq!(round.bootstrapped, documents, "every document came whole");
        assert_eq!(
            c.projection_snapshot().unwrap().len(),
            records,
            "the new machine holds every record"
        );
        eprintln!("bootstrap {name}: {documents} documents in {took:?}");
        runs.push(json!({
            "seconds": took.as_secs_f64(),
            "documents_per_s": (documents as f64 / took.as_secs_f64()).round(),
            "records_per_s": (records as f64 / took.as_secs_f64()).round(),
        }));
    }
    json!({
        "days": days,
        "documents": documents,
        "records": records,
        "changes": changes,
        "generate_s": generated.as_secs_f64(),
        "seed_push_s": seed_time.as_secs_f64(),
        "first_bootstrap": runs[0],
        "second_bootstrap": runs[1],
    })
}

fn latency(root: &std::path::Path) -> Value {
    let server = serve(&root.join("server"));
    let (_, email) = server_clinic(&server, "live");
    let a = root.join("a");
    let (clinic, _) = new_clinic(&a, 30);
    drop(clinic);
    enroll(&a, &server, &email);
    sync(&mut open(&a));
    let b = root.join("b");
    enroll(&b, &server, &email);
    sync(&mut open(&b));

    let ca = Arc::new(Mutex::new(open(&a)));
    let cb = Arc::new(Mutex::new(open(&b)));
    let loop_a = ayada_client::sync_loop::spawn(ca.clone(), |_, _| {});
    let (tx, rx) = channel();
    let loop_b = ayada_client::sync_loop::spawn(cb.clone(), move |state, round| {
        let _ = tx.send((state.live, round.is_some_and(|r| r.new > 0)));
    });
    // Wait until B listens.
    while !rx.recv().unwrap().0 {}
    let owner_a = ca.lock().unwrap().login("owner", PW).unwrap();
    let owner_b = cb.lock().unwrap().login("owner", PW).unwrap();
    let mut samples = Vec::new();
    for i in 0..60 {
        while rx.try_recv().is_ok() {}
        let wanted = patient(i, "live");
        let started = Instant::now();
        ca.lock().unwrap().add_patient(&owner_a, &wanted).unwrap();
        loop_a.nudge(ayada_client::Nudge::Local);
        loop {
            let (_, new) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
            if new
                && cb
                    .lock()
                    .unwrap()
                    .search_patients(&owner_b, &wanted.phone, 5)
                    .unwrap()
                    .iter()
                    .any(|h| h.name == wanted.name)
            {
                break;
            }
        }
        samples.push(ms(started.elapsed()));
        std::thread::sleep(Duration::from_millis(50));
    }
    loop_a.stop();
    loop_b.stop();
    samples.sort_by(|x, y| x.total_cmp(y));
    eprintln!("A→B p50 {} ms", percentile(&samples, 0.5));
    json!({
        "writes": samples.len(),
        "p50_ms": percentile(&samples, 0.5),
        "p99_ms": percentile(&samples, 0.99),
        "max_ms": samples.last(),
    })
}

fn reconnect(root: &std::path::Path) -> Value {
    let server = serve(&root.join("server"));
    let (_, email) = server_clinic(&server, "offline");
    let dirs: Vec<_> = ["a", "b", "c"].iter().map(|n| root.join(n)).collect();
    let (clinic, _) = new_clinic(&dirs[0], 30);
    drop(clinic);
    enroll(&dirs[0], &server, &email);
    sync(&mut open(&dirs[0]));
    for d in &dirs[1..] {
        enroll(d, &server, &email);
        sync(&mut open(d));
    }
    // A day offline: 600 changes on each machine.
    let mut clinics: Vec<Clinic> = dirs.iter().map(|d| open(d)).collect();
    for (m, c) in clinics.iter_mut().enumerate() {
        let owner = c.login("owner", PW).unwrap();
        let before = c.log_head().unwrap();
        for i in 0..600 {
            c.add_patient(&owner, &patient(m * 1000 + i, &format!("m{m}")))
                .unwrap();
        }
        assert_eq!(c.log_head().unwrap() - before, 600);
    }
    let started = Instant::now();
    // Each machine syncs as it comes back; a second pass brings the later ones' changes to
    // the earlier ones.
    for c in clinics.iter_mut() {
        sync(c);
    }
    for c in clinics.iter_mut().take(2) {
        sync(c);
    }
    let took = started.elapsed();
    let heads: Vec<_> = clinics
        .iter()
        .map(|c| c.document_heads().unwrap())
        .collect();
    assert!(heads.windows(2).all(|w| w[0] == w[1]), "not converged");
    eprintln!("reconnect 3×600: {took:?}");
    json!({ "machines": 3, "changes_each": 600, "converged_s": took.as_secs_f64() })
}

/// Machines enrolled through a server (which lists their LAN keys), each answering on
/// loopback; the server is not used again.
fn lan_machines(root: &std::path::Path, names: &[&str], days: u32) -> Vec<Arc<Mutex<Clinic>>> {
    let server = serve(&root.join("server"));
    let (_, email) = server_clinic(&server, "lan");
    let dirs: Vec<_> = names.iter().map(|n| root.join(n)).collect();
    let (clinic, _) = new_clinic(&dirs[0], days);
    drop(clinic);
    for d in &dirs {
        enroll(d, &server, &email);
        sync(&mut open(d));
    }
    // The first machine hears of the later ones' keys.
    sync(&mut open(&dirs[0]));
    dirs.iter().map(|d| Arc::new(Mutex::new(open(d)))).collect()
}

/// A write's time to the other machine over the LAN: TLS 1.3 both ways and one round, as
/// the LAN loop runs it at once after a write (its mDNS discovery is not timed).
fn lan_latency(root: &std::path::Path) -> Value {
    let machines = lan_machines(root, &["a", "b"], 30);
    let (ca, cb) = (machines[0].clone(), machines[1].clone());
    let listener =
        ayada_client::lan::Listener::start(cb.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let owner_a = ca.lock().unwrap().login("owner", PW).unwrap();
    let owner_b = cb.lock().unwrap().login("owner", PW).unwrap();
    let mut samples = Vec::new();
    for i in 0..60 {
        let wanted = patient(i, "lan");
        let started = Instant::now();
        ca.lock().unwrap().add_patient(&owner_a, &wanted).unwrap();
        ayada_client::lan::sync_with(ca.clone(), listener.addr()).unwrap();
        let seen = cb
            .lock()
            .unwrap()
            .search_patients(&owner_b, &wanted.phone, 5)
            .unwrap()
            .iter()
            .any(|h| h.name == wanted.name);
        assert!(seen, "the write reached the other machine");
        samples.push(ms(started.elapsed()));
        std::thread::sleep(Duration::from_millis(50));
    }
    samples.sort_by(|x, y| x.total_cmp(y));
    eprintln!("A→B over the LAN p50 {} ms", percentile(&samples, 0.5));
    json!({
        "writes": samples.len(),
        "p50_ms": percentile(&samples, 0.5),
        "p99_ms": percentile(&samples, 0.99),
        "max_ms": samples.last(),
    })
}

/// Three machines back together after a day apart (600 changes each), over the LAN alone.
fn lan_reconnect(root: &std::path::Path) -> Value {
    let machines = lan_machines(root, &["a", "b", "c"], 30);
    for (m, c) in machines.iter().enumerate() {
        let mut c = c.lock().unwrap();
        let owner = c.login("owner", PW).unwrap();
        for i in 0..600 {
            c.add_patient(&owner, &patient(m * 1000 + i, &format!("m{m}")))
                .unwrap();
        }
    }
    let listeners: Vec<_> = machines
        .iter()
        .map(|c| {
            ayada_client::lan::Listener::start(c.clone(), "127.0.0.1:0".parse().unwrap()).unwrap()
        })
        .collect();
    let started = Instant::now();
    // Each round goes both ways: a and b, then b and c, then a and b again.
    for (from, to) in [(0, 1), (1, 2), (0, 1)] {
        ayada_client::lan::sync_with(machines[from].clone(), listeners[to].addr()).unwrap();
    }
    let took = started.elapsed();
    let heads: Vec<_> = machines
        .iter()
        .map(|c| c.lock().unwrap().document_heads().unwrap())
        .collect();
    assert!(heads.windows(2).all(|w| w[0] == w[1]), "not converged");
    eprintln!("reconnect 3×600 over the LAN: {took:?}");
    json!({ "machines": 3, "changes_each": 600, "converged_s": took.as_secs_f64() })
}

fn machines(root: &std::path::Path) -> Value {
    const CLINICS: usize = 100;
    const PER_CLINIC: usize = 5;
    const BATCHES: usize = 20;
    const CHANGES: usize = 10;
    let server = serve(&root.join("server"));
    let mut fleet = Vec::new();
    for c in 0..CLINICS {
        let (id, _) = server_clinic(&server, &format!("c{c}"));
        server.store.set_data_clinic(&id, &id).unwrap();
        for _ in 0..PER_CLINIC {
            let node = uuid::Uuid::now_v7().to_string();
            server
                .store
                .add_device(&id, &node, &credential_hash(&node))
                .unwrap();
            fleet.push((
                id.clone(),
                node.clone(),
                server
                    .tokens
                    .issue(&id, &node, &credential_hash(&node))
                    .unwrap(),
            ));
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = server.url.clone();
    let started = Instant::now();
    let latencies: Vec<f64> = rt.block_on(async move {
        let http = reqwest::Client::new();
        let mut tasks = Vec::new();
        for (_, node, token) in fleet {
            let (http, url) = (http.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let actor = automerge::ActorId::from(
                    uuid::Uuid::parse_str(&node).unwrap().as_bytes().as_slice(),
                );
                let mut doc = automerge::AutoCommit::new().with_actor(actor);
                let doc_id = format!("patient/{}", uuid::Uuid::now_v7());
                let mut mine = Vec::new();
                for b in 0..BATCHES {
                    let mut changes = Vec::new();
                    for i in 0..CHANGES {
                        use automerge::transaction::Transactable;
                        doc.put(automerge::ROOT, "n", (b * CHANGES + i) as i64)
                            .unwrap();
                        doc.commit();
                        let change = doc.get_last_local_change().unwrap().clone();
                        changes.push(json!({
                            "doc_id": doc_id,
                            "hash": hex::encode(change.hash().0),
                            "bytes": base64(change.raw_bytes()),
                        }));
                    }
                    let body = json!({ "version": 1, "changes": changes, "pending": 0 });
                    let t = Instant::now();
                    let resp = http
                        .post(format!("{url}/v1/changes"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert!(resp.status().is_success(), "{}", resp.status());
                    let answer: Value = resp.json().await.unwrap();
                    assert_eq!(answer["accepted"].as_array().unwrap().len(), CHANGES);
                    mine.push(ms(t.elapsed()));
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    let took = started.elapsed();
    let mut sorted = latencies;
    sorted.sort_by(|x, y| x.total_cmp(y));
    // Count every change back from the clinics' logs.
    let mut held = 0;
    for c in 0..CLINICS {
        let id = server
            .store
            .clinic_by_email(&format!("owner@c{c}.example"))
            .unwrap()
            .unwrap()
            .id;
        held += server.store.log_len(&id).unwrap();
    }
    let sent = (CLINICS * PER_CLINIC * BATCHES * CHANGES) as u64;
    assert_eq!(held, sent, "changes lost");
    eprintln!("500 machines: p50 {} ms", percentile(&sorted, 0.5));
    json!({
        "machines": CLINICS * PER_CLINIC,
        "clinics": CLINICS,
        "pushes": sorted.len(),
        "changes_sent": sent,
        "changes_held": held,
        "p50_ms": percentile(&sorted, 0.5),
        "p99_ms": percentile(&sorted, 0.99),
        "max_ms": sorted.last(),
        "wall_s": took.as_secs_f64(),
    })
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One measure of the bench: its folder in, its figures out.
type Part = fn(&std::path::Path) -> Value;

fn main() {
    let only = std::env::var("AYADA_BENCH_ONLY").unwrap_or_default();
    let tmp = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("AYADA_BENCH_DIR").map(std::path::PathBuf::from);
    let root = kept.as_deref().unwrap_or(tmp.path());
    let mut out = serde_json::Map::new();
    let parts: [(&str, Part); 6] = [
        ("latency", latency),
        ("lan_latency", lan_latency),
        ("reconnect", reconnect),
        ("lan_reconnect", lan_reconnect),
        ("machines", machines),
        ("bootstrap", bootstrap),
    ];
    for (name, part) in parts {
        if only.is_empty() || only == name {
            let dir = root.join(name);
            out.insert(name.into(), part(&dir));
        }
    }
    println!("{}", Value::Object(out));
}
