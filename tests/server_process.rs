//! The real `ayada-server` process on a loopback port chosen by the OS: it starts, answers,
//! and stops cleanly on SIGTERM.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_server_process_serves_health_on_port_zero_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut server = common::Server::start(data.path());
    let body: serde_json::Value = reqwest::blocking::get(format!("{}/v1/health", server.url))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["status"], "ok");
    #[cfg(unix)]
    {
        Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
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
}
