//! A fake WAHA (WhatsApp HTTP API) speaking real HTTP on a loopback port: it accepts only what
//! a real WAHA accepts (`POST /api/sendText` with the `X-Api-Key` header and JSON `{session,
//! chatId, text}`, see ../shared/SERVICES.md), answers as WAHA does (201 with the message and
//! its id; 401 for a wrong key; 404 for an unknown session; 422 while the session is not
//! WORKING), records what it was sent, and can be switched to fail.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

pub const KEY: &str = "waha-test-key";
pub const SESSION: &str = "default";

/// A message WAHA took.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When it arrived.
    pub at: Instant,
    pub id: String,
    pub chat_id: String,
    pub text: String,
}

#[derive(Default)]
struct Inner {
    sent: Mutex<Vec<Sent>>,
    /// 0: working; else the status every send is answered with (422, 500).
    failing: AtomicU16,
    refused: Mutex<Vec<u16>>,
}

/// The running fake; stops with the test process.
#[derive(Clone)]
pub struct FakeWaha {
    pub url: String,
    inner: Arc<Inner>,
}

async fn send_text(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    let refuse = |status: StatusCode, body: Value| {
        inner.refused.lock().unwrap().push(status.as_u16());
        (status, Json(body))
    };
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Unauthorized", "statusCode": 401}),
        );
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            json!({"message": "Bad JSON", "statusCode": 400}),
        );
    };
    if !is_json {
        return refuse(
            StatusCode::BAD_REQUEST,
            json!({"message": "Bad content type", "statusCode": 400}),
        );
    }
    if request["session"] != SESSION {
        return refuse(
            StatusCode::NOT_FOUND,
            json!({"message": "Session not found", "statusCode": 404}),
        );
    }
    let failing = inner.failing.load(Ordering::SeqCst);
    if failing == 422 {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": "Session status is not as expected", "status": "STARTING", "expected": ["WORKING"]}),
        );
    }
    if failing != 0 {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": "Internal", "statusCode": failing}),
        );
    }
    let chat = request["chatId"].as_str().unwrap_or_default();
    let digits = chat.strip_suffix("@c.us").unwrap_or_default();
    let text = request["text"].as_str().unwrap_or_default();
    if !(8..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || text.is_empty()
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            json!({"message": "chatId and text are required", "statusCode": 400}),
        );
    }
    let mut sent = inner.sent.lock().unwrap();
    let id = format!("true_{chat}_{:016X}", sent.len() + 1);
    sent.push(Sent {
        at: Instant::now(),
        id: id.clone(),
        chat_id: chat.to_string(),
        text: text.to_string(),
    });
    (
        StatusCode::CREATED,
        Json(
            json!({"id": id, "timestamp": 1764300000, "ack": 1, "ackName": "SERVER", "body": text}),
        ),
    )
}

/// `GET /api/contacts/check-exists?phone=…&session=…`: every number uses WhatsApp except
/// those ending in 0000 (a landline-like number the tests use).
async fn check_exists(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        inner.refused.lock().unwrap().push(401);
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Unauthorized", "statusCode": 401})),
        );
    }
    if q.get("session").map(String::as_str) != Some(SESSION) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Session not found", "statusCode": 404})),
        );
    }
    let phone = q.get("phone").cloned().unwrap_or_default();
    let exists = !phone.ends_with("0000");
    (
        StatusCode::OK,
        Json(json!({"numberExists": exists, "chatId": format!("{phone}@c.us")})),
    )
}

impl FakeWaha {
    /// Starts it on a loopback port chosen by the OS.
    pub fn start() -> FakeWaha {
        let inner = Arc::new(Inner::default());
        let state = inner.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = Router::new()
                    .route("/api/sendText", post(send_text))
                    .route(
                        "/api/contacts/check-exists",
                        axum::routing::get(check_exists),
                    )
                    .with_state(state);
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        FakeWaha {
            url: format!("http://{addr}"),
            inner,
        }
    }

    /// Every send from now on is answered with `status` (422: the session is not WORKING;
    /// 500: WAHA is broken); 0 makes it work again.
    pub fn fail_with(&self, status: u16) {
        self.inner.failing.store(status, Ordering::SeqCst);
    }

    /// The messages taken so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.inner.sent.lock().unwrap().clone()
    }

    /// The statuses of the sends it refused.
    pub fn refused(&self) -> Vec<u16> {
        self.inner.refused.lock().unwrap().clone()
    }

    /// The messages sent to `chat` ("201012345678@c.us").
    pub fn to(&self, chat: &str) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|m| m.chat_id == chat)
            .collect()
    }

    /// Waits (up to `secs`) for a message to `chat` whose text has `needle`, and returns it.
    pub fn wait_for(&self, chat: &str, needle: &str, secs: u64) -> Sent {
        let start = Instant::now();
        loop {
            if let Some(m) = self
                .to(chat)
                .into_iter()
                .rev()
                .find(|m| m.text.contains(needle))
            {
                return m;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "no message with {needle:?} to {chat} within {secs} s; sent: {:?}",
                self.to(chat).iter().map(|m| &m.text).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The 6-digit code in a code message.
pub fn code_in(text: &str) -> String {
    let digits: Vec<char> = text.chars().collect();
    digits
        .windows(6)
        .map(|w| w.iter().collect::<String>())
        .find(|w| w.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text:?}"))
}
