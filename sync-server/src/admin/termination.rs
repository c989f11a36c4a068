//! Ending a clinic's subscription from the console, and its owner's download of everything
//! the server kept of it. The operator types the clinic's slug to confirm; the clinic's
//! machines are refused at once (they keep working offline), its portal closes, and its
//! owner is emailed a link (random, kept as a hash) to a page where the owner's password
//! (and the code, with two-step sign-in on) and a passphrase of their choosing give the
//! encrypted export, made as it is sent. When the window closes, the sweep in `export.rs`
//! deletes the clinic's data; the link then says so.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::billing::{back_to, clinic_page, no_such_clinic};
use super::invite::OwnerQuery;
use super::respond::{acting, blocking, broken, fresh_form, owner_says, page};
use super::{export_pages, pages};
use crate::error::ApiError;
use crate::logins::ClientAddr;
use crate::portal::guard::{self, new_token};
use crate::portal::words::Lang;
use crate::store::{unix_now, ClinicRecord, Store, StoreError, Termination};
use crate::AppState;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The termination form.
#[derive(Debug, Deserialize)]
pub struct TerminateForm {
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
}

/// The day (clinic-local) a timestamp falls on, for the sentences.
pub fn day_of(at: i64, zone: &str) -> String {
    let zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone)
        .date()
        .to_string()
}

/// `POST /admin/clinics/{id}/terminate`: ends the clinic's subscription, schedules the
/// deletion of its data, and emails its owner the download link.
pub async fn terminate<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<TerminateForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    acting(&state, headers, form.csrf.clone(), lang, move |st, s| {
        let Some(p) = clinic_page(st, &id)? else {
            return Ok(no_such_clinic(lang));
        };
        let note = form.note.trim();
        let why = if form.confirm.trim().to_lowercase() != p.record.slug {
            Some("admin-bad-confirm")
        } else if note.is_empty() || note.chars().count() > 200 {
            Some("admin-bad-note")
        } else {
            None
        };
        if let Some(why) = why {
            let again = pages::clinic(lang, &s, &p, Some(why));
            return Ok(page(StatusCode::BAD_REQUEST, again, None));
        }
        let token = new_token();
        let at = unix_now();
        let termination = Termination {
            clinic: id.clone(),
            at,
            delete_after: at + st.admin.export_days * 86_400,
            by: s.email.clone(),
            note: note.to_string(),
            link_hash: hash(&token),
            deleted_at: None,
        };
        if st.store.terminate(&termination)? {
            st.standings.forget(&id);
            st.store.append_admin_audit(
                &s.email,
                "clinic-terminated",
                &format!("{id} {note}"),
                &addr.to_string(),
            )?;
            let link = format!(
                "{}/owner/export/{token}",
                st.portal.config.public_url.trim_end_matches('/')
            );
            let until = day_of(termination.delete_after, &p.record.time_zone);
            let args = [
                ("clinic", p.record.name.clone().into()),
                ("link", link.into()),
                ("until", until.into()),
            ];
            crate::mail::queue_bilingual(
                st,
                &p.record.owner_email,
                "clinic-ended",
                "clinic-ended",
                &format!("clinic-ended:{id}"),
                &args,
            )?;
        }
        Ok(back_to(&id, lang))
    })
    .await
}

/// The clinic and its termination behind a download link, while its data stands.
fn alive<S: Store + ?Sized>(
    store: &S,
    token: &str,
) -> Result<Option<(ClinicRecord, Termination)>, StoreError> {
    let Some(t) = store.termination_by_link(&hash(token))? else {
        return Ok(None);
    };
    standing(store, t)
}

/// [`alive`], and whether its owner's two-step sign-in is on (the page then asks the code).
fn behind_link<S: Store + ?Sized>(
    store: &S,
    token: &str,
) -> Result<Option<(ClinicRecord, Termination, bool)>, StoreError> {
    let Some((clinic, t)) = alive(store, token)? else {
        return Ok(None);
    };
    let code = store.owner_totp(&clinic.id)?.is_some_and(|(_, on)| on);
    Ok(Some((clinic, t, code)))
}

/// The clinic of termination `t`, while its data stands (the window open, not deleted).
fn standing<S: Store + ?Sized>(
    store: &S,
    t: Termination,
) -> Result<Option<(ClinicRecord, Termination)>, StoreError> {
    if t.deleted_at.is_some() || unix_now() >= t.delete_after {
        return Ok(None);
    }
    Ok(store.clinic_by_id(&t.clinic)?.map(|c| (c, t)))
}

/// `POST /owner/export` (JSON, `ExportRequest`): the same export for the owner's app or
/// `ayada-cli export-download`, with the owner's password (and code) instead of the link;
/// only while the clinic's download window is open.
pub async fn export_for_app<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    crate::extract::Body(req): crate::extract::Body<ayada_sync::ExportRequest>,
) -> Result<Response, ApiError> {
    if req.passphrase.chars().count() < ayada_export::MIN_PASSPHRASE {
        return Err(ApiError::BadRequest(format!(
            "The passphrase must be at least {} characters.",
            ayada_export::MIN_PASSPHRASE
        )));
    }
    let clinic = crate::routes::owner_clinic(
        &state,
        addr,
        &req.email,
        req.password.clone(),
        req.totp.clone(),
        "export",
    )
    .await?;
    let st = state.clone();
    let id = clinic.id.clone();
    let found = super::respond::blocking(move || {
        let Some(t) = st.store.termination(&id)? else {
            return Ok(None);
        };
        let found = standing(&*st.store, t)?;
        if found.is_some() {
            st.store.append_admin_audit(
                &format!("owner:{}", clinic.owner_email),
                "export-downloaded",
                &id,
                &addr.to_string(),
            )?;
        }
        Ok(found)
    })
    .await?;
    match found {
        Some((clinic, _)) => Ok(stream_export(state, clinic, req.passphrase)),
        None => Err(ApiError::Conflict(
            "The clinic's subscription has not ended: its machines hold all of its data, and each can export it."
                .into(),
        )),
    }
}

fn gone(lang: Lang) -> Response {
    owner_says(StatusCode::GONE, lang, "owner-export-gone")
}

/// `GET /owner/export/{token}`: the owner's download page, while the window is open.
pub async fn export_form<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    Query(q): Query<OwnerQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    let st = state.clone();
    let found = blocking(move || behind_link(&*st.store, &token)).await;
    match found {
        Ok(Some((clinic, t, code))) => {
            let until = day_of(t.delete_after, &clinic.time_zone);
            fresh_form(&state, &headers, |csrf| {
                export_pages::form(lang, &clinic, &until, csrf, code, None)
            })
        }
        Ok(None) => gone(lang),
        Err(e) => broken(lang, &e),
    }
}

/// The download form.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    csrf: String,
    lang: Option<String>,
    password: String,
    #[serde(default)]
    code: String,
    passphrase: String,
    again: String,
}

/// `POST /owner/export/{token}`: the owner's password (and code) and a passphrase give the
/// encrypted export, streamed as it is made; audited.
pub async fn export<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    if !guard::csrf_ok(&headers, &form.csrf) {
        return owner_says(StatusCode::FORBIDDEN, lang, "admin-csrf");
    }
    let st = state.clone();
    let (clinic, t, code) = match blocking(move || behind_link(&*st.store, &token)).await {
        Ok(Some(found)) => found,
        Ok(None) => return gone(lang),
        Err(e) => return broken(lang, &e),
    };
    let until = day_of(t.delete_after, &clinic.time_zone);
    let again = |why: &str, status: StatusCode| {
        let csrf = guard::cookie(&headers, guard::CSRF_COOKIE).unwrap_or_default();
        let form = export_pages::form(lang, &clinic, &until, &csrf, code, Some(why));
        page(status, form, None)
    };
    if form.passphrase.chars().count() < ayada_export::MIN_PASSPHRASE {
        return again("owner-export-weak", StatusCode::BAD_REQUEST);
    }
    if form.passphrase != form.again {
        return again("owner-export-differs", StatusCode::BAD_REQUEST);
    }
    let totp = Some(form.code.clone()).filter(|c| !c.trim().is_empty());
    let door = "export";
    let checked = crate::routes::owner_clinic(
        &state,
        addr,
        &clinic.owner_email,
        form.password.clone(),
        totp,
        door,
    )
    .await;
    match checked {
        Ok(owner) if owner.id == clinic.id => {}
        Ok(_) | Err(ApiError::BadLogin) => {
            return again("owner-bad-password", StatusCode::UNAUTHORIZED)
        }
        Err(ApiError::TotpRequired | ApiError::BadTotp) => {
            return again("admin-bad-code", StatusCode::UNAUTHORIZED)
        }
        Err(ApiError::TooManyGuesses { .. } | ApiError::TooManyRequests) => {
            return again("admin-too-many", StatusCode::TOO_MANY_REQUESTS)
        }
        Err(_) => return again("admin-busy", StatusCode::SERVICE_UNAVAILABLE),
    }
    let st = state.clone();
    let (who, subject, address) = (
        format!("owner:{}", clinic.owner_email),
        clinic.id.clone(),
        addr.to_string(),
    );
    if let Err(e) = blocking(move || {
        st.store
            .append_admin_audit(&who, "export-downloaded", &subject, &address)
    })
    .await
    {
        return broken(lang, &e);
    }
    stream_export(state, clinic, form.passphrase)
}

/// Sends chunks it is given to the response, as they come.
struct Channel(tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>);

impl std::io::Write for Channel {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(data.to_vec()))
            .map_err(|_| std::io::Error::other("the download was cancelled"))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The export as a download, made on a blocking thread as the response is sent: the
/// clinic's photos are never all in memory, and nothing clear is written to disk. A failure
/// part way cuts the download short, which `export-open` refuses.
fn stream_export<S: Store>(
    state: AppState<S>,
    clinic: ClinicRecord,
    passphrase: String,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    let name = format!(
        "ayada-{}-{}.ayada-export",
        clinic.slug,
        day_of(unix_now(), &clinic.time_zone)
    );
    tokio::task::spawn_blocking(move || {
        let failed = tx.clone();
        // Written through a buffer, so the channel carries a few large chunks.
        let out = std::io::BufWriter::with_capacity(256 * 1024, Channel(tx));
        match crate::export::write_export(&*state.store, &clinic, &passphrase, out) {
            Ok(m) => {
                tracing::info!(clinic = %clinic.id, documents = m.documents, photos = m.photos, "export downloaded")
            }
            Err(e) => {
                tracing::error!(clinic = %clinic.id, error = %e, "export cut short");
                let _ = failed.blocking_send(Err(std::io::Error::other("the export failed")));
            }
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
