//! Errors as HTTP answers: a status and a sentence, never a secret.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Every refusal's body.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// An English sentence saying what went wrong (a client shows its own translation of
    /// `code` where it has one).
    pub error: String,
    /// A stable name for the refusal: `unauthorized`, `bad-login`, `conflict`,
    /// `bad-request`, `too-large`, `unsupported-media-type`, `not-found`,
    /// `method-not-allowed`, `too-many-requests`, `too-many-guesses`, `busy`, `quota`,
    /// `disk-full`, `timeout`, `suspended`, `ended` or `internal`.
    pub code: String,
    /// With `ended`: the last day the clinic's data is kept for its owner to download
    /// (absent once it is deleted), so a client can say it in its own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or a forged, expired or wrong-audience one.
    #[error("This request needs a valid, unexpired access token.")]
    Unauthorized,
    /// Wrong email or password at enrollment.
    #[error("The email or the password is wrong.")]
    BadLogin,
    /// The owner turned on two-step sign-in and sent no code.
    #[error("The owner's account needs the code from the authenticator app too.")]
    TotpRequired,
    /// The owner's code is wrong, or was used already.
    #[error("The authenticator code is wrong or was used already; wait for the next one.")]
    BadTotp,
    /// The clinic's subscription is suspended: its machines do not sync (the sentence says
    /// why).
    #[error("{0}")]
    Suspended(String),
    /// The clinic's subscription ended: its machines no longer sync (the sentence says
    /// until when its data can be downloaded).
    #[error("{sentence}")]
    Ended {
        /// The sentence.
        sentence: String,
        /// The last day its data is kept (None: deleted).
        until: Option<String>,
    },
    /// The request cannot be carried out as asked.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed or over a limit.
    #[error("{0}")]
    BadRequest(String),
    /// The body, query or path could not be read as the request needs; the status is
    /// axum's (400, 413, 415 or 422).
    #[error("{sentence}")]
    Unreadable {
        /// The HTTP status.
        status: StatusCode,
        /// What was wrong, without any value the caller sent.
        sentence: String,
    },
    /// The request took longer than the server allows and was dropped.
    #[error("The request took too long and was dropped; nothing that was not acknowledged was stored. Try again.")]
    TimedOut,
    /// The address is served, but not with this method.
    #[error("This address does not take this method.")]
    MethodNotAllowed,
    /// The caller's clinic holds no such thing.
    #[error("{0}")]
    NotFound(String),
    /// The machine is over its rate limit.
    #[error("This machine sends too many requests; it is served again in a moment.")]
    TooManyRequests,
    /// Too many wrong passwords for this account or from this address.
    #[error("Too many wrong passwords for this account or from this address. Try again in {} minutes.", retry_after.div_ceil(60))]
    TooManyGuesses {
        /// Seconds until a guess is taken again.
        retry_after: u64,
    },
    /// As many password checks as allowed are running, or every database connection is in
    /// use.
    #[error("The server is busy. Try again in a few seconds.")]
    Busy,
    /// The clinic's storage quota is used up.
    #[error("{0}")]
    Quota(String),
    /// The server's disk is full.
    #[error("The server's disk is full; nothing of this was stored. Your work is kept on this machine and is sent once the server's operator frees space.")]
    DiskFull,
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
            crate::store::StoreError::Pool(e) => {
                // Every connection to PostgreSQL is in use for longer than the pool waits:
                // the machine is told to come back in a second, not that the server broke.
                tracing::warn!(error = %e, "no database connection free: busy");
                ApiError::Busy
            }
            full if full.is_disk_full() => {
                tracing::error!(error = %full, "the disk is full: write refused");
                ApiError::DiskFull
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
        let status = match &self {
            ApiError::Unauthorized
            | ApiError::BadLogin
            | ApiError::TotpRequired
            | ApiError::BadTotp => StatusCode::UNAUTHORIZED,
            ApiError::Suspended(_) | ApiError::Ended { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unreadable { status, .. } => *status,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests | ApiError::TooManyGuesses { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Quota(_) | ApiError::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // `code` is stable, so a client can say the fixed refusals in its person's language;
        // `error` is the English sentence (with the detail for the free-text ones).
        let code = match &self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadLogin => "bad-login",
            ApiError::TotpRequired => "totp-required",
            ApiError::BadTotp => "bad-totp",
            ApiError::Suspended(_) => "suspended",
            ApiError::Ended { .. } => "ended",
            ApiError::Conflict(_) => "conflict",
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unreadable { status, .. } => match *status {
                StatusCode::PAYLOAD_TOO_LARGE => "too-large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
                _ => "bad-request",
            },
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::TimedOut => "timeout",
            ApiError::NotFound(_) => "not-found",
            ApiError::TooManyRequests => "too-many-requests",
            ApiError::TooManyGuesses { .. } => "too-many-guesses",
            ApiError::Busy => "busy",
            ApiError::Quota(_) => "quota",
            ApiError::DiskFull => "disk-full",
            ApiError::Internal => "internal",
        };
        let retry_after = match &self {
            ApiError::TooManyGuesses { retry_after } => Some(*retry_after),
            ApiError::Busy | ApiError::TooManyRequests => Some(1),
            ApiError::DiskFull => Some(60),
            _ => None,
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error: self.to_string(),
                code: code.to_string(),
                until: match &self {
                    ApiError::Ended { until, .. } => until.clone(),
                    _ => None,
                },
            }),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
