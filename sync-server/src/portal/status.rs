//! The status link: the booking's state as the clinic's documents say, and what the patient
//! may do before the cut-off (cancel, move to another free time: changes the server
//! authors), and the calendar file.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use ayada_model::appointment::{self, Appointment, Moved, Status, PORTAL};
use ayada_model::docs::DocId;
use ayada_model::schedule::SlotRefusal;
use ayada_model::time::parse_date;
use jiff::Timestamp;
use serde::Deserialize;

use super::author::{self, Edit};
use super::guard::{csrf, csrf_ok, keyed_hash, secure_headers};
use super::pages::{self, StatusView, STYLE_HASH};
use super::relay::appointment_of;
use super::view::ClinicView;
use super::words::{say, t, when, Lang};
use crate::store::{PortalBooking, Store, StoreError};
use crate::AppState;

use super::respond::{blocking, held, html, problem, secure, stored, LangQuery, Page};
/// A booking of a status link, with its clinic and record; the "not valid" page otherwise.
async fn booking_of<S: Store>(
    state: &AppState<S>,
    token: String,
    lang: Lang,
) -> Result<(PortalBooking, Arc<ClinicView>, Appointment), Page> {
    if token.len() != 43 {
        return Err(problem(lang, StatusCode::NOT_FOUND, "err-gone"));
    }
    let st = state.clone();
    let hash = keyed_hash(&state.portal.key, &["status", &token]);
    let found = blocking(lang, move || {
        let Some(b) = st.store.booking(&hash)? else {
            return Ok(None);
        };
        let Some(record) = st.store.clinic_by_id(&b.clinic)? else {
            return Ok(None);
        };
        let Some(view) = st.portal.views.get(&*st.store, &record, Timestamp::now())? else {
            return Ok(None);
        };
        Ok(appointment_of(&st, &b)?.map(|a| (b, view, a)))
    })
    .await?;
    found.ok_or_else(|| problem(lang, StatusCode::NOT_FOUND, "err-gone"))
}

/// Until when a booking may be changed online; None once past the clinic's cut-off.
fn until(view: &ClinicView, a: &Appointment) -> Option<Timestamp> {
    let until = Timestamp::from_second(a.starts_at - view.portal.cutoff_hours * 3600).ok()?;
    (Timestamp::now() < until && matches!(a.status, Status::Requested | Status::Booked))
        .then_some(until)
}

fn status_view<'a>(
    view: &'a ClinicView,
    b: &PortalBooking,
    a: &Appointment,
    token: &'a str,
    said: Option<String>,
) -> StatusView<'a> {
    let status = if a.status == Status::Cancelled && b.status_told == "declined" {
        "status-declined".to_string()
    } else {
        format!("status-{}", a.status.as_str())
    };
    StatusView {
        token,
        status,
        at: Timestamp::from_second(a.starts_at).unwrap_or_default(),
        doctor: view
            .doctors
            .iter()
            .find(|d| d.id == a.doctor_id)
            .map_or("", |d| d.name.as_str()),
        until: until(view, a),
        live: matches!(a.status, Status::Requested | Status::Booked),
        said,
    }
}

/// `GET /b/{token}`: the booking's state.
pub async fn status_page<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Page {
    let lang = Lang::from_code(q.lang.as_deref());
    let (b, view, a) = match booking_of(&state, token.clone(), lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let (csrf_token, cookie) = csrf(&headers, secure(&state));
    html(
        StatusCode::OK,
        pages::status_page(
            &view,
            lang,
            &status_view(&view, &b, &a, &token, None),
            &csrf_token,
        ),
        cookie,
    )
}

/// A form with only its CSRF token and language (cancel), or a time (move).
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    csrf: String,
    lang: Option<String>,
    at: Option<i64>,
}

/// `POST /b/{token}/cancel`: cancels before the cut-off, as a change the server authors.
pub async fn cancel<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Page {
    change(state, token, headers, form, None).await
}

/// `POST /b/{token}/move`: moves to another free time of the same doctor before the cut-off.
pub async fn move_to<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Page {
    let at = form.at.and_then(|s| Timestamp::from_second(s).ok());
    match at {
        Some(at) => change(state, token, headers, form, Some(at)).await,
        None => problem(
            Lang::from_code(form.lang.as_deref()),
            StatusCode::BAD_REQUEST,
            "err-slot",
        ),
    }
}

async fn change<S: Store>(
    state: AppState<S>,
    token: String,
    headers: HeaderMap,
    form: ChangeForm,
    to: Option<Timestamp>,
) -> Page {
    let lang = Lang::from_code(form.lang.as_deref());
    if !csrf_ok(&headers, &form.csrf) {
        return problem(lang, StatusCode::FORBIDDEN, "err-form");
    }
    let (b, view, a) = match booking_of(&state, token.clone(), lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if until(&view, &a).is_none() {
        return html(
            StatusCode::CONFLICT,
            pages::status_page(
                &view,
                lang,
                &status_view(&view, &b, &a, &token, None),
                &form.csrf,
            ),
            None,
        );
    }
    let st = state.clone();
    let b2 = b.clone();
    let done = blocking(lang, move || apply_change(&st, &b2, to)).await;
    let (said, a) = match done {
        Ok(Ok(a)) => {
            let said = match to {
                Some(at) => say(
                    lang,
                    "said-moved",
                    &[("when", when(lang, &view.time.local(at)).into())],
                ),
                None => t(lang, "said-cancelled"),
            };
            (said, a)
        }
        Ok(Err(_)) => {
            let doctor = view.doctors.iter().find(|d| d.id == a.doctor_id).cloned();
            let Some(to) = to else {
                // A cancellation refused at the last moment (the cut-off passed meanwhile):
                // the booking as it is.
                let page = pages::status_page(
                    &view,
                    lang,
                    &status_view(&view, &b, &a, &token, None),
                    &form.csrf,
                );
                return html(StatusCode::CONFLICT, page, None);
            };
            let date = view.time.local_date(to);
            return match doctor {
                Some(d) => {
                    let held = held(&state, &b.clinic, lang).await.unwrap_or_default();
                    let slots: Vec<_> = view
                        .free_on(d.id, date, &held, Timestamp::now(), Some(&a))
                        .into_iter()
                        .filter(|s| s.as_second() != a.starts_at)
                        .collect();
                    html(
                        StatusCode::CONFLICT,
                        pages::move_page(
                            &view,
                            lang,
                            &token,
                            &d,
                            date,
                            &slots,
                            &form.csrf,
                            Some(&t(lang, "err-taken")),
                        ),
                        None,
                    )
                }
                None => problem(lang, StatusCode::CONFLICT, "err-taken"),
            };
        }
        Err(page) => return page,
    };
    html(
        StatusCode::OK,
        pages::status_page(
            &view,
            lang,
            &status_view(&view, &b, &a, &token, Some(said)),
            &form.csrf,
        ),
        None,
    )
}

/// Cancels (`to` None) or moves a portal booking as the portal's change, and queues the
/// message; the booking as it then is, or why the time could not be taken.
fn apply_change<S: Store>(
    state: &AppState<S>,
    b: &PortalBooking,
    to: Option<Timestamp>,
) -> Result<Result<Appointment, SlotRefusal>, StoreError> {
    let lock = state.portal.lock(&b.clinic);
    let _guard = lock.lock().expect("portal lock poisoned");
    let now = Timestamp::now();
    let Some(record) = state.store.clinic_by_id(&b.clinic)? else {
        return Ok(Err(SlotRefusal::Off));
    };
    let (Some(view), Some(mut a)) = (
        state.portal.views.get(&*state.store, &record, now)?,
        appointment_of(state, b)?,
    ) else {
        return Ok(Err(SlotRefusal::Off));
    };
    if until(&view, &a).is_none() {
        return Ok(Err(SlotRefusal::Off));
    }
    let mut told = b.clone();
    let kind = match to {
        None => {
            a.status = Status::Cancelled;
            a.reason = Some(format!(
                "{} / {}",
                t(Lang::Ar, "err-cancel-reason"),
                t(Lang::En, "err-cancel-reason")
            ));
            told.status_told = "cancelled".into();
            "cancelled-by-you"
        }
        Some(at) => {
            let held = state.store.held(&record.id, now.as_second())?;
            if at.as_second() == a.starts_at {
                return Ok(Err(SlotRefusal::Taken(at)));
            }
            if let Err(refusal) = view.can_take(a.doctor_id, at, a.minutes, &held, now, Some(&a)) {
                return Ok(Err(refusal));
            }
            a.moves.push(Moved {
                from_at: a.starts_at,
                from_doctor: a.doctor_id,
                at: now.as_second(),
                by: PORTAL.into(),
            });
            a.starts_at = at.as_second();
            told.starts_told = a.starts_at;
            "rescheduled"
        }
    };
    let doc_id = DocId::parse(&b.doc_id).map_err(|e| StoreError::Doc(e.to_string()))?;
    let moved = to.is_some();
    let record_now = a.clone();
    let edits: Vec<Edit<'_>> = vec![(
        doc_id,
        Box::new(move |doc| {
            appointment::put(doc, &record_now)?;
            if moved {
                appointment::restate_status(doc, &record_now)
            } else {
                Ok(())
            }
        }),
    )];
    let action = if to.is_some() {
        "portal-move"
    } else {
        "portal-cancel"
    };
    let message = appointment::portal_message(action, a.id);
    author::write(state, &b.clinic, &message, edits).map_err(stored)?;
    tracing::info!(clinic = %b.clinic, appointment = %a.id, change = kind, "portal booking changed by the patient");
    state.store.booking_told(&told)?;
    let key = match to {
        None => format!("{kind}:{}", a.id),
        Some(at) => format!("{kind}:{}:{}:{}", a.id, at.as_second(), a.doctor_id),
    };
    let text = super::relay::text(&view, kind, b, &a, &state.portal);
    super::outbox::queue(state, &b.clinic, &b.phone, kind, &key, text)?;
    Ok(Ok(a))
}

/// `?date=` of the move page.
#[derive(Debug, Deserialize)]
pub struct MoveQuery {
    date: Option<String>,
    lang: Option<String>,
}

/// `GET /b/{token}/move`: the doctor's free times of a day, to move the booking to.
pub async fn move_form<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(q): Query<MoveQuery>,
) -> Page {
    let lang = Lang::from_code(q.lang.as_deref());
    let (b, view, a) = match booking_of(&state, token.clone(), lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(doctor) = view
        .doctors
        .iter()
        .find(|d| d.id == a.doctor_id)
        .cloned()
        .filter(|_| until(&view, &a).is_some())
    else {
        return html(
            StatusCode::CONFLICT,
            pages::status_page(&view, lang, &status_view(&view, &b, &a, &token, None), ""),
            None,
        );
    };
    let held = match held(&state, &b.clinic, lang).await {
        Ok(h) => h,
        Err(page) => return page,
    };
    let date = q
        .date
        .as_deref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or_else(|| {
            view.time
                .local_date(Timestamp::from_second(a.starts_at).unwrap_or_default())
        })
        .clamp(view.today, view.last_day());
    let slots: Vec<_> = view
        .free_on(doctor.id, date, &held, Timestamp::now(), Some(&a))
        .into_iter()
        .filter(|s| s.as_second() != a.starts_at)
        .collect();
    let (csrf_token, cookie) = csrf(&headers, secure(&state));
    html(
        StatusCode::OK,
        pages::move_page(
            &view,
            lang,
            &token,
            &doctor,
            date,
            &slots,
            &csrf_token,
            None,
        ),
        cookie,
    )
}

/// `GET /b/{token}/calendar.ics`: the visit as a calendar event.
pub async fn calendar<S: Store>(
    State(state): State<AppState<S>>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = Lang::from_code(q.lang.as_deref());
    let (_, view, a) = match booking_of(&state, token, lang).await {
        Ok(found) => found,
        Err(page) => return page.into_response(),
    };
    let stamp = |s: i64| {
        Timestamp::from_second(s)
            .unwrap_or_default()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    let doctor = view
        .doctors
        .iter()
        .find(|d| d.id == a.doctor_id)
        .map_or(String::new(), |d| d.name.clone());
    // RFC 5545 text: backslash, semicolon and comma escaped; no line breaks from a clinic's
    // fields.
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace(';', "\\;")
            .replace(',', "\\,")
            .replace(['\r', '\n'], " ")
    };
    let body = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Ayada//Portal//EN\r\nBEGIN:VEVENT\r\nUID:{}@ayada\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{}\r\nLOCATION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        a.id,
        stamp(Timestamp::now().as_second()),
        stamp(a.starts_at),
        stamp(a.ends_at()),
        esc(&format!("{} — {doctor}", view.settings.name)),
        esc(&view.settings.address),
    );
    let mut response = (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"visit.ics\""),
    );
    secure_headers(response, &STYLE_HASH)
}
