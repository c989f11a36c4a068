//! The sync API: enroll, token, push, pull, bootstrap, blobs.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use ayada_sync::messages::{MAX_BLOB_BYTES, MAX_BOOTSTRAP_PAGE_BYTES, PROTOCOL_VERSION};
use ayada_sync::{
    valid_blob_name, valid_doc_id, AuditAnchors, BootstrapResponse, Cursor, EnrollRequest,
    EnrollResponse, PullResponse, PushRequest, PushResponse, Refusal, RevokeRequest,
    RevokeResponse, StatusResponse, Storage, TokenRequest, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::auth::{credential_hash, new_credential, Machine, TOKEN_SECONDS};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, Segments};
use crate::logins::ClientAddr;
use crate::store::{Admission, Decoded, Store};
use crate::AppState;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Internal)?
}

/// The clinic whose owner this is, checked within the login limits; a wrong email or
/// password is `BadLogin` either way, and takes as long as a right one. `door` names the
/// request in the log.
pub(crate) async fn owner_clinic<S: Store>(
    state: &AppState<S>,
    addr: ClientAddr,
    email: &str,
    password: String,
    totp: Option<String>,
    door: &'static str,
) -> Result<crate::store::ClinicRecord, ApiError> {
    let email = email.trim().to_lowercase();
    let permit = state.logins.admit(&email, &addr).await?;
    let store = state.store.clone();
    let who = email.clone();
    let (clinic, ok) = state
        .logins
        .run(permit, move || -> Result<_, ApiError> {
            let clinic = store.clinic_by_email(&who)?;
            // Verify against a real hash even for an unknown email, so timing does not tell.
            let hash = clinic
                .as_ref()
                .map(|c| c.password_hash.clone())
                .unwrap_or_else(|| crate::DUMMY_HASH.clone());
            let ok = crate::verify_password(&password, &hash);
            Ok((clinic, ok))
        })
        .await??;
    let clinic_id = clinic
        .as_ref()
        .map_or_else(|| "none".to_string(), |c| c.id.clone());
    match clinic.filter(|_| ok) {
        Some(clinic) => {
            state.logins.succeeded(&email).await;
            owner_code(state, &addr, &email, &clinic.id, totp).await?;
            tracing::info!(%email, clinic = %clinic.id, %addr, door, outcome = "accepted", "owner login");
            Ok(clinic)
        }
        None => {
            state.logins.failed(&email, &addr).await;
            tracing::warn!(%email, clinic = %clinic_id, %addr, door, outcome = "wrong email or password", "owner login refused");
            Err(ApiError::BadLogin)
        }
    }
}

/// The owner's second factor, when two-step sign-in is on for the clinic: the code must be
/// the secret's, of a step not used before (a code works once, on every replica); wrong
/// codes count like wrong passwords.
async fn owner_code<S: Store>(
    state: &AppState<S>,
    addr: &ClientAddr,
    email: &str,
    clinic: &str,
    code: Option<String>,
) -> Result<(), ApiError> {
    let (store, id) = (state.store.clone(), clinic.to_string());
    let Some((secret, true)) = blocking(move || Ok(store.owner_totp(&id)?)).await? else {
        return Ok(());
    };
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Err(ApiError::TotpRequired);
    };
    let key = format!("totp:{email}");
    drop(state.logins.admit(&key, addr).await?);
    let step = crate::admin::totp::step_of(
        &secret,
        email,
        &code,
        crate::store::unix_now().max(0) as u64,
    );
    let (store, id) = (state.store.clone(), clinic.to_string());
    let taken = match step {
        Some(step) => blocking(move || Ok(store.take_owner_totp_step(&id, step)?)).await?,
        None => false,
    };
    if !taken {
        state.logins.failed(&key, addr).await;
        tracing::warn!(%email, %clinic, %addr, reused = step.is_some(), "owner code refused");
        return Err(ApiError::BadTotp);
    }
    state.logins.succeeded(&key).await;
    Ok(())
}

/// What a request checked against the owner's password can be refused with, besides its
/// own refusals (described for the API's description; the refusals are `ApiError`s).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum OwnerLoginRefusals {
    /// Wrong email or password.
    #[response(status = 401)]
    BadLogin(ErrorBody),
    /// Too many wrong passwords for this email or from this address; `Retry-After` says when
    /// a guess is taken again.
    #[response(status = 429)]
    TooManyGuesses(ErrorBody),
    /// As many password checks as allowed are running.
    #[response(status = 503)]
    Busy(ErrorBody),
    /// The server's disk is full.
    #[response(status = 507)]
    DiskFull(ErrorBody),
}

/// Revokes one of the owner's machines (owner's email and password again, not a token:
/// a stolen machine's token must not be enough to lock the others out).
#[utoipa::path(post, path = "/v1/machines/revoke", tag = "machines",
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "The machine's credentials are revoked and its sockets closed.", body = RevokeResponse),
        (status = 409, description = "The clinic has no machine with that node id.", body = ErrorBody),
        OwnerLoginRefusals,
    ))]
pub async fn revoke<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    Body(req): Body<RevokeRequest>,
) -> Result<Json<RevokeResponse>, ApiError> {
    let clinic = owner_clinic(
        &state,
        addr,
        &req.email,
        req.password.clone(),
        req.totp.clone(),
        "revoke",
    )
    .await?;
    blocking(move || match state.store.revoke(&clinic.id, &req.node_id)? {
        Some(revoked) => {
            state.revoked(&clinic.id, &req.node_id);
            // And on the clinic's LAN, once the list reaches its machines.
            crate::machine_keys::revoke(&state, &clinic.id, &req.node_id)?;
            tracing::info!(clinic = %clinic.id, node = %req.node_id, revoked, "machine revoked");
            Ok(Json(RevokeResponse { revoked }))
        }
        None => Err(ApiError::Conflict(
            "This clinic has no machine with that node id.".into(),
        )),
    })
    .await
}

/// Enrolls a machine with the owner's email and password.
#[utoipa::path(post, path = "/v1/enroll", tag = "machines",
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "The machine's device credential, and the clinic it joins.", body = EnrollResponse),
        (status = 400, description = "The body is not JSON, or the node id is not a UUID.", body = ErrorBody),
        (status = 409, description = "The machine holds another clinic, or the clinic holds no data yet.", body = ErrorBody),
        OwnerLoginRefusals,
    ))]
pub async fn enroll<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    Body(req): Body<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let clinic = owner_clinic(
        &state,
        addr,
        &req.email,
        req.password.clone(),
        req.totp.clone(),
        "enroll",
    )
    .await?;
    let store = state.store.clone();
    blocking(move || {
        if uuid::Uuid::parse_str(&req.node_id).is_err() {
            return Err(ApiError::BadRequest(
                "The machine's node id is not valid.".into(),
            ));
        }
        let lan_key = req.lan_key.as_deref().map(crate::machine_keys::checked).transpose()?;
        let (data_id, seeded) = match (&clinic.data_clinic_id, &req.local_clinic_id) {
            (None, Some(local)) => {
                if store.set_data_clinic(&clinic.id, local)? {
                    (local.clone(), true)
                } else {
                    // Another machine seeded it between our read and our write.
                    let now = store.clinic_by_email(&clinic.owner_email)?.and_then(|c| c.data_clinic_id);
                    if now.as_deref() != Some(local.as_str()) {
                        return Err(ApiError::Conflict(
                            "Another machine filled this clinic with a different clinic's data at the same moment; nothing was merged. Use an empty data folder to join it.".into(),
                        ));
                    }
                    (local.clone(), false)
                }
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
        if let Some(key) = lan_key {
            crate::machine_keys::certify(&state, &clinic.id, &req.node_id, key)?;
        }
        tracing::info!(clinic = %clinic.id, node = %req.node_id, %addr, seeded, "machine enrolled");
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
#[utoipa::path(post, path = "/v1/token", tag = "machines",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A token for the machine's clinic.", body = TokenResponse),
        (status = 401, description = "Unknown or revoked credential.", body = ErrorBody),
        (status = 403, description = "The clinic's subscription is suspended (code `suspended`; the sentence says why).", body = ErrorBody),
    ))]
pub async fn token<S: Store>(
    State(state): State<AppState<S>>,
    addr: ClientAddr,
    Body(req): Body<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let store = state.store.clone();
    let device =
        blocking(move || Ok(store.device(&credential_hash(&req.device_credential))?)).await?;
    let device = match device {
        Some(d) if !d.revoked => d,
        Some(d) => {
            tracing::warn!(clinic = %d.clinic_id, node = %d.node_id, %addr, outcome = "revoked credential", "token refused");
            return Err(ApiError::Unauthorized);
        }
        None => {
            tracing::warn!(%addr, outcome = "unknown credential", "token refused");
            return Err(ApiError::Unauthorized);
        }
    };
    let (st, clinic) = (state.clone(), device.clinic_id.clone());
    let refusal = blocking(move || {
        let rules = st.admin.billing;
        Ok(crate::standing::refusal(
            &*st.store,
            &st.standings,
            &clinic,
            rules,
        )?)
    })
    .await?;
    if let Some(refusal) = refusal {
        tracing::warn!(clinic = %device.clinic_id, node = %device.node_id, %addr, outcome = "clinic suspended or ended", "token refused");
        return Err(refusal.into());
    }
    let token = state
        .tokens
        .issue(&device.clinic_id, &device.node_id, &device.credential_hash)?;
    Ok(Json(TokenResponse {
        token,
        expires_in: TOKEN_SECONDS,
    }))
}

/// Stores a batch of changes in the caller's clinic; answers which were kept and which refused.
#[utoipa::path(post, path = "/v1/changes", tag = "sync", security(("token" = [])),
    request_body = PushRequest,
    responses(
        (status = 200, description = "Which changes are durable and which were refused, and why.", body = PushResponse),
        (status = 400, description = "The batch is over a limit or speaks another protocol version.", body = ErrorBody),
        (status = 507, description = "The clinic's quota is used up, or the server's disk is full.", body = ErrorBody),
    ))]
pub async fn push<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Body(req): Body<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    req.check()
        .map_err(|e| ApiError::BadRequest(format!("The batch was refused: {e}.")))?;
    let incoming: u64 = req.changes.iter().map(|c| c.bytes.len() as u64).sum();
    // One trip to the blocking pool: the quota (usually from memory) and then the append.
    blocking(move || {
        state.within_quota(&machine.clinic, incoming)?;
        let store = &state.store;
        let mut response = PushResponse::default();
        let mut decoded = Vec::new();
        for change in &req.changes {
            match change.screen() {
                Ok(c) => decoded.push(Decoded { wire: change, change: c }),
                Err(reason) => response.refused.push(Refusal { hash: change.hash.clone(), reason }),
            }
        }
        // Acknowledged only after the transaction holding them is on disk.
        let appended = store.append(&machine.clinic, &machine.node, &decoded)?;
        let mut fresh = Vec::new();
        let mut grown = 0;
        for (c, admission) in decoded.iter().zip(appended.admissions) {
            match admission {
                Admission::New => {
                    fresh.push(c.wire.doc_id.as_str());
                    grown += c.wire.bytes.len() as u64;
                    response.accepted.push(c.wire.hash.clone());
                }
                Admission::Known => response.accepted.push(c.wire.hash.clone()),
                Admission::Refused(reason) => response.refused.push(Refusal { hash: c.wire.hash.clone(), reason }),
            }
        }
        if let Some(head) = appended.head {
            state.usage.grew(&machine.clinic, grown);
            state.notices.notify(&machine.clinic, &machine.node, head);
            state.portal.views.moved(&machine.clinic);
            state.portal.relay.poke(&machine.clinic);
            state.compactor.dirty(&machine.clinic, fresh.iter().copied());
        }
        if let Some(head) = &req.audit {
            // After the changes are durable: a head that cannot be kept (a full disk) is
            // logged, not a reason to make the push look refused.
            match store.record_audit_head(&machine.clinic, &machine.node, head) {
                Ok(true) => {}
                Ok(false) => tracing::warn!(clinic = %machine.clinic, node = %machine.node, count = head.count, "audit head differs from the one this machine sent before: its audit log was rewritten"),
                Err(e) => tracing::warn!(clinic = %machine.clinic, node = %machine.node, error = %e, "audit head not kept"),
            }
        }
        // Its queue is known empty only when nothing of this batch was refused either.
        let pending = req.pending.map(|p| p.saturating_add(response.refused.len() as u64));
        state.note_seen(&machine.clinic, &machine.node, pending);
        if !response.refused.is_empty() {
            tracing::warn!(clinic = %machine.clinic, node = %machine.node, refused = response.refused.len(), first = %response.refused[0].reason, "changes refused");
        }
        tracing::debug!(new = fresh.len(), "push stored");
        Ok(Json(response))
    })
    .await
}

/// `GET /v1/audit`: every audit head the calling machine has sent, so that its `audit verify`
/// can tell a past rewritten on the machine.
#[utoipa::path(get, path = "/v1/audit", tag = "sync", security(("token" = [])),
    responses((status = 200, description = "The audit heads this machine sent, oldest first.", body = AuditAnchors)))]
pub async fn audit<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
) -> Result<Json<AuditAnchors>, ApiError> {
    let store = state.store.clone();
    let anchors =
        blocking(move || Ok(store.audit_anchors(&machine.clinic, &machine.node)?)).await?;
    Ok(Json(AuditAnchors {
        version: PROTOCOL_VERSION,
        anchors,
    }))
}

/// Query of a pull.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The last position of the clinic's log already received (0 for the start).
    since: u64,
    /// At most this many changes (1 to 1000; 500 when not given).
    #[serde(default = "default_limit")]
    #[param(default = 500)]
    limit: u32,
}

fn default_limit() -> u32 {
    500
}

/// A page of the caller's clinic's changes after a cursor.
#[utoipa::path(get, path = "/v1/changes", tag = "sync", security(("token" = [])),
    params(PullQuery),
    responses((status = 200, description = "The changes after `since`, oldest first.", body = PullResponse)))]
pub async fn pull<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Params(q): Params<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let limit = q.limit.clamp(1, 1000);
    let (rows, last) = blocking(move || {
        state.note_seen(&machine.clinic, &machine.node, None);
        Ok(state.store.after(&machine.clinic, q.since, limit)?)
    })
    .await?;
    Ok(Json(PullResponse::page(q.since, rows, last)))
}

/// The caller's clinic as the server sees it: the log's head and every machine's standing,
/// so a machine about to close a day can tell whether the server has everyone's changes.
#[utoipa::path(get, path = "/v1/status", tag = "sync", security(("token" = [])),
    responses((status = 200, description = "The log's head, every machine's standing and the clinic's storage.", body = StatusResponse)))]
pub async fn status<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
) -> Result<Json<StatusResponse>, ApiError> {
    let store = state.store.clone();
    let quota_bytes = state.quota_bytes;
    blocking(move || {
        // A machine about to close the day reads the others' unsent counts: what this
        // process heard a moment ago is written first.
        state.contacts.flush(&*store);
        Ok(Json(StatusResponse {
            version: PROTOCOL_VERSION,
            head: store.head(&machine.clinic)?,
            machines: store.machines(&machine.clinic)?,
            storage: Some(Storage {
                used_bytes: store.usage(&machine.clinic)?,
                quota_bytes,
            }),
        }))
    })
    .await
}

/// Query of a bootstrap page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BootstrapQuery {
    /// The previous page's `next`; none for the first page.
    #[param(
        pattern = "^(clinic|patient|appointments|visits|cashbook|shift|dayclose)(/[A-Za-z0-9-]+)*$",
        max_length = 128
    )]
    after: Option<String>,
}

/// A page of the caller's clinic's documents, compacted from its log: a new machine loads
/// these instead of replaying every change since the clinic began.
#[utoipa::path(get, path = "/v1/bootstrap", tag = "sync", security(("token" = [])),
    params(BootstrapQuery),
    responses((status = 200, description = "A page of the clinic's documents.", body = BootstrapResponse)))]
pub async fn bootstrap<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Params(q): Params<BootstrapQuery>,
) -> Result<Json<BootstrapResponse>, ApiError> {
    if let Some(after) = &q.after {
        if !valid_doc_id(after) {
            return Err(ApiError::BadRequest(
                "`after` must be a document id from the previous page.".into(),
            ));
        }
    }
    let page = blocking(move || {
        state.note_seen(&machine.clinic, &machine.node, None);
        Ok(state.store.bootstrap(
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

/// The longest side of a photo the server decodes: machines store photos downscaled to 2,000
/// pixels, so anything much bigger was not made by a clinic's machine.
const MAX_PHOTO_SIDE: u32 = 4096;

/// Whether `bytes` decode, under limits, as the JPEG, PNG or WebP photo a machine stores
/// (random bytes behind a JPEG header are refused, not kept).
fn decodes_as_photo(bytes: &[u8]) -> bool {
    use image::{ImageFormat, ImageReader, Limits};
    let Ok(reader) = ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format() else {
        return false;
    };
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return false;
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    let mut reader = reader;
    reader.limits(limits);
    reader.decode().is_ok()
}

/// The answer to a stored photo.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlobStored {
    /// False when the clinic held it already.
    pub stored: bool,
}

/// `PUT /v1/blobs/{sha256}`: stores a photo of the caller's clinic, checked against its name.
#[utoipa::path(put, path = "/v1/blobs/{sha256}", tag = "sync", security(("token" = [])),
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "The SHA-256 of the photo's bytes, 64 lowercase hex digits.")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A JPEG, PNG or WebP photo of at most 4096 px a side."),
    responses(
        (status = 200, description = "The photo is stored.", body = BlobStored),
        (status = 400, description = "A bad name, bytes that do not match it, or not a photo.", body = ErrorBody),
        (status = 413, description = "Over 10 MB.", body = ErrorBody),
        (status = 507, description = "The clinic's quota is used up, or the server's disk is full.", body = ErrorBody),
    ))]
pub async fn put_blob<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Segments(sha256): Segments<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BlobStored>, ApiError> {
    use sha2::{Digest, Sha256};
    blob_name(&sha256)?;
    let body = body?;
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
    let stored = blocking(move || {
        if !decodes_as_photo(&body) {
            return Err(ApiError::BadRequest(
                "Only whole JPEG, PNG and WebP photos are stored; this one does not decode.".into(),
            ));
        }
        state.within_quota(&machine.clinic, body.len() as u64)?;
        let stored = state
            .store
            .put_blob(&machine.clinic, &sha256, &body, &machine.node)?;
        if stored {
            state.usage.grew(&machine.clinic, body.len() as u64);
        }
        Ok(stored)
    })
    .await?;
    Ok(Json(BlobStored { stored }))
}

/// `GET /v1/blobs/{sha256}`: a photo of the caller's clinic; any other clinic's is not found.
#[utoipa::path(get, path = "/v1/blobs/{sha256}", tag = "sync", security(("token" = [])),
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "The SHA-256 of the photo's bytes, 64 lowercase hex digits.")),
    responses(
        (status = 200, description = "The photo's bytes.", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "Not a blob name.", body = ErrorBody),
        (status = 404, description = "This clinic holds no photo by that name.", body = ErrorBody),
    ))]
pub async fn get_blob<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    Segments(sha256): Segments<String>,
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
