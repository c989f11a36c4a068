//! Machines that work offline and exchange their change logs end up identical, and what
//! needs a person's decision is listed the same on each.

use ayada_core::appointments::Booking;
use ayada_core::patients::{NewPatient, PatientEdit};
use ayada_core::replication::IncomingChange;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::{Clinic, CoreError, KeySource, Money, Session};

mod support;

use support::machines::{first_machine, joining_machine, login, pull, Machine, PW};

fn book(
    m: &mut Machine,
    s: &Session,
    patient: ayada_core::ids::PatientId,
    at: &str,
) -> ayada_core::appointments::Appointment {
    let (d, t) = at.split_once(' ').unwrap();
    m.clinic
        .book(
            s,
            &Booking {
                patient,
                doctor_login: "dr.sara".into(),
                date: parse_date(d).unwrap(),
                time: parse_time(t).unwrap(),
                visit_type: "examination".into(),
            },
        )
        .unwrap()
}

#[test]
fn two_machines_that_worked_offline_converge_and_list_the_same_conflict() {
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    pull(&mut machines, 1, 0);
    assert_eq!(
        machines[0].clinic.projection_snapshot().unwrap(),
        machines[1].clinic.projection_snapshot().unwrap()
    );
    // Staff log in on the new machine with no network: the accounts came with the clinic.
    let desk_a = login(&mut machines[0], "desk");
    let desk_b = login(&mut machines[1], "desk");
    let shared = machines[0]
        .clinic
        .add_patient(
            &desk_a,
            &NewPatient {
                name: "Laila Hassan".into(),
                phone: "01012345678".into(),
                ..Default::default()
            },
        )
        .unwrap();
    pull(&mut machines, 1, 0);

    // Offline: each desk books Dr. Sara at 10:00 for a different patient, and both edit Laila.
    let p1 = machines[0]
        .clinic
        .add_patient(
            &desk_a,
            &NewPatient {
                name: "أحمد".into(),
                phone: "01111111111".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let p2 = machines[1]
        .clinic
        .add_patient(
            &desk_b,
            &NewPatient {
                name: "منى".into(),
                phone: "01222222222".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let a1 = book(&mut machines[0], &desk_a, p1.id, "2030-01-05 10:00");
    let a2 = book(&mut machines[1], &desk_b, p2.id, "2030-01-05 10:00");
    machines[0]
        .clinic
        .update_patient(
            &desk_a,
            shared.id,
            &PatientEdit {
                name: Some("Laila M. Hassan".into()),
                ..Default::default()
            },
        )
        .unwrap();
    machines[1]
        .clinic
        .update_patient(
            &desk_b,
            shared.id,
            &PatientEdit {
                allergies: Some("Penicillin".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_ne!(
        machines[0].clinic.projection_snapshot().unwrap(),
        machines[1].clinic.projection_snapshot().unwrap()
    );

    pull(&mut machines, 1, 0);
    pull(&mut machines, 0, 1);
    let snapshot = machines[0].clinic.projection_snapshot().unwrap();
    assert_eq!(snapshot, machines[1].clinic.projection_snapshot().unwrap());
    let laila = machines[1]
        .clinic
        .patient_file(&desk_b, shared.id)
        .unwrap()
        .patient;
    assert_eq!(
        (laila.name.as_str(), laila.allergies.as_str()),
        ("Laila M. Hassan", "Penicillin"),
        "both edits kept"
    );

    let mut ids = vec![a1.id.to_string(), a2.id.to_string()];
    ids.sort();
    for m in machines.iter_mut() {
        let s = m.clinic.login("desk", PW).unwrap();
        let conflicts = m.clinic.conflicts(&s).unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!(conflicts[0].kind, "overlapping-bookings");
        assert_eq!(conflicts[0].ids, ids);
    }
    // Resolving it is an ordinary change that syncs.
    machines[0]
        .clinic
        .set_appointment_status(
            &desk_a,
            a2.id,
            ayada_core::appointments::Status::Cancelled,
            Some("double booking, moved"),
        )
        .unwrap();
    pull(&mut machines, 1, 0);
    assert!(machines[1].clinic.conflicts(&desk_b).unwrap().is_empty());
    // Re-projection from the stored documents agrees with what sync produced.
    let live = machines[1].clinic.projection_snapshot().unwrap();
    machines[1].clinic.rebuild_projections().unwrap();
    assert_eq!(machines[1].clinic.projection_snapshot().unwrap(), live);
}

#[test]
fn duplicated_and_reordered_batches_converge_and_bad_changes_are_refused_alone() {
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    let desk = login(&mut machines[0], "desk");
    for i in 0..30 {
        machines[0]
            .clinic
            .add_patient(
                &desk,
                &NewPatient {
                    name: format!("Patient {i}"),
                    phone: format!("0101000{i:04}"),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let owner = login(&mut machines[0], "owner");
    machines[0]
        .clinic
        .set_visit_type(&owner, "examination", Money(30_000), Some(20))
        .unwrap();
    let all: Vec<IncomingChange> = machines[0]
        .clinic
        .changes_after(0, 10_000)
        .unwrap()
        .into_iter()
        .map(Into::into)
        .collect();
    // Newest first: most changes wait for their predecessors and are deferred, not lost.
    let mut reversed = all.clone();
    reversed.reverse();
    let first = machines[1].clinic.apply_changes(&reversed[..10]).unwrap();
    assert!(first.refused.is_empty());
    // Then everything, twice over, with garbage mixed in.
    let mut noisy = all.clone();
    noisy.extend(all.iter().cloned());
    noisy.push(IncomingChange {
        doc_id: "patient/x".into(),
        hash: "00".repeat(32),
        bytes: b"not a change".to_vec(),
    });
    noisy.push(IncomingChange {
        doc_id: "../../etc/passwd".into(),
        hash: all[0].hash.clone(),
        bytes: all[0].bytes.clone(),
    });
    let mut tampered = all[1].clone();
    tampered.hash = "ab".repeat(32);
    noisy.push(tampered);
    let report = machines[1].clinic.apply_changes(&noisy).unwrap();
    assert_eq!(report.refused.len(), 3, "{:?}", report.refused);
    assert!(report
        .refused
        .iter()
        .any(|(_, why)| why.contains("does not decode")));
    assert!(report
        .refused
        .iter()
        .any(|(_, why)| why.contains("no document a clinic can hold")));
    assert!(report
        .refused
        .iter()
        .any(|(_, why)| why.contains("hash does not match")));
    assert!(report.deferred.is_empty(), "{:?}", report.deferred);
    assert_eq!(
        machines[0].clinic.projection_snapshot().unwrap(),
        machines[1].clinic.projection_snapshot().unwrap()
    );
    assert_eq!(machines[1].clinic.log_head().unwrap() as usize, all.len());
    let err = Clinic::join(
        machines[1].clinic.dir(),
        &KeySource::KeyFile(machines[1].clinic.dir().join("k2")),
        machines[0].clinic.id(),
        ayada_core::ids::NodeId::new(),
        "Africa/Cairo",
    );
    assert!(matches!(err, Err(CoreError::ClinicExists { .. })));
}

#[test]
fn a_batch_received_newest_first_is_logged_in_the_order_its_changes_depend_on() {
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    pull(&mut machines, 1, 0);
    let desk = login(&mut machines[0], "desk");
    let patient = machines[0]
        .clinic
        .add_patient(
            &desk,
            &ayada_core::patients::NewPatient {
                name: "Old".into(),
                phone: "01012345678".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .id;
    for n in 0..5 {
        let edit = ayada_core::patients::PatientEdit {
            name: Some(format!("Name {n}")),
            ..Default::default()
        };
        machines[0]
            .clinic
            .update_patient(&desk, patient, &edit)
            .unwrap();
    }
    let since = machines[1].clinic.log_head().unwrap();
    let head = machines[0].clinic.log_head().unwrap();
    let mut newest_first: Vec<IncomingChange> = machines[0]
        .clinic
        .changes_after(head - 6, 100)
        .unwrap()
        .into_iter()
        .map(Into::into)
        .collect();
    newest_first.reverse();
    let report = machines[1].clinic.apply_changes(&newest_first).unwrap();
    assert_eq!(report.new, 6, "{report:?}");
    // The second machine reads them out to its peers oldest first, as the first made them:
    // the sync server checks a batch change by change and refuses one before its predecessor.
    let logged: Vec<String> = machines[1]
        .clinic
        .changes_after(since, 100)
        .unwrap()
        .into_iter()
        .map(|c| c.hash)
        .collect();
    let made: Vec<String> = machines[0]
        .clinic
        .changes_after(head - 6, 100)
        .unwrap()
        .into_iter()
        .map(|c| c.hash)
        .collect();
    assert_eq!(logged, made);
}

#[test]
fn one_field_set_to_two_values_at_once_is_listed_on_both_and_settled_by_a_person() {
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    let desk_a = login(&mut machines[0], "desk");
    let patient = machines[0]
        .clinic
        .add_patient(
            &desk_a,
            &NewPatient {
                name: "Youssef Adel".into(),
                phone: "01012340000".into(),
                gender: None,
                dob: None,
                medical_history: String::new(),
                allergies: String::new(),
            },
        )
        .unwrap();
    pull(&mut machines, 1, 0);
    let desk_b = login(&mut machines[1], "desk");
    // Offline, each desk writes a different new phone number for him.
    for (m, s, phone) in [(0, &desk_a, "01011111111"), (1, &desk_b, "01022222222")] {
        machines[m]
            .clinic
            .update_patient(
                s,
                patient.id,
                &PatientEdit {
                    phone: Some(phone.into()),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    pull(&mut machines, 1, 0);
    pull(&mut machines, 0, 1);
    let mut listed = Vec::new();
    for (m, s) in [(0, &desk_a), (1, &desk_b)] {
        let conflicts = machines[m].clinic.conflicts(s).unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let c = &conflicts[0];
        assert_eq!(
            (c.kind.as_str(), c.about.as_str(), c.field.as_str()),
            ("concurrent-edit", "patient.phone", "phone")
        );
        assert_eq!(c.ids, vec![patient.id.to_string()]);
        let mut values = c.values.clone();
        values.sort();
        assert_eq!(values, vec!["+201011111111", "+201022222222"]);
        listed.push(c.clone());
    }
    assert_eq!(
        listed[0], listed[1],
        "the same list, in the same order, on both"
    );

    // A value nobody wrote is refused; choosing one of the two is a normal change that syncs.
    let c = &listed[0];
    let bad =
        machines[1]
            .clinic
            .settle_conflict(&desk_b, &c.doc_id, &c.ids[0], "phone", "+201099999999");
    assert!(matches!(bad, Err(CoreError::Invalid { .. })), "{bad:?}");
    let chosen = c.values[1].clone();
    machines[1]
        .clinic
        .settle_conflict(&desk_b, &c.doc_id, &c.ids[0], "phone", &chosen)
        .unwrap();
    assert!(machines[1].clinic.conflicts(&desk_b).unwrap().is_empty());
    pull(&mut machines, 0, 1);
    assert!(machines[0].clinic.conflicts(&desk_a).unwrap().is_empty());
    for (m, s) in [(0, &desk_a), (1, &desk_b)] {
        let file = machines[m].clinic.patient_file(s, patient.id).unwrap();
        assert_eq!(file.patient.phone.to_string(), chosen);
    }
    let live = machines[0].clinic.projection_snapshot().unwrap();
    assert_eq!(live, machines[1].clinic.projection_snapshot().unwrap());
    machines[0].clinic.rebuild_projections().unwrap();
    assert_eq!(machines[0].clinic.projection_snapshot().unwrap(), live);
}

#[test]
fn new_patients_share_bucket_documents_and_a_file_from_before_buckets_stays_in_its_own() {
    let mut machines = vec![first_machine()];
    let desk = login(&mut machines[0], "desk");
    let new = |name: &str| NewPatient {
        name: name.into(),
        phone: "01012345678".into(),
        gender: None,
        dob: None,
        medical_history: String::new(),
        allergies: String::new(),
    };
    let fresh = machines[0]
        .clinic
        .add_patient(&desk, &new("Mona Adel"))
        .unwrap();
    let id = fresh.id.to_string();
    let bucket = format!("patient/{}", &id[id.len() - 2..]);
    let rows = machines[0].clinic.projection_snapshot().unwrap();
    assert!(
        rows.iter()
            .any(|r| r.contains(&id) && r.contains(&format!("Text(\"{bucket}\")"))),
        "a new file goes in its bucket {bucket}: {rows:?}"
    );

    // A file written by a machine from before buckets: its own document `patient/<id>`.
    let mut old = fresh.clone();
    old.id = ayada_core::ids::PatientId::new();
    old.name = "Hany Old".into();
    let old_doc = format!("patient/{}", old.id);
    let mut doc = automerge::AutoCommit::new();
    ayada_core::docs::put_record(&mut doc, &automerge::ROOT, &old.id.to_string(), &old, &[])
        .unwrap();
    doc.commit();
    let mut change = doc.get_last_local_change().unwrap().clone();
    let report = machines[0]
        .clinic
        .apply_changes(&[IncomingChange {
            doc_id: old_doc.clone(),
            hash: change.hash().to_string(),
            bytes: change.bytes().to_vec(),
        }])
        .unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    machines.push(joining_machine(&machines[0]));
    pull(&mut machines, 1, 0);
    let documents = machines[0].clinic.document_count().unwrap();

    // Edited on A, the old file stays where it is, and B sees the edit.
    machines[0]
        .clinic
        .update_patient(
            &desk,
            old.id,
            &PatientEdit {
                phone: Some("01099998888".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(machines[0].clinic.document_count().unwrap(), documents);
    pull(&mut machines, 1, 0);
    let desk_b = login(&mut machines[1], "desk");
    for (m, s) in [(0, &desk), (1, &desk_b)] {
        let file = machines[m].clinic.patient_file(s, old.id).unwrap();
        assert_eq!(file.patient.phone.as_str(), "+201099998888");
        let rows = machines[m].clinic.projection_snapshot().unwrap();
        assert!(
            rows.iter()
                .any(|r| r.contains(&old.id.to_string())
                    && r.contains(&format!("Text(\"{old_doc}\")"))),
            "{rows:?}"
        );
    }
    assert_eq!(
        machines[0].clinic.projection_snapshot().unwrap(),
        machines[1].clinic.projection_snapshot().unwrap()
    );
}

#[test]
fn a_change_that_cannot_be_applied_is_held_aside_and_listed_and_the_rest_goes_on() {
    use automerge::transaction::Transactable;
    let mut machines = vec![first_machine()];
    machines.push(joining_machine(&machines[0]));
    let desk = login(&mut machines[0], "desk");
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            machines[0]
                .clinic
                .add_patient(
                    &desk,
                    &NewPatient {
                        name: format!("Patient {i}"),
                        phone: format!("0102000{i:04}"),
                        ..Default::default()
                    },
                )
                .unwrap(),
        );
    }
    // A second change of the first patient's document, which leans on the first.
    machines[0]
        .clinic
        .update_patient(
            &desk,
            made[0].id,
            &PatientEdit {
                allergies: Some("Penicillin".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let all: Vec<IncomingChange> = machines[0]
        .clinic
        .changes_after(0, 10_000)
        .unwrap()
        .into_iter()
        .map(Into::into)
        .collect();
    // Everything but the first change of a patient document: what leans on it waits, the
    // rest (the clinic's staff among it) applies.
    let edited = &all.last().unwrap().doc_id;
    let withheld = all.iter().position(|c| &c.doc_id == edited).unwrap();
    let mut rest = all.clone();
    let missing = rest.remove(withheld);
    let report = machines[1].clinic.apply_changes(&rest).unwrap();
    assert!(report.held > 0 && !report.deferred.is_empty(), "{report:?}");
    assert!(
        report.new > 0,
        "the changes that fit were applied: {report:?}"
    );
    let desk_b = login(&mut machines[1], "desk");
    let listed = machines[1].clinic.conflicts(&desk_b).unwrap();
    let held: Vec<_> = listed.iter().filter(|c| c.kind == "held-change").collect();
    assert_eq!(held.len() as u64, report.held);
    assert!(held[0].values[0].contains("waits"), "{:?}", held[0]);

    // Two changes in one actor's place of one document, from a hostile or broken peer:
    // one is applied or held, the other held; nothing else is stopped.
    let twin = |key: &str| {
        let mut doc = automerge::AutoCommit::new()
            .with_actor(automerge::ActorId::from(b"hostile".as_slice()));
        doc.put(automerge::ROOT, key, "x").unwrap();
        let c = doc.get_last_local_change().unwrap();
        IncomingChange {
            doc_id: "cashbook/2001-01-01".into(),
            hash: c.hash().to_string(),
            bytes: c.raw_bytes().to_vec(),
        }
    };
    let mut batch = vec![twin("a"), twin("b")];
    batch.push(missing);
    let report = machines[1].clinic.apply_changes(&batch).unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    // The missing first change arrived: everything that waited for it is applied.
    let heads = |m: &Machine| {
        let mut h = m.clinic.document_heads().unwrap();
        h.retain(|id, _| !id.starts_with("cashbook/2001"));
        h
    };
    assert_eq!(heads(&machines[0]), heads(&machines[1]));
    let listed = machines[1].clinic.conflicts(&desk_b).unwrap();
    let held: Vec<_> = listed.iter().filter(|c| c.kind == "held-change").collect();
    assert!(!held.is_empty() && held.len() <= 2, "{held:?}");
    assert!(held.iter().all(|c| c.doc_id == "cashbook/2001-01-01"));
    assert!(
        held.iter().any(|c| c.values[0].contains("does not fit")),
        "{held:?}"
    );
}
