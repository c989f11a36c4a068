//! ayada-server as a library: the router is a function of its state, so tests drive it with
//! `oneshot` and as a real process alike. Sync, the booking portal and the admin console
//! are added by their issues (#3 and later); this holds the service's skeleton: health,
//! structured logs and graceful shutdown.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// What the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the per-clinic databases and the platform database.
    pub data: PathBuf,
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    protocol: u16,
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        protocol: ayada_sync::messages::PROTOCOL_VERSION,
    })
}

/// The HTTP routes.
pub fn router(_config: Config) -> Router {
    Router::new().route("/v1/health", get(health))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn health_reports_the_protocol_version() {
        let app = router(Config {
            data: PathBuf::from("."),
        });
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
}
