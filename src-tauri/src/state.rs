//! What the app holds between commands: where the clinic lives, how it is unlocked, the
//! open clinic, who is logged in, and the language.

use std::path::PathBuf;
use std::sync::Mutex;

use ayada_client::{SyncLoop, SyncState};
use ayada_core::{Clinic, KeySource, Lang, Session};

/// The app's state, one per process.
pub struct AppState {
    /// The clinic's data folder (AYADA_DATA, else the platform's data folder).
    pub data: PathBuf,
    /// How the clinic is unlocked (AYADA_KEY_FILE, else AYADA_DB_PASSPHRASE, else keyring).
    pub key: KeySource,
    /// The open clinic and the logged-in person: one lock, so a command sees both together.
    pub inner: Mutex<Inner>,
    /// The background sync loop, once started.
    pub sync: Mutex<Option<SyncLoop>>,
    /// What the sync loop last reported.
    pub sync_state: Mutex<SyncState>,
    /// The LAN side (the clinic's other machines directly), once the clinic is open.
    pub lan: Mutex<Option<ayada_client::lan_loop::LanLoop>>,
    /// Seconds without a key or a click before the window logs the person out
    /// (AYADA_IDLE_LOCK_SECONDS, 600 by default: a shared front-desk PC).
    pub idle_lock_seconds: u64,
}

/// Ten minutes: long enough for a consultation's notes, short enough that the next person
/// at a shared PC does not work under the last one's name.
pub const DEFAULT_IDLE_LOCK_SECONDS: u64 = 600;

/// The parts that change.
#[derive(Default)]
pub struct Inner {
    /// The clinic, once created or opened.
    pub clinic: Option<Clinic>,
    /// Who is logged in.
    pub session: Option<Session>,
    /// The language the person chose.
    pub lang: Lang,
}

impl AppState {
    /// State from the environment; the clinic is opened lazily by the first command.
    pub fn from_env() -> AppState {
        let data = std::env::var_os("AYADA_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(ayada_core::clinic::default_data_dir);
        let key_file = std::env::var_os("AYADA_KEY_FILE").map(PathBuf::from);
        // The language chosen on this machine last time; else AYADA_LANG (a machine's
        // default); else English.
        let lang = crate::locale::remembered(&data)
            .or_else(|| std::env::var("AYADA_LANG").ok().map(|l| Lang::from_tag(&l)))
            .unwrap_or_default();
        AppState {
            data,
            key: KeySource::choose(key_file),
            inner: Mutex::new(Inner {
                lang,
                ..Inner::default()
            }),
            sync: Mutex::new(None),
            sync_state: Mutex::new(SyncState::default()),
            lan: Mutex::new(None),
            idle_lock_seconds: std::env::var("AYADA_IDLE_LOCK_SECONDS")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .filter(|&s| s > 0)
                .unwrap_or(DEFAULT_IDLE_LOCK_SECONDS),
        }
    }
}
