//! A test host, not part of the product: a machine of the clinic as the LAN tests run it
//! inside a network namespace: it opens the
//! clinic in `DATA` (key file `KEY`), runs the LAN side (answering, mDNS, rounds) and takes
//! commands on stdin, one per line, answering each on stdout:
//!
//! - `add NAME`: the front desk registers a patient (and the loop is nudged);
//! - `wait NAME SECONDS`: `found MS` once a patient search finds NAME, else `missing`;
//! - `count NAME`: how many patients are called NAME;
//! - `peers`: the machines found, `node reachable|unreachable` each, then `end`;
//! - `log`: the hashes of every change this machine holds, sorted, one a line, then `end`;
//! - `invite`: the owner (login `owner`, the same password) opens an invitation; answers
//!   the join code;
//! - `unsent`: how many changes the sync server has not acknowledged yet;
//! - `quit`.
//!
//! The front desk logs in as `AYADA_DESK_LOGIN` ("desk" unless told) with
//! `AYADA_DESK_PASSWORD`. With `AYADA_SYNC=1` the machine also runs the app's sync loop with
//! the server it is enrolled with, and what a LAN round brings nudges it, as in the app.
//! With `AYADA_JOIN_CODE` set, the data folder starts empty and the machine first joins the
//! clinic through the machine that showed that code, found by mDNS.

use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ayada_client::lan_loop::LanLoop;
use ayada_client::sync_loop::Nudge;
use ayada_core::patients::NewPatient;
use ayada_core::replication::SERVER_PEER;
use ayada_core::{Clinic, KeySource, Session};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, key) = (&args[1], &args[2]);
    if let Ok(code) = std::env::var("AYADA_JOIN_CODE") {
        let key = KeySource::KeyFile(key.into());
        ayada_client::lan_join::join(data.as_ref(), &key, &code, "joined", &[], &mut |_, _| {})
            .expect("the machine joins the clinic");
    }
    let clinic = Clinic::open(data.as_ref(), &KeySource::KeyFile(key.into())).expect("open");
    let clinic = Arc::new(Mutex::new(clinic));
    let password = std::env::var("AYADA_DESK_PASSWORD").expect("AYADA_DESK_PASSWORD");
    let login = std::env::var("AYADA_DESK_LOGIN").unwrap_or_else(|_| "desk".into());
    let desk = clinic
        .lock()
        .unwrap()
        .login(&login, &password)
        .expect("the desk logs in");
    let sync = (std::env::var("AYADA_SYNC").is_ok_and(|v| v == "1"))
        .then(|| ayada_client::sync_loop::spawn(clinic.clone(), |_, _| {}));
    let onward = sync.clone();
    let lan = LanLoop::spawn(
        clinic.clone(),
        "0.0.0.0:0".parse().unwrap(),
        move |_, round| {
            if let Some(sync) = onward.as_ref().filter(|_| round.changed_here()) {
                sync.nudge(Nudge::Local);
            }
        },
    )
    .expect("the LAN side starts");
    let out = std::io::stdout();
    println!("ready {}", lan.addr().unwrap());
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let mut words = line.splitn(2, ' ');
        let command = words.next().unwrap_or_default();
        let rest = words.next().unwrap_or_default();
        let mut out = out.lock();
        match command {
            "add" => {
                let mut c = clinic.lock().unwrap();
                let patient = NewPatient {
                    name: rest.into(),
                    phone: "01012345678".into(),
                    ..Default::default()
                };
                c.add_patient(&desk, &patient).unwrap();
                drop(c);
                lan.nudge();
                if let Some(sync) = &sync {
                    sync.nudge(Nudge::Local);
                }
                writeln!(out, "added").unwrap();
            }
            "wait" => {
                let (name, secs) = rest.rsplit_once(' ').unwrap();
                let start = Instant::now();
                let limit = Duration::from_secs(secs.parse().unwrap());
                let found = loop {
                    if count(&clinic, &desk, name) > 0 {
                        break true;
                    }
                    if start.elapsed() > limit {
                        break false;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                };
                if found {
                    writeln!(out, "found {}", start.elapsed().as_millis()).unwrap();
                } else {
                    writeln!(out, "missing").unwrap();
                }
            }
            "count" => writeln!(out, "{}", count(&clinic, &desk, rest)).unwrap(),
            "peers" => {
                for m in lan.machines() {
                    let state = if m.reachable {
                        "reachable"
                    } else {
                        "unreachable"
                    };
                    let why = m.last_error.unwrap_or_default();
                    writeln!(out, "{} {state} {why}", m.node).unwrap();
                }
                writeln!(out, "end").unwrap();
            }
            "log" => {
                let c = clinic.lock().unwrap();
                let mut all: Vec<String> = c
                    .changes_after(0, usize::MAX)
                    .unwrap()
                    .into_iter()
                    .map(|change| change.hash)
                    .collect();
                all.sort();
                for hash in all {
                    writeln!(out, "{hash}").unwrap();
                }
                writeln!(out, "end").unwrap();
            }
            "invite" => {
                let mut c = clinic.lock().unwrap();
                let owner = c.login("owner", &password).unwrap();
                let opened = ayada_client::lan_join::invite(&mut c, &owner).unwrap();
                writeln!(out, "{}", opened.code).unwrap();
            }
            "unsent" => {
                let c = clinic.lock().unwrap();
                let pushed = c.sync_settings().unwrap().map_or(0, |s| s.pushed);
                writeln!(out, "{}", c.count_for(SERVER_PEER, pushed).unwrap()).unwrap();
            }
            "quit" => {
                if let Some(sync) = &sync {
                    sync.stop();
                }
                return;
            }
            other => writeln!(out, "unknown {other}").unwrap(),
        }
        out.flush().unwrap();
    }
}

fn count(clinic: &Mutex<Clinic>, desk: &Session, name: &str) -> usize {
    let mut c = clinic.lock().unwrap();
    c.search_patients(desk, name, 50)
        .unwrap()
        .into_iter()
        .filter(|p| p.name == name)
        .count()
}
