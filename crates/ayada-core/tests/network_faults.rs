//! Random clinic work on 3–5 machines over a network that drops, duplicates, reorders and
//! pages its messages, with machines that crash (lose everything in memory) and reopen from
//! disk. Once the network heals and everyone has pulled from everyone, every machine holds
//! identical documents and identical projections.

use ayada_core::appointments::{Booking, Status};
use ayada_core::patients::{NewPatient, PatientEdit};
use ayada_core::replication::IncomingChange;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::{Clinic, InitOptions, KeySource, Session};
use proptest::prelude::*;

mod support;

const PW: &str = "owner-pass-1";

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
    Pull {
        to: usize,
        from: usize,
        page: usize,
        fault: Fault,
    },
    Crash {
        peer: usize,
    },
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    Drop,
    Duplicate,
    Reverse,
}

fn step(peers: usize) -> impl Strategy<Value = Step> {
    let p = 0..peers;
    prop_oneof![
        3 => (p.clone(), any::<u16>()).prop_map(|(peer, n)| Step::AddPatient { peer, n }),
        4 => (p.clone(), 0..64usize, 0..12u8).prop_map(|(peer, patient, slot)| Step::Book { peer, patient, slot }),
        3 => (p.clone(), 0..64usize, 0..4u8).prop_map(|(peer, appointment, status)| Step::Advance { peer, appointment, status }),
        2 => (p.clone(), 0..64usize, any::<u16>()).prop_map(|(peer, patient, n)| Step::Rename { peer, patient, n }),
        5 => (p.clone(), p.clone(), 1..40usize, prop_oneof![Just(Fault::None), Just(Fault::Drop), Just(Fault::Duplicate), Just(Fault::Reverse)])
            .prop_map(|(to, from, page, fault)| Step::Pull { to, from, page, fault }),
        1 => p.prop_map(|peer| Step::Crash { peer }),
    ]
}

struct Peer {
    clinic: Clinic,
    desk: Session,
    cursors: Vec<i64>,
    dir: std::path::PathBuf,
    key: KeySource,
}

struct Net {
    peers: Vec<Peer>,
    _tmp: tempfile::TempDir,
}

impl Net {
    fn new(n: usize) -> Net {
        let tmp = tempfile::tempdir().unwrap();
        let key = |i: usize| KeySource::KeyFile(tmp.path().join(format!("k{i}")));
        let dir = |i: usize| tmp.path().join(format!("m{i}"));
        let options = InitOptions::in_egypt("Net", "owner", "Owner", PW);
        let (mut first, owner) = Clinic::init(&dir(0), &key(0), &options).unwrap();
        support::add_desk_and_doctor(&mut first, &owner, "desk", PW);
        let seed: Vec<IncomingChange> = first
            .changes_after(0, 10_000)
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect();
        let desk = first.login("desk", PW).unwrap();
        let mut peers = vec![Peer {
            clinic: first,
            desk,
            cursors: vec![0; n],
            dir: dir(0),
            key: key(0),
        }];
        for i in 1..n {
            let mut c = Clinic::join(
                &dir(i),
                &key(i),
                peers[0].clinic.id(),
                ayada_core::ids::NodeId::new(),
                "Africa/Cairo",
            )
            .unwrap();
            c.apply_changes(&seed).unwrap();
            let desk = c.login("desk", PW).unwrap();
            peers.push(Peer {
                clinic: c,
                desk,
                cursors: vec![0; n],
                dir: dir(i),
                key: key(i),
            });
        }
        Net { peers, _tmp: tmp }
    }

    fn patients(&mut self, peer: usize) -> Vec<ayada_core::ids::PatientId> {
        let p = &mut self.peers[peer];
        p.clinic
            .search_patients(&p.desk, "pt", 200)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    fn appointments(&mut self, peer: usize) -> Vec<ayada_core::ids::AppointmentId> {
        let p = &mut self.peers[peer];
        p.clinic
            .appointments(&p.desk, parse_date("2030-01-05").unwrap())
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect()
    }

    fn pull(&mut self, to: usize, from: usize, page: usize, fault: Fault) {
        if to == from {
            return;
        }
        let since = self.peers[to].cursors[from];
        let changes = self.peers[from].clinic.changes_after(since, page).unwrap();
        let Some(last) = changes.last().map(|c| c.seq) else {
            return;
        };
        let mut batch: Vec<IncomingChange> = changes.into_iter().map(Into::into).collect();
        match fault {
            Fault::Drop => return,
            Fault::Duplicate => batch.extend(batch.clone()),
            Fault::Reverse => batch.reverse(),
            Fault::None => {}
        }
        let report = self.peers[to].clinic.apply_changes(&batch).unwrap();
        assert!(report.refused.is_empty(), "{report:?}");
        // A cursor only moves past a page that arrived whole; deferred changes come again.
        if report.deferred.is_empty() {
            self.peers[to].cursors[from] = last;
        }
    }

    fn crash(&mut self, i: usize) {
        let p = &mut self.peers[i];
        let reopened = Clinic::open(&p.dir, &p.key).unwrap();
        p.clinic = reopened;
        p.desk = p.clinic.login("desk", PW).unwrap();
    }

    fn run(&mut self, s: &Step) {
        match *s {
            Step::AddPatient { peer, n } => {
                let p = &mut self.peers[peer];
                p.clinic
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
                let _ = p.clinic.book(&p.desk, &booking);
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
                let _ = p.clinic.set_appointment_status(
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
                    .update_patient(&p.desk, patients[patient % patients.len()], &edit)
                    .unwrap();
            }
            Step::Pull {
                to,
                from,
                page,
                fault,
            } => self.pull(to, from, page, fault),
            Step::Crash { peer } => self.crash(peer),
        }
    }

    fn heal(&mut self) {
        let n = self.peers.len();
        // Everyone pulls from everyone until nothing moves (at most n rounds carry any change).
        for _ in 0..n + 1 {
            for to in 0..n {
                for from in 0..n {
                    loop {
                        let before = self.peers[to].cursors[from];
                        self.pull(to, from, 500, Fault::None);
                        if self.peers[to].cursors[from] == before {
                            break;
                        }
                    }
                }
            }
        }
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
        let heads = net.peers[0].clinic.document_heads().unwrap();
        let rows = net.peers[0].clinic.projection_snapshot().unwrap();
        let conflicts = {
            let p = &mut net.peers[0];
            p.clinic.conflicts(&p.desk).unwrap()
        };
        for i in 1..n {
            prop_assert_eq!(&net.peers[i].clinic.document_heads().unwrap(), &heads, "documents of machine {}", i);
            prop_assert_eq!(&net.peers[i].clinic.projection_snapshot().unwrap(), &rows, "projections of machine {}", i);
            let p = &mut net.peers[i];
            prop_assert_eq!(&p.clinic.conflicts(&p.desk).unwrap(), &conflicts);
        }
        // And what sync built equals a rebuild from the documents.
        net.peers[n - 1].clinic.rebuild_projections().unwrap();
        prop_assert_eq!(&net.peers[n - 1].clinic.projection_snapshot().unwrap(), &rows);
    }
}
