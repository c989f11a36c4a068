//! ayada-server as a library: the router is a function of its store, so tests drive it with
//! `oneshot` and as a real process alike. Machines enroll with the owner's account, then
//! push and pull their clinic's changes with short-lived tokens; each clinic's changes live
//! in its own database. Patients book on the portal ([`portal`]); the operator works in the
//! console at `/admin` ([`admin`]).
#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod compactor;
pub mod contacts;
pub mod error;
pub mod export;
pub mod extract;
pub mod fit;
pub mod fuzzing;
pub mod limits;
pub mod logins;
pub mod machine_keys;
pub mod mail;
pub mod memo;
pub mod notices;
pub mod openapi;
pub mod portal;
pub mod routes;
pub mod serving;
pub mod standing;
pub mod store;

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tower_http::timeout::TimeoutLayer;

use crate::auth::Tokens;
use crate::limits::MachineLimits;
use crate::notices::Notices;
use crate::store::Store;

/// What every handler shares.
pub struct AppState<S> {
    /// The storage.
    pub store: Arc<S>,
    /// The token keys.
    pub tokens: Arc<Tokens>,
    /// The rate limit per machine.
    pub limits: Arc<MachineLimits>,
    /// "New changes" for the machines listening on the WebSocket.
    pub notices: Arc<Notices>,
    /// Keeps the documents compacted behind the pushes, for bootstraps.
    pub compactor: Arc<compactor::Compactor>,
    /// Limits on password checks.
    pub logins: Arc<logins::LoginGuard>,
    /// Bytes of changes and photos each clinic may keep.
    pub quota_bytes: u64,
    /// The booking portal.
    pub portal: Arc<portal::Portal>,
    /// Each clinic's storage in use, as last read and grown since.
    pub usage: Arc<memo::Usage>,
    /// Each machine's last contact, written in batches.
    pub contacts: Arc<contacts::ContactBook>,
    /// The operator's console: how long its sessions live, the billing rules.
    pub admin: Arc<admin::AdminConfig>,
    /// Each clinic's standing, as read a moment ago.
    pub standings: Arc<memo::Standings>,
    /// Email to owners through Resend.
    pub mail: Arc<mail::Mail>,
    /// Credentials found active a moment ago.
    pub credentials: Arc<memo::Credentials>,
}

impl<S: Store> AppState<S> {
    /// A store and its token keys, with the default rate limit per machine.
    pub fn new(store: Arc<S>, tokens: Arc<Tokens>) -> AppState<S> {
        AppState {
            compactor: Arc::new(compactor::Compactor::start(store.clone())),
            contacts: Arc::new(contacts::ContactBook::start(store.clone())),
            logins: Arc::new(logins::LoginGuard::default().counted_in(store.clone())),
            store,
            tokens,
            limits: Arc::new(MachineLimits::default()),
            notices: Arc::new(Notices::default()),
            quota_bytes: DEFAULT_QUOTA_BYTES,
            portal: Arc::new(portal::Portal::new(
                portal::PortalConfig::default(),
                auth::new_credential().unwrap_or_default().into_bytes(),
            )),
            usage: Arc::default(),
            credentials: Arc::default(),
            admin: Arc::default(),
            standings: Arc::default(),
            mail: Arc::new(mail::Mail::new(None)),
        }
    }

    /// Starts the portal's background work: the outbox's sender and the relay to patients.
    /// Needs a Tokio runtime.
    pub fn start_portal(&self) {
        tokio::spawn(portal::outbox::run(self.clone()));
        tokio::spawn(portal::relay::run(self.clone()));
        tokio::spawn(mail::run(self.clone()));
        tokio::spawn(export::run(self.clone(), self.portal.config.sweep_every));
    }

    /// Passes other replicas' appends on to this process's listening machines, and their
    /// revocations to its memory and its sockets (with the PostgreSQL backend; the SQLite one
    /// has no other replica). False when there is no news.
    pub fn listen_to_replicas(&self) -> Result<bool, store::StoreError> {
        let state = self.clone();
        self.store
            .listen(Box::new(move |clinic, node, said| match said {
                store::News::Head(head) => state.notices.notify(clinic, node, head),
                store::News::Revoked => state.revoked(clinic, node),
                // A revocation may have gone unheard: credentials are asked of the store.
                store::News::Lost(lost) => state.credentials.hearing(!lost),
            }))
    }

    /// Forgets a revoked machine's credentials and closes its sockets, at once.
    pub fn revoked(&self, clinic: &str, node: &str) {
        self.credentials.forget(clinic, node);
        self.notices.revoked(clinic, node);
    }

    /// Notes a machine's contact (with its unsent count after a push; none after a pull),
    /// written within a second ([`contacts::ContactBook`]). Best effort: a note that cannot be
    /// written (a full disk) must not fail a pull, nor make a durable push look refused.
    pub(crate) fn note_seen(&self, clinic: &str, node: &str, pending: Option<u64>) {
        self.contacts.note(&*self.store, clinic, node, pending);
    }

    /// Refuses to store `incoming` more bytes for `clinic` once its quota would be passed
    /// (the figure read at most 6 minutes ago plus what this process stored since).
    pub(crate) fn within_quota(&self, clinic: &str, incoming: u64) -> Result<(), error::ApiError> {
        let used = self.usage.used(clinic, || self.store.usage(clinic))?;
        if used.saturating_add(incoming) <= self.quota_bytes {
            return Ok(());
        }
        tracing::warn!(%clinic, used, quota = self.quota_bytes, "storage quota reached: refused");
        Err(error::ApiError::Quota(format!(
            "This clinic's storage on the server is full ({} of {} MB); nothing of this was stored. Ask the server's operator to raise the quota.",
            used.div_ceil(1024 * 1024),
            self.quota_bytes / (1024 * 1024)
        )))
    }
}

/// Storage each clinic may use unless the operator says otherwise: 2 GiB.
pub const DEFAULT_QUOTA_BYTES: u64 = 2 * 1024 * 1024 * 1024;

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            tokens: self.tokens.clone(),
            limits: self.limits.clone(),
            notices: self.notices.clone(),
            compactor: self.compactor.clone(),
            logins: self.logins.clone(),
            quota_bytes: self.quota_bytes,
            portal: self.portal.clone(),
            usage: self.usage.clone(),
            contacts: self.contacts.clone(),
            credentials: self.credentials.clone(),
            admin: self.admin.clone(),
            standings: self.standings.clone(),
            mail: self.mail.clone(),
        }
    }
}

impl<S> FromRef<AppState<S>> for Arc<MachineLimits> {
    fn from_ref(state: &AppState<S>) -> Arc<MachineLimits> {
        state.limits.clone()
    }
}

impl<S: Store> FromRef<AppState<S>> for Arc<dyn Store> {
    fn from_ref(state: &AppState<S>) -> Arc<dyn Store> {
        state.store.clone()
    }
}

impl<S> FromRef<AppState<S>> for Arc<memo::Standings> {
    fn from_ref(state: &AppState<S>) -> Arc<memo::Standings> {
        state.standings.clone()
    }
}

impl<S> FromRef<AppState<S>> for Arc<admin::AdminConfig> {
    fn from_ref(state: &AppState<S>) -> Arc<admin::AdminConfig> {
        state.admin.clone()
    }
}

impl<S> FromRef<AppState<S>> for Arc<memo::Credentials> {
    fn from_ref(state: &AppState<S>) -> Arc<memo::Credentials> {
        state.credentials.clone()
    }
}

impl<S> FromRef<AppState<S>> for Arc<Tokens> {
    fn from_ref(state: &AppState<S>) -> Arc<Tokens> {
        state.tokens.clone()
    }
}

/// The server is up, and what it speaks.
#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// Always "ok".
    status: &'static str,
    /// The server's version.
    version: &'static str,
    /// The sync protocol's version.
    protocol: u16,
}

#[utoipa::path(get, path = "/v1/health", tag = "server",
    responses((status = 200, description = "The server is up.", body = Health)))]
async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        protocol: ayada_sync::messages::PROTOCOL_VERSION,
    })
}

/// The longest a request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The HTTP routes over a store.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    // base64 grows a batch by a third; leave room for the JSON around it.
    let body_limit = ayada_sync::messages::MAX_BATCH_BYTES * 4 / 3 + 1024 * 1024;
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi::spec))
        .route("/v1/enroll", post(routes::enroll::<S>))
        .route("/v1/token", post(routes::token::<S>))
        .route(
            "/v1/changes",
            post(routes::push::<S>).get(routes::pull::<S>),
        )
        .route("/v1/status", get(routes::status::<S>))
        .route("/v1/audit", get(routes::audit::<S>))
        .route("/v1/bootstrap", get(routes::bootstrap::<S>))
        .route(
            "/v1/blobs/{sha256}",
            get(routes::get_blob::<S>).put(routes::put_blob::<S>),
        )
        .route("/v1/events", get(notices::events::<S>))
        .route("/v1/machines/revoke", post(routes::revoke::<S>))
        .merge(portal::routes::<S>())
        .merge(admin::routes::<S>())
        .fallback(|| async {
            error::ApiError::NotFound("The server has nothing at this address.".into())
        })
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        // A request that takes longer (a stalled client, a stuck disk) is answered 408 and
        // its work dropped; a push is acknowledged only after it is durable, so nothing
        // acknowledged is lost.
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // The timeout's own answer has no body: it is given the JSON every refusal has.
        .layer(axum::middleware::map_response(timed_out_as_json))
        .with_state(state)
}

async fn timed_out_as_json(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let bare = !response
        .headers()
        .contains_key(axum::http::header::CONTENT_TYPE);
    if response.status() == axum::http::StatusCode::REQUEST_TIMEOUT && bare {
        error::ApiError::TimedOut.into_response()
    } else {
        response
    }
}

/// Hashes an owner's password with Argon2id.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), kept by each thread that
    /// checks passwords and reused. Allocated anew for every check, a long-lived thread kept
    /// another 19 MiB after each one (glibc's arena; measured +19 MB a check, never given
    /// back: a flood of wrong passwords grew the server without bound).
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` is the one `hash` (a PHC string) was made from, in constant time.
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(argon2::Version::default()), argon2::Version::try_from)
    else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let computed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
            .is_ok()
    });
    // `Output`'s equality is constant-time.
    computed && argon2::password_hash::Output::new(&out).is_ok_and(|out| out == expected)
}

/// A real Argon2id hash of a random password, so that an unknown email costs the same time
/// as a wrong password.
pub(crate) static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password(&auth::new_credential().unwrap_or_default()).unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    fn app() -> (Router, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(store::SqliteStore::open(dir.path()).unwrap());
        (
            router(AppState::new(
                store,
                Arc::new(Tokens::from_secret(b"0123456789abcdef0123456789abcdef")),
            )),
            dir,
        )
    }

    #[test]
    fn a_password_is_checked_against_its_hash_and_nothing_else() {
        let hash = hash_password("owner-pass-1").unwrap();
        assert!(verify_password("owner-pass-1", &hash));
        assert!(!verify_password("owner-pass-2", &hash));
        assert!(!verify_password("owner-pass-1", "not a hash"));
        // The same memory serves the next check, whatever the last one was.
        assert!(verify_password("owner-pass-1", &hash));
    }

    #[tokio::test]
    async fn health_reports_the_protocol_version() {
        let (app, _dir) = app();
        let response = app
            .oneshot(Request::get("/v1/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["protocol"], ayada_sync::messages::PROTOCOL_VERSION);
    }

    #[tokio::test]
    async fn sync_needs_a_token_and_refuses_forged_ones() {
        let (app, _dir) = app();
        let none = app
            .clone()
            .oneshot(
                Request::get("/v1/changes?since=0")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
        let forged = Tokens::from_secret(b"another secret, not the server's!!")
            .issue("c", "n", "0123456789abcdef")
            .unwrap();
        let req = Request::get("/v1/changes?since=0")
            .header("authorization", format!("Bearer {forged}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.clone().oneshot(req).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        // alg: none, with claims that would otherwise pass.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = b64.encode(
            br#"{"sub":"n","clinic":"c","aud":"ayada-sync","exp":9999999999,"nbf":0,"iat":0}"#,
        );
        let req = Request::get("/v1/changes?since=0")
            .header("authorization", format!("Bearer {header}.{claims}."))
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.oneshot(req).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn a_machine_over_its_rate_limit_is_refused_and_the_others_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Arc::new(Tokens::from_secret(b"0123456789abcdef0123456789abcdef"));
        let state_store = Arc::new(store::SqliteStore::open(dir.path()).unwrap());
        let mut state = AppState::new(state_store.clone(), tokens.clone());
        let three = std::num::NonZeroU32::new(3).unwrap();
        state.limits = Arc::new(MachineLimits::new(std::num::NonZeroU32::MIN, three));
        let app = router(state);
        let clinic = "0190a1b2-0000-7000-8000-000000000001";
        let status = |token: String| {
            Request::get("/v1/status")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        for node in ["noisy", "quiet"] {
            state_store
                .add_device(clinic, node, &auth::credential_hash(node))
                .unwrap();
        }
        let noisy = tokens
            .issue(clinic, "noisy", &auth::credential_hash("noisy"))
            .unwrap();
        for _ in 0..3 {
            let ok = app.clone().oneshot(status(noisy.clone())).await.unwrap();
            assert_eq!(ok.status(), StatusCode::OK);
        }
        let refused = app.clone().oneshot(status(noisy)).await.unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let quiet = tokens
            .issue(clinic, "quiet", &auth::credential_hash("quiet"))
            .unwrap();
        let served = app.oneshot(status(quiet)).await.unwrap();
        assert_eq!(served.status(), StatusCode::OK, "the limit is per machine");
    }
}
