//! The operator's billing work: tiers by staff count, payments recorded by hand, and a
//! clinic's page with its standing (active, grace, suspended, and why), its payments, and the
//! hold that suspends it by hand. Every change is an admin act in the audit log.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use ayada_model::money::{format_fixed, parse_fixed};
use serde::Deserialize;

use super::console::{clinic_row, ClinicRow, HomeQuery};
use super::pages;
use super::respond::{acting, page, see_other, viewing};
use crate::logins::ClientAddr;
use crate::portal::words::Lang;
use crate::store::{ClinicRecord, Payment, Store, StoreError, Tier};
use crate::AppState;

/// The ways a clinic pays by hand in Egypt.
pub const METHODS: [&str; 4] = ["cash", "bank-transfer", "instapay", "wallet"];

/// The tier whose range holds `staff` active staff, if any.
pub fn tier_for(tiers: &[Tier], staff: i64) -> Option<&Tier> {
    tiers
        .iter()
        .find(|t| staff >= t.min_staff && t.max_staff.is_none_or(|max| staff <= max))
}

/// Piastres as the console shows them: "1,500.00 EGP" without the grouping.
pub fn egp(piastres: i64) -> String {
    format!("{} EGP", format_fixed(piastres, 2))
}

/// What the clinic's page shows.
pub struct ClinicPage {
    /// The clinic's row of the list.
    pub row: ClinicRow,
    /// Its record.
    pub record: ClinicRecord,
    /// The tier its active staff falls in now.
    pub tier_now: Option<Tier>,
    /// The tier its latest payment paid for, if another: it outgrew it.
    pub outgrew: Option<String>,
    /// Its payments, latest first.
    pub payments: Vec<Payment>,
    /// Whether its owner's server account has two-step sign-in on.
    pub owner_totp: bool,
}

pub(super) fn clinic_page<S: Store>(
    state: &AppState<S>,
    id: &str,
) -> Result<Option<ClinicPage>, StoreError> {
    let store = &*state.store;
    let Some(record) = store.clinic_by_id(id)? else {
        return Ok(None);
    };
    let Some(row) = clinic_row(store, record.clone(), state.admin.billing)? else {
        return Ok(None);
    };
    let tiers = store.tiers()?;
    let tier_now = tier_for(&tiers, row.staff as i64).cloned();
    let payments = store.payments(id)?;
    let outgrew = match (&tier_now, payments.first()) {
        (Some(now), Some(last)) if last.tier != now.name => Some(last.tier.clone()),
        _ => None,
    };
    let owner_totp = store.owner_totp(id)?.is_some_and(|(_, on)| on);
    Ok(Some(ClinicPage {
        row,
        record,
        tier_now,
        outgrew,
        payments,
        owner_totp,
    }))
}

/// `GET /admin/clinics/{id}`.
pub async fn clinic<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    Query(q): Query<HomeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    viewing(&state, headers, lang, move |st, s| {
        Ok(match clinic_page(st, &id)? {
            Some(p) => page(StatusCode::OK, pages::clinic(lang, &s, &p, None), None),
            None => no_such_clinic(lang),
        })
    })
    .await
}

pub(super) fn no_such_clinic(lang: Lang) -> Response {
    page(
        StatusCode::NOT_FOUND,
        pages::notice(lang, "admin-no-such-clinic"),
        None,
    )
}

/// Where a clinic's page is.
pub(super) fn back_to(id: &str, lang: Lang) -> Response {
    see_other(&format!("/admin/clinics/{id}?lang={}", lang.code()), None)
}

/// The payment form.
#[derive(Debug, Deserialize)]
pub struct PaymentForm {
    csrf: String,
    lang: Option<String>,
    amount: String,
    paid_on: String,
    method: String,
    #[serde(default)]
    reference: String,
    period_from: String,
    period_to: String,
}

/// Checks a payment as typed; the id of the sentence that says what is wrong.
fn payment_of(
    form: &PaymentForm,
    clinic: &str,
    tier: &str,
    by: &str,
) -> Result<Payment, &'static str> {
    let amount = parse_fixed(form.amount.trim(), 2)
        .filter(|a| *a > 0)
        .ok_or("admin-bad-amount")?;
    let day = |text: &str| {
        text.trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| "admin-bad-date")
    };
    let (paid_on, from, to) = (
        day(&form.paid_on)?,
        day(&form.period_from)?,
        day(&form.period_to)?,
    );
    if to < from {
        return Err("admin-bad-period");
    }
    if !METHODS.contains(&form.method.as_str()) {
        return Err("admin-bad-method");
    }
    if form.reference.chars().count() > 100 {
        return Err("admin-bad-reference");
    }
    Ok(Payment {
        id: 0,
        clinic: clinic.to_string(),
        amount_piastres: amount,
        paid_on: paid_on.to_string(),
        method: form.method.clone(),
        reference: form.reference.trim().to_string(),
        period_from: from.to_string(),
        period_to: to.to_string(),
        tier: tier.to_string(),
        recorded_by: by.to_string(),
    })
}

/// `POST /admin/clinics/{id}/payments`.
pub async fn add_payment<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PaymentForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    let csrf = form.csrf.clone();
    acting(&state, headers, csrf, lang, move |st, s| {
        let Some(p) = clinic_page(st, &id)? else {
            return Ok(no_such_clinic(lang));
        };
        let tier = p
            .tier_now
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let payment = match payment_of(&form, &id, &tier, &s.email) {
            Ok(payment) => payment,
            Err(why) => {
                let again = pages::clinic(lang, &s, &p, Some(why));
                return Ok(page(StatusCode::BAD_REQUEST, again, None));
            }
        };
        st.store.add_payment(&payment)?;
        let what = format!(
            "{id} {} {} → {}",
            egp(payment.amount_piastres),
            payment.period_from,
            payment.period_to
        );
        st.store
            .append_admin_audit(&s.email, "payment-recorded", &what, &addr.to_string())?;
        st.standings.forget(&id);
        Ok(back_to(&id, lang))
    })
    .await
}

/// The hold form (suspend with a note) and the resume form.
#[derive(Debug, Deserialize)]
pub struct HoldForm {
    csrf: String,
    lang: Option<String>,
    #[serde(default)]
    note: String,
}

async fn set_hold<S: Store>(
    state: AppState<S>,
    id: String,
    addr: ClientAddr,
    headers: HeaderMap,
    form: HoldForm,
    hold: bool,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    acting(&state, headers, form.csrf.clone(), lang, move |st, s| {
        let Some(p) = clinic_page(st, &id)? else {
            return Ok(no_such_clinic(lang));
        };
        let note = form.note.trim();
        if hold && (note.is_empty() || note.chars().count() > 200) {
            let again = pages::clinic(lang, &s, &p, Some("admin-bad-note"));
            return Ok(page(StatusCode::BAD_REQUEST, again, None));
        }
        st.store.hold_clinic(&id, hold.then_some(note))?;
        let (action, subject) = if hold {
            ("clinic-suspended", format!("{id} {note}"))
        } else {
            ("clinic-resumed", id.clone())
        };
        st.store
            .append_admin_audit(&s.email, action, &subject, &addr.to_string())?;
        st.standings.forget(&id);
        Ok(back_to(&id, lang))
    })
    .await
}

/// `POST /admin/clinics/{id}/hold`: suspends the clinic by hand, with a note.
pub async fn hold<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<HoldForm>,
) -> Response {
    set_hold(state, id, addr, headers, form, true).await
}

/// `POST /admin/clinics/{id}/resume`: lifts the hand suspension.
pub async fn resume<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<HoldForm>,
) -> Response {
    set_hold(state, id, addr, headers, form, false).await
}

/// `GET /admin/tiers`.
pub async fn tiers<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<HomeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    viewing(&state, headers, lang, move |st, s| {
        let tiers = st.store.tiers()?;
        Ok(page(
            StatusCode::OK,
            pages::tiers(lang, &s, &tiers, None),
            None,
        ))
    })
    .await
}

/// The tier form.
#[derive(Debug, Deserialize)]
pub struct TierForm {
    csrf: String,
    lang: Option<String>,
    name: String,
    min_staff: String,
    #[serde(default)]
    max_staff: String,
    monthly: String,
}

fn tier_of(form: &TierForm) -> Result<Tier, &'static str> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err("admin-bad-tier-name");
    }
    let count = |t: &str| {
        t.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=10_000).contains(n))
    };
    let min_staff = count(&form.min_staff).ok_or("admin-bad-staff-range")?;
    let max_staff = match form.max_staff.trim() {
        "" => None,
        t => Some(
            count(t)
                .filter(|m| *m >= min_staff)
                .ok_or("admin-bad-staff-range")?,
        ),
    };
    let monthly = parse_fixed(form.monthly.trim(), 2)
        .filter(|m| *m >= 0)
        .ok_or("admin-bad-amount")?;
    Ok(Tier {
        id: 0,
        name: name.to_string(),
        min_staff,
        max_staff,
        monthly_piastres: monthly,
    })
}

/// Where the tiers are.
fn to_tiers(lang: Lang) -> Response {
    see_other(&format!("/admin/tiers?lang={}", lang.code()), None)
}

/// `POST /admin/tiers`: adds a tier.
pub async fn add_tier<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<TierForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    acting(&state, headers, form.csrf.clone(), lang, move |st, s| {
        let tiers = st.store.tiers()?;
        let refused = |why| {
            let again = pages::tiers(lang, &s, &tiers, Some(why));
            page(StatusCode::BAD_REQUEST, again, None)
        };
        let tier = match tier_of(&form) {
            Ok(t) => t,
            Err(why) => return Ok(refused(why)),
        };
        let overlaps = tiers.iter().any(|t| {
            let (a1, a2) = (t.min_staff, t.max_staff.unwrap_or(i64::MAX));
            let (b1, b2) = (tier.min_staff, tier.max_staff.unwrap_or(i64::MAX));
            a1 <= b2 && b1 <= a2
        });
        if overlaps {
            return Ok(refused("admin-tiers-overlap"));
        }
        st.store.put_tier(&tier)?;
        let subject = format!(
            "{} {}+ {}",
            tier.name,
            tier.min_staff,
            egp(tier.monthly_piastres)
        );
        st.store
            .append_admin_audit(&s.email, "tier-added", &subject, &addr.to_string())?;
        Ok(to_tiers(lang))
    })
    .await
}

/// `POST /admin/tiers/{id}/delete`.
pub async fn delete_tier<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<i64>,
    addr: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<HoldForm>,
) -> Response {
    let lang = Lang::from_code(form.lang.as_deref());
    acting(&state, headers, form.csrf.clone(), lang, move |st, s| {
        let name = st
            .store
            .tiers()?
            .into_iter()
            .find(|t| t.id == id)
            .map(|t| t.name);
        if let Some(name) = name {
            st.store.delete_tier(id)?;
            st.store
                .append_admin_audit(&s.email, "tier-deleted", &name, &addr.to_string())?;
        }
        Ok(to_tiers(lang))
    })
    .await
}
