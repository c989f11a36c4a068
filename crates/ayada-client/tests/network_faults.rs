//! Random clinic work on 3–5 machines and the real sync server, over a network that loses,
//! repeats, cuts and reorders its messages, with machines that crash (lose everything in
//! memory) and reopen from disk. Every exchange is a round of the one replication core
//! ([`ayada_sync::replica`]) through the same driver: with the server over loopback HTTP, or
//! with another machine through the answering side it gives on the LAN
//! ([`ayada_client::answer`]). A change may reach the server from its author or from a
//! machine it crossed the LAN to, or both. Once the network heals and everyone has synced
//! with everyone, every machine holds identical documents, projections and conflicts, and
//! the server holds every change exactly once.

use std::collections::HashSet;
use std::sync::Mutex;

use ayada_client::drive::{drive, fetch_from_machine, Access, Peer, Side};
use ayada_client::{ClientError, ServerLink};
use ayada_core::appointments::{Booking, Status};
use ayada_core::patients::{NewPatient, PatientEdit};
use ayada_core::time::{parse_date, parse_time};
use ayada_core::{Clinic, InitOptions, KeySource, Role, Session};
use ayada_sync::replica::{Request, Response};
use proptest::prelude::*;

mod support;
use support::{Server, OWNER_EMAIL};

use support::PW;

#[derive(Debug, Clone)]
enum Step {
    AddPatient {
        peer: usize,
        n: u16,
    },
    Book {
        peer: usize,
        patient: usize,
        slot: u8,
    },
    Advance {
        peer: usize,
        appointment: usize,
        status: u8,
    },
    Rename {
        peer: usize,
        patient: usize,
        n: u16,
    },
    Sync {
        to: usize,
        from: usize,
        page: usize,
        fault: Fault,
    },
    Crash {
        peer: usize,
    },
    /// A round of machine `peer` with the sync server.
    Server {
        peer: usize,
        page: usize,
        fault: Fault,
    },
}

/// What the network does to a round's messages.
#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    /// The `n`th request is lost: the round ends there, as a cut connection does.
    Lose(u8),
    /// Every request arrives twice (its first answer is the one that comes back).
    Repeat,
    /// Every page's changes arrive in reverse order.
    Reverse,
    /// The `n`th answer is lost after the peer acted on the request.
    LoseAnswer(u8),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::None),
        (0..6u8).prop_map(Fault::Lose),
        Just(Fault::Repeat),
        Just(Fault::Reverse),
        (0..6u8).prop_map(Fault::LoseAnswer)
    ]
}

fn step(peers: usize) -> impl Strategy<Value = Step> {
    let p = 0..peers;
    prop_oneof![
        3 => (p.clone(), any::<u16>()).prop_map(|(peer, n)| Step::AddPatient { peer, n }),
        4 => (p.clone(), 0..64usize, 0..12u8).prop_map(|(peer, patient, slot)| Step::Book { peer, patient, slot }),
        3 => (p.clone(), 0..64usize, 0..4u8).prop_map(|(peer, appointment, status)| Step::Advance { peer, appointment, status }),
        2 => (p.clone(), 0..64usize, any::<u16>()).prop_map(|(peer, patient, n)| Step::Rename { peer, patient, n }),
        5 => (p.clone(), p.clone(), 1..40usize, fault())
            .prop_map(|(to, from, page, fault)| Step::Sync { to, from, page, fault }),
        1 => p.clone().prop_map(|peer| Step::Crash { peer }),
        3 => (p, 1..40usize, fault()).prop_map(|(peer, page, fault)| Step::Server { peer, page, fault }),
    ]
}

struct Machine {
    clinic: Mutex<Clinic>,
    desk: Session,
    node: String,
    dir: std::path::PathBuf,
    key: KeySource,
}

struct Net {
    peers: Vec<Machine>,
    server: Server,
    _tmp: tempfile::TempDir,
}

/// What the network does on the way to a peer and back.
struct Faulty<P> {
    peer: P,
    fault: Fault,
    asked: u8,
}

impl<P: Peer> Faulty<P> {
    fn deliver(&mut self, request: Request) -> Result<Response, ClientError> {
        let n = self.asked;
        self.asked = self.asked.saturating_add(1);
        if matches!(self.fault, Fault::Lose(k) if k == n) {
            return Err(lost());
        }
        let mut answer = self.peer.ask(request.clone())?;
        if let Fault::Repeat = self.fault {
            self.peer.ask(request)?;
        }
        if matches!(self.fault, Fault::LoseAnswer(k) if k == n) {
            return Err(lost());
        }
        if let (Fault::Reverse, Response::Pull(page)) = (self.fault, &mut answer) {
            page.changes.reverse();
        }
        Ok(answer)
    }
}

impl<P: Peer> Peer for Faulty<P> {
    fn ask(&mut self, request: Request) -> Result<Response, ClientError> {
        self.deliver(request)
    }

    fn send_photos(&mut self, access: &dyn Access) -> Result<usize, ClientError> {
        self.peer.send_photos(access)
    }

    fn fetch_photos(&mut self, access: &dyn Access) -> Result<usize, ClientError> {
        self.peer.fetch_photos(access)
    }
}

/// Another machine of the clinic as the LAN reaches it: every request is answered by its
/// answering side, as `me`'s.
struct Wire<'a> {
    other: &'a Mutex<Clinic>,
    me: &'a str,
}

fn lost() -> ClientError {
    ClientError::Said(ayada_core::Said::new("client-unexpected").with("detail", "lost"))
}

impl Peer for Wire<'_> {
    fn ask(&mut self, request: Request) -> Result<Response, ClientError> {
        ayada_client::answer::answer(&mut self.other.lock().unwrap(), self.me, request)
    }

    fn send_photos(&mut self, _: &dyn Access) -> Result<usize, ClientError> {
        Ok(0) // between machines each side fetches what it lacks
    }

    fn fetch_photos(&mut self, access: &dyn Access) -> Result<usize, ClientError> {
        fetch_from_machine(&mut |r| self.ask(r), access)
    }
}

impl Net {
    fn new(n: usize) -> Net {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start(&tmp.path().join("server"));
        let key = |i: usize| KeySource::KeyFile(tmp.path().join(format!("k{i}")));
        let dir = |i: usize| tmp.path().join(format!("m{i}"));
        let options = InitOptions::in_egypt("Net", "owner", "Owner", PW);
        let (mut first, owner) = Clinic::init(&dir(0), &key(0), &options).unwrap();
        first
            .add_staff(&owner, "منى", "desk", Role::Receptionist, PW)
            .unwrap();
        first
            .add_staff(&owner, "د. سارة", "dr.sara", Role::Doctor, PW)
            .unwrap();
        let desk = first.login("desk", PW).unwrap();
        drop(first);
        let mut peers = Vec::new();
        // The first machine brings its clinic to the server; the others join through it.
        for i in 0..n {
            ayada_client::enroll(&dir(i), &key(i), &server.url, OWNER_EMAIL, PW).unwrap();
            let clinic = Clinic::open(&dir(i), &key(i)).unwrap();
            peers.push(Machine {
                desk: desk.clone(), // until this machine has its own staff list, below
                node: clinic.node().to_string(),
                clinic: Mutex::new(clinic),
                dir: dir(i),
                key: key(i),
            });
        }
        let mut net = Net {
            peers,
            server,
            _tmp: tmp,
        };
        for i in 0..n {
            net.with_server(i, 500, Fault::None).unwrap();
            net.peers[i].desk = net.clinic(i).login("desk", PW).unwrap();
        }
        net
    }

    /// One round of machine `i` with the sync server.
    fn with_server(&mut self, i: usize, page: usize, fault: Fault) -> Result<(), ClientError> {
        let me = &self.peers[i];
        let link = ServerLink::connect(&me.clinic.lock().unwrap())?;
        let mut link = Faulty {
            peer: link,
            fault,
            asked: 0,
        };
        let report = drive(&me.clinic, &mut link, &Side::Server, page, &mut |_, _| {})?;
        assert!(report.refused.is_empty(), "{report:?}");
        Ok(())
    }

    fn patients(&mut self, peer: usize) -> Vec<ayada_core::ids::PatientId> {
        let p = &mut self.peers[peer];
        p.clinic
            .get_mut()
            .unwrap()
            .search_patients(&p.desk, "pt", 200)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    fn appointments(&mut self, peer: usize) -> Vec<ayada_core::ids::AppointmentId> {
        let p = &mut self.peers[peer];
        p.clinic
            .get_mut()
            .unwrap()
            .appointments(&p.desk, parse_date("2030-01-05").unwrap())
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect()
    }

    /// One round of machine `to` with machine `from`: `to` pushes what `from` lacks and
    /// pulls what it lacks itself. A lost message ends the round, as a cut connection does.
    fn sync(
        &mut self,
        to: usize,
        from: usize,
        page: usize,
        fault: Fault,
    ) -> Result<(), ClientError> {
        if to == from {
            return Ok(());
        }
        let (me, other) = (&self.peers[to], &self.peers[from]);
        let mut wire = Faulty {
            peer: Wire {
                other: &other.clinic,
                me: &me.node,
            },
            fault,
            asked: 0,
        };
        let side = Side::Machine(other.node.clone());
        let report = drive(&me.clinic, &mut wire, &side, page, &mut |_, _| {})?;
        assert!(report.refused.is_empty(), "{report:?}");
        Ok(())
    }

    fn crash(&mut self, i: usize) {
        let p = &mut self.peers[i];
        let reopened = Clinic::open(&p.dir, &p.key).unwrap();
        p.clinic = Mutex::new(reopened);
        p.desk = p.clinic.get_mut().unwrap().login("desk", PW).unwrap();
    }

    fn run(&mut self, s: &Step) {
        match *s {
            Step::AddPatient { peer, n } => {
                let p = &mut self.peers[peer];
                p.clinic
                    .get_mut()
                    .unwrap()
                    .add_patient(
                        &p.desk,
                        &NewPatient {
                            name: format!("pt {n}"),
                            phone: format!("0101{:07}", n),
                            ..Default::default()
                        },
                    )
                    .unwrap();
            }
            Step::Book {
                peer,
                patient,
                slot,
            } => {
                let patients = self.patients(peer);
                if patients.is_empty() {
                    return;
                }
                let p = &mut self.peers[peer];
                let time =
                    parse_time(&format!("{}:{:02}", 10 + slot / 3, (slot % 3) * 20)).unwrap();
                let booking = Booking {
                    patient: patients[patient % patients.len()],
                    doctor_login: "dr.sara".into(),
                    date: parse_date("2030-01-05").unwrap(),
                    time,
                    visit_type: "examination".into(),
                };
                // A slot this machine already sees as taken is refused locally; that is fine.
                let _ = p.clinic.get_mut().unwrap().book(&p.desk, &booking);
            }
            Step::Advance {
                peer,
                appointment,
                status,
            } => {
                let list = self.appointments(peer);
                if list.is_empty() {
                    return;
                }
                let p = &mut self.peers[peer];
                let next = [
                    Status::Arrived,
                    Status::InExam,
                    Status::NoShow,
                    Status::Cancelled,
                ][status as usize];
                let _ = p.clinic.get_mut().unwrap().set_appointment_status(
                    &p.desk,
                    list[appointment % list.len()],
                    next,
                    Some("changed plans"),
                );
            }
            Step::Rename { peer, patient, n } => {
                let patients = self.patients(peer);
                if patients.is_empty() {
                    return;
                }
                let p = &mut self.peers[peer];
                let edit = PatientEdit {
                    name: Some(format!("pt renamed {n}")),
                    ..Default::default()
                };
                p.clinic
                    .get_mut()
                    .unwrap()
                    .update_patient(&p.desk, patients[patient % patients.len()], &edit)
                    .unwrap();
            }
            Step::Sync {
                to,
                from,
                page,
                fault,
            } => {
                let cut = matches!(fault, Fault::Lose(_) | Fault::LoseAnswer(_));
                let done = self.sync(to, from, page, fault);
                assert!(cut || done.is_ok(), "{done:?}");
            }
            Step::Crash { peer } => self.crash(peer),
            Step::Server { peer, page, fault } => {
                let cut = matches!(fault, Fault::Lose(_) | Fault::LoseAnswer(_));
                let done = self.with_server(peer, page, fault);
                assert!(cut || done.is_ok(), "{done:?}");
            }
        }
    }

    fn heal(&mut self) {
        let n = self.peers.len();
        // Everyone syncs with the server and with everyone; n rounds carry any change through
        // any chain.
        for _ in 0..n {
            for i in 0..n {
                self.with_server(i, 500, Fault::None).unwrap();
            }
            for to in 0..n {
                for from in 0..n {
                    self.sync(to, from, 500, Fault::None).unwrap();
                    // One whole round leaves both holding what either held: it pushes every
                    // change the other lacks and pulls every change it lacks itself.
                    if to != from {
                        let heads = self.clinic(to).document_heads().unwrap();
                        assert_eq!(
                            heads,
                            self.clinic(from).document_heads().unwrap(),
                            "machine {to} after a round with machine {from}"
                        );
                    }
                }
            }
        }
    }

    fn clinic(&mut self, i: usize) -> &mut Clinic {
        self.peers[i].clinic.get_mut().unwrap()
    }
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (3..=5usize).prop_flat_map(|n| (Just(n), prop::collection::vec(step(n), 10..60)))
}

/// Twelve scenarios in the test command; `AYADA_PROPTEST_CASES` asks for more (a long search,
/// docs/BENCHMARKS.md). A failure is shrunk and its seed written to
/// `network_faults.regressions` beside this file, which is committed: every later run
/// replays it first.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("AYADA_PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(12),
        max_shrink_iters: 200,
        failure_persistence: Some(Box::new(
            prop::test_runner::FileFailurePersistence::WithSource("regressions"),
        )),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn machines_converge_whatever_the_network_did((n, steps) in scenario()) {
        let mut net = Net::new(n);
        for s in &steps {
            net.run(s);
        }
        net.heal();
        let heads = net.clinic(0).document_heads().unwrap();
        let rows = net.clinic(0).projection_snapshot().unwrap();
        let desk = net.peers[0].desk.clone();
        let conflicts = net.clinic(0).conflicts(&desk).unwrap();
        for i in 1..n {
            prop_assert_eq!(&net.clinic(i).document_heads().unwrap(), &heads, "documents of machine {}", i);
            prop_assert_eq!(&net.clinic(i).projection_snapshot().unwrap(), &rows, "projections of machine {}", i);
            let desk = net.peers[i].desk.clone();
            prop_assert_eq!(&net.clinic(i).conflicts(&desk).unwrap(), &conflicts);
        }
        // The server holds every change once, whichever paths it took: the first machine
        // never loaded documents whole, so its log holds every change of the clinic.
        let held = net.server.hashes();
        let distinct: HashSet<&String> = held.iter().collect();
        prop_assert_eq!(distinct.len(), held.len(), "a change held twice on the server");
        let everything = net.clinic(0).changes_after(0, usize::MAX).unwrap();
        prop_assert_eq!(held.len(), everything.len());
        // And what sync built equals a rebuild from the documents.
        net.clinic(n - 1).rebuild_projections().unwrap();
        prop_assert_eq!(&net.clinic(n - 1).projection_snapshot().unwrap(), &rows);
    }
}
