//! The owner's download page of a terminated clinic's data.

use maud::{html, Markup};

use super::pages::page;
use crate::portal::words::{say, t, Lang};
use crate::store::ClinicRecord;

/// The download form: the owner's password (and code), and the passphrase for the file.
pub fn form(
    lang: Lang,
    clinic: &ClinicRecord,
    until: &str,
    csrf: &str,
    needs_code: bool,
    error: Option<&str>,
) -> Markup {
    let intro = say(
        lang,
        "owner-export-intro",
        &[
            ("clinic", clinic.name.clone().into()),
            ("until", until.to_string().into()),
        ],
    );
    page(
        lang,
        &t(lang, "owner-export-title"),
        None,
        "",
        html! {
            section.narrow {
                h2 { (t(lang, "owner-export-title")) }
                p #intro { (intro) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                form method="post" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="password" { (t(lang, "admin-password")) " " bdi dir="ltr" { (clinic.owner_email) } }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    @if needs_code {
                        label for="code" { (t(lang, "owner-code")) }
                        input #code name="code" dir="ltr" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required;
                    }
                    label for="passphrase" { (t(lang, "owner-export-passphrase")) }
                    input #passphrase type="password" name="passphrase" autocomplete="new-password" minlength="10" required;
                    label for="again" { (t(lang, "owner-export-again")) }
                    input #again type="password" name="again" autocomplete="new-password" minlength="10" required;
                    button.main #download type="submit" { (t(lang, "owner-export-button")) }
                }
                p.muted #how { (t(lang, "owner-export-how")) }
            }
        },
    )
}
