//! What the store tests share: two clinic ids, their records, and machines' edits pushed
//! the way the server's push route does.
#![allow(dead_code)]

pub mod admin;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, Change, ROOT};
use ayada_server::store::{Admission, ClinicRecord, Decoded, Store};
use ayada_sync::WireChange;

pub fn clinic(id: &str, slug: &str, email: &str) -> ClinicRecord {
    ClinicRecord {
        id: id.into(),
        slug: slug.into(),
        name: format!("Clinic {slug}"),
        owner_email: email.into(),
        password_hash: "$argon2id$not-a-real-hash".into(),
        data_clinic_id: None,
        time_zone: "Africa/Cairo".into(),
    }
}

pub const A: &str = "0191d6f4-0000-7000-8000-00000000000a";
pub const B: &str = "0191d6f4-0000-7000-8000-00000000000b";

/// `n` edits of one machine (actor) to a document, each a change.
pub fn edits(actor: &[u8], n: usize) -> Vec<Change> {
    edits_of(actor, n, "field")
}

/// The same, writing `field`: another history for the same machine.
pub fn edits_of(actor: &[u8], n: usize, field: &str) -> Vec<Change> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
    for i in 0..n {
        doc.put(ROOT, field, i as i64).unwrap();
        doc.commit();
    }
    doc.get_changes(&[])
}

pub fn wire(doc_id: &str, c: &Change) -> WireChange {
    WireChange {
        doc_id: doc_id.into(),
        hash: hex::encode(c.hash().0),
        bytes: c.raw_bytes().to_vec(),
    }
}

pub fn push<S: Store + ?Sized>(
    store: &S,
    clinic: &str,
    doc_id: &str,
    changes: &[Change],
) -> Vec<Admission> {
    let wires: Vec<WireChange> = changes.iter().map(|c| wire(doc_id, c)).collect();
    let decoded: Vec<Decoded<'_>> = wires
        .iter()
        .zip(changes)
        .map(|(w, c)| Decoded {
            wire: w,
            change: c.clone(),
        })
        .collect();
    store.append(clinic, "node-1", &decoded).unwrap().admissions
}
