//! Machines and the real sync server over loopback HTTP.

mod common;

use std::collections::HashSet;

use common::{base64, book, token, Machine, Server, DESK, STAFF_PW};
use serde_json::json;

const OWNER_PW: &str = "owner-pass-1";
const OWNER: Option<(&str, &str)> = Some(("owner", OWNER_PW));

#[test]
fn a_machine_joins_through_the_server_and_offline_double_bookings_show_as_one_conflict_on_both() {
    let root = tempfile::tempdir().unwrap();
    let (server, a) = common::front_desk_on_server(root.path(), 2, true);

    let b = Machine::new(root.path(), "exam-room");
    let wrong = b.run(
        Some(("x", "not-the-password")),
        &[
            "--lang",
            "ar",
            "enroll",
            "--server",
            &server.url,
            "--email",
            "owner@nour.example",
        ],
    );
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("البريد الإلكتروني أو كلمة المرور غير صحيحة"),
        "the server's refusal in the person's language: {said}"
    );
    assert!(!said.contains("not-the-password"), "{said}");
    let joined = b.enroll(&server, "owner@nour.example", OWNER_PW);
    assert_eq!(joined["seeded"], false);
    // A new machine loads the server's compacted documents instead of replaying the log.
    let first = b.ok(None, &["sync"]);
    assert!(first["bootstrapped"].as_u64().unwrap() > 5, "{first}");
    assert_eq!(first["pulled"], 0, "{first}");
    // The server listed B's LAN key in the clinic's document when it enrolled B: A hears of
    // it at its next round.
    a.ok(None, &["sync"]);
    {
        let (ca, cb) = (a.open(), b.open());
        assert_ne!(ca.node(), cb.node());
        assert_eq!(ca.id(), cb.id());
        assert_eq!(
            ca.projection_snapshot().unwrap(),
            cb.projection_snapshot().unwrap()
        );
        assert_eq!(ca.document_heads().unwrap(), cb.document_heads().unwrap());
    }
    // Staff log in on the new machine with the accounts that came with the clinic.
    let today_b = b.ok(DESK, &["appointment", "list"]);
    assert!(!today_b["appointments"].as_array().unwrap().is_empty());

    // Both desks book Dr. Sara at the same time, each offline.
    let pa = a.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            "أحمد علي",
            "--phone",
            "01099990001",
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    let pb = b.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            "Mona Adel",
            "--phone",
            "01099990002",
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    let ida = book(&a, &pa, "2031-01-04 10:00");
    let idb = book(&b, &pb, "2031-01-04 10:00");
    a.ok(None, &["sync"]);
    b.ok(None, &["sync"]);
    a.ok(None, &["sync"]);
    let mut expected = vec![ida, idb];
    expected.sort();
    for m in [&a, &b] {
        let conflicts = m.ok(DESK, &["conflicts"]);
        let list = conflicts["conflicts"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{conflicts}");
        assert_eq!(list[0]["kind"], "overlapping-bookings");
        assert_eq!(list[0]["ids"], json!(expected));
    }
    assert_eq!(
        a.open().projection_snapshot().unwrap(),
        b.open().projection_snapshot().unwrap()
    );
}

fn pull_hashes(
    server: &Server,
    token: &str,
    extra: &str,
) -> (reqwest::StatusCode, HashSet<String>) {
    let resp = reqwest::blocking::Client::new()
        .get(format!(
            "{}/v1/changes?since=0&limit=1000{extra}",
            server.url
        ))
        .bearer_auth(token)
        .send()
        .unwrap();
    let status = resp.status();
    if !status.is_success() {
        return (status, HashSet::new());
    }
    let v: serde_json::Value = resp.json().unwrap();
    (
        status,
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["hash"].as_str().unwrap().to_string())
            .collect(),
    )
}

#[test]
fn clinics_are_isolated_and_bad_tokens_and_bad_changes_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::with_clinics(
        root.path(),
        &[
            ("alpha", "owner@alpha.example"),
            ("beta", "owner@beta.example"),
        ],
        OWNER_PW,
    );
    let a = common::seeded_machine(
        root.path(),
        "alpha-desk",
        &server,
        "owner@alpha.example",
        OWNER_PW,
    );
    let c = common::seeded_machine(
        root.path(),
        "beta-desk",
        &server,
        "owner@beta.example",
        OWNER_PW,
    );
    // A machine holding clinic beta cannot enroll into alpha.
    let out = c.run(
        None,
        &[
            "enroll",
            "--server",
            &server.url,
            "--email",
            "owner@alpha.example",
        ],
    );
    assert!(!out.status.success());

    let (ta, tc) = (token(&server, &a), token(&server, &c));
    let (_, alpha) = pull_hashes(&server, &ta, "");
    let (_, beta) = pull_hashes(&server, &tc, "");
    assert!(!alpha.is_empty() && !beta.is_empty());
    assert!(
        alpha.is_disjoint(&beta),
        "one clinic's changes reached the other"
    );
    // Naming the other clinic in the query changes nothing: the clinic comes from the token.
    let alpha_id = a.open().id().to_string();
    let (_, still_beta) = pull_hashes(
        &server,
        &tc,
        &format!("&clinic={alpha_id}&clinic_id={alpha_id}"),
    );
    assert_eq!(still_beta, beta);

    // Tokens: none, forged, expired.
    assert_eq!(pull_hashes(&server, "", "").0, 401);
    let secret = server.secret("jwt.secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({ "sub": "n", "clinic": alpha_id, "aud": "ayada-sync", "exp": now - 3600, "nbf": now - 7200, "iat": now - 7200 });
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();
    assert_eq!(pull_hashes(&server, &expired, "").0, 401);
    let forged = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &json!({ "exp": now + 600, "nbf": now, "aud": "ayada-sync", "sub": "n", "clinic": alpha_id, "iat": now }), &jsonwebtoken::EncodingKey::from_secret(b"a guess at the server's secret")).unwrap();
    assert_eq!(pull_hashes(&server, &forged, "").0, 401);

    // A batch with one good change and two bad ones: the good one lands, the bad ones are
    // refused with reasons, and clinic alpha's log is untouched.
    let fresh = {
        let mut cc = c.open();
        let owner = cc.login("owner", OWNER_PW).unwrap();
        cc.add_insurer(&owner, "Misr Insurance Plus").unwrap();
        cc.changes_after(cc.log_head().unwrap() - 1, 10)
            .unwrap()
            .remove(0)
    };
    let body = json!({ "version": 1, "changes": [
        { "doc_id": fresh.doc_id, "hash": fresh.hash, "bytes": base64(&fresh.bytes) },
        { "doc_id": "patient/x", "hash": "00".repeat(32), "bytes": base64(b"garbage") },
        { "doc_id": "../alpha/clinic", "hash": fresh.hash, "bytes": base64(&fresh.bytes) },
    ]});
    let resp: serde_json::Value = reqwest::blocking::Client::new()
        .post(format!("{}/v1/changes", server.url))
        .bearer_auth(&tc)
        .json(&body)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(resp["accepted"], json!([fresh.hash]));
    let reasons = common::refused_reasons(&resp);
    assert_eq!(reasons.len(), 2, "{resp}");
    assert!(reasons.iter().any(|r| r.contains("does not decode")));
    assert!(reasons.iter().any(|r| r.contains("no document")));
    assert_eq!(pull_hashes(&server, &ta, "").1, alpha);

    // An oversized batch is refused whole, with a sentence.
    let many: Vec<_> = (0..1001).map(|_| json!({ "doc_id": fresh.doc_id, "hash": fresh.hash, "bytes": base64(&fresh.bytes) })).collect();
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/v1/changes", server.url))
        .bearer_auth(&tc)
        .json(&json!({ "version": 1, "changes": many }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    let said: serde_json::Value = resp.json().unwrap();
    assert!(
        said["error"].as_str().unwrap().contains("send it in parts"),
        "{said}"
    );
}

#[test]
fn a_server_killed_in_the_middle_of_a_push_loses_nothing_it_acknowledged() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("server");
    let mut server = Server::start(&data);
    server.create_clinic("kill", "owner@kill.example", OWNER_PW);
    let a = common::enrolled_machine(
        root.path(),
        "desk",
        &server,
        "owner@kill.example",
        OWNER_PW,
        20,
    );
    let port = server.url.rsplit(':').next().unwrap().to_string();

    // Start a sync and SIGKILL the server while it runs.
    let acknowledged = common::kill_server_mid_push(&a, &mut server);

    // The server comes back on the same address; whatever it acknowledged is there, and the
    // machine resumes from its cursor by itself.
    let restarted = Server::restart_on(&data, &format!("127.0.0.1:{port}"));
    let t = token(&restarted, &a);
    let (_, held) = pull_hashes(&restarted, &t, "");
    let local = a.open().changes_after(0, 100_000).unwrap();
    for change in local.iter().filter(|c| c.seq <= acknowledged) {
        assert!(
            held.contains(&change.hash),
            "acknowledged change {} lost",
            change.seq
        );
    }
    a.ok(None, &["sync"]);
    let b = Machine::new(root.path(), "exam");
    b.enroll(&restarted, "owner@kill.example", OWNER_PW);
    b.ok(None, &["sync"]);
    assert_eq!(
        a.open().projection_snapshot().unwrap(),
        b.open().projection_snapshot().unwrap()
    );
}

#[test]
fn the_owner_lists_the_machines_and_a_revoked_one_can_no_longer_sync() {
    let root = tempfile::tempdir().unwrap();
    let (server, a) = common::front_desk_on_server(root.path(), 2, true);
    let b = Machine::new(root.path(), "stolen-laptop");
    b.enroll(&server, "owner@nour.example", OWNER_PW);
    b.ok(None, &["sync"]);
    let node_b = b.open().node().to_string();
    // A token B obtained before it is revoked.
    let b_token = token(&server, &b);
    assert_eq!(pull_hashes(&server, &b_token, "").0, 200);

    let listed = a.ok(None, &["machines", "list"]);
    let machines = listed["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 2, "{listed}");
    assert!(machines
        .iter()
        .all(|m| m["revoked"] == false && m["pending"] == 0));

    // The owner's password is needed, not just a machine's token.
    let wrong = a.run(
        Some(("owner", "not-the-password")),
        &[
            "machines",
            "revoke",
            "--email",
            "owner@nour.example",
            "--node",
            &node_b,
        ],
    );
    assert!(!wrong.status.success());
    let unknown = a.run(
        OWNER,
        &[
            "machines",
            "revoke",
            "--email",
            "owner@nour.example",
            "--node",
            "0190a1b2-0000-7000-8000-000000000000",
        ],
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no machine with that node id"));
    let revoked = a.ok(
        OWNER,
        &[
            "machines",
            "revoke",
            "--email",
            "owner@nour.example",
            "--node",
            &node_b,
        ],
    );
    assert_eq!(revoked["revoked"], 1);
    // Its unexpired token is refused at once, not when it runs out.
    assert_eq!(pull_hashes(&server, &b_token, "").0, 401);

    let refused = b.run(None, &["sync"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let listed = a.ok(None, &["machines", "list"]);
    let b_row = listed["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["node_id"] == node_b.as_str())
        .unwrap()
        .clone();
    assert_eq!(b_row["revoked"], true);
    // The front desk keeps syncing.
    a.ok(None, &["sync"]);
}

/// A small PNG a phone could have taken (a gradient, so it is not all one colour).
fn png_photo(path: &std::path::Path) {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    img.save(path).unwrap();
}

#[test]
fn a_prescription_photo_reaches_the_other_machine_and_never_another_clinic() {
    let root = tempfile::tempdir().unwrap();
    let server = Server::with_clinics(
        root.path(),
        &[
            ("nour", "owner@nour.example"),
            ("other", "owner@other.example"),
        ],
        OWNER_PW,
    );
    let a = common::seeded_machine(
        root.path(),
        "front-desk",
        &server,
        "owner@nour.example",
        OWNER_PW,
    );
    let other = common::seeded_machine(
        root.path(),
        "elsewhere",
        &server,
        "owner@other.example",
        OWNER_PW,
    );

    // The doctor on A records a visit with a photo.
    let patient = a.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            "سلمى حسن",
            "--phone",
            "01099990003",
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    let appointment = book(&a, &patient, "2031-02-01 11:00");
    a.ok(
        DESK,
        &["appointment", "set-status", &appointment, "arrived"],
    );
    a.ok(
        DESK,
        &["appointment", "set-status", &appointment, "in-exam"],
    );
    let file = root.path().join("prescription.png");
    png_photo(&file);
    let visit = a.ok(
        Some(("dr.sara", STAFF_PW)),
        &[
            "visit",
            "record",
            "--appointment",
            &appointment,
            "--diagnosis",
            "Sinusitis",
            "--photo",
            file.to_str().unwrap(),
        ],
    );
    let sha = visit["visit"]["photos"][0].as_str().unwrap().to_string();
    let sent = a.ok(None, &["sync"]);
    assert_eq!(sent["photos_sent"], 1, "{sent}");
    // Pushes carry only A's own changes: a second round sends nothing back.
    let again = a.ok(None, &["sync"]);
    assert_eq!(
        (again["pushed"].as_u64(), again["photos_sent"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // A new machine joins: the visit comes in the bootstrap, the photo after it.
    let b = Machine::new(root.path(), "exam-room");
    b.enroll(&server, "owner@nour.example", OWNER_PW);
    let joined = b.ok(None, &["sync"]);
    assert_eq!(joined["photos_received"], 1, "{joined}");
    let export = |m: &Machine, name: &str| -> Vec<u8> {
        let out = root.path().join(name);
        m.ok(OWNER, &["export", "--out", out.to_str().unwrap()]);
        std::fs::read(out.join("photos").join(format!("{sha}.jpg"))).unwrap()
    };
    let (on_a, on_b) = (export(&a, "export-a"), export(&b, "export-b"));
    assert_eq!(on_a, on_b, "the photo differs between the machines");
    assert!(b.open().wanted_blobs(10).unwrap().is_empty());

    // Another clinic's machine cannot read it, whatever it puts in the path; a photo whose
    // bytes do not match its name is refused.
    let http = reqwest::blocking::Client::new();
    let t_other = token(&server, &other);
    let got = http
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&t_other)
        .send()
        .unwrap();
    assert_eq!(got.status(), 404);
    let traversal = http
        .get(format!("{}/v1/blobs/..%2F..%2Fplatform.db", server.url))
        .bearer_auth(&t_other)
        .send()
        .unwrap();
    assert_eq!(traversal.status(), 400);
    let forged = http
        .put(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&t_other)
        .body(b"\xFF\xD8\xFFnot the photo".to_vec())
        .send()
        .unwrap();
    assert_eq!(forged.status(), 400);
    let said: serde_json::Value = forged.json().unwrap();
    assert!(
        said["error"].as_str().unwrap().contains("do not match"),
        "{said}"
    );
    // And without a token nothing is served at all.
    let anonymous = http
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let ta = token(&server, &a);
    let mine = http
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&ta)
        .send()
        .unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.bytes().unwrap().to_vec(), on_a);
}
