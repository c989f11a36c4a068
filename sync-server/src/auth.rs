//! Machine authentication: device credentials (long-lived, stored hashed) exchanged for
//! short-lived HS256 JWTs. Every sync handler takes a `Machine`, the extractor that reads
//! the token, so the clinic always comes from the token and never from a path or a body.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The audience every token is issued for and checked against.
pub const AUDIENCE: &str = "ayada-sync";
/// How long an access token lives.
pub const TOKEN_SECONDS: u64 = 10 * 60;

/// What a token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The machine's node id.
    pub sub: String,
    /// The platform clinic id.
    pub clinic: String,
    /// Always `AUDIENCE`.
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Not before, Unix seconds.
    pub nbf: u64,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Which of the machine's credentials it came from ([`credential_id`]): a token outlives
    /// nothing its credential does, even when the same node id enrolls again.
    pub cred: String,
}

/// The server's signing key.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Tokens {
    /// Reads the signing secret from `dir/jwt.secret`, making a random one on first start.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Tokens> {
        Ok(Tokens::from_secret(&secret_file(dir, "jwt.secret")?))
    }

    /// Keys from a raw secret.
    pub fn from_secret(secret: &[u8]) -> Tokens {
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A fresh access token for a machine of a clinic, from the credential whose hash is
    /// `credential_hash`.
    pub fn issue(
        &self,
        clinic: &str,
        node: &str,
        credential_hash: &str,
    ) -> Result<String, ApiError> {
        let now = now();
        let claims = Claims {
            sub: node.into(),
            clinic: clinic.into(),
            aud: AUDIENCE.into(),
            exp: now + TOKEN_SECONDS,
            nbf: now,
            iat: now,
            cred: credential_id(credential_hash).into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| ApiError::Internal)
    }

    /// Checks a token: HS256 only (so never `alg: none`), signature, `exp`, `nbf` and `aud`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "sub"]);
        // `cred` is required by the type: a token made before it existed is refused.
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|_| ApiError::Unauthorized)
    }
}

/// SHA-256 of a device credential, as stored (the credential itself is never kept).
pub fn credential_hash(credential: &str) -> String {
    hex::encode(Sha256::digest(credential.as_bytes()))
}

/// The short name a token carries of the credential it came from: the first 16 hex digits of
/// the credential's hash (the credential itself never leaves the machine and the database).
pub fn credential_id(credential_hash: &str) -> &str {
    credential_hash.get(..16).unwrap_or(credential_hash)
}

/// A new random device credential.
pub fn new_credential() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::Internal)?;
    Ok(hex::encode(bytes))
}

/// The machine a request comes from, proven by its bearer token.
#[derive(Debug, Clone)]
pub struct Machine {
    /// The platform clinic id.
    pub clinic: String,
    /// The machine's node id.
    pub node: String,
}

impl<S> FromRequestParts<S> for Machine
where
    Arc<Tokens>: FromRef<S>,
    Arc<crate::limits::MachineLimits>: FromRef<S>,
    Arc<dyn crate::store::Store>: FromRef<S>,
    Arc<crate::memo::Credentials>: FromRef<S>,
    Arc<crate::memo::Standings>: FromRef<S>,
    Arc<crate::admin::AdminConfig>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthorized)?;
        let claims = Arc::<Tokens>::from_ref(state).verify(token)?;
        Arc::<crate::limits::MachineLimits>::from_ref(state).check(&claims.clinic, &claims.sub)?;
        // A revoked credential is refused at once, not when its token runs out: the store
        // is asked unless it said "active" seconds ago, and a revocation forgets that answer
        // (`AppState::revoked`, on every replica).
        let memo = Arc::<crate::memo::Credentials>::from_ref(state);
        let active = memo.fresh(&claims.clinic, &claims.sub, &claims.cred) || {
            let store = Arc::<dyn crate::store::Store>::from_ref(state);
            let (clinic, node, cred) = (
                claims.clinic.clone(),
                claims.sub.clone(),
                claims.cred.clone(),
            );
            let active = tokio::task::spawn_blocking(move || {
                let mark = memo.mark();
                let active = store.credential_active(&clinic, &node, &cred)?;
                if active {
                    memo.active(&clinic, &node, &cred, mark);
                }
                Ok::<_, crate::store::StoreError>(active)
            })
            .await
            .map_err(|_| ApiError::Internal)??;
            active
        };
        if !active {
            tracing::warn!(clinic = %claims.clinic, node = %claims.sub, "revoked machine refused");
            return Err(ApiError::Unauthorized);
        }
        // A suspended clinic's machines are refused with the reason (asked of the store a
        // few times a minute per clinic, not on every push).
        let standings = Arc::<crate::memo::Standings>::from_ref(state);
        let refusal = match standings.cached(&claims.clinic) {
            Some(refusal) => refusal,
            None => {
                let store = Arc::<dyn crate::store::Store>::from_ref(state);
                let rules = Arc::<crate::admin::AdminConfig>::from_ref(state).billing;
                let clinic = claims.clinic.clone();
                tokio::task::spawn_blocking(move || {
                    crate::standing::refusal(&*store, &standings, &clinic, rules)
                })
                .await
                .map_err(|_| ApiError::Internal)??
            }
        };
        if let Some(refusal) = refusal {
            return Err(refusal.into());
        }
        Ok(Machine {
            clinic: claims.clinic,
            node: claims.sub,
        })
    }
}

/// The 32 random bytes kept in `dir/name` (made, readable by the server's user alone, the
/// first time): a key that survives restarts and is the same for every process on the folder.
pub fn secret_file(dir: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => Ok(bytes),
        _ => {
            let mut bytes = vec![0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            std::io::Write::write_all(&mut options.open(&path)?, &bytes)?;
            Ok(bytes)
        }
    }
}
