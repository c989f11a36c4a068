//! WhatsApp through WAHA's HTTP API, as `../shared/SERVICES.md` describes it: `POST
//! {base}/api/sendText` with `X-Api-Key`, and the `message.ack` webhook signed with HMAC-SHA512.
//! The key and the messages' text never reach a log (a code is in the text).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Mac, SimpleHmac};
use sha2::Sha512;

use crate::store::Store;
use crate::AppState;

/// Where the platform's WAHA is.
#[derive(Clone)]
pub struct WahaConfig {
    /// Its base URL ("http://waha:3000").
    pub base: String,
    /// Its API key.
    pub key: String,
    /// The session (the linked number): "default" on WAHA Core.
    pub session: String,
}

impl std::fmt::Debug for WahaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WahaConfig")
            .field("base", &self.base)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// What became of one try to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// WAHA took it: its message id.
    Yes(String),
    /// Not sent; worth trying again later (WAHA down, session not WORKING, a bad key the
    /// operator will fix): why, without any secret.
    Later(String),
}

/// The chat id of an E.164 number: "+201001234567" → "201001234567@c.us".
pub fn chat_id(e164: &str) -> String {
    format!("{}@c.us", e164.trim_start_matches('+'))
}

/// Sends `text` to `chat`.
pub async fn send(http: &reqwest::Client, waha: &WahaConfig, chat: &str, text: &str) -> Sent {
    let url = format!("{}/api/sendText", waha.base.trim_end_matches('/'));
    let body = serde_json::json!({ "session": waha.session, "chatId": chat, "text": text });
    let response = match http
        .post(&url)
        .header("X-Api-Key", &waha.key)
        .json(&body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                "WAHA did not answer in time"
            } else {
                "WAHA could not be reached"
            };
            return Sent::Later(why.into());
        }
    };
    let status = response.status();
    if status == reqwest::StatusCode::CREATED || status == reqwest::StatusCode::OK {
        let json: serde_json::Value = response.json().await.unwrap_or_default();
        // WAHA's id is a string, or (some engines) an object whose `_serialized` is it.
        let id = json["id"]
            .as_str()
            .or_else(|| json["id"]["_serialized"].as_str())
            .unwrap_or_default()
            .to_string();
        return Sent::Yes(id);
    }
    Sent::Later(match status.as_u16() {
        401 => "WAHA refused the API key (401)".into(),
        404 => format!("WAHA has no session {:?} (404)", waha.session),
        422 => "the WhatsApp session is not WORKING (422)".into(),
        code => format!("WAHA answered {code}"),
    })
}

/// Whether `e164` uses WhatsApp (`GET {base}/api/contacts/check-exists`), asked before the
/// first message to a number (WAHA's advice: messages to numbers without WhatsApp get a
/// sender banned); None when WAHA could not say (down, not WORKING): the outbox then tries.
pub async fn number_exists(http: &reqwest::Client, waha: &WahaConfig, e164: &str) -> Option<bool> {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    // A session name is the operator's ([A-Za-z0-9_-] in WAHA); anything else is encoded.
    let session: String = waha
        .session
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let url = format!(
        "{}/api/contacts/check-exists?phone={digits}&session={session}",
        waha.base.trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .header("X-Api-Key", &waha.key)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let json: serde_json::Value = response.json().await.ok()?;
    json["numberExists"].as_bool()
}

/// The delivery state a `message.ack` reports.
pub fn ack_state(ack: i64) -> Option<&'static str> {
    match ack {
        -1 => Some("failed"),
        1 => Some("sent"),
        2 => Some("delivered"),
        3 | 4 => Some("read"),
        _ => None,
    }
}

/// Whether `body` carries WAHA's signature made with `key`.
pub fn signed(key: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = SimpleHmac::<Sha512>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// `POST /v1/waha/webhook`: WAHA's delivery reports. Refused unless signed with the
/// configured key (a forged report could mark an unsent code delivered).
pub async fn webhook<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(key) = state.portal.config.webhook_hmac_key.as_deref() else {
        return StatusCode::UNAUTHORIZED;
    };
    let signature = headers
        .get("x-webhook-hmac")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !signed(key, &body, signature) {
        tracing::warn!("WAHA webhook with a wrong or missing signature: refused");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if event["event"] != "message.ack" {
        return StatusCode::OK;
    }
    let payload = &event["payload"];
    let (Some(id), Some(state_name)) = (
        payload["id"].as_str().map(str::to_string),
        payload["ack"].as_i64().and_then(ack_state),
    ) else {
        return StatusCode::OK;
    };
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.message_ack(&id, state_name)).await {
        Ok(Ok(_)) => StatusCode::OK,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_signature_is_hmac_sha512_of_the_raw_body() {
        let body = br#"{"event":"message.ack","payload":{"id":"x","ack":3}}"#;
        let mut mac = SimpleHmac::<Sha512>::new_from_slice(b"hook-key").unwrap();
        mac.update(body);
        let good = hex::encode(mac.finalize().into_bytes());
        assert!(signed("hook-key", body, &good));
        assert!(!signed("other-key", body, &good));
        assert!(!signed("hook-key", b"{}", &good));
        assert!(!signed("hook-key", body, "not hex"));
        assert_eq!(chat_id("+201001234567"), "201001234567@c.us");
    }
}
