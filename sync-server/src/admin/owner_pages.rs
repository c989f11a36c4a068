//! The owner's pages on the server: the one-time password page (an invitation or a reset),
//! the reset request, and two-step sign-in for the owner's account. No session: each step
//! is a form with the browser's CSRF token.

use maud::{html, Markup};

use super::pages::page;
use crate::portal::words::{t, Lang};

/// The owner's page that only says something.
pub fn owner_notice(lang: Lang, id: &str) -> Markup {
    page(
        lang,
        &t(lang, "owner-title"),
        None,
        "",
        html! { section.narrow { p.error { (t(lang, id)) } } },
    )
}

/// The owner sets the password of their clinic's account.
pub fn owner_form(
    lang: Lang,
    email: &str,
    csrf: &str,
    needs_code: bool,
    error: Option<&str>,
) -> Markup {
    page(
        lang,
        &t(lang, "owner-title"),
        None,
        "",
        html! {
            section.narrow {
                h2 { (t(lang, "owner-title")) }
                p { (t(lang, "owner-hint")) " " bdi dir="ltr" { (email) } }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                form method="post" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="password" { (t(lang, "admin-password")) }
                    input #password type="password" name="password" autocomplete="new-password" minlength="8" required;
                    label for="again" { (t(lang, "owner-again")) }
                    input #again type="password" name="again" autocomplete="new-password" minlength="8" required;
                    @if needs_code {
                        label for="code" { (t(lang, "owner-code")) }
                        input #code name="code" dir="ltr" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required;
                    }
                    button.main type="submit" { (t(lang, "owner-set")) }
                }
            }
        },
    )
}

/// The owner's page that says something went well.
pub fn owner_notice_ok(lang: Lang, id: &str) -> Markup {
    page(
        lang,
        &t(lang, "owner-title"),
        None,
        "",
        html! { section.narrow { p.ok #done { (t(lang, id)) } } },
    )
}

/// The owner's password, to turn two-step sign-in on.
pub fn owner_security(lang: Lang, csrf: &str, error: Option<&str>) -> Markup {
    page(
        lang,
        &t(lang, "owner-totp-title"),
        None,
        "/owner/security",
        html! {
            section.narrow {
                h2 { (t(lang, "owner-totp-title")) }
                p { (t(lang, "owner-totp-hint")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                form method="post" action="/owner/security" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="email" { (t(lang, "admin-email")) }
                    input #email type="email" name="email" dir="ltr" autocomplete="username" required;
                    label for="password" { (t(lang, "admin-password")) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button.main type="submit" { (t(lang, "admin-next")) }
                }
            }
        },
    )
}

/// The QR code and the first code, to turn two-step sign-in on.
#[allow(clippy::too_many_arguments)]
pub fn owner_totp(
    lang: Lang,
    csrf: &str,
    clinic: &str,
    expires: i64,
    proof: &str,
    secret: &str,
    qr: Option<&str>,
    error: Option<&str>,
) -> Markup {
    page(
        lang,
        &t(lang, "owner-totp-title"),
        None,
        "/owner/security",
        html! {
            section.narrow {
                h2 { (t(lang, "owner-totp-title")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                p { (t(lang, "admin-enroll-hint")) }
                @if let Some(src) = qr { img.qr src=(src) alt=(t(lang, "admin-qr-alt")); }
                p.muted { (t(lang, "admin-secret-by-hand")) " " code #secret dir="ltr" { (secret) } }
                form method="post" action="/owner/security/code" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    input type="hidden" name="clinic" value=(clinic);
                    input type="hidden" name="expires" value=(expires);
                    input type="hidden" name="proof" value=(proof);
                    label for="code" { (t(lang, "admin-code")) }
                    input #code name="code" dir="ltr" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required;
                    button.main type="submit" { (t(lang, "owner-totp-turn-on")) }
                }
            }
        },
    )
}

/// An owner asks for a password reset link.
pub fn reset_form(lang: Lang, csrf: &str, error: Option<&str>) -> Markup {
    page(
        lang,
        &t(lang, "owner-reset-title"),
        None,
        "/owner/reset",
        html! {
            section.narrow {
                h2 { (t(lang, "owner-reset-title")) }
                p { (t(lang, "owner-reset-hint")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                form method="post" action="/owner/reset" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="email" { (t(lang, "admin-email")) }
                    input #email type="email" name="email" dir="ltr" autocomplete="username" required;
                    button.main type="submit" { (t(lang, "owner-reset-send")) }
                }
            }
        },
    )
}

/// The same answer whether or not the address owns a clinic.
pub fn reset_sent(lang: Lang) -> Markup {
    page(
        lang,
        &t(lang, "owner-reset-title"),
        None,
        "/owner/reset",
        html! { section.narrow { p.ok #sent { (t(lang, "owner-reset-sent")) } } },
    )
}

/// The owner's password is set: what to do next.
pub fn owner_done(lang: Lang, email: &str) -> Markup {
    page(
        lang,
        &t(lang, "owner-title"),
        None,
        "",
        html! {
            section.narrow {
                p.ok #done { (crate::portal::words::say(lang, "owner-done", &[("email", email.to_string().into())])) }
            }
        },
    )
}

/// The owner's password and code, to turn two-step sign-in off.
pub fn owner_totp_off(lang: Lang, csrf: &str, error: Option<&str>) -> Markup {
    page(
        lang,
        &t(lang, "owner-totp-off-title"),
        None,
        "/owner/security/off",
        html! {
            section.narrow {
                h2 { (t(lang, "owner-totp-off-title")) }
                p { (t(lang, "owner-totp-off-hint")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                form method="post" action="/owner/security/off" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="email" { (t(lang, "admin-email")) }
                    input #email name="email" type="email" dir="ltr" autocomplete="username" required;
                    label for="password" { (t(lang, "admin-password")) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    label for="code" { (t(lang, "owner-code")) }
                    input #code name="code" dir="ltr" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required;
                    button.main.danger type="submit" { (t(lang, "owner-totp-off-button")) }
                }
            }
        },
    )
}
