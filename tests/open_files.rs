//! The server raises its own limit of open files. systemd starts a service with a soft limit
//! of 1,024 (the hard one far above), and each machine's connection holds a file, as does
//! each clinic's database (three with its WAL): a server under the soft limit stopped
//! accepting connections long before its `--max-connections`.

mod common;

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin, Server};

/// The soft and hard limits of open files of process `pid`.
fn open_files_limit(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut numbers = line
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

#[test]
fn a_server_started_under_a_low_soft_limit_raises_it_and_serves_past_it() {
    const SOFT: u64 = 256;
    const HELD: usize = 400;
    let hard = open_files_limit(std::process::id()).1;
    assert!(
        hard >= 1024,
        "this machine's hard limit of open files ({hard}) leaves nothing to prove"
    );
    let data = tempfile::tempdir().unwrap();
    // `exec`: the server takes the shell's process, and its limits.
    let child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -Sn {SOFT} && exec \"$0\" serve --data \"$1\" --listen 127.0.0.1:0"
        ))
        .arg(bin("ayada-server"))
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server::attach(child, data.path()).expect("the server did not start");
    let (soft, raised_hard) = open_files_limit(server.child.id());
    assert_eq!(soft, raised_hard, "the soft limit was left at {soft}");
    assert!(soft > SOFT);

    // More connections at once than the soft limit it was started with.
    let addr = server.url.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let held: Vec<TcpStream> = (0..HELD)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // Under the old limit the server stopped accepting: the connections beyond it waited in
    // the backlog (and then for their SYNs to be taken) until idle ones were closed, 10 s
    // later (the header timeout). Here they are all taken, and the next is answered at once.
    let health = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("{}/v1/health", server.url))
        .send()
        .expect("the server did not answer past the old limit");
    assert!(health.status().is_success());
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "{HELD} connections and a request took {took:?}: the server stalled at its old limit"
    );
    drop(held);
}
