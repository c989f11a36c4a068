//! Limits on the doors that check a password (enrolling a machine, revoking one): wrong
//! guesses counted per email and per address over a sliding window, and a bounded number of
//! Argon2 hashes at once. A refused guess costs the server nothing: it is answered before any
//! hash is computed, and an excess of concurrent hashes is refused at once instead of
//! queueing on threads (each hash takes ~19 MB; 200 queued ones took 3.6 GB).
//!
//! The hashes run on a few threads of their own, each reusing one block of Argon2 memory
//! (`verify_password`), never on tokio's blocking pool: a fresh 19 MB for every check was
//! kept by glibc after it (measured: +362 MB after 500 concurrent wrong enrolments with two
//! checks at a time; +40 MB now; docs/BENCHMARKS.md).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;
use crate::store::{GuessLedger, Store};

/// The limits, each configurable on `ayada-server serve` (docs/OPERATIONS.md).
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Wrong passwords allowed per email within `window`.
    pub fails_per_email: u32,
    /// Wrong passwords allowed per client address within `window`.
    pub fails_per_address: u32,
    /// The sliding window the wrong guesses are counted over.
    pub window: Duration,
    /// Password hashes computed at once; more are refused with 503.
    pub concurrent_hashes: usize,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            fails_per_email: 10,
            fails_per_address: 30,
            window: Duration::from_secs(15 * 60),
            // Each running check holds 19 MB: four at most keep a flood under 80 MB.
            concurrent_hashes: std::thread::available_parallelism()
                .map_or(2, |n| n.get().clamp(2, 4)),
        }
    }
}

/// How many keys each table may hold before old ones are swept: an attacker cycling
/// through addresses or emails cannot grow the server's memory without bound.
const MAX_KEYS: usize = 100_000;

/// Wrong guesses by key, oldest first.
#[derive(Default)]
struct Failures(HashMap<String, VecDeque<Instant>>);

impl Failures {
    /// How long until `key` may guess again, if it has used up `limit`.
    fn wait(&mut self, key: &str, limit: u32, window: Duration, now: Instant) -> Option<Duration> {
        let times = self.0.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() < limit as usize {
            return None;
        }
        times
            .front()
            .map(|oldest| window.saturating_sub(now.duration_since(*oldest)))
    }

    fn record(&mut self, key: &str, window: Duration, now: Instant) {
        if self.0.len() >= MAX_KEYS {
            self.0.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        self.0.entry(key.to_string()).or_default().push_back(now);
    }
}

/// A password check to run on a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// The counters, the hashing permits and the hashing threads.
pub struct LoginGuard {
    limits: LoginLimits,
    by_email: Mutex<Failures>,
    by_address: Mutex<Failures>,
    hashing: Arc<Semaphore>,
    /// Never full: a job is sent only with one of `hashing`'s permits, and it holds as many
    /// places as there are permits.
    jobs: std::sync::mpsc::SyncSender<Job>,
    /// The store that counts the wrong guesses for every replica, when it does; else they
    /// are counted in this process's memory.
    shared: Option<Arc<dyn Store>>,
}

impl LoginGuard {
    /// A guard with `limits`.
    pub fn new(limits: LoginLimits) -> LoginGuard {
        let threads = limits.concurrent_hashes.max(1);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ayada-hash-{i}"))
                .spawn(move || loop {
                    let job = queue.lock().expect("hash queue poisoned").recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // the guard is gone
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        LoginGuard {
            hashing: Arc::new(Semaphore::new(threads)),
            limits,
            by_email: Mutex::default(),
            by_address: Mutex::default(),
            jobs,
            shared: None,
        }
    }

    /// Counts the wrong guesses in `store` when several processes may serve it (PostgreSQL):
    /// counted in each replica's memory, a guesser spreading requests over N replicas had N
    /// times the guesses.
    pub fn counted_in(mut self, store: Arc<dyn Store>) -> LoginGuard {
        if store.guess_ledger().is_some() {
            self.shared = Some(store);
        }
        self
    }

    fn ledger(&self) -> Option<&dyn GuessLedger> {
        self.shared.as_deref().and_then(|s| s.guess_ledger())
    }

    /// [`Self::admit_blocking`] from async code (a shared count is read on the blocking pool).
    pub async fn admit(
        self: &Arc<Self>,
        key: &str,
        addr: &ClientAddr,
    ) -> Result<OwnedSemaphorePermit, ApiError> {
        if self.shared.is_none() {
            return self.admit_blocking(key, addr);
        }
        let (me, key, addr) = (self.clone(), key.to_string(), *addr);
        tokio::task::spawn_blocking(move || me.admit_blocking(&key, &addr))
            .await
            .map_err(|_| ApiError::Internal)?
    }

    /// [`Self::failed_blocking`] from async code.
    pub async fn failed(self: &Arc<Self>, key: &str, addr: &ClientAddr) {
        if self.shared.is_none() {
            return self.failed_blocking(key, addr);
        }
        let (me, key, addr) = (self.clone(), key.to_string(), *addr);
        let _ = tokio::task::spawn_blocking(move || me.failed_blocking(&key, &addr)).await;
    }

    /// [`Self::succeeded_blocking`] from async code.
    pub async fn succeeded(self: &Arc<Self>, key: &str) {
        if self.shared.is_none() {
            return self.succeeded_blocking(key);
        }
        let (me, key) = (self.clone(), key.to_string());
        let _ = tokio::task::spawn_blocking(move || me.succeeded_blocking(&key)).await;
    }

    /// Runs a password check `f` on a hashing thread, holding `permit` (from [`Self::admit`])
    /// until it is done.
    pub async fn run<T: Send + 'static>(
        &self,
        permit: OwnedSemaphorePermit,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _permit = permit;
                let _ = tx.send(f());
            }))
            .map_err(|_| ApiError::Internal)?;
        rx.await.map_err(|_| ApiError::Internal)
    }

    /// May a password for `email` from `addr` be checked now? Refused (429, with when to try
    /// again) once either has used up its wrong guesses; else a hashing permit, refused (503)
    /// when as many hashes as allowed are running. May ask the store: from async code, use
    /// [`Self::admit`].
    pub fn admit_blocking(
        &self,
        email: &str,
        addr: &ClientAddr,
    ) -> Result<OwnedSemaphorePermit, ApiError> {
        let (email_wait, address_wait) = match self.ledger() {
            Some(ledger) => self.shared_waits(ledger, email, addr)?,
            None => {
                let now = Instant::now();
                let window = self.limits.window;
                let email_wait = self.by_email.lock().expect("logins poisoned").wait(
                    email,
                    self.limits.fails_per_email,
                    window,
                    now,
                );
                let address_wait = self.by_address.lock().expect("logins poisoned").wait(
                    &addr.key(),
                    self.limits.fails_per_address,
                    window,
                    now,
                );
                (email_wait, address_wait)
            }
        };
        if let Some(wait) = email_wait.max(address_wait) {
            tracing::warn!(%email, addr = %addr, outcome = "locked out", "owner login refused before checking");
            return Err(ApiError::TooManyGuesses {
                retry_after: wait.as_secs().max(1),
            });
        }
        self.hashing.clone().try_acquire_owned().map_err(|_| {
            tracing::warn!(%email, addr = %addr, outcome = "busy", "owner login refused: too many password checks at once");
            ApiError::Busy
        })
    }

    /// How long `email` and `addr` must wait, by the guesses every replica counted.
    fn shared_waits(
        &self,
        ledger: &dyn GuessLedger,
        email: &str,
        addr: &ClientAddr,
    ) -> Result<(Option<Duration>, Option<Duration>), ApiError> {
        let (now, window) = (unix_ms(), self.window_ms());
        let found = ledger.guesses(&shared_keys(email, addr), now - window)?;
        let wait = |i: usize, limit: u32| {
            let (count, oldest) = found.get(i).copied().unwrap_or_default();
            (count >= i64::from(limit))
                .then(|| Duration::from_millis((oldest + window - now).max(0) as u64))
        };
        Ok((
            wait(0, self.limits.fails_per_email),
            wait(1, self.limits.fails_per_address),
        ))
    }

    fn window_ms(&self) -> i64 {
        self.limits.window.as_millis().min(i64::MAX as u128) as i64
    }

    /// Counts a wrong password for `email` from `addr`. May write to the store: from async
    /// code, use [`Self::failed`].
    pub fn failed_blocking(&self, email: &str, addr: &ClientAddr) {
        if let Some(ledger) = self.ledger() {
            let now = unix_ms();
            if let Err(e) = ledger.guessed(&shared_keys(email, addr), now, now - self.window_ms()) {
                tracing::error!(error = %e, "a wrong guess was not counted");
            }
            return;
        }
        let now = Instant::now();
        let window = self.limits.window;
        self.by_email
            .lock()
            .expect("logins poisoned")
            .record(email, window, now);
        self.by_address
            .lock()
            .expect("logins poisoned")
            .record(&addr.key(), window, now);
    }

    /// A right password: the account's count starts again (the address's does not). May
    /// write to the store: from async code, use [`Self::succeeded`].
    pub fn succeeded_blocking(&self, email: &str) {
        if let Some(ledger) = self.ledger() {
            if let Err(e) = ledger.forget_guesses(&account_key(email)) {
                tracing::warn!(error = %e, "an account's wrong guesses were not forgotten");
            }
            return;
        }
        self.by_email
            .lock()
            .expect("logins poisoned")
            .0
            .remove(email);
    }
}

/// The ledger's keys of an account and of an address (apart, as the memory's two tables).
fn shared_keys(email: &str, addr: &ClientAddr) -> [String; 2] {
    [account_key(email), format!("address {}", addr.key())]
}

fn account_key(email: &str) -> String {
    format!("account {email}")
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Default for LoginGuard {
    fn default() -> LoginGuard {
        LoginGuard::new(LoginLimits::default())
    }
}

/// The address a request came from (the TCP peer; None when the server was not started with
/// connection info, as in `oneshot` tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    fn key(&self) -> String {
        self.0
            .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(per_email: u32, per_address: u32) -> LoginGuard {
        LoginGuard::new(LoginLimits {
            fails_per_email: per_email,
            fails_per_address: per_address,
            window: Duration::from_secs(900),
            concurrent_hashes: 1,
        })
    }

    #[test]
    fn an_email_is_locked_after_its_wrong_guesses_and_says_when_to_come_back() {
        let g = guard(3, 100);
        let here = ClientAddr("10.0.0.1".parse().ok());
        for _ in 0..3 {
            drop(g.admit_blocking("a@x", &here).unwrap());
            g.failed_blocking("a@x", &here);
        }
        match g.admit_blocking("a@x", &here) {
            Err(ApiError::TooManyGuesses { retry_after }) => {
                assert!((890..=900).contains(&retry_after), "{retry_after}")
            }
            other => panic!("{:?}", other.map(drop)),
        }
        // Another account from another address is not held up by it.
        let there = ClientAddr("10.0.0.2".parse().ok());
        assert!(g.admit_blocking("b@x", &there).is_ok());
    }

    #[test]
    fn an_address_spraying_many_emails_is_locked_too() {
        let g = guard(100, 5);
        let here = ClientAddr("10.0.0.1".parse().ok());
        for i in 0..5 {
            drop(g.admit_blocking(&format!("{i}@x"), &here).unwrap());
            g.failed_blocking(&format!("{i}@x"), &here);
        }
        assert!(matches!(
            g.admit_blocking("new@x", &here),
            Err(ApiError::TooManyGuesses { .. })
        ));
    }

    #[test]
    fn hashes_beyond_the_bound_are_refused_at_once_not_queued() {
        let g = guard(10, 10);
        let here = ClientAddr(None);
        let held = g.admit_blocking("a@x", &here).unwrap();
        assert!(matches!(
            g.admit_blocking("b@x", &here),
            Err(ApiError::Busy)
        ));
        drop(held);
        assert!(g.admit_blocking("b@x", &here).is_ok());
    }
}
