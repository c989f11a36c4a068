//! The sync API: enroll, token, push, pull, bootstrap, blobs.

use automerge::Change;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use ayada_sync::messages::{
    MAX_BLOB_BYTES, MAX_BOOTSTRAP_PAGE_BYTES, MAX_CHANGE_BYTES, PROTOCOL_VERSION,
};
use ayada_sync::{
    valid_blob_name, valid_doc_id, BootstrapResponse, Cursor, EnrollRequest, EnrollResponse,
    PullResponse, PushRequest, PushResponse, Refusal, RevokeRequest, RevokeResponse,
    StatusResponse, TokenRequest, TokenResponse, WireChange,
};
use serde::Deserialize;

use crate::auth::{credential_hash, new_credential, Machine, TOKEN_SECONDS};
use crate::error::ApiError;
use crate::store::Store;
use crate::AppState;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Internal)?
}

/// The clinic whose owner this is; a wrong email or password is `BadLogin` either way, and
/// takes as long as a right one.
fn owner_clinic<S: Store>(
    store: &S,
    email: &str,
    password: &str,
) -> Result<crate::store::ClinicRecord, ApiError> {
    let email = email.trim().to_lowercase();
    let clinic = store.clinic_by_email(&email)?;
    // Verify against a real hash even for an unknown email, so timing does not tell.
    let hash = clinic
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| crate::DUMMY_HASH.clone());
    let ok = crate::verify_password(password, &hash);
    clinic.filter(|_| ok).ok_or_else(|| {
        tracing::warn!("owner login refused: wrong email or password");
        ApiError::BadLogin
    })
}

/// Revokes one of the owner's machines (owner's email and password again, not a token:
/// a stolen machine's token must not be enough to lock the others out).
pub async fn revoke<S: Store>(
    State(state): State<AppState<S>>,
    Json(req): Json<RevokeRequest>,
) -> Result<Json<RevokeResponse>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let clinic = owner_clinic(&*store, &req.email, &req.password)?;
        match store.revoke(&clinic.id, &req.node_id)? {
            Some(revoked) => {
                tracing::info!(clinic = %clinic.id, node = %req.node_id, revoked, "machine revoked");
                Ok(Json(RevokeResponse { revoked }))
            }
            None => Err(ApiError::Conflict(
                "This clinic has no machine with that node id.".into(),
            )),
        }
    })
    .await
}

/// Enrolls a machine with the owner's email and password.
pub async fn enroll<S: Store>(
    State(state): State<AppState<S>>,
    Json(req): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let clinic = owner_clinic(&*store, &req.email, &req.password)?;
        if uuid::Uuid::parse_str(&req.node_id).is_err() {
            return Err(ApiError::BadRequest(
                "The machine's node id is not valid.".into(),
            ));
        }
        let (data_id, seeded) = match (&clinic.data_clinic_id, &req.local_clinic_id) {
            (None, Some(local)) => {
                store.set_data_clinic(&clinic.id, local)?;
                (local.clone(), true)
            }
            (None, None) => return Err(ApiError::Conflict(
                "This clinic holds no data yet: enroll the machine that holds the clinic first."
                    .into(),
            )),
            (Some(data), Some(local)) if data != local => return Err(ApiError::Conflict(
                "This machine holds a different clinic. Use an empty data folder to join this one."
                    .into(),
            )),
            (Some(data), _) => (data.clone(), false),
        };
        let credential = new_credential()?;
        store.add_device(&clinic.id, &req.node_id, &credential_hash(&credential))?;
        tracing::info!(clinic = %clinic.id, node = %req.node_id, seeded, "machine enrolled");
        Ok(Json(EnrollResponse {
            device_credential: credential,
            clinic_id: data_id,
            time_zone: clinic.time_zone,
            seeded,
        }))
    })
    .await
}

/// Exchanges a device credential for a short-lived access token.
pub async fn token<S: Store>(
    State(state): State<AppState<S>>,
    Json(req): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let store = state.store.clone();
    let device =
        blocking(move || Ok(store.device(&credential_hash(&req.device_credential))?)).await?;
    let device = device
        .filter(|d| !d.revoked)
        .ok_or(ApiError::Unauthorized)?;
    let token = state.tokens.issue(&device.clinic_id, &device.node_id)?;
    Ok(Json(TokenResponse {
        token,
        expires_in: TOKEN_SECONDS,
    }))
}

fn check(change: &WireChange) -> Result<(), String> {
    if change.bytes.len() > MAX_CHANGE_BYTES {
        return Err(format!(
            "the change is {} bytes; the limit is {MAX_CHANGE_BYTES}",
            change.bytes.len()
        ));
    }
    if !valid_doc_id(&change.doc_id) {
        return Err("it names no document a clinic can hold".into());
    }
    let decoded = Change::from_bytes(change.bytes.clone())
        .map_err(|_| "it does not decode as an Automerge change".to_string())?;
    if hex::encode(decoded.hash().0) != change.hash {
        return Err("its hash does not match its bytes".into());
    }
    Ok(())
}

/// Stores a batch of changes in the caller's clinic; answers which were kept and which refused.
pub async fn push<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Json(req): Json<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    req.check()
        .map_err(|e| ApiError::BadRequest(format!("The batch was refused: {e}.")))?;
    let store = state.store.clone();
    let notices = state.notices.clone();
    let compactor = state.compactor.clone();
    blocking(move || {
        let mut response = PushResponse::default();
        let mut good = Vec::new();
        for change in &req.changes {
            match check(change) {
                Ok(()) => good.push(change),
                Err(reason) => response.refused.push(Refusal { hash: change.hash.clone(), reason }),
            }
        }
        // Acknowledged only after the transaction holding them is on disk.
        let fresh = store.append(&machine.clinic, &machine.node, &good)?;
        if fresh.iter().any(|f| *f) {
            notices.notify(&machine.clinic, &machine.node, store.head(&machine.clinic)?);
            let touched = good.iter().zip(&fresh).filter(|(_, f)| **f).map(|(c, _)| c.doc_id.as_str());
            compactor.dirty(&machine.clinic, touched);
        }
        // Its queue is known empty only when nothing of this batch was refused either.
        let pending = req.pending.map(|p| p + response.refused.len() as u64);
        store.seen(&machine.clinic, &machine.node, pending)?;
        response.accepted = good.iter().map(|c| c.hash.clone()).collect();
        if !response.refused.is_empty() {
            tracing::warn!(clinic = %machine.clinic, node = %machine.node, refused = response.refused.len(), "changes refused");
        }
        tracing::debug!(new = fresh.iter().filter(|f| **f).count(), "push stored");
        Ok(Json(response))
    })
    .await
}

/// Query of a pull.
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    since: u64,
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    500
}

/// A page of the caller's clinic's changes after a cursor.
pub async fn pull<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Query(q): Query<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let store = state.store.clone();
    let limit = q.limit.clamp(1, 1000);
    let (rows, last) = blocking(move || {
        store.seen(&machine.clinic, &machine.node, None)?;
        Ok(store.after(&machine.clinic, q.since, limit)?)
    })
    .await?;
    let next = rows.last().map_or(q.since, |(seq, _)| *seq);
    Ok(Json(PullResponse {
        version: PROTOCOL_VERSION,
        more: next < last,
        next: Cursor(next),
        changes: rows.into_iter().map(|(_, c)| c).collect(),
    }))
}

/// The caller's clinic as the server sees it: the log's head and every machine's standing,
/// so a machine about to close a day can tell whether the server has everyone's changes.
pub async fn status<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
) -> Result<Json<StatusResponse>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        Ok(Json(StatusResponse {
            version: PROTOCOL_VERSION,
            head: store.head(&machine.clinic)?,
            machines: store.machines(&machine.clinic)?,
        }))
    })
    .await
}

/// Query of a bootstrap page.
#[derive(Debug, Deserialize)]
pub struct BootstrapQuery {
    after: Option<String>,
}

/// A page of the caller's clinic's documents, compacted from its log: a new machine loads
/// these instead of replaying every change since the clinic began.
pub async fn bootstrap<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Query(q): Query<BootstrapQuery>,
) -> Result<Json<BootstrapResponse>, ApiError> {
    if let Some(after) = &q.after {
        if !valid_doc_id(after) {
            return Err(ApiError::BadRequest(
                "`after` must be a document id from the previous page.".into(),
            ));
        }
    }
    let store = state.store.clone();
    let page = blocking(move || {
        store.seen(&machine.clinic, &machine.node, None)?;
        Ok(store.bootstrap(
            &machine.clinic,
            q.after.as_deref(),
            MAX_BOOTSTRAP_PAGE_BYTES,
        )?)
    })
    .await?;
    Ok(Json(BootstrapResponse {
        version: PROTOCOL_VERSION,
        as_of: Cursor(page.as_of),
        total: page.total,
        docs: page.docs,
        next: page.next,
    }))
}

fn blob_name(sha256: &str) -> Result<(), ApiError> {
    if valid_blob_name(sha256) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "A blob is named by the SHA-256 of its bytes: 64 lowercase hex digits.".into(),
        ))
    }
}

/// Whether `bytes` start like a JPEG, PNG or WebP file (the only kinds a clinic stores).
fn looks_like_photo(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || (bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
}

/// `PUT /v1/blobs/{sha256}`: stores a photo of the caller's clinic, checked against its name.
pub async fn put_blob<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Path(sha256): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    use sha2::{Digest, Sha256};
    blob_name(&sha256)?;
    if body.len() > MAX_BLOB_BYTES {
        return Err(ApiError::BadRequest(format!(
            "The photo is {} bytes; the limit is {MAX_BLOB_BYTES}.",
            body.len()
        )));
    }
    if hex::encode(Sha256::digest(&body)) != sha256 {
        return Err(ApiError::BadRequest(
            "The photo's bytes do not match its name (SHA-256); it was damaged on the way.".into(),
        ));
    }
    if !looks_like_photo(&body) {
        return Err(ApiError::BadRequest(
            "Only JPEG, PNG and WebP photos are stored.".into(),
        ));
    }
    let store = state.store.clone();
    let stored =
        blocking(move || Ok(store.put_blob(&machine.clinic, &sha256, &body, &machine.node)?))
            .await?;
    Ok(Json(serde_json::json!({ "stored": stored })))
}

/// `GET /v1/blobs/{sha256}`: a photo of the caller's clinic; any other clinic's is not found.
pub async fn get_blob<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Path(sha256): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    blob_name(&sha256)?;
    let store = state.store.clone();
    let bytes = blocking(move || Ok(store.blob(&machine.clinic, &sha256)?))
        .await?
        .ok_or_else(|| ApiError::NotFound("This clinic holds no photo by that name.".into()))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response())
}
