//! Email to owners through Resend's HTTP API (`POST /emails`): every message is kept in the
//! platform database before it is sent, sent with its event's idempotency key (a retry after
//! a crash or a timeout is never a second email), retried with the WhatsApp outbox's backoff
//! while Resend fails or asks to wait (429 `retry-after`), and given up on a refusal that no
//! retry mends (a wrong key, a rejected address). The console lists each one's state, never
//! its body: an invitation holds a one-time link.

use std::time::Duration;

use crate::portal::outbox::{backoff, MAX_ATTEMPTS};
use crate::store::{unix_now, Email, EmailOutcome, Store, StoreError};
use crate::AppState;

/// Where and as whom the platform sends email.
#[derive(Clone)]
pub struct ResendConfig {
    /// Resend's base URL ("https://api.resend.com"; a fake in the tests).
    pub base: String,
    /// The API key (`re_…`), from AYADA_RESEND_KEY only.
    pub key: String,
    /// The sender ("Ayada <no-reply@example.com>").
    pub from: String,
}

impl std::fmt::Debug for ResendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches a log.
        f.debug_struct("ResendConfig")
            .field("base", &self.base)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// The platform's mail: its configuration (None: emails wait in the table until one is
/// given) and the wake-up of its sender.
#[derive(Default)]
pub struct Mail {
    /// Resend, when configured.
    pub resend: Option<ResendConfig>,
    /// Wakes the sender when an email is queued.
    pub wake: tokio::sync::Notify,
    /// The first wait after a failed try (it doubles, up to an hour).
    pub retry_base: Duration,
}

impl Mail {
    /// Mail through `resend`.
    pub fn new(resend: Option<ResendConfig>) -> Mail {
        Mail {
            resend,
            wake: tokio::sync::Notify::new(),
            retry_base: Duration::from_secs(30),
        }
    }
}

/// Queues an email; false when its event queued one already.
pub fn queue<S: Store>(
    state: &AppState<S>,
    to: &str,
    kind: &str,
    idem_key: &str,
    subject: String,
    body: String,
) -> Result<bool, StoreError> {
    let queued = state.store.queue_email(&Email::queued(
        to,
        kind,
        idem_key,
        subject,
        body,
        unix_now(),
    ))?;
    if queued {
        state.mail.wake.notify_one();
    }
    Ok(queued)
}

/// Queues an email in both languages (Arabic first, then English, in one message: the
/// owner's language is not known on the server), its subject and body the catalogue's
/// `{id}-subject` and `{id}-body` with `args`; `id` is also its kind.
pub fn queue_bilingual<S: Store>(
    state: &AppState<S>,
    to: &str,
    kind: &str,
    id: &str,
    idem_key: &str,
    args: &[(&str, fluent_bundle::FluentValue<'_>)],
) -> Result<bool, StoreError> {
    use crate::portal::words::{say, Lang};
    let both = |part: &str, join: &str| {
        let id = format!("{id}-{part}");
        format!(
            "{}{join}{}",
            say(Lang::Ar, &id, args),
            say(Lang::En, &id, args)
        )
    };
    queue(
        state,
        to,
        kind,
        idem_key,
        both("subject", " / "),
        both("body", "\n\n"),
    )
}

/// What one try came to.
enum Tried {
    /// Resend took it: its id.
    Sent(String),
    /// Try again after this many seconds (Resend said when), or after the backoff.
    Later(Option<i64>, String),
    /// Resend refused it for good.
    Refused(String),
}

async fn send(http: &reqwest::Client, resend: &ResendConfig, email: &Email) -> Tried {
    let body = serde_json::json!({
        "from": resend.from, "to": [email.to], "subject": email.subject, "text": email.body,
        "tags": [{ "name": "kind", "value": email.kind }],
    });
    let response = http
        .post(format!("{}/emails", resend.base.trim_end_matches('/')))
        .bearer_auth(&resend.key)
        .header(
            reqwest::header::USER_AGENT,
            concat!("ayada-server/", env!("CARGO_PKG_VERSION")),
        )
        .header("Idempotency-Key", &email.idem_key)
        .json(&body)
        .timeout(Duration::from_secs(20))
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        // The error names the address, never the key.
        Err(e) => return Tried::Later(None, format!("Resend unreachable: {}", e.without_url())),
    };
    let status = response.status();
    let wait = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    let said = format!(
        "{} {}: {}",
        status.as_u16(),
        answer["name"].as_str().unwrap_or_default(),
        answer["message"].as_str().unwrap_or_default()
    );
    match status.as_u16() {
        200 => match answer["id"].as_str() {
            Some(id) => Tried::Sent(id.to_string()),
            None => Tried::Later(None, format!("{said} (no id)")),
        },
        // Rate or quota: wait as told. 409 concurrent use of the key: the other try decides.
        429 | 409 => Tried::Later(wait, said),
        s if s >= 500 => Tried::Later(wait, said),
        _ => Tried::Refused(said),
    }
}

/// Sends what is due, for as long as the server runs.
pub async fn run<S: Store>(state: AppState<S>) {
    let http = reqwest::Client::new();
    loop {
        let Some(resend) = state.mail.resend.clone() else {
            // Nothing can go until Resend is configured: the emails wait in the table.
            return;
        };
        let st = state.clone();
        let due = tokio::task::spawn_blocking(move || st.store.due_emails(unix_now(), 20)).await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the email outbox could not be read");
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        for email in &due {
            let attempts = email.attempts + 1;
            let outcome = match send(&http, &resend, email).await {
                Tried::Sent(id) => {
                    tracing::info!(email = email.id, kind = %email.kind, "email sent");
                    EmailOutcome {
                        state: "sent".into(),
                        attempts,
                        next_at: 0,
                        last_error: None,
                        resend_id: Some(id),
                    }
                }
                Tried::Later(wait, why) if attempts < MAX_ATTEMPTS => {
                    tracing::warn!(email = email.id, kind = %email.kind, %why, "email to be tried again");
                    let wait = wait.unwrap_or_else(|| backoff(state.mail.retry_base, attempts));
                    EmailOutcome {
                        state: "queued".into(),
                        attempts,
                        next_at: unix_now() + wait.clamp(1, 3600),
                        last_error: Some(why),
                        resend_id: None,
                    }
                }
                Tried::Later(_, why) | Tried::Refused(why) => {
                    tracing::error!(email = email.id, kind = %email.kind, %why, "email given up");
                    EmailOutcome {
                        state: "failed".into(),
                        attempts,
                        next_at: 0,
                        last_error: Some(why),
                        resend_id: None,
                    }
                }
            };
            let (st, id) = (state.clone(), email.id);
            let kept =
                tokio::task::spawn_blocking(move || st.store.email_tried(id, &outcome)).await;
            if !matches!(kept, Ok(Ok(()))) {
                tracing::error!(email = email.id, "an email's outcome could not be kept");
            }
        }
        if due.is_empty() {
            // A queued email wakes the sender; a retry's time is at most a minute away.
            let _ = tokio::time::timeout(Duration::from_secs(1), state.mail.wake.notified()).await;
        }
    }
}
