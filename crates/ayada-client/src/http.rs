//! The HTTP side: one blocking client, requests with or without a token, and every failure
//! turned into a sentence in both languages that names the server, never a secret.

use std::time::{Duration, Instant};

use ayada_core::replication::SyncSettings;
use ayada_sync::{TokenRequest, TokenResponse};

use ayada_core::Said;

use crate::ClientError as Failure;

/// How long a connection lies idle before the client stops reusing it: under the server's
/// 10 s (its `--header-timeout`, which also closes a connection idle between requests). A
/// push sent on a connection the server was closing that instant failed with "connection
/// closed" (seen with machines pushing every 10 s, docs/BENCHMARKS.md issue #18).
pub const IDLE_REUSE: Duration = Duration::from_secs(5);

pub(crate) fn client() -> Result<reqwest::blocking::Client, Failure> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(IDLE_REUSE)
        .build()
        .map_err(|e| Failure::said(Said::new("client-no-http").with("detail", e)))
}

pub(crate) fn unreachable(server: &str, err: reqwest::Error) -> Failure {
    // The error text names the address and the cause, never a credential or a token.
    let cause = err.without_url().to_string();
    Failure::said(
        Said::new("client-unreachable")
            .with("server", server)
            .with("cause", cause),
    )
}

pub(crate) fn refused(status: reqwest::StatusCode, body: &str) -> Failure {
    let answer = serde_json::from_str::<serde_json::Value>(body).unwrap_or_default();
    let said = answer["error"]
        .as_str()
        .map_or_else(|| status.to_string(), str::to_string);
    // The server's fixed refusals are said in the person's language from the catalogue (in
    // English as the server said them); any other keeps the server's sentence.
    let id = match answer["code"].as_str() {
        Some("bad-login") => "client-refused-bad-login",
        Some("suspended") => "client-refused-suspended",
        Some("ended") if answer["until"].is_string() => "client-refused-ended",
        Some("ended") => "client-refused-ended-deleted",
        Some("totp-required") => "client-refused-totp-required",
        Some("bad-totp") => "client-refused-bad-totp",
        Some("unauthorized") => "client-refused-unauthorized",
        Some("too-many-requests") => "client-refused-too-many-requests",
        Some("too-many-guesses") => "client-refused-too-many-guesses",
        Some("busy") => "client-refused-busy",
        Some("disk-full") => "client-refused-disk-full",
        Some("quota") => "client-refused-quota",
        Some("timeout") => "client-refused-timeout",
        Some("too-large") => "client-refused-too-large",
        Some("internal") => "client-refused-internal",
        _ => "client-refused",
    };
    // How long the server asks a guesser to wait, from its sentence ("… in 15 minutes").
    let minutes = said
        .split_whitespace()
        .find_map(|w| w.parse::<u64>().ok())
        .unwrap_or(15);
    let until = answer["until"].as_str().unwrap_or_default().to_string();
    Failure::said(
        Said::new(id)
            .with("said", said)
            .with("minutes", minutes)
            .with("until", until),
    )
}

pub(crate) fn unexpected(e: serde_json::Error) -> Failure {
    Failure::said(Said::new("client-unexpected").with("detail", e))
}

/// Sends a request and reads its answer's bytes; anything but success is a `Failure`.
fn send(server: &str, req: reqwest::blocking::RequestBuilder) -> Result<Vec<u8>, Failure> {
    let resp = req.send().map_err(|e| unreachable(server, e))?;
    let status = resp.status();
    let bytes = resp.bytes().map_err(|e| unreachable(server, e))?;
    if !status.is_success() {
        return Err(refused(status, &String::from_utf8_lossy(&bytes)));
    }
    Ok(bytes.to_vec())
}

pub(crate) fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    http: &reqwest::blocking::Client,
    server: &str,
    path: &str,
    token: Option<&str>,
    body: &T,
) -> Result<R, Failure> {
    let mut req = http.post(format!("{server}{path}")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    serde_json::from_slice(&send(server, req)?).map_err(unexpected)
}

pub(crate) fn not_enrolled() -> Failure {
    Failure::said(Said::new("client-not-enrolled"))
}

/// A connection to the clinic's server: where, how far this machine got, and a token.
pub(crate) struct Link {
    pub(crate) settings: SyncSettings,
    pub(crate) http: reqwest::blocking::Client,
    pub(crate) token: String,
    expires: Instant,
}

/// A token is renewed a minute before the server would stop honouring it.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl Link {
    /// Exchanges the device credential for a fresh token.
    pub(crate) fn connect(settings: SyncSettings) -> Result<Link, Failure> {
        let http = client()?;
        let token: TokenResponse = post(
            &http,
            &settings.server,
            "/v1/token",
            None,
            &TokenRequest {
                device_credential: settings.device_credential.clone(),
            },
        )?;
        Ok(Link {
            settings,
            http,
            token: token.token,
            expires: Instant::now() + Duration::from_secs(token.expires_in),
        })
    }

    /// Whether the token is about to expire.
    pub(crate) fn stale(&self) -> bool {
        Instant::now() + TOKEN_MARGIN >= self.expires
    }

    pub(crate) fn get_bytes(&self, path: &str) -> Result<Vec<u8>, Failure> {
        let server = &self.settings.server;
        send(
            server,
            self.http
                .get(format!("{server}{path}"))
                .bearer_auth(&self.token),
        )
    }

    pub(crate) fn get<R: serde::de::DeserializeOwned>(&self, path: &str) -> Result<R, Failure> {
        serde_json::from_slice(&self.get_bytes(path)?).map_err(unexpected)
    }

    pub(crate) fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<R, Failure> {
        post(
            &self.http,
            &self.settings.server,
            path,
            Some(&self.token),
            body,
        )
    }

    pub(crate) fn put_bytes(&self, path: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        let server = &self.settings.server;
        send(
            server,
            self.http
                .put(format!("{server}{path}"))
                .bearer_auth(&self.token)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes),
        )
        .map(drop)
    }
}
