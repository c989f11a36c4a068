//! The language WebKit formats with by itself: the date fields.
//!
//! A date field shows its date the way the web view's preferred language writes it, not by
//! the page's `lang` (checked in WebKitGTK 2.50: `lang="en-GB"` on the field changes
//! nothing), and under the C locale or an American one that is month first, "11/23/2026",
//! in Arabic too. Egypt writes the day first, so the English screens use the British order
//! (23/11/2026) and the Arabic ones Egypt's own (٢٣/١١/٢٠٢٦).

use ayada_core::Lang;

/// The language tag the date fields are written in, for the person's language: the one the
/// UI writes its own dates in (`localeOf` in ui/src/lib/i18n.ts).
pub fn date_language(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en-GB",
        Lang::Ar => "ar-EG",
    }
}

/// Tells the window's web view to write dates in `lang`. Date fields drawn after this use
/// it (the screens redraw theirs when the language changes). On other platforms the web
/// view follows the system's own settings.
pub fn apply(window: &tauri::WebviewWindow, lang: Lang) {
    #[cfg(target_os = "linux")]
    {
        let tag = date_language(lang);
        let _ = window.with_webview(move |webview| {
            use webkit2gtk::{WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_preferred_languages(&[tag]);
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (window, lang);
}
