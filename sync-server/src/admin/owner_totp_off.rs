//! Turning the owner's two-step sign-in off: by the owner (the password and a code), or by
//! the operator for an owner who lost the phone (the console, audited). Either way the owner
//! is emailed, so a stranger who did it does not go unnoticed.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::billing::{back_to, clinic_page, no_such_clinic};
use super::invite::OwnerQuery;
use super::owner_pages;
use super::respond::{acting, blocking, broken, fresh_form, owner_says, page};
use crate::error::ApiError;
use crate::logins::ClientAddr;
use crate::portal::guard;
use crate::portal::words::Lang;
use crate::store::{ClinicRecord, Store, StoreError};
use crate::AppState;

/// Forgets the clinic's owner's second factor and tells the owner; false if it was off.
fn turn_off<S: Store>(
    st: &AppState<S>,
    clinic: &ClinicRecord,
    by: &str,
) -> Result<bool, StoreError> {
    if !st.store.remove_owner_totp(&clinic.id)? {
        return Ok(false);
    }
    let args = [
        ("email", clinic.owner_email.clone().into()),
        ("by", by.to_string().into()),
    ];
    crate::mail::queue_bilingual(
        st,
        &clinic.owner_email,
        "totp-off",
        "owner-totp-off",
        // Each turning off is its own event (two in one second are two emails).
        &format!("totp-off:{}:{}", clinic.id, guard::new_token()),
        &args,
    )?;
    Ok(true)
}

/// `GET /owner/security/off`: the owner's password and code, to turn two-step sign-in off.
pub async fn form<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<OwnerQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    fresh_form(&state, &headers, |csrf| {
        owner_pages::owner_totp_off(lang, csrf, None)
    })
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct OffForm {
    csrf: String,
    lang: Option<String>,
    email: String,
    password: String,
    #[serde(default)]
    code: String,
}

/// `POST /owner/security/off`: the password and a code (the owners' guess limits) turn it
/// off.
pub async fn off<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<OffForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    if !guard::csrf_ok(&headers, &form.csrf) {
        return owner_says(StatusCode::FORBIDDEN, lang, "admin-csrf");
    }
    let again = |why: &str, status: StatusCode| {
        page(
            status,
            owner_pages::owner_totp_off(lang, &form.csrf, Some(why)),
            None,
        )
    };
    let code = Some(form.code.clone()).filter(|c| !c.trim().is_empty());
    let door = "two-step sign-in off";
    let clinic = match crate::routes::owner_clinic(
        &state,
        addr,
        &form.email,
        form.password.clone(),
        code,
        door,
    )
    .await
    {
        Ok(c) => c,
        Err(ApiError::TotpRequired | ApiError::BadTotp) => {
            return again("admin-bad-code", StatusCode::UNAUTHORIZED)
        }
        Err(ApiError::TooManyGuesses { .. } | ApiError::TooManyRequests) => {
            return again("admin-too-many", StatusCode::TOO_MANY_REQUESTS)
        }
        Err(_) => return again("admin-bad-login", StatusCode::UNAUTHORIZED),
    };
    let st = state.clone();
    match blocking(move || turn_off(&st, &clinic, "the owner")).await {
        Ok(true) => page(
            StatusCode::OK,
            owner_pages::owner_notice_ok(lang, "owner-totp-off-done"),
            None,
        ),
        Ok(false) => owner_says(StatusCode::OK, lang, "owner-totp-not-on"),
        Err(e) => broken(lang, &e),
    }
}

/// The console's reset form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    csrf: String,
    lang: Option<String>,
}

/// `POST /admin/clinics/{id}/owner-totp-reset`: the operator turns the owner's two-step
/// sign-in off (a lost phone), audited; the owner is emailed.
pub async fn reset<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    acting(&state, headers, form.csrf.clone(), lang, move |st, s| {
        let Some(p) = clinic_page(st, &id)? else {
            return Ok(no_such_clinic(lang));
        };
        if turn_off(st, &p.record, &s.email)? {
            st.store
                .append_admin_audit(&s.email, "owner-totp-reset", &id, &addr.to_string())?;
        }
        Ok(back_to(&id, lang))
    })
    .await
}
