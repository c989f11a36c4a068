//! The replication core's rules, step by step, without a store or a network: when a cursor
//! moves, what a new node asks first, and which answers from a peer stop the round.

use ayada_sync::messages::PROTOCOL_VERSION;
use ayada_sync::replica::{Broken, Cursors, Do, Event, Request, Response, Round};
use ayada_sync::{BootstrapResponse, Cursor, PullResponse, PushResponse, WireChange, WireDoc};

fn change(n: u64) -> WireChange {
    WireChange {
        doc_id: "patient/x".into(),
        hash: format!("{n:064x}"),
        bytes: vec![n as u8],
    }
}

fn page(changes: Vec<WireChange>, next: u64, more: bool) -> Event {
    Event::Answered(Response::Pull(PullResponse {
        version: PROTOCOL_VERSION,
        changes,
        next: Cursor(next),
        more,
    }))
}

fn pushed(n: usize) -> Event {
    Event::Answered(Response::Push(PushResponse {
        accepted: (0..n).map(|i| format!("{i}")).collect(),
        refused: vec![],
    }))
}

/// Runs a round of a node that is not new up to its first pull request.
fn to_pull(round: &mut Round) {
    assert!(matches!(
        round.step(Event::Start { empty_here: false }).unwrap(),
        Do::Read { .. }
    ));
    let read = Event::Read {
        changes: vec![],
        pending: 0,
        audit: None,
    };
    assert!(matches!(
        round.step(read).unwrap(),
        Do::Send(Request::Push(_))
    ));
    assert!(matches!(round.step(pushed(0)).unwrap(), Do::Save(_)));
    assert_eq!(round.step(Event::Saved).unwrap(), Do::SendPhotos);
    assert!(matches!(
        round.step(Event::PhotosSent(0)).unwrap(),
        Do::Send(Request::Pull { .. })
    ));
}

#[test]
fn the_push_cursor_moves_only_once_the_peer_answered_and_is_saved_before_the_next_read() {
    let mut round = Round::new(
        Cursors {
            sent: 10,
            received: 0,
        },
        2,
        100,
    );
    assert_eq!(
        round.step(Event::Start { empty_here: false }).unwrap(),
        Do::Read {
            after: 10,
            limit: 2
        }
    );
    let read = Event::Read {
        changes: vec![(11, change(11)), (14, change(14))],
        pending: 1,
        audit: None,
    };
    let Do::Send(Request::Push(push)) = round.step(read).unwrap() else {
        panic!()
    };
    assert_eq!(push.changes.len(), 2);
    assert_eq!(push.pending, Some(1));
    // Until the answer comes, the cursor stays: a round cut here sends the batch again.
    assert_eq!(round.cursors().sent, 10);
    assert_eq!(
        round.step(pushed(2)).unwrap(),
        Do::Save(Cursors {
            sent: 14,
            received: 0
        })
    );
    assert_eq!(
        round.step(Event::Saved).unwrap(),
        Do::Read {
            after: 14,
            limit: 2
        }
    );
    // An empty read after a push goes on to the photos without another push.
    let empty = Event::Read {
        changes: vec![],
        pending: 0,
        audit: None,
    };
    assert_eq!(round.step(empty).unwrap(), Do::SendPhotos);
    assert_eq!(round.report().pushed, 2);
}

#[test]
fn an_empty_queue_is_still_pushed_once_so_the_server_hears_this_node_is_caught_up() {
    let mut round = Round::new(Cursors::default(), 10, 100);
    round.step(Event::Start { empty_here: false }).unwrap();
    let empty = Event::Read {
        changes: vec![],
        pending: 0,
        audit: None,
    };
    let Do::Send(Request::Push(push)) = round.step(empty).unwrap() else {
        panic!()
    };
    assert!(push.changes.is_empty());
    assert_eq!(push.pending, Some(0));
}

#[test]
fn the_pull_cursor_moves_after_the_page_is_applied_and_pages_go_on_while_more_follow() {
    let mut round = Round::new(
        Cursors {
            sent: 0,
            received: 5,
        },
        10,
        2,
    );
    to_pull(&mut round);
    assert_eq!(
        round
            .step(page(vec![change(6), change(8)], 8, true))
            .unwrap(),
        Do::Apply(vec![change(6), change(8)])
    );
    assert_eq!(
        round.cursors().received,
        5,
        "not before the page is applied"
    );
    assert_eq!(
        round.step(Event::Applied { new: 2, held: 0 }).unwrap(),
        Do::Save(Cursors {
            sent: 0,
            received: 8
        })
    );
    assert_eq!(
        round.step(Event::Saved).unwrap(),
        Do::Send(Request::Pull { since: 8, limit: 2 })
    );
    assert_eq!(
        round.step(page(vec![change(9)], 9, false)).unwrap(),
        Do::Apply(vec![change(9)])
    );
    assert!(matches!(
        round.step(Event::Applied { new: 0, held: 1 }).unwrap(),
        Do::Save(_)
    ));
    assert_eq!(round.step(Event::Saved).unwrap(), Do::FetchPhotos);
    let Do::Done(report) = round.step(Event::PhotosFetched(3)).unwrap() else {
        panic!()
    };
    assert_eq!(
        (
            report.pulled,
            report.new,
            report.held,
            report.photos_received
        ),
        (3, 2, 1, 3)
    );
    assert!(report.changed_here());
}

#[test]
fn a_node_that_holds_nothing_loads_the_peers_documents_and_pulls_after_what_they_hold() {
    let mut round = Round::new(Cursors::default(), 10, 100);
    assert_eq!(
        round.step(Event::Start { empty_here: true }).unwrap(),
        Do::Send(Request::Bootstrap { after: None })
    );
    let docs = |ids: &[&str], as_of: u64, next: Option<&str>| {
        Event::Answered(Response::Bootstrap(BootstrapResponse {
            version: PROTOCOL_VERSION,
            as_of: Cursor(as_of),
            total: 3,
            docs: ids
                .iter()
                .map(|id| WireDoc {
                    doc_id: id.to_string(),
                    bytes: vec![1],
                })
                .collect(),
            next: next.map(str::to_string),
        }))
    };
    assert!(
        matches!(round.step(docs(&["a", "b"], 40, Some("b"))).unwrap(), Do::Load(d) if d.len() == 2)
    );
    assert_eq!(
        round.step(Event::Loaded).unwrap(),
        Do::Send(Request::Bootstrap {
            after: Some("b".into())
        })
    );
    // A later page read at a later position: the pull starts after the earliest, so nothing
    // between the two is skipped.
    assert!(matches!(
        round.step(docs(&["c"], 45, None)).unwrap(),
        Do::Load(_)
    ));
    assert_eq!(
        round.step(Event::Loaded).unwrap(),
        Do::Save(Cursors {
            sent: 0,
            received: 40
        })
    );
    assert_eq!(round.report().bootstrapped, 3);
    // A node that already pulled something is not new, even with an empty store.
    let mut again = Round::new(
        Cursors {
            sent: 0,
            received: 7,
        },
        10,
        100,
    );
    assert!(matches!(
        again.step(Event::Start { empty_here: true }).unwrap(),
        Do::Read { .. }
    ));
}

#[test]
fn a_page_that_goes_back_holds_too_much_or_stalls_stops_the_round() {
    let cases: [(Event, Broken); 4] = [
        (
            page(vec![change(1)], 3, false),
            Broken::Backwards { since: 5, next: 3 },
        ),
        (
            page(vec![change(6), change(7), change(8)], 8, false),
            Broken::Overfull { limit: 2, got: 3 },
        ),
        (page(vec![], 5, true), Broken::Stalled(5)),
        (
            Event::Answered(Response::Pull(PullResponse {
                version: 9,
                changes: vec![],
                next: Cursor(5),
                more: false,
            })),
            Broken::Version(9),
        ),
    ];
    for (event, broken) in cases {
        let mut round = Round::new(
            Cursors {
                sent: 0,
                received: 5,
            },
            10,
            2,
        );
        to_pull(&mut round);
        assert_eq!(round.step(event), Err(broken));
        assert_eq!(round.cursors().received, 5);
        // And the round is over: nothing more is asked.
        assert!(round.step(Event::Saved).is_err());
    }
}

#[test]
fn an_answer_to_another_question_is_refused() {
    let mut round = Round::new(Cursors::default(), 10, 2);
    round.step(Event::Start { empty_here: false }).unwrap();
    let read = Event::Read {
        changes: vec![(1, change(1))],
        pending: 0,
        audit: None,
    };
    round.step(read).unwrap();
    // A page of changes where the push's answer was awaited.
    let err = round.step(page(vec![], 0, false)).unwrap_err();
    assert!(matches!(err, Broken::Unexpected { .. }), "{err}");
    assert_eq!(round.cursors().sent, 0);
}

#[test]
fn an_empty_last_page_that_moves_the_cursor_is_saved_before_the_photos() {
    let mut round = Round::new(
        Cursors {
            sent: 0,
            received: 5,
        },
        10,
        2,
    );
    to_pull(&mut round);
    // The peer's log moved on with changes this node gave it (left out of the page).
    assert_eq!(
        round.step(page(vec![], 9, false)).unwrap(),
        Do::Save(Cursors {
            sent: 0,
            received: 9
        })
    );
    assert_eq!(round.step(Event::Saved).unwrap(), Do::FetchPhotos);
}
