//! Two `ayada-server` replicas on one PostgreSQL, with no sticky routing: a machine on
//! replica 1 and a machine on replica 2 see each other's writes live (the WebSocket notice
//! crosses replicas through LISTEN/NOTIFY), a machine revoked through one replica is cut
//! off by the other at once, and a replica killed with SIGKILL in the middle of a push loses
//! nothing it acknowledged while the other keeps serving.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::live::Live;
use common::{bin, json_of, pg, token, Machine, Server};

const EMAIL: &str = "owner@nour.example";
const OWNER_PW: &str = "owner-pass-1";
/// The `application_name` of each replica's news listener (`store::NEWS_APPLICATION`).
const NEWS: &str = "ayada-replica-news";

/// A replica serving `url` on a port of its own.
fn replica(root: &Path, name: &str, db: &pg::TestDb) -> Server {
    let child = Command::new(bin("ayada-server"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("AYADA_DATABASE", &db.url)
        .env("AYADA_MASTER_KEY", &db.master_hex)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server::attach(child, &root.join(name)).expect("the replica did not start")
}

/// Two replicas on a fresh database holding one clinic.
struct Pair {
    db: pg::TestDb,
    root: tempfile::TempDir,
    one: Server,
    two: Server,
}

/// None when no PostgreSQL is given (the test then proves nothing and says so).
fn pair(tag: &str) -> Option<Pair> {
    let db = pg::fresh(tag)?;
    let root = tempfile::tempdir().unwrap();
    let one = replica(root.path(), "one", &db);
    let two = replica(root.path(), "two", &db);
    create_clinic(&db);
    Some(Pair { db, root, one, two })
}

fn create_clinic(db: &pg::TestDb) {
    let out = Command::new(bin("ayada-server"))
        .args(["clinic", "create", "--name", "Al-Nour", "--slug", "nour"])
        .args(["--owner-email", EMAIL])
        .env("AYADA_DATABASE", &db.url)
        .env("AYADA_MASTER_KEY", &db.master_hex)
        .env("AYADA_PASSWORD", OWNER_PW)
        .output()
        .unwrap();
    json_of(&out, "clinic create");
}

/// Every change hash a server serves the machine `m`'s clinic.
fn held(server: &Server, m: &Machine) -> HashSet<String> {
    let v: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/v1/changes?since=0&limit=1000", server.url))
        .bearer_auth(token(server, m))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["hash"].as_str().unwrap().to_string())
        .collect()
}

/// The machine a token speaks for.
fn node_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sub"].as_str().unwrap().to_string()
}

/// What a server answers `token` at `/v1/status`.
fn status_with(server: &Server, token: &str) -> reqwest::StatusCode {
    reqwest::blocking::Client::new()
        .get(format!("{}/v1/status", server.url))
        .bearer_auth(token)
        .send()
        .unwrap()
        .status()
}

/// The owner revokes machine `node` through `server`.
fn revoke(server: &Server, node: &str) {
    let revoked = reqwest::blocking::Client::new()
        .post(format!("{}/v1/machines/revoke", server.url))
        .json(&serde_json::json!({ "email": EMAIL, "password": OWNER_PW, "node_id": node }))
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 200);
}

#[test]
fn a_write_on_one_replica_reaches_a_machine_on_the_other_live() {
    let Some(Pair {
        db: _db,
        root,
        one,
        two,
    }) = pair("replicas_live")
    else {
        return;
    };
    let a = common::enrolled_machine(root.path(), "desk", &one, EMAIL, OWNER_PW, 2);
    let b = Machine::new(root.path(), "exam-room");
    b.enroll(&two, EMAIL, OWNER_PW);

    let live_a = Live::start(&a);
    live_a.wait_for(
        "A online and live on replica 1",
        Duration::from_secs(60),
        |s, _| s.online && s.live && s.pending == 0,
    );
    let live_b = Live::start(&b);
    live_b.wait_for(
        "B bootstrapped and live on replica 2",
        Duration::from_secs(60),
        |s, _| s.online && s.live && s.last_sync.is_some(),
    );
    // Written on A, pushed to replica 1, told to B by replica 2 long before the 60 s poll.
    for (i, name) in ["Karim Replica", "Hoda Replica", "Omar Replica"]
        .iter()
        .enumerate()
    {
        let started = Instant::now();
        live_a.add_patient(OWNER_PW, name, &format!("0101234560{i}"));
        live_b.wait_for(name, Duration::from_secs(15), |_, changed| changed);
        assert!(live_b.finds(OWNER_PW, name));
        eprintln!(
            "{name}: on the other replica's machine in {:?}",
            started.elapsed()
        );
    }
    // And back the other way.
    live_b.add_patient(OWNER_PW, "Salma Replica", "01012345699");
    live_a.wait_for("B's patient on A", Duration::from_secs(15), |_, changed| {
        changed
    });
    assert!(live_a.finds(OWNER_PW, "Salma Replica"));
}

#[test]
fn a_machine_revoked_through_one_replica_is_refused_and_cut_off_by_the_other_at_once() {
    let Some(Pair {
        db: _db,
        root,
        one,
        two,
    }) = pair("replicas_revoke")
    else {
        return;
    };
    let stolen = common::enrolled_machine(root.path(), "desk", &two, EMAIL, OWNER_PW, 1);
    let token = token(&two, &stolen);
    let node = node_of(&token);
    let status = |server: &Server| status_with(server, &token);
    // Replica 2 has just found the credential active (and would trust that for seconds).
    assert_eq!(status(&two), 200);
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}/v1/events",
        two.url.trim_start_matches("http://")
    ))
    .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tungstenite::connect(request).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = socket.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }

    // The owner revokes it through replica 1.
    revoke(&one, &node);
    let started = Instant::now();
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        }
    }
    let closed = started.elapsed();
    assert!(
        closed < Duration::from_secs(2),
        "socket closed after {closed:?}"
    );
    // Its token is refused by both at once, not when replica 2's memory of it runs out.
    assert_eq!(status(&one), 401);
    assert_eq!(status(&two), 401);
    assert!(started.elapsed() < Duration::from_secs(5));
    eprintln!("replica 2 closed the revoked machine's socket {closed:?} after the revocation");
}

#[test]
fn a_revocation_made_while_a_replica_was_deaf_to_the_news_is_not_trusted_away() {
    let Some(Pair { db, root, one, two }) = pair("replicas_deaf") else {
        return;
    };
    let stolen = common::enrolled_machine(root.path(), "desk", &two, EMAIL, OWNER_PW, 1);
    let token = token(&two, &stolen);
    // Replica 2 finds the credential active, and would trust that for minutes.
    assert_eq!(status_with(&two, &token), 200);

    // The listeners' connections are cut (a network blip, a restarted pooler), and the owner
    // revokes the machine through replica 1 before replica 2 is listening again: the news of
    // it reaches no one.
    let cut = db.sql(&format!(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
         WHERE application_name = '{}' AND datname = current_database()",
        NEWS
    ));
    assert_eq!(cut.len(), 2, "one listener per replica: {cut:?}");
    revoke(&one, &node_of(&token));

    // Replica 2 asks the store again (deaf, then listening anew) instead of trusting what it
    // found before the gap.
    let started = Instant::now();
    while status_with(&two, &token) != 401 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica 2 still serves the revoked machine"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "replica 2 refused the machine revoked unheard {:?} after",
        started.elapsed()
    );
    // And the news is heard again: a second machine revoked through replica 1 is refused by
    // replica 2 at once.
    let other = Machine::new(root.path(), "exam");
    other.enroll(&two, EMAIL, OWNER_PW);
    let other_token = common::token(&two, &other);
    let started = Instant::now();
    while db
        .sql(&format!(
            "SELECT 1 FROM pg_stat_activity
             WHERE application_name = '{}' AND datname = current_database()",
            NEWS
        ))
        .len()
        < 2
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no listener back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status_with(&two, &other_token), 200);
    revoke(&one, &node_of(&other_token));
    let started = Instant::now();
    while status_with(&two, &other_token) != 401 {
        assert!(started.elapsed() < Duration::from_secs(2), "not heard");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn wrong_passwords_spread_over_two_replicas_are_counted_together() {
    let Some(Pair {
        db,
        root: _root,
        one,
        two,
    }) = pair("replicas_guesses")
    else {
        return;
    };
    let guess = |server: &Server, password: &str| {
        reqwest::blocking::Client::new()
            .post(format!("{}/v1/machines/revoke", server.url))
            .json(&serde_json::json!({ "email": EMAIL, "password": password, "node_id": "n" }))
            .send()
            .unwrap()
            .status()
    };
    // The account may be guessed wrong 10 times in 15 minutes (the default): 5 on each.
    for i in 0..10 {
        let server = if i % 2 == 0 { &one } else { &two };
        assert_eq!(guess(server, &format!("wrong-{i}")), 401, "guess {i}");
    }
    // Each replica alone has seen 5; together they have seen the 10.
    for server in [&one, &two] {
        assert_eq!(guess(server, "wrong-again"), 429);
        assert_eq!(
            guess(server, OWNER_PW),
            429,
            "locked even for the right one"
        );
    }
    // What the table keeps names neither the account nor the address.
    let kept = db.sql("SELECT key FROM platform.guesses");
    assert!(kept.len() >= 20, "{kept:?}");
    for row in &kept {
        let key = row[0].as_deref().unwrap_or_default();
        assert!(!key.contains('@') && !key.contains("127.0.0.1"), "{key}");
    }
}

#[test]
fn a_replica_killed_mid_push_loses_nothing_it_acknowledged_and_the_other_keeps_serving() {
    let Some(Pair {
        db: _db,
        root,
        mut one,
        two,
    }) = pair("replicas_kill")
    else {
        return;
    };
    let a = common::enrolled_machine(root.path(), "desk", &one, EMAIL, OWNER_PW, 20);
    let b = Machine::new(root.path(), "exam");
    b.enroll(&two, EMAIL, OWNER_PW);

    // A syncs through replica 1 in small batches; replica 1 is killed once the first is
    // acknowledged, with more still to send.
    let acknowledged = common::kill_server_mid_push(&a, &mut one);

    // Replica 2 holds every acknowledged change and goes on serving: B syncs through it.
    let on_two = held(&two, &a);
    for change in a.open().changes_after(0, 100_000).unwrap() {
        if change.seq <= acknowledged {
            assert!(
                on_two.contains(&change.hash),
                "acknowledged change {} lost",
                change.seq
            );
        }
    }
    b.ok(None, &["sync"]);
    b.ok(
        Some(("owner", OWNER_PW)),
        &[
            "patient",
            "add",
            "--name",
            "بعد السقوط",
            "--phone",
            "01098765432",
        ],
    );
    b.ok(None, &["sync"]);
    assert!(held(&two, &b).len() > on_two.len());
}
