//! The server's data folder on a filesystem of 12 MB made by the test (tmpfs, in a mount
//! namespace of its own): while it is full, writes are refused with a clear "disk full" and
//! the server stays up and keeps serving reads; once space is freed everything works again,
//! and nothing acknowledged was lost.

mod common;

use std::process::{Command, Stdio};

use common::{token, Machine, Server};

const OWNER_PW: &str = "owner-pass-1";
const EMAIL: &str = "owner@full.example";

/// A noisy PNG of `side`² pixels (noise does not compress: 800 px is about 1.9 MB),
/// different for each `seed`.
fn photo(seed: u64, side: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
}

#[test]
fn a_full_disk_refuses_writes_clearly_keeps_serving_and_recovers_when_space_is_freed() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("server");
    std::fs::create_dir_all(&dir).unwrap();
    // A tmpfs of 12 MB holds the data folder, with 5 MB of ballast to free later: once space
    // is freed, the compactor's documents that the full disk refused take their share of it
    // before the test's writes (under load, 2.5 MB freed was not enough for both).
    let script = r#"mount -t tmpfs -o size=12m tmpfs "$1" &&
        head -c 5000000 /dev/zero > "$1/ballast" &&
        AYADA_PASSWORD="$3" "$2" clinic create --data "$1" --name full --slug full --owner-email "$4" >/dev/null &&
        exec "$2" serve --data "$1" --listen 127.0.0.1:0"#;
    let mut unshare = Command::new("unshare");
    unshare.arg("--mount");
    if !running_as_root() {
        unshare.arg("--map-root-user");
    }
    let child = unshare
        .args(["sh", "-c", script, "sh"])
        .arg(&dir)
        .arg(common::bin("ayada-server"))
        .args([OWNER_PW, EMAIL])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(root.path().join("server.log")).unwrap())
        .spawn()
        .unwrap();
    // The folder as the server sees it, through its mount namespace.
    let seen = std::path::PathBuf::from(format!("/proc/{}/root", child.id()))
        .join(dir.strip_prefix("/").unwrap());
    let server = Server::attach(child, &seen)
        .expect("the server did not start on its own tmpfs (unshare and mount)");
    assert!(
        server.data.join("ballast").exists(),
        "the tmpfs is not visible through /proc"
    );

    let a = common::enrolled_machine(root.path(), "desk", &server, EMAIL, OWNER_PW, 1);
    a.ok(None, &["sync"]);
    let t = token(&server, &a);
    let http = reqwest::blocking::Client::new();
    let put = |bytes: &[u8]| {
        http.put(format!("{}/v1/blobs/{}", server.url, sha256(bytes)))
            .bearer_auth(&t)
            .body(bytes.to_vec())
            .send()
            .unwrap()
    };

    // Photos until the disk is full: the refusal says so, in words and in its code.
    let mut stored = Vec::new();
    let refusal = (0..20)
        .find_map(|i| {
            let bytes = photo(i, 800);
            let answer = put(&bytes);
            if answer.status().is_success() {
                stored.push(bytes);
                None
            } else {
                Some(answer)
            }
        })
        .expect("12 MB never filled");
    assert_eq!(refusal.status(), 507);
    let said: serde_json::Value = refusal.json().unwrap();
    assert_eq!(said["code"], "disk-full", "{said}");
    assert!(said["error"].as_str().unwrap().contains("disk is full"));
    assert!(!stored.is_empty());

    // While full, a machine's sync fails with that sentence, and the server stays up and
    // keeps serving what it holds.
    a.ok(
        Some(("owner", OWNER_PW)),
        &[
            "patient",
            "add",
            "--name",
            "بعد الامتلاء",
            "--phone",
            "01055551234",
        ],
    );
    let out = a.run(None, &["sync"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("disk is full"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let health = reqwest::blocking::get(format!("{}/v1/health", server.url)).unwrap();
    assert_eq!(health.status(), 200);
    for bytes in &stored {
        let back = http
            .get(format!("{}/v1/blobs/{}", server.url, sha256(bytes)))
            .bearer_auth(&t)
            .send()
            .unwrap();
        assert_eq!(back.bytes().unwrap().as_ref(), bytes.as_slice());
    }

    // Space freed: the machine's sync goes through, and another machine gets everything.
    std::fs::remove_file(server.data.join("ballast")).unwrap();
    a.ok(None, &["sync"]);
    // (A photo of a size the freed space holds: the database keeps a copy in its log until
    // the next checkpoint.)
    let after = put(&photo(100, 300));
    assert_eq!(
        after.status(),
        200,
        "{}\n{}",
        after.text().unwrap(),
        std::fs::read_to_string(root.path().join("server.log")).unwrap()
    );
    let b = Machine::new(root.path(), "exam");
    b.enroll(&server, EMAIL, OWNER_PW);
    b.ok(None, &["sync"]);
    // B's enrollment put its LAN key in the clinic's document (a change of the server's):
    // A hears of it at its next round.
    a.ok(None, &["sync"]);
    assert_eq!(
        a.open().document_heads().unwrap(),
        b.open().document_heads().unwrap()
    );
}
