//! The code a patient typed, checked against its keyed hash (bound to its request, a few
//! tries, a few minutes), then the request the server authors into the clinic's documents
//! (a patient file, a booking `requested` from `portal`) and the status link.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Form;
use ayada_model::appointment::{self, Appointment, Status, PORTAL};
use ayada_model::docs::{put_record, DocId};
use ayada_model::ids::{AppointmentId, PatientId, StaffId, VisitTypeId};
use ayada_model::patient::{Patient, TEXT_FIELDS};
use ayada_model::phones::Phone;
use ayada_model::text::ascii_digits;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::author::{self, Edit};
use super::guard::{csrf, keyed_hash, matches, new_code, status_token};
use super::pages::{self};
use super::view::ClinicView;
use super::words::{say, t, Lang};
use crate::store::{ClinicRecord, PortalBooking, PortalRequest, Store, StoreError};
use crate::AppState;

use super::respond::{
    blocking, clinic, html, posted, problem, secure, see_other, stored, LangQuery, Page,
};
/// A verifying request of this clinic, or the page saying the link is not valid.
async fn request_of<S: Store>(
    state: &AppState<S>,
    record: &ClinicRecord,
    id: String,
    lang: Lang,
) -> Result<PortalRequest, Page> {
    if id.len() != 43 {
        return Err(problem(lang, StatusCode::NOT_FOUND, "err-gone"));
    }
    let st = state.clone();
    let found = blocking(lang, move || st.store.request(&id)).await?;
    match found {
        Some(r) if r.clinic == record.id && r.state == "verifying" => Ok(r),
        _ => Err(problem(lang, StatusCode::NOT_FOUND, "err-gone")),
    }
}

/// A form posted about a verifying request: its CSRF token checked, then the clinic and the
/// request.
async fn verifying<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    form: &CodeForm,
    slug: String,
    id: String,
    lang: Lang,
) -> Result<(ClinicRecord, Arc<ClinicView>, PortalRequest), Page> {
    let (record, view) = posted(state, headers, &form.csrf, slug, lang).await?;
    let request = request_of(state, &record, id, lang).await?;
    Ok((record, view, request))
}

/// `GET /c/{slug}/verify/{request}`.
pub async fn verify_form<S: Store>(
    State(state): State<AppState<S>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Page {
    let lang = Lang::from_code(q.lang.as_deref());
    let (record, view) = match clinic(&state, slug, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let request = match request_of(&state, &record, id, lang).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let (token, cookie) = csrf(&headers, secure(&state));
    let last = &request.phone[request.phone.len().saturating_sub(3)..];
    html(
        StatusCode::OK,
        pages::verify_form(&view, lang, &request.id, last, &token, None),
        cookie,
    )
}

/// The code form as posted.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    code: String,
}

/// `POST /c/{slug}/verify/{request}`: the code, then the request written into the clinic's
/// documents and the status link.
pub async fn verify<S: Store>(
    State(state): State<AppState<S>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Page {
    let lang = Lang::from_code(form.lang.as_deref());
    let (record, view, request) = match verifying(&state, &headers, &form, slug, id, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let last = request.phone[request.phone.len().saturating_sub(3)..].to_string();
    let again = |status: StatusCode, text: String| {
        html(
            status,
            pages::verify_form(&view, lang, &request.id, &last, &form.csrf, Some(&text)),
            None,
        )
    };
    let config = &state.portal.config;
    if request.attempts >= config.max_attempts {
        return again(StatusCode::TOO_MANY_REQUESTS, t(lang, "err-locked"));
    }
    if request.expires_at <= crate::store::unix_now() {
        return again(StatusCode::GONE, t(lang, "err-expired"));
    }
    let code = ascii_digits(form.code.trim());
    if !matches(&state.portal.key, &[&request.id, &code], &request.code_hash) {
        let (st, rid, max) = (state.clone(), request.id.clone(), config.max_attempts);
        let st_clinic = record.id.clone();
        let attempts = match blocking(lang, move || {
            let n = st.store.wrong_code(&rid)?;
            if n >= max {
                st.store.end_request(&rid, "refused")?;
                st.portal.views.held_changed(&st_clinic);
            }
            Ok(n)
        })
        .await
        {
            Ok(n) => n,
            Err(page) => return page,
        };
        tracing::warn!(clinic = %record.id, attempts, "wrong portal code");
        if attempts >= config.max_attempts {
            return again(StatusCode::TOO_MANY_REQUESTS, t(lang, "err-locked"));
        }
        let left = i64::from(config.max_attempts - attempts);
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            say(lang, "err-code", &[("left", left.into())]),
        );
    }
    let appointment = AppointmentId::new();
    let token = status_token(&state.portal.key, &appointment.to_string());
    let st = state.clone();
    let rid = request.id.clone();
    let r = request.clone();
    let made = blocking(lang, move || make_booking(&st, &record, &r, appointment)).await;
    match made {
        Ok(Some(())) => see_other(&format!("/b/{token}?lang={}", lang.code())),
        Ok(None) => {
            tracing::info!(request = %rid, "portal request lost its slot before it was verified");
            again(StatusCode::CONFLICT, t(lang, "err-taken"))
        }
        Err(page) => page,
    }
}

/// Writes a verified request into the clinic's documents (a patient file and a booking with
/// status `requested`, source `portal`), under the clinic's portal lock and after checking
/// the slot once more against the documents; None if it was taken meanwhile.
fn make_booking<S: Store>(
    state: &AppState<S>,
    record: &ClinicRecord,
    r: &PortalRequest,
    appointment: AppointmentId,
) -> Result<Option<()>, StoreError> {
    let lock = state.portal.lock(&record.id);
    let _guard = lock.lock().expect("portal lock poisoned");
    let now = Timestamp::now();
    let Some(view) = state.portal.views.get(&*state.store, record, now)? else {
        return Ok(None);
    };
    let mut held = state.store.held(&record.id, now.as_second())?;
    held.retain(|(d, a, _)| !(*d == r.doctor && *a == r.starts_at));
    let (Ok(doctor), Ok(at)) = (
        r.doctor.parse::<StaffId>(),
        Timestamp::from_second(r.starts_at),
    ) else {
        return Ok(None);
    };
    let taken = view.can_take(
        doctor,
        at,
        r.minutes,
        &held,
        now - SignedDuration::from_mins(super::view::LEAD_MINUTES),
        None,
    );
    let ended = state
        .store
        .end_request(&r.id, if taken.is_ok() { "booked" } else { "refused" })?;
    state.portal.views.held_changed(&record.id);
    if !ended || taken.is_err() {
        return Ok(None);
    }
    let visit_type = r
        .visit_type
        .parse::<VisitTypeId>()
        .ok()
        .and_then(|id| view.visit_type(id))
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let patient = Patient {
        id: PatientId::new(),
        name: r.name.clone(),
        phone: Phone::parse(&r.phone).map_err(|e| StoreError::Doc(e.to_string()))?,
        gender: r.gender.as_deref().and_then(|g| g.parse().ok()),
        dob: r.dob.clone(),
        medical_history: String::new(),
        allergies: String::new(),
        created_at: now.as_second(),
        created_by: StaffId::PORTAL,
    };
    let booking = Appointment {
        id: appointment,
        patient_id: patient.id,
        doctor_id: doctor,
        starts_at: r.starts_at,
        minutes: r.minutes,
        visit_type,
        status: Status::Requested,
        reason: None,
        source: PORTAL.into(),
        created_at: now.as_second(),
        created_by: PORTAL.into(),
        arrived_at: None,
        moves: Vec::new(),
        follow_up_of: None,
    };
    let doc_id = booking.doc_id(&view.time);
    let edits: Vec<Edit<'_>> = vec![
        (
            DocId::patient(patient.id),
            Box::new(|doc| {
                put_record(
                    doc,
                    &automerge::ROOT,
                    &patient.id.to_string(),
                    &patient,
                    TEXT_FIELDS,
                )
            }),
        ),
        (
            doc_id.clone(),
            Box::new(|doc| appointment::put(doc, &booking)),
        ),
    ];
    let message = appointment::portal_message("portal-request", booking.id);
    author::write(state, &record.id, &message, edits).map_err(stored)?;
    tracing::info!(clinic = %record.id, appointment = %booking.id, "portal request made");
    let made = PortalBooking {
        token_hash: keyed_hash(
            &state.portal.key,
            &[
                "status",
                &status_token(&state.portal.key, &booking.id.to_string()),
            ],
        ),
        clinic: record.id.clone(),
        appointment_id: booking.id.to_string(),
        doc_id: doc_id.to_string(),
        phone: r.phone.clone(),
        name: r.name.clone(),
        lang: r.lang.clone(),
        status_told: "requested".into(),
        starts_told: r.starts_at,
        doctor_told: r.doctor.clone(),
        reminded: String::new(),
        review_sent: false,
    };
    state.store.add_booking(&made)?;
    // The first message: the request received, with its status link.
    let text = super::relay::text(&view, "requested", &made, &booking, &state.portal);
    let key = format!("requested:{}", booking.id);
    super::outbox::queue(state, &record.id, &made.phone, "requested", &key, text)?;
    Ok(Some(()))
}

/// `POST /c/{slug}/resend/{request}`: a new code, after a cooldown, a few times at most.
pub async fn resend<S: Store>(
    State(state): State<AppState<S>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Page {
    let lang = Lang::from_code(form.lang.as_deref());
    let (_record, view, request) = match verifying(&state, &headers, &form, slug, id, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let config = &state.portal.config;
    let now = crate::store::unix_now();
    let last = request.phone[request.phone.len().saturating_sub(3)..].to_string();
    let refuse = |id: &str| {
        html(
            StatusCode::TOO_MANY_REQUESTS,
            pages::verify_form(
                &view,
                lang,
                &request.id,
                &last,
                &form.csrf,
                Some(&t(lang, id)),
            ),
            None,
        )
    };
    if request.sends >= config.max_sends || request.attempts >= config.max_attempts {
        return refuse("err-too-many");
    }
    if now - request.last_sent_at < config.resend_after.as_secs() as i64 {
        return refuse("err-wait");
    }
    let code = new_code();
    let text = say(
        lang,
        "msg-code",
        &[
            ("clinic", view.settings.name.clone().into()),
            ("code", code.clone().into()),
        ],
    );
    let (st, ttl) = (state.clone(), config.code_ttl.as_secs() as i64);
    let r = request.clone();
    let done = blocking(lang, move || {
        st.store.code_resent(
            &r.id,
            &keyed_hash(&st.portal.key, &[&r.id, &code]),
            now + ttl,
        )?;
        super::outbox::queue(
            &st,
            &r.clinic,
            &r.phone,
            "code",
            &format!("code:{}:{}", r.id, r.sends + 1),
            text,
        )
    })
    .await;
    match done {
        Ok(_) => see_other(&format!(
            "/c/{}/verify/{}?lang={}",
            view.record.slug,
            request.id,
            lang.code()
        )),
        Err(page) => page,
    }
}
