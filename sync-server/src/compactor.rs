//! Keeps each document's compaction close behind the pushes: a push marks the documents it
//! touched, and one background thread brings them up to date when the server has a moment.
//! A new machine's bootstrap then finds the documents ready instead of replaying the log
//! (it still compacts whatever is left itself, so nothing depends on this having run).

use std::collections::BTreeSet;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::Store;

/// The marks and the thread that works through them.
pub struct Compactor {
    marks: Mutex<Option<Sender<(String, String)>>>,
}

/// How long the thread gathers marks before working, so a burst of pushes to one document
/// costs one compaction.
const GATHER: Duration = Duration::from_millis(500);

impl Compactor {
    /// Starts the background thread over `store`.
    pub fn start<S: Store>(store: Arc<S>) -> Compactor {
        let (tx, rx) = channel::<(String, String)>();
        let spawned = std::thread::Builder::new()
            .name("ayada-compactor".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    std::thread::sleep(GATHER);
                    let mut pending: BTreeSet<(String, String)> = BTreeSet::from([first]);
                    pending.extend(rx.try_iter());
                    for (clinic, doc) in pending {
                        if let Err(e) = store.compact(&clinic, &doc) {
                            // A bootstrap compacts what is left; nothing is lost here.
                            tracing::warn!(%clinic, %doc, error = %e, "compaction failed");
                        }
                    }
                }
            });
        Compactor {
            marks: Mutex::new(spawned.ok().map(|_| tx)),
        }
    }

    /// Marks documents of `clinic` as changed.
    pub fn dirty<'a>(&self, clinic: &str, docs: impl Iterator<Item = &'a str>) {
        if let Some(tx) = self.marks.lock().expect("compactor poisoned").as_ref() {
            for doc in docs {
                let _ = tx.send((clinic.to_string(), doc.to_string()));
            }
        }
    }
}
