//! "New changes exist": a WebSocket per connected machine, told the clinic's log head each
//! time another machine's push adds changes, so a check-in at the front desk reaches the
//! exam room within a second instead of at the next poll.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use ayada_sync::Notice;
use tokio::sync::{broadcast, watch};

use crate::auth::{Machine, TOKEN_SECONDS};
use crate::store::Store;
use crate::AppState;

/// What a clinic's listeners are told.
#[derive(Debug, Clone)]
enum Event {
    /// The log now ends at `head`, after a push of machine `from`.
    Head { head: u64, from: String },
    /// Machine `node` was revoked: its sockets close at once.
    Revoked { node: String },
}

/// The listeners of every clinic, and the server's "stopping" flag.
pub struct Notices {
    clinics: Mutex<HashMap<String, broadcast::Sender<Event>>>,
    stop: watch::Sender<bool>,
}

impl Default for Notices {
    fn default() -> Self {
        Notices {
            clinics: Mutex::new(HashMap::new()),
            stop: watch::channel(false).0,
        }
    }
}

impl Notices {
    fn subscribe(&self, clinic: &str) -> broadcast::Receiver<Event> {
        let mut map = self.clinics.lock().expect("notices poisoned");
        map.entry(clinic.to_string())
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// Tells the clinic's listening machines, except `from` (whose push it was), that its
    /// log now ends at `head`.
    pub fn notify(&self, clinic: &str, from: &str, head: u64) {
        self.send(
            clinic,
            Event::Head {
                head,
                from: from.to_string(),
            },
        );
    }

    /// Closes every socket machine `node` of `clinic` holds open (it was just revoked).
    pub fn revoked(&self, clinic: &str, node: &str) {
        self.send(
            clinic,
            Event::Revoked {
                node: node.to_string(),
            },
        );
    }

    fn send(&self, clinic: &str, event: Event) {
        let map = self.clinics.lock().expect("notices poisoned");
        if let Some(tx) = map.get(clinic) {
            // No listener is not an error: machines pull when they come back.
            let _ = tx.send(event);
        }
    }

    /// Ends every open WebSocket (the server is shutting down; a graceful shutdown would
    /// otherwise wait for them forever).
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

/// How often an idle socket is pinged, so a dead connection is noticed on both sides.
const PING_EVERY: Duration = Duration::from_secs(20);

/// `GET /v1/events`: upgrades to a WebSocket that carries a [`Notice`] after each push of
/// another machine of the caller's clinic. It closes when the caller's token would have
/// expired; the machine reconnects with a fresh one.
pub async fn events<S: Store>(
    State(state): State<AppState<S>>,
    machine: Machine,
    ws: WebSocketUpgrade,
) -> Response {
    let notices = state.notices.subscribe(&machine.clinic);
    let stop = state.notices.stop.subscribe();
    tracing::debug!(clinic = %machine.clinic, node = %machine.node, "listening for changes");
    ws.on_upgrade(move |socket| listen(socket, machine.node, notices, stop))
}

async fn listen(
    mut socket: WebSocket,
    node: String,
    mut notices: broadcast::Receiver<Event>,
    mut stop: watch::Receiver<bool>,
) {
    let expiry = tokio::time::sleep(Duration::from_secs(TOKEN_SECONDS));
    tokio::pin!(expiry);
    let mut ping = tokio::time::interval(PING_EVERY);
    loop {
        let head = tokio::select! {
            n = notices.recv() => match n {
                Ok(Event::Revoked { node: revoked }) if revoked == node => break,
                Ok(Event::Revoked { .. }) => continue,
                Ok(Event::Head { from, .. }) if from == node => continue,
                Ok(Event::Head { head, .. }) => head,
                // Missed some (a revocation among them, perhaps): "pull" once, and the pull
                // finds out whether this machine may still sync; a revoked one is refused.
                Err(broadcast::error::RecvError::Lagged(_)) => 0,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
                continue;
            }
            _ = stop.changed() => break,
            _ = &mut expiry => break,
        };
        let text = serde_json::to_string(&Notice { head }).unwrap_or_default();
        if socket.send(Message::Text(text.into())).await.is_err() {
            break;
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
