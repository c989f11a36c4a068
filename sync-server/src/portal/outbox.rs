//! The durable outbox: every message to a patient is stored before it is sent, sent at most
//! once per event (its idempotency key is unique), paced on the WhatsApp session (WAHA's own
//! advice against bans: spacing with randomness, never bursts; each session on its own),
//! and retried with backoff while WAHA is down or its session is not WORKING. Codes go before
//! reminders.

use std::time::Duration;

use crate::store::{OutMessage, Store, StoreError};
use crate::AppState;

use super::waha::{self, Sent};

/// Tries before a message is given up (with the backoff below, about a day).
pub const MAX_ATTEMPTS: u32 = 12;

/// Seconds to wait after the `attempts`-th failed try: `base`, then double each time (30 s,
/// 1, 2, 4 … minutes by default), at most an hour.
pub fn backoff(base: Duration, attempts: u32) -> i64 {
    ((base.as_secs().max(1) as i64) << attempts.saturating_sub(1).min(7)).min(3600)
}

/// Queues a message for `phone` (E.164); false when its event made one already.
pub fn queue<S: Store>(
    state: &AppState<S>,
    clinic: &str,
    phone: &str,
    kind: &str,
    idem_key: &str,
    text: String,
) -> Result<bool, StoreError> {
    let queued = state.store.enqueue(&OutMessage {
        id: 0,
        clinic: clinic.to_string(),
        chat_id: waha::chat_id(phone),
        text,
        idem_key: idem_key.to_string(),
        kind: kind.to_string(),
        state: "queued".into(),
        attempts: 0,
        next_at: crate::store::unix_now(),
        last_error: None,
        wa_id: None,
        created_at: 0,
    })?;
    if queued {
        state.portal.outbox_wake.notify_one();
    }
    Ok(queued)
}

fn jitter(max_ms: u64) -> Duration {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    Duration::from_millis(u64::from(u16::from_le_bytes(b)) % max_ms.max(1))
}

/// Sends what is due, for as long as the server runs. A message a killed process left
/// "sending" is not sent again (it may have arrived: at most once), and says so.
pub async fn run<S: Store>(state: AppState<S>) {
    let mut swept_at = None;
    let http = state.portal.http.clone();
    // When each WAHA session may send next: each number is paced on its own, so one clinic's
    // reminders never hold another clinic's codes back.
    let mut next_send: std::collections::HashMap<String, tokio::time::Instant> =
        std::collections::HashMap::new();
    loop {
        if swept_at.is_none_or(|at: tokio::time::Instant| at.elapsed() >= INTERRUPTED_AFTER) {
            swept_at = Some(tokio::time::Instant::now());
            sweep_interrupted(&state).await;
        }
        let store = state.store.clone();
        let due = tokio::task::spawn_blocking(move || store.due(crate::store::unix_now(), 20))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        if due.is_empty() {
            tokio::select! {
                _ = state.portal.outbox_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        let mut waited = None;
        for message in due {
            let config = waha_of(&state, &message.clinic).await;
            let session = config
                .as_ref()
                .map_or(String::new(), |c| format!("{}#{}", c.base, c.session));
            let now = tokio::time::Instant::now();
            match next_send.get(&session) {
                Some(at) if *at > now => {
                    // Its session spoke a moment ago: it waits its turn, the others go on.
                    waited = Some(waited.map_or(*at, |w: tokio::time::Instant| w.min(*at)));
                    continue;
                }
                _ => {}
            }
            try_one(&state, &http, message, config).await;
            let pace = state.portal.config.pace;
            next_send.insert(
                session,
                tokio::time::Instant::now() + pace + jitter(pace.as_millis() as u64 / 2 + 1),
            );
        }
        if let Some(at) = waited {
            tokio::time::sleep_until(at).await;
        }
        if next_send.len() > 10_000 {
            next_send.clear();
        }
    }
}

/// How long a message may stay "sending" before it counts as interrupted: far longer than
/// a request to WAHA may take (15 s), so a replica never fails another's send in flight.
const INTERRUPTED_AFTER: Duration = Duration::from_secs(60);

/// Marks the messages a stopped process (this one before a restart, or another replica) left
/// "sending" as failed: they may have arrived, so they are never sent again.
async fn sweep_interrupted<S: Store>(state: &AppState<S>) {
    let store = state.store.clone();
    let before = crate::store::unix_now() - INTERRUPTED_AFTER.as_secs() as i64;
    match tokio::task::spawn_blocking(move || store.interrupted_sends(before)).await {
        Ok(Ok(n)) if n > 0 => tracing::warn!(
            messages = n,
            "messages interrupted while sending were not sent again"
        ),
        Ok(Err(e)) => tracing::error!(error = %e, "the outbox could not sweep interrupted sends"),
        _ => {}
    }
}

/// The WAHA that sends a clinic's messages (its own or the platform's), if any.
async fn waha_of<S: Store>(state: &AppState<S>, clinic: &str) -> Option<waha::WahaConfig> {
    let (store, clinic) = (state.store.clone(), clinic.to_string());
    let portal = state.portal.clone();
    tokio::task::spawn_blocking(move || portal.waha_for(&*store, &clinic))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
}

async fn try_one<S: Store>(
    state: &AppState<S>,
    http: &reqwest::Client,
    mut m: OutMessage,
    config: Option<waha::WahaConfig>,
) {
    m.attempts += 1;
    let Some(config) = config else {
        m.next_at = crate::store::unix_now() + 60;
        m.last_error = Some("no WAHA is configured on this server".into());
        m.attempts -= 1;
        save(state, m).await;
        return;
    };
    // Claimed before the request: another replica never sends it too, and if this process
    // dies during the request, the message is not sent again.
    m.state = "sending".into();
    let (store, claimed) = (state.store.clone(), m.clone());
    match tokio::task::spawn_blocking(move || store.claim(&claimed)).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return,
        _ => {
            tracing::error!(message = m.id, "the outbox could not claim a message");
            return;
        }
    }
    match waha::send(http, &config, &m.chat_id, &m.text).await {
        Sent::Yes(id) => {
            m.state = "sent".into();
            m.wa_id = Some(id);
            m.last_error = None;
            tracing::info!(message = m.id, kind = %m.kind, "message sent");
        }
        Sent::Later(why) => {
            tracing::warn!(message = m.id, kind = %m.kind, attempts = m.attempts, reason = %why, "message not sent");
            m.last_error = Some(why);
            if m.attempts >= MAX_ATTEMPTS {
                m.state = "failed".into();
            } else {
                m.state = "queued".into();
                m.next_at =
                    crate::store::unix_now() + backoff(state.portal.config.retry_base, m.attempts);
            }
        }
    }
    save(state, m).await;
}

async fn save<S: Store>(state: &AppState<S>, m: OutMessage) {
    let store = state.store.clone();
    let id = m.id;
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.message_tried(&m)).await {
        tracing::error!(message = id, error = %e, "the outbox could not record a try");
    }
}

/// `GET /v1/messages`: the clinic's latest messages to its patients as the owner sees them
/// (kind, state, tries, the number's last digits; never the text, which may hold a code).
#[utoipa::path(get, path = "/v1/messages", tag = "portal", security(("token" = [])),
    responses((status = 200, description = "The clinic's latest 200 messages to patients, newest first.", body = ayada_sync::OutboxList)))]
pub async fn messages<S: Store>(
    axum::extract::State(state): axum::extract::State<AppState<S>>,
    machine: crate::auth::Machine,
) -> Result<axum::Json<ayada_sync::OutboxList>, crate::error::ApiError> {
    let store = state.store.clone();
    let listed = tokio::task::spawn_blocking(move || store.messages(&machine.clinic, 200))
        .await
        .map_err(|_| crate::error::ApiError::Internal)??;
    Ok(axum::Json(ayada_sync::OutboxList {
        version: ayada_sync::messages::PROTOCOL_VERSION,
        messages: listed
            .into_iter()
            .map(|m| {
                let digits = m.chat_id.trim_end_matches("@c.us");
                ayada_sync::OutboxEntry {
                    kind: m.kind,
                    state: m.state,
                    attempts: m.attempts,
                    last_error: m.last_error,
                    queued_at: m.created_at,
                    to: format!("…{}", &digits[digits.len().saturating_sub(3)..]),
                }
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), 30);
        assert_eq!(backoff(base, 2), 60);
        assert_eq!(backoff(base, 5), 480);
        assert_eq!(backoff(base, 11), 3600);
    }
}
