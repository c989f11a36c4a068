//! The Tauri commands: each takes what the screen typed, calls ayada-core with the
//! logged-in session (roles are checked there, never here), and answers a typed value or a
//! sentence in the person's language. A command that changed the clinic emits `changed`, so
//! every open screen reloads what it shows.
//!
//! Every command returns a Rust type, and the window's TypeScript types and command
//! functions (`ui/src/lib/bindings.ts`) are generated from them by tauri-specta: a renamed
//! field or a changed argument here changes the generated file, and the test command fails
//! while the committed file differs (`bindings_are_current` below), then `tsc` fails on every
//! screen that still uses the old shape.
//!
//! The commands live by screen area: [`session`] (first run, login, language), [`desk`]
//! (patients, bookings, the queue, visits), [`money`] (the drawer, payments, reports and
//! their PDFs), [`setup`] (staff, schedules, prices, the clinic's details), [`sync`] (the
//! sync loop, conflicts, machines), [`files`] (backups and exports) and [`import`] (the
//! patients a clinic brings from before).

pub mod calendar;
pub mod desk;
pub mod files;
pub mod import;
pub mod lan;
pub mod money;
pub mod session;
pub mod setup;
pub mod sync;

use ayada_core::{Clinic, CoreError, Lang, Said, Session};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

use crate::state::{AppState, Inner};

pub use sync::{start_lan, start_sync};

/// An error as the screen shows it.
#[derive(Debug, Serialize, specta::Type)]
pub struct UiError {
    /// Stable code, for the screen's logic.
    pub code: String,
    /// The sentence, in the person's language.
    pub message: String,
}

/// What a command answers: its value, or an error the screen shows.
pub type Answer<T> = Result<T, UiError>;

/// A command that answers nothing but success.
pub type Done = Answer<()>;

fn fail(lang: Lang, err: CoreError) -> UiError {
    UiError {
        code: err.code().to_string(),
        message: err.message(lang),
    }
}

/// An error of the shell's own, its sentence from the core's catalogue.
fn said(code: &str, said: Said, lang: Lang) -> UiError {
    UiError {
        code: code.into(),
        message: said.text(lang),
    }
}

/// Runs `f` with the open clinic and the logged-in session.
fn with_session<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Clinic, &Session) -> Result<T, CoreError>,
) -> Answer<T> {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let lang = inner.lang;
    let Inner {
        clinic, session, ..
    } = &mut *inner;
    let (Some(clinic), Some(session)) = (clinic.as_mut(), session.as_ref()) else {
        return Err(said("not-logged-in", Said::new("app-log-in-first"), lang));
    };
    f(clinic, session).map_err(|e| fail(lang, e))
}

/// `with_session` for a command that changes the clinic: tells every screen afterwards.
fn changing<T>(
    app: &AppHandle,
    state: &State<'_, AppState>,
    what: &str,
    f: impl FnOnce(&mut Clinic, &Session) -> Result<T, CoreError>,
) -> Answer<T> {
    let answer = with_session(state, f)?;
    changed(app, what);
    Ok(answer)
}

/// Tells every open screen that the clinic changed, and the sync loop that there is
/// something to send.
fn changed(app: &AppHandle, what: &str) {
    let _ = app.emit("changed", what);
    let state = app.state::<AppState>();
    if let Some(sync) = state.sync.lock().ok().and_then(|s| s.clone()) {
        sync.nudge(ayada_client::Nudge::Local);
    }
    let lan = state.lan.lock();
    if let Ok(Some(lan)) = lan.as_deref() {
        lan.nudge();
    }
}

/// Runs a command that waits on the network on a thread of its own: the window stays
/// responsive, and blocking HTTP never runs inside the async runtime.
async fn off_the_ui<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(AppHandle) -> Answer<T> + Send + 'static,
) -> Answer<T> {
    tauri::async_runtime::spawn_blocking(move || f(app))
        .await
        .map_err(|_| poisoned())?
}

/// The language the person chose.
fn lang_of(state: &AppState) -> Answer<Lang> {
    Ok(state.inner.lock().map_err(|_| poisoned())?.lang)
}

/// A lock held by a command that panicked. The person's language is behind that lock, so
/// the sentence is in both.
fn poisoned() -> UiError {
    let internal = Said::new("app-internal");
    UiError {
        code: "internal".into(),
        message: format!("{} / {}", internal.text(Lang::En), internal.text(Lang::Ar)),
    }
}

/// Opens the clinic in the data folder if there is one and it is not open yet.
fn ensure_open(state: &State<'_, AppState>, inner: &mut Inner) -> Answer<bool> {
    if inner.clinic.is_some() {
        return Ok(true);
    }
    match Clinic::open(&state.data, &state.key) {
        Ok(c) => {
            inner.clinic = Some(c);
            // The sync loop found no clinic until now: let it look at once, not in a minute.
            if let Some(sync) = state.sync.lock().ok().and_then(|s| s.clone()) {
                sync.nudge(ayada_client::Nudge::Now);
            }
            Ok(true)
        }
        Err(CoreError::NoClinic { .. }) => Ok(false),
        Err(e) => Err(fail(inner.lang, e)),
    }
}

/// Every command the window can call, with the types it exchanges.
pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            session::status,
            session::language,
            session::set_language,
            session::create_clinic,
            session::join_clinic,
            session::login,
            session::start_login_code,
            session::confirm_login_code,
            session::remove_login_code,
            session::login_code_on,
            session::logout,
            session::ui_ready,
            setup::staff,
            setup::add_staff,
            setup::set_schedule,
            setup::schedule,
            setup::set_schedule_exception,
            setup::clinic_details,
            setup::update_clinic_details,
            setup::portal_settings,
            setup::set_portal_settings,
            setup::visit_types,
            setup::set_visit_type,
            setup::insurers,
            setup::add_insurer,
            desk::search_patients,
            desk::add_patient,
            desk::patient_file,
            desk::update_patient,
            desk::free_slots,
            desk::book,
            desk::walk_in,
            desk::appointments,
            desk::booking_requests,
            desk::set_status,
            desk::record_visit,
            calendar::move_appointment,
            calendar::move_appointments,
            calendar::cancel_appointments,
            calendar::mark_absent,
            calendar::bookings_between,
            calendar::end_absence,
            calendar::follow_ups,
            calendar::book_follow_up,
            money::open_shift,
            money::open_shift_here,
            money::close_shift,
            money::pay,
            money::refund,
            money::add_expense,
            money::day_report,
            money::report_words,
            money::close_day,
            money::save_day_pdf,
            money::save_receipt_pdf,
            money::revenue,
            sync::sync_now,
            sync::sync_state,
            sync::conflicts,
            sync::settle_conflict,
            sync::machines,
            sync::portal_messages,
            sync::revoke_machine,
            sync::download_server_export,
            lan::invite_machine,
            lan::listed_machines,
            lan::join_over_lan,
            files::default_folder,
            files::backup_to,
            files::export_to,
            import::import_patients,
        ])
        // The `sync-state` event's payload; the window listens for it.
        .typ::<sync::SyncView>()
        // Commands that fail answer `UiError` as a thrown value, as Tauri's `invoke` does.
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // Money (piastres), counts and Unix times are i64/u64 in Rust; every one stays far
        // below 2^53, where a JavaScript number is exact.
        .dangerously_cast_bigints_to_number()
        // One type per Rust type (the window only reads what it is sent, and sends inputs).
        .disable_serde_phases()
}

/// Routes each call from the window: the typed commands, and `photo`, whose answer is raw
/// bytes (an `ArrayBuffer`, not JSON) that specta cannot describe.
pub fn invoke_handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    // The handler borrows its builder for as long as the app runs: one builder per process,
    // kept for good.
    let typed = Box::leak(Box::new(builder())).invoke_handler();
    let raw: Box<dyn Fn(tauri::ipc::Invoke) -> bool + Send + Sync> =
        Box::new(tauri::generate_handler![desk::photo]);
    move |invoke| {
        if invoke.message.command() == "photo" {
            raw(invoke)
        } else {
            typed(invoke)
        }
    }
}

/// The generated TypeScript, as `ui/src/lib/bindings.ts` holds it.
pub fn bindings() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("ayada-bindings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("bindings.ts");
    builder()
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from src-tauri/src/commands by tauri-specta; do not edit.\n// Regenerate: AYADA_WRITE_BINDINGS=1 cargo test -p ayada --lib bindings_are_current"),
            &path,
        )
        .map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    text
}

#[cfg(test)]
mod tests {
    /// The committed bindings are what the commands generate: a changed command or type
    /// fails here until the file is regenerated (and then `tsc` checks every screen).
    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
        let generated = super::bindings().expect("the bindings could not be generated");
        if std::env::var_os("AYADA_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/bindings.ts is not what the commands generate; run \
             AYADA_WRITE_BINDINGS=1 cargo test -p ayada --lib bindings_are_current"
        );
    }
}
