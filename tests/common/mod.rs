//! Helpers for the cross-process tests: the workspace's binaries, a real server on a
//! loopback port chosen by the OS, and machines driven through `ayada-cli`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

pub mod console;
pub mod live;
#[path = "../pg/mod.rs"]
pub mod pg;

/// Whether the tests' servers keep their data in PostgreSQL (AYADA_TEST_BACKEND=postgres:
/// the test command runs the sync tests once more that way) rather than in their folder.
pub fn on_postgres() -> bool {
    std::env::var("AYADA_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The PostgreSQL database of the server whose folder is `data`: one per folder, so a
/// server started again on its folder finds its data again. Kept to the end of the run.
pub fn database_for(data: &Path) -> Arc<pg::TestDb> {
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, Arc<pg::TestDb>>>> = OnceLock::new();
    let mut map = DATABASES.get_or_init(Default::default).lock().unwrap();
    map.entry(data.to_path_buf())
        .or_insert_with(|| {
            Arc::new(
                pg::fresh("server").expect("AYADA_TEST_BACKEND=postgres needs AYADA_TEST_POSTGRES"),
            )
        })
        .clone()
}

/// Where a server on `data` keeps its data, as `ayada-server` takes it.
pub fn store_args(data: &Path) -> Vec<OsString> {
    if on_postgres() {
        let db = database_for(data);
        vec![
            "--database".into(),
            db.url.clone().into(),
            "--master-key-file".into(),
            db.key_file.clone().into(),
        ]
    } else {
        vec!["--data".into(), data.into()]
    }
}

/// A binary of the workspace; `scripts/test.sh` runs `cargo build --workspace` first.
pub fn bin(name: &str) -> PathBuf {
    let mut path = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    path.push("target");
    path.push(if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    });
    path.push(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests",
        path.display()
    );
    path
}

/// A number from the environment (a long run's size, a seed to replay), or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A running `ayada-server`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Server::start_on(data, "127.0.0.1:0").expect("the server did not start")
    }

    /// Starts a server on `listen`; None if it could not (the address is still taken).
    pub fn start_on(data: &Path, listen: &str) -> Option<Server> {
        Server::spawn(data, listen, Stdio::null())
    }

    /// Starts a server on a port chosen by the OS, its log (JSON lines) written to `log`.
    pub fn start_logged(data: &Path, log: &Path) -> Server {
        let file = std::fs::File::create(log).unwrap();
        Server::spawn(data, "127.0.0.1:0", file.into()).expect("the server did not start")
    }

    /// Starts a server on a port chosen by the OS with these environment variables (the
    /// portal's WAHA, its limits).
    pub fn start_with_env(data: &Path, env: &[(&str, &str)]) -> Server {
        Server::spawn_with(data, "127.0.0.1:0", Stdio::null(), env)
            .expect("the server did not start")
    }

    /// Starts a server again on the address `url` of an earlier one (its machines know it),
    /// with these environment variables; tries for a while as the port is let go.
    pub fn again_on(data: &Path, url: &str, env: &[(&str, &str)]) -> Server {
        let listen = url.trim_start_matches("http://");
        (0..50)
            .find_map(|_| {
                let s = Server::spawn_with(data, listen, Stdio::null(), env);
                if s.is_none() {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                s
            })
            .expect("the server did not start again on its address")
    }

    fn spawn(data: &Path, listen: &str, log: Stdio) -> Option<Server> {
        Server::spawn_with(data, listen, log, &[])
    }

    fn spawn_with(data: &Path, listen: &str, log: Stdio, env: &[(&str, &str)]) -> Option<Server> {
        std::fs::create_dir_all(data).unwrap();
        let child = Command::new(bin("ayada-server"))
            .args(["serve", "--listen", listen])
            .args(store_args(data))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        Server::attach(child, data)
    }

    /// A started `ayada-server serve` process, once its first line says where it listens;
    /// None if it stopped instead. `data` is its folder as this process sees it.
    pub fn attach(mut child: Child, data: &Path) -> Option<Server> {
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let Ok(listening) = serde_json::from_str::<serde_json::Value>(&first) else {
            let _ = child.wait();
            return None;
        };
        let url = format!("http://{}", listening["listening"].as_str().unwrap());
        Some(Server {
            child,
            url,
            data: data.to_path_buf(),
        })
    }

    /// Starts a server again on `listen` once the old one has let the address go (a few
    /// seconds at most).
    pub fn restart_on(data: &Path, listen: &str) -> Server {
        (0..50)
            .find_map(|_| {
                let s = Server::start_on(data, listen);
                if s.is_none() {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                s
            })
            .expect("the server did not come back on its address")
    }

    /// `ayada-server clinic create`, returning the clinic's platform id.
    pub fn create_clinic(&self, slug: &str, email: &str, password: &str) -> String {
        let out = Command::new(bin("ayada-server"))
            .args([
                "clinic",
                "create",
                "--name",
                slug,
                "--slug",
                slug,
                "--owner-email",
                email,
            ])
            .args(store_args(&self.data))
            .env("AYADA_PASSWORD", password)
            .output()
            .unwrap();
        json_of(&out, "clinic create")["clinic_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Where this server keeps its data, as `ayada-server`'s commands take it.
    pub fn store_args(&self) -> Vec<OsString> {
        store_args(&self.data)
    }

    /// One of the server's secrets (its token key, the portal's key).
    pub fn secret(&self, name: &str) -> Vec<u8> {
        if !on_postgres() {
            return std::fs::read(self.data.join(name)).unwrap();
        }
        let rows = database_for(&self.data).sql(&format!(
            "SELECT encode(value, 'hex') FROM platform.secrets WHERE name = '{name}'"
        ));
        hex::decode(rows[0][0].as_deref().unwrap()).unwrap()
    }

    /// A server in `root/server` with these clinics (slug, owner's email), all with the owner
    /// password `password`.
    pub fn with_clinics(root: &Path, clinics: &[(&str, &str)], password: &str) -> Server {
        let server = Server::start(&root.join("server"));
        for (slug, email) in clinics {
            server.create_clinic(slug, email, password);
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One clinic machine: its own data folder and key file.
pub struct Machine {
    pub data: PathBuf,
    pub key: PathBuf,
}

impl Machine {
    pub fn new(root: &Path, name: &str) -> Machine {
        Machine {
            data: root.join(name).join("data"),
            key: root.join(name).join("clinic.key"),
        }
    }

    pub fn run(&self, user: Option<(&str, &str)>, args: &[&str]) -> Output {
        self.run_with(user, &[], args)
    }

    /// `run` with more environment variables (a backup passphrase, a language).
    pub fn run_with(
        &self,
        user: Option<(&str, &str)>,
        envs: &[(&str, &str)],
        args: &[&str],
    ) -> Output {
        let mut cmd = Command::new(bin("ayada-cli"));
        cmd.envs(envs.iter().copied());
        cmd.arg("--data")
            .arg(&self.data)
            .arg("--key-file")
            .arg(&self.key)
            .arg("--json");
        cmd.env_remove("AYADA_DB_PASSPHRASE")
            .env("LANG", "C")
            .env("AYADA_NEW_PASSWORD", "staff-pass-1");
        if let Some((login, pw)) = user {
            cmd.arg("--user").arg(login).env("AYADA_PASSWORD", pw);
        }
        cmd.args(args).output().unwrap()
    }

    pub fn ok(&self, user: Option<(&str, &str)>, args: &[&str]) -> serde_json::Value {
        json_of(&self.run(user, args), args)
    }

    /// `ok` for the commands that take the owner's password without a login (init, enroll).
    pub fn ok_with_password(&self, password: &str, args: &[&str]) -> serde_json::Value {
        json_of(
            &self.run_with(None, &[("AYADA_PASSWORD", password)], args),
            args,
        )
    }

    /// `ayada-cli enroll` into the server's clinic of `email` (an empty machine joins it).
    pub fn enroll(&self, server: &Server, email: &str, password: &str) -> serde_json::Value {
        self.ok_with_password(
            password,
            &["enroll", "--server", &server.url, "--email", email],
        )
    }

    /// The machine's encrypted database opened beside the app, with its key: for checks that
    /// read what the app's own calls would read one row at a time.
    pub fn raw_db(&self) -> rusqlite::Connection {
        let key = std::fs::read_to_string(&self.key).unwrap();
        let db = rusqlite::Connection::open(self.data.join("clinic.db")).unwrap();
        db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
            .unwrap();
        db
    }

    pub fn open(&self) -> ayada_core::Clinic {
        ayada_core::Clinic::open(
            &self.data,
            &ayada_core::KeySource::KeyFile(self.key.clone()),
        )
        .unwrap()
    }
}

/// A machine with a new clinic (owner "owner", `password`) and `days` of demo data,
/// enrolled into the server's clinic of `email` (it seeds it) but not synced yet.
pub fn enrolled_machine(
    root: &Path,
    name: &str,
    server: &Server,
    email: &str,
    password: &str,
    days: u32,
) -> Machine {
    let m = Machine::new(root, name);
    m.ok_with_password(
        password,
        &["init", "--clinic", name, "--owner-login", "owner"],
    );
    m.ok(
        Some(("owner", password)),
        &["demo", "--days", &days.to_string()],
    );
    let enrolled = m.ok_with_password(
        password,
        &["enroll", "--server", &server.url, "--email", email],
    );
    assert_eq!(enrolled["seeded"], true);
    m
}

/// `ayada-cli sync` of machine `m` in batches of 20, started, its output dropped.
pub fn spawn_sync(m: &Machine) -> Child {
    Command::new(bin("ayada-cli"))
        .arg("--data")
        .arg(&m.data)
        .arg("--key-file")
        .arg(&m.key)
        .args(["--json", "sync", "--batch", "20"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `sync` on machine `m` in batches of 20 and SIGKILLs `server` as soon as the first
/// batch is acknowledged, with more still to send; answers the machine's log position the
/// server acknowledged.
pub fn kill_server_mid_push(m: &Machine, server: &mut Server) -> i64 {
    let mut sync = spawn_sync(m);
    let started = std::time::Instant::now();
    while m.open().sync_settings().unwrap().unwrap().pushed == 0
        && sync.try_wait().unwrap().is_none()
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no batch was acknowledged"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let status = sync.wait().unwrap();
    let acknowledged = m.open().sync_settings().unwrap().unwrap().pushed;
    let head = m.open().log_head().unwrap();
    assert!(
        !status.success() && acknowledged > 0 && acknowledged < head,
        "not killed mid-push: {status:?} {acknowledged}/{head}"
    );
    acknowledged
}

/// A fresh access token for machine `m`, from its device credential.
pub fn token(server: &Server, m: &Machine) -> String {
    let credential = m.open().sync_settings().unwrap().unwrap().device_credential;
    let v: serde_json::Value = reqwest::blocking::Client::new()
        .post(format!("{}/v1/token", server.url))
        .json(&serde_json::json!({ "device_credential": credential }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// Syncs `a`, `b`, then `a` again, and checks they end with the same documents.
pub fn converged(a: &Machine, b: &Machine) {
    a.ok(None, &["sync"]);
    b.ok(None, &["sync"]);
    a.ok(None, &["sync"]);
    assert_eq!(
        a.open().document_heads().unwrap(),
        b.open().document_heads().unwrap()
    );
}

/// Bytes as the wire carries them in JSON.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What a command printed as JSON, after checking that it succeeded (its error output
/// shown, with `what` it was asked, when it did not).
pub fn json_of(out: &Output, what: impl std::fmt::Debug) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The reasons the server gave for each change of a push it refused.
pub fn refused_reasons(resp: &serde_json::Value) -> Vec<String> {
    resp["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect()
}

/// The owner's password in the tests' clinics (on the machine and on the server).
pub const OWNER_PW: &str = "owner-pass-1";
/// The owner's account of clinic "nour" on the server.
pub const NOUR: &str = "owner@nour.example";

/// A server holding clinic "nour", and its "front-desk" machine with `days` of demo data,
/// enrolled (it seeded the clinic) and, when `synced`, synced once.
pub fn front_desk_on_server(root: &Path, days: u32, synced: bool) -> (Server, Machine) {
    let server = Server::with_clinics(root, &[("nour", NOUR)], OWNER_PW);
    let m = enrolled_machine(root, "front-desk", &server, NOUR, OWNER_PW, days);
    if synced {
        m.ok(None, &["sync"]);
    }
    (server, m)
}

/// The password of the demo's staff accounts ("reception", "dr.sara").
pub const STAFF_PW: &str = "staff-pass-1";
/// The demo's receptionist, as `Machine::ok` takes a login.
pub const DESK: Option<(&str, &str)> = Some(("reception", STAFF_PW));

/// `enrolled_machine` with two days of demo data, synced once: the server holds its clinic.
pub fn seeded_machine(
    root: &Path,
    name: &str,
    server: &Server,
    email: &str,
    password: &str,
) -> Machine {
    let m = enrolled_machine(root, name, server, email, password, 2);
    m.ok(None, &["sync"]);
    m
}

/// Books the demo's Dr. Sara for `patient` at clinic-local `at`, as the receptionist.
pub fn book(m: &Machine, patient: &str, at: &str) -> String {
    m.ok(
        DESK,
        &[
            "book",
            "--patient",
            patient,
            "--doctor",
            "dr.sara",
            "--at",
            at,
        ],
    )["appointment_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Debian's libfaketime, which moves a process's clock from outside (the test command
/// installs faketime): the environment that starts a server `days` ahead of this one.
pub fn clock_ahead(days: u64) -> Vec<(&'static str, String)> {
    let out = Command::new("dpkg")
        .args(["-L", "libfaketime"])
        .output()
        .expect("dpkg");
    let lib = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.ends_with("libfaketimeMT.so.1"))
        .expect("libfaketime is installed (apt-get install faketime)")
        .to_string();
    vec![
        ("LD_PRELOAD", lib),
        ("FAKETIME", format!("+{days}d")),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1".into()),
    ]
}
