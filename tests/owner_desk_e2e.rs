//! The owner's desk through `ayada-cli` and the real server: closing a day asks the server
//! whether every machine's changes are in and prints the answer; reports, receipts,
//! backup, restore and export as a person would type them.

mod common;

use std::process::Command;

use common::Machine;

const OWNER_PW: &str = "owner-pass-1";
const STAFF_PW: &str = "staff-pass-1";
const OWNER: Option<(&str, &str)> = Some(("owner", OWNER_PW));
const DESK: Option<(&str, &str)> = Some(("reception", STAFF_PW));
const PASSPHRASE: (&str, &str) = ("AYADA_BACKUP_PASSPHRASE", "a long backup passphrase");

fn pdf_text(path: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn days_ago(m: &Machine, n: i64) -> String {
    let today = m.open().time().today();
    today
        .checked_sub(jiff::Span::new().days(n))
        .unwrap()
        .to_string()
}

/// The latest day before today on which the clinic took a payment, and that payment. The demo
/// clinic is closed on Fridays, so "yesterday" holds no payment one day in seven.
fn last_paid_day(m: &Machine) -> (String, ayada_core::cashbook::Entry) {
    let mut clinic = m.open();
    let owner = clinic.login("owner", OWNER_PW).unwrap();
    let today = clinic.time().today();
    (1..=7)
        .map(|n| today.checked_sub(jiff::Span::new().days(n)).unwrap())
        .find_map(|date| {
            let entries = clinic.cash_entries(&owner, date).unwrap();
            let paid = entries
                .into_iter()
                .find(|e| e.kind == ayada_core::cashbook::EntryKind::Payment)?;
            Some((date.to_string(), paid))
        })
        .expect("a demo clinic takes payments on six days of seven")
}

#[test]
fn closing_a_day_asks_the_server_whether_every_machine_is_caught_up_and_says_so() {
    let root = tempfile::tempdir().unwrap();
    let (server, a) = common::front_desk_on_server(root.path(), 4, false);
    a.ok(None, &["sync"]);
    let b = Machine::new(root.path(), "exam-room");
    b.enroll(&server, "owner@nour.example", OWNER_PW);

    // B is enrolled but has never synced: the server cannot vouch for it.
    let day1 = days_ago(&a, 3);
    let pdf1 = root.path().join("z1.pdf");
    let z1 = a.ok(
        OWNER,
        &[
            "report",
            "close",
            "--date",
            &day1,
            "--pdf",
            pdf1.to_str().unwrap(),
        ],
    );
    assert_eq!(z1["number"], 1);
    assert_eq!(z1["server_check"]["asked"], true);
    assert_eq!(z1["server_check"]["caught_up"], false);
    let detail = z1["server_check"]["detail"].as_str().unwrap();
    assert!(detail.contains("never synced"), "{detail}");
    let text = pdf_text(&pdf1);
    assert!(text.contains("Not confirmed with the server"), "{text}");
    assert!(text.contains("never synced"));

    // Once B has synced, both machines have sent everything.
    b.ok(None, &["sync"]);
    let day2 = days_ago(&a, 2);
    let z2 = a.ok(OWNER, &["report", "close", "--date", &day2]);
    assert_eq!(z2["number"], 2);
    assert_eq!(z2["server_check"]["caught_up"], true, "{z2}");
    assert!(z2["server_check"]["detail"]
        .as_str()
        .unwrap()
        .starts_with("2 machines"));

    // The closes reach B, and B shows the same frozen report.
    b.ok(None, &["sync"]);
    let on_b = b.ok(OWNER, &["report", "day", "--date", &day1]);
    assert_eq!(on_b, z1);

    // A closed day cannot be closed again; the message says which Z-report holds it.
    let again = a.run(OWNER, &["report", "close", "--date", &day1]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("Z-report no. 1"));

    // With the server down, the close still happens and says it could not ask.
    drop(server);
    let day3 = days_ago(&a, 1);
    let z3 = a.ok(OWNER, &["report", "close", "--date", &day3]);
    assert_eq!(z3["number"], 3);
    assert_eq!(z3["server_check"]["asked"], false);
    assert!(z3["server_check"]["detail"]
        .as_str()
        .unwrap()
        .contains("cannot be reached"));
    let closes = a.ok(OWNER, &["report", "closes"]);
    assert_eq!(closes["closes"].as_array().unwrap().len(), 3);
}

#[test]
fn the_owner_gets_reports_backup_and_export_and_the_front_desk_gets_receipts_only() {
    let root = tempfile::tempdir().unwrap();
    let a = Machine::new(root.path(), "desk");
    a.ok_with_password(
        OWNER_PW,
        &["init", "--clinic", "عيادة النور", "--owner-login", "owner"],
    );
    a.ok(OWNER, &["demo", "--days", "10"]);
    let (day, payment) = last_paid_day(&a);

    // Money is the owner's: the front desk is refused, in Arabic when asked for.
    let refused = a.run(DESK, &["--lang", "ar", "report", "day", "--date", &day]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("لا يُسمح"), "{said}");
    for args in [
        vec!["report", "month"],
        vec!["report", "close", "--date", &day],
        vec!["export", "--out", "x"],
    ] {
        assert!(!a.run(DESK, &args).status.success(), "{args:?}");
    }
    let backup = root.path().join("clinic.backup");
    let denied = a.run_with(
        DESK,
        &[PASSPHRASE],
        &["backup", "--out", backup.to_str().unwrap()],
    );
    assert!(!denied.status.success() && !backup.exists());

    // The owner's day, month and revenue agree with each other.
    let month_pdf = root.path().join("month.pdf");
    let month = a.ok(
        OWNER,
        &[
            "report",
            "month",
            "--month",
            &day[..7],
            "--pdf",
            month_pdf.to_str().unwrap(),
        ],
    );
    let report = a.ok(OWNER, &["report", "day", "--date", &day]);
    let day_line = month["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day.as_str())
        .unwrap()
        .clone();
    assert_eq!(day_line["net_revenue"], report["totals"]["net_revenue"]);
    let revenue = a.ok(
        OWNER,
        &[
            "report", "revenue", "--from", &day, "--to", &day, "--by", "day",
        ],
    );
    assert_eq!(
        revenue["buckets"][0]["revenue"],
        report["totals"]["net_revenue"]
    );
    assert!(pdf_text(&month_pdf).contains("ملخص الشهر"));
    let bad = a.run(
        OWNER,
        &[
            "report",
            "revenue",
            "--from",
            &day,
            "--to",
            &day,
            "--by",
            "fortnight",
        ],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("day, week or month"));

    // The front desk prints a receipt for a payment.
    let receipt_pdf = root.path().join("receipt.pdf");
    let receipt = a.ok(
        DESK,
        &[
            "receipt",
            "--payment",
            &payment.id.to_string(),
            "--pdf",
            receipt_pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(receipt["receipt"]["amount"], payment.amount.minor());
    assert!(pdf_text(&receipt_pdf).contains("إيصال"));

    // Backup, then restore into a new folder: the same documents, a new machine.
    let no_pass = a.run(OWNER, &["backup", "--out", backup.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&no_pass.stderr).contains("AYADA_BACKUP_PASSPHRASE"));
    let made = a.run_with(
        OWNER,
        &[PASSPHRASE],
        &["backup", "--out", backup.to_str().unwrap()],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let restored = Machine::new(root.path(), "restored");
    let wrong = restored.run_with(
        None,
        &[("AYADA_BACKUP_PASSPHRASE", "not the passphrase")],
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("cannot be opened with this passphrase")
    );
    let done = restored.run_with(
        None,
        &[PASSPHRASE],
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        restored.open().document_heads().unwrap(),
        a.open().document_heads().unwrap()
    );
    assert_ne!(restored.open().node(), a.open().node());
    let same = restored.ok(OWNER, &["report", "day", "--date", &day]);
    assert_eq!(same, report);

    // Export for another system.
    let out = root.path().join("export");
    let exported = a.ok(OWNER, &["export", "--out", out.to_str().unwrap()]);
    assert!(exported["tables"].as_array().unwrap().len() >= 10);
    let patients = std::fs::read_to_string(out.join("patients.csv")).unwrap();
    assert!(patients.lines().count() > 10);
}
