//! The portal's pages, rendered on the server (maud escapes every value a patient or a clinic
//! typed), with no script, one small inline style sheet, mobile first, right to left in
//! Arabic. Each page is a few kilobytes: a cheap phone on 3G opens it at once.

use std::sync::LazyLock;

use ayada_model::clinic::{Staff, VisitType};
use jiff::civil::Date;
use jiff::Timestamp;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::view::ClinicView;
use super::words::{clock, day, digits, say, t, when, Lang};

/// The one style sheet, inline: no second request on a slow line.
const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,'Noto Sans Arabic',Tahoma,sans-serif;\
color:#1b2430;background:#f4f6f8}main{max-width:34rem;margin:0 auto;padding:1rem}\
header{background:#0f6e6e;color:#fff;padding:1rem}header h1{margin:0;font-size:1.3rem}\
header p{margin:.25rem 0 0;opacity:.9}header a{color:#fff}\
section{background:#fff;border-radius:.5rem;padding:1rem;margin-block:1rem;box-shadow:0 1px 2px #0002}\
h2{font-size:1.1rem;margin:0 0 .5rem}ul{padding:0;margin:0;list-style:none}li{padding-block:.25rem}\
.slots{display:flex;flex-wrap:wrap;gap:.5rem}.slots a,.slots button{display:inline-block;padding:.5rem .75rem;\
border:1px solid #0f6e6e;border-radius:.4rem;color:#0f6e6e;text-decoration:none;background:#fff;font:inherit}\
label{display:block;margin-block:.75rem .25rem;font-weight:600}input,select{width:100%;padding:.6rem;\
font:inherit;border:1px solid #9aa5b1;border-radius:.4rem}button.main{width:100%;margin-top:1rem;padding:.75rem;\
font:inherit;font-weight:600;color:#fff;background:#0f6e6e;border:0;border-radius:.4rem}\
button.quiet{background:#fff;color:#a32020;border:1px solid #a32020}\
.error{background:#fdecec;color:#8a1c1c;padding:.75rem;border-radius:.4rem}\
.ok{background:#e6f4ea;color:#1e5631;padding:.75rem;border-radius:.4rem}\
.muted{color:#5b6673;font-size:.9rem}.row{display:flex;justify-content:space-between;gap:1rem}\
nav.lang{text-align:end;padding:.5rem 1rem}nav.lang a{color:#0f6e6e}";

/// The CSP hash of a style sheet (a page allows its own style and nothing else).
pub fn style_hash(style: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(style.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The CSP hash of the portal's style sheet.
pub static STYLE_HASH: LazyLock<String> = LazyLock::new(|| style_hash(STYLE));

/// A whole document of the server's pages (the portal's, the console's): its language and
/// direction, no referrer, the one inline style sheet, and the body.
pub fn document(lang: Lang, title: &str, style: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style { (PreEscaped(style)) }
            }
            body { (body) }
        }
    }
}

/// A whole page: the language switch, a header and the body.
pub fn page(lang: Lang, title: &str, subtitle: Option<&str>, switch: &str, body: Markup) -> Markup {
    document(
        lang,
        title,
        STYLE,
        html! {
            nav.lang { a href=(switch) hreflang=(lang.other().code()) { (t(lang.other(), "lang-name")) } }
            header {
                h1 { (title) }
                @if let Some(s) = subtitle { p { (s) } }
            }
            main { (body) }
        },
    )
}

/// A page that only says something (an error, a link that is not valid).
pub fn notice(lang: Lang, title: &str, text: &str) -> Markup {
    page(
        lang,
        title,
        None,
        &format!("?lang={}", lang.other().code()),
        html! {
            section { p.error { (text) } }
        },
    )
}

/// The clinic's contact lines: address with a map link, phones.
fn contact(view: &ClinicView, lang: Lang) -> Markup {
    let s = &view.settings;
    html! {
        @if !s.address.is_empty() {
            p { (s.address)
                @if let (Some(lat), Some(lon)) = (s.latitude_e6, s.longitude_e6) {
                    " · " a href=(format!("https://www.openstreetmap.org/?mlat={}&mlon={}#map=17/{}/{}", coord(lat), coord(lon), coord(lat), coord(lon))) { (t(lang, "map")) }
                }
            }
        }
        @for phone in &s.phones {
            p { a href=(format!("tel:{phone}")) dir="ltr" { (t(lang, "call")) " " (phone) } }
        }
    }
}

fn coord(e6: i64) -> String {
    format!(
        "{}{}.{:06}",
        if e6 < 0 { "-" } else { "" },
        e6.abs() / 1_000_000,
        e6.abs() % 1_000_000
    )
}

/// A price as the clinic's currency writes it: "350.00 EGP", "٣٥٠٫٠٠ ج.م".
fn price(lang: Lang, piastres: i64, currency: &str) -> String {
    let amount = format!("{}.{:02}", piastres / 100, piastres % 100);
    match (lang, currency) {
        (Lang::Ar, "EGP") => format!("{} ج.م", digits(lang, &amount).replace('.', "٫")),
        (Lang::Ar, _) => format!("{} {currency}", digits(lang, &amount).replace('.', "٫")),
        (Lang::En, _) => format!("{amount} {currency}"),
    }
}

/// `/c/{slug}`: the clinic, its doctors and visit types, and the next free times.
pub fn clinic_page(view: &ClinicView, lang: Lang, next: &[(Staff, Vec<Timestamp>)]) -> Markup {
    let slug = &view.record.slug;
    let l = lang.code();
    page(
        lang,
        &view.settings.name,
        Some(&t(lang, "book-online")),
        &format!("/c/{slug}?lang={}", lang.other().code()),
        html! {
            @if !view.settings.address.is_empty() || !view.settings.phones.is_empty() {
                section { (contact(view, lang)) }
            }
            @if !view.open() {
                section { p.error { (t(lang, "paused")) } }
            } @else {
                section {
                    h2 { (t(lang, "visits-prices")) }
                    ul { @for vt in &view.visit_types {
                        li.row { span { (vt.name) " · " (digits(lang, &say(lang, "minutes", &[("minutes", vt.minutes.into())]))) } strong { (price(lang, vt.price.0, &view.settings.currency)) } }
                    } }
                }
                @for (doctor, slots) in next {
                    section {
                        h2 { (doctor.name) }
                        @if slots.is_empty() {
                            p.muted { (say(lang, "no-free", &[("days", view.portal.days_ahead.into())])) }
                        } @else {
                            p.muted { (t(lang, "next-free")) }
                            div.slots { @for at in slots {
                                @let z = view.time.local(*at);
                                a href=(format!("/c/{slug}/book?doctor={}&at={}&lang={l}", doctor.id, at.as_second())) { (day(lang, &z)) " " (clock(lang, &z)) }
                            } }
                            p { a href=(format!("/c/{slug}/book?doctor={}&date={}&lang={l}", doctor.id, view.today)) { (t(lang, "more-times")) } }
                        }
                    }
                }
            }
        },
    )
}

/// The free times of one doctor on one day, with the days around it.
pub fn day_page(
    view: &ClinicView,
    lang: Lang,
    doctor: &Staff,
    date: Date,
    slots: &[Timestamp],
    target: &str,
) -> Markup {
    let slug = &view.record.slug;
    let l = lang.code();
    let z = view.time.local(slots.first().copied().unwrap_or_else(|| {
        view.time
            .instant(date, jiff::civil::Time::midnight())
            .unwrap_or_default()
    }));
    let prev = date.yesterday().ok().filter(|d| *d >= view.today);
    let next = date.tomorrow().ok().filter(|d| *d <= view.last_day());
    let nav = |d: Date| format!("{target}doctor={}&date={d}&lang={l}", doctor.id);
    page(
        lang,
        &view.settings.name,
        Some(&doctor.name),
        &format!(
            "{target}doctor={}&date={date}&lang={}",
            doctor.id,
            lang.other().code()
        ),
        html! {
            section {
                h2 { (say(lang, "day-times", &[("day", day(lang, &z).into())])) }
                @if slots.is_empty() {
                    p.muted { (say(lang, "no-free", &[("days", 1.into())])) }
                }
                div.slots { @for at in slots {
                    a href=(format!("{target}doctor={}&at={}&lang={l}", doctor.id, at.as_second())) { (clock(lang, &view.time.local(*at))) }
                } }
                p.row {
                    @if let Some(d) = prev { a href=(nav(d)) { (t(lang, "earlier")) } } @else { span {} }
                    @if let Some(d) = next { a href=(nav(d)) { (t(lang, "later")) } }
                }
            }
            p { a href=(format!("/c/{slug}?lang={l}")) { (view.settings.name) } }
        },
    )
}

/// What a patient typed into the booking form, kept when it is shown again with an error.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Typed {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// "female" or "male".
    #[serde(default)]
    pub gender: String,
    /// Date of birth.
    #[serde(default)]
    pub dob: String,
    /// Visit type id.
    #[serde(default)]
    pub visit_type: String,
}

/// The booking form for one free time.
#[allow(clippy::too_many_arguments)]
pub fn book_form(
    view: &ClinicView,
    lang: Lang,
    doctor: &Staff,
    at: Timestamp,
    csrf: &str,
    typed: &Typed,
    error: Option<&str>,
    types: &[VisitType],
) -> Markup {
    let slug = &view.record.slug;
    let z = view.time.local(at);
    page(
        lang,
        &view.settings.name,
        Some(&t(lang, "book-online")),
        &format!(
            "/c/{slug}/book?doctor={}&at={}&lang={}",
            doctor.id,
            at.as_second(),
            lang.other().code()
        ),
        html! {
            section {
                p { strong { (doctor.name) } br; (when(lang, &z)) }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action=(format!("/c/{slug}/book")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    input type="hidden" name="doctor" value=(doctor.id.to_string());
                    input type="hidden" name="at" value=(at.as_second());
                    label for="visit_type" { (t(lang, "visit-type")) }
                    select id="visit_type" name="visit_type" {
                        @for vt in types {
                            option value=(vt.id.to_string()) selected[typed.visit_type == vt.id.to_string()] { (vt.name) " · " (price(lang, vt.price.0, &view.settings.currency)) }
                        }
                    }
                    label for="name" { (t(lang, "your-name")) }
                    input id="name" name="name" required maxlength="80" autocomplete="name" value=(typed.name);
                    label for="phone" { (t(lang, "your-phone")) }
                    input id="phone" name="phone" type="tel" required maxlength="24" autocomplete="tel" inputmode="tel" dir="ltr" value=(typed.phone);
                    label for="gender" { (t(lang, "gender")) }
                    select id="gender" name="gender" required {
                        option value="female" selected[typed.gender == "female"] { (t(lang, "female")) }
                        option value="male" selected[typed.gender == "male"] { (t(lang, "male")) }
                    }
                    label for="dob" { (t(lang, "dob")) }
                    input id="dob" name="dob" type="date" required value=(typed.dob);
                    button.main type="submit" { (t(lang, "send-code")) }
                }
            }
        },
    )
}

/// Where the patient types the code WhatsApp brought.
pub fn verify_form(
    view: &ClinicView,
    lang: Lang,
    request: &str,
    last_digits: &str,
    csrf: &str,
    error: Option<&str>,
) -> Markup {
    let slug = &view.record.slug;
    page(
        lang,
        &view.settings.name,
        Some(&t(lang, "book-online")),
        &format!("/c/{slug}/verify/{request}?lang={}", lang.other().code()),
        html! {
            section {
                p.ok { (say(lang, "code-sent", &[("last", digits(lang, last_digits).into())])) }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action=(format!("/c/{slug}/verify/{request}")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    label for="code" { (t(lang, "code")) }
                    input id="code" name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="12" dir="ltr";
                    button.main type="submit" { (t(lang, "confirm")) }
                }
                form method="post" action=(format!("/c/{slug}/resend/{request}")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    button.main.quiet type="submit" { (t(lang, "resend")) }
                }
            }
        },
    )
}

/// What the status page shows of a booking.
pub struct StatusView<'a> {
    /// The status link's token (the page's own address).
    pub token: &'a str,
    /// The status word's message id ("status-booked"…).
    pub status: String,
    /// The visit's start.
    pub at: Timestamp,
    /// The doctor's name.
    pub doctor: &'a str,
    /// Until when it may be changed online; None: no longer.
    pub until: Option<Timestamp>,
    /// Whether it can still be cancelled or moved at all (not done, not cancelled).
    pub live: bool,
    /// A sentence to show on top (it was just cancelled or moved).
    pub said: Option<String>,
}

/// `/b/{token}`: the booking's state, what can be done with it, and its calendar file.
pub fn status_page(view: &ClinicView, lang: Lang, s: &StatusView<'_>, csrf: &str) -> Markup {
    let z = view.time.local(s.at);
    let base = format!("/b/{}", s.token);
    page(
        lang,
        &view.settings.name,
        Some(&t(lang, "your-booking")),
        &format!("{base}?lang={}", lang.other().code()),
        html! {
            @if let Some(said) = &s.said { section { p.ok role="status" { (said) } } }
            section {
                p { span.muted { (t(lang, "status")) } br; strong data-status=(s.status) { (t(lang, &s.status)) } }
                p { span.muted { (t(lang, "when")) } br; (when(lang, &z)) }
                p { span.muted { (t(lang, "doctor")) } br; (s.doctor) }
                (contact(view, lang))
                @if s.live {
                    p { a href=(format!("{base}/calendar.ics?lang={}", lang.code())) { (t(lang, "add-calendar")) } }
                }
            }
            @if s.live {
                section {
                    @if let Some(until) = s.until {
                        p.muted { (say(lang, "change-until", &[("until", when(lang, &view.time.local(until)).into())])) }
                        p { a href=(format!("{base}/move?lang={}", lang.code())) { (t(lang, "reschedule")) } }
                        form method="post" action=(format!("{base}/cancel")) {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="lang" value=(lang.code());
                            button.main.quiet type="submit" { (t(lang, "cancel")) }
                        }
                    } @else {
                        p.muted { (t(lang, "too-late")) }
                    }
                }
            }
            p.muted { (t(lang, "keep-link")) }
            p { a href=(format!("/c/{}?lang={}", view.record.slug, lang.code())) { (t(lang, "book-again")) } }
        },
    )
}

/// Choosing a new time for a booking: the doctor's free times of a day, each a button.
#[allow(clippy::too_many_arguments)]
pub fn move_page(
    view: &ClinicView,
    lang: Lang,
    token: &str,
    doctor: &Staff,
    date: Date,
    slots: &[Timestamp],
    csrf: &str,
    error: Option<&str>,
) -> Markup {
    let base = format!("/b/{token}");
    let l = lang.code();
    let z = view.time.local(
        view.time
            .instant(date, jiff::civil::Time::midnight())
            .unwrap_or_default(),
    );
    let prev = date.yesterday().ok().filter(|d| *d >= view.today);
    let next = date.tomorrow().ok().filter(|d| *d <= view.last_day());
    page(
        lang,
        &view.settings.name,
        Some(&doctor.name),
        &format!("{base}/move?date={date}&lang={}", lang.other().code()),
        html! {
            section {
                @if let Some(e) = error { p.error role="alert" { (e) } }
                h2 { (say(lang, "day-times", &[("day", day(lang, &z).into())])) }
                @if slots.is_empty() { p.muted { (say(lang, "no-free", &[("days", 1.into())])) } }
                form method="post" action=(format!("{base}/move")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="lang" value=(l);
                    div.slots { @for at in slots {
                        button type="submit" name="at" value=(at.as_second()) { (clock(lang, &view.time.local(*at))) }
                    } }
                }
                p.row {
                    @if let Some(d) = prev { a href=(format!("{base}/move?date={d}&lang={l}")) { (t(lang, "earlier")) } } @else { span {} }
                    @if let Some(d) = next { a href=(format!("{base}/move?date={d}&lang={l}")) { (t(lang, "later")) } }
                }
                p { a href=(format!("{base}?lang={l}")) { (t(lang, "your-booking")) } }
            }
        },
    )
}
