//! The WebSocket on which the server says "new changes exist": a thread that reads it and
//! nudges the sync loop, and tells the loop when the socket is gone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::Message;

use crate::sync_loop::Nudge;

/// The server pings every 20 s; a socket silent for this long is dead.
const SILENCE: Duration = Duration::from_secs(60);
/// How often the reading thread looks whether the loop has stopped.
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// Opens the socket with `token` and reads it on its own thread until it closes, sending
/// `Nudge::Remote` for each notice and `Nudge::WatchLost` at the end. Fails if the socket
/// cannot be opened.
pub(crate) fn spawn(
    server: &str,
    token: &str,
    nudges: Sender<Nudge>,
    stopped: Arc<AtomicBool>,
) -> Result<(), String> {
    let url = match server.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}/v1/events"),
        Some((_, rest)) => format!("ws://{rest}/v1/events"),
        None => return Err("the server address has no scheme".into()),
    };
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| "the token is not a valid header".to_string())?;
    request.headers_mut().insert("authorization", bearer);
    let (mut socket, _) = tungstenite::connect(request).map_err(|e| match e {
        // The answer's body can carry the server's sentence; the token is never in it.
        tungstenite::Error::Http(resp) => format!("refused with {}", resp.status()),
        other => other.to_string(),
    })?;
    let timeout = Some(LOOK_EVERY);
    match socket.get_mut() {
        MaybeTlsStream::Plain(s) => s.set_read_timeout(timeout),
        MaybeTlsStream::Rustls(s) => s.get_mut().set_read_timeout(timeout),
        _ => Ok(()),
    }
    .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("ayada-sync-watch".into())
        .spawn(move || {
            let mut heard = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                match socket.read() {
                    Ok(Message::Text(_)) => {
                        heard = Instant::now();
                        if nudges.send(Nudge::Remote).is_err() {
                            break; // the loop has stopped
                        }
                    }
                    Ok(Message::Close(_)) => break,
                    // Pings are answered by tungstenite itself as it reads.
                    Ok(_) => heard = Instant::now(),
                    Err(tungstenite::Error::Io(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) && heard.elapsed() < SILENCE => {}
                    Err(_) => break,
                }
            }
            let _ = socket.close(None);
            let _ = nudges.send(Nudge::WatchLost);
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}
