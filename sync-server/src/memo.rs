//! What a server process remembers between requests so that a push does not cost the store
//! a read and a write it can do without: each clinic's storage in use (for the quota), each
//! machine's last noted contact, and the credentials found active a moment ago. On PostgreSQL the storage figure is a catalogue query
//! that sizes every table of the clinic's schema, and the contact an upsert; with a front
//! desk pushing every few seconds both were paid on every push (docs/BENCHMARKS.md, #18).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a clinic's storage figure read from the store is trusted, at least: each
/// clinic's is trusted up to a minute longer (by its id), so that clinics whose figures were
/// read together (a restart) do not all come due in the same seconds.
const USAGE_FRESH: Duration = Duration::from_secs(300);

/// How often a machine's contact is written when nothing else about it changed: the owner's
/// list shows last contact to the minute.
const CONTACT_EVERY: Duration = Duration::from_secs(60);

/// Entries beyond this many are all forgotten at once (a few hundred bytes each); what is
/// forgotten is read or written again, nothing else.
const MAX_ENTRIES: usize = 50_000;

/// Each clinic's storage in use: read from the store every 5 to 6 minutes, plus what this
/// process stored since. Another replica's writes show at the next read, so a clinic can
/// pass its quota by what is pushed to the other replicas in those minutes: a few MB
/// against a quota of GBs.
#[derive(Default)]
pub struct Usage(Mutex<HashMap<String, (u64, Instant)>>);

impl Usage {
    /// The bytes `clinic` uses, from memory while fresh, else through `read`.
    pub fn used<E>(&self, clinic: &str, read: impl FnOnce() -> Result<u64, E>) -> Result<u64, E> {
        let spread =
            Duration::from_secs(u64::from(clinic.bytes().fold(0u8, u8::wrapping_add)) % 60);
        if let Some((bytes, at)) = self.0.lock().expect("usage poisoned").get(clinic) {
            if at.elapsed() < USAGE_FRESH + spread {
                return Ok(*bytes);
            }
        }
        let bytes = read()?;
        let mut kept = self.0.lock().expect("usage poisoned");
        if kept.len() >= MAX_ENTRIES {
            kept.clear();
        }
        kept.insert(clinic.to_string(), (bytes, Instant::now()));
        Ok(bytes)
    }

    /// Counts `bytes` this process just stored for `clinic`.
    pub fn grew(&self, clinic: &str, bytes: u64) {
        if let Some((used, _)) = self.0.lock().expect("usage poisoned").get_mut(clinic) {
            *used = used.saturating_add(bytes);
        }
    }
}

/// When a machine's contact was last written, and the unsent count it said.
type Written = (Instant, Option<u64>);

/// The contact last written for each machine (by clinic and node).
#[derive(Default)]
pub struct Contacts(Mutex<HashMap<(String, String), Written>>);

impl Contacts {
    /// Whether a contact saying `pending` (none: a pull, which says nothing of it) must be
    /// written: the first this process sees, a changed count, or a minute after the last.
    pub fn due(&self, clinic: &str, node: &str, pending: Option<u64>) -> bool {
        self.due_at(Instant::now(), clinic, node, pending)
    }

    fn due_at(&self, now: Instant, clinic: &str, node: &str, pending: Option<u64>) -> bool {
        let kept = self.0.lock().expect("contacts poisoned");
        match kept.get(&(clinic.to_string(), node.to_string())) {
            None => true,
            Some((at, said)) => {
                now.saturating_duration_since(*at) >= CONTACT_EVERY
                    || (pending.is_some() && pending != *said)
            }
        }
    }

    /// Forgets what was written for a machine (its note failed): its next contact is due.
    pub fn forget(&self, clinic: &str, node: &str) {
        self.0
            .lock()
            .expect("contacts poisoned")
            .remove(&(clinic.to_string(), node.to_string()));
    }

    /// Records that a contact saying `pending` was written now.
    pub fn written(&self, clinic: &str, node: &str, pending: Option<u64>) {
        let mut kept = self.0.lock().expect("contacts poisoned");
        if kept.len() >= MAX_ENTRIES {
            kept.clear();
        }
        let key = (clinic.to_string(), node.to_string());
        // The store keeps the last count it was told when a pull says none: so does this.
        let said = pending.or_else(|| kept.get(&key).and_then(|(_, p)| *p));
        kept.insert(key, (Instant::now(), said));
    }
}

/// How long a credential found active is trusted without asking the store again, while this
/// process hears every revocation: one made through it, or another replica's (its news).
/// Asked on every push, the store answered 500 reads a second for 5,000 machines
/// (docs/BENCHMARKS.md, issue #18). When the news is lost (the listener's connection broke)
/// nothing is trusted until it is heard again, and then every answer is asked anew.
const CREDENTIAL_FRESH: Duration = Duration::from_secs(300);

/// Credentials (clinic, machine, credential) found active, and when; how many revocations
/// were heard, so that a check that raced one is not remembered; and whether the news of
/// other replicas' revocations is being heard.
pub struct Credentials {
    found: Mutex<HashMap<(String, String, String), Instant>>,
    revocations: AtomicU64,
    hearing: AtomicBool,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            found: Mutex::default(),
            revocations: AtomicU64::new(0),
            hearing: AtomicBool::new(true),
        }
    }
}

impl Credentials {
    /// Whether this credential was found active a short while ago, with the news heard since.
    pub fn fresh(&self, clinic: &str, node: &str, cred: &str) -> bool {
        if !self.hearing.load(Ordering::SeqCst) {
            return false;
        }
        let key = (clinic.to_string(), node.to_string(), cred.to_string());
        self.found
            .lock()
            .expect("credentials poisoned")
            .get(&key)
            .is_some_and(|at| at.elapsed() < CREDENTIAL_FRESH)
    }

    /// The news of revocations stopped (`false`) or is heard again (`true`): either way a
    /// revocation may have been missed, so every credential is asked of the store anew.
    pub fn hearing(&self, hearing: bool) {
        let mut kept = self.found.lock().expect("credentials poisoned");
        self.hearing.store(hearing, Ordering::SeqCst);
        self.revocations.fetch_add(1, Ordering::SeqCst);
        kept.clear();
    }

    /// A mark to take before asking the store, for [`Credentials::active`].
    pub fn mark(&self) -> u64 {
        self.revocations.load(Ordering::SeqCst)
    }

    /// Records that the store found this credential active, in a check begun at `mark`; not
    /// if a revocation was heard since (the answer may predate it).
    pub fn active(&self, clinic: &str, node: &str, cred: &str, mark: u64) {
        let mut kept = self.found.lock().expect("credentials poisoned");
        if self.revocations.load(Ordering::SeqCst) != mark {
            return;
        }
        if kept.len() >= MAX_ENTRIES {
            kept.clear();
        }
        kept.insert(
            (clinic.to_string(), node.to_string(), cred.to_string()),
            Instant::now(),
        );
    }

    /// Forgets every credential of a machine (it was revoked).
    pub fn forget(&self, clinic: &str, node: &str) {
        let mut kept = self.found.lock().expect("credentials poisoned");
        self.revocations.fetch_add(1, Ordering::SeqCst);
        kept.retain(|(c, n, _), _| c != clinic || n != node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_read_once_while_fresh_and_grows_with_what_is_stored() {
        let usage = Usage::default();
        let reads = std::cell::Cell::new(0);
        let read = || -> Result<u64, &str> {
            reads.set(reads.get() + 1);
            Ok(1000)
        };
        assert_eq!(usage.used("a", read), Ok(1000));
        usage.grew("a", 24);
        assert_eq!(usage.used("a", read), Ok(1024));
        // Another clinic is read for itself; a clinic never read is not counted from zero.
        usage.grew("b", 5);
        assert_eq!(usage.used("b", read), Ok(1000));
        assert_eq!(reads.get(), 2);
        // A failed read is not remembered.
        assert_eq!(usage.used("c", || Err::<u64, _>("down")), Err("down"));
        assert_eq!(usage.used("c", read), Ok(1000));
    }

    #[test]
    fn a_credential_is_trusted_until_its_machine_is_revoked() {
        let creds = Credentials::default();
        assert!(!creds.fresh("a", "n1", "c1"));
        creds.active("a", "n1", "c1", creds.mark());
        creds.active("a", "n2", "c2", creds.mark());
        assert!(creds.fresh("a", "n1", "c1"));
        assert!(
            !creds.fresh("a", "n1", "c9"),
            "another credential of the machine"
        );
        assert!(!creds.fresh("b", "n1", "c1"), "another clinic");
        creds.forget("a", "n1");
        assert!(!creds.fresh("a", "n1", "c1"));
        assert!(
            creds.fresh("a", "n2", "c2"),
            "only the revoked machine is forgotten"
        );
        // A check that began before a revocation and answers after it is not remembered.
        let mark = creds.mark();
        creds.forget("a", "n1");
        creds.active("a", "n1", "c1", mark);
        assert!(!creds.fresh("a", "n1", "c1"));
    }

    #[test]
    fn nothing_is_trusted_while_the_news_of_revocations_is_lost() {
        let creds = Credentials::default();
        creds.active("a", "n1", "c1", creds.mark());
        let mark = creds.mark();
        creds.hearing(false);
        assert!(!creds.fresh("a", "n1", "c1"), "deaf: ask the store");
        creds.active("a", "n2", "c2", creds.mark());
        assert!(
            !creds.fresh("a", "n2", "c2"),
            "not even what was asked while deaf"
        );
        creds.hearing(true);
        assert!(
            !creds.fresh("a", "n1", "c1"),
            "what was found before the gap is asked again"
        );
        assert!(
            !creds.fresh("a", "n2", "c2"),
            "and what was found during it"
        );
        // A check that began before the news came back is not remembered.
        creds.active("a", "n1", "c1", mark);
        assert!(!creds.fresh("a", "n1", "c1"));
        creds.active("a", "n1", "c1", creds.mark());
        assert!(creds.fresh("a", "n1", "c1"));
    }

    #[test]
    fn a_contact_is_written_first_then_when_its_count_changes() {
        let contacts = Contacts::default();
        assert!(contacts.due("a", "n1", Some(3)));
        contacts.written("a", "n1", Some(3));
        assert!(!contacts.due("a", "n1", Some(3)));
        assert!(!contacts.due("a", "n1", None), "a pull changes nothing");
        assert!(contacts.due("a", "n1", Some(0)), "the queue emptied");
        assert!(contacts.due("a", "n2", None), "another machine");
        // A pull's contact keeps the count the last push said.
        contacts.written("a", "n1", None);
        assert!(!contacts.due("a", "n1", Some(3)));
        // A minute on, the contact is written again whatever it says.
        let later = Instant::now() + CONTACT_EVERY;
        assert!(contacts.due_at(later, "a", "n1", Some(3)));
        assert!(contacts.due_at(later, "a", "n1", None));
    }
}

use crate::standing::Refusal;

/// How long a clinic's standing read from the store is trusted: a payment or a hold made on
/// another replica counts there within this.
const STANDING_FRESH: Duration = Duration::from_secs(30);

/// Each clinic's refusal if it is suspended (None: it may sync), as read a moment ago: the
/// machines' doors ask on every request, the store a few times a minute.
#[derive(Default)]
pub struct Standings(Mutex<HashMap<String, (Option<Refusal>, Instant)>>);

impl Standings {
    /// The clinic's refusal as read a moment ago (`Some(None)`: it may sync), if fresh.
    pub fn cached(&self, clinic: &str) -> Option<Option<Refusal>> {
        let kept = self.0.lock().expect("standings poisoned");
        kept.get(clinic)
            .filter(|(_, at)| at.elapsed() < STANDING_FRESH)
            .map(|(refusal, _)| refusal.clone())
    }

    /// Keeps a clinic's refusal (None: it may sync) as just read.
    pub fn keep(&self, clinic: &str, refusal: Option<Refusal>) {
        let mut kept = self.0.lock().expect("standings poisoned");
        if kept.len() >= MAX_ENTRIES {
            kept.clear();
        }
        kept.insert(clinic.to_string(), (refusal, Instant::now()));
    }

    /// Forgets a clinic's standing (this process just changed it).
    pub fn forget(&self, clinic: &str) {
        self.0.lock().expect("standings poisoned").remove(clinic);
    }
}
