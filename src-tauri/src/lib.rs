//! The desktop shell: Tauri commands that call ayada-core, the app's state and its events.
//! No business logic lives here; roles are checked in ayada-core.
#![forbid(unsafe_code)]

pub mod commands;
pub mod locale;
pub mod state;

use tauri::Manager;

/// WebKitGTK's DMA-BUF renderer gives the web process a GL context of its own; for a window
/// of forms it buys no visible speed and costs memory: measured under Xvfb the web process
/// took 178 MB with it and 101 MB without (docs/BENCHMARKS.md, "Desktop app"). It is also
/// the usual cause of a blank Tauri window on some GPU drivers. Set before GTK starts (no
/// thread is running yet); a value the user set is kept, and with it the rest of WebKit's
/// defaults.
///
/// With that renderer off the app's own process draws no GL at all, yet two probes would
/// still load a GL driver into it (Mesa's, which links LLVM: 23 MB measured): GTK looks for
/// GL visuals at start, and WebKit asks EGL which GPU node to hand the web process. GTK's
/// probe is turned off, and WebKit is told the node directly: the first render node under
/// /dev/dri, as EGL would answer on a one-GPU machine. A machine without one (software
/// rendering) is named the node a first GPU would have, which does not exist, so the web
/// process finds no GPU buffers, as it would from EGL's empty answer.
///
/// JavaScriptCore's JIT compilers are off: the window runs only the app's own bundle, whose
/// work is a few DOM updates per keystroke, so the interpreter is fast enough (cold start
/// measured the same), and no executable memory is written at run time. It saves 4–5 MB
/// idle on the login screen and 9–11 MB on the Today screen (docs/BENCHMARKS.md, "The
/// desktop app"). `JSC_useJIT=true` turns them back on.
///
/// glibc's allocator in WebKit's processes keeps its threshold for handing big blocks to the
/// kernel fixed at its starting 128 KiB: by default it raises it as the process frees big
/// blocks, and then keeps what the first paint's font and GL work freed (≈ 6.5 MB found in
/// the web process with `malloc_trim`; this setting saves 3–6 MB on the Today screen).
pub fn webview_environment() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("JSC_useJIT").is_none() {
        std::env::set_var("JSC_useJIT", "false");
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        std::env::set_var("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072");
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
        if std::env::var_os("GDK_GL").is_none() {
            std::env::set_var("GDK_GL", "disable");
        }
        if std::env::var_os("WEBKIT_WEB_RENDER_DEVICE_FILE").is_none() {
            std::env::set_var("WEBKIT_WEB_RENDER_DEVICE_FILE", render_node());
        }
    }
}

/// The first DRM render node of this machine, or where a first one would be.
#[cfg(target_os = "linux")]
fn render_node() -> std::path::PathBuf {
    let mut nodes: Vec<_> = std::fs::read_dir("/dev/dri")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("renderD"))
        })
        .collect();
    nodes.sort();
    nodes
        .into_iter()
        .next()
        .unwrap_or_else(|| "/dev/dri/renderD128".into())
}

/// Starts the desktop app.
pub fn run() {
    webview_environment();
    tauri::Builder::default()
        .manage(state::AppState::from_env())
        .setup(|app| {
            commands::start_sync(app.handle().clone());
            commands::start_lan(app.handle().clone());
            if let Some(window) = app.get_webview_window("main") {
                let state = app.state::<state::AppState>();
                let lang = state.inner.lock().map(|i| i.lang).unwrap_or_default();
                locale::apply(&window, lang);
            }
            Ok(())
        })
        .invoke_handler(commands::invoke_handler())
        .run(tauri::generate_context!())
        .expect("error while running the Ayada desktop app");
}
