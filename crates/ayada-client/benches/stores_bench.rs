//! The server's stores side by side in one run (issue #18): `ayada-server` processes (the
//! release binary) on SQLite files, on PostgreSQL with one replica, and with two replicas
//! (machines spread over them in turn, as a load balancer without sticky routing would).
//!
//! 1. **burst**: 500 machines (100 clinics × 5) fire 20 pushes of 10 changes each at once:
//!    push p50 / p99, and every change counted back from the store;
//! 2. **capacity**: N machines each pushing 3 changes every 10 s (a busy front desk), spread
//!    evenly over the 10 s; each machine's first push warms up, the next 60 s are measured
//!    (AYADA_BENCH_RUN_S); N grows until the push p99 passes 200 ms. Reported: the largest N
//!    held, and each step's p50 / p99 and the servers' resident memory (peak).
//!
//! Run it:
//!
//! ```text
//! cargo build --release -p ayada-server
//! bash scripts/postgres.sh start /tmp/ayada-pg-bench   # prints the URL
//! AYADA_TEST_POSTGRES=<that URL> cargo bench -p ayada-client --bench stores_bench
//! ```
//!
//! AYADA_BENCH_STEPS (default "2000,4000,6000,8000") sets the capacity steps,
//! AYADA_BENCH_ONLY=sqlite|pg1|pg2 one store. The load generator shares the machine's cores
//! with the servers and PostgreSQL. Prints one JSON object at the end.

#[path = "../../../tests/pg/mod.rs"]
mod pg;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ayada_server::auth::{credential_hash, Tokens};
use ayada_server::store::{ClinicRecord, MasterKey, PgStore, SqliteStore, Store};
use serde_json::{json, Value};

/// Servers of one store, and the store opened here to set the fleet up and count back.
struct Target {
    urls: Vec<String>,
    children: Vec<Child>,
    store: Arc<dyn Store>,
    tokens: Tokens,
    _db: Option<pg::TestDb>,
    _dir: tempfile::TempDir,
}

impl Drop for Target {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn server_bin() -> std::path::PathBuf {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/ayada-server");
    assert!(
        path.exists(),
        "build it first: cargo build --release -p ayada-server"
    );
    path
}

fn spawn(store_args: &[String]) -> (Child, String) {
    let mut child = Command::new(server_bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "8192",
        ])
        .args(["--machine-rate", "1000", "--machine-burst", "1000"])
        .args(store_args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let v: Value = serde_json::from_str(&first).expect("the server did not start");
    (
        child,
        format!("http://{}", v["listening"].as_str().unwrap()),
    )
}

fn start(kind: &str) -> Target {
    let dir = tempfile::tempdir().unwrap();
    let (store, db, args): (Arc<dyn Store>, _, Vec<String>) = if kind == "sqlite" {
        let store = SqliteStore::open(dir.path()).unwrap();
        (
            Arc::new(store),
            None,
            vec!["--data".into(), dir.path().display().to_string()],
        )
    } else {
        let db = pg::fresh("bench").expect("set AYADA_TEST_POSTGRES (see the header)");
        let master = MasterKey::from_hex(&db.master_hex).unwrap();
        let store = PgStore::open(&db.url, &master).unwrap();
        let args = vec![
            "--database".into(),
            db.url.clone(),
            "--master-key-file".into(),
            db.key_file.display().to_string(),
        ];
        (Arc::new(store), Some(db), args)
    };
    let replicas = if kind == "pg2" { 2 } else { 1 };
    let (children, urls) = (0..replicas).map(|_| spawn(&args)).unzip();
    let tokens = Tokens::from_secret(&store.secret("jwt.secret").unwrap());
    Target {
        urls,
        children,
        store,
        tokens,
        _db: db,
        _dir: dir,
    }
}

/// Peak resident memory of the servers, MB.
fn peak_mb(t: &Target) -> Vec<u64> {
    t.children
        .iter()
        .map(|c| {
            let status =
                std::fs::read_to_string(format!("/proc/{}/status", c.id())).unwrap_or_default();
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .map_or(0, |kb| kb / 1024)
        })
        .collect()
}

/// `clinics` × `per_clinic` machines enrolled straight into the store: (clinic, node, token, url).
fn fleet(
    t: &Target,
    tag: &str,
    clinics: usize,
    per_clinic: usize,
) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for c in 0..clinics {
        let id = uuid::Uuid::now_v7().to_string();
        t.store
            .create_clinic(&ClinicRecord {
                id: id.clone(),
                slug: format!("{tag}-{c}"),
                name: format!("Clinic {c}"),
                owner_email: format!("owner@{tag}-{c}.example"),
                password_hash: "$argon2id$unused".into(),
                data_clinic_id: None,
                time_zone: "Africa/Cairo".into(),
            })
            .unwrap();
        t.store.set_data_clinic(&id, &id).unwrap();
        for _ in 0..per_clinic {
            let node = uuid::Uuid::now_v7().to_string();
            let hash = credential_hash(&node);
            t.store.add_device(&id, &node, &hash).unwrap();
            let token = t.tokens.issue(&id, &node, &hash).unwrap();
            let url = t.urls[out.len() % t.urls.len()].clone();
            out.push((id.clone(), node, token, url));
        }
    }
    out
}

/// A machine's document and its next pushes.
struct Writer {
    doc: automerge::AutoCommit,
    doc_id: String,
    n: i64,
}

impl Writer {
    fn new(node: &str) -> Writer {
        let actor =
            automerge::ActorId::from(uuid::Uuid::parse_str(node).unwrap().as_bytes().as_slice());
        Writer {
            doc: automerge::AutoCommit::new().with_actor(actor),
            doc_id: format!("patient/{}", uuid::Uuid::now_v7()),
            n: 0,
        }
    }

    fn batch(&mut self, size: usize) -> Value {
        use automerge::transaction::Transactable;
        use base64::Engine;
        let changes: Vec<Value> = (0..size)
            .map(|_| {
                self.n += 1;
                self.doc.put(automerge::ROOT, "n", self.n).unwrap();
                self.doc.commit();
                let c = self.doc.get_last_local_change().unwrap().clone();
                json!({
                    "doc_id": self.doc_id,
                    "hash": hex::encode(c.hash().0),
                    "bytes": base64::engine::general_purpose::STANDARD.encode(c.raw_bytes()),
                })
            })
            .collect();
        json!({ "version": 1, "changes": changes, "pending": 0 })
    }
}

/// One push as a machine makes it: answered "busy" (503) or "slow down" (429), it waits the
/// second the server asks and sends again; the time is until it is stored.
async fn push(http: &reqwest::Client, url: &str, token: &str, body: &Value) -> f64 {
    let t = Instant::now();
    for _ in 0..60 {
        let resp = http
            .post(format!("{url}/v1/changes"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        if status.is_success() {
            let _: Value = resp.json().await.unwrap();
            return t.elapsed().as_secs_f64() * 1000.0;
        }
        assert!(status == 503 || status == 429, "{status}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("a push was refused for a minute");
}

/// Every machine's push times, once all are done.
async fn gather(tasks: Vec<tokio::task::JoinHandle<Vec<f64>>>) -> Vec<f64> {
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(mut latencies: Vec<f64>) -> (f64, f64, f64) {
    latencies.sort_by(|x, y| x.total_cmp(y));
    (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        *latencies.last().unwrap(),
    )
}

fn burst(t: &Target, rt: &tokio::runtime::Runtime) -> Value {
    const BATCHES: usize = 20;
    const CHANGES: usize = 10;
    let machines = fleet(t, "burst", 100, 5);
    let started = Instant::now();
    let latencies = rt.block_on(async {
        let http = reqwest::Client::new();
        let tasks: Vec<_> = machines
            .iter()
            .map(|(_, node, token, url)| {
                let (http, node, token, url) =
                    (http.clone(), node.clone(), token.clone(), url.clone());
                tokio::spawn(async move {
                    let mut w = Writer::new(&node);
                    let mut mine = Vec::new();
                    for _ in 0..BATCHES {
                        let body = w.batch(CHANGES);
                        mine.push(push(&http, &url, &token, &body).await);
                    }
                    mine
                })
            })
            .collect();
        gather(tasks).await
    });
    let wall = started.elapsed().as_secs_f64();
    let mut clinics: Vec<&String> = machines.iter().map(|m| &m.0).collect();
    clinics.dedup();
    let held: u64 = clinics.iter().map(|c| t.store.log_len(c).unwrap()).sum();
    let sent = (machines.len() * BATCHES * CHANGES) as u64;
    let (p50, p99, max) = summary(latencies);
    eprintln!("  burst: p50 {p50:.1} ms, p99 {p99:.1} ms, {held}/{sent} held, {wall:.1} s");
    json!({ "p50_ms": p50, "p99_ms": p99, "max_ms": max, "sent": sent, "held": held, "lost": sent - held, "wall_s": wall })
}

fn capacity(t: &Target, rt: &tokio::runtime::Runtime, steps: &[usize]) -> Value {
    const EVERY: Duration = Duration::from_secs(10);
    // Each machine's first push (its first contact, its new document, the server's first
    // sight of its clinic) warms up and is not counted: "holds" is the steady state of a
    // front desk pushing all day. The next minute is measured, which includes each
    // machine's once-a-minute contact note.
    let run = EVERY
        + Duration::from_secs(
            std::env::var("AYADA_BENCH_RUN_S")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(60),
        );
    let mut results = Vec::new();
    let mut held = 0;
    for (i, &n) in steps.iter().enumerate() {
        let machines = fleet(t, &format!("cap{i}"), n.div_ceil(5), 5);
        eprintln!("  {n} machines enrolled; pushing for {} s", run.as_secs());
        let latencies = rt.block_on(async {
            // As the app's client: a connection idle 5 s is not reused (the server closes
            // it at 10 s, and a push sent that instant failed).
            let http = reqwest::Client::builder()
                .pool_idle_timeout(ayada_client::IDLE_REUSE)
                .build()
                .unwrap();
            let start = tokio::time::Instant::now();
            let tasks: Vec<_> = machines
                .iter()
                .take(n)
                .enumerate()
                .map(|(k, (_, node, token, url))| {
                    let (http, node, token, url) =
                        (http.clone(), node.clone(), token.clone(), url.clone());
                    // Spread evenly over the 10 s, as front desks are.
                    let offset = EVERY.mul_f64(k as f64 / n as f64);
                    tokio::spawn(async move {
                        let mut w = Writer::new(&node);
                        let mut mine = Vec::new();
                        let mut at = start + offset;
                        while at < start + run {
                            tokio::time::sleep_until(at).await;
                            let body = w.batch(3);
                            let took = push(&http, &url, &token, &body).await;
                            if at >= start + EVERY {
                                mine.push(took);
                            }
                            at += EVERY;
                        }
                        mine
                    })
                })
                .collect();
            gather(tasks).await
        });
        let pushes = latencies.len();
        let (p50, p99, max) = summary(latencies);
        let memory = peak_mb(t);
        eprintln!(
            "  {n} machines: p50 {p50:.1} ms, p99 {p99:.1} ms, servers' peak RSS {memory:?} MB"
        );
        results.push(json!({ "machines": n, "pushes": pushes, "p50_ms": p50, "p99_ms": p99, "max_ms": max, "peak_rss_mb": memory }));
        if p99 > 200.0 {
            break;
        }
        held = n;
    }
    json!({ "held_with_p99_under_200ms": held, "steps": results })
}

fn main() {
    let only = std::env::var("AYADA_BENCH_ONLY").unwrap_or_default();
    let steps: Vec<usize> = std::env::var("AYADA_BENCH_STEPS")
        .unwrap_or_else(|_| "2000,4000,6000,8000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = serde_json::Map::new();
    for kind in ["sqlite", "pg1", "pg2"] {
        if !only.is_empty() && only != kind {
            continue;
        }
        eprintln!("{kind}:");
        let target = start(kind);
        let b = burst(&target, &rt);
        let c = capacity(&target, &rt, &steps);
        out.insert(
            kind.into(),
            json!({ "burst": b, "capacity": c, "servers": target.urls.len() }),
        );
    }
    println!("{}", Value::Object(out));
}
