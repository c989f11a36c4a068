//! Errors as HTTP answers: a status and a sentence, never a secret.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or a forged, expired or wrong-audience one.
    #[error("This request needs a valid, unexpired access token.")]
    Unauthorized,
    /// Wrong email or password at enrollment.
    #[error("The email or the password is wrong.")]
    BadLogin,
    /// The request cannot be carried out as asked.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed or over a limit.
    #[error("{0}")]
    BadRequest(String),
    /// The caller's clinic holds no such thing.
    #[error("{0}")]
    NotFound(String),
    /// The machine is over its rate limit.
    #[error("This machine sends too many requests; it is served again in a moment.")]
    TooManyRequests,
    /// Storage failed; the detail goes to the log, not to the caller.
    #[error("The server could not store this; nothing was acknowledged. Try again.")]
    Internal,
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        match err {
            crate::store::StoreError::Taken(what) => {
                ApiError::Conflict(format!("A clinic with this {what} already exists."))
            }
            other => {
                tracing::error!(error = %other, "storage failed");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::Unauthorized | ApiError::BadLogin => StatusCode::UNAUTHORIZED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // `code` is stable, so a client can say the fixed refusals in its person's language;
        // `error` is the English sentence (with the detail for the free-text ones).
        let code = match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadLogin => "bad-login",
            ApiError::Conflict(_) => "conflict",
            ApiError::BadRequest(_) => "bad-request",
            ApiError::NotFound(_) => "not-found",
            ApiError::TooManyRequests => "too-many-requests",
            ApiError::Internal => "internal",
        };
        (
            status,
            Json(serde_json::json!({ "error": self.to_string(), "code": code })),
        )
            .into_response()
    }
}
