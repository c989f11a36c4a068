//! The floor under the desktop app's memory: the same Tauri and WebKitGTK, with the same
//! settings (`webview_environment`), in a window of the same size showing a page of one
//! word, and no clinic behind it. What it takes idle is what any window of this stack takes
//! before the app draws anything; `scripts/bench-desktop.sh` measures it beside the app.

fn main() {
    ayada_app::webview_environment();
    let mut context = tauri::generate_context!();
    // Only the window below: the app's own would load the interface.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        // Served the way the app's interface is (a custom scheme, not a data: URL, which
        // Tauri builds without, nor about:blank, which WebKit draws without a web process).
        .register_uri_scheme_protocol("floor", |_, _| {
            tauri::http::Response::builder()
                .header("Content-Type", "text/html")
                .body(b"<!doctype html><p>floor</p>".to_vec())
                .expect("a fixed response")
        })
        .setup(|app| {
            let page = tauri::WebviewUrl::CustomProtocol("floor://localhost/".parse()?);
            tauri::WebviewWindowBuilder::new(app, "floor", page)
                .title("floor")
                .inner_size(1200.0, 800.0)
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("the window could not start");
}
