//! Machines' last contact, written in batches: a contact due ([`memo::Contacts`]) waits here
//! for a second and is written with every other one due in that second, in one statement.
//! Written one by one, each was a transaction and a commit of its own beside the push's: one
//! machine in six each second with a front desk pushing every 10 s (docs/BENCHMARKS.md,
//! issue #18). `/v1/status` (the owner's machines screen, a machine closing the day) writes
//! what waits first, so it never shows an older contact than this process heard; the
//! console's clinic page and another replica may show one up to a second old. A process
//! killed loses at most its last second of notes; the next sync writes them again.

use std::collections::HashMap;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::memo;
use crate::store::{unix_now, Seen, Store};

/// How long a due contact waits for others before they are written together.
const GATHER: Duration = Duration::from_secs(1);

/// Contacts due and not yet written, by (clinic, machine): when, and the unsent count.
type Waiting = HashMap<(String, String), (i64, Option<u64>)>;

/// What the book and its writer share.
#[derive(Default)]
struct Shared {
    due: memo::Contacts,
    waiting: Mutex<Waiting>,
}

/// The contacts this process heard and the thread that writes them.
pub struct ContactBook {
    shared: Arc<Shared>,
    /// Wakes the writer (none if its thread could not start: then each note is written at
    /// once by the caller).
    wake: Mutex<Option<Sender<()>>>,
}

impl ContactBook {
    /// Starts the writer thread over `store`; it ends when the book is dropped.
    pub fn start<S: Store + ?Sized + 'static>(store: Arc<S>) -> ContactBook {
        let shared: Arc<Shared> = Arc::default();
        let (tx, rx) = channel::<()>();
        let theirs = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("ayada-contacts".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    std::thread::sleep(GATHER);
                    rx.try_iter().for_each(drop);
                    write(&*store, &theirs);
                }
            });
        ContactBook {
            shared,
            wake: Mutex::new(spawned.ok().map(|_| tx)),
        }
    }

    /// Notes that a machine synced now (with its unsent count after a push; none after a
    /// pull), to be written within a second when [`memo::Contacts`] says it is due.
    pub fn note<S: Store + ?Sized>(
        &self,
        store: &S,
        clinic: &str,
        node: &str,
        pending: Option<u64>,
    ) {
        let shared = &*self.shared;
        if !shared.due.due(clinic, node, pending) {
            return;
        }
        shared.due.written(clinic, node, pending);
        {
            let mut waiting = shared.waiting.lock().expect("contacts poisoned");
            let entry = waiting
                .entry((clinic.to_string(), node.to_string()))
                .or_insert((0, None));
            // A pull says nothing of the count: the push's before it stands.
            *entry = (unix_now(), pending.or(entry.1));
        }
        let woken = match self.wake.lock().expect("contacts poisoned").as_ref() {
            Some(tx) => tx.send(()).is_ok(),
            None => false,
        };
        if !woken {
            self.flush(store);
        }
    }

    /// Writes every contact waiting, now (before a list of machines is read).
    pub fn flush<S: Store + ?Sized>(&self, store: &S) {
        write(store, &self.shared);
    }
}

/// Takes what waits and writes it in one go. Best effort: a note that cannot be written (a
/// full disk) is logged and dropped, and its machine's next sync is due again.
fn write<S: Store + ?Sized>(store: &S, shared: &Shared) {
    let taken: Vec<Seen> = std::mem::take(&mut *shared.waiting.lock().expect("contacts poisoned"))
        .into_iter()
        .map(|((clinic, node), (at, pending))| Seen {
            clinic,
            node,
            at,
            pending,
        })
        .collect();
    if taken.is_empty() {
        return;
    }
    if let Err(e) = store.seen(&taken) {
        tracing::warn!(machines = taken.len(), error = %e, "last contacts not noted");
        for s in &taken {
            shared.due.forget(&s.clinic, &s.node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ClinicRecord, SqliteStore};
    use std::time::Instant;

    fn store() -> (Arc<SqliteStore>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        store
            .create_clinic(&ClinicRecord {
                id: "c1".into(),
                slug: "c1".into(),
                name: "C".into(),
                owner_email: "o@c1.example".into(),
                password_hash: "x".into(),
                data_clinic_id: None,
                time_zone: "Africa/Cairo".into(),
            })
            .unwrap();
        for node in ["n1", "n2"] {
            store
                .add_device("c1", node, &format!("hash-{node}"))
                .unwrap();
        }
        (store, dir)
    }

    fn pending(store: &SqliteStore, node: &str) -> (Option<i64>, Option<u64>) {
        let m = store.machines("c1").unwrap();
        let m = m.iter().find(|m| m.node_id == node).unwrap();
        (m.last_seen_at, m.pending)
    }

    #[test]
    fn contacts_heard_together_are_written_within_a_second_without_being_asked() {
        let (store, _dir) = store();
        let book = ContactBook::start(store.clone());
        book.note(&*store, "c1", "n1", Some(3));
        book.note(&*store, "c1", "n2", Some(0));
        // A pull right after says nothing of the count: the push's stands.
        book.note(&*store, "c1", "n1", None);
        assert_eq!(pending(&store, "n1"), (None, None), "not written at once");
        let started = Instant::now();
        while pending(&store, "n2").0.is_none() {
            assert!(started.elapsed() < Duration::from_secs(10), "never written");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(pending(&store, "n1").0.is_some());
        assert_eq!(pending(&store, "n1").1, Some(3));
        assert_eq!(pending(&store, "n2").1, Some(0));
    }

    #[test]
    fn a_changed_count_is_written_when_the_list_is_read_even_before_the_second_is_up() {
        let (store, _dir) = store();
        let book = ContactBook::start(store.clone());
        book.note(&*store, "c1", "n1", Some(3));
        book.flush(&*store);
        assert_eq!(pending(&store, "n1").1, Some(3));
        // Within the minute an unchanged count is not noted again; a changed one is.
        book.note(&*store, "c1", "n1", Some(3));
        book.note(&*store, "c1", "n1", Some(0));
        book.flush(&*store);
        assert_eq!(pending(&store, "n1").1, Some(0));
    }
}
