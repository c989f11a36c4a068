//! What the portal says, in Arabic (the default) and English, through Fluent: the pages and
//! the messages to patients. The catalogues are compiled in and parsed once.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use jiff::Zoned;

const EN: &str = include_str!("../../locales/portal-en.ftl");
const AR: &str = include_str!("../../locales/portal-ar.ftl");
// The operator's console speaks through the same bundles.
const ADMIN_EN: &str = include_str!("../../locales/admin-en.ftl");
const ADMIN_AR: &str = include_str!("../../locales/admin-ar.ftl");

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Arabic, right to left: what a patient in Egypt sees first.
    #[default]
    Ar,
    /// English.
    En,
}

impl Lang {
    /// "en" is English; anything else (nothing, "ar", a typo) is Arabic.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some(c) if c.trim().eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Ar,
        }
    }

    /// "ar" or "en".
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// The writing direction.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The other language, for the switch on every page.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::En,
            Lang::En => Lang::Ar,
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundle(tag: &str, sources: &[&str], isolate: bool) -> Bundle {
    let langid: unic_langid::LanguageIdentifier = tag.parse().expect("static language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    bundle.set_use_isolating(isolate);
    for source in sources {
        let resource = FluentResource::try_new(source.to_string()).expect("the catalogue parses");
        bundle
            .add_resource(resource)
            .expect("message ids are unique within a catalogue");
    }
    bundle
}

static BUNDLES: LazyLock<(Bundle, Bundle)> = LazyLock::new(|| {
    (
        bundle("ar-EG", &[AR, ADMIN_AR], false),
        bundle("en-US", &[EN, ADMIN_EN], false),
    )
});

/// Message `id` in `lang` with `args` (numbers choose plural forms); a missing id comes back
/// as itself, and the catalogue test catches it.
pub fn say(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let bundle = match lang {
        Lang::Ar => &BUNDLES.0,
        Lang::En => &BUNDLES.1,
    };
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        return id.to_string();
    };
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        fluent.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent), &mut errors)
        .into_owned()
}

/// Message `id` in `lang`, with no values.
pub fn t(lang: Lang, id: &str) -> String {
    say(lang, id, &[])
}

/// Digits as the language writes them: Arabic-Indic in Arabic.
pub fn digits(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_string(),
        Lang::Ar => text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c),
                _ => c,
            })
            .collect(),
    }
}

const AR_DAYS: [&str; 7] = [
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
    "الأحد",
];
const AR_MONTHS: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

/// A day as a person reads it: "Sunday 29 November" / "الأحد ٢٩ نوفمبر".
pub fn day(lang: Lang, at: &Zoned) -> String {
    match lang {
        Lang::En => at.strftime("%A %-d %B").to_string(),
        Lang::Ar => digits(
            lang,
            &format!(
                "{} {} {}",
                AR_DAYS[at.weekday().to_monday_zero_offset() as usize],
                at.day(),
                AR_MONTHS[(at.month() - 1) as usize]
            ),
        ),
    }
}

/// A clinic-local time of day: "10:30".
pub fn clock(lang: Lang, at: &Zoned) -> String {
    digits(lang, &at.strftime("%H:%M").to_string())
}

/// A visit's time in full, in the clinic's zone: "Sunday 29 November, 10:30".
pub fn when(lang: Lang, at: &Zoned) -> String {
    match lang {
        Lang::En => format!("{}, {}", day(lang, at), clock(lang, at)),
        Lang::Ar => format!("{}، الساعة {}", day(lang, at), clock(lang, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(src: &str) -> Vec<String> {
        let mut v: Vec<String> = src
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .map(|l| l.split(" = ").next().unwrap_or_default().trim().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn both_catalogues_say_the_same_things() {
        assert_eq!(ids(EN), ids(AR));
        assert_eq!(ids(ADMIN_EN), ids(ADMIN_AR));
    }

    #[test]
    fn arabic_counts_take_their_plural_forms_and_digits() {
        let left = |n: i64| say(Lang::Ar, "err-code", &[("left", n.into())]);
        assert!(left(2).contains("محاولتان"), "{}", left(2));
        assert!(left(1).contains("محاولة واحدة"));
        assert!(say(Lang::En, "err-code", &[("left", 1.into())]).contains("One try left"));
        let at: Zoned = "2026-11-29T10:30[Africa/Cairo]".parse().unwrap();
        assert_eq!(when(Lang::En, &at), "Sunday 29 November, 10:30");
        assert_eq!(when(Lang::Ar, &at), "الأحد ٢٩ نوفمبر، الساعة ١٠:٣٠");
    }
}
