//! The API described as OpenAPI, made from the handlers' own annotations and served at
//! `GET /v1/openapi.json`: what a client or an auditor reads, and what the test command's
//! schemathesis run holds the live server to. (The WebSocket `/v1/events` is not HTTP
//! request and answer, and is described in docs/OPERATIONS.md instead.)

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ayada sync server",
        description = "Machines of a clinic enroll with the owner's account, then push and pull the clinic's changes with short-lived tokens. Every refusal is JSON: a `code` that stays the same and an English sentence."
    ),
    paths(
        crate::health,
        spec,
        routes::enroll,
        routes::token,
        routes::revoke,
        routes::push,
        routes::pull,
        routes::status,
        routes::audit,
        routes::bootstrap,
        routes::put_blob,
        routes::get_blob,
        crate::portal::outbox::messages,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Refusals),
    tags(
        (name = "server", description = "The server itself."),
        (name = "machines", description = "A clinic's machines: enrolment, tokens, revocation."),
        (name = "sync", description = "A clinic's changes and photos, with a machine's token."),
        (name = "portal", description = "What the booking portal tells the clinic's patients, with a machine's token."),
    )
)]
struct ApiDoc;

/// The description as JSON (made once: it never changes while the server runs).
pub fn document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the API description serializes")
    })
}

/// `GET /v1/openapi.json`: this description.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "server",
    responses((status = 200, description = "The server's API as OpenAPI.", content_type = "application/json", body = Object)))]
pub async fn spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

/// Adds the token scheme, and the refusals every operation of a kind can answer with: they
/// come from the extractors and layers every handler shares, not from the handler, so they
/// are added here from what each operation takes rather than written out at each one.
struct Refusals;

impl Modify for Refusals {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "token",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        for item in api.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_refusals(op);
            }
        }
    }
}

fn add_refusals(op: &mut Operation) {
    let mut codes = vec![
        ("408", "The request took longer than the server allows."),
        ("500", "The server failed; nothing unacknowledged was kept."),
    ];
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        codes.push(("401", "No token, or a forged, expired or revoked one."));
        codes.push((
            "403",
            "The clinic's subscription is suspended (code `suspended`; the sentence says why).",
        ));
        codes.push(("429", "This machine sends too many requests."));
    }
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    if json_body {
        codes.push(("400", "The body is not JSON."));
        codes.push(("413", "The body is larger than the server takes."));
        codes.push(("415", "The body is not sent as application/json."));
        codes.push(("422", "The JSON does not fit this request."));
    }
    let reads_params = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Path))
    });
    if reads_params {
        codes.push(("400", "The query or the address does not fit this request."));
    }
    for (code, description) in codes {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build()
                    .into()
            });
    }
}
