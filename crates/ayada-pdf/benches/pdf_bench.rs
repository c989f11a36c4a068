//! How long the printed pages take and how big they are, on a generated clinic.
//!
//! `cargo bench -p ayada-pdf --bench pdf_bench` prints one JSON object; docs/BENCHMARKS.md
//! records the figures. AYADA_BENCH_DAYS sets the generated history (default 60).

use std::time::Instant;

use ayada_core::reports::ServerCheck;

#[path = "../tests/fixture/mod.rs"]
mod fixture;

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn time<F: FnMut() -> Vec<u8>>(runs: usize, mut f: F) -> (f64, f64, usize) {
    let mut samples = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        size = f().len();
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
        size,
    )
}

fn main() {
    let days: u32 = std::env::var("AYADA_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(60);
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner, day) = fixture::generated_clinic(tmp.path(), days, 5);
    let report = clinic
        .close_day(&owner, day, ServerCheck::default())
        .unwrap();
    let month = clinic.month_report(&owner, day).unwrap();
    let entry = clinic
        .cash_entries(&owner, day)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == ayada_core::cashbook::EntryKind::Payment)
        .unwrap();
    let receipt = clinic.receipt(&owner, entry.id).unwrap();

    // The first page pays for parsing the fonts once per process.
    let first = Instant::now();
    ayada_pdf::day_report(&report).unwrap();
    let first_ms = first.elapsed().as_secs_f64() * 1000.0;
    let (day_p50, day_p99, day_bytes) = time(50, || ayada_pdf::day_report(&report).unwrap());
    let (month_p50, month_p99, month_bytes) = time(30, || ayada_pdf::month_report(&month).unwrap());
    let (receipt_p50, receipt_p99, receipt_bytes) =
        time(50, || ayada_pdf::receipt(&receipt).unwrap());
    println!(
        "{}",
        serde_json_like(&[
            ("generated_days", days as f64),
            (
                "day_payments",
                report.totals.payments.iter().map(|l| l.count).sum::<i64>() as f64
            ),
            ("first_day_report_ms", first_ms),
            ("day_report_p50_ms", day_p50),
            ("day_report_p99_ms", day_p99),
            ("day_report_bytes", day_bytes as f64),
            ("month_report_p50_ms", month_p50),
            ("month_report_p99_ms", month_p99),
            ("month_report_bytes", month_bytes as f64),
            ("receipt_p50_ms", receipt_p50),
            ("receipt_p99_ms", receipt_p99),
            ("receipt_bytes", receipt_bytes as f64),
        ])
    );
}

/// Flat JSON of numbers, rounded to 0.01.
fn serde_json_like(fields: &[(&str, f64)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {}", (v * 100.0).round() / 100.0))
        .collect();
    format!("{{{}}}", body.join(", "))
}
