//! The server trusts no enrolled machine: a change that does not fit the document it is filed
//! under is refused on its own, with its reason, and the clinic keeps bootstrapping and
//! syncing; a clinic an older server let wedge recovers with `ayada-server check`.

mod common;

use std::process::Command;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Change, ROOT};
use common::{base64, bin, token, Machine, Server};
use serde_json::{json, Value};

const OWNER_PW: &str = "owner-pass-1";
const EMAIL: &str = "owner@nour.example";

/// A change by `actor` made after `after`, setting `key`.
fn change_by(actor: &[u8], key: &str, after: &[Change]) -> Change {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
    doc.apply_changes(after.iter().cloned()).unwrap();
    doc.put(ROOT, key, "x").unwrap();
    doc.commit();
    doc.get_last_local_change().unwrap()
}

fn wire(doc_id: &str, c: &Change) -> Value {
    json!({ "doc_id": doc_id, "hash": c.hash().to_string(), "bytes": base64(c.raw_bytes()) })
}

fn push(server: &Server, token: &str, changes: Vec<Value>) -> Value {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/v1/changes", server.url))
        .bearer_auth(token)
        .json(&json!({ "version": 1, "changes": changes }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().unwrap()
}

fn bootstrap_status(server: &Server, token: &str) -> u16 {
    reqwest::blocking::Client::new()
        .get(format!("{}/v1/bootstrap", server.url))
        .bearer_auth(token)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// A new machine joins the clinic of `a` (so its bootstrap works), a patient added on `a`
/// reaches it, and both end with the same documents.
fn a_new_machine_joins_and_new_work_reaches_it(
    root: &std::path::Path,
    server: &Server,
    a: &Machine,
) {
    let b = Machine::new(root, "exam");
    b.enroll(server, EMAIL, OWNER_PW);
    b.ok(None, &["sync"]);
    a.ok(
        Some(("owner", OWNER_PW)),
        &["patient", "add", "--name", "سلمى", "--phone", "01098765432"],
    );
    common::converged(a, &b);
}

/// `ayada-server check` on the server's folder; what it printed.
fn check(server: &Server) -> Value {
    let out = Command::new(bin("ayada-server"))
        .arg("check")
        .args(server.store_args())
        .output()
        .unwrap();
    common::json_of(&out, "check")
}

#[test]
fn changes_that_do_not_fit_their_documents_are_refused_one_by_one_and_the_clinic_keeps_syncing() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::with_clinics(root.path(), &[("nour", EMAIL)], OWNER_PW);
    let a = common::enrolled_machine(root.path(), "desk", &server, EMAIL, OWNER_PW, 2);
    a.ok(None, &["sync"]);
    let t = token(&server, &a);

    let doc = "cashbook/2001-01-01";
    let first = change_by(b"\x01\x02\x03\x04", "a", &[]);
    // The same actor's first change again, with other contents: two changes in one place.
    let same_place = change_by(b"\x01\x02\x03\x04", "b", &[]);
    // A change that leans on one the server never received.
    let never_sent = change_by(b"\x05\x06", "z", &[]);
    let leaning = change_by(b"\x07\x08", "c", std::slice::from_ref(&never_sent));
    // An actor's second change without its first.
    let second = {
        let one = change_by(b"\x09\x0a", "d", &[]);
        change_by(b"\x09\x0a", "e", &[one])
    };
    // A change the clinic holds, filed again under another document.
    let held = a.open().changes_after(0, 1).unwrap().remove(0);
    let resp = push(
        &server,
        &t,
        vec![
            wire(doc, &first),
            wire(doc, &same_place),
            wire(doc, &leaning),
            wire(doc, &second),
            json!({ "doc_id": "cashbook/2001-01-02", "hash": held.hash, "bytes": base64(&held.bytes) }),
        ],
    );
    assert_eq!(
        resp["accepted"],
        json!([first.hash().to_string()]),
        "{resp}"
    );
    let reasons = common::refused_reasons(&resp);
    for said in [
        "already holds its place",
        "depends on change",
        "skips changes",
        "already filed under another document",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(said)),
            "{said}: {reasons:?}"
        );
    }

    // The clinic still bootstraps, and machines keep exchanging new work.
    assert_eq!(bootstrap_status(&server, &t), 200);
    a_new_machine_joins_and_new_work_reaches_it(root.path(), &server, &a);
}

#[test]
fn a_clinic_an_older_server_let_wedge_recovers_with_ayada_server_check() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(&root.path().join("server"));
    let clinic = server.create_clinic("nour", EMAIL, OWNER_PW);
    let a = common::enrolled_machine(root.path(), "desk", &server, EMAIL, OWNER_PW, 2);
    a.ok(None, &["sync"]);
    let t = token(&server, &a);

    // What an older server stored without looking, in clear (it sealed nothing): two
    // changes in one actor's first place of one document, and a change whose predecessor
    // it never had. Its store carries no mark of being sealed.
    let doc = "cashbook/2001-01-01";
    let never_sent = change_by(b"\x05\x06", "z", &[]);
    let wedging = [
        change_by(b"\x01\x02\x03\x04", "a", &[]),
        change_by(b"\x01\x02\x03\x04", "b", &[]),
        change_by(b"\x07\x08", "c", &[never_sent]),
    ];
    if common::on_postgres() {
        // The same rows written straight into the clinic's schema.
        let db = common::database_for(&server.data);
        let schema = format!("c_{}", clinic.replace('-', ""));
        for c in &wedging {
            db.sql(&format!(
                "INSERT INTO {schema}.changes (doc_id, hash, bytes, node, received_at, actor, actor_seq)
                 VALUES ('{doc}', '{}', decode('{}', 'hex'), 'old', 0, '{}', {})",
                c.hash(),
                hex::encode(c.raw_bytes()),
                c.actor_id().to_hex_string(),
                c.seq()
            ));
        }
        db.sql(&format!(
            "DELETE FROM platform.sealed_clinics WHERE clinic_id = '{clinic}'"
        ));
    } else {
        let db =
            rusqlite::Connection::open(server.data.join("clinics").join(format!("{clinic}.db")))
                .unwrap();
        for c in &wedging {
            db.execute(
                "INSERT INTO changes (doc_id, hash, bytes, node, received_at) VALUES (?1, ?2, ?3, 'old', 0)",
                rusqlite::params![doc, c.hash().to_string(), c.raw_bytes()],
            )
            .unwrap();
        }
        db.execute_batch("PRAGMA user_version = 0").unwrap();
    }
    assert_eq!(bootstrap_status(&server, &t), 500, "the wedge is real");

    let report = check(&server);
    assert_eq!(report["clinics"][0]["quarantined"], 2, "{report}");
    // Run again: nothing more to do.
    assert_eq!(check(&server)["clinics"][0]["quarantined"], 0);

    assert_eq!(bootstrap_status(&server, &t), 200);
    a_new_machine_joins_and_new_work_reaches_it(root.path(), &server, &a);
}

/// The clinic's SQLCipher file of machine `m`, opened with its key as someone holding the key
/// file could.
fn raw_clinic_db(m: &Machine) -> rusqlite::Connection {
    let key = std::fs::read_to_string(&m.key).unwrap();
    let db = rusqlite::Connection::open(m.data.join("clinic.db")).unwrap();
    db.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim()))
        .unwrap();
    db
}

/// The audit chain's row hash, as ayada-core computes it (length-prefixed fields).
fn row_hash(prev: &str, fields: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in std::iter::once(prev).chain(fields.iter().map(String::as_str)) {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

#[test]
fn a_rewritten_audit_past_is_caught_by_the_heads_the_server_kept() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::with_clinics(root.path(), &[("nour", EMAIL)], OWNER_PW);
    let a = common::enrolled_machine(root.path(), "desk", &server, EMAIL, OWNER_PW, 2);
    a.ok(None, &["sync"]);
    let owner = Some(("owner", OWNER_PW));
    let fine = a.ok(owner, &["audit", "verify"]);
    assert_eq!(fine["server_asked"], true, "{fine}");
    assert!(fine["server_heads"].as_u64().unwrap() >= 1, "{fine}");

    // Someone with the key removes the append-only triggers: verify says so.
    let db = raw_clinic_db(&a);
    db.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .unwrap();
    let out = a.run(owner, &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("protection has been removed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // ...then rewrites the first entry and recomputes the whole chain, triggers put back: the
    // chain alone holds, the heads the server kept do not.
    db.execute(
        "UPDATE audit SET subject = 'nothing happened' WHERE seq = (SELECT MIN(seq) FROM audit)",
        [],
    )
    .unwrap();
    let rows: Vec<(i64, Vec<String>)> = db
        .prepare("SELECT seq, at, node, actor, action, subject, outcome FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                vec![
                    r.get::<_, i64>(1)?.to_string(),
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ],
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut prev = "genesis".to_string();
    for (seq, fields) in rows {
        let hash = row_hash(&prev, &fields);
        db.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
    db.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'audit_head'",
        [&prev],
    )
    .unwrap();
    db.execute_batch(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )
    .unwrap();
    drop(db);
    let out = a.run(owner, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the rewrite went unnoticed");
    assert!(said.contains("altered at entry"), "{said}");
}

#[test]
fn refused_logins_and_tokens_are_logged_with_who_and_where_and_never_the_secret() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("server.log");
    let server = Server::start_logged(&root.path().join("server"), &log);
    server.create_clinic("nour", EMAIL, OWNER_PW);
    let guess = "a-guessed-password-77";
    let refused = reqwest::blocking::Client::new()
        .post(format!("{}/v1/enroll", server.url))
        .json(&json!({ "email": EMAIL, "password": guess, "node_id": "0190a1b2-0000-7000-8000-000000000001", "local_clinic_id": "x" }))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let credential = "f".repeat(64);
    let token = reqwest::blocking::Client::new()
        .post(format!("{}/v1/token", server.url))
        .json(&json!({ "device_credential": credential }))
        .send()
        .unwrap();
    assert_eq!(token.status(), 401);
    drop(server);
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let login = lines
        .iter()
        .find(|l| l["fields"]["message"] == "owner login refused")
        .expect("the refused login is logged");
    assert_eq!(login["fields"]["email"], EMAIL);
    assert_eq!(login["fields"]["addr"], "127.0.0.1");
    assert_eq!(login["fields"]["door"], "enroll");
    assert!(
        login["fields"]["clinic"].as_str().unwrap().len() > 8,
        "{login}"
    );
    let refresh = lines
        .iter()
        .find(|l| l["fields"]["message"] == "token refused")
        .expect("the refused token is logged");
    assert_eq!(refresh["fields"]["addr"], "127.0.0.1");
    let everything = std::fs::read_to_string(&log).unwrap();
    assert!(!everything.contains(guess) && !everything.contains(&credential));
}
