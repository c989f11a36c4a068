//! The desktop app's background sync loop against the real server process: a write on one
//! machine reaches the other through the WebSocket notice (no "Sync now", no minute-long
//! poll), and when the server dies and comes back on its address the loops reconnect by
//! themselves and deliver what was written meanwhile.

mod common;

use std::time::{Duration, Instant};

use common::live::Live;
use common::{Machine, Server};

const OWNER_PW: &str = "owner-pass-1";

#[test]
fn a_write_reaches_the_other_machine_live_and_the_loops_outlive_a_server_restart() {
    let root = tempfile::tempdir().unwrap();
    let (server, a) = common::front_desk_on_server(root.path(), 2, false);
    let data = server.data.clone();
    let addr = server.url.trim_start_matches("http://").to_string();
    let b = Machine::new(root.path(), "exam-room");
    b.enroll(&server, "owner@nour.example", OWNER_PW);

    // A seeds the server from its loop; B bootstraps from its own, then both listen.
    let live_a = Live::start(&a);
    live_a.wait_for("A online and live", Duration::from_secs(60), |s, _| {
        s.online && s.live && s.pending == 0
    });
    let live_b = Live::start(&b);
    live_b.wait_for(
        "B bootstrapped and live",
        Duration::from_secs(60),
        |s, _| s.online && s.live && s.last_sync.is_some(),
    );

    // A write on A arrives on B through the notice, long before the 60 s poll.
    live_a.add_patient(OWNER_PW, "Karim Live", "01012345001");
    live_b.wait_for("the patient on B", Duration::from_secs(20), |_, changed| {
        changed
    });
    assert!(live_b.finds(OWNER_PW, "Karim Live"));

    // The server dies. A keeps working offline and says so.
    drop(server);
    live_a.add_patient(OWNER_PW, "Hoda Offline", "01012345002");
    live_a.wait_for(
        "A offline with a reason",
        Duration::from_secs(30),
        |s, _| !s.online && s.error.is_some() && s.pending > 0,
    );

    // The server comes back on its address; both loops reconnect on their own back-off and
    // B receives what A wrote while the server was away.
    let mut back = Server::restart_on(&data, &addr);
    live_a.wait_for("A back online", Duration::from_secs(90), |s, _| {
        s.online && s.pending == 0
    });
    live_b.wait_for(
        "B received the offline write",
        Duration::from_secs(90),
        |_, changed| changed,
    );
    assert!(live_b.finds(OWNER_PW, "Hoda Offline"));

    // A graceful stop is not held up by the machines' open sockets.
    #[cfg(unix)]
    {
        std::process::Command::new("kill")
            .args(["-TERM", &back.child.id().to_string()])
            .status()
            .unwrap();
        let started = Instant::now();
        while back.child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "open WebSockets held the server's shutdown"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    live_a.sync.stop();
    live_b.sync.stop();
    let heads_a = live_a.clinic.lock().unwrap().document_heads().unwrap();
    let heads_b = live_b.clinic.lock().unwrap().document_heads().unwrap();
    assert_eq!(heads_a, heads_b);
}
