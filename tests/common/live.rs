//! A machine's background sync loop (the desktop app's) in a test, with the states it reports.

use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ayada_client::{Nudge, SyncLoop, SyncState};
use ayada_core::patients::NewPatient;
use ayada_core::Clinic;

use super::Machine;

/// A machine's clinic, opened, with its sync loop running.
pub struct Live {
    pub clinic: Arc<Mutex<Clinic>>,
    pub sync: SyncLoop,
    states: Receiver<(SyncState, bool)>,
}

impl Live {
    pub fn start(m: &Machine) -> Live {
        let clinic = Arc::new(Mutex::new(m.open()));
        let (tx, states) = channel();
        let sync = ayada_client::sync_loop::spawn(clinic.clone(), move |state, round| {
            let _ = tx.send((state.clone(), round.is_some_and(|r| r.changed_here())));
        });
        Live {
            clinic,
            sync,
            states,
        }
    }

    /// Waits for a reported state that satisfies `want`; panics with the last one seen.
    pub fn wait_for(&self, what: &str, limit: Duration, want: impl Fn(&SyncState, bool) -> bool) {
        let deadline = Instant::now() + limit;
        let mut last = None;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.states.recv_timeout(left) {
                Ok((state, changed)) => {
                    if want(&state, changed) {
                        return;
                    }
                    last = Some(state);
                }
                Err(_) => break,
            }
        }
        panic!("{what}: not within {limit:?}; last state {last:?}");
    }

    /// Adds a patient as the owner (password `password`) and nudges the loop.
    pub fn add_patient(&self, password: &str, name: &str, phone: &str) {
        let mut c = self.clinic.lock().unwrap();
        let owner = c.login("owner", password).unwrap();
        c.add_patient(
            &owner,
            &NewPatient {
                name: name.into(),
                phone: phone.into(),
                gender: None,
                dob: None,
                medical_history: String::new(),
                allergies: String::new(),
            },
        )
        .unwrap();
        drop(c);
        self.sync.nudge(Nudge::Local);
    }

    /// Whether the patient search finds `name`.
    pub fn finds(&self, password: &str, name: &str) -> bool {
        let mut c = self.clinic.lock().unwrap();
        let owner = c.login("owner", password).unwrap();
        c.search_patients(&owner, name, 5)
            .unwrap()
            .iter()
            .any(|h| h.name == name)
    }
}
