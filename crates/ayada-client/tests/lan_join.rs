//! A new machine joins the clinic through a machine already in it, over the LAN (loopback
//! here), with the join code the owner opened on that machine: it is listed on the owner's
//! authority, loads the clinic from that machine, syncs with it both ways, and enrolls with
//! the server once the server is back. The code serves once, closes after three wrong tries
//! or fifteen minutes, is opened by the owner alone, and is given to no machine but the one
//! whose key it names.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ayada_client::lan::{self, Listener};
use ayada_client::lan_join::{self, JoinCode};
use ayada_core::patients::NewPatient;
use ayada_core::{Clinic, CoreError, InitOptions, KeySource, Lang, Session};

mod support;
use support::{Server, OWNER_EMAIL, PW};

/// An enrolled machine: the front desk of a clinic, its key in the clinic's list, answering
/// on loopback.
struct Front {
    clinic: Arc<Mutex<Clinic>>,
    owner: Session,
    listener: Listener,
    _tmp: tempfile::TempDir,
}

fn front(name: &str) -> Front {
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner) = support::clinic_with_desk(tmp.path(), name);
    let key = lan::identity(&mut clinic).unwrap().key_hex;
    let node = clinic.node().to_string();
    clinic
        .certify_machine(&owner, &node, "front desk", &key)
        .unwrap();
    let desk = clinic.login("desk", PW).unwrap();
    let patient = NewPatient {
        name: "Nour Before".into(),
        phone: "01012345678".into(),
        ..Default::default()
    };
    clinic.add_patient(&desk, &patient).unwrap();
    let clinic = Arc::new(Mutex::new(clinic));
    let listener = Listener::start(clinic.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    Front {
        clinic,
        owner,
        listener,
        _tmp: tmp,
    }
}

impl Front {
    fn invite(&self) -> String {
        let mut c = self.clinic.lock().unwrap();
        lan_join::invite(&mut c, &self.owner).unwrap().code
    }

    fn addr(&self) -> Vec<SocketAddr> {
        vec![self.listener.addr()]
    }
}

/// A new machine's empty data folder and its key file.
struct Empty {
    data: std::path::PathBuf,
    key: KeySource,
    _tmp: tempfile::TempDir,
}

fn empty() -> Empty {
    let tmp = tempfile::tempdir().unwrap();
    Empty {
        data: tmp.path().join("data"),
        key: KeySource::KeyFile(tmp.path().join("k")),
        _tmp: tmp,
    }
}

impl Empty {
    fn join(
        &self,
        code: &str,
        at: &[SocketAddr],
    ) -> Result<lan_join::Joined, ayada_client::ClientError> {
        lan_join::join(&self.data, &self.key, code, "exam room", at, &mut |_, _| {})
    }

    fn open(&self) -> Clinic {
        Clinic::open(&self.data, &self.key).unwrap()
    }

    /// Whether the folder still holds no clinic (a refused join leaves nothing behind).
    fn holds_nothing(&self) -> bool {
        matches!(
            Clinic::open(&self.data, &self.key),
            Err(CoreError::NoClinic { .. })
        )
    }
}

fn reason(e: &ayada_client::ClientError) -> String {
    e.sentence(Lang::En)
}

#[test]
fn a_new_machine_joins_through_an_enrolled_one_with_its_code_and_then_syncs_both_ways() {
    let front = front("عيادة الشفاء");
    let exam = empty();
    let code = front.invite();
    let joined = exam.join(&code, &front.addr()).unwrap();
    assert!(joined.round.bootstrapped > 0, "{:?}", joined.round);

    // The exam room holds the clinic: its accounts and its patients.
    let mut clinic = exam.open();
    assert_eq!(clinic.id(), front.clinic.lock().unwrap().id());
    let desk = clinic.login("desk", PW).unwrap();
    assert_eq!(
        clinic
            .search_patients(&desk, "Nour Before", 5)
            .unwrap()
            .len(),
        1
    );
    // The front desk listed it, with the key it proved, on the owner's authority (audited).
    let listed = front.clinic.lock().unwrap().machine_keys().unwrap();
    let me = lan::identity(&mut clinic).unwrap().key_hex;
    let entry = listed
        .iter()
        .find(|m| m.node_id == joined.node_id.to_string())
        .expect("the new machine is listed");
    assert_eq!(
        (entry.key.as_str(), entry.name.as_str()),
        (me.as_str(), "exam room")
    );
    assert!(!entry.revoked);
    // Its write reaches the front desk by an ordinary LAN round, and back.
    let patient = NewPatient {
        name: "Karim Joined".into(),
        phone: "01012345678".into(),
        ..Default::default()
    };
    clinic.add_patient(&desk, &patient).unwrap();
    let exam_access = Arc::new(Mutex::new(clinic));
    let round = lan::sync_with(exam_access.clone(), front.listener.addr()).unwrap();
    assert!(round.pushed > 0, "{round:?}");
    let front_desk = front.clinic.lock().unwrap().login("desk", PW).unwrap();
    let found = front
        .clinic
        .lock()
        .unwrap()
        .search_patients(&front_desk, "Karim Joined", 5)
        .unwrap();
    assert_eq!(found.len(), 1);
    // The front desk reaches the exam room too: the list names it now.
    let exam_listener =
        Listener::start(exam_access.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    lan::sync_with(front.clinic.clone(), exam_listener.addr()).unwrap();
    assert_eq!(
        front.clinic.lock().unwrap().document_heads().unwrap(),
        exam_access.lock().unwrap().document_heads().unwrap()
    );
}

#[test]
fn a_join_code_serves_once_and_three_wrong_ones_close_the_invitation() {
    let front = front("عيادة الشفاء");
    let code = front.invite();
    // A wrong secret (one letter of the code's second half changed) is refused, and nothing
    // is left in the new machine's folder.
    let mut wrong = code.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    let guesser = empty();
    for _ in 0..2 {
        let e = guesser.join(&wrong, &front.addr()).unwrap_err();
        assert!(
            reason(&e).contains("not the one that machine gave"),
            "{}",
            reason(&e)
        );
        assert!(guesser.holds_nothing());
    }
    // The right code still works after two wrong tries, once.
    let exam = empty();
    exam.join(&code, &front.addr()).unwrap();
    let again = empty();
    let e = again.join(&code, &front.addr()).unwrap_err();
    assert!(again.holds_nothing(), "{}", reason(&e));

    // A third wrong try closes a fresh invitation: then even its right code is refused.
    let code = front.invite();
    let mut wrong = code.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    for _ in 0..3 {
        guesser.join(&wrong, &front.addr()).unwrap_err();
    }
    assert!(!front.clinic.lock().unwrap().machine_invite_open().unwrap());
    let late = empty();
    late.join(&code, &front.addr()).unwrap_err();
    assert!(late.holds_nothing());
    // Only the exam room was listed.
    assert_eq!(
        front.clinic.lock().unwrap().machine_keys().unwrap().len(),
        2
    );
}

#[test]
fn an_invitation_closes_after_fifteen_minutes() {
    let front = front("عيادة الشفاء");
    let opened = jiff::Timestamp::now();
    front.clinic.lock().unwrap().set_clock(Some(opened));
    let code = front.invite();
    front
        .clinic
        .lock()
        .unwrap()
        .set_clock(Some(opened + jiff::SignedDuration::from_mins(16)));
    let exam = empty();
    assert!(exam.join(&code, &front.addr()).is_err());
    assert!(exam.holds_nothing());
}

#[test]
fn only_the_owner_opens_an_invitation_and_a_revoked_machine_opens_none() {
    let front = front("عيادة الشفاء");
    let desk = front.clinic.lock().unwrap().login("desk", PW).unwrap();
    let refused = lan_join::invite(&mut front.clinic.lock().unwrap(), &desk).unwrap_err();
    assert!(matches!(
        refused,
        ayada_client::ClientError::Core(CoreError::Forbidden { .. })
    ));
    // A clinic that never had a sync server: its first machine lists itself on the owner's
    // invitation, and a machine joins through it.
    let tmp = tempfile::tempdir().unwrap();
    let (mut alone, owner) = Clinic::init(
        &tmp.path().join("data"),
        &KeySource::KeyFile(tmp.path().join("k")),
        &InitOptions::in_egypt("عيادة", "owner", "Dr. Hala", PW),
    )
    .unwrap();
    assert!(alone.machine_keys().unwrap().is_empty());
    let code = lan_join::invite(&mut alone, &owner).unwrap().code;
    let me = alone.node().to_string();
    assert!(alone
        .machine_keys()
        .unwrap()
        .iter()
        .any(|m| m.node_id == me));
    let alone = Arc::new(Mutex::new(alone));
    let listener = Listener::start(alone.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let exam = empty();
    exam.join(&code, &[listener.addr()]).unwrap();
    // Revoked, it invites nobody.
    alone.lock().unwrap().revoke_machine(&owner, &me).unwrap();
    let e = lan_join::invite(&mut alone.lock().unwrap(), &owner).unwrap_err();
    assert!(reason(&e).contains("was revoked"), "{}", reason(&e));
}

#[test]
fn the_code_is_told_to_no_machine_but_the_one_whose_key_it_names() {
    let front = front("عيادة الشفاء");
    let code = front.invite();
    // Another machine on the LAN, with an invitation of its own open, poses as the inviter.
    let impostor = crate::front("عيادة أخرى");
    impostor.invite();
    let exam = empty();
    let e = exam.join(&code, &impostor.addr()).unwrap_err();
    assert!(exam.holds_nothing(), "{}", reason(&e));
    // Refused at the handshake, by the key: the secret was never sent (had it been, the
    // impostor would have answered that it is the wrong one).
    assert!(
        reason(&e).contains("did not prove it belongs to this clinic"),
        "{}",
        reason(&e)
    );
    // The impostor heard no hello: its invitation took no try and listed nobody.
    assert_eq!(
        impostor
            .clinic
            .lock()
            .unwrap()
            .machine_keys()
            .unwrap()
            .len(),
        1
    );
    // The genuine one still takes the code.
    exam.join(&code, &front.addr()).unwrap();
}

#[test]
fn a_join_code_reads_as_typed_and_garbage_gets_a_sentence() {
    let front = front("عيادة الشفاء");
    let code = front.invite();
    assert_eq!(code.len(), 39, "{code}");
    let typed = code.replace('-', " ").to_lowercase();
    assert_eq!(
        JoinCode::parse(&typed).unwrap().to_string(),
        JoinCode::parse(&code).unwrap().to_string()
    );
    for garbage in [
        "",
        "ABCD-EFGH",
        "not a code at all",
        &format!("{code}-AAAA"),
    ] {
        let e = JoinCode::parse(garbage).unwrap_err();
        assert!(reason(&e).contains("not a join code"), "{}", reason(&e));
        assert!(!e.sentence(Lang::Ar).is_empty());
    }
    // The code's secret never shows in a debug print.
    assert_eq!(
        format!("{:?}", JoinCode::parse(&code).unwrap()),
        "JoinCode(..)"
    );
}

#[test]
fn a_machine_joined_over_the_lan_enrolls_with_the_server_when_it_is_back() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path());
    // The front desk was enrolled (and seeded the server) before the line went down.
    let front = front("عيادة الشفاء");
    let front_dir = front._tmp.path().join("data");
    let front_key = KeySource::KeyFile(front._tmp.path().join("k"));
    ayada_client::enroll(&front_dir, &front_key, &server.url, OWNER_EMAIL, PW).unwrap();
    ayada_client::sync(&mut front.clinic.lock().unwrap(), 500, &mut |_, _| {}).unwrap();
    let exam = empty();
    exam.join(&front.invite(), &front.addr()).unwrap();
    // The line is back: the exam room enrolls as any machine does, and syncs.
    ayada_client::enroll(&exam.data, &exam.key, &server.url, OWNER_EMAIL, PW).unwrap();
    let mut clinic = exam.open();
    ayada_client::sync(&mut clinic, 500, &mut |_, _| {}).unwrap();
    let held = server.hashes();
    let once: std::collections::HashSet<_> = held.iter().collect();
    assert_eq!(once.len(), held.len());
    let mine: Vec<String> = clinic
        .changes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|c| c.hash)
        .collect();
    assert!(
        mine.iter().all(|h| once.contains(h)),
        "the server lacks a change"
    );
    // Listed by both (the front desk at the join, the server at the enrollment), with the
    // one key, not revoked. (The two listings were written apart, so which one's name stands
    // is Automerge's choice; the key and the revocation are the same in both.)
    let me = lan::identity(&mut clinic).unwrap().key_hex;
    let listed = clinic
        .machine_keys()
        .unwrap()
        .into_iter()
        .find(|m| m.node_id == clinic.node().to_string())
        .unwrap();
    assert_eq!(listed.key, me);
    assert!(!listed.revoked);
}
