//! The request's body, query and path, read as axum reads them but refused as every other
//! refusal is: JSON with a `code` and a sentence (axum's own rejections are plain text, which
//! a client cannot tell apart from a proxy's error page, and which broke the API's schema).

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

use crate::error::ApiError;

/// A JSON body of type `T`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// A query string of type `T`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Params<T>(pub T);

/// Path segments of type `T`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Segments<T>(pub T);

/// What serde said of the data, without the values it quotes: a body may carry a password
/// where a number was expected, and an error message must never repeat a secret.
fn without_values(text: &str) -> String {
    // serde quotes values with backticks or double quotes; field names only in
    // "missing field `x`" and "unknown field `x`", which are kept.
    let names_a_field = text.contains("missing field") || text.contains("unknown field");
    let cut = if names_a_field {
        text.find(", expected").unwrap_or(text.len())
    } else {
        text.find(['`', '"']).unwrap_or(text.len())
    };
    text[..cut].trim_end_matches([' ', ',', ':']).to_string()
}

fn unreadable(status: StatusCode, what: &str, detail: &str) -> ApiError {
    ApiError::Unreadable {
        status,
        sentence: format!("{what} {}.", without_values(detail)),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let status = rejection.status();
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::Unreadable {
                status,
                sentence: "The body must be JSON, sent with `Content-Type: application/json`."
                    .into(),
            },
            JsonRejection::BytesRejection(r) => from_bytes(r),
            other => unreadable(
                status,
                "The body does not fit this request:",
                &other.body_text(),
            ),
        }
    }
}

fn from_bytes(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::Unreadable {
            status,
            sentence: "The body is larger than this server takes in one request.".into(),
        }
    } else {
        ApiError::Unreadable {
            status,
            sentence: "The body could not be read whole.".into(),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        from_bytes(rejection)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        unreadable(
            rejection.status(),
            "The query does not fit this request:",
            &rejection.body_text(),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        unreadable(
            rejection.status(),
            "The address does not fit this request:",
            &rejection.body_text(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn serde_messages_lose_the_values_they_quote_but_keep_field_names() {
        assert_eq!(
            without_values("Failed to deserialize the JSON body into the target type: password: invalid type: integer `123456`, expected a string at line 1 column 20"),
            "Failed to deserialize the JSON body into the target type: password: invalid type: integer"
        );
        assert_eq!(
            without_values("Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2"),
            "Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2"
        );
        assert_eq!(
            without_values("invalid type: string \"hunter2-secret\", expected u16"),
            "invalid type: string"
        );
    }
}
