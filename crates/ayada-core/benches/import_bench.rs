//! A clinic moving in: 50,000 patients from an Excel workbook with Arabic headings (made
//! here with rust_xlsxwriter), read, checked and written in one transaction. Prints JSON.
//!
//!     cargo bench -p ayada-core --bench import_bench
//!     AYADA_IMPORT_ROWS=200000 cargo bench -p ayada-core --bench import_bench

use std::time::Instant;

use ayada_core::import::ImportOptions;
use ayada_core::{Clinic, InitOptions, KeySource};
use rust_xlsxwriter::Workbook;
use serde_json::json;

fn workbook(rows: usize) -> Vec<u8> {
    let first = [
        "محمد",
        "أحمد",
        "فاطمة",
        "مريم",
        "Omar",
        "Sara",
        "يوسف",
        "نور",
        "علي",
        "هدى",
    ];
    let last = [
        "حسن",
        "السيد",
        "عبد الله",
        "Mansour",
        "الشريف",
        "النجار",
        "Fouad",
        "عثمان",
    ];
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, heading) in [
        "اسم المريض",
        "رقم الموبايل",
        "النوع",
        "تاريخ الميلاد",
        "ملاحظات",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *heading).unwrap();
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        let name = format!(
            "{} {} {}",
            first[i % 10],
            first[(i / 10) % 10],
            last[(i / 100) % 8]
        );
        sheet.write_string(r, 0, name).unwrap();
        sheet.write_string(r, 1, format!("012{:08}", i)).unwrap();
        sheet
            .write_string(r, 2, if i % 2 == 0 { "ذكر" } else { "أنثى" })
            .unwrap();
        sheet
            .write_string(
                r,
                3,
                format!("{:02}/{:02}/{}", 1 + i % 28, 1 + i % 12, 1950 + i % 60),
            )
            .unwrap();
        sheet
            .write_string(r, 4, if i % 7 == 0 { "ضغط" } else { "" })
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

fn main() {
    let rows: usize = std::env::var("AYADA_IMPORT_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(50_000);
    let t = Instant::now();
    let file = workbook(rows);
    let make_s = t.elapsed().as_secs_f64();
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner) = Clinic::init(
        &tmp.path().join("clinic"),
        &KeySource::KeyFile(tmp.path().join("clinic.key")),
        &InitOptions::in_egypt("Moving in", "owner", "Owner", "owner-pass-1"),
    )
    .unwrap();
    let t = Instant::now();
    let preview = clinic
        .import_patients(
            &owner,
            &file,
            &ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .unwrap();
    let preview_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = clinic
        .import_patients(&owner, &file, &ImportOptions::default())
        .unwrap();
    let import_s = t.elapsed().as_secs_f64();
    assert_eq!(report.imported, rows, "{:?}", report.bad.first());
    let t = Instant::now();
    let again = clinic
        .import_patients(
            &owner,
            &file,
            &ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .unwrap();
    let again_s = t.elapsed().as_secs_f64();
    assert_eq!(again.duplicates.len(), rows);
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "rows": rows,
            "workbook_bytes": file.len(),
            "make_workbook_seconds": make_s,
            "preview_seconds": preview_s,
            "preview_valid": preview.valid,
            "import_seconds": import_s,
            "patients_per_second": rows as f64 / import_s,
            "second_preview_all_known_seconds": again_s,
        }))
        .unwrap()
    );
}
