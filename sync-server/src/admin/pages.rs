//! The console's pages, rendered on the server (maud escapes every value a clinic typed),
//! with no script and one inline style sheet; Arabic (right to left) by default, English.

use std::sync::LazyLock;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::console::ClinicRow;
use crate::portal::words::{t, Lang};
use crate::store::{AdminAuditRow, AdminSession};

/// The one style sheet, inline.
const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,'Noto Sans Arabic',Tahoma,sans-serif;\
color:#1b2430;background:#f4f6f8}main{max-width:72rem;margin:0 auto;padding:1rem}\
header{background:#243447;color:#fff;padding:.75rem 1rem;display:flex;gap:1rem;align-items:center;\
flex-wrap:wrap}header h1{margin:0;font-size:1.2rem;flex:1}header a,header button{color:#fff}\
header form{margin:0}header button{background:none;border:1px solid #fff8;border-radius:.3rem;\
padding:.3rem .6rem;font:inherit;cursor:pointer}\
section{background:#fff;border-radius:.5rem;padding:1rem;margin-block:1rem;box-shadow:0 1px 2px #0002}\
table{border-collapse:collapse;width:100%}th,td{padding:.45rem .5rem;border-bottom:1px solid #e3e7eb;\
text-align:start;vertical-align:top}th{font-size:.85rem;color:#5b6673}td.n{font-variant-numeric:tabular-nums}\
label{display:block;margin-block:.75rem .25rem;font-weight:600}input{width:100%;padding:.55rem;font:inherit;\
border:1px solid #9aa5b1;border-radius:.4rem}form.search{display:flex;gap:.5rem}form.search input{flex:1}\
button.main{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:600;color:#fff;background:#243447;\
border:0;border-radius:.4rem}.narrow{max-width:26rem;margin-inline:auto}\
.error{background:#fdecec;color:#8a1c1c;padding:.75rem;border-radius:.4rem}\
.ok{background:#e6f4ea;color:#1e5631;padding:.75rem;border-radius:.4rem}\
.muted{color:#5b6673;font-size:.9rem}code{font-size:1.05rem;letter-spacing:.05em;unicode-bidi:isolate}\
img.qr{display:block;width:12rem;height:12rem;margin:.5rem auto;image-rendering:pixelated}\
nav.lang{text-align:end;padding:.5rem 1rem}";

/// The CSP hash of the style sheet.
pub static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(STYLE.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
});

/// A whole page; `session` adds the console's bar (the clinics, the log, logout).
fn page(
    lang: Lang,
    title: &str,
    session: Option<&AdminSession>,
    here: &str,
    body: Markup,
) -> Markup {
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (t(lang, "admin-console")) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (t(lang, "admin-console")) }
                    @if let Some(s) = session {
                        a href={ "/admin?lang=" (lang.code()) } { (t(lang, "admin-clinics")) }
                        a href={ "/admin/audit?lang=" (lang.code()) } { (t(lang, "admin-audit")) }
                        span.who { bdi { (s.email) } }
                        form method="post" action="/admin/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            input type="hidden" name="lang" value=(lang.code());
                            button type="submit" { (t(lang, "admin-logout")) }
                        }
                    }
                    a href={ (here) "?lang=" (other.code()) } hreflang=(other.code()) { (t(other, "lang-name")) }
                }
                main { (body) }
            }
        }
    }
}

/// A page that only says something.
pub fn notice(lang: Lang, id: &str) -> Markup {
    page(
        lang,
        &t(lang, "admin-console"),
        None,
        "/admin/login",
        html! { section.narrow { p.error { (t(lang, id)) } p { a href={ "/admin/login?lang=" (lang.code()) } { (t(lang, "admin-login")) } } } },
    )
}

/// The password form.
pub fn login(lang: Lang, csrf: &str, error: Option<&str>) -> Markup {
    page(
        lang,
        &t(lang, "admin-login"),
        None,
        "/admin/login",
        html! {
            section.narrow {
                h2 { (t(lang, "admin-login")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                form method="post" action="/admin/login" {
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

/// The code form; at the first login, with the secret to enroll (QR code and letters).
pub fn totp(
    lang: Lang,
    csrf: &str,
    enroll: Option<&str>,
    qr: Option<&str>,
    error: Option<&str>,
) -> Markup {
    page(
        lang,
        &t(lang, "admin-second-factor"),
        None,
        "/admin/totp",
        html! {
            section.narrow {
                h2 { (t(lang, "admin-second-factor")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                @if let Some(secret) = enroll {
                    p { (t(lang, "admin-enroll-hint")) }
                    @if let Some(src) = qr { img.qr src=(src) alt=(t(lang, "admin-qr-alt")); }
                    p.muted { (t(lang, "admin-secret-by-hand")) " " code #secret dir="ltr" { (secret) } }
                }
                form method="post" action="/admin/totp" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="code" { (t(lang, "admin-code")) }
                    input #code name="code" dir="ltr" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required;
                    button.main type="submit" { (t(lang, "admin-sign-in")) }
                }
            }
        },
    )
}

fn moment(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// The clinics, with a search.
pub fn clinics(lang: Lang, session: &AdminSession, query: &str, rows: &[ClinicRow]) -> Markup {
    page(
        lang,
        &t(lang, "admin-clinics"),
        Some(session),
        "/admin",
        html! {
            section {
                form.search method="get" action="/admin" {
                    input type="hidden" name="lang" value=(lang.code());
                    input type="search" name="q" value=(query) placeholder=(t(lang, "admin-search"));
                    button.main type="submit" { (t(lang, "admin-search-go")) }
                }
            }
            section {
                h2 { (t(lang, "admin-clinics")) " (" (rows.len()) ")" }
                @if rows.is_empty() { p.muted { (t(lang, "admin-no-clinics")) } } @else {
                    table #clinics {
                        thead { tr {
                            th { (t(lang, "admin-clinic")) } th { (t(lang, "admin-slug")) }
                            th { (t(lang, "admin-owner")) } th { (t(lang, "admin-staff")) }
                            th { (t(lang, "admin-machines")) } th { (t(lang, "admin-last-sync")) }
                            th { (t(lang, "admin-storage")) }
                        } }
                        tbody { @for r in rows { tr {
                            td { bdi { (r.name) } }
                            td { bdi dir="ltr" { (r.slug) } }
                            td { bdi dir="ltr" { (r.owner_email) } }
                            td.n { (r.staff) }
                            td.n { (r.machines) }
                            td { bdi dir="ltr" { @match r.last_sync { Some(at) => (moment(at)), None => (t(lang, "admin-never")) } } }
                            td.n { bdi dir="ltr" { (megabytes(r.storage)) } }
                        } } }
                    }
                }
            }
        },
    )
}

/// The admin audit log, newest first, and whether its chain holds.
pub fn audit(
    lang: Lang,
    session: &AdminSession,
    rows: &[AdminAuditRow],
    broken_at: Option<i64>,
) -> Markup {
    page(
        lang,
        &t(lang, "admin-audit"),
        Some(session),
        "/admin/audit",
        html! {
            section {
                h2 { (t(lang, "admin-audit")) }
                @match broken_at {
                    None => p.ok #chain { (t(lang, "admin-chain-intact")) " (" (rows.len()) ")" },
                    Some(at) => p.error #chain { (t(lang, "admin-chain-broken")) " #" (at) },
                }
                table #audit {
                    thead { tr {
                        th { "#" } th { (t(lang, "admin-when")) } th { (t(lang, "admin-who")) }
                        th { (t(lang, "admin-what")) } th { (t(lang, "admin-on")) } th { (t(lang, "admin-from")) }
                    } }
                    tbody { @for r in rows.iter().rev() { tr {
                        td.n { (r.seq) }
                        td { bdi dir="ltr" { (moment(r.at)) } }
                        td { bdi dir="ltr" { (r.admin) } }
                        td { code { (r.action) } }
                        td { bdi dir="ltr" { (r.subject) } }
                        td { bdi dir="ltr" { (r.address) } }
                    } } }
                }
            }
        },
    )
}
