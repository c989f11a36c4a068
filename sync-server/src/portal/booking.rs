//! A patient's booking, page by page: the clinic's page with its free times, a time's form,
//! the code by WhatsApp, the request the server then authors into the clinic's documents,
//! and the status link (cancel, move, calendar file). Every step re-checks what it is told:
//! the slot against the documents, the code against its hash, the form against its CSRF
//! token, the counts against their limits.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ayada_model::appointment::{self, Appointment, Moved, Status, PORTAL};
use ayada_model::docs::{put_record, DocId};
use ayada_model::ids::{AppointmentId, PatientId, StaffId, VisitTypeId};
use ayada_model::patient::{Gender, Patient, TEXT_FIELDS};
use ayada_model::phones::Phone;
use ayada_model::schedule::SlotRefusal;
use ayada_model::text::ascii_digits;
use ayada_model::time::parse_date;
use jiff::{SignedDuration, Timestamp};
use maud::Markup;
use serde::Deserialize;

use super::author::{self, AuthorError, Edit};
use super::guard::{csrf, csrf_ok, keyed_hash, matches, new_code, new_token, secure_headers};
use super::pages::{self, StatusView, Typed, STYLE_HASH};
use super::relay::appointment_of;
use super::view::ClinicView;
use super::words::{say, t, Lang};
use crate::logins::ClientAddr;
use crate::store::{ClinicRecord, PortalBooking, PortalRequest, Store, StoreError};
use crate::AppState;

/// The portal's answer: a page with its headers, or a redirect.
pub struct Page(Response);

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        self.0
    }
}

fn html(status: StatusCode, markup: Markup, cookie: Option<HeaderValue>) -> Page {
    let mut response = (status, markup).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Page(secure_headers(response, &STYLE_HASH))
}

fn see_other(to: &str) -> Page {
    Page(secure_headers(
        Redirect::to(to).into_response(),
        &STYLE_HASH,
    ))
}

fn problem(lang: Lang, status: StatusCode, id: &str) -> Page {
    html(
        status,
        pages::notice(lang, &t(lang, "book-online"), &t(lang, id)),
        None,
    )
}

/// Runs store work off the async threads; a failure is a page saying to call the clinic.
async fn blocking<T: Send + 'static>(
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

/// The clinic of a slug with its view; a page saying the link is not valid otherwise.
async fn clinic<S: Store>(
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
        Ok(st
            .portal
            .views
            .get(&*st.store, &record, Timestamp::now())?
            .map(|v| (record, v)))
    })
    .await?;
    found.ok_or_else(|| problem(lang, StatusCode::NOT_FOUND, "err-gone"))
}

async fn held<S: Store>(
    state: &AppState<S>,
    clinic: &str,
    lang: Lang,
) -> Result<Vec<(String, i64, i64)>, Page> {
    let st = state.clone();
    let clinic = clinic.to_string();
    blocking(lang, move || {
        st.store.held(&clinic, crate::store::unix_now())
    })
    .await
}

/// `?lang=` on every page.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// `GET /c/{slug}`: the clinic, its prices, and each doctor's next free times.
pub async fn clinic_page<S: Store>(
    State(state): State<AppState<S>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
) -> Page {
    let lang = Lang::from_code(q.lang.as_deref());
    if slug.len() > 64 {
        return problem(lang, StatusCode::NOT_FOUND, "err-gone");
    }
    let st = state.clone();
    let body = blocking(lang, move || {
        let now = Timestamp::now();
        let views = &st.portal.views;
        let Some(record) = views.record(&*st.store, &slug)? else {
            return Ok(None);
        };
        let Some(view) = views.get(&*st.store, &record, now)? else {
            return Ok(None);
        };
        let held = st.store.held(&record.id, now.as_second())?;
        Ok(Some(views.page(&view, lang, &held, now, || {
            let next: Vec<_> = view
                .doctors
                .iter()
                .map(|d| (d.clone(), view.next_free(d.id, &held, now, 6)))
                .collect();
            pages::clinic_page(&view, lang, &next).into_string()
        })))
    })
    .await;
    match body {
        Ok(Some(body)) => html(
            StatusCode::OK,
            maud::PreEscaped(body.as_str().to_string()),
            None,
        ),
        Ok(None) => problem(lang, StatusCode::NOT_FOUND, "err-gone"),
        Err(page) => page,
    }
}

/// `GET /c/{slug}/book?doctor=…&(at=…|date=…)`.
#[derive(Debug, Deserialize)]
pub struct BookQuery {
    doctor: String,
    at: Option<i64>,
    date: Option<String>,
    lang: Option<String>,
}

/// `GET /c/{slug}/book`: a doctor's free times of a day, or the form for one of them.
pub async fn book_form<S: Store>(
    State(state): State<AppState<S>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(q): Query<BookQuery>,
) -> Page {
    let lang = Lang::from_code(q.lang.as_deref());
    let (record, view) = match clinic(&state, slug, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(doctor) = q
        .doctor
        .parse::<StaffId>()
        .ok()
        .and_then(|id| view.doctor(id))
        .filter(|_| view.open())
    else {
        return problem(lang, StatusCode::NOT_FOUND, "paused");
    };
    let held = match held(&state, &record.id, lang).await {
        Ok(h) => h,
        Err(page) => return page,
    };
    let now = Timestamp::now();
    let target = format!("/c/{}/book?", view.record.slug);
    if let Some(at) = q.at.and_then(|s| Timestamp::from_second(s).ok()) {
        let date = view.time.local_date(at);
        if view
            .free_on(doctor.id, date, &held, now, None)
            .contains(&at)
        {
            let (token, cookie) = csrf(&headers, secure(&state));
            let markup = pages::book_form(
                &view,
                lang,
                doctor,
                at,
                &token,
                &Typed::default(),
                None,
                &view.visit_types,
            );
            return html(StatusCode::OK, markup, cookie);
        }
        let slots = view.free_on(doctor.id, date, &held, now, None);
        return html(
            StatusCode::CONFLICT,
            pages::day_page(&view, lang, doctor, date, &slots, &target),
            None,
        );
    }
    let date = q
        .date
        .as_deref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or(view.today)
        .clamp(view.today, view.last_day());
    let slots = view.free_on(doctor.id, date, &held, now, None);
    html(
        StatusCode::OK,
        pages::day_page(&view, lang, doctor, date, &slots, &target),
        None,
    )
}

fn secure<S>(state: &AppState<S>) -> bool {
    state.portal.config.public_url.starts_with("https://")
}

/// The booking form as posted.
#[derive(Debug, Deserialize)]
pub struct BookForm {
    csrf: String,
    lang: Option<String>,
    doctor: String,
    at: i64,
    #[serde(flatten)]
    typed: Typed,
}

/// What a patient typed, checked; the message id of the first thing wrong otherwise.
struct Checked {
    name: String,
    phone: Phone,
    gender: Gender,
    dob: String,
}

fn check_typed(typed: &Typed, today: jiff::civil::Date) -> Result<Checked, &'static str> {
    let name: String = typed.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let letters = name.chars().count();
    if !(2..=80).contains(&letters) || name.chars().any(char::is_control) {
        return Err("err-name");
    }
    let phone = Phone::parse(&typed.phone).map_err(|_| "err-phone")?;
    // WhatsApp reaches mobiles; an Egyptian landline (+20 2…, +20 3…) cannot get a code.
    let digits = phone.as_str().trim_start_matches('+');
    if digits.starts_with("20") && !digits.starts_with("201") {
        return Err("err-phone");
    }
    let gender = typed.gender.parse::<Gender>().map_err(|_| "err-gender")?;
    let dob = parse_date(&ascii_digits(&typed.dob)).map_err(|_| "err-dob")?;
    if dob >= today || dob.year() < 1900 {
        return Err("err-dob");
    }
    Ok(Checked {
        name,
        phone,
        gender,
        dob: dob.to_string(),
    })
}

/// `POST /c/{slug}/book`: checks everything, holds the slot, sends the code.
pub async fn book<S: Store>(
    State(state): State<AppState<S>>,
    Path(slug): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<BookForm>,
) -> Page {
    let lang = Lang::from_code(form.lang.as_deref());
    if !csrf_ok(&headers, &form.csrf) {
        return problem(lang, StatusCode::FORBIDDEN, "err-form");
    }
    let (record, view) = match clinic(&state, slug, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let (Some(doctor), Ok(at)) = (
        form.doctor
            .parse::<StaffId>()
            .ok()
            .and_then(|id| view.doctor(id))
            .filter(|_| view.open()),
        Timestamp::from_second(form.at),
    ) else {
        return problem(lang, StatusCode::BAD_REQUEST, "err-slot");
    };
    let again = |status: StatusCode, id: &str| {
        let markup = pages::book_form(
            &view,
            lang,
            doctor,
            at,
            &form.csrf,
            &form.typed,
            Some(&t(lang, id)),
            &view.visit_types,
        );
        html(status, markup, None)
    };
    let Some(visit_type) = form
        .typed
        .visit_type
        .parse::<VisitTypeId>()
        .ok()
        .and_then(|id| view.visit_type(id))
    else {
        return again(StatusCode::BAD_REQUEST, "err-slot");
    };
    let checked = match check_typed(&form.typed, view.today) {
        Ok(c) => c,
        Err(id) => return again(StatusCode::UNPROCESSABLE_ENTITY, id),
    };
    let config = &state.portal.config;
    let st = state.clone();
    let clinic_id = record.id.clone();
    let waha = match blocking(lang, move || st.portal.waha_for(&*st.store, &clinic_id)).await {
        Ok(Some(waha)) => waha,
        Ok(None) => return again(StatusCode::SERVICE_UNAVAILABLE, "err-messages"),
        Err(page) => return page,
    };
    let now = crate::store::unix_now();
    let (st, clinic_id, phone, address) = (
        state.clone(),
        record.id.clone(),
        checked.phone.to_string(),
        addr.to_string(),
    );
    let limits = blocking(lang, move || {
        let c = &st.portal.config;
        let open = st
            .store
            .bookings_of(&clinic_id)?
            .iter()
            .filter(|b| b.phone == phone && b.status_told == "requested")
            .count() as u32;
        Ok(
            if st.store.requests_by_address(&address, now - 3600)? >= c.per_address_per_hour
                || st
                    .store
                    .requests_by_phone(&clinic_id, &phone, now - 86_400)?
                    >= c.per_phone_per_day
                || st.store.requests_at(&clinic_id, now - 3600)? >= c.per_clinic_per_hour
            {
                Some("err-too-many")
            } else if open >= c.open_per_phone {
                Some("err-open")
            } else {
                None
            },
        )
    })
    .await;
    match limits {
        Ok(None) => {}
        Ok(Some(id)) => {
            tracing::warn!(clinic = %record.id, address = %addr, "portal request over a limit: refused");
            return again(StatusCode::TOO_MANY_REQUESTS, id);
        }
        Err(page) => return page,
    }
    let number = checked.phone.to_string();
    if super::waha::number_exists(&state.portal.http, &waha, &number).await == Some(false) {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "err-not-whatsapp");
    }
    let held = match held(&state, &record.id, lang).await {
        Ok(h) => h,
        Err(page) => return page,
    };
    if view
        .can_take(
            doctor.id,
            at,
            visit_type.minutes,
            &held,
            Timestamp::now(),
            None,
        )
        .is_err()
    {
        return again(StatusCode::CONFLICT, "err-taken");
    }
    let (id, code) = (new_token(), new_code());
    let request = PortalRequest {
        code_hash: keyed_hash(&state.portal.key, &[&id, &code]),
        id: id.clone(),
        clinic: record.id.clone(),
        doctor: doctor.id.to_string(),
        visit_type: visit_type.id.to_string(),
        starts_at: at.as_second(),
        minutes: visit_type.minutes,
        name: checked.name,
        phone: checked.phone.to_string(),
        gender: Some(match checked.gender {
            Gender::Female => "female".into(),
            Gender::Male => "male".into(),
        }),
        dob: Some(checked.dob),
        lang: lang.code().into(),
        attempts: 0,
        sends: 1,
        created_at: now,
        expires_at: now + config.code_ttl.as_secs() as i64,
        last_sent_at: now,
        address: addr.to_string(),
        state: "verifying".into(),
    };
    let text = say(
        lang,
        "msg-code",
        &[
            ("clinic", view.settings.name.clone().into()),
            ("code", code.into()),
        ],
    );
    let st = state.clone();
    let held_now = blocking(lang, move || {
        if !st.store.add_request(&request)? {
            return Ok(false);
        }
        super::outbox::queue(
            &st,
            &request.clinic,
            &request.phone,
            "code",
            &format!("code:{}:1", request.id),
            text,
        )?;
        Ok(true)
    })
    .await;
    match held_now {
        Ok(true) => see_other(&format!(
            "/c/{}/verify/{id}?lang={}",
            view.record.slug,
            lang.code()
        )),
        Ok(false) => again(StatusCode::CONFLICT, "err-taken"),
        Err(page) => page,
    }
}

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
    if !csrf_ok(&headers, &form.csrf) {
        return problem(lang, StatusCode::FORBIDDEN, "err-form");
    }
    let (record, view) = match clinic(&state, slug, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let request = match request_of(&state, &record, id, lang).await {
        Ok(r) => r,
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
        let attempts = match blocking(lang, move || {
            let n = st.store.wrong_code(&rid)?;
            if n >= max {
                st.store.end_request(&rid, "refused")?;
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
    let token = new_token();
    let st = state.clone();
    let (rid, token_hash) = (
        request.id.clone(),
        keyed_hash(&state.portal.key, &["status", &token]),
    );
    let r = request.clone();
    let made = blocking(lang, move || make_booking(&st, &record, &r, &token_hash)).await;
    match made {
        Ok(Some(booking)) => {
            // The first message carries the status link: its token is known only now.
            let st = state.clone();
            let token2 = token.clone();
            let _ = blocking(lang, move || {
                if let (Some(view), Some(a)) = (
                    st.portal.views.get(
                        &*st.store,
                        &st.store
                            .clinic_by_id(&booking.clinic)?
                            .ok_or(StoreError::Doc("gone".into()))?,
                        Timestamp::now(),
                    )?,
                    appointment_of(&st, &booking)?,
                ) {
                    let text = super::relay::text(
                        &view,
                        "requested",
                        &booking,
                        &a,
                        &st.portal.config.public_url,
                        Some(&token2),
                    );
                    super::outbox::queue(
                        &st,
                        &booking.clinic,
                        &booking.phone,
                        "requested",
                        &format!("requested:{}", booking.appointment_id),
                        text,
                    )?;
                }
                Ok(())
            })
            .await;
            see_other(&format!("/b/{token}?lang={}", lang.code()))
        }
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
    token_hash: &str,
) -> Result<Option<PortalBooking>, StoreError> {
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
    if !state
        .store
        .end_request(&r.id, if taken.is_ok() { "booked" } else { "refused" })?
        || taken.is_err()
    {
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
        id: AppointmentId::new(),
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
    author::write(state, &record.id, edits).map_err(stored)?;
    tracing::info!(clinic = %record.id, appointment = %booking.id, "portal request made");
    let made = PortalBooking {
        token_hash: token_hash.to_string(),
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
    Ok(Some(made))
}

fn stored(e: AuthorError) -> StoreError {
    match e {
        AuthorError::Store(e) => e,
        other => StoreError::Doc(other.to_string()),
    }
}

/// `POST /c/{slug}/resend/{request}`: a new code, after a cooldown, a few times at most.
pub async fn resend<S: Store>(
    State(state): State<AppState<S>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Page {
    let lang = Lang::from_code(form.lang.as_deref());
    if !csrf_ok(&headers, &form.csrf) {
        return problem(lang, StatusCode::FORBIDDEN, "err-form");
    }
    let (record, view) = match clinic(&state, slug, lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let request = match request_of(&state, &record, id, lang).await {
        Ok(r) => r,
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
        Ok(Ok(a)) => (
            t(
                lang,
                if to.is_some() {
                    "status-booked"
                } else {
                    "status-cancelled"
                },
            ),
            a,
        ),
        Ok(Err(_)) => {
            let doctor = view.doctors.iter().find(|d| d.id == a.doctor_id).cloned();
            let date = view.time.local_date(to.unwrap_or_default());
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
    author::write(state, &b.clinic, edits).map_err(stored)?;
    tracing::info!(clinic = %b.clinic, appointment = %a.id, change = kind, "portal booking changed by the patient");
    state.store.booking_told(&told)?;
    let key = match to {
        None => format!("{kind}:{}", a.id),
        Some(at) => format!("{kind}:{}:{}:{}", a.id, at.as_second(), a.doctor_id),
    };
    let text = super::relay::text(&view, kind, b, &a, &state.portal.config.public_url, None);
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
