//! A console session: a random token in a cookie scoped to `/admin` (Secure when the server
//! is reached over HTTPS, HttpOnly, SameSite=Strict), kept on the server only as its SHA-256.
//! It ends on logout, after an idle spell, and a fixed time after its login; the token is
//! replaced when the second factor is passed, so a token seen before the code is worth
//! nothing after it.

use axum::http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

use crate::portal::guard::{self, new_token};
use crate::store::{unix_now, AdminSession, Store, StoreError};
use crate::AppState;

/// The cookie's name.
pub const COOKIE: &str = "ayada_admin";

/// The stage of a session whose password was right and whose code is still to come.
pub const PASSWORD: &str = "password";
/// The stage of a session that passed both factors.
pub const FULL: &str = "full";

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The `Set-Cookie` that gives a browser `token` (or, with None, takes the cookie away).
pub fn set_cookie(token: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = match token {
        Some(t) => format!("{COOKIE}={t}; Path=/admin; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).expect("a cookie of URL-safe characters")
}

/// Starts a session for `email` at `stage`; answers its token (for the cookie) and itself.
pub fn start<S: Store>(
    state: &AppState<S>,
    email: &str,
    stage: &str,
) -> Result<(String, AdminSession), StoreError> {
    let token = new_token();
    let now = unix_now();
    // Sessions nobody used for longer than any may live are gone for good.
    let idle = state.admin.idle.min(state.admin.absolute).as_secs() as i64;
    state.store.forget_admin_sessions(now - idle)?;
    let session = AdminSession {
        token_hash: hash(&token),
        email: email.to_string(),
        stage: stage.to_string(),
        csrf: new_token(),
        created_at: now,
        last_seen: now,
    };
    state.store.create_admin_session(&session)?;
    Ok((token, session))
}

/// The session this request's cookie opens, if it is still alive; notes the request (the idle
/// clock starts again). A session past its limits is ended here.
pub fn current<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Option<AdminSession>, StoreError> {
    let Some(token) = guard::cookie(headers, COOKIE).filter(|t| t.len() == 43) else {
        return Ok(None);
    };
    let Some(mut session) = state.store.admin_session(&hash(&token))? else {
        return Ok(None);
    };
    let now = unix_now();
    let limits = &state.admin;
    let idle = now - session.last_seen > limits.idle.as_secs() as i64;
    let old = now - session.created_at > limits.absolute.as_secs() as i64;
    if idle || old {
        state.store.end_admin_session(&session.token_hash)?;
        return Ok(None);
    }
    state
        .store
        .touch_admin_session(&session.token_hash, now, &session.stage)?;
    session.last_seen = now;
    Ok(Some(session))
}

/// Whether a form's CSRF token is its session's, compared in constant time.
pub fn csrf_ok(session: &AdminSession, form_token: &str) -> bool {
    guard::same(&session.csrf, form_token)
}
