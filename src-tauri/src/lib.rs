//! The desktop shell: Tauri commands that call ayada-core, the app's state and its events.
//! No business logic lives here; roles are checked in ayada-core.
#![forbid(unsafe_code)]

pub mod commands;
pub mod state;

/// WebKitGTK's DMA-BUF renderer gives the web process a GL context of its own; for a window
/// of forms it buys no visible speed and costs memory: measured under Xvfb the web process
/// took 178 MB with it and 101 MB without (docs/BENCHMARKS.md, "Desktop app"). It is also
/// the usual cause of a blank Tauri window on some GPU drivers. Set before GTK starts (no
/// thread is running yet); a value the user set is kept.
fn webview_environment() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
}

/// Starts the desktop app.
pub fn run() {
    webview_environment();
    tauri::Builder::default()
        .manage(state::AppState::from_env())
        .setup(|app| {
            commands::start_sync(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::set_language,
            commands::create_clinic,
            commands::join_clinic,
            commands::login,
            commands::logout,
            commands::staff,
            commands::add_staff,
            commands::set_schedule,
            commands::schedule,
            commands::set_schedule_exception,
            commands::search_patients,
            commands::add_patient,
            commands::photo,
            commands::clinic_details,
            commands::update_clinic_details,
            commands::visit_types,
            commands::set_visit_type,
            commands::insurers,
            commands::add_insurer,
            commands::patient_file,
            commands::update_patient,
            commands::free_slots,
            commands::book,
            commands::walk_in,
            commands::appointments,
            commands::booking_requests,
            commands::set_status,
            commands::record_visit,
            commands::open_shift,
            commands::close_shift,
            commands::pay,
            commands::refund,
            commands::add_expense,
            commands::conflicts,
            commands::settle_conflict,
            commands::day_report,
            commands::close_day,
            commands::sync_now,
            commands::sync_state,
            commands::save_day_pdf,
            commands::save_receipt_pdf,
            commands::revenue,
            commands::ui_ready,
            commands::default_folder,
            commands::backup_to,
            commands::export_to,
            commands::machines,
            commands::revoke_machine,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Ayada desktop app");
}
