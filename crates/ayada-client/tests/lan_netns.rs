//! The clinic's LAN with the internet gone, in network namespaces made by the test: the
//! front desk and the exam room each in a namespace of their own, joined by a bridge, with no
//! route to any sync server. They find each other by mDNS and sync directly: a check-in at
//! the front desk reaches the exam room within 2 s. A third namespace poses as a machine of
//! the clinic (it has the clinic's id, but the owner never listed its key): it is refused
//! both ways. A partition between the two machines heals, and nothing arrives twice. A new
//! machine with an empty folder joins through the front desk with the owner's join code,
//! finding it by mDNS, and is in the clinic's conversation at once.
//!
//! A second run puts the sync server on the LAN too, in a namespace whose cable is cut: the
//! machines sync over the LAN while it is away; when it comes back it gets every change once,
//! whichever machine sends it, and every machine and the server hold the same log.
//!
//! Each machine is `src/bin/lan_node.rs` run with `ip netns exec`. Where namespaces cannot
//! be made (not root, no `ip`), the test says so and passes without running.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use ayada_core::ids::NodeId;
use ayada_core::replication::IncomingChange;
use ayada_core::{Clinic, InitOptions, KeySource, Role};

mod support;

const PW: &str = "owner-pass-1";

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn must(args: &[&str]) {
    assert!(ip(args), "ip {}", args.join(" "));
}

/// The namespaces and links of one run, removed when dropped.
struct Lan {
    prefix: String,
    names: Vec<String>,
}

impl Lan {
    /// A bridge namespace and one namespace per host, 10.77.0.(i+1)/24 each; `tag` keeps
    /// the names of the tests that run at once apart.
    fn make(tag: char, hosts: &[&str]) -> Option<Lan> {
        let prefix = format!("ay{}{tag}", std::process::id() % 100_000);
        let bridge = format!("{prefix}br");
        if !ip(&["netns", "add", &bridge]) {
            return None;
        }
        let mut lan = Lan {
            prefix: prefix.clone(),
            names: vec![bridge.clone()],
        };
        must(&["-n", &bridge, "link", "add", "br0", "type", "bridge"]);
        must(&["-n", &bridge, "link", "set", "br0", "up"]);
        for (i, host) in hosts.iter().enumerate() {
            let ns = lan.ns(host);
            must(&["netns", "add", &ns]);
            lan.names.push(ns.clone());
            let (inside, outside) = (format!("{prefix}{i}a"), format!("{prefix}{i}b"));
            must(&[
                "link", "add", &inside, "type", "veth", "peer", "name", &outside,
            ]);
            must(&["link", "set", &inside, "netns", &ns]);
            must(&["link", "set", &outside, "netns", &bridge]);
            must(&["-n", &ns, "link", "set", "lo", "up"]);
            must(&["-n", &ns, "link", "set", &inside, "name", "eth0"]);
            must(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.77.0.{}/24", i + 1),
                "dev",
                "eth0",
            ]);
            must(&["-n", &ns, "link", "set", "eth0", "up"]);
            must(&["-n", &bridge, "link", "set", &outside, "master", "br0"]);
            must(&["-n", &bridge, "link", "set", &outside, "up"]);
        }
        Some(lan)
    }

    fn ns(&self, host: &str) -> String {
        format!("{}{host}", self.prefix)
    }

    /// Cuts (or restores) host `i`'s cable at the bridge.
    fn cable(&self, i: usize, up: bool) {
        let outside = format!("{}{i}b", self.prefix);
        must(&[
            "-n",
            &self.names[0],
            "link",
            "set",
            &outside,
            if up { "up" } else { "down" },
        ]);
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in &self.names {
            ip(&["netns", "del", ns]);
        }
    }
}

/// One machine running in its namespace.
struct Host {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Host {
    /// Starts a machine; with `sync` it runs the sync loop with its server as well.
    fn start(ns: &str, data: &Path, key: &Path, sync: bool) -> Host {
        Host::spawn(ns, data, key, sync, None)
    }

    /// Starts a machine whose empty folder first joins the clinic with `code`.
    fn joining(ns: &str, data: &Path, key: &Path, code: &str) -> Host {
        Host::spawn(ns, data, key, false, Some(code))
    }

    fn spawn(ns: &str, data: &Path, key: &Path, sync: bool, code: Option<&str>) -> Host {
        // Cargo builds the package's binaries for its integration tests.
        let node = PathBuf::from(env!("CARGO_BIN_EXE_lan_node"));
        let mut command = Command::new("ip");
        if let Some(code) = code {
            command.env("AYADA_JOIN_CODE", code);
        }
        let mut child = command
            .args(["netns", "exec", ns])
            .arg(&node)
            .arg(data)
            .arg(key)
            .env("AYADA_DESK_PASSWORD", PW)
            .env("AYADA_SYNC", if sync { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut host = Host {
            child,
            stdin,
            stdout,
        };
        assert!(host.line().starts_with("ready"));
        host
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_string()
    }

    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        self.line()
    }

    fn peers(&mut self) -> Vec<String> {
        self.lines("peers")
    }

    /// The lines a command answers, up to its `end`.
    fn lines(&mut self, command: &str) -> Vec<String> {
        writeln!(self.stdin, "{command}").unwrap();
        let mut all = Vec::new();
        loop {
            let l = self.line();
            if l == "end" || l.is_empty() {
                return all;
            }
            all.push(l);
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Asked to quit, it closes as the app does (saying goodbye on mDNS); killed if not.
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Prepared {
    dirs: Vec<(PathBuf, PathBuf)>,
    nodes: Vec<String>,
    _tmp: tempfile::TempDir,
}

/// The front desk's clinic, the exam room joined to it (both listed by the owner), and an
/// impostor that copied the clinic's id but was never listed.
fn prepare() -> Prepared {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<(PathBuf, PathBuf)> = ["front", "exam", "impostor"]
        .iter()
        .map(|n| (tmp.path().join(n), tmp.path().join(format!("{n}.key"))))
        .collect();
    let (mut front, owner) = Clinic::init(
        &dirs[0].0,
        &KeySource::KeyFile(dirs[0].1.clone()),
        &InitOptions::in_egypt("عيادة", "owner", "Dr. Hala", PW),
    )
    .unwrap();
    front
        .add_staff(&owner, "منى", "desk", Role::Receptionist, PW)
        .unwrap();
    let join = |i: usize, front: &Clinic| {
        Clinic::join(
            &dirs[i].0,
            &KeySource::KeyFile(dirs[i].1.clone()),
            front.id(),
            NodeId::new(),
            "Africa/Cairo",
        )
        .unwrap()
    };
    let mut exam = join(1, &front);
    let mut impostor = join(2, &front);
    let front_key = ayada_client::lan::identity(&mut front).unwrap().key_hex;
    let exam_key = ayada_client::lan::identity(&mut exam).unwrap().key_hex;
    let (front_node, exam_node) = (front.node().to_string(), exam.node().to_string());
    front
        .certify_machine(&owner, &front_node, "front desk", &front_key)
        .unwrap();
    front
        .certify_machine(&owner, &exam_node, "exam room", &exam_key)
        .unwrap();
    let all: Vec<IncomingChange> = front
        .changes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(Into::into)
        .collect();
    exam.apply_changes(&all).unwrap();
    // The impostor holds the clinic's records too (a copied disk), just not a listed key.
    impostor.apply_changes(&all).unwrap();
    ayada_client::lan::identity(&mut impostor).unwrap();
    let nodes = vec![front_node, exam_node, impostor.node().to_string()];
    Prepared {
        dirs,
        nodes,
        _tmp: tmp,
    }
}

fn reachable(peers: &[String], node: &str) -> bool {
    peers
        .iter()
        .any(|p| p.starts_with(&format!("{node} reachable")))
}

fn wait_for(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{what}: not within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn with_the_internet_down_the_front_desk_and_exam_room_sync_over_the_lan() {
    let Some(lan) = Lan::make('l', &["front", "exam", "imp", "new"]) else {
        eprintln!("SKIPPED: network namespaces cannot be made here (needs root and iproute2)");
        return;
    };
    let p = prepare();
    let mut front = Host::start(&lan.ns("front"), &p.dirs[0].0, &p.dirs[0].1, false);
    let mut exam = Host::start(&lan.ns("exam"), &p.dirs[1].0, &p.dirs[1].1, false);
    let mut impostor = Host::start(&lan.ns("imp"), &p.dirs[2].0, &p.dirs[2].1, false);

    // They find each other by mDNS and prove themselves; the impostor is found, and refused.
    wait_for("the machines find each other", 30, || {
        reachable(&front.peers(), &p.nodes[1]) && reachable(&exam.peers(), &p.nodes[0])
    });
    // A check-in at the front desk reaches the exam room within 2 s.
    assert_eq!(front.ask("add Nour Checkin"), "added");
    let seen = exam.ask("wait Nour Checkin 2");
    assert!(seen.starts_with("found"), "the exam room: {seen}");
    let ms: u64 = seen[6..].parse().unwrap();
    eprintln!("check-in reached the exam room over the LAN in {ms} ms");
    // And the exam room's write reaches the front desk.
    assert_eq!(exam.ask("add Karim Walkin"), "added");
    assert!(front.ask("wait Karim Walkin 2").starts_with("found"));

    // The impostor: refused by both, and given nothing; what it writes goes nowhere.
    assert_eq!(impostor.ask("add Forged Patient"), "added");
    assert_eq!(impostor.ask("wait Nour Checkin 3"), "missing");
    assert_eq!(front.ask("count Forged Patient"), "0");
    assert_eq!(exam.ask("count Forged Patient"), "0");
    for peers in [front.peers(), exam.peers()] {
        assert!(!reachable(&peers, &p.nodes[2]), "{peers:?}");
    }

    // A partition between the two: writes wait, then cross once the cable is back.
    lan.cable(1, false);
    assert_eq!(front.ask("add During Partition"), "added");
    assert_eq!(exam.ask("wait During Partition 2"), "missing");
    lan.cable(1, true);
    let healed = exam.ask("wait During Partition 20");
    assert!(healed.starts_with("found"), "after the partition: {healed}");
    // Nothing arrived twice.
    for host in [&mut front, &mut exam] {
        assert_eq!(host.ask("count Nour Checkin"), "1");
        assert_eq!(host.ask("count During Partition"), "1");
    }
    // A new machine joins through the front desk with the owner's code, finding it by mDNS
    // among the others (the impostor included): it holds the clinic at once, and what it
    // writes reaches both machines.
    let code = front.ask("invite");
    let tmp = tempfile::tempdir().unwrap();
    let (data, key) = (tmp.path().join("new"), tmp.path().join("new.key"));
    let mut joined = Host::joining(&lan.ns("new"), &data, &key, &code);
    assert!(joined.ask("wait During Partition 5").starts_with("found"));
    assert_eq!(joined.ask("add Joined Later"), "added");
    assert!(front.ask("wait Joined Later 10").starts_with("found"));
    assert!(exam.ask("wait Joined Later 15").starts_with("found"));
    assert_eq!(impostor.ask("count Joined Later"), "0");

    // A machine whose app closes says goodbye, and the others stop listing it.
    drop(impostor);
    wait_for("the closed machine leaves the list", 10, || {
        !front.peers().iter().any(|l| l.starts_with(&p.nodes[2]))
    });
}

/// A socket bound inside namespace `ns`: a socket stays in the namespace it was made in, so
/// the test's own server answers there (and only there) through it.
fn listen_in(ns: &str) -> std::net::TcpListener {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let handle = std::fs::File::open(&path).unwrap();
        nix::sched::setns(&handle, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        std::net::TcpListener::bind("0.0.0.0:0").unwrap()
    })
    .join()
    .unwrap()
}

#[test]
fn when_the_server_comes_back_it_gets_every_change_once_whichever_machine_sends_it() {
    let Some(lan) = Lan::make('s', &["front", "exam", "srv"]) else {
        eprintln!("SKIPPED: network namespaces cannot be made here (needs root and iproute2)");
        return;
    };
    let p = prepare();
    // The server: enrolled with over loopback, reached by the machines on the LAN.
    let server_dir = tempfile::tempdir().unwrap();
    let server = support::Server::start(server_dir.path());
    let inside = listen_in(&lan.ns("srv"));
    let lan_url = format!("http://10.77.0.3:{}", inside.local_addr().unwrap().port());
    server.also_on(inside);
    for (data, key) in &p.dirs[..2] {
        let key = KeySource::KeyFile(key.clone());
        ayada_client::enroll(data, &key, &server.url, support::OWNER_EMAIL, PW).unwrap();
        let mut clinic = Clinic::open(data, &key).unwrap();
        ayada_client::sync(&mut clinic, 500, &mut |_, _| {}).unwrap();
        let mut settings = clinic.sync_settings().unwrap().unwrap();
        settings.server = lan_url.clone();
        clinic.set_sync_settings(&settings).unwrap();
    }
    let before = server.hashes().len();

    // The internet goes down: the server's cable is cut.
    lan.cable(2, false);
    let mut front = Host::start(&lan.ns("front"), &p.dirs[0].0, &p.dirs[0].1, true);
    let mut exam = Host::start(&lan.ns("exam"), &p.dirs[1].0, &p.dirs[1].1, true);
    wait_for("the machines find each other", 30, || {
        reachable(&front.peers(), &p.nodes[1]) && reachable(&exam.peers(), &p.nodes[0])
    });
    assert_eq!(front.ask("add Nour Offline"), "added");
    assert!(exam.ask("wait Nour Offline 2").starts_with("found"));
    assert_eq!(exam.ask("add Karim Offline"), "added");
    assert!(front.ask("wait Karim Offline 2").starts_with("found"));
    // Both hold both writes, and the server has none of them.
    for host in [&mut front, &mut exam] {
        let unsent: u64 = host.ask("unsent").parse().unwrap();
        assert!(unsent >= 2, "unsent: {unsent}");
    }
    assert_eq!(server.hashes().len(), before);

    // The server comes back: each machine pushes what it holds, its own and what came over
    // the LAN; the server keeps each change once, and everyone ends with the same log.
    lan.cable(2, true);
    wait_for("every change reaches the server", 120, || {
        front.ask("unsent") == "0" && exam.ask("unsent") == "0"
    });
    wait_for("the machines and the server hold the same log", 30, || {
        let mut held = server.hashes();
        held.sort();
        front.lines("log") == held && exam.lines("log") == held
    });
    let held = server.hashes();
    let once: std::collections::HashSet<_> = held.iter().collect();
    assert_eq!(once.len(), held.len(), "a change held twice on the server");
    assert!(held.len() > before + 1);
    for host in [&mut front, &mut exam] {
        assert_eq!(host.ask("count Nour Offline"), "1");
        assert_eq!(host.ask("count Karim Offline"), "1");
    }
}
