// Keeps a console window from opening beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

fn main() {
    // WebKitGTK's accelerated compositing keeps GL buffers for a page that is all forms and
    // tables: off by default it saves ~75 MB per window (docs/BENCHMARKS.md). Set the
    // variable to 0 to turn compositing back on. Single-threaded here, before anything runs.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    ayada_app::run();
}
