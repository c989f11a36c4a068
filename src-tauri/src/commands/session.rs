//! First run, login and language: where the app stands before and around a session.

use ayada_core::staff::StaffMember;
use ayada_core::{Clinic, InitOptions, Lang, Role, Said, Session};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State, WebviewWindow};

use super::{
    changed, changing, ensure_open, fail, lang_of, off_the_ui, poisoned, said, with_session,
    Answer, Done, UiError,
};
use crate::state::AppState;

/// Who is logged in.
#[derive(Debug, Serialize, specta::Type)]
pub struct SessionView {
    pub login: String,
    pub name: String,
    pub role: Role,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        SessionView {
            login: s.login().to_string(),
            name: s.name().to_string(),
            role: s.role(),
        }
    }
}

/// Where this machine syncs and how many of its changes the server has not had yet.
#[derive(Debug, Serialize, specta::Type)]
pub struct SyncSummary {
    pub server: String,
    pub pending: u64,
}

/// Where the app stands.
#[derive(Debug, Serialize, specta::Type)]
pub struct AppStatus {
    pub has_clinic: bool,
    /// The clinic's today (its time zone), once there is a clinic.
    pub today: Option<String>,
    pub sync: Option<SyncSummary>,
    pub session: Option<SessionView>,
    pub lang: Lang,
    /// The active staff, for the login screen's list.
    pub logins: Vec<StaffMember>,
    pub core_version: String,
    pub idle_lock_seconds: u64,
    /// The clinic's time zone: the UI reads stored UTC times in it, not the computer's.
    pub time_zone: Option<String>,
}

/// Where the app stands: is there a clinic, who is logged in, which language.
#[tauri::command]
#[specta::specta]
pub fn status(state: State<'_, AppState>) -> Answer<AppStatus> {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let has_clinic = ensure_open(&state, &mut inner)?;
    let lang = inner.lang;
    let logins = match &inner.clinic {
        Some(c) => c.login_names().map_err(|e| fail(lang, e))?,
        None => Vec::new(),
    };
    let sync = match &inner.clinic {
        Some(c) => match c.sync_settings().map_err(|e| fail(lang, e))? {
            Some(settings) => Some(SyncSummary {
                pending: c
                    .count_for(ayada_core::replication::SERVER_PEER, settings.pushed)
                    .map_err(|e| fail(lang, e))?,
                server: settings.server,
            }),
            None => None,
        },
        None => None,
    };
    Ok(AppStatus {
        has_clinic,
        today: inner.clinic.as_ref().map(|c| c.time().today().to_string()),
        sync,
        session: inner.session.as_ref().map(SessionView::from),
        lang,
        logins,
        core_version: ayada_core::VERSION.to_string(),
        idle_lock_seconds: state.idle_lock_seconds,
        time_zone: inner.clinic.as_ref().map(|c| c.time().name().to_string()),
    })
}

/// The language switched to.
#[derive(Debug, Serialize, specta::Type)]
pub struct LanguageView {
    pub lang: Lang,
    /// Whether the choice was saved for the next start.
    pub remembered: bool,
}

/// The person's language alone: the window asks when `status` fails (a clinic that cannot
/// be opened), so the error it shows is laid out in its own direction.
#[tauri::command]
#[specta::specta]
pub fn language(state: State<'_, AppState>) -> Answer<Lang> {
    lang_of(&state)
}

/// Switches the language of messages (the screen mirrors itself) and remembers it for the
/// next start. A folder that cannot be written does not stop the switch: the answer says
/// whether it was remembered.
#[tauri::command]
#[specta::specta]
pub fn set_language(
    window: WebviewWindow,
    state: State<'_, AppState>,
    lang: Lang,
) -> Answer<LanguageView> {
    state.inner.lock().map_err(|_| poisoned())?.lang = lang;
    crate::locale::apply(&window, lang);
    let remembered = crate::locale::remember(&state.data, lang).is_ok();
    Ok(LanguageView { lang, remembered })
}

/// Input of the first-run screen.
#[derive(Debug, Deserialize, specta::Type)]
pub struct NewClinic {
    clinic_name: String,
    owner_name: String,
    owner_login: String,
    owner_password: String,
}

/// Creates the clinic on first run and logs its owner in.
#[tauri::command]
#[specta::specta]
pub fn create_clinic(
    app: AppHandle,
    state: State<'_, AppState>,
    input: NewClinic,
) -> Answer<SessionView> {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let lang = inner.lang;
    let (clinic, owner) = Clinic::init(
        &state.data,
        &state.key,
        &InitOptions::in_egypt(
            input.clinic_name,
            input.owner_login,
            input.owner_name,
            input.owner_password,
        ),
    )
    .map_err(|e| fail(lang, e))?;
    let answer = SessionView::from(&owner);
    inner.clinic = Some(clinic);
    inner.session = Some(owner);
    drop(inner);
    changed(&app, "clinic");
    Ok(answer)
}

/// Input of "join an existing clinic" on the first-run screen.
#[derive(Debug, Deserialize, specta::Type)]
pub struct JoinClinic {
    server: String,
    email: String,
    password: String,
    /// The owner's authenticator code, when two-step sign-in is on (empty otherwise).
    #[serde(default)]
    code: String,
}

/// What joining did.
#[derive(Debug, Serialize, specta::Type)]
pub struct Joined {
    pub clinic_id: String,
    pub node_id: String,
    /// Whether this machine's clinic seeded the server (the first machine).
    pub seeded: bool,
}

/// Enrolls this machine (empty data folder, its own new key) into the clinic the sync server
/// holds for this owner account; the background loop then loads the clinic. Runs off the UI
/// thread: it talks to the server.
#[tauri::command]
#[specta::specta]
pub async fn join_clinic(app: AppHandle, input: JoinClinic) -> Answer<Joined> {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let code = Some(input.code.trim()).filter(|c| !c.is_empty());
        let enrolled = ayada_client::enroll_with_code(
            &state.data,
            &state.key,
            &input.server,
            input.email.trim(),
            &input.password,
            code,
        )
        .map_err(|e| UiError {
            code: "enroll".into(),
            message: e.sentence(lang),
        })?;
        let mut inner = state.inner.lock().map_err(|_| poisoned())?;
        ensure_open(&state, &mut inner)?;
        drop(inner);
        changed(&app, "clinic");
        Ok(Joined {
            clinic_id: enrolled.clinic_id.to_string(),
            node_id: enrolled.node_id.to_string(),
            seeded: enrolled.seeded,
        })
    })
    .await
}

/// Logs a staff member in (offline, against the clinic's accounts), with the code of the
/// account's authenticator app when it asks for one (empty otherwise).
#[tauri::command]
#[specta::specta]
pub fn login(
    state: State<'_, AppState>,
    login: String,
    password: String,
    code: String,
) -> Answer<SessionView> {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let lang = inner.lang;
    if !ensure_open(&state, &mut inner)? {
        return Err(said("no-clinic", Said::new("app-no-clinic"), lang));
    }
    let clinic = inner.clinic.as_mut().expect("opened above");
    let code = Some(code.trim()).filter(|c| !c.is_empty());
    let session = clinic
        .login_with_code(&login, &password, code)
        .map_err(|e| fail(lang, e))?;
    let answer = SessionView::from(&session);
    inner.session = Some(session);
    Ok(answer)
}

/// Logs out (quick user switch, or the idle lock).
#[tauri::command]
#[specta::specta]
pub fn logout(state: State<'_, AppState>) -> Done {
    state.inner.lock().map_err(|_| poisoned())?.session = None;
    Ok(())
}

/// A screen is drawn with its data for the first time in this run: the first screen
/// ("first-run" or "login"), or the first one after a login ("session"). With
/// AYADA_BENCH_STARTUP set, prints which and the wall-clock time of this moment (for
/// scripts/bench-desktop.sh, which knows when it launched the app).
#[tauri::command]
#[specta::specta]
pub fn ui_ready(screen: String) -> Done {
    if std::env::var_os("AYADA_BENCH_STARTUP").is_some() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        println!(
            "{}",
            serde_json::json!({ "screen": screen, "ready_unix_ms": now })
        );
    }
    Ok(())
}

/// Starts turning the owner's login code on: the key and QR code for the app (owner).
#[tauri::command]
#[specta::specta]
pub fn start_login_code(state: State<'_, AppState>) -> Answer<ayada_core::LoginCodeSetup> {
    with_session(&state, |c, s| c.start_login_code(s))
}

/// Turns the owner's login code on with a first code from the app (owner).
#[tauri::command]
#[specta::specta]
pub fn confirm_login_code(app: AppHandle, state: State<'_, AppState>, code: String) -> Done {
    changing(&app, &state, "staff", |c, s| c.confirm_login_code(s, &code))
}

/// Turns the owner's login code off with a code from the app (owner).
#[tauri::command]
#[specta::specta]
pub fn remove_login_code(app: AppHandle, state: State<'_, AppState>, code: String) -> Done {
    changing(&app, &state, "staff", |c, s| c.remove_login_code(s, &code))
}

/// Whether the logged-in account's login asks for a code.
#[tauri::command]
#[specta::specta]
pub fn login_code_on(state: State<'_, AppState>) -> Answer<bool> {
    with_session(&state, |c, s| c.login_code_on(s))
}
