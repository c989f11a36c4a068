//! The desktop shell: Tauri commands that call ayada-core. No business logic lives here.
#![forbid(unsafe_code)]

/// What the UI shows in its footer: which core it runs on.
#[derive(serde::Serialize)]
pub struct AppInfo {
    /// The ayada-core version compiled into this app.
    pub core_version: &'static str,
}

#[tauri::command]
fn app_info() -> AppInfo {
    AppInfo {
        core_version: ayada_core::VERSION,
    }
}

/// Starts the desktop app.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![app_info])
        .run(tauri::generate_context!())
        .expect("error while running the Ayada desktop app");
}
