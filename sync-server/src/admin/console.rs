//! What an admin sees once in: the clinics with their counts and metadata (never a patient's
//! data), and the admin audit log with the state of its chain.

use automerge::AutoCommit;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::pages;
use super::respond::{page, viewing};
use crate::portal::words::Lang;
use crate::store::admin::first_break;
use crate::store::{ClinicRecord, Store, StoreError};
use crate::AppState;

/// What the console lists of a clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicRow {
    /// Its platform id.
    pub id: String,
    /// Its name, slug and owner's email.
    pub name: String,
    /// Its slug (the portal's address).
    pub slug: String,
    /// The owner's login email.
    pub owner_email: String,
    /// Active staff accounts, from the clinic's own document.
    pub staff: usize,
    /// Machines enrolled and not revoked.
    pub machines: usize,
    /// The latest contact of any of its machines (Unix seconds).
    pub last_sync: Option<i64>,
    /// Bytes of changes and photos it keeps on the server.
    pub storage: u64,
    /// Where its subscription stands today.
    pub standing: crate::standing::Standing,
}

/// The active staff the clinic's document lists (a count, nothing of who).
fn staff_count<S: Store>(store: &S, clinic: &str) -> Result<usize, StoreError> {
    let Some(bytes) = store.clinic_doc(clinic, "clinic")? else {
        return Ok(0);
    };
    let Ok(doc) = AutoCommit::load(&bytes) else {
        return Ok(0);
    };
    let staff: Vec<ayada_model::clinic::Staff> =
        ayada_model::clinic::list_in(&doc, ayada_model::clinic::STAFF).unwrap_or_default();
    Ok(staff.iter().filter(|s| s.active).count())
}

/// What the console lists of clinic `c` (None when the platform has no account of it).
pub fn clinic_row<S: Store>(
    store: &S,
    c: ClinicRecord,
    rules: crate::standing::Billing,
) -> Result<Option<ClinicRow>, StoreError> {
    let Some(account) = store.clinic_account(&c.id)? else {
        return Ok(None);
    };
    let machines = store.machines(&c.id)?;
    // A deleted clinic's tombstone: nothing of its data is there to count (or to make again).
    let deleted = matches!(account.ended, Some((_, true)));
    Ok(Some(ClinicRow {
        standing: crate::standing::Standing::now(&account, rules),
        staff: if deleted {
            0
        } else {
            staff_count(store, &c.id)?
        },
        machines: machines.iter().filter(|m| !m.revoked).count(),
        last_sync: machines.iter().filter_map(|m| m.last_seen_at).max(),
        storage: if deleted { 0 } else { store.usage(&c.id)? },
        id: c.id,
        name: c.name,
        slug: c.slug,
        owner_email: c.owner_email,
    }))
}

/// Every clinic whose name, slug or owner's email holds `query` (all with an empty one).
pub fn clinic_rows<S: Store>(
    store: &S,
    query: &str,
    rules: crate::standing::Billing,
) -> Result<Vec<ClinicRow>, StoreError> {
    let query = query.trim().to_lowercase();
    let mut rows = Vec::new();
    for c in store.clinics()? {
        let haystack = format!("{} {} {}", c.name, c.slug, c.owner_email).to_lowercase();
        if !query.is_empty() && !haystack.contains(&query) {
            continue;
        }
        rows.extend(clinic_row(store, c, rules)?);
    }
    Ok(rows)
}

/// `?q=…&lang=…` on the clinics page.
#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
    lang: Option<String>,
    /// Only the clinics of this standing ([`crate::standing::Standing::kind`]).
    status: Option<String>,
}

impl HomeQuery {
    /// The page's language.
    pub fn lang(&self) -> Lang {
        Lang::from_code(self.lang.as_deref())
    }
}

/// `GET /admin`: the clinics.
pub async fn home<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<HomeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    let query = q.q.unwrap_or_default();
    let status = q.status.unwrap_or_default();
    viewing(&state, headers, lang, move |st, s| {
        let mut rows = clinic_rows(&*st.store, &query, st.admin.billing)?;
        if !status.is_empty() {
            rows.retain(|r| r.standing.kind() == status);
        }
        let filter = pages::Filter {
            query: &query,
            status: &status,
        };
        Ok(page(
            StatusCode::OK,
            pages::clinics(lang, &s, &filter, &rows, None),
            None,
        ))
    })
    .await
}

/// `GET /admin/audit`: the admin audit log, newest first, and whether its chain holds.
pub async fn audit<S: Store>(
    State(state): State<AppState<S>>,
    Query(q): Query<HomeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    viewing(&state, headers, lang, move |st, s| {
        let rows = st.store.admin_audit()?;
        let broken_at = first_break(&rows);
        Ok(page(
            StatusCode::OK,
            pages::audit(lang, &s, &rows, broken_at),
            None,
        ))
    })
    .await
}
