//! The console's doors: the password, then the TOTP code (enrolled at the first login), then
//! a fresh session; and logout. Wrong guesses of either factor count per admin and per
//! address ([`crate::logins`]), and a refused guess costs no hash.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::pages;
use super::respond::{blocking, broken, fresh_form, page, secure, see_other};
use super::session::{self, csrf_ok, FULL, PASSWORD};
use super::totp;
use crate::logins::ClientAddr;
use crate::portal::guard;
use crate::portal::words::Lang;
use crate::store::{unix_now, Store, StoreError};
use crate::AppState;

/// `?lang=en` on a page.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    /// The page's language.
    pub fn lang(&self) -> Lang {
        Lang::from_code(self.lang.as_deref())
    }
}

/// `GET /admin/login`.
pub async fn login_form<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    fresh_form(&state, &headers, |csrf| pages::login(q.lang(), csrf, None))
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    lang: Option<String>,
}

/// `POST /admin/login`: the password.
pub async fn login<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    if !guard::csrf_ok(&headers, &form.csrf) {
        return page(
            StatusCode::FORBIDDEN,
            pages::notice(lang, "admin-csrf"),
            None,
        );
    }
    let email = form.email.trim().to_lowercase();
    let key = format!("admin:{email}");
    let again = |status, id: &str| page(status, pages::login(lang, &form.csrf, Some(id)), None);
    let Ok(permit) = state.logins.admit(&key, &addr).await else {
        return again(StatusCode::TOO_MANY_REQUESTS, "admin-too-many");
    };
    let (store, who, password) = (state.store.clone(), email.clone(), form.password.clone());
    let checked = state
        .logins
        .run(permit, move || -> Result<bool, StoreError> {
            let admin = store.admin(&who)?;
            // A real hash even for an unknown email, so the time taken does not tell.
            let hash = admin
                .as_ref()
                .map_or_else(|| crate::DUMMY_HASH.clone(), |a| a.password_hash.clone());
            Ok(crate::verify_password(&password, &hash) && admin.is_some())
        })
        .await;
    match checked {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            state.logins.failed(&key, &addr).await;
            tracing::warn!(%email, %addr, outcome = "wrong email or password", "admin login refused");
            return again(StatusCode::UNAUTHORIZED, "admin-bad-login");
        }
        Ok(Err(e)) => return broken(lang, &e),
        Err(_) => return again(StatusCode::SERVICE_UNAVAILABLE, "admin-busy"),
    }
    let st = state.clone();
    let started = blocking(move || session::start(&st, &email, PASSWORD)).await;
    match started {
        Ok((token, _)) => see_other(
            &format!("/admin/totp?lang={}", lang.code()),
            Some(session::set_cookie(Some(&token), secure(&state))),
        ),
        Err(e) => broken(lang, &e),
    }
}

/// `GET /admin/totp`: the code, and at the first login the QR code to enroll it.
pub async fn totp_form<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    let st = state.clone();
    let found = blocking(move || {
        let Some(s) = session::current(&st, &headers)? else {
            return Ok(None);
        };
        let admin = st.store.admin(&s.email)?;
        let enroll = match admin {
            Some(a) if !a.totp_enrolled => {
                Some(st.store.offer_totp_secret(&a.email, &totp::new_secret())?)
            }
            _ => None,
        };
        Ok(Some((s, enroll)))
    })
    .await;
    match found {
        Ok(Some((s, _))) if s.stage == FULL => {
            see_other(&format!("/admin?lang={}", lang.code()), None)
        }
        Ok(Some((s, enroll))) => {
            let qr = enroll
                .as_deref()
                .and_then(|secret| totp::qr_data_url(secret, &s.email));
            page(
                StatusCode::OK,
                pages::totp(lang, &s.csrf, enroll.as_deref(), qr.as_deref(), None),
                None,
            )
        }
        Ok(None) => see_other(&format!("/admin/login?lang={}", lang.code()), None),
        Err(e) => broken(lang, &e),
    }
}

/// The code form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
    csrf: String,
    lang: Option<String>,
}

/// What checking a code came to.
enum Checked {
    /// No session at the password stage: log in again.
    NoSession,
    /// The form's CSRF token is not the session's.
    Forged,
    /// Too many wrong codes lately.
    TooMany,
    /// Not a code of this admin's secret now, or one already used: the form again (with the
    /// enrollment's secret while it is not done).
    Wrong {
        csrf: String,
        email: String,
        enroll: Option<String>,
    },
    /// Both factors passed: the new session's token.
    Passed(String),
}

/// `POST /admin/totp`: the second factor, then a new session.
pub async fn totp<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    let st = state.clone();
    let address = addr.to_string();
    let checked = blocking(move || {
        let Some(s) = session::current(&st, &headers)?.filter(|s| s.stage == PASSWORD) else {
            return Ok(Checked::NoSession);
        };
        if !csrf_ok(&s, &form.csrf) {
            return Ok(Checked::Forged);
        }
        let key = format!("admin-totp:{}", s.email);
        if st.logins.admit_blocking(&key, &addr).is_err() {
            return Ok(Checked::TooMany);
        }
        let Some(admin) = st.store.admin(&s.email)? else {
            return Ok(Checked::NoSession);
        };
        let secret = admin.totp_secret.clone().unwrap_or_default();
        let now = unix_now().max(0) as u64;
        let step = totp::step_of(&secret, &admin.email, &form.code, now);
        let taken = match step {
            Some(step) => st.store.take_totp_step(&admin.email, step)?,
            None => false,
        };
        if !taken {
            st.logins.failed_blocking(&key, &addr);
            tracing::warn!(admin = %admin.email, %addr, reused = step.is_some(), "admin code refused");
            return Ok(Checked::Wrong {
                csrf: s.csrf,
                enroll: (!admin.totp_enrolled).then_some(secret),
                email: admin.email,
            });
        }
        st.logins.succeeded_blocking(&key);
        st.logins.succeeded_blocking(&format!("admin:{}", admin.email));
        // A new token for the full session: one seen before the code opens nothing.
        st.store.end_admin_session(&s.token_hash)?;
        let (token, _) = session::start(&st, &admin.email, FULL)?;
        if !admin.totp_enrolled {
            st.store
                .append_admin_audit(&admin.email, "totp-enrolled", "", &address)?;
        }
        st.store.append_admin_audit(&admin.email, "login", "", &address)?;
        Ok(Checked::Passed(token))
    })
    .await;
    let to_login = || see_other(&format!("/admin/login?lang={}", lang.code()), None);
    match checked {
        Ok(Checked::Passed(token)) => see_other(
            &format!("/admin?lang={}", lang.code()),
            Some(session::set_cookie(Some(&token), secure(&state))),
        ),
        Ok(Checked::NoSession) => to_login(),
        Ok(Checked::Forged) => page(
            StatusCode::FORBIDDEN,
            pages::notice(lang, "admin-csrf"),
            None,
        ),
        Ok(Checked::TooMany) => page(
            StatusCode::TOO_MANY_REQUESTS,
            pages::notice(lang, "admin-too-many"),
            None,
        ),
        Ok(Checked::Wrong {
            csrf,
            email,
            enroll,
        }) => {
            let qr = enroll
                .as_deref()
                .and_then(|secret| totp::qr_data_url(secret, &email));
            let form = pages::totp(
                lang,
                &csrf,
                enroll.as_deref(),
                qr.as_deref(),
                Some("admin-bad-code"),
            );
            page(StatusCode::UNAUTHORIZED, form, None)
        }
        Err(e) => broken(lang, &e),
    }
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: String,
    lang: Option<String>,
}

/// `POST /admin/logout`: ends the session (its cookie opens nothing from now on).
pub async fn logout<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    let st = state.clone();
    let address = addr.to_string();
    let done = blocking(move || {
        let Some(s) = session::current(&st, &headers)? else {
            return Ok(Some(false));
        };
        if !csrf_ok(&s, &form.csrf) {
            return Ok(None);
        }
        st.store.end_admin_session(&s.token_hash)?;
        if s.stage == FULL {
            st.store
                .append_admin_audit(&s.email, "logout", "", &address)?;
        }
        Ok(Some(true))
    })
    .await;
    match done {
        Ok(Some(_)) => see_other(
            &format!("/admin/login?lang={}", lang.code()),
            Some(session::set_cookie(None, secure(&state))),
        ),
        Ok(None) => page(
            StatusCode::FORBIDDEN,
            pages::notice(lang, "admin-csrf"),
            None,
        ),
        Err(e) => broken(lang, &e),
    }
}
