//! Syncing: the background loop and its state, what needs a person's decision after two
//! machines wrote at once, and the machines enrolled with the server.

use ayada_core::conflicts::Conflict;
use ayada_core::{Clinic, CoreError, Lang, Said};
use ayada_sync::messages::MachineStatus;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};

use super::{changing, lang_of, off_the_ui, poisoned, said, with_session, Answer, UiError};
use crate::state::AppState;

/// The sync loop's way into the open clinic: the app's one lock, held only for each local
/// step of a round, so the window keeps working while the network is slow.
struct Access(AppHandle);

impl ayada_client::ClinicAccess for Access {
    fn with<R>(
        &self,
        f: &mut dyn FnMut(&mut Clinic) -> Result<R, ayada_client::ClientError>,
    ) -> Result<R, ayada_client::ClientError> {
        let state = self.0.state::<AppState>();
        let mut inner = state.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.clinic.as_mut() {
            Some(clinic) => f(clinic),
            // Until the clinic is open (first run, or not unlocked yet) there is nothing to sync.
            None => Err(ayada_client::ClientError::Core(CoreError::NoClinic {
                dir: state.data.display().to_string(),
            })),
        }
    }
}

/// Starts the background sync loop: it reports its state to the window (`sync-state`) and
/// tells the screens when a round brought changes from other machines.
pub fn start_sync(app: AppHandle) {
    let reporter = app.clone();
    let sync = ayada_client::sync_loop::spawn(
        std::sync::Arc::new(Access(app.clone())),
        move |state, round| {
            let app_state = reporter.state::<AppState>();
            if let Ok(mut last) = app_state.sync_state.lock() {
                *last = state.clone();
            }
            let lang = app_state.inner.lock().map(|i| i.lang).unwrap_or_default();
            let _ = reporter.emit("sync-state", SyncView::new(state, lang, &app_state));
            if round.is_some_and(|r| r.changed_here()) {
                let _ = reporter.emit("changed", "sync");
            }
        },
    );
    if let Ok(mut slot) = app.state::<AppState>().sync.lock() {
        *slot = Some(sync);
    }
}

/// Starts the LAN side once the clinic is open (it needs the clinic's key and list): the
/// clinic's other machines are found by mDNS and synced with directly, with or without the
/// server. `AYADA_LAN=0` leaves it off (a machine alone, or a network that forbids it).
pub fn start_lan(app: AppHandle) {
    if std::env::var("AYADA_LAN").is_ok_and(|v| v == "0") {
        return;
    }
    std::thread::spawn(move || loop {
        let reporter = app.clone();
        let started = ayada_client::lan_loop::LanLoop::spawn(
            std::sync::Arc::new(Access(app.clone())),
            // Every interface, any free port; AYADA_LAN_BIND names one (a firewall's rule).
            std::env::var("AYADA_LAN_BIND")
                .ok()
                .and_then(|a| a.parse().ok())
                .unwrap_or(std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
            move |_, round| {
                let app_state = reporter.state::<AppState>();
                if round.changed_here() {
                    let _ = reporter.emit("changed", "sync");
                    // What came over the LAN goes on to the server too (it dedups by hash);
                    // without the nudge it would wait for the minute's poll.
                    if let Ok(Some(sync)) = app_state.sync.lock().as_deref() {
                        sync.nudge(ayada_client::sync_loop::Nudge::Local);
                    }
                }
                let last = app_state
                    .sync_state
                    .lock()
                    .map(|s| s.clone())
                    .unwrap_or_default();
                let lang = app_state.inner.lock().map(|i| i.lang).unwrap_or_default();
                let _ = reporter.emit("sync-state", SyncView::new(&last, lang, &app_state));
            },
        );
        match started {
            Ok(lan) => {
                if let Ok(mut slot) = app.state::<AppState>().lan.lock() {
                    *slot = Some(lan);
                }
                return;
            }
            // The clinic is not open yet (first run, or not unlocked): look again shortly.
            Err(_) => std::thread::sleep(std::time::Duration::from_secs(2)),
        }
    });
}

/// Another machine of the clinic found on the LAN, as the header shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LanView {
    pub node: String,
    /// Whether the last round with it went through.
    pub reachable: bool,
}

/// The background sync loop's state as the window shows it (the `sync-state` event's
/// payload), its error in the person's language.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncView {
    pub enrolled: bool,
    pub server: Option<String>,
    pub online: bool,
    pub live: bool,
    pub syncing: bool,
    pub pending: u64,
    /// When the last round finished (Unix seconds).
    pub last_sync: Option<i64>,
    pub error: Option<String>,
    /// During a bootstrap: documents loaded, of how many.
    pub bootstrap: Option<(u64, u64)>,
    /// The clinic's other machines found on the LAN.
    pub lan: Vec<LanView>,
}

impl SyncView {
    fn new(state: &ayada_client::SyncState, lang: Lang, app: &AppState) -> SyncView {
        let lan = app
            .lan
            .lock()
            .ok()
            .and_then(|l| l.as_ref().map(|l| l.machines()))
            .unwrap_or_default()
            .into_iter()
            .map(|m| LanView {
                node: m.node,
                reachable: m.reachable,
            })
            .collect();
        SyncView {
            lan,
            enrolled: state.enrolled,
            server: state.server.clone(),
            online: state.online,
            live: state.live,
            syncing: state.syncing,
            pending: state.pending,
            last_sync: state.last_sync,
            error: state
                .error
                .as_ref()
                .map(|(en, ar)| if lang == Lang::Ar { ar } else { en }.clone()),
            bootstrap: state.bootstrap,
        }
    }
}

/// Every machine enrolled with the sync server, and which one this is.
#[derive(Debug, Serialize, specta::Type)]
pub struct Machines {
    /// This machine's node id.
    pub this: String,
    pub machines: Vec<MachineStatus>,
}

/// How many machines a revocation revoked.
#[derive(Debug, Serialize, specta::Type)]
pub struct Revoked {
    pub revoked: u32,
}

/// Asks the sync loop for a round now, even while it is backing off; the window follows the
/// round through `sync-state` events.
#[tauri::command]
#[specta::specta]
pub fn sync_now(state: State<'_, AppState>) -> Answer<SyncView> {
    if let Some(sync) = state.sync.lock().map_err(|_| poisoned())?.as_ref() {
        sync.nudge(ayada_client::Nudge::Now);
    }
    sync_state(state)
}

/// What the sync loop last reported.
#[tauri::command]
#[specta::specta]
pub fn sync_state(state: State<'_, AppState>) -> Answer<SyncView> {
    let lang = lang_of(&state)?;
    let last = state.sync_state.lock().map_err(|_| poisoned())?.clone();
    Ok(SyncView::new(&last, lang, &state))
}

/// What needs a person's decision (overlapping bookings; late payments for the owner).
#[tauri::command]
#[specta::specta]
pub fn conflicts(state: State<'_, AppState>) -> Answer<Vec<Conflict>> {
    with_session(&state, |c, s| c.conflicts(s))
}

/// Keeps one of the values two machines wrote into a field at once.
#[tauri::command]
#[specta::specta]
pub fn settle_conflict(
    app: AppHandle,
    state: State<'_, AppState>,
    doc_id: String,
    record: String,
    field: String,
    value: String,
) -> Answer<()> {
    changing(&app, &state, "conflicts", |c, s| {
        c.settle_conflict(s, &doc_id, &record, &field, &value)
    })
}

/// Every machine enrolled into the clinic, as the sync server last saw it (owner).
#[tauri::command]
#[specta::specta]
pub async fn machines(app: AppHandle) -> Answer<Machines> {
    off_the_ui(app, |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let (status, this) = with_session(&state, |c, s| {
            s.allow(ayada_core::roles::Action::ManageStaff)?;
            let status = c.sync_settings()?.map(|_| ayada_client::machines(c));
            Ok((status, c.node().to_string()))
        })?;
        let Some(status) = status else {
            return Err(said("not-enrolled", Said::new("app-not-enrolled"), lang));
        };
        let status = status.map_err(|e| UiError {
            code: "sync".into(),
            message: e.sentence(lang),
        })?;
        Ok(Machines {
            this,
            machines: status.machines,
        })
    })
    .await
}

/// The sync server's latest WhatsApp messages to the clinic's patients: kind and state,
/// never the text (owner; the client checks the role before it asks).
#[tauri::command]
#[specta::specta]
pub async fn portal_messages(app: AppHandle) -> Answer<Vec<ayada_sync::OutboxEntry>> {
    off_the_ui(app, |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let answer = with_session(&state, |c, s| {
            Ok(c.sync_settings()?
                .map(|_| ayada_client::portal_messages(c, s)))
        })?;
        let Some(answer) = answer else {
            return Err(said("not-enrolled", Said::new("app-not-enrolled"), lang));
        };
        answer.map(|list| list.messages).map_err(|e| UiError {
            code: "sync".into(),
            message: e.sentence(lang),
        })
    })
    .await
}

/// Input of the download of the server's export, once the clinic's subscription ended: the
/// owner's server account, the passphrase that locks the file, and where it goes.
#[derive(Debug, Deserialize, specta::Type)]
pub struct ServerExport {
    folder: String,
    email: String,
    password: String,
    /// The owner's authenticator code, when two-step sign-in is on (empty otherwise).
    #[serde(default)]
    code: String,
    passphrase: String,
}

/// Where the server's export was saved.
#[derive(Debug, Serialize, specta::Type)]
pub struct ServerExportSaved {
    /// The file.
    file: String,
    /// Its size in bytes.
    bytes: f64,
}

/// Downloads the sync server's export of the clinic after its subscription ended (owner):
/// everything the server kept, locked with a passphrase, to open with `export-open`.
#[tauri::command]
#[specta::specta]
pub async fn download_server_export(
    app: AppHandle,
    input: ServerExport,
) -> Answer<ServerExportSaved> {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let saved = with_session(&state, |c, s| {
            s.allow(ayada_core::roles::Action::BackupExport)?;
            let code = Some(input.code.trim()).filter(|c| !c.is_empty());
            let slug = jiff::Zoned::now().strftime("%Y%m%d-%H%M%S").to_string();
            let out = std::path::Path::new(input.folder.trim())
                .join(format!("ayada-server-export-{slug}.ayada-export"));
            Ok(ayada_client::export_open::download(
                c,
                input.email.trim(),
                &input.password,
                code,
                &input.passphrase,
                &out,
            ))
        })?
        .map_err(|e| UiError {
            code: "sync".into(),
            message: e.sentence(lang),
        })?;
        Ok(ServerExportSaved {
            file: saved.file,
            bytes: saved.bytes as f64,
        })
    })
    .await
}

/// Input of a machine's revocation: the owner's server account, and which machine.
#[derive(Debug, Deserialize, specta::Type)]
pub struct Revoke {
    email: String,
    password: String,
    node: String,
    /// The owner's authenticator code, when two-step sign-in is on (empty otherwise).
    #[serde(default)]
    code: String,
}

/// Revokes a lost or stolen machine with the owner's server account (owner).
#[tauri::command]
#[specta::specta]
pub async fn revoke_machine(app: AppHandle, input: Revoke) -> Answer<Revoked> {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let revoked = with_session(&state, |c, s| {
            s.allow(ayada_core::roles::Action::ManageStaff)?;
            let code = Some(input.code.trim()).filter(|c| !c.is_empty());
            Ok(ayada_client::revoke_with_code(
                c,
                input.email.trim(),
                &input.password,
                &input.node,
                code,
            ))
        })?
        .map_err(|e| UiError {
            code: "sync".into(),
            message: e.sentence(lang),
        })?;
        Ok(Revoked { revoked })
    })
    .await
}
