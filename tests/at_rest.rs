//! What the server keeps of a clinic is unreadable without the platform's master key: a
//! patient books on the portal and is seen at the clinic (name, phone, diagnosis, note and a
//! prescription photo), and a scan of every byte the server's store holds on disk (its data
//! folder, or PostgreSQL's own data directory) finds none of it, while the server itself
//! serves it all back to the clinic's machine.

mod common;
mod fake_waha;
mod portal;

use std::path::Path;

use base64::Engine;
use common::*;
use fake_waha::{code_in, FakeWaha};
use portal::*;

const NAME: &str = "Zubaida Qotbeddin";
const PHONE: &str = "01098765432";
const CHAT: &str = "201098765432@c.us";
const DESK_PATIENT: &str = "Marwan Elsherbiny";
const DESK_PHONE: &str = "01055501234";
const DIAGNOSIS: &str = "Erythromelalgia";
const NOTE: &str = "Kintsugi-remedy-note";

/// Every file under `dir`, with its bytes (files that vanish while read are skipped).
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

fn holds(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The folder holding every byte the server's store keeps: its data folder, or the data
/// directory of the PostgreSQL cluster (after a checkpoint, so the tables' files are
/// written as well as the write-ahead log).
fn store_on_disk(server: &Server) -> std::path::PathBuf {
    if !on_postgres() {
        return server.data.clone();
    }
    let db = database_for(&server.data);
    db.sql("CHECKPOINT");
    let dir = db.sql("SELECT current_setting('data_directory')");
    std::path::PathBuf::from(dir[0][0].clone().unwrap())
}

#[test]
fn a_scan_of_the_servers_store_finds_no_name_phone_diagnosis_or_photo() {
    let root = tempfile::tempdir().unwrap();
    let waha = FakeWaha::start();
    let (server, m) = clinic_online(root.path(), &waha, &[]);

    // A patient books online: the portal keeps the request, the booking and the messages.
    let phone = Phone::new(&server);
    let slot = slots_ahead(&phone, "en")[0].clone();
    let asked = ask(&phone, &slot, NAME, PHONE, "en");
    assert_eq!(asked.status, 303, "{}", asked.body);
    let code = code_in(&waha.wait_for(CHAT, "code", 10).text);
    let verified = type_code(&phone, &asked.location.unwrap(), &code, "en");
    assert_eq!(verified.status, 303, "{}", verified.body);

    // The clinic sees another patient: a diagnosis, a note and a prescription photo.
    let patient = m.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            DESK_PATIENT,
            "--phone",
            DESK_PHONE,
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    let appointment = book(&m, &patient, "2031-02-01 11:00");
    for status in ["arrived", "in-exam"] {
        m.ok(DESK, &["appointment", "set-status", &appointment, status]);
    }
    let photo = root.path().join("prescription.png");
    image::RgbImage::from_fn(200, 150, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 3) as u8, 90])
    })
    .save(&photo)
    .unwrap();
    let visit = m.ok(
        Some(("dr.sara", STAFF_PW)),
        &[
            "visit",
            "record",
            "--appointment",
            &appointment,
            "--diagnosis",
            DIAGNOSIS,
            "--note",
            NOTE,
            "--photo",
            photo.to_str().unwrap(),
        ],
    );
    let sha = visit["visit"]["photos"][0].as_str().unwrap().to_string();
    let sent = m.ok(None, &["sync"]);
    assert_eq!(sent["photos_sent"], 1, "{sent}");
    // The server sent the booking's confirmation too (its outbox row is written first).
    waha.wait_for(CHAT, "received", 10);

    // The server serves it all back in clear to the clinic's machine: what the scan looks
    // for is there to be found.
    let http = reqwest::blocking::Client::new();
    let token = token(&server, &m);
    let pulled: serde_json::Value = http
        .get(format!("{}/v1/changes?since=0&limit=100000", server.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let served: Vec<u8> = pulled["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c["bytes"].as_str().unwrap())
                .unwrap()
        })
        .collect();
    let blob = http
        .get(format!("{}/v1/blobs/{sha}", server.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .bytes()
        .unwrap()
        .to_vec();
    assert!(blob.len() > 1000, "the photo came back");
    let photo_part = &blob[blob.len() / 2..blob.len() / 2 + 48];
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("the portal patient's name", NAME.as_bytes().to_vec()),
        ("the portal patient's phone", b"1098765432".to_vec()),
        ("the desk patient's name", DESK_PATIENT.as_bytes().to_vec()),
        ("the desk patient's phone", b"1055501234".to_vec()),
        ("the diagnosis", DIAGNOSIS.as_bytes().to_vec()),
        ("the note", NOTE.as_bytes().to_vec()),
        ("a part of the photo", photo_part.to_vec()),
    ];
    for (what, needle) in &needles[..6] {
        if *what != "the portal patient's phone" {
            assert!(holds(&served, needle), "{what} is in the changes served");
        }
    }

    // Every byte the store keeps on disk: none of it is readable.
    let dir = store_on_disk(&server);
    let mut all = Vec::new();
    files(&dir, &mut all);
    let total: usize = all.iter().map(|(_, b)| b.len()).sum();
    assert!(total > 100_000, "the scan read the store ({total} bytes)");
    for (path, bytes) in &all {
        for (what, needle) in &needles {
            // Hex too: a bytea column or a dump would show a clear value that way.
            let hexed = hex::encode(needle);
            assert!(
                !holds(bytes, needle) && !holds(bytes, hexed.as_bytes()),
                "{what} is readable in {}",
                path.display()
            );
        }
    }
}
