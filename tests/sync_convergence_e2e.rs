//! Machines that worked offline converge through the real sync server, and a new machine
//! bootstraps a clinic with a year of data.

mod common;

use common::{book, Machine, Server, DESK, STAFF_PW};

const OWNER_PW: &str = "owner-pass-1";
const OWNER: Option<(&str, &str)> = Some(("owner", OWNER_PW));

/// One machine's offline day: a patient registered, booked, seen with a visit, paid in its
/// own shift, an expense, the shift closed.
fn offline_day(m: &Machine, tag: usize) {
    let patient = m.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            &format!("مريض اليوم {tag}"),
            "--phone",
            &format!("0109000000{tag}"),
        ],
    )["patient_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Different hours, so the three machines' bookings do not overlap.
    let appointment = book(m, &patient, &format!("2031-03-0{tag} 1{tag}:00"));
    m.ok(
        DESK,
        &["appointment", "set-status", &appointment, "arrived"],
    );
    m.ok(
        DESK,
        &["appointment", "set-status", &appointment, "in-exam"],
    );
    m.ok(
        Some(("dr.sara", STAFF_PW)),
        &[
            "visit",
            "record",
            "--appointment",
            &appointment,
            "--pulse",
            "80",
            "--diagnosis",
            &format!("Diagnosis {tag}"),
        ],
    );
    m.ok(
        Some(("dr.sara", STAFF_PW)),
        &["appointment", "set-status", &appointment, "done"],
    );
    // The front desk's generated demo day left its shift open; the others open theirs.
    let _ = m.run(DESK, &["shift", "open", "--float", "200"]);
    m.ok(
        DESK,
        &[
            "pay",
            "--appointment",
            &appointment,
            "--amount",
            &format!("{tag}00.25"),
            "--method",
            "cash",
        ],
    );
    m.ok(
        DESK,
        &["expense", "add", "--amount", "15", "--category", "tea"],
    );
    m.ok(
        DESK,
        &[
            "shift",
            "close",
            "--counted",
            &format!("{}", 185 + tag * 100),
        ],
    );
}

#[test]
fn an_offline_day_on_three_machines_then_sync_gives_identical_documents_and_projections() {
    let root = tempfile::tempdir().unwrap();
    let (server, a) = common::front_desk_on_server(root.path(), 2, true);
    let mut machines = vec![a];
    for name in ["exam-room", "owner-laptop"] {
        let m = Machine::new(root.path(), name);
        m.enroll(&server, "owner@nour.example", OWNER_PW);
        m.ok(None, &["sync"]);
        machines.push(m);
    }
    let base = machines[0].ok(OWNER, &["cash", "summary"]);
    // The network is down all day: each machine works alone.
    for (i, m) in machines.iter().enumerate() {
        offline_day(m, i + 1);
    }
    let before: Vec<_> = machines
        .iter()
        .map(|m| m.open().projection_snapshot().unwrap())
        .collect();
    assert!(before[0] != before[1] && before[1] != before[2]);
    // The network comes back; each syncs as it notices, twice round.
    for _ in 0..2 {
        for m in &machines {
            m.ok(None, &["sync"]);
        }
    }
    let clinics: Vec<_> = machines.iter().map(|m| m.open()).collect();
    for c in &clinics[1..] {
        assert_eq!(
            c.document_heads().unwrap(),
            clinics[0].document_heads().unwrap()
        );
        assert_eq!(
            c.projection_snapshot().unwrap(),
            clinics[0].projection_snapshot().unwrap()
        );
    }
    // Every machine's day is there: three visits, three shifts, the cash of all three.
    // The three payments were taken today, each in its machine's own shift.
    let cash = machines[2].ok(OWNER, &["cash", "summary"]);
    let (paid, net) = (
        base["payments"]["cash"].as_i64().unwrap_or(0),
        base["net_cash"].as_i64().unwrap(),
    );
    assert_eq!(cash["payments"]["cash"], paid + 60_075, "{cash}");
    assert_eq!(cash["net_cash"], net + 60_075 - 4_500, "{cash}");
    for tag in 1..=3 {
        let found = machines[0].ok(DESK, &["patient", "search", &format!("مريض اليوم {tag}")]);
        assert_eq!(found["patients"].as_array().unwrap().len(), 1, "{found}");
    }
    assert!(machines[1].ok(DESK, &["conflicts"])["conflicts"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_new_machine_bootstraps_a_clinic_that_holds_months_of_data() {
    // Four months by default (a year took 3½ minutes of CI, most of it generating the
    // clinic in a debug build); AYADA_BOOTSTRAP_DAYS=365 for the year, and the five-year
    // bootstrap is measured by sync_bench (docs/BENCHMARKS.md).
    let days: u32 = common::env_number("AYADA_BOOTSTRAP_DAYS", 120);
    let root = tempfile::tempdir().unwrap();
    let server = Server::with_clinics(root.path(), &[("year", "owner@year.example")], OWNER_PW);
    let a = common::enrolled_machine(
        root.path(),
        "front-desk",
        &server,
        "owner@year.example",
        OWNER_PW,
        days,
    );
    a.ok(None, &["sync"]);
    let b = Machine::new(root.path(), "new-laptop");
    b.enroll(&server, "owner@year.example", OWNER_PW);
    let first = b.ok(None, &["sync"]);
    // The server listed B's LAN key in the clinic's document when it enrolled B: A hears of
    // it at its next round.
    a.ok(None, &["sync"]);
    let (ca, cb) = (a.open(), b.open());
    assert_eq!(
        first["bootstrapped"].as_u64(),
        Some(ca.document_count().unwrap()),
        "{first}"
    );
    assert_eq!(cb.document_heads().unwrap(), ca.document_heads().unwrap());
    let projections = ca.projection_snapshot().unwrap();
    assert!(
        projections.len() > days as usize * 100,
        "{days} days are {} rows",
        projections.len()
    );
    assert_eq!(cb.projection_snapshot().unwrap(), projections);
    // The months are usable on the new machine: the cash of a day long ago is the same.
    let long_ago = {
        use jiff::ToSpan;
        (ca.time().today() - (i64::from(days) * 5 / 6).days()).to_string()
    };
    let then_a = a.ok(OWNER, &["cash", "summary", "--date", &long_ago]);
    let then_b = b.ok(OWNER, &["cash", "summary", "--date", &long_ago]);
    assert_eq!(then_a, then_b);
    // And it keeps syncing normally afterwards.
    b.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            "بعد التحميل",
            "--phone",
            "01055550000",
        ],
    );
    b.ok(None, &["sync"]);
    a.ok(None, &["sync"]);
    assert_eq!(
        a.open().document_heads().unwrap(),
        b.open().document_heads().unwrap()
    );
}
