//! Drives the replication core ([`ayada_sync::replica::Round`]) against this machine's clinic
//! and one peer: the sync server over HTTP, a machine of the clinic over the LAN, or a test
//! network. This module only carries out what the core asks; which changes go, when a
//! cursor moves and what a peer's answer may say are decided there.

use ayada_core::replication::{IncomingChange, SERVER_PEER};
use ayada_core::{Clinic, Said};
use ayada_sync::replica::{Cursors, Do, Event, Report, Request, Response, Round};
use ayada_sync::WireChange;

use crate::{ClientError as Failure, ClinicAccess};

/// The other side of a round: it answers requests and exchanges photos.
pub trait Peer {
    /// Sends one request and waits for its answer.
    fn ask(&mut self, request: Request) -> Result<Response, Failure>;
    /// Sends the photos made here that this peer lacks; answers how many.
    fn send_photos(&mut self, access: &dyn Access) -> Result<usize, Failure>;
    /// Fetches the photos this machine lacks from this peer; answers how many.
    fn fetch_photos(&mut self, access: &dyn Access) -> Result<usize, Failure>;
}

/// [`ClinicAccess`] as an object, for a [`Peer`]'s photos.
pub trait Access {
    /// Runs `f` on the clinic.
    fn run(&self, f: &mut dyn FnMut(&mut Clinic) -> Result<(), Failure>) -> Result<(), Failure>;
}

impl<A: ClinicAccess + ?Sized> Access for A {
    fn run(&self, f: &mut dyn FnMut(&mut Clinic) -> Result<(), Failure>) -> Result<(), Failure> {
        self.with(f)
    }
}

/// Who the peer is, as this machine's log and cursors know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// The clinic's sync server.
    Server,
    /// Another machine of the clinic, by its node id.
    Machine(String),
}

impl Side {
    /// The name the log files this peer's changes under.
    fn name(&self) -> &str {
        match self {
            Side::Server => SERVER_PEER,
            Side::Machine(node) => node,
        }
    }

    fn cursors(&self, clinic: &Clinic) -> Result<Cursors, Failure> {
        Ok(match self {
            Side::Server => {
                let s = clinic
                    .sync_settings()?
                    .ok_or_else(crate::http::not_enrolled)?;
                Cursors {
                    sent: s.pushed as u64,
                    received: s.pulled,
                }
            }
            Side::Machine(node) => {
                let (sent, received) = clinic.peer_cursors(node)?;
                Cursors { sent, received }
            }
        })
    }

    fn save(&self, clinic: &mut Clinic, cursors: Cursors) -> Result<(), Failure> {
        match self {
            Side::Server => {
                // Read again, not remembered: only the cursors change, never the credential.
                let mut s = clinic
                    .sync_settings()?
                    .ok_or_else(crate::http::not_enrolled)?;
                s.pushed = cursors.sent as i64;
                s.pulled = cursors.received;
                clinic.set_sync_settings(&s)?;
            }
            Side::Machine(node) => clinic.set_peer_cursors(node, cursors.sent, cursors.received)?,
        }
        Ok(())
    }
}

/// The most changes one request pulls.
pub const PULL_PAGE: u32 = 500;

/// Progress of a bootstrap: documents loaded so far, of how many.
pub type OnBootstrap<'a> = &'a mut dyn FnMut(u64, u64);

/// One round with `peer`: whatever the core asks, carried out on the clinic (held only
/// between network calls) or sent to the peer. `batch` changes go in one push, and as many
/// (at most [`PULL_PAGE`]) come in one page.
pub fn drive<A: ClinicAccess>(
    access: &A,
    peer: &mut dyn Peer,
    side: &Side,
    batch: usize,
    on_bootstrap: OnBootstrap<'_>,
) -> Result<Report, Failure> {
    let name = side.name();
    let (cursors, empty_here) = access.with(&mut |c| {
        let empty = c.log_head()? == 0 && c.document_count()? == 0;
        Ok((side.cursors(c)?, empty))
    })?;
    let page = u32::try_from(batch)
        .unwrap_or(PULL_PAGE)
        .clamp(1, PULL_PAGE);
    let mut round = Round::new(cursors, batch, page);
    let mut event = Event::Start { empty_here };
    loop {
        let action = round.step(event).map_err(broken)?;
        event = match action {
            Do::Send(request) => Event::Answered(peer.ask(request)?),
            Do::Read { after, limit } => access.with(&mut |c| {
                let after = after as i64;
                let logged = c.changes_for(name, after, limit)?;
                let last = logged.last().map_or(after, |l| l.seq);
                let pending = c.count_for(name, last)?;
                // The audit head is the sync server's to keep, not another machine's.
                let audit = match side {
                    Side::Server => {
                        let (count, hash) = c.audit_head()?;
                        Some(ayada_sync::AuditHead { count, hash })
                    }
                    Side::Machine(_) => None,
                };
                let changes = logged
                    .into_iter()
                    .map(|l| {
                        let wire = WireChange {
                            doc_id: l.doc_id,
                            hash: l.hash,
                            bytes: l.bytes,
                        };
                        (l.seq as u64, wire)
                    })
                    .collect();
                Ok(Event::Read {
                    changes,
                    pending,
                    audit,
                })
            })?,
            Do::Apply(changes) => {
                let incoming: Vec<IncomingChange> = changes
                    .into_iter()
                    .map(|c| IncomingChange {
                        doc_id: c.doc_id,
                        hash: c.hash,
                        bytes: c.bytes,
                    })
                    .collect();
                let report = access.with(&mut |c| Ok(c.apply_changes_from(&incoming, name)?))?;
                Event::Applied {
                    new: report.new,
                    held: report.held,
                }
            }
            Do::Load(docs) => {
                let docs: Vec<(String, Vec<u8>)> =
                    docs.into_iter().map(|d| (d.doc_id, d.bytes)).collect();
                access.with(&mut |c| Ok(c.load_server_docs(&docs)?))?;
                on_bootstrap(round.report().bootstrapped, round.report().bootstrap_total);
                Event::Loaded
            }
            Do::Save(cursors) => {
                access.with(&mut |c| side.save(c, cursors))?;
                Event::Saved
            }
            Do::SendPhotos => Event::PhotosSent(peer.send_photos(access)?),
            Do::FetchPhotos => Event::PhotosFetched(peer.fetch_photos(access)?),
            Do::Done(report) => return Ok(report),
        };
    }
}

/// A peer that broke the protocol, said in the person's language.
fn broken(e: ayada_sync::replica::Broken) -> Failure {
    Failure::said(Said::new("client-unexpected").with("detail", e))
}

/// Asks a peer for one photo by name: its bytes, or None when the peer does not hold it.
pub(crate) type Fetch<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, Failure> + 'a;

/// Fetches the photos this machine lacks, at most [`PHOTOS_PER_ROUND`], one `fetch` each
/// (None: the peer does not hold it yet). Not there yet or damaged (refused by the clinic's
/// checks), a photo stays wanted and the round goes on. One from the sync server is known to
/// be held there; one from another machine is sent to the server too.
pub(crate) fn fetch_wanted(
    access: &dyn Access,
    from_server: bool,
    fetch: &mut Fetch<'_>,
) -> Result<usize, Failure> {
    let mut wanted = Vec::new();
    access.run(&mut |c| {
        wanted = c.wanted_blobs(PHOTOS_PER_ROUND)?;
        Ok(())
    })?;
    let mut received = 0;
    for sha256 in wanted {
        let Some(bytes) = fetch(&sha256)? else {
            continue;
        };
        let kept = access.run(&mut |c| {
            if from_server {
                Ok(c.receive_blob(&sha256, bytes.clone())?)
            } else {
                Ok(c.receive_blob_from_machine(&sha256, bytes.clone())?)
            }
        });
        if kept.is_ok() {
            received += 1;
        }
    }
    Ok(received)
}

/// Fetches the photos this machine lacks from another machine of the clinic, one request
/// each. Between machines nothing is pushed: each side fetches what its visits name.
pub fn fetch_from_machine(
    ask: &mut dyn FnMut(Request) -> Result<Response, Failure>,
    access: &dyn Access,
) -> Result<usize, Failure> {
    fetch_wanted(access, false, &mut |sha256| match ask(Request::Photo {
        sha256: sha256.to_string(),
    })? {
        Response::Photo { bytes } => Ok(bytes),
        _ => Err(broken(ayada_sync::replica::Broken::Unexpected {
            expected: "a photo",
            event: "another answer",
        })),
    })
}

/// How many missing photos one round fetches; the rest come in the next rounds.
pub(crate) const PHOTOS_PER_ROUND: usize = 32;
