//! What only several processes on one store can show: two handles ("replicas") appending to
//! one document in turn and at once, on SQLite (two processes on one folder) and on
//! PostgreSQL, and the portal's authoring lock held across PostgreSQL replicas.

#[path = "../../tests/pg/mod.rs"]
mod pg;
mod story;

use std::sync::Arc;

use ayada_server::store::{Admission, MasterKey, PgStore, SqliteStore, Store};
use story::*;

/// Two handles on one store, as two replicas (or two processes on one folder) are: each
/// judges a push against what the other appended, in turn and at once.
fn two_handles<S: Store>(one: Arc<S>, two: Arc<S>) {
    one.create_clinic(&clinic(A, "nour", "owner@nour.example"))
        .unwrap();
    let changes = edits(b"aaaa", 4);
    assert_eq!(
        push(&*one, A, "clinic", &changes[..1]),
        vec![Admission::New]
    );
    assert_eq!(
        push(&*two, A, "clinic", &changes[1..2]),
        vec![Admission::New]
    );
    // `one` judged the document at its first change: what `two` appended must count.
    assert_eq!(
        push(&*one, A, "clinic", &changes[2..3]),
        vec![Admission::New]
    );
    assert!(matches!(
        &push(&*two, A, "clinic", &edits_of(b"aaaa", 3, "other")[2..3])[0],
        Admission::Refused(_)
    ));
    assert_eq!(
        push(&*two, A, "clinic", &changes[3..]),
        vec![Admission::New]
    );
    // At once: 4 machines on each handle, 10 edits each, to one document.
    let threads: Vec<_> = (0..8u8)
        .map(|i| {
            let store = if i % 2 == 0 { one.clone() } else { two.clone() };
            std::thread::spawn(move || {
                let mine = edits(&[b'm', i, i, i], 10);
                for c in mine.chunks(2) {
                    assert_eq!(
                        push(&*store, A, "visits/d1", c),
                        vec![Admission::New; c.len()]
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(one.log_len(A).unwrap(), 84);
    let (all, head) = two.after(A, 0, 1000).unwrap();
    assert_eq!(all.len(), 84);
    assert!(
        all.windows(2).all(|w| w[0].0 < w[1].0),
        "positions in order"
    );
    assert_eq!(head, all.last().unwrap().0);
    let page = one.bootstrap(A, None, 1 << 20).unwrap();
    let visits = automerge::Automerge::load(
        &page
            .docs
            .iter()
            .find(|d| d.doc_id == "visits/d1")
            .unwrap()
            .bytes,
    )
    .unwrap();
    assert_eq!(visits.get_changes(&[]).len(), 80);
}

#[test]
fn two_sqlite_handles_on_one_folder_append_in_turn_and_at_once() {
    let dir = tempfile::tempdir().unwrap();
    two_handles(
        Arc::new(SqliteStore::open(dir.path()).unwrap()),
        Arc::new(SqliteStore::open(dir.path()).unwrap()),
    );
}

#[test]
fn two_postgres_replicas_append_in_turn_and_at_once() {
    let Some(db) = pg::fresh("replicas") else {
        return;
    };
    two_handles(
        Arc::new(PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap()),
        Arc::new(PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap()),
    );
}

#[test]
fn the_portal_s_authoring_lock_holds_across_postgres_replicas_and_only_for_its_clinic() {
    let Some(db) = pg::fresh("author") else {
        return;
    };
    let one =
        Arc::new(PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap());
    let two = PgStore::open(&db.url, &MasterKey::from_hex(&db.master_hex).unwrap()).unwrap();
    let held = one.author_lock(A).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let _lock = two.author_lock(A).unwrap();
        tx.send(started.elapsed()).unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        rx.try_recv().is_err(),
        "taken while the other replica held it"
    );
    // Another clinic's lock is free meanwhile.
    drop(one.author_lock(B).unwrap());
    drop(held);
    let waited = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert!(
        waited >= std::time::Duration::from_millis(250),
        "{waited:?}"
    );
    waiter.join().unwrap();
}
