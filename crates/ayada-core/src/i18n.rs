//! Person-facing messages in Arabic and English, through Fluent.
//!
//! The catalogues live in `locales/*.ftl` and are compiled into the crate, so a machine
//! with no network and no files beside the binary still speaks both languages.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

const EN: &str = include_str!("../locales/en.ftl");
const AR: &str = include_str!("../locales/ar.ftl");

/// A language a person can read Ayada in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, left to right.
    #[default]
    En,
    /// Arabic, right to left.
    Ar,
}

impl Lang {
    /// Reads "ar", "ar_EG.UTF-8", "en-US"... into a language; anything else is English.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("ar") {
            Lang::Ar
        } else {
            Lang::En
        }
    }
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let (tag, source) = match lang {
        Lang::En => ("en-US", EN),
        Lang::Ar => ("ar-EG", AR),
    };
    let langid: unic_langid::LanguageIdentifier = tag.parse().expect("static language tag");
    let mut bundle = FluentBundle::new(vec![langid]);
    // Isolation marks help Arabic sentences that embed Latin values, and only clutter English.
    bundle.set_use_isolating(lang == Lang::Ar);
    let resource =
        FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, _)| partial);
    bundle
        .add_resource(resource)
        .expect("message ids are unique within a catalogue");
    bundle
}

/// Formats message `id` with `args` in `lang`; an unknown id comes back as the id itself.
pub fn message(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    lookup(lang, id, args).unwrap_or_else(|| id.to_string())
}

/// Formats message `id` with `args` in `lang`, if the catalogue has it.
fn lookup(lang: Lang, id: &str, args: &[(&str, String)]) -> Option<String> {
    let bundle = bundle(lang);
    let pattern = bundle.get_message(id).and_then(|m| m.value())?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        // A whole number goes in as a number, so that a message can choose its plural form
        // (Arabic has six); anything else, a phone's leading zero included, stays text.
        match value.parse::<i64>() {
            Ok(n) if n.to_string() == *value && n.abs() < 1_000_000_000_000 => {
                fluent_args.set(*name, n)
            }
            _ => fluent_args.set(*name, value.clone()),
        }
    }
    let mut errors = Vec::new();
    Some(
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned(),
    )
}

/// A sentence of the catalogue, not yet put into a language: the id of its message and the
/// values it names. The sync client, the CLI and the desktop shell say everything a person
/// reads through these, so every sentence of the Rust side lives in `locales/*.ftl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    id: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Said {
    /// The message `id`, with no values yet.
    pub fn new(id: &'static str) -> Said {
        Said {
            id,
            args: Vec::new(),
        }
    }

    /// The same sentence with `$name` set to `value`.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Said {
        self.args.push((name, value.to_string()));
        self
    }

    /// Its message id.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The sentence in `lang`. A message missing from the catalogue is a bug: the tests fail
    /// on it, and a release build says the id rather than nothing.
    pub fn text(&self, lang: Lang) -> String {
        let found = lookup(lang, self.id, &self.args);
        debug_assert!(found.is_some(), "no message {} in the catalogue", self.id);
        found.unwrap_or_else(|| self.id.to_string())
    }
}

/// English, for logs and `Display`.
impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

/// The word for `key` of a family (`role`, `action`, `what`, `field`, `reason`): looks up
/// `family-key` and falls back to `key` itself, so free text passes through unchanged.
pub fn term(lang: Lang, family: &str, key: &str) -> String {
    let id = format!("{family}-{key}");
    let text = message(lang, &id, &[]);
    if text == id {
        key.to_string()
    } else {
        text
    }
}

/// The person-facing sentence for an error.
pub fn error_message(lang: Lang, err: &CoreError) -> String {
    use CoreError::*;
    let role = |r: &str| term(lang, "role", r);
    let args: Vec<(&str, String)> = match err {
        WrongKey | LoginFailed | LoginCodeRequired | LoginCodeWrong | NoOpenShift
        | ShiftAlreadyOpen | AuditUnprotected => vec![],
        NoClinic { dir } | ClinicExists { dir } => vec![("dir", dir.clone())],
        KeyringUnavailable { detail } | Storage { detail } | Document { detail } => {
            vec![("detail", detail.clone())]
        }
        BadKeyFile { path, reason } => vec![("path", path.clone()), ("reason", reason.clone())],
        KeySourceMismatch { expected, given } => {
            vec![("expected", expected.clone()), ("given", given.clone())]
        }
        AccountInactive { login } => vec![("login", login.clone())],
        Forbidden { action, role: r } => {
            vec![("action", term(lang, "action", action)), ("role", role(r))]
        }
        NotFound { what, id } => vec![("what", term(lang, "what", what)), ("id", id.clone())],
        Invalid { field, reason } => vec![
            ("field", term(lang, "field", field)),
            ("reason", term(lang, "reason", reason)),
        ],
        InvalidMoney { input } | InvalidPhone { input } => vec![("input", input.clone())],
        VitalOutOfRange {
            vital,
            value,
            min,
            max,
        } => vec![
            ("vital", vital.clone()),
            ("value", value.clone()),
            ("min", min.clone()),
            ("max", max.clone()),
        ],
        InvalidTransition { from, to } => vec![
            ("from", term(lang, "status", from)),
            ("to", term(lang, "status", to)),
        ],
        SlotTaken { doctor, at } => vec![("doctor", doctor.clone()), ("at", at.clone())],
        DoctorAbsent { doctor, date } => vec![("doctor", doctor.clone()), ("date", date.clone())],
        Duplicate { what, value } => {
            vec![("what", term(lang, "what", what)), ("value", value.clone())]
        }
        BadImage { reason } => vec![("reason", term(lang, "reason", reason))],
        ImageTooLarge { limit } => vec![("limit", limit.clone())],
        ImportRejected { bad_lines } => vec![("bad_lines", bad_lines.to_string())],
        AuditTampered { seq } => vec![("seq", seq.to_string())],
        DayClosed { date, number } => vec![("date", date.clone()), ("number", number.to_string())],
        BadBackup { path } => vec![("path", path.clone())],
    };
    message(lang, err.code(), &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_a_message_in_both_languages() {
        let samples = [
            CoreError::WrongKey,
            CoreError::LoginFailed,
            CoreError::DayClosed {
                date: "2026-11-22".into(),
                number: 7,
            },
            CoreError::BadBackup {
                path: "b.ayada".into(),
            },
            CoreError::NoOpenShift,
            CoreError::InvalidMoney {
                input: "1.234".into(),
            },
            CoreError::Forbidden {
                action: "read-money".into(),
                role: "receptionist".into(),
            },
        ];
        for err in samples {
            for lang in [Lang::En, Lang::Ar] {
                let text = err.message(lang);
                assert_ne!(text, err.code(), "{lang:?} lacks {}", err.code());
            }
        }
        let ar = CoreError::WrongKey.message(Lang::Ar);
        assert!(ar.contains("المفتاح"), "{ar}");
        let forbidden = CoreError::Forbidden {
            action: "read-money".into(),
            role: "receptionist".into(),
        };
        assert_eq!(
            forbidden.to_string(),
            "A receptionist may not read the money (cash totals, reports, revenue). Ask the clinic owner if you need this."
        );
        assert!(forbidden.message(Lang::Ar).contains("موظف الاستقبال"));
    }

    #[test]
    fn a_said_sentence_comes_from_the_catalogue_in_each_language_with_its_values() {
        let said = Said::new("cli-import-rejected").with("bad_lines", 3);
        assert_eq!(
            said.text(Lang::En),
            "3 line(s) of the file have errors, so nothing was imported. Fix them, or accept skipping them. (--skip-bad-lines)"
        );
        let ar = said.text(Lang::Ar);
        assert!(ar.contains("لم يُستورد شيء") && ar.contains('3'), "{ar}");
        assert_eq!(said.to_string(), said.text(Lang::En));
    }

    #[test]
    #[should_panic(expected = "no message no-such-message")]
    fn a_sentence_missing_from_the_catalogue_fails_the_tests() {
        let id = "no-such-message";
        Said::new(id).text(Lang::En);
    }

    #[test]
    fn every_kind_of_record_a_refusal_names_has_its_word_in_both_languages() {
        // The `what` of CoreError::NotFound / Duplicate, from ids.rs and the modules.
        for what in [
            "clinic",
            "machine",
            "staff-member",
            "patient",
            "appointment",
            "visit",
            "cashbook-entry",
            "shift",
            "visit-type",
            "insurer",
            "doctor",
            "schedule",
            "photo",
            "payment",
            "record",
            "field",
            "login",
        ] {
            for lang in [Lang::En, Lang::Ar] {
                let id = format!("what-{what}");
                assert_ne!(message(lang, &id, &[]), id, "{lang:?} lacks {id}");
            }
        }
    }

    #[test]
    fn both_catalogues_define_the_same_messages() {
        let ids = |src: &str| -> Vec<String> {
            let mut v: Vec<String> = src
                .lines()
                .filter(|l| !l.starts_with('#') && l.contains(" = "))
                .map(|l| l.split(" = ").next().unwrap_or_default().trim().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids(EN), ids(AR));
    }
}
