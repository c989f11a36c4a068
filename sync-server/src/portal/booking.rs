//! A patient's booking, page by page: the clinic's page with its free times, a time's form,
//! and the checks before a code is sent (the form's CSRF token, what was typed, the limits
//! per phone, address and clinic, the number on WhatsApp, the slot against the documents).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Form;
use ayada_model::ids::{StaffId, VisitTypeId};
use ayada_model::patient::Gender;
use ayada_model::phones::Phone;
use ayada_model::text::ascii_digits;
use ayada_model::time::parse_date;
use jiff::Timestamp;
use serde::Deserialize;

use super::guard::{csrf, keyed_hash, new_code, new_token};
use super::pages::{self, Typed};
use super::words::{say, t, Lang};
use crate::logins::ClientAddr;
use crate::store::{PortalRequest, Store};
use crate::AppState;

use super::respond::{
    blocking, clinic, held, html, posted, problem, secure, see_other, LangQuery, Page,
};
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
        if let Some(ended) = super::respond::closed(&st, &record.id)? {
            return Ok(Some(Err(ended)));
        }
        let Some(view) = views.get(&*st.store, &record, now)? else {
            return Ok(None);
        };
        let held = views.held(&*st.store, &record.id, now)?;
        Ok(Some(Ok(views.page(&view, lang, &held, now, || {
            let next: Vec<_> = view
                .doctors
                .iter()
                .map(|d| (d.clone(), view.next_free(d.id, &held, now, 6)))
                .collect();
            pages::clinic_page(&view, lang, &next).into_string()
        }))))
    })
    .await;
    match body {
        Ok(Some(Err(ended))) => super::respond::closed_page(lang, ended),
        Ok(Some(Ok(body))) => html(
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
    let (record, view) = match posted(&state, &headers, &form.csrf, slug, lang).await {
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
        st.portal.views.held_changed(&request.clinic);
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
