//! One sync round with the clinic's sync server: the replication core driven over HTTP
//! (bootstrap, push, photos, pull — each cursor moved only once the other side holds the
//! batch, see [`ayada_sync::replica`]). The clinic is held only between network calls.

use ayada_sync::replica::{Request, Response};

use crate::drive::{drive, fetch_wanted, Access, OnBootstrap, Peer, Side};
use crate::http::Link;
use crate::{ClientError as Failure, ClinicAccess};

/// What one round moved.
pub type Round = ayada_sync::replica::Report;

pub(crate) fn round<A: ClinicAccess>(
    access: &A,
    link: &mut Link,
    batch: usize,
    on_bootstrap: OnBootstrap<'_>,
) -> Result<Round, Failure> {
    let done = drive(access, link, &Side::Server, batch, on_bootstrap)?;
    // The link's copy of the cursors follows the stored ones.
    access.with(&mut |c| {
        if let Some(stored) = c.sync_settings()? {
            link.settings = stored;
        }
        Ok(())
    })?;
    Ok(done)
}

/// The clinic's sync server as a [`Peer`], for a caller that drives rounds itself (the test
/// network, which puts faults between the two).
pub struct ServerLink(Link);

impl ServerLink {
    /// Connects with the clinic's device credential (the clinic must be enrolled).
    pub fn connect(clinic: &ayada_core::Clinic) -> Result<ServerLink, Failure> {
        let settings = clinic
            .sync_settings()?
            .ok_or_else(crate::http::not_enrolled)?;
        Ok(ServerLink(Link::connect(settings)?))
    }
}

impl Peer for ServerLink {
    fn ask(&mut self, request: Request) -> Result<Response, Failure> {
        self.0.ask(request)
    }

    fn send_photos(&mut self, access: &dyn Access) -> Result<usize, Failure> {
        self.0.send_photos(access)
    }

    fn fetch_photos(&mut self, access: &dyn Access) -> Result<usize, Failure> {
        self.0.fetch_photos(access)
    }
}

impl Peer for Link {
    fn ask(&mut self, request: Request) -> Result<Response, Failure> {
        Ok(match request {
            Request::Bootstrap { after } => Response::Bootstrap(self.get(&match after {
                Some(id) => format!("/v1/bootstrap?after={id}"),
                None => "/v1/bootstrap".to_string(),
            })?),
            Request::Push(push) => Response::Push(self.post("/v1/changes", &push)?),
            Request::Pull { since, limit } => {
                Response::Pull(self.get(&format!("/v1/changes?since={since}&limit={limit}"))?)
            }
            Request::Photo { sha256 } => Response::Photo {
                bytes: Some(self.get_bytes(&format!("/v1/blobs/{sha256}"))?),
            },
        })
    }

    fn send_photos(&mut self, access: &dyn Access) -> Result<usize, Failure> {
        let mut sent = 0;
        loop {
            let mut photos = Vec::new();
            access.run(&mut |c| {
                photos = c.blobs_to_upload(4)?;
                Ok(())
            })?;
            if photos.is_empty() {
                return Ok(sent);
            }
            for (sha256, bytes) in photos {
                // A refusal of one photo stops the round: the server said why, and it is
                // retried next time rather than skipped for good.
                self.put_bytes(&format!("/v1/blobs/{sha256}"), bytes)?;
                access.run(&mut |c| Ok(c.blob_uploaded(&sha256)?))?;
                sent += 1;
            }
        }
    }

    fn fetch_photos(&mut self, access: &dyn Access) -> Result<usize, Failure> {
        // Not found: the machine that took it has not uploaded it yet.
        fetch_wanted(access, true, &mut |sha256| {
            Ok(self.get_bytes(&format!("/v1/blobs/{sha256}")).ok())
        })
    }
}
