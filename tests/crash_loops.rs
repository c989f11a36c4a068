//! Crash loops: the server and `ayada-cli` killed with SIGKILL at pseudo-random moments of
//! their writes and syncs, fifty rounds over; after each, every database passes SQLite's (and
//! SQLCipher's) integrity checks and every change the server acknowledged is on it.
//! `AYADA_CRASH_ROUNDS` sets the number of rounds (docs/BENCHMARKS.md: the long run).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{token, Machine, Server};

const OWNER_PW: &str = "owner-pass-1";
const EMAIL: &str = "owner@crash.example";

/// Every change hash the server holds for the machine's clinic, page by page.
fn server_hashes(server: &Server, token: &str) -> HashSet<String> {
    let mut since = 0;
    let mut all = HashSet::new();
    loop {
        let page: serde_json::Value = reqwest::blocking::Client::new()
            .get(format!(
                "{}/v1/changes?since={since}&limit=1000",
                server.url
            ))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        for c in page["changes"].as_array().unwrap() {
            all.insert(c["hash"].as_str().unwrap().to_string());
        }
        since = page["next"].as_u64().unwrap();
        if !page["more"].as_bool().unwrap() {
            return all;
        }
    }
}

/// SQLite's integrity check on a plain database file of the server.
fn server_db_sound(path: &std::path::Path) {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let verdict: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok", "{}", path.display());
}

/// SQLite's and SQLCipher's integrity checks on a machine's encrypted clinic.
fn machine_db_sound(m: &Machine) {
    let db = m.raw_db();
    let verdict: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok", "{}", m.data.display());
    // cipher_integrity_check lists the pages whose HMAC fails: none.
    let bad: Vec<String> = db
        .prepare("PRAGMA cipher_integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn servers_and_machines_killed_mid_write_fifty_times_lose_nothing_acknowledged_and_stay_sound() {
    let rounds: u32 = common::env_number("AYADA_CRASH_ROUNDS", 50);
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("server");
    let mut server = Server::start(&data);
    let clinic = server.create_clinic("crash", EMAIL, OWNER_PW);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let a = common::enrolled_machine(root.path(), "desk", &server, EMAIL, OWNER_PW, 10);
    let b = Machine::new(root.path(), "exam");
    b.enroll(&server, EMAIL, OWNER_PW);

    // A fixed sequence of pseudo-random waits, so a failure can be run again as it was.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next_wait = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        Duration::from_millis(2 + seed % 80)
    };
    let mut interrupted = 0;
    for round in 0..rounds {
        a.ok(
            Some(("owner", OWNER_PW)),
            &[
                "patient",
                "add",
                "--name",
                &format!("مريض {round}"),
                "--phone",
                &format!("0101{round:07}"),
            ],
        );
        let (mut push, mut pull) = (common::spawn_sync(&a), common::spawn_sync(&b));
        std::thread::sleep(next_wait());
        if push.try_wait().unwrap().is_none() || pull.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        if round % 2 == 0 {
            server.child.kill().unwrap();
            server.child.wait().unwrap();
        } else {
            let _ = push.kill();
            let _ = pull.kill();
        }
        let _ = push.wait();
        let _ = pull.wait();
        if round % 2 == 0 {
            server = Server::restart_on(&data, &format!("127.0.0.1:{port}"));
        }
        server_db_sound(&data.join("platform.db"));
        server_db_sound(&data.join("clinics").join(format!("{clinic}.db")));
        machine_db_sound(&a);
        if b.data.join("clinic.db").exists() {
            machine_db_sound(&b);
        }
        // Everything the server acknowledged to A is on it.
        let acknowledged = a.open().sync_settings().unwrap().unwrap().pushed;
        let held = server_hashes(&server, &token(&server, &a));
        for change in a.open().changes_after(0, 1_000_000).unwrap() {
            assert!(
                change.seq > acknowledged || held.contains(&change.hash),
                "round {round}: acknowledged change {} is not on the server",
                change.seq
            );
        }
    }
    assert!(
        interrupted >= rounds / 2,
        "only {interrupted} of {rounds} kills landed while a sync was running"
    );
    // Left alone, they converge.
    common::converged(&a, &b);
    assert_eq!(
        a.open().projection_snapshot().unwrap(),
        b.open().projection_snapshot().unwrap()
    );
}
