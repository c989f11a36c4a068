//! What every portal handler answers with: a page with the portal's security headers, a
//! redirect, or a page that only says what went wrong; and the lookups they all start with
//! (the clinic of a slug, the slots held by patients typing their code).

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use maud::Markup;
use serde::Deserialize;

use super::author::AuthorError;
use super::guard::{csrf_ok, secure_headers};
use super::pages::{self, STYLE_HASH};
use super::view::ClinicView;
use super::words::{t, Lang};
use crate::store::{ClinicRecord, Store, StoreError};
use crate::AppState;
/// The portal's answer: a page with its headers, or a redirect.
pub struct Page(Response);

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        self.0
    }
}

pub(super) fn html(status: StatusCode, markup: Markup, cookie: Option<HeaderValue>) -> Page {
    let mut response = (status, markup).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Page(secure_headers(response, &STYLE_HASH))
}

pub(super) fn see_other(to: &str) -> Page {
    Page(secure_headers(
        Redirect::to(to).into_response(),
        &STYLE_HASH,
    ))
}

pub(super) fn problem(lang: Lang, status: StatusCode, id: &str) -> Page {
    html(
        status,
        pages::notice(lang, &t(lang, "book-online"), &t(lang, id)),
        None,
    )
}

/// Runs store work off the async threads; a failure is a page saying to call the clinic.
pub(super) async fn blocking<T: Send + 'static>(
    lang: Lang,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Page> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "portal storage failed");
            Err(problem(lang, StatusCode::SERVICE_UNAVAILABLE, "err-busy"))
        }
        Err(_) => Err(problem(lang, StatusCode::INTERNAL_SERVER_ERROR, "err-busy")),
    }
}

/// Whether a clinic's online booking is closed, as the machines' doors see it: None while
/// it is open, else whether its subscription ended (true) or is suspended (false).
pub(super) fn closed<S: Store>(
    state: &AppState<S>,
    clinic: &str,
) -> Result<Option<bool>, StoreError> {
    let rules = state.admin.billing;
    Ok(crate::standing::refusal(&*state.store, &state.standings, clinic, rules)?.map(|r| r.ended))
}

/// The page a closed clinic's portal shows: paused (suspended) or closed for good (ended).
pub(super) fn closed_page(lang: Lang, ended: bool) -> Page {
    let id = if ended { "err-ended" } else { "err-paused" };
    problem(lang, StatusCode::SERVICE_UNAVAILABLE, id)
}

/// The clinic of a slug with its view; a page saying the link is not valid otherwise.
pub(super) async fn clinic<S: Store>(
    state: &AppState<S>,
    slug: String,
    lang: Lang,
) -> Result<(ClinicRecord, Arc<ClinicView>), Page> {
    if slug.len() > 64 {
        return Err(problem(lang, StatusCode::NOT_FOUND, "err-gone"));
    }
    let st = state.clone();
    let found = blocking(lang, move || {
        let Some(record) = st.portal.views.record(&*st.store, &slug)? else {
            return Ok(None);
        };
        // A suspended or ended clinic takes no booking online (its own page says so).
        if let Some(ended) = closed(&st, &record.id)? {
            return Ok(Some(Err(ended)));
        }
        Ok(st
            .portal
            .views
            .get(&*st.store, &record, Timestamp::now())?
            .map(|v| Ok((record, v))))
    })
    .await?;
    match found {
        Some(Ok(found)) => Ok(found),
        Some(Err(ended)) => Err(closed_page(lang, ended)),
        None => Err(problem(lang, StatusCode::NOT_FOUND, "err-gone")),
    }
}

/// The slots patients typing their code hold at a clinic (for the pages: kept a second; a
/// request itself is checked against the store in one transaction).
pub(super) async fn held<S: Store>(
    state: &AppState<S>,
    clinic: &str,
    lang: Lang,
) -> Result<Vec<(String, i64, i64)>, Page> {
    let st = state.clone();
    let clinic = clinic.to_string();
    blocking(lang, move || {
        st.portal.views.held(&*st.store, &clinic, Timestamp::now())
    })
    .await
}

/// `?lang=` on every page.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub(super) lang: Option<String>,
}

/// Whether the server is reached over HTTPS (its cookies then say Secure).
pub(crate) fn secure<S>(state: &AppState<S>) -> bool {
    state.portal.config.public_url.starts_with("https://")
}

/// A failed portal write as a storage failure (the page then says to call the clinic).
pub(super) fn stored(e: AuthorError) -> StoreError {
    match e {
        AuthorError::Store(e) => e,
        other => StoreError::Doc(other.to_string()),
    }
}

/// A form posted to a clinic's pages: refused unless it carries this browser's CSRF token,
/// then the clinic of the slug with its view.
pub(super) async fn posted<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    csrf: &str,
    slug: String,
    lang: Lang,
) -> Result<(ClinicRecord, Arc<ClinicView>), Page> {
    if !csrf_ok(headers, csrf) {
        return Err(problem(lang, StatusCode::FORBIDDEN, "err-form"));
    }
    clinic(state, slug, lang).await
}
