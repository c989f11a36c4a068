//! The language of the window: the one this machine remembers, and the one WebKit formats
//! with by itself (the date fields).
//!
//! A date field shows its date the way the web view's preferred language writes it, not by
//! the page's `lang` (checked in WebKitGTK 2.50: `lang="en-GB"` on the field changes
//! nothing), and under the C locale or an American one that is month first, "11/23/2026",
//! in Arabic too. Egypt writes the day first, so the English screens use the British order
//! (23/11/2026) and the Arabic ones Egypt's own order in Western digits (`-u-nu-latn`: the
//! digits of the money, the times and the printed reports; Egypt's Arabic locale alone
//! would write ٢٣/١١/٢٠٢٦ in the field beside 10:15 in the queue).

use std::path::Path;

use ayada_core::Lang;

/// The file in the data folder that remembers the language chosen on this machine. It sits
/// outside the encrypted clinic because the first screens — the login, the first run, a
/// "cannot open this clinic" message — are written in it before anything is unlocked. It
/// holds "en" or "ar" and nothing else.
const REMEMBERED: &str = "language";

/// The language last chosen on this machine, if one was.
pub fn remembered(data: &Path) -> Option<Lang> {
    match std::fs::read_to_string(data.join(REMEMBERED)).ok()?.trim() {
        "ar" => Some(Lang::Ar),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// Remembers `lang` for the next start. Written beside the file and renamed over it, so a
/// crash or a full disk leaves the old choice or the new one, never half a word.
pub fn remember(data: &Path, lang: Lang) -> std::io::Result<()> {
    std::fs::create_dir_all(data)?;
    let fresh = data.join("language.new");
    std::fs::write(&fresh, if lang == Lang::Ar { "ar" } else { "en" })?;
    std::fs::rename(fresh, data.join(REMEMBERED))
}

/// The language tag the date fields are written in, for the person's language: the one the
/// UI writes its own dates in (`localeOf` in ui/src/lib/i18n.ts).
pub fn date_language(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en-GB",
        Lang::Ar => "ar-EG-u-nu-latn",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_language_is_remembered_in_the_data_folder_and_nothing_else_is_read_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("clinic");
        assert_eq!(remembered(&data), None, "nothing chosen yet");
        remember(&data, Lang::Ar).unwrap();
        assert_eq!(remembered(&data), Some(Lang::Ar));
        remember(&data, Lang::En).unwrap();
        assert_eq!(remembered(&data), Some(Lang::En));
        assert!(!data.join("language.new").exists());
        std::fs::write(data.join(REMEMBERED), "fr").unwrap();
        assert_eq!(remembered(&data), None);
    }
}
