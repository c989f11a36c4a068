//! The console's pages, rendered on the server (maud escapes every value a clinic typed),
//! with no script and one inline style sheet; Arabic (right to left) by default, English.

use std::sync::LazyLock;

use maud::{html, Markup};

use super::billing::{egp, ClinicPage, METHODS};
use super::console::ClinicRow;
use crate::portal::pages::{document, style_hash};
use crate::portal::words::{t, Lang};
use crate::standing::{Standing, Why};
use crate::store::{AdminAuditRow, AdminSession, Tier};

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
border:1px solid #9aa5b1;border-radius:.4rem}form.search{display:flex;gap:.5rem}form.search input{flex:1}form.search select{width:auto}\
button.main{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:600;color:#fff;background:#243447;\
border:0;border-radius:.4rem}.narrow{max-width:26rem;margin-inline:auto}\
.error{background:#fdecec;color:#8a1c1c;padding:.75rem;border-radius:.4rem}\
.ok{background:#e6f4ea;color:#1e5631;padding:.75rem;border-radius:.4rem}\
.muted{color:#5b6673;font-size:.9rem}.badge{display:inline-block;padding:.1rem .5rem;border-radius:1rem;\
font-size:.85rem}.active{background:#e6f4ea;color:#1e5631}.grace{background:#fff4d6;color:#7a5300}\
.suspended{background:#fdecec;color:#8a1c1c}select{width:100%;padding:.55rem;font:inherit;border:1px solid #9aa5b1;\
border-radius:.4rem}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0 1rem}\
button.danger{background:#a32020}code{font-size:1.05rem;letter-spacing:.05em;unicode-bidi:isolate}\
img.qr{display:block;width:12rem;height:12rem;margin:.5rem auto;image-rendering:pixelated}\
nav.lang{text-align:end;padding:.5rem 1rem}";

/// The CSP hash of the style sheet.
pub static STYLE_HASH: LazyLock<String> = LazyLock::new(|| style_hash(STYLE));

/// A whole page; `session` adds the console's bar (the clinics, the log, logout).
pub(super) fn page(
    lang: Lang,
    title: &str,
    session: Option<&AdminSession>,
    here: &str,
    body: Markup,
) -> Markup {
    let other = lang.other();
    let title = format!("{title} · {}", t(lang, "admin-console"));
    document(
        lang,
        &title,
        STYLE,
        html! {
            header {
                h1 { (t(lang, "admin-console")) }
                @if let Some(s) = session {
                    a href={ "/admin?lang=" (lang.code()) } { (t(lang, "admin-clinics")) }
                    a href={ "/admin/tiers?lang=" (lang.code()) } { (t(lang, "admin-tiers")) }
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
        },
    )
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

/// What the clinics page was asked for: a search, and a standing.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// Words of a name, slug or owner's email.
    pub query: &'a str,
    /// "active", "grace", "suspended", "ended", or "" for all.
    pub status: &'a str,
}

/// The standings the clinics page filters by, with their sentence ids.
const STATUSES: [(&str, &str); 5] = [
    ("", "admin-all"),
    ("active", "admin-active"),
    ("grace", "admin-grace"),
    ("suspended", "admin-suspended"),
    ("ended", "admin-ended"),
];

/// The clinics, with a search and a filter by standing.
pub fn clinics(
    lang: Lang,
    session: &AdminSession,
    filter: &Filter<'_>,
    rows: &[ClinicRow],
    error: Option<&str>,
) -> Markup {
    let query = filter.query;
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
                    select #status name="status" aria-label=(t(lang, "admin-status")) {
                        @for (value, id) in STATUSES {
                            option value=(value) selected[filter.status == value] { (t(lang, id)) }
                        }
                    }
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
                            th { (t(lang, "admin-storage")) } th { (t(lang, "admin-status")) }
                        } }
                        tbody { @for r in rows { tr {
                            td { a href={ "/admin/clinics/" (r.id) "?lang=" (lang.code()) } { bdi { (r.name) } } }
                            td { bdi dir="ltr" { (r.slug) } }
                            td { bdi dir="ltr" { (r.owner_email) } }
                            td.n { (r.staff) }
                            td.n { (r.machines) }
                            td { bdi dir="ltr" { @match r.last_sync { Some(at) => (moment(at)), None => (t(lang, "admin-never")) } } }
                            td.n { bdi dir="ltr" { (megabytes(r.storage)) } }
                            td { (standing_badge(lang, &r.standing)) }
                        } } }
                    }
                }
            }
            section {
                h2 { (t(lang, "admin-new-clinic")) }
                @if let Some(id) = error { p.error #new-clinic-error { (t(lang, id)) } }
                p.muted { (t(lang, "admin-new-clinic-hint")) }
                form method="post" action="/admin/clinics" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    div.grid {
                        div { label for="new-name" { (t(lang, "admin-clinic")) } input #new-name name="name" required; }
                        div { label for="new-slug" { (t(lang, "admin-slug")) } input #new-slug name="slug" dir="ltr" required; }
                        div { label for="new-owner" { (t(lang, "admin-owner")) } input #new-owner type="email" name="owner_email" dir="ltr" required; }
                        div { label for="new-zone" { (t(lang, "admin-zone")) } input #new-zone name="time_zone" dir="ltr" value="Africa/Cairo"; }
                    }
                    button.main #create-clinic type="submit" { (t(lang, "admin-create-clinic")) }
                }
            }
        },
    )
}

/// The latest emails: to whom, what, and what became of them (never the text).
pub fn emails(lang: Lang, session: &AdminSession, emails: &[crate::store::Email]) -> Markup {
    page(
        lang,
        &t(lang, "admin-emails"),
        Some(session),
        "/admin/emails",
        html! {
            section {
                h2 { (t(lang, "admin-emails")) }
                @if emails.is_empty() { p.muted { (t(lang, "admin-no-emails")) } } @else {
                    table #emails {
                        thead { tr {
                            th { (t(lang, "admin-when")) } th { (t(lang, "admin-to")) } th { (t(lang, "admin-what")) }
                            th { (t(lang, "admin-status")) } th { (t(lang, "admin-tries")) } th { (t(lang, "admin-last-error")) }
                        } }
                        tbody { @for e in emails { tr {
                            td { bdi dir="ltr" { (moment(e.created_at)) } }
                            td { bdi dir="ltr" { (e.to) } }
                            td { code { (e.kind) } }
                            td { (e.state) }
                            td.n { (e.attempts) }
                            td { bdi dir="ltr" { (e.last_error.as_deref().unwrap_or("")) } }
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

fn standing_badge(lang: Lang, standing: &Standing) -> Markup {
    let (class, id) = match standing {
        Standing::Unbilled => ("badge active", "admin-unbilled"),
        Standing::Active { trial: true, .. } => ("badge active", "admin-trial"),
        Standing::Active { .. } => ("badge active", "admin-active"),
        Standing::Grace { .. } => ("badge grace", "admin-grace"),
        Standing::Suspended(_) => ("badge suspended", "admin-suspended"),
        Standing::Ended { deleted: false, .. } => ("badge suspended", "admin-ended"),
        Standing::Ended { deleted: true, .. } => ("badge suspended", "admin-deleted"),
    };
    html! { span class=(class) { (t(lang, id)) } }
}

/// Why a clinic stands where it does, in a sentence.
fn standing_reason(lang: Lang, standing: &Standing) -> String {
    use crate::portal::words::say;
    let day = |d: &jiff::civil::Date| d.to_string().into();
    match standing {
        Standing::Unbilled => t(lang, "admin-why-unbilled"),
        Standing::Active {
            paid_through,
            trial,
        } => say(
            lang,
            if *trial {
                "admin-why-trial"
            } else {
                "admin-why-active"
            },
            &[("through", day(paid_through))],
        ),
        Standing::Grace {
            paid_through,
            suspends_on,
        } => say(
            lang,
            "admin-why-grace",
            &[("through", day(paid_through)), ("on", day(suspends_on))],
        ),
        Standing::Suspended(Why::Unpaid { paid_through }) => {
            say(lang, "admin-why-unpaid", &[("through", day(paid_through))])
        }
        Standing::Suspended(Why::Held(note)) => {
            say(lang, "admin-why-held", &[("note", note.clone().into())])
        }
        Standing::Ended {
            data_until,
            deleted,
        } => say(
            lang,
            if *deleted {
                "admin-why-deleted"
            } else {
                "admin-why-ended"
            },
            &[("until", day(data_until))],
        ),
    }
}

/// One clinic: its standing and why, its tier, its payments, a payment to record, the hold.
pub fn clinic(lang: Lang, session: &AdminSession, p: &ClinicPage, error: Option<&str>) -> Markup {
    let r = &p.row;
    let base = format!("/admin/clinics/{}", r.id);
    let hidden = html! {
        input type="hidden" name="csrf" value=(session.csrf);
        input type="hidden" name="lang" value=(lang.code());
    };
    page(
        lang,
        &r.name,
        Some(session),
        &base,
        html! {
            section {
                h2 { bdi { (r.name) } " " (standing_badge(lang, &p.row.standing)) }
                p #reason { (standing_reason(lang, &p.row.standing)) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                table { tbody {
                    tr { th { (t(lang, "admin-slug")) } td { bdi dir="ltr" { (r.slug) } } }
                    tr { th { (t(lang, "admin-owner")) } td { bdi dir="ltr" { (r.owner_email) } } }
                    tr { th { (t(lang, "admin-zone")) } td { bdi dir="ltr" { (p.record.time_zone) } } }
                    tr { th { (t(lang, "admin-staff")) } td.n { (r.staff) } }
                    tr { th { (t(lang, "admin-machines")) } td.n { (r.machines) } }
                    tr { th { (t(lang, "admin-storage")) } td.n { bdi dir="ltr" { (megabytes(r.storage)) } } }
                    tr { th { (t(lang, "admin-tier")) } td #tier {
                        @match &p.tier_now {
                            Some(tier) => { bdi { (tier.name) } " · " bdi dir="ltr" { (egp(tier.monthly_piastres)) } }
                            None => (t(lang, "admin-no-tier")),
                        }
                        @if let Some(old) = &p.outgrew {
                            " " span.badge.grace #outgrew { (crate::portal::words::say(lang, "admin-outgrew", &[("tier", old.clone().into())])) }
                        }
                    } }
                } }
            }
            section {
                h2 { (t(lang, "admin-payments")) }
                @if p.payments.is_empty() { p.muted { (t(lang, "admin-no-payments")) } } @else {
                    table #payments {
                        thead { tr {
                            th { (t(lang, "admin-paid-on")) } th { (t(lang, "admin-amount")) } th { (t(lang, "admin-method")) }
                            th { (t(lang, "admin-reference")) } th { (t(lang, "admin-period")) } th { (t(lang, "admin-tier")) } th { (t(lang, "admin-who")) }
                        } }
                        tbody { @for pay in &p.payments { tr {
                            td { bdi dir="ltr" { (pay.paid_on) } }
                            td.n { bdi dir="ltr" { (egp(pay.amount_piastres)) } }
                            td { (t(lang, &format!("admin-method-{}", pay.method))) }
                            td { bdi dir="ltr" { (pay.reference) } }
                            td { bdi dir="ltr" { (pay.period_from) " → " (pay.period_to) } }
                            td { bdi { (pay.tier) } }
                            td { bdi dir="ltr" { (pay.recorded_by) } }
                        } } }
                    }
                }
                h2 { (t(lang, "admin-record-payment")) }
                form method="post" action={ (base) "/payments" } {
                    (hidden)
                    div.grid {
                        div { label for="amount" { (t(lang, "admin-amount")) " (EGP)" } input #amount name="amount" dir="ltr" inputmode="decimal" required; }
                        div { label for="paid_on" { (t(lang, "admin-paid-on")) } input #paid_on type="date" name="paid_on" required; }
                        div { label for="method" { (t(lang, "admin-method")) }
                            select #method name="method" { @for m in METHODS { option value=(m) { (t(lang, &format!("admin-method-{m}"))) } } } }
                        div { label for="reference" { (t(lang, "admin-reference")) } input #reference name="reference" dir="ltr"; }
                        div { label for="period_from" { (t(lang, "admin-period-from")) } input #period_from type="date" name="period_from" required; }
                        div { label for="period_to" { (t(lang, "admin-period-to")) } input #period_to type="date" name="period_to" required; }
                    }
                    button.main #record type="submit" { (t(lang, "admin-record-payment")) }
                }
            }
            @if matches!(p.row.standing, Standing::Ended { .. }) {
            } @else {
            section {
                h2 { (t(lang, "admin-hold")) }
                @if matches!(p.row.standing, Standing::Suspended(Why::Held(_))) {
                    form method="post" action={ (base) "/resume" } {
                        (hidden)
                        button.main #resume type="submit" { (t(lang, "admin-resume")) }
                    }
                } @else {
                    p.muted { (t(lang, "admin-hold-hint")) }
                    form method="post" action={ (base) "/hold" } {
                        (hidden)
                        label for="note" { (t(lang, "admin-hold-note")) }
                        input #note name="note" maxlength="200" required;
                        button.main.danger #suspend type="submit" { (t(lang, "admin-suspend")) }
                    }
                }
            }
            section {
                h2 { (t(lang, "admin-owner-totp")) }
                @if p.owner_totp {
                    p #owner-totp { (t(lang, "admin-owner-totp-on")) }
                    form method="post" action={ (base) "/owner-totp-reset" } {
                        (hidden)
                        button.main.danger #owner-totp-reset type="submit" { (t(lang, "admin-owner-totp-reset")) }
                    }
                } @else {
                    p.muted #owner-totp { (t(lang, "admin-owner-totp-off")) }
                }
            }
            section {
                h2 { (t(lang, "admin-terminate")) }
                p.muted { (t(lang, "admin-terminate-hint")) }
                form method="post" action={ (base) "/terminate" } {
                    (hidden)
                    label for="end-note" { (t(lang, "admin-terminate-note")) }
                    input #end-note name="note" maxlength="200" required;
                    label for="confirm" { (t(lang, "admin-terminate-confirm")) " " bdi dir="ltr" { (r.slug) } }
                    input #confirm name="confirm" dir="ltr" autocomplete="off" required;
                    button.main.danger #terminate type="submit" { (t(lang, "admin-terminate-button")) }
                }
            }
            }
        },
    )
}

/// The tiers by staff count, and a tier to add.
pub fn tiers(lang: Lang, session: &AdminSession, tiers: &[Tier], error: Option<&str>) -> Markup {
    page(
        lang,
        &t(lang, "admin-tiers"),
        Some(session),
        "/admin/tiers",
        html! {
            section {
                h2 { (t(lang, "admin-tiers")) }
                @if let Some(id) = error { p.error { (t(lang, id)) } }
                @if tiers.is_empty() { p.muted { (t(lang, "admin-no-tiers")) } } @else {
                    table #tiers {
                        thead { tr { th { (t(lang, "admin-tier")) } th { (t(lang, "admin-staff")) } th { (t(lang, "admin-monthly")) } th {} } }
                        tbody { @for tier in tiers { tr {
                            td { bdi { (tier.name) } }
                            td.n { bdi dir="ltr" { (tier.min_staff) "–" @if let Some(max) = tier.max_staff { (max) } } }
                            td.n { bdi dir="ltr" { (egp(tier.monthly_piastres)) } }
                            td { form method="post" action={ "/admin/tiers/" (tier.id) "/delete" } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="lang" value=(lang.code());
                                button type="submit" { (t(lang, "admin-delete")) }
                            } }
                        } } }
                    }
                }
                h2 { (t(lang, "admin-add-tier")) }
                form method="post" action="/admin/tiers" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    div.grid {
                        div { label for="name" { (t(lang, "admin-tier-name")) } input #name name="name" required; }
                        div { label for="min_staff" { (t(lang, "admin-min-staff")) } input #min_staff name="min_staff" dir="ltr" inputmode="numeric" required; }
                        div { label for="max_staff" { (t(lang, "admin-max-staff")) } input #max_staff name="max_staff" dir="ltr" inputmode="numeric"; }
                        div { label for="monthly" { (t(lang, "admin-monthly")) " (EGP)" } input #monthly name="monthly" dir="ltr" inputmode="decimal" required; }
                    }
                    button.main #add-tier type="submit" { (t(lang, "admin-add-tier")) }
                }
            }
        },
    )
}
