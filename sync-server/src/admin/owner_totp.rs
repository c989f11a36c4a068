//! The owner's second factor on their server account: turned on from a page of the server
//! (the password, then the QR code and a first code), it is then asked at every door that
//! takes the owner's password (enrolling or revoking a machine, a new password by link).
//! Between the password and the code the page carries a proof (an HMAC of the clinic and a
//! ten-minute limit under the server's key), not a session.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::invite::OwnerQuery;
use super::owner_pages;
use super::respond::{blocking, broken, fresh_form, owner_says, page};
use super::totp;
use crate::logins::ClientAddr;
use crate::portal::guard::{self, keyed_hash, matches};
use crate::portal::words::Lang;
use crate::store::{unix_now, Store};
use crate::AppState;

/// How long the code step may follow the password step.
const PROOF_SECONDS: i64 = 600;

/// `GET /owner/security`: the owner's password, to turn two-step sign-in on.
pub async fn form<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<OwnerQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    fresh_form(&state, &headers, |csrf| {
        owner_pages::owner_security(lang, csrf, None)
    })
}

/// The password step.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    lang: Option<String>,
    email: String,
    password: String,
}

/// `POST /owner/security`: the password checked (within the owners' guess limits), the QR
/// code and the first code's form.
pub async fn password<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    if !guard::csrf_ok(&headers, &form.csrf) {
        return owner_says(StatusCode::FORBIDDEN, lang, "admin-csrf");
    }
    // Two-step sign-in already on: the owner's code is asked here too (a `None` code is
    // refused with "needs the code", and the page says it is on).
    let clinic = match crate::routes::owner_clinic(
        &state,
        addr,
        &form.email,
        form.password.clone(),
        None,
        "two-step sign-in",
    )
    .await
    {
        Ok(c) => c,
        Err(crate::error::ApiError::TotpRequired) => {
            return owner_says(StatusCode::OK, lang, "owner-totp-already")
        }
        Err(crate::error::ApiError::TooManyGuesses { .. }) => {
            return page(
                StatusCode::TOO_MANY_REQUESTS,
                owner_pages::owner_security(lang, &form.csrf, Some("admin-too-many")),
                None,
            )
        }
        Err(_) => {
            return page(
                StatusCode::UNAUTHORIZED,
                owner_pages::owner_security(lang, &form.csrf, Some("admin-bad-login")),
                None,
            )
        }
    };
    let st = state.clone();
    let id = clinic.id.clone();
    let secret = blocking(move || st.store.offer_owner_totp(&id, &totp::new_secret())).await;
    let secret = match secret {
        Ok(s) => s,
        Err(e) => return broken(lang, &e),
    };
    let expires = unix_now() + PROOF_SECONDS;
    let proof = keyed_hash(
        &state.portal.key,
        &["owner-totp", &clinic.id, &expires.to_string()],
    );
    let qr = totp::qr_data_url(&secret, &clinic.owner_email);
    let markup = owner_pages::owner_totp(
        lang,
        &form.csrf,
        &clinic.id,
        expires,
        &proof,
        &secret,
        qr.as_deref(),
        None,
    );
    page(StatusCode::OK, markup, None)
}

/// The first code.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    csrf: String,
    lang: Option<String>,
    clinic: String,
    expires: i64,
    proof: String,
    code: String,
}

/// `POST /owner/security/code`: the first code turns two-step sign-in on.
pub async fn code<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    let proven = matches(
        &state.portal.key,
        &["owner-totp", &form.clinic, &form.expires.to_string()],
        &form.proof,
    );
    if !guard::csrf_ok(&headers, &form.csrf) || !proven {
        return owner_says(StatusCode::FORBIDDEN, lang, "admin-csrf");
    }
    if form.expires < unix_now() {
        return owner_says(StatusCode::GONE, lang, "owner-totp-late");
    }
    let key = format!("totp-setup:{}", form.clinic);
    if state.logins.admit(&key, &addr).await.is_err() {
        return owner_says(StatusCode::TOO_MANY_REQUESTS, lang, "admin-too-many");
    }
    let st = state.clone();
    let clinic = form.clinic.clone();
    let code = form.code.clone();
    let done = blocking(move || {
        let (Some(record), Some((secret, false))) = (
            st.store.clinic_by_id(&clinic)?,
            st.store.owner_totp(&clinic)?,
        ) else {
            return Ok(None);
        };
        let now = unix_now().max(0) as u64;
        let Some(step) = totp::step_of(&secret, &record.owner_email, &code, now) else {
            return Ok(Some((record, secret, false)));
        };
        let on = st.store.take_owner_totp_step(&clinic, step)?;
        if on {
            let args = [("email", record.owner_email.clone().into())];
            let idem = format!("totp-on:{clinic}:{step}");
            crate::mail::queue_bilingual(
                &st,
                &record.owner_email,
                "totp-on",
                "owner-totp-on",
                &idem,
                &args,
            )?;
        }
        Ok(Some((record, secret, on)))
    })
    .await;
    match done {
        Ok(Some((_, _, true))) => page(
            StatusCode::OK,
            owner_pages::owner_notice_ok(lang, "owner-totp-on"),
            None,
        ),
        Ok(Some((record, secret, false))) => {
            state.logins.failed(&key, &addr).await;
            let qr = totp::qr_data_url(&secret, &record.owner_email);
            let markup = owner_pages::owner_totp(
                lang,
                &form.csrf,
                &form.clinic,
                form.expires,
                &form.proof,
                &secret,
                qr.as_deref(),
                Some("admin-bad-code"),
            );
            page(StatusCode::UNAUTHORIZED, markup, None)
        }
        Ok(None) => owner_says(StatusCode::OK, lang, "owner-totp-already"),
        Err(e) => broken(lang, &e),
    }
}
