//! The real `ayada-server` process on a loopback port chosen by the OS: it starts, answers,
//! and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server_binary() -> PathBuf {
    // The root package's tests run from the workspace; the server is a sibling binary.
    let mut path = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    path.push("target");
    path.push(if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    });
    path.push(format!("ayada-server{}", std::env::consts::EXE_SUFFIX));
    path
}

#[test]
fn the_server_process_serves_health_on_port_zero_and_stops_on_sigterm() {
    let binary = server_binary();
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "ayada-server"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(&binary)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let listening: serde_json::Value = serde_json::from_str(&first).unwrap();
    let addr = listening["listening"].as_str().unwrap().to_string();
    let body: serde_json::Value = reqwest::blocking::get(format!("http://{addr}/v1/health"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["status"], "ok");

    #[cfg(unix)]
    {
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "graceful shutdown exits 0: {status:?}");
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the server did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    #[cfg(not(unix))]
    child.kill().unwrap();
}
