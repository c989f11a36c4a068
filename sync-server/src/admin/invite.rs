//! A clinic made from the console: its owner is invited by email (through Resend) with a
//! one-time link that lasts 72 hours, to set the password their machines enroll with. The
//! link is random (256 bits), kept only as its hash, and serves once; the password is never
//! seen by the operator, who never had one for that clinic.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::console::{clinic_rows, HomeQuery};
use super::owner_pages;
use super::pages;
use super::respond::{acting, blocking, broken, fresh_form, owner_says, page, see_other, viewing};
use crate::logins::ClientAddr;
use crate::portal::guard::{self, new_token};
use crate::portal::words::Lang;
use crate::store::{unix_now, ClinicRecord, Store, StoreError};
use crate::AppState;

/// How long an owner's invitation link works.
pub const INVITE_HOURS: i64 = 72;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The new clinic form.
#[derive(Debug, Deserialize)]
pub struct NewClinicForm {
    csrf: String,
    lang: Option<String>,
    name: String,
    slug: String,
    owner_email: String,
    #[serde(default)]
    time_zone: String,
}

/// Checks a new clinic as typed; the id of the sentence that says what is wrong.
fn clinic_of(form: &NewClinicForm) -> Result<ClinicRecord, &'static str> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("admin-bad-clinic-name");
    }
    let slug = form.slug.trim().to_lowercase();
    let slug_ok = (2..=40).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !slug_ok {
        return Err("admin-bad-slug");
    }
    let email = form.owner_email.trim().to_lowercase();
    let email_ok = email.len() <= 200
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !email.contains(' '));
    if !email_ok {
        return Err("admin-bad-email");
    }
    let zone = match form.time_zone.trim() {
        "" => "Africa/Cairo",
        z => z,
    };
    if jiff::tz::TimeZone::get(zone).is_err() {
        return Err("admin-bad-zone");
    }
    // A password nobody knows until the owner sets one through the link.
    let unknown = crate::hash_password(&new_token()).map_err(|_| "admin-busy")?;
    Ok(ClinicRecord {
        id: uuid::Uuid::now_v7().to_string(),
        slug,
        name: name.to_string(),
        owner_email: email,
        password_hash: unknown,
        data_clinic_id: None,
        time_zone: zone.to_string(),
    })
}

/// `POST /admin/clinics`: makes the clinic and emails its owner the invitation.
pub async fn create<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<NewClinicForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    acting(&state, headers, form.csrf.clone(), lang, move |st, s| {
        let refused = |st: &AppState<S>, why: &str| -> Result<Response, StoreError> {
            let rows = clinic_rows(&*st.store, "", st.admin.billing)?;
            let again = pages::clinics(lang, &s, &pages::Filter::default(), &rows, Some(why));
            Ok(page(StatusCode::BAD_REQUEST, again, None))
        };
        let record = match clinic_of(&form) {
            Ok(r) => r,
            Err(why) => return refused(st, why),
        };
        match st.store.create_clinic(&record) {
            Err(StoreError::Taken(_)) => return refused(st, "admin-taken"),
            other => other?,
        }
        let token = new_token();
        let expires = unix_now() + INVITE_HOURS * 3600;
        st.store
            .add_owner_invite(&hash(&token), &record.id, &record.owner_email, expires)?;
        let link = password_link(st, &token);
        let args = [
            ("clinic", record.name.clone().into()),
            ("link", link.into()),
            ("hours", INVITE_HOURS.into()),
        ];
        let key = format!("owner-invite:{}", record.id);
        crate::mail::queue_bilingual(
            st,
            &record.owner_email,
            "owner-invite",
            "owner-invite",
            &key,
            &args,
        )?;
        let subject = format!("{} {} {}", record.id, record.slug, record.owner_email);
        st.store
            .append_admin_audit(&s.email, "clinic-created", &subject, &addr.to_string())?;
        Ok(see_other(
            &format!("/admin/clinics/{}?lang={}", record.id, lang.code()),
            None,
        ))
    })
    .await
}

/// `GET /admin/emails`: the latest emails and what became of each (never their text).
pub async fn emails<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<HomeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    viewing(&state, headers, lang, move |st, s| {
        let emails = st.store.emails(200)?;
        Ok(page(StatusCode::OK, pages::emails(lang, &s, &emails), None))
    })
    .await
}

/// The owner's one-time page to set the password.
fn password_link<S: Store>(state: &AppState<S>, token: &str) -> String {
    format!(
        "{}/owner/password/{token}",
        state.portal.config.public_url.trim_end_matches('/')
    )
}

/// How long a password reset link works.
pub const RESET_MINUTES: i64 = 60;

/// `GET /owner/reset`: an owner who lost the password asks for a link.
pub async fn reset_form<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<OwnerQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_code(q.lang.as_deref());
    fresh_form(&state, &headers, |csrf| {
        owner_pages::reset_form(lang, csrf, None)
    })
}

/// The reset form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    csrf: String,
    lang: Option<String>,
    email: String,
}

/// `POST /owner/reset`: emails a one-time link (an hour) if the address owns a clinic. The
/// page says the same either way, so it tells a stranger nothing of who has an account, and
/// requests count against the address and the email like wrong passwords do.
pub async fn reset<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    if !guard::csrf_ok(&headers, &form.csrf) {
        return owner_says(StatusCode::FORBIDDEN, lang, "admin-csrf");
    }
    let email = form.email.trim().to_lowercase();
    let key = format!("reset:{email}");
    if state.logins.admit(&key, &addr).await.is_err() {
        return owner_says(StatusCode::TOO_MANY_REQUESTS, lang, "admin-too-many");
    }
    state.logins.failed(&key, &addr).await;
    let st = state.clone();
    let done = blocking(move || {
        let Some(clinic) = st.store.clinic_by_email(&email)? else {
            return Ok(());
        };
        let token = new_token();
        let key = hash(&token);
        let expires = unix_now() + RESET_MINUTES * 60;
        st.store
            .add_owner_invite(&key, &clinic.id, &email, expires)?;
        let args = [
            ("link", password_link(&st, &token).into()),
            ("minutes", RESET_MINUTES.into()),
        ];
        crate::mail::queue_bilingual(
            &st,
            &email,
            "password-reset",
            "owner-reset",
            &format!("password-reset:{key}"),
            &args,
        )?;
        tracing::info!(clinic = %clinic.id, "password reset link sent");
        Ok(())
    })
    .await;
    match done {
        Ok(()) => page(StatusCode::OK, owner_pages::reset_sent(lang), None),
        Err(e) => broken(lang, &e),
    }
}

/// `?lang=` on the owner's page.
#[derive(Debug, Default, Deserialize)]
pub struct OwnerQuery {
    lang: Option<String>,
}

impl OwnerQuery {
    /// The page's language.
    pub fn lang(&self) -> Lang {
        Lang::from_code(self.lang.as_deref())
    }
}

/// `GET /owner/password/{token}`: the form to set the owner's password, if the link is alive.
pub async fn owner_form<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    Query(q): Query<OwnerQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_code(q.lang.as_deref());
    let st = state.clone();
    let found = blocking(move || {
        let Some((clinic, email)) = st.store.owner_invite(&hash(&token), unix_now())? else {
            return Ok(None);
        };
        Ok(Some((email, has_code(&*st.store, &clinic)?)))
    })
    .await;
    match found {
        Ok(Some((email, code))) => fresh_form(&state, &headers, |csrf| {
            owner_pages::owner_form(lang, &email, csrf, code, None)
        }),
        Ok(None) => owner_says(StatusCode::GONE, lang, "owner-link-gone"),
        Err(e) => broken(lang, &e),
    }
}

/// Whether the clinic's owner turned two-step sign-in on (then a new password needs the
/// code too: a link alone never bypasses the second factor).
fn has_code<S: Store + ?Sized>(store: &S, clinic: &str) -> Result<bool, StoreError> {
    Ok(store.owner_totp(clinic)?.is_some_and(|(_, on)| on))
}

/// The owner's password form.
#[derive(Debug, Deserialize)]
pub struct OwnerForm {
    csrf: String,
    lang: Option<String>,
    password: String,
    again: String,
    #[serde(default)]
    code: String,
}

/// `POST /owner/password/{token}`: sets the password, once.
pub async fn owner_set<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<OwnerForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    if !guard::csrf_ok(&headers, &form.csrf) {
        return owner_says(StatusCode::FORBIDDEN, lang, "admin-csrf");
    }
    let st = state.clone();
    let done = blocking(move || {
        let key = hash(&token);
        let Some((clinic, email)) = st.store.owner_invite(&key, unix_now())? else {
            return Ok(Err(None));
        };
        let code = has_code(&*st.store, &clinic)?;
        if form.password.chars().count() < 8 {
            return Ok(Err(Some((email, code, "owner-password-short"))));
        }
        if form.password != form.again {
            return Ok(Err(Some((email, code, "owner-password-differs"))));
        }
        if code {
            let Some((secret, _)) = st.store.owner_totp(&clinic)? else {
                return Ok(Err(None));
            };
            let now = unix_now().max(0) as u64;
            let step = super::totp::step_of(&secret, &email, &form.code, now);
            let taken = match step {
                Some(step) => st.store.take_owner_totp_step(&clinic, step)?,
                None => false,
            };
            if !taken {
                return Ok(Err(Some((email, code, "admin-bad-code"))));
            }
        }
        let hashed = crate::hash_password(&form.password)
            .map_err(|e| StoreError::Doc(format!("the password could not be hashed: {e}")))?;
        let Some((_, email)) = st.store.take_owner_invite(&key, unix_now(), &hashed)? else {
            return Ok(Err(None));
        };
        let args = [("email", email.clone().into())];
        crate::mail::queue_bilingual(
            &st,
            &email,
            "password-set",
            "owner-password-set",
            &format!("password-set:{key}"),
            &args,
        )?;
        Ok(Ok(email))
    })
    .await;
    match done {
        Ok(Ok(email)) => page(StatusCode::OK, owner_pages::owner_done(lang, &email), None),
        Ok(Err(Some((email, code, why)))) => page(
            StatusCode::BAD_REQUEST,
            owner_pages::owner_form(lang, &email, &form_csrf_again(&headers), code, Some(why)),
            None,
        ),
        Ok(Err(None)) => owner_says(StatusCode::GONE, lang, "owner-link-gone"),
        Err(e) => broken(lang, &e),
    }
}

/// The browser's CSRF token again (it sent it with the form).
fn form_csrf_again(headers: &HeaderMap) -> String {
    guard::cookie(headers, guard::CSRF_COOKIE).unwrap_or_default()
}
