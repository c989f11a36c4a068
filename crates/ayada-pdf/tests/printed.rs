//! The printed pages of a generated month, read back with poppler (`pdftotext`, `pdftoppm`)
//! the way a person or another program would: the totals are there, the Arabic is there as
//! Arabic words, every label exists in both languages, and the files stay small. The PNGs
//! are kept in target/test-artifacts/pdf for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use ayada_core::reports::ServerCheck;
use ayada_core::Role;

mod fixture;
use fixture::PW;

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts/pdf");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text_of(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by the README's test command");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn render(pdf: &Path, name: &str) {
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", "80"])
        .arg(pdf)
        .arg(artifacts().join(name))
        .output()
        .expect("pdftoppm is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn save(bytes: &[u8], name: &str) -> PathBuf {
    let path = artifacts().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn the_day_month_and_receipt_pages_carry_the_cashbook_totals_in_both_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner, day) = fixture::generated_clinic(tmp.path(), 40, 11);
    let report = clinic
        .close_day(
            &owner,
            day,
            ServerCheck {
                asked: true,
                caught_up: true,
                detail: "3 machines".into(),
            },
        )
        .unwrap();
    let cash = clinic.cash_summary(&owner, day).unwrap();
    assert_eq!(report.totals.net_revenue, cash.net_revenue);

    let started = std::time::Instant::now();
    let pdf = ayada_pdf::day_report(&report).unwrap();
    eprintln!(
        "day report: {} bytes in {:?} (debug build)",
        pdf.len(),
        started.elapsed()
    );
    let path = save(&pdf, "day.pdf");
    render(&path, "day");
    assert!(pdf.len() <= 200 * 1024, "{} bytes", pdf.len());
    let text = text_of(&path);
    for amount in [cash.net_revenue, cash.net_cash] {
        let printed = ayada_pdf::format_money(amount.minor());
        assert!(text.contains(&printed), "{printed} not in:\n{text}");
    }
    assert!(
        text.contains("تقرير إقفال اليوم"),
        "Arabic heading:\n{text}"
    );
    assert!(text.contains("عيادة الشفاء"));
    assert!(text.contains("Z-1"));
    assert!(
        !text.contains("pdf-"),
        "a label is missing a translation:\n{text}"
    );

    let month = clinic.month_report(&owner, day).unwrap();
    let pdf = ayada_pdf::month_report(&month).unwrap();
    let path = save(&pdf, "month.pdf");
    render(&path, "month");
    assert!(pdf.len() <= 200 * 1024, "{} bytes", pdf.len());
    let text = text_of(&path);
    let net = ayada_pdf::format_money(month.totals.net_revenue.minor());
    assert!(text.contains(&net), "{net} not in month:\n{text}");
    assert!(text.contains("ملخص الشهر"));
    assert!(!text.contains("pdf-"));

    let desk = clinic.login("reception", PW).unwrap();
    assert_eq!(desk.role(), Role::Receptionist);
    let payment = clinic
        .cash_entries(&owner, day)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == ayada_core::cashbook::EntryKind::Payment)
        .unwrap();
    let receipt = clinic.receipt(&desk, payment.id).unwrap();
    let pdf = ayada_pdf::receipt(&receipt).unwrap();
    let path = save(&pdf, "receipt.pdf");
    render(&path, "receipt");
    let text = text_of(&path);
    assert!(text.contains(&ayada_pdf::format_money(payment.amount.minor())));
    assert!(text.contains("إيصال"), "{text}");
    assert!(
        text.contains(&receipt.patient),
        "{}: {text}",
        receipt.patient
    );
    let size = page_size(&path);
    assert!((size.0 - 226.8).abs() < 1.0, "80 mm wide: {size:?}");
}

fn page_size(pdf: &Path) -> (f32, f32) {
    let out = Command::new("pdfinfo").arg(pdf).output().unwrap();
    let info = String::from_utf8(out.stdout).unwrap();
    let line = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
    let mut numbers = line
        .split_whitespace()
        .filter_map(|w| w.parse::<f32>().ok());
    (numbers.next().unwrap(), numbers.next().unwrap())
}
