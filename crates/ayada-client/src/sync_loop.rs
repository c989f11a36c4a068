//! The desktop app's background sync: a thread that runs a round whenever this machine
//! writes, the server says other machines wrote, or a minute passes; keeps a WebSocket open
//! for the server's notices; backs off (1 s doubling to a minute) while the server cannot be
//! reached; and reports its state after every step so the window can show it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::http::Link;
use crate::round::{round, Round};
use crate::{ClientError, ClinicAccess};

/// Why the loop should look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nudge {
    /// This machine wrote something.
    Local,
    /// The server said other machines wrote something.
    Remote,
    /// A person asked to sync now (ignores the back-off).
    Now,
    /// The notice socket closed.
    WatchLost,
    /// End the loop.
    Stop,
}

/// What the window shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncState {
    /// Whether this machine is enrolled with a sync server.
    pub enrolled: bool,
    /// The server's address, once enrolled.
    pub server: Option<String>,
    /// Whether the last round reached the server.
    pub online: bool,
    /// Whether the server's notices arrive live (the WebSocket is open).
    pub live: bool,
    /// Whether a round is running now.
    pub syncing: bool,
    /// This machine's changes the server does not have yet.
    pub pending: u64,
    /// When the last round finished (Unix seconds).
    pub last_sync: Option<i64>,
    /// Why the last round failed, in English and Arabic.
    pub error: Option<(String, String)>,
    /// During a bootstrap: documents loaded, of how many.
    pub bootstrap: Option<(u64, u64)>,
}

/// The running loop: nudge it, or stop it.
#[derive(Clone)]
pub struct SyncLoop {
    nudges: Sender<Nudge>,
    stopped: Arc<AtomicBool>,
}

impl SyncLoop {
    /// Asks for a round soon (coalesced with others that arrive meanwhile).
    pub fn nudge(&self, why: Nudge) {
        let _ = self.nudges.send(why);
    }

    /// Ends the loop and its notice socket.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        let _ = self.nudges.send(Nudge::Stop);
    }
}

/// How often the loop syncs when nothing nudges it (a missed notice is caught by this).
pub const POLL: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Starts the loop on its own thread. `report` is called with the state after every change of
/// it, and with the round whenever one finished.
pub fn spawn<A, F>(access: Arc<A>, report: F) -> SyncLoop
where
    A: ClinicAccess + Send + Sync + 'static,
    F: Fn(&SyncState, Option<&Round>) + Send + 'static,
{
    let (tx, rx) = channel();
    let handle = SyncLoop {
        nudges: tx.clone(),
        stopped: Arc::new(AtomicBool::new(false)),
    };
    let stopped = handle.stopped.clone();
    std::thread::Builder::new()
        .name("ayada-sync".into())
        .spawn(move || run(&*access, &report, tx, rx, stopped))
        .expect("cannot start the sync thread");
    handle
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn run<A: ClinicAccess>(
    access: &A,
    report: &dyn Fn(&SyncState, Option<&Round>),
    tx: Sender<Nudge>,
    rx: Receiver<Nudge>,
    stopped: Arc<AtomicBool>,
) {
    let mut state = SyncState::default();
    let mut link: Option<Link> = None;
    let mut backoff = FIRST_BACKOFF;
    let mut next_try = Instant::now();
    loop {
        if stopped.load(Ordering::Relaxed) {
            return;
        }
        let settings = access.with(&mut |c| Ok(c.sync_settings()?)).ok().flatten();
        state.enrolled = settings.is_some();
        state.server = settings.as_ref().map(|s| s.server.clone());
        if let Some(settings) = settings.filter(|_| Instant::now() >= next_try) {
            state.syncing = true;
            report(&state, None);
            match attempt(access, &mut link, settings, &mut state, report) {
                Ok(done) => {
                    state.online = true;
                    state.error = None;
                    state.last_sync = Some(now());
                    backoff = FIRST_BACKOFF;
                    next_try = Instant::now();
                    if !state.live {
                        if let Some(l) = &link {
                            state.live = crate::watch::spawn(
                                &l.settings.server,
                                &l.token,
                                tx.clone(),
                                stopped.clone(),
                            )
                            .is_ok();
                            // What another machine pushed between this round's pull and the
                            // socket's opening was announced to no one: one more round now,
                            // or it would wait for the minute's poll (seen: a write after a
                            // server restart reached the other machine 60 s late).
                            if state.live {
                                let _ = tx.send(Nudge::Now);
                            }
                        }
                    }
                    state.syncing = false;
                    state.bootstrap = None;
                    report(&state, Some(&done));
                }
                Err(e) => {
                    link = None;
                    state.online = false;
                    state.syncing = false;
                    state.bootstrap = None;
                    state.error = Some((
                        e.sentence(ayada_core::Lang::En),
                        e.sentence(ayada_core::Lang::Ar),
                    ));
                    next_try = Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    report(&state, None);
                }
            }
        } else {
            report(&state, None);
        }
        // Wait for a reason to look again; many nudges in a burst make one round.
        let wait = if state.online {
            POLL
        } else {
            next_try
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(10))
        };
        let first = match rx.recv_timeout(if state.enrolled { wait } else { POLL }) {
            Ok(n) => Some(n),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        for nudge in first.into_iter().chain(rx.try_iter()) {
            match nudge {
                Nudge::Stop => return,
                Nudge::WatchLost => state.live = false,
                Nudge::Now => next_try = Instant::now(),
                // While the server is away, a write only updates the count; the back-off
                // decides when to try again.
                Nudge::Local if !state.online => {
                    let pushed = unsent(access);
                    state.pending = pushed;
                }
                Nudge::Local | Nudge::Remote => {}
            }
        }
    }
}

/// This machine's changes the server has not acknowledged.
fn unsent<A: ClinicAccess>(access: &A) -> u64 {
    access
        .with(&mut |c| {
            let pushed = c.sync_settings()?.map_or(0, |s| s.pushed);
            Ok(c.count_for(ayada_core::replication::SERVER_PEER, pushed)?)
        })
        .unwrap_or_default()
}

fn attempt<A: ClinicAccess>(
    access: &A,
    link: &mut Option<Link>,
    settings: ayada_core::replication::SyncSettings,
    state: &mut SyncState,
    report: &dyn Fn(&SyncState, Option<&Round>),
) -> Result<Round, ClientError> {
    if link
        .as_ref()
        .is_none_or(|l| l.stale() || l.settings.server != settings.server)
    {
        *link = Some(Link::connect(settings)?);
    }
    let l = link.as_mut().expect("connected above");
    let mut progress = |done: u64, total: u64| {
        state.bootstrap = Some((done, total));
        report(state, None);
    };
    let done = round(access, l, 500, &mut progress)?;
    state.pending = unsent(access);
    Ok(done)
}
