//! What every console handler answers with (a page with the console's headers, a redirect,
//! a page saying the storage failed) and the guard each runs behind: a GET needs a session
//! that passed both factors; a form also needs that session's CSRF token.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::pages;
use super::session::{self, csrf_ok, FULL};
use crate::portal::guard::secure_headers;
pub(super) use crate::portal::respond::secure;
use crate::portal::words::Lang;
use crate::store::{AdminSession, Store, StoreError};
use crate::AppState;

/// A page of the console with its headers (no script, its own style only, never framed,
/// never cached), with a cookie to set or clear.
pub(super) fn page(
    status: StatusCode,
    markup: maud::Markup,
    cookie: Option<header::HeaderValue>,
) -> Response {
    let mut response = (status, markup).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    secure_headers(response, &pages::STYLE_HASH)
}

/// A redirect (303) with the console's headers, setting or clearing a cookie.
pub(super) fn see_other(to: &str, cookie: Option<header::HeaderValue>) -> Response {
    let mut response = page(StatusCode::SEE_OTHER, maud::html! {}, cookie);
    if let Ok(value) = header::HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The store failed: a page that says so (the details go to the log).
pub(super) fn broken(lang: Lang, e: &StoreError) -> Response {
    tracing::error!(error = %e, "console storage failed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        pages::notice(lang, "admin-busy"),
        None,
    )
}

/// An owner's page (no session) that only says sentence `id`, answered with `status`.
pub(super) fn owner_says(status: StatusCode, lang: Lang, id: &str) -> Response {
    page(status, super::owner_pages::owner_notice(lang, id), None)
}

/// A form page with a fresh CSRF token (double-submit: its cookie set beside it, or the
/// browser's kept), answered 200. `markup` makes the page around the token.
pub(super) fn fresh_form<S>(
    state: &AppState<S>,
    headers: &HeaderMap,
    markup: impl FnOnce(&str) -> maud::Markup,
) -> Response {
    let (csrf, cookie) = crate::portal::guard::csrf(headers, secure(state));
    page(StatusCode::OK, markup(&csrf), cookie)
}

/// Runs store work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Doc(format!("a console task failed: {e}")))?
}

/// The session if it passed both factors; else where to send the browser.
pub(super) fn full<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Result<AdminSession, &'static str>, StoreError> {
    Ok(match session::current(state, headers)? {
        Some(s) if s.stage == FULL => Ok(s),
        // The password was right, the code is still to come.
        Some(_) => Err("/admin/totp"),
        None => Err("/admin/login"),
    })
}

/// Runs `f` with the full session of a GET; a browser without one is sent to the login (or to
/// the code, when only the password was given).
pub(super) async fn viewing<S: Store>(
    state: &AppState<S>,
    headers: HeaderMap,
    lang: Lang,
    f: impl FnOnce(&AppState<S>, AdminSession) -> Result<Response, StoreError> + Send + 'static,
) -> Response {
    let st = state.clone();
    let done = blocking(move || match full(&st, &headers)? {
        Ok(s) => f(&st, s),
        Err(to) => Ok(see_other(&format!("{to}?lang={}", lang.code()), None)),
    })
    .await;
    done.unwrap_or_else(|e| broken(lang, &e))
}

/// Runs `f` for a form posted in a full session that carries the session's CSRF token; a
/// form from anywhere else gets 403.
pub(super) async fn acting<S: Store>(
    state: &AppState<S>,
    headers: HeaderMap,
    csrf: String,
    lang: Lang,
    f: impl FnOnce(&AppState<S>, AdminSession) -> Result<Response, StoreError> + Send + 'static,
) -> Response {
    let st = state.clone();
    let done = blocking(move || match full(&st, &headers)? {
        Ok(s) if csrf_ok(&s, &csrf) => f(&st, s),
        Ok(_) => Ok(page(
            StatusCode::FORBIDDEN,
            pages::notice(lang, "admin-csrf"),
            None,
        )),
        Err(to) => Ok(see_other(&format!("{to}?lang={}", lang.code()), None)),
    })
    .await;
    done.unwrap_or_else(|e| broken(lang, &e))
}
