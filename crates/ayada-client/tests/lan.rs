//! Two machines of one clinic syncing directly over TLS on the LAN (loopback here), with a
//! recording relay in the middle: what they write reaches each other in one round, nothing
//! readable crosses the wire, and a machine the clinic's list does not name (another
//! clinic's, or a revoked one) is refused from either side.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use ayada_client::lan::{self, Listener};
use ayada_core::ids::NodeId;
use ayada_core::patients::NewPatient;
use ayada_core::replication::IncomingChange;
use ayada_core::{Clinic, InitOptions, KeySource, Role, Session};

mod support;
use support::{Server, OWNER_EMAIL, PW};

struct Machine {
    clinic: Arc<Mutex<Clinic>>,
    _tmp: tempfile::TempDir,
}

impl Machine {
    fn lock(&self) -> std::sync::MutexGuard<'_, Clinic> {
        self.clinic.lock().unwrap()
    }

    fn key(&self) -> String {
        lan::identity(&mut self.lock()).unwrap().key_hex
    }

    /// Every change this machine's log holds, as a peer receives them.
    fn everything(&self) -> Vec<IncomingChange> {
        self.lock()
            .changes_after(0, usize::MAX)
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect()
    }

    fn clone_access(&self) -> Arc<Mutex<Clinic>> {
        self.clinic.clone()
    }

    fn node(&self) -> String {
        self.lock().node().to_string()
    }

    fn add_patient(&self, who: &Session, name: &str) {
        let patient = NewPatient {
            name: name.into(),
            phone: "01012345678".into(),
            ..Default::default()
        };
        self.lock().add_patient(who, &patient).unwrap();
    }

    fn finds(&self, who: &Session, name: &str) -> bool {
        !self
            .lock()
            .search_patients(who, name, 10)
            .unwrap()
            .is_empty()
    }
}

fn new_clinic(name: &str) -> (Machine, Session) {
    let tmp = tempfile::tempdir().unwrap();
    let (clinic, owner) = support::clinic_with_desk(tmp.path(), name);
    let m = Machine {
        clinic: Arc::new(Mutex::new(clinic)),
        _tmp: tmp,
    };
    (m, owner)
}

/// A second machine of `first`'s clinic, holding what `first` holds.
fn second(first: &Machine) -> Machine {
    let tmp = tempfile::tempdir().unwrap();
    let mut clinic = Clinic::join(
        &tmp.path().join("data"),
        &KeySource::KeyFile(tmp.path().join("k")),
        first.lock().id(),
        NodeId::new(),
        "Africa/Cairo",
    )
    .unwrap();
    clinic.apply_changes(&first.everything()).unwrap();
    Machine {
        clinic: Arc::new(Mutex::new(clinic)),
        _tmp: tmp,
    }
}

/// A relay between a machine and `to` that keeps every byte it carries, both ways.
fn relay(to: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for inbound in socket.incoming() {
            let inbound = inbound.unwrap();
            let outbound = TcpStream::connect(to).unwrap();
            for (mut from, mut into) in [
                (inbound.try_clone().unwrap(), outbound.try_clone().unwrap()),
                (outbound, inbound),
            ] {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || into.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        kept.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = into.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (addr, seen)
}

#[test]
fn two_listed_machines_sync_over_tls_and_nothing_readable_crosses_the_wire() {
    let (front, owner) = new_clinic("عيادة الشفاء");
    let exam = second(&front);
    let (front_key, exam_key) = (front.key(), exam.key());
    let (front_node, exam_node) = (front.node(), exam.node());
    front
        .lock()
        .certify_machine(&owner, &front_node, "front desk", &front_key)
        .unwrap();
    front
        .lock()
        .certify_machine(&owner, &exam_node, "exam room", &exam_key)
        .unwrap();
    let desk = front.lock().login("desk", PW).unwrap();
    // The exam room learns the list as it learns everything: by a sync (here, from the
    // server's side of the story, by hand).
    let exam_desk = {
        exam.lock().apply_changes(&front.everything()).unwrap();
        exam.lock().login("desk", PW).unwrap()
    };
    let listener = Listener::start(exam.clinic.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let (through, wire) = relay(listener.addr());

    front.add_patient(&desk, "Nour Checkin");
    exam.add_patient(&exam_desk, "Karim Walkin");
    let round = lan::sync_with(front.clinic.clone(), through).unwrap();
    assert!(round.pushed > 0 && round.new > 0, "{round:?}");
    assert!(exam.finds(&exam_desk, "Nour Checkin"));
    assert!(front.finds(&desk, "Karim Walkin"));
    assert_eq!(
        front.lock().document_heads().unwrap(),
        exam.lock().document_heads().unwrap()
    );
    // A second round moves nothing: both cursors were kept.
    let again = lan::sync_with(front.clinic.clone(), through).unwrap();
    assert_eq!((again.new, again.pulled), (0, 0), "{again:?}");

    let wire = wire.lock().unwrap().clone();
    assert!(wire.len() > 1000, "the round went through the relay");
    for clear in ["Nour Checkin", "Karim Walkin", "patient/", "01012345678"] {
        assert!(
            !wire.windows(clear.len()).any(|w| w == clear.as_bytes()),
            "{clear} crossed the LAN in clear"
        );
    }
}

#[test]
fn a_machine_the_clinics_list_does_not_name_is_refused_both_ways() {
    let (front, owner) = new_clinic("عيادة الشفاء");
    let exam = second(&front);
    let (front_key, exam_key) = (front.key(), exam.key());
    let (front_node, exam_node) = (front.node(), exam.node());
    for (node, key, name) in [
        (&front_node, &front_key, "front"),
        (&exam_node, &exam_key, "exam"),
    ] {
        front
            .lock()
            .certify_machine(&owner, node, name, key)
            .unwrap();
    }
    exam.lock().apply_changes(&front.everything()).unwrap();
    let front_desk = front.lock().login("desk", PW).unwrap();
    let exam_listener =
        Listener::start(exam.clinic.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let front_listener =
        Listener::start(front.clinic.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();

    // A machine of another clinic, and one that copied this clinic's id but was never
    // listed: neither gets in, nor is let in.
    let (stranger, _) = new_clinic("Other clinic");
    let impostor = second(&front);
    for outsider in [&stranger, &impostor] {
        let err = lan::sync_with(outsider.clinic.clone(), exam_listener.addr()).unwrap_err();
        assert!(
            err.sentence(ayada_core::Lang::En)
                .contains("did not prove it belongs"),
            "{}",
            err.sentence(ayada_core::Lang::En)
        );
        let theirs =
            Listener::start(outsider.clinic.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        assert!(lan::sync_with(front.clinic.clone(), theirs.addr()).is_err());
    }
    // Plain bytes at the door: cut off, and the door still works.
    let mut plain = TcpStream::connect(exam_listener.addr()).unwrap();
    let _ = plain.write_all(b"GET / HTTP/1.1\r\n\r\n\x00\x00\x10\x00{\"ask\":\"pull\"}");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !answer.windows(5).any(|w| w == b"\"pull"),
        "answered in clear"
    );
    front.add_patient(&front_desk, "Before Revocation");
    lan::sync_with(front.clinic.clone(), exam_listener.addr()).unwrap();

    // The owner revokes the exam room at the front desk: from that moment the front desk
    // neither answers it nor talks to it, and nothing of the revoked machine is taken.
    front.lock().revoke_machine(&owner, &exam_node).unwrap();
    assert!(lan::sync_with(exam.clinic.clone(), front_listener.addr()).is_err());
    assert!(lan::sync_with(front.clinic.clone(), exam_listener.addr()).is_err());
    // Revoked for good: the same node id cannot be listed again.
    let err = front
        .lock()
        .certify_machine(&owner, &exam_node, "exam", &exam_key)
        .unwrap_err();
    assert!(
        err.message(ayada_core::Lang::En).contains("revoked"),
        "{err}"
    );
    // And only the owner lists machines.
    let err = front
        .lock()
        .certify_machine(&front_desk, &NodeId::new().to_string(), "x", &exam_key)
        .unwrap_err();
    assert!(
        matches!(err, ayada_core::CoreError::Forbidden { .. }),
        "{err:?}"
    );
}

#[test]
fn the_server_lists_a_machine_it_enrolls_and_its_revocation_reaches_the_lan() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("server"));
    let front_dir = tmp.path().join("front");
    let front_key_file = tmp.path().join("front.k");
    Clinic::init(
        &front_dir,
        &KeySource::KeyFile(front_key_file.clone()),
        &InitOptions::in_egypt("عيادة الشفاء", "owner", "Dr. Hala", PW),
    )
    .unwrap();
    let key = |f: &std::path::Path| KeySource::KeyFile(f.to_path_buf());
    ayada_client::enroll(
        &front_dir,
        &key(&front_key_file),
        &server.url,
        OWNER_EMAIL,
        PW,
    )
    .unwrap();
    let exam_dir = tmp.path().join("exam");
    ayada_client::enroll(
        &exam_dir,
        &key(&tmp.path().join("exam.k")),
        &server.url,
        OWNER_EMAIL,
        PW,
    )
    .unwrap();
    let open = |dir: &std::path::Path, k: &std::path::Path| {
        Arc::new(Mutex::new(Clinic::open(dir, &key(k)).unwrap()))
    };
    let front = open(&front_dir, &front_key_file);
    let exam = open(&exam_dir, &tmp.path().join("exam.k"));
    for m in [&front, &exam, &front] {
        ayada_client::sync(&mut m.lock().unwrap(), 500, &mut |_, _| {}).unwrap();
    }
    // No one listed anything by hand: the server did, at each enrollment.
    let listed = exam.lock().unwrap().machine_keys().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|m| !m.revoked));
    let exam_node = exam.lock().unwrap().node().to_string();
    let exam_listener = Listener::start(exam.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    lan::sync_with(front.clone(), exam_listener.addr()).unwrap();

    // The owner revokes the exam room at the server; the front desk hears it at its next
    // round with the server, and from then on refuses the exam room on the LAN.
    let revoked =
        ayada_client::revoke(&front.lock().unwrap(), OWNER_EMAIL, PW, &exam_node).unwrap();
    assert_eq!(revoked, 1);
    ayada_client::sync(&mut front.lock().unwrap(), 500, &mut |_, _| {}).unwrap();
    let listed = front.lock().unwrap().machine_keys().unwrap();
    assert!(
        listed.iter().any(|m| m.node_id == exam_node && m.revoked),
        "{listed:?}"
    );
    assert!(lan::sync_with(front.clone(), exam_listener.addr()).is_err());
    let front_listener = Listener::start(front.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    assert!(lan::sync_with(exam.clone(), front_listener.addr()).is_err());
}

#[test]
fn a_prescription_photo_crosses_the_lan_and_is_kept_to_send_to_the_server() {
    let (front, owner) = new_clinic("عيادة الشفاء");
    front
        .lock()
        .add_staff(&owner, "د. سارة", "dr.sara", Role::Doctor, PW)
        .unwrap();
    let exam = second(&front);
    let (front_key, exam_key) = (front.key(), exam.key());
    let (front_node, exam_node) = (front.node(), exam.node());
    for (node, key) in [(&front_node, &front_key), (&exam_node, &exam_key)] {
        front.lock().certify_machine(&owner, node, "", key).unwrap();
    }
    exam.lock().apply_changes(&front.everything()).unwrap();

    // The doctor records a visit with a photo at the front machine.
    let (desk, doctor) = {
        let mut c = front.lock();
        (
            c.login("desk", PW).unwrap(),
            c.login("dr.sara", PW).unwrap(),
        )
    };
    let patient = {
        let new = NewPatient {
            name: "Salma".into(),
            phone: "01099990003".into(),
            ..Default::default()
        };
        front.lock().add_patient(&desk, &new).unwrap().id
    };
    let booking = ayada_core::appointments::Booking {
        patient,
        doctor_login: "dr.sara".into(),
        date: ayada_core::time::parse_date("2030-01-05").unwrap(),
        time: ayada_core::time::parse_time("10:00").unwrap(),
        visit_type: "examination".into(),
    };
    let appointment = front.lock().book(&desk, &booking).unwrap().id;
    front
        .lock()
        .set_appointment_status(
            &desk,
            appointment,
            ayada_core::appointments::Status::Arrived,
            None,
        )
        .unwrap();
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    })
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();
    let input = ayada_core::visits::VisitInput {
        diagnoses: vec!["Sinusitis".into()],
        photos: vec![png.into_inner()],
        ..Default::default()
    };
    let visit = front
        .lock()
        .record_visit(&doctor, appointment, &input)
        .unwrap();
    let sha = visit.photos[0].clone();

    // The exam room gets the visit, then asks the front machine for the photo it names.
    let front_listener =
        Listener::start(front.clinic.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let first = lan::sync_with(exam.clone_access(), front_listener.addr()).unwrap();
    assert!(first.new > 0, "{first:?}");
    assert_eq!(first.photos_received, 1, "{first:?}");
    let exam_doctor = exam.lock().login("dr.sara", PW).unwrap();
    let on_exam = exam.lock().photo(&exam_doctor, &sha, false).unwrap();
    let on_front = front.lock().photo(&doctor, &sha, false).unwrap();
    assert_eq!(on_exam, on_front);
    // The exam room sends it to the server too, should the front machine never get there.
    let to_send = exam.lock().blobs_to_upload(10).unwrap();
    assert!(
        to_send.iter().any(|(name, _)| *name == sha),
        "not kept to send"
    );
}
