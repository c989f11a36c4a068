//! One sync round: bootstrap (a machine that holds nothing yet), push this machine's own
//! changes, upload its new photos, pull what it lacks, fetch the photos its visits name.
//! Each cursor moves only once the other side holds the batch, so a round cut anywhere
//! resumes where it stopped. The clinic is held only between network calls.

use ayada_core::replication::IncomingChange;
use ayada_sync::messages::PROTOCOL_VERSION;
use ayada_sync::{BootstrapResponse, PullResponse, PushRequest, PushResponse, WireChange};

use crate::http::Link;
use crate::{ClientError as Failure, ClinicAccess};

/// What one round moved.
#[derive(Debug, Clone, Default)]
pub struct Round {
    /// Documents loaded whole from the server (a bootstrap).
    pub bootstrapped: u64,
    /// Changes the server accepted (new or already known).
    pub pushed: usize,
    /// Changes received from the server.
    pub pulled: usize,
    /// Of those, changes this machine did not have.
    pub new: usize,
    /// Photos sent to the server.
    pub photos_sent: usize,
    /// Photos received from the server.
    pub photos_received: usize,
    /// Changes the server refused, with its reasons.
    pub refused: Vec<ayada_sync::Refusal>,
    /// Changes received that this machine holds aside, not applied (after the last page).
    pub held: u64,
}

impl Round {
    /// Whether this round brought anything new to this machine.
    pub fn changed_here(&self) -> bool {
        self.bootstrapped > 0 || self.new > 0 || self.photos_received > 0
    }
}

/// Progress of a bootstrap: documents loaded so far, of how many.
pub type OnBootstrap<'a> = &'a mut dyn FnMut(u64, u64);

pub(crate) fn round<A: ClinicAccess + ?Sized>(
    access: &A,
    link: &mut Link,
    batch: usize,
    on_bootstrap: OnBootstrap<'_>,
) -> Result<Round, Failure> {
    let mut done = Round::default();
    let empty = access.with(&mut |c| Ok(c.log_head()? == 0 && c.document_count()? == 0))?;
    if link.settings.pulled == 0 && empty {
        done.bootstrapped = bootstrap(access, link, on_bootstrap)?;
    }
    push(access, link, batch, &mut done)?;
    upload_photos(access, link, &mut done)?;
    pull(access, link, &mut done)?;
    fetch_photos(access, link, &mut done)?;
    Ok(done)
}

/// Loads the server's compacted documents, page by page, then sets the pull cursor to the
/// position they hold everything up to. Cut midway, the next round starts it again (loading
/// a document twice merges it with itself).
fn bootstrap<A: ClinicAccess + ?Sized>(
    access: &A,
    link: &mut Link,
    on_bootstrap: OnBootstrap<'_>,
) -> Result<u64, Failure> {
    let mut after: Option<String> = None;
    let mut as_of = u64::MAX;
    let mut loaded = 0;
    loop {
        let path = match &after {
            Some(id) => format!("/v1/bootstrap?after={id}"),
            None => "/v1/bootstrap".to_string(),
        };
        let page: BootstrapResponse = link.get(&path)?;
        as_of = as_of.min(page.as_of.0);
        let docs: Vec<(String, Vec<u8>)> =
            page.docs.into_iter().map(|d| (d.doc_id, d.bytes)).collect();
        access.with(&mut |c| Ok(c.load_server_docs(&docs)?))?;
        loaded += docs.len() as u64;
        on_bootstrap(loaded, page.total);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    link.settings.pulled = if as_of == u64::MAX { 0 } else { as_of };
    let settings = link.settings.clone();
    access.with(&mut |c| Ok(c.set_sync_settings(&settings)?))?;
    Ok(loaded)
}

fn push<A: ClinicAccess + ?Sized>(
    access: &A,
    link: &mut Link,
    batch: usize,
    done: &mut Round,
) -> Result<(), Failure> {
    let mut first = true;
    loop {
        let pushed = link.settings.pushed;
        let (changes, pending, (count, hash)) = access.with(&mut |c| {
            let changes = c.own_changes_after(pushed, batch)?;
            let last = changes.last().map_or(pushed, |c| c.seq);
            Ok((changes, c.own_changes_count(last)?, c.audit_head()?))
        })?;
        // An empty queue is still worth one (empty) push: it tells the server this machine
        // has sent everything, which is what a day close asks.
        let last = match changes.last() {
            Some(c) => c.seq,
            None if first => pushed,
            None => break,
        };
        first = false;
        let request_was_empty = changes.is_empty();
        let request = PushRequest {
            version: PROTOCOL_VERSION,
            changes: changes
                .into_iter()
                .map(|c| WireChange {
                    doc_id: c.doc_id,
                    hash: c.hash,
                    bytes: c.bytes,
                })
                .collect(),
            pending: Some(pending),
            audit: Some(ayada_sync::AuditHead { count, hash }),
        };
        let response: PushResponse = link.post("/v1/changes", &request)?;
        done.pushed += response.accepted.len();
        done.refused.extend(response.refused);
        // Only now is the batch durable on the server: move the cursor and remember it.
        link.settings.pushed = last;
        let settings = link.settings.clone();
        access.with(&mut |c| Ok(c.set_sync_settings(&settings)?))?;
        if request_was_empty {
            break;
        }
    }
    Ok(())
}

fn upload_photos<A: ClinicAccess + ?Sized>(
    access: &A,
    link: &Link,
    done: &mut Round,
) -> Result<(), Failure> {
    loop {
        let photos = access.with(&mut |c| Ok(c.blobs_to_upload(4)?))?;
        if photos.is_empty() {
            return Ok(());
        }
        for (sha256, bytes) in photos {
            // A refusal of one photo stops the round: the server said why, and it is retried
            // next time rather than skipped for good.
            link.put_bytes(&format!("/v1/blobs/{sha256}"), bytes)?;
            access.with(&mut |c| Ok(c.blob_uploaded(&sha256)?))?;
            done.photos_sent += 1;
        }
    }
}

fn pull<A: ClinicAccess + ?Sized>(
    access: &A,
    link: &mut Link,
    done: &mut Round,
) -> Result<(), Failure> {
    loop {
        let page: PullResponse = link.get(&format!(
            "/v1/changes?since={}&limit=500",
            link.settings.pulled
        ))?;
        if page.changes.is_empty() {
            return Ok(());
        }
        let incoming: Vec<IncomingChange> = page
            .changes
            .into_iter()
            .map(|c| IncomingChange {
                doc_id: c.doc_id,
                hash: c.hash,
                bytes: c.bytes,
            })
            .collect();
        done.pulled += incoming.len();
        let report = access.with(&mut |c| Ok(c.apply_server_changes(&incoming)?))?;
        done.new += report.new;
        // A change that cannot be applied yet is held aside on this machine (and listed among
        // the conflicts) rather than stopping every later change behind it.
        done.held = report.held;
        link.settings.pulled = page.next.0;
        let settings = link.settings.clone();
        access.with(&mut |c| Ok(c.set_sync_settings(&settings)?))?;
        if !page.more {
            return Ok(());
        }
    }
}

/// How many missing photos one round fetches; the rest come in the next rounds.
const PHOTOS_PER_ROUND: usize = 32;

fn fetch_photos<A: ClinicAccess + ?Sized>(
    access: &A,
    link: &Link,
    done: &mut Round,
) -> Result<(), Failure> {
    let wanted = access.with(&mut |c| Ok(c.wanted_blobs(PHOTOS_PER_ROUND)?))?;
    for sha256 in wanted {
        // Not found: the machine that took it has not uploaded it yet. Damaged: refused by
        // the clinic's checks. Either way it stays wanted, and the round goes on.
        let Ok(bytes) = link.get_bytes(&format!("/v1/blobs/{sha256}")) else {
            continue;
        };
        if access
            .with(&mut |c| Ok(c.receive_blob(&sha256, bytes.clone())?))
            .is_ok()
        {
            done.photos_received += 1;
        }
    }
    Ok(())
}
