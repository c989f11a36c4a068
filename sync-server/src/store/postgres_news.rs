//! News between replicas on one PostgreSQL: each append that added changes sends
//! `NOTIFY ayada_heads` inside its transaction (delivered at commit, never for a rollback),
//! and so does each revocation; every replica listens on a connection of its own to tell
//! its machines' WebSockets (and to close a revoked machine's).
//! A wake-up only, over the durable log: a listener that loses its connection reconnects,
//! and machines that missed a notice still pull on their own schedule.

use std::time::Duration;

use r2d2_postgres::postgres::fallible_iterator::FallibleIterator;
use r2d2_postgres::postgres::{Client, Config, NoTls};

use super::{Heard, News, StoreError};

/// The channel's name.
pub(super) const CHANNEL: &str = "ayada_heads";

/// The listener connection's `application_name`.
pub const APPLICATION: &str = "ayada-replica-news";

/// The payload is "replica clinic machine head" or "replica clinic machine revoked" (ids
/// have no spaces): this is all of it but the last word, which the append's SQL adds.
pub(super) fn prefix(replica: &str, clinic: &str, node: &str) -> String {
    format!("{replica} {clinic} {node} ")
}

/// The last word of a revocation's news.
pub(super) const REVOKED: &str = "revoked";

fn parse(payload: &str) -> Option<(&str, &str, &str, News)> {
    let mut parts = payload.split(' ');
    let (from, clinic, node, last) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let said = match last {
        REVOKED => News::Revoked,
        head => News::Head(head.parse().ok()?),
    };
    parts.next().is_none().then_some((from, clinic, node, said))
}

/// Starts the listener thread; fails only if the first connection cannot be made.
pub(super) fn listen(url: String, replica: String, heard: Heard) -> Result<(), StoreError> {
    let first = connect(&url)?;
    std::thread::Builder::new()
        .name("ayada-pg-news".into())
        .spawn(move || {
            let mut client = Some(first);
            loop {
                let mut c = match client.take() {
                    Some(c) => c,
                    None => {
                        std::thread::sleep(Duration::from_secs(1));
                        match connect(&url) {
                            Ok(c) => {
                                heard("", "", News::Lost(false));
                                c
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "replica news: reconnecting");
                                continue;
                            }
                        }
                    }
                };
                if hear(&mut c, &replica, &heard) {
                    client = Some(c);
                } else {
                    heard("", "", News::Lost(true));
                }
            }
        })?;
    Ok(())
}

/// Passes on the news until 30 s pass quietly; false if the connection is gone.
fn hear(c: &mut Client, replica: &str, heard: &Heard) -> bool {
    {
        let mut notifications = c.notifications();
        let mut iter = notifications.timeout_iter(Duration::from_secs(30));
        loop {
            match iter.next() {
                Ok(Some(n)) => match parse(n.payload()) {
                    Some((from, clinic, node, said)) if from != replica => {
                        heard(clinic, node, said)
                    }
                    Some(_) => {}
                    None => tracing::warn!("replica news: an item of another shape"),
                },
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "replica news: connection lost");
                    return false;
                }
            }
        }
    }
    // Quiet for a while: is the connection still there?
    !c.is_closed() && c.batch_execute("SELECT 1").is_ok()
}

fn connect(url: &str) -> Result<Client, StoreError> {
    // Named, so an operator (or a test) can tell the listener among the connections.
    let mut client = url
        .parse::<Config>()?
        .application_name(APPLICATION)
        .connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}
