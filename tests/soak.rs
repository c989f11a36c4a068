//! A soak under real network faults. Five machines of one clinic write 10,000 operations
//! between them (new patients, edits, expenses on the shared cash book) and sync with the
//! real server all along, each through its own TCP proxy that delays, stalls and cuts
//! connections at random moments (mid-request and mid-answer) and partitions its machine
//! from the server for seconds at a time. Then the network heals and the machines sync until
//! they hold the same documents: not one write is lost, every machine shows every patient
//! with its last edit and every expense.
//!
//! `AYADA_SOAK_OPS` sets the number of operations, `AYADA_SOAK_SEED` the faults' seed;
//! docs/BENCHMARKS.md has the long run and the figures.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ayada_core::patients::{NewPatient, PatientEdit};
use ayada_core::{Clinic, Money};
use common::{Machine, Server};

const EMAIL: &str = "owner@soak.example";
const PASSWORD: &str = "owner-pass-1";
const MACHINES: usize = 5;

/// splitmix64: the faults' dice, reproducible from a seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the proxies did, for the test's report.
#[derive(Default)]
struct Tally {
    connections: AtomicU64,
    cut: AtomicU64,
    stalled: AtomicU64,
    delayed: AtomicU64,
    refused: AtomicU64,
}

/// One machine's way to the server, and the faults on it.
struct Proxy {
    addr: SocketAddr,
    /// Faults on (the soak) or off (setup, and healing at the end).
    faulty: Arc<AtomicBool>,
    /// Milliseconds since `epoch` until which the machine is cut off from the server.
    partitioned_until: Arc<AtomicU64>,
}

/// What happens to one connection.
#[derive(Clone, Copy)]
enum Fault {
    None,
    /// Every chunk waits this long.
    Delay(Duration),
    /// After this many bytes in either direction, nothing moves for a while.
    Stall(u64, Duration),
    /// After this many bytes in either direction, both ends are closed.
    Cut(u64),
}

fn millis(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}

impl Proxy {
    fn start(upstream: SocketAddr, seed: u64, tally: Arc<Tally>, epoch: Instant) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let faulty = Arc::new(AtomicBool::new(false));
        let partitioned_until = Arc::new(AtomicU64::new(0));
        let (f, p) = (faulty.clone(), partitioned_until.clone());
        thread::spawn(move || {
            let mut dice = Dice(seed);
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                tally.connections.fetch_add(1, Ordering::Relaxed);
                let cut_off =
                    || f.load(Ordering::Relaxed) && millis(epoch) < p.load(Ordering::Relaxed);
                if cut_off() {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                    continue; // dropped: the machine sees its connection reset
                }
                let fault = if !f.load(Ordering::Relaxed) {
                    Fault::None
                } else {
                    match dice.below(100) {
                        0..=59 => Fault::None,
                        60..=74 => {
                            tally.delayed.fetch_add(1, Ordering::Relaxed);
                            Fault::Delay(Duration::from_millis(10 + dice.below(150)))
                        }
                        75..=84 => {
                            tally.stalled.fetch_add(1, Ordering::Relaxed);
                            Fault::Stall(
                                dice.below(8192),
                                Duration::from_millis(500 + dice.below(2500)),
                            )
                        }
                        _ => {
                            tally.cut.fetch_add(1, Ordering::Relaxed);
                            Fault::Cut(dice.below(16384))
                        }
                    }
                };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let (f, p) = (f.clone(), p.clone());
                thread::spawn(move || {
                    relay(client, server, fault, move || {
                        f.load(Ordering::Relaxed) && millis(epoch) < p.load(Ordering::Relaxed)
                    })
                });
            }
        });
        Proxy {
            addr,
            faulty,
            partitioned_until,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Carries bytes both ways until either end closes, the fault cuts the connection, or a
/// partition starts.
fn relay(
    client: TcpStream,
    server: TcpStream,
    fault: Fault,
    cut_off: impl Fn() -> bool + Send + Sync + 'static,
) {
    let moved = Arc::new(AtomicU64::new(0));
    let closed = Arc::new(AtomicBool::new(false));
    let cut_off = Arc::new(cut_off);
    let pump = |mut from: TcpStream, mut to: TcpStream| {
        let (moved, closed, cut_off) = (moved.clone(), closed.clone(), cut_off.clone());
        move || {
            // Short reads, so a partition or the other direction's close is noticed.
            from.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let mut stalled = false;
            let mut buf = [0u8; 4096];
            loop {
                if closed.load(Ordering::Relaxed) || cut_off() {
                    break;
                }
                let n = match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        continue
                    }
                    Err(_) => break,
                };
                let total = moved.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
                match fault {
                    Fault::None => {}
                    Fault::Delay(d) => thread::sleep(d),
                    Fault::Stall(after, d) if total >= after && !stalled => {
                        stalled = true;
                        thread::sleep(d);
                    }
                    Fault::Stall(..) => {}
                    Fault::Cut(after) if total >= after => {
                        // Part of this chunk goes through, then the line is cut.
                        let part = (n as u64).saturating_sub(total - after) as usize;
                        let _ = to.write_all(&buf[..part]);
                        break;
                    }
                    Fault::Cut(_) => {}
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            closed.store(true, Ordering::Relaxed);
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
        }
    };
    let up = thread::spawn(pump(
        client.try_clone().unwrap(),
        server.try_clone().unwrap(),
    ));
    pump(server, client)();
    let _ = up.join();
}

/// What one machine wrote, and how its syncs went.
#[derive(Default)]
struct Written {
    /// Every patient it registered, with the name its last edit gave.
    patients: BTreeMap<String, String>,
    /// Every expense it recorded: id, and amount in piastres.
    expenses: BTreeMap<String, i64>,
    /// The clinic days the expenses fell on (two, if the soak crosses midnight in Cairo).
    days: BTreeSet<jiff::civil::Date>,
    ops: u64,
    syncs_ok: u64,
    syncs_failed: u64,
}

/// Writes `ops` operations on machine `i`, syncing every few of them whatever the network
/// does; a failed sync is tried again at the next turn, as the app's loop does.
fn work(i: usize, clinic: &mut Clinic, ops: u64, seed: u64) -> Written {
    let mut dice = Dice(seed);
    let owner = clinic.login("owner", PASSWORD).unwrap();
    // Expenses come out of this desk's drawer.
    clinic.open_shift(&owner, Money(0)).unwrap();
    let mut w = Written::default();
    let mut ids: Vec<ayada_core::ids::PatientId> = Vec::new();
    let mut next_sync = 5 + dice.below(30);
    let mut n = 0u64;
    while w.ops < ops {
        n += 1;
        // Six in ten new patients, one in ten an expense on the day's shared cash book (as
        // busy a day as a clinic has, and then some), the rest edits.
        match dice.below(10) {
            0..=5 => {
                let name = format!("Soak {i}-{n}");
                let p = clinic
                    .add_patient(
                        &owner,
                        &NewPatient {
                            name: name.clone(),
                            phone: format!("010{:08}", i as u64 * 10_000_000 + n),
                            gender: None,
                            dob: None,
                            medical_history: String::new(),
                            allergies: String::new(),
                        },
                    )
                    .unwrap();
                w.patients.insert(p.id.to_string(), name);
                ids.push(p.id);
            }
            6 => {
                let amount = (1 + dice.below(500) as i64) * 100;
                let e = clinic
                    .add_expense(&owner, Money(amount), "soak", &format!("{i}-{n}"))
                    .unwrap();
                w.expenses.insert(e.id.to_string(), amount);
                w.days.insert(clinic.time().today());
            }
            _ if !ids.is_empty() => {
                let id = ids[dice.below(ids.len() as u64) as usize];
                let name = format!("Soak {i}-{n} edited");
                clinic
                    .update_patient(
                        &owner,
                        id,
                        &PatientEdit {
                            name: Some(name.clone()),
                            phone: None,
                            gender: None,
                            medical_history: None,
                            allergies: None,
                        },
                    )
                    .unwrap();
                w.patients.insert(id.to_string(), name);
            }
            _ => continue,
        }
        w.ops += 1;
        if w.ops == next_sync {
            next_sync += 5 + dice.below(30);
            match ayada_client::sync(clinic, 200, &mut |_, _| {}) {
                Ok(_) => w.syncs_ok += 1,
                Err(_) => w.syncs_failed += 1,
            }
        }
    }
    w
}

#[test]
fn five_machines_through_a_faulty_network_lose_nothing_and_converge() {
    let total_ops: u64 = common::env_number("AYADA_SOAK_OPS", 10_000);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let seed: u64 = common::env_number("AYADA_SOAK_SEED", now.unwrap().as_nanos() as u64);
    eprintln!(
        "soak: {total_ops} operations over {MACHINES} machines, seed {seed} (AYADA_SOAK_SEED)"
    );
    let root = tempfile::tempdir().unwrap();
    let server = Server::with_clinics(root.path(), &[("soak", EMAIL)], PASSWORD);
    let upstream: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let epoch = Instant::now();
    let tally = Arc::new(Tally::default());
    let proxies: Vec<Proxy> = (0..MACHINES)
        .map(|i| {
            Proxy::start(
                upstream,
                seed ^ ((i as u64 + 1) * 0x1000_0001),
                tally.clone(),
                epoch,
            )
        })
        .collect();

    // Setup on a sound network: the first machine seeds the clinic, the others join it.
    let machines: Vec<Machine> = (0..MACHINES)
        .map(|i| Machine::new(root.path(), &format!("m{i}")))
        .collect();
    machines[0].ok_with_password(
        PASSWORD,
        &["init", "--clinic", "Soak", "--owner-login", "owner"],
    );
    for (m, p) in machines.iter().zip(&proxies) {
        m.ok_with_password(
            PASSWORD,
            &["enroll", "--server", &p.url(), "--email", EMAIL],
        );
        m.ok(None, &["sync"]);
    }

    // The soak: faults on, partitions come and go while the machines work.
    for p in &proxies {
        p.faulty.store(true, Ordering::Relaxed);
    }
    let running = Arc::new(AtomicBool::new(true));
    let partitions = {
        let running = running.clone();
        let cuts: Vec<Arc<AtomicU64>> = proxies
            .iter()
            .map(|p| p.partitioned_until.clone())
            .collect();
        thread::spawn(move || {
            let mut dice = Dice(seed ^ 0xDEAD_BEEF);
            let mut count = 0u64;
            while running.load(Ordering::Relaxed) {
                // About one machine in six cut off at any moment.
                thread::sleep(Duration::from_millis(1000 + dice.below(2000)));
                let who = dice.below(MACHINES as u64) as usize;
                let until = millis(epoch) + 500 + dice.below(2500);
                cuts[who].store(until, Ordering::Relaxed);
                count += 1;
            }
            count
        })
    };
    let started = Instant::now();
    let per_machine = total_ops.div_ceil(MACHINES as u64);
    let workers: Vec<_> = machines
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut clinic = m.open();
            thread::spawn(move || {
                let w = work(i, &mut clinic, per_machine, seed.wrapping_add(i as u64));
                (clinic, w)
            })
        })
        .collect();
    let (mut clinics, written): (Vec<Clinic>, Vec<Written>) =
        workers.into_iter().map(|h| h.join().unwrap()).unzip();
    let soak_time = started.elapsed();
    running.store(false, Ordering::Relaxed);
    let partition_count = partitions.join().unwrap();

    // The network heals; the machines sync until they hold the same documents.
    for p in &proxies {
        p.faulty.store(false, Ordering::Relaxed);
    }
    let healing = Instant::now();
    let mut rounds = 0;
    loop {
        rounds += 1;
        for c in clinics.iter_mut() {
            ayada_client::sync(c, 500, &mut |_, _| {}).expect("a sync on a healed network");
        }
        let heads: Vec<_> = clinics
            .iter()
            .map(|c| c.document_heads().unwrap())
            .collect();
        if heads.windows(2).all(|w| w[0] == w[1]) {
            break;
        }
        assert!(
            rounds < 10,
            "not converged after {rounds} rounds on a healed network"
        );
    }
    let converged_in = healing.elapsed();

    let ops: u64 = written.iter().map(|w| w.ops).sum();
    let syncs_ok: u64 = written.iter().map(|w| w.syncs_ok).sum();
    let syncs_failed: u64 = written.iter().map(|w| w.syncs_failed).sum();
    let c = |n: &AtomicU64| n.load(Ordering::Relaxed);
    eprintln!(
        "soak: {ops} operations in {:.1} s; syncs {syncs_ok} ok, {syncs_failed} failed; connections {} ({} cut, {} stalled, {} delayed, {} refused by {partition_count} partitions); converged {:.2} s after the network healed, in {rounds} rounds",
        soak_time.as_secs_f64(),
        c(&tally.connections),
        c(&tally.cut),
        c(&tally.stalled),
        c(&tally.delayed),
        c(&tally.refused),
        converged_in.as_secs_f64(),
    );
    assert!(ops >= total_ops, "only {ops} operations were written");
    assert!(
        syncs_failed > 0 && c(&tally.cut) > 0 && c(&tally.refused) > 0,
        "the faults never bit"
    );

    // Nothing lost: every machine shows every patient with its last edit and every expense.
    let patients: BTreeMap<&String, &String> = written.iter().flat_map(|w| &w.patients).collect();
    let expenses: BTreeMap<&String, &i64> = written.iter().flat_map(|w| &w.expenses).collect();
    let days: BTreeSet<_> = written
        .iter()
        .flat_map(|w| w.days.iter().copied())
        .collect();
    for (i, clinic) in clinics.iter_mut().enumerate() {
        let owner = clinic.login("owner", PASSWORD).unwrap();
        // Every patient as the app lists them (one query)...
        let listed: BTreeMap<String, String> = machines[i]
            .raw_db()
            .prepare("SELECT id, name FROM patients")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: BTreeMap<String, String> = patients
            .iter()
            .map(|(k, v)| ((*k).clone(), (*v).clone()))
            .collect();
        assert_eq!(listed, want, "machine {i}'s patients");
        // ...and a sample of them read from their documents, as a patient's file is.
        for (id, name) in patients.iter().step_by(patients.len().div_ceil(40)) {
            let file = clinic.patient_file(&owner, id.parse().unwrap()).unwrap();
            assert_eq!(&&file.patient.name, name, "machine {i}, patient {id}");
        }
        let mut held = BTreeMap::new();
        for day in &days {
            for e in clinic.cash_entries(&owner, *day).unwrap() {
                if e.category.as_deref() == Some("soak") {
                    held.insert(e.id.to_string(), e.amount.0);
                }
            }
        }
        let want: BTreeMap<String, i64> =
            expenses.iter().map(|(k, v)| ((*k).clone(), **v)).collect();
        assert_eq!(held, want, "machine {i}'s expenses");
    }
}
