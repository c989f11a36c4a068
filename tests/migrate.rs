//! Moving a deployment from its SQLite folder to PostgreSQL with `ayada-server migrate`:
//! the machines carry on against the new store on the same address with their credentials,
//! tokens and cursors, a new machine joins, and a second run moves nothing.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{bin, json_of, pg, Machine, Server};

const EMAIL: &str = "owner@nour.example";
const OWNER_PW: &str = "owner-pass-1";

fn migrate(from: &std::path::Path, db: &pg::TestDb) -> std::process::Output {
    Command::new(bin("ayada-server"))
        .arg("migrate")
        .arg("--from")
        .arg(from)
        .arg("--to")
        .arg(&db.url)
        .arg("--master-key-file")
        .arg(&db.key_file)
        .output()
        .unwrap()
}

#[test]
fn a_folder_moved_into_postgres_serves_its_machines_on_as_before() {
    if common::on_postgres() {
        eprintln!("SKIPPED: this test moves a SQLite folder; run it without AYADA_TEST_BACKEND");
        return;
    }
    let Some(db) = pg::fresh("migrate") else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("server");
    let server = Server::start(&data);
    server.create_clinic("nour", EMAIL, OWNER_PW);
    let a = common::enrolled_machine(root.path(), "desk", &server, EMAIL, OWNER_PW, 3);
    a.ok(None, &["sync"]);
    let pushed = a.open().sync_settings().unwrap().unwrap().pushed;
    let token_before = common::token(&server, &a);
    let addr = server.url.trim_start_matches("http://").to_string();
    drop(server);

    let out = migrate(&data, &db);
    let moved = json_of(&out, "migrate");
    assert_eq!(moved["clinics"], 1, "{moved}");
    // The machine's changes, and the server's own: the listing of the machine's LAN key it
    // wrote into the clinic's document at enrollment.
    assert_eq!(moved["changes"].as_i64().unwrap(), pushed + 1, "{moved}");

    // The new store on the old address: the machine goes on with what it holds.
    let moved_server = (0..50)
        .find_map(|_| {
            let child = Command::new(bin("ayada-server"))
                .args(["serve", "--listen", &addr, "--database", &db.url])
                .env("AYADA_MASTER_KEY", &db.master_hex)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let s = Server::attach(child, &data);
            if s.is_none() {
                std::thread::sleep(Duration::from_millis(200));
            }
            s
        })
        .expect("the PostgreSQL server did not start on the old address");
    // A token the SQLite server signed is still good: the key moved.
    let status = reqwest::blocking::Client::new()
        .get(format!("{}/v1/changes?since=0&limit=1", moved_server.url))
        .bearer_auth(&token_before)
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 200);
    a.ok(
        Some(("owner", OWNER_PW)),
        &[
            "patient",
            "add",
            "--name",
            "بعد النقل",
            "--phone",
            "01011112222",
        ],
    );
    a.ok(None, &["sync"]);
    let b = Machine::new(root.path(), "exam");
    b.enroll(&moved_server, EMAIL, OWNER_PW);
    b.ok(None, &["sync"]);
    common::converged(&a, &b);

    // Once moved, a second run refuses and changes nothing.
    let again = migrate(&data, &db);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    a.ok(None, &["sync"]);
}
