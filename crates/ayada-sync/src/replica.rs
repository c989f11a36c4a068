//! One sync round with one peer, as a state machine without I/O: events in, one action out.
//!
//! Every kind of link drives this same code: the machine's HTTP client to the sync server,
//! a machine to another machine of the clinic over the LAN, and the in-memory test network.
//! The driver only performs the action asked (send a request, read or apply changes, save the
//! cursors) and feeds back what came of it, so the rules that make sync safe live here once:
//!
//! - a cursor moves only after the other side's answer is held here (a push acknowledged, a
//!   page applied), and is saved before the next request, so a round cut anywhere resumes
//!   where it stopped and never skips a change;
//! - a node that holds nothing first loads the peer's documents whole (a bootstrap), since the
//!   peer may lack the old log, then pulls after the position those documents reach;
//! - a peer's answer is checked against what was asked: a page may not move the cursor back,
//!   hold more than asked, or say "more" while bringing nothing.
//!
//! Changes a node cannot apply yet are held aside by the node's store, durably; the cursor
//! moves past them (they are retried with every later apply), so one unfit change never
//! stops every change behind it.

use serde::{Deserialize, Serialize};

use crate::messages::{
    AuditHead, BootstrapResponse, PullResponse, PushRequest, PushResponse, Refusal, WireChange,
    WireDoc, PROTOCOL_VERSION,
};

/// How far this node and one peer are with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cursors {
    /// The position of this node's log up to which the peer holds what it was sent.
    pub sent: u64,
    /// The position of the peer's log up to which this node holds the peer's changes.
    pub received: u64,
}

/// A request to the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Request {
    /// A page of the peer's documents saved whole, after this document id.
    Bootstrap {
        /// The previous page's `next`; none for the first page.
        after: Option<String>,
    },
    /// "Here are my changes."
    Push(PushRequest),
    /// "Give me your changes after this position."
    Pull {
        /// The last position of the peer's log already held.
        since: u64,
        /// At most this many changes.
        limit: u32,
    },
    /// A photo, by name (between machines of the clinic, each fetches what it lacks).
    Photo {
        /// The photo's SHA-256, hex.
        sha256: String,
    },
}

/// The peer's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Response {
    /// A page of documents.
    Bootstrap(BootstrapResponse),
    /// What became of a push.
    Push(PushResponse),
    /// A page of changes.
    Pull(PullResponse),
    /// A photo's bytes, or none when the peer does not hold it.
    Photo {
        /// The JPEG (base64 in JSON).
        #[serde(with = "crate::messages::base64_opt")]
        bytes: Option<Vec<u8>>,
    },
}

/// What the driver is asked to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Do {
    /// Send this to the peer; answer with [`Event::Answered`].
    Send(Request),
    /// Read this node's changes the peer may lack, after log position `after`, at most
    /// `limit`; answer with [`Event::Read`].
    Read {
        /// The position of this node's log the peer holds up to.
        after: u64,
        /// At most this many.
        limit: usize,
    },
    /// Apply the peer's changes here; answer with [`Event::Applied`].
    Apply(Vec<WireChange>),
    /// Load the peer's documents whole; answer with [`Event::Loaded`].
    Load(Vec<WireDoc>),
    /// Keep these cursors durably before anything else; answer with [`Event::Saved`].
    Save(Cursors),
    /// Send the photos this node made that the peer lacks; answer with [`Event::PhotosSent`].
    SendPhotos,
    /// Fetch the photos this node lacks from the peer; answer with [`Event::PhotosFetched`].
    FetchPhotos,
    /// The round is over.
    Done(Report),
}

/// What came of the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The round starts; `empty_here` when this node holds no document and no change yet.
    Start {
        /// Whether this node holds nothing yet (it then loads the peer's documents first).
        empty_here: bool,
    },
    /// The peer answered.
    Answered(Response),
    /// This node's changes for the peer, oldest first, each with its log position.
    Read {
        /// The changes, with their positions.
        changes: Vec<(u64, WireChange)>,
        /// How many more lie after the last of these.
        pending: u64,
        /// Where this node's audit chain ends, to tell the sync server.
        audit: Option<AuditHead>,
    },
    /// The peer's changes were applied here.
    Applied {
        /// How many this node did not hold before.
        new: usize,
        /// How many changes this node now holds aside, unapplied.
        held: u64,
    },
    /// The documents were loaded.
    Loaded,
    /// The cursors are kept.
    Saved,
    /// Photos sent.
    PhotosSent(usize),
    /// Photos received.
    PhotosFetched(usize),
}

/// What one round moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Documents loaded whole from the peer (a bootstrap).
    pub bootstrapped: u64,
    /// How many documents the peer said it holds, during a bootstrap.
    pub bootstrap_total: u64,
    /// Changes the peer accepted (new or already known).
    pub pushed: usize,
    /// Changes received from the peer.
    pub pulled: usize,
    /// Of those, changes this node did not have.
    pub new: usize,
    /// Photos sent to the peer.
    pub photos_sent: usize,
    /// Photos received from the peer.
    pub photos_received: usize,
    /// Changes the peer refused, with its reasons.
    pub refused: Vec<Refusal>,
    /// Changes received that this node holds aside, not applied (after the last page).
    pub held: u64,
}

impl Report {
    /// Whether this round brought anything new to this node.
    pub fn changed_here(&self) -> bool {
        self.bootstrapped > 0 || self.new > 0 || self.photos_received > 0
    }
}

/// A peer or a driver broke the protocol; the round stops, and the cursors stay where they
/// were last saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The event does not answer the action asked (a driver's mistake, or a peer that
    /// answered another question).
    #[error("sync round: {event} does not answer {expected}")]
    Unexpected {
        /// What was awaited.
        expected: &'static str,
        /// What came.
        event: &'static str,
    },
    /// The peer speaks another protocol version.
    #[error("the other side speaks sync protocol {0}, this one speaks {PROTOCOL_VERSION}; update the older one")]
    Version(u16),
    /// A page would move the cursor back.
    #[error("the other side's page goes back from position {since} to {next}")]
    Backwards {
        /// The position asked after.
        since: u64,
        /// The position the page claims to reach.
        next: u64,
    },
    /// A page holds more than was asked.
    #[error("the other side sent {got} changes where at most {limit} were asked")]
    Overfull {
        /// What was asked.
        limit: u32,
        /// What came.
        got: usize,
    },
    /// A page says more follow but brings nothing and does not move.
    #[error("the other side says more changes follow position {0} but sends none")]
    Stalled(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Start,
    /// Waiting for a bootstrap page.
    Bootstrapping,
    /// Waiting for the documents of a page to load; then ask after `next`, or end at `as_of`.
    LoadingDocs {
        next: Option<String>,
    },
    /// Waiting for this node's changes to push.
    Reading,
    /// Waiting for the push's answer; `last` is the position it reaches.
    Pushing {
        last: u64,
        empty: bool,
    },
    SendingPhotos,
    /// Waiting for a page of the peer's changes.
    Pulling,
    /// Waiting for a page to be applied; then the cursor goes to `next`.
    Applying {
        next: u64,
        more: bool,
    },
    FetchingPhotos,
    /// Waiting for the cursors to be kept; then go on with `then`.
    Saving(Box<Phase>),
    Done,
}

/// One round with one peer: bootstrap when empty, push, send photos, pull, fetch photos.
#[derive(Debug, Clone)]
pub struct Round {
    cursors: Cursors,
    batch: usize,
    page: u32,
    phase: Phase,
    first_push: bool,
    as_of: u64,
    report: Report,
}

impl Round {
    /// A round from the cursors saved last time, pushing `batch` changes and pulling `page`
    /// changes at a time.
    pub fn new(cursors: Cursors, batch: usize, page: u32) -> Round {
        Round {
            cursors,
            batch: batch.max(1),
            page: page.max(1),
            phase: Phase::Start,
            first_push: true,
            as_of: u64::MAX,
            report: Report::default(),
        }
    }

    /// Where the round stands with the peer.
    pub fn cursors(&self) -> Cursors {
        self.cursors
    }

    /// What the round moved so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Takes what came of the last action, and answers the next one.
    pub fn step(&mut self, event: Event) -> Result<Do, Broken> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        let next = self.advance(phase, event);
        if next.is_err() {
            self.phase = Phase::Done;
        }
        next
    }

    fn advance(&mut self, phase: Phase, event: Event) -> Result<Do, Broken> {
        match (phase, event) {
            (Phase::Start, Event::Start { empty_here }) => {
                if empty_here && self.cursors.received == 0 {
                    Ok(self.ask_docs(None))
                } else {
                    Ok(self.read())
                }
            }
            (Phase::Bootstrapping, Event::Answered(Response::Bootstrap(page))) => {
                check_version(page.version)?;
                self.as_of = self.as_of.min(page.as_of.0);
                self.report.bootstrapped += page.docs.len() as u64;
                self.report.bootstrap_total = page.total;
                self.phase = Phase::LoadingDocs { next: page.next };
                Ok(Do::Load(page.docs))
            }
            (Phase::LoadingDocs { next }, Event::Loaded) => match next {
                Some(after) => Ok(self.ask_docs(Some(after))),
                None => {
                    // Every change up to `as_of` is inside the loaded documents.
                    if self.as_of != u64::MAX {
                        self.cursors.received = self.as_of;
                    }
                    Ok(self.save(Phase::Reading))
                }
            },
            (
                Phase::Reading,
                Event::Read {
                    changes,
                    pending,
                    audit,
                },
            ) => {
                let empty = changes.is_empty();
                // An empty queue is still worth one (empty) push: it tells the sync server this
                // node has sent everything, which is what a day close asks.
                if empty && !self.first_push {
                    return Ok(self.send_photos());
                }
                self.first_push = false;
                let last = changes.last().map_or(self.cursors.sent, |(seq, _)| *seq);
                self.phase = Phase::Pushing { last, empty };
                Ok(Do::Send(Request::Push(PushRequest {
                    version: PROTOCOL_VERSION,
                    changes: changes.into_iter().map(|(_, c)| c).collect(),
                    pending: Some(pending),
                    audit,
                })))
            }
            (Phase::Pushing { last, empty }, Event::Answered(Response::Push(answer))) => {
                self.report.pushed += answer.accepted.len();
                self.report.refused.extend(answer.refused);
                // Only now does the peer hold the batch.
                self.cursors.sent = self.cursors.sent.max(last);
                Ok(self.save(if empty {
                    Phase::SendingPhotos
                } else {
                    Phase::Reading
                }))
            }
            (Phase::SendingPhotos, Event::PhotosSent(n)) => {
                self.report.photos_sent += n;
                Ok(self.pull())
            }
            (Phase::Pulling, Event::Answered(Response::Pull(page))) => {
                check_version(page.version)?;
                let since = self.cursors.received;
                let next = page.next.0;
                if next < since {
                    return Err(Broken::Backwards { since, next });
                }
                if page.changes.len() > self.page as usize {
                    return Err(Broken::Overfull {
                        limit: self.page,
                        got: page.changes.len(),
                    });
                }
                if page.changes.is_empty() {
                    if page.more && next == since {
                        return Err(Broken::Stalled(since));
                    }
                    self.cursors.received = next;
                    return Ok(if page.more {
                        self.save(Phase::Pulling)
                    } else if next != since {
                        self.save(Phase::FetchingPhotos)
                    } else {
                        self.fetch_photos()
                    });
                }
                self.report.pulled += page.changes.len();
                self.phase = Phase::Applying {
                    next,
                    more: page.more,
                };
                Ok(Do::Apply(page.changes))
            }
            (Phase::Applying { next, more }, Event::Applied { new, held }) => {
                self.report.new += new;
                self.report.held = held;
                // What did not fit is held aside durably by the store: the cursor moves on.
                self.cursors.received = next;
                Ok(self.save(if more {
                    Phase::Pulling
                } else {
                    Phase::FetchingPhotos
                }))
            }
            (Phase::Saving(then), Event::Saved) => match *then {
                Phase::Reading => Ok(self.read()),
                Phase::SendingPhotos => Ok(self.send_photos()),
                Phase::Pulling => Ok(self.pull()),
                Phase::FetchingPhotos => Ok(self.fetch_photos()),
                other => unreachable!("saving leads to {other:?}"),
            },
            (Phase::FetchingPhotos, Event::PhotosFetched(n)) => {
                self.report.photos_received += n;
                self.phase = Phase::Done;
                Ok(Do::Done(self.report.clone()))
            }
            (phase, event) => Err(Broken::Unexpected {
                expected: awaited(&phase),
                event: named(&event),
            }),
        }
    }

    fn ask_docs(&mut self, after: Option<String>) -> Do {
        self.phase = Phase::Bootstrapping;
        Do::Send(Request::Bootstrap { after })
    }

    fn read(&mut self) -> Do {
        self.phase = Phase::Reading;
        Do::Read {
            after: self.cursors.sent,
            limit: self.batch,
        }
    }

    fn pull(&mut self) -> Do {
        self.phase = Phase::Pulling;
        Do::Send(Request::Pull {
            since: self.cursors.received,
            limit: self.page,
        })
    }

    fn fetch_photos(&mut self) -> Do {
        self.phase = Phase::FetchingPhotos;
        Do::FetchPhotos
    }

    fn send_photos(&mut self) -> Do {
        self.phase = Phase::SendingPhotos;
        Do::SendPhotos
    }

    /// Keeps the cursors, then goes on with `then`.
    fn save(&mut self, then: Phase) -> Do {
        self.phase = Phase::Saving(Box::new(then));
        Do::Save(self.cursors)
    }
}

fn check_version(version: u16) -> Result<(), Broken> {
    if version == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(Broken::Version(version))
    }
}

fn awaited(phase: &Phase) -> &'static str {
    match phase {
        Phase::Start => "the start",
        Phase::Bootstrapping => "a page of documents",
        Phase::LoadingDocs { .. } => "the documents loaded",
        Phase::Reading => "this node's changes",
        Phase::Pushing { .. } => "the push's answer",
        Phase::SendingPhotos => "the photos sent",
        Phase::Pulling => "a page of changes",
        Phase::Applying { .. } => "the changes applied",
        Phase::FetchingPhotos => "the photos fetched",
        Phase::Saving(_) => "the cursors saved",
        Phase::Done => "nothing (the round is over)",
    }
}

fn named(event: &Event) -> &'static str {
    match event {
        Event::Start { .. } => "the start",
        Event::Answered(Response::Bootstrap(_)) => "a page of documents",
        Event::Answered(Response::Push(_)) => "a push's answer",
        Event::Answered(Response::Pull(_)) => "a page of changes",
        Event::Answered(Response::Photo { .. }) => "a photo",
        Event::Read { .. } => "this node's changes",
        Event::Applied { .. } => "changes applied",
        Event::Loaded => "documents loaded",
        Event::Saved => "cursors saved",
        Event::PhotosSent(_) => "photos sent",
        Event::PhotosFetched(_) => "photos fetched",
    }
}
