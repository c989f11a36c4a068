//! Local write latency (book, pay), patient search over 30k and 200k patients, and the
//! encryption overhead, on the generated reference clinic. Prints one JSON object.
//!
//!   cargo bench -p ayada-core --features bench-plain --bench core_bench
//!
//! AYADA_BENCH_DAYS (default 1825, five years) sets the size of the reference clinic, and
//! AYADA_BENCH_PATIENTS (default 200000) the size of the large search.

use std::time::Instant;

use ayada_core::appointments::Booking;
use ayada_core::cashbook::Method;
use ayada_core::demo::DemoOptions;
use ayada_core::import::ImportOptions;
use ayada_core::patients::NewPatient;
use ayada_core::time::parse_date;
use ayada_core::{Clinic, InitOptions, KeySource, Money, Session};
use jiff::civil::Time;
use serde_json::json;

const PASSWORD: &str = "bench-pass-1";
const WRITES: usize = 600;

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn stats(mut ms: Vec<f64>) -> serde_json::Value {
    json!({
        "n": ms.len(),
        "p50_ms": percentile(&mut ms, 0.50),
        "p95_ms": percentile(&mut ms, 0.95),
        "p99_ms": percentile(&mut ms, 0.99),
        "max_ms": percentile(&mut ms, 1.0),
    })
}

fn reference_clinic(dir: &std::path::Path, key: &KeySource, days: u32) -> (Clinic, Session, f64) {
    let options = InitOptions::in_egypt("Reference clinic", "owner", "Owner", PASSWORD);
    let (mut clinic, owner) = Clinic::init(dir, key, &options).unwrap();
    let started = Instant::now();
    clinic
        .generate_demo(
            &owner,
            &DemoOptions {
                days,
                staff_password: PASSWORD.into(),
                seed: 42,
            },
        )
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let reception = clinic.login("reception", PASSWORD).unwrap();
    (clinic, reception, seconds)
}

/// Books WRITES future slots and pays each, timing every operation.
fn write_workload(clinic: &mut Clinic, desk: &Session) -> (Vec<f64>, Vec<f64>) {
    let _ = clinic.open_shift(desk, Money(50_000));
    let patients: Vec<_> = (0..50)
        .map(|i| {
            clinic
                .add_patient(
                    desk,
                    &NewPatient {
                        name: format!("Bench Patient {i}"),
                        phone: format!("0100{i:07}"),
                        ..Default::default()
                    },
                )
                .unwrap()
                .id
        })
        .collect();
    let mut slots = Vec::new();
    let mut date = parse_date("2031-01-04").unwrap();
    while slots.len() < WRITES {
        if date.weekday() != jiff::civil::Weekday::Friday {
            for doctor in ["dr.sara", "dr.karim"] {
                for h in 10..14 {
                    for m in [0, 15, 30, 45] {
                        // A booking must end within the doctor's hours (10:00-14:00).
                        if h * 60 + m + 30 <= 14 * 60 {
                            slots.push((date, Time::constant(h, m, 0, 0), doctor));
                        }
                    }
                }
            }
        }
        date = date.tomorrow().unwrap();
    }
    let mut book_ms = Vec::new();
    let mut booked = Vec::new();
    for (i, (date, time, doctor)) in slots.into_iter().take(WRITES).enumerate() {
        let booking = Booking {
            patient: patients[i % patients.len()],
            doctor_login: doctor.into(),
            date,
            time,
            visit_type: "examination".into(),
        };
        let t = Instant::now();
        let a = clinic.book(desk, &booking).unwrap();
        book_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        booked.push(a.id);
    }
    let mut pay_ms = Vec::new();
    for id in booked {
        let t = Instant::now();
        clinic
            .pay(desk, id, Money(40_000), Method::Cash, None)
            .unwrap();
        pay_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (book_ms, pay_ms)
}

const QUERIES: &[&str] = &[
    "محمد",
    "احمد",
    "فاطمه",
    "مصطفي",
    "ابراهيم السيد",
    "يوسف",
    "نور",
    "مر",
    "ع",
    "عبد الله",
    "اسماء",
    "Omar",
    "sara",
    "hassan",
    "Kar",
    "010",
    "0101",
    "01012",
    "٠١٢٣",
    "+20 11",
    "5555",
    "الشريف",
];

fn search_workload(clinic: &mut Clinic, desk: &Session) -> Vec<f64> {
    let mut ms = Vec::new();
    for _ in 0..20 {
        for q in QUERIES {
            let t = Instant::now();
            let hits = clinic.search_patients(desk, q, 20).unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(hits);
        }
    }
    ms
}

fn patient_count(clinic: &mut Clinic, owner: &Session) -> usize {
    let _ = owner;
    clinic
        .projection_snapshot()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("patients:"))
        .count()
}

fn main() {
    let days: u32 = std::env::var("AYADA_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(5 * 365);
    let tmp = tempfile::tempdir().unwrap();

    let encrypted_dir = tmp.path().join("encrypted");
    let key = KeySource::KeyFile(tmp.path().join("bench.key"));
    let (mut clinic, desk, generate_s) = reference_clinic(&encrypted_dir, &key, days);
    let mut owner = clinic.login("owner", PASSWORD).unwrap();
    let (book, pay) = write_workload(&mut clinic, &desk);
    let patients_30k = patient_count(&mut clinic, &owner);
    let search_small = search_workload(&mut clinic, &desk);

    // Grow to 200k patients through the CSV import path, then search again.
    let target: usize = std::env::var("AYADA_BENCH_PATIENTS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(200_000);
    let mut csv = String::from("name,phone\n");
    let first = [
        "محمد",
        "أحمد",
        "فاطمة",
        "مريم",
        "يوسف",
        "Omar",
        "Sara",
        "نور",
        "إيمان",
        "مصطفى",
    ];
    let last = [
        "السيد",
        "إبراهيم",
        "حسن",
        "Hassan",
        "الشريف",
        "النجار",
        "Fouad",
        "عثمان",
    ];
    for i in 0..target.saturating_sub(patients_30k) {
        csv.push_str(&format!(
            "{} {} {},012{:08}\n",
            first[i % 10],
            first[(i / 10) % 10],
            last[(i / 100) % 8],
            i
        ));
    }
    owner = clinic.login("owner", PASSWORD).unwrap();
    let t = Instant::now();
    let report = clinic
        .import_patients(&owner, csv.as_bytes(), &ImportOptions::default())
        .unwrap();
    let import_s = t.elapsed().as_secs_f64();
    let patients_200k = patients_30k + report.imported;
    let search_large = search_workload(&mut clinic, &desk);
    let db_bytes = std::fs::metadata(encrypted_dir.join("clinic.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    drop(clinic);

    let plain_dir = tmp.path().join("plain");
    let (mut plain, plain_desk, plain_generate_s) =
        reference_clinic(&plain_dir, &KeySource::PlainForBenchmark, days);
    let (plain_book, plain_pay) = write_workload(&mut plain, &plain_desk);

    let median = |v: &Vec<f64>| percentile(&mut v.clone(), 0.5);
    let ratio = (median(&book) + median(&pay)) / (median(&plain_book) + median(&plain_pay));
    let out = json!({
        "reference_clinic": { "days": days, "generate_seconds": generate_s, "db_bytes_after_200k_patients": db_bytes, "plain_generate_seconds": plain_generate_s },
        "write_book": stats(book.clone()),
        "write_pay": stats(pay.clone()),
        "plain_write_book": stats(plain_book.clone()),
        "plain_write_pay": stats(plain_pay.clone()),
        "encrypted_over_plain_p50": ratio,
        "search": {
            "patients_small": patients_30k,
            "small": stats(search_small),
            "patients_large": patients_200k,
            "large": stats(search_large),
            "import_seconds": import_s,
            "import_patients_per_second": report.imported as f64 / import_s,
        },
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
