//! The money: the drawer's shifts, payments, refunds and expenses, the day's report and its
//! close, revenue, and the printed report and receipts.

use std::collections::BTreeMap;

use ayada_core::cashbook::{Entry, Method};
use ayada_core::reports::{Bucket, DayReport, Period, ServerCheck};
use ayada_core::shifts::{OpenShift, Shift, ShiftClosed};
use ayada_core::time::parse_date;
use ayada_core::{Money, Said};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use super::{changing, lang_of, off_the_ui, said, with_session, Answer};
use crate::state::AppState;

/// A file the app wrote.
#[derive(Debug, Serialize, specta::Type)]
pub struct SavedFile {
    pub path: String,
}

/// Opens this machine's drawer.
#[tauri::command]
#[specta::specta]
pub fn open_shift(app: AppHandle, state: State<'_, AppState>, float: String) -> Answer<Shift> {
    changing(&app, &state, "cash", |c, s| {
        c.open_shift(s, Money::parse(&float)?)
    })
}

/// The shift open on this machine, if any (who opened it and when; no money).
#[tauri::command]
#[specta::specta]
pub fn open_shift_here(state: State<'_, AppState>) -> Answer<Option<OpenShift>> {
    with_session(&state, |c, s| c.open_shift_here(s))
}

/// Closes this machine's drawer with the counted cash.
#[tauri::command]
#[specta::specta]
pub fn close_shift(
    app: AppHandle,
    state: State<'_, AppState>,
    counted: String,
    note: String,
) -> Answer<ShiftClosed> {
    changing(&app, &state, "cash", |c, s| {
        c.close_shift(s, Money::parse(&counted)?, &note)
    })
}

/// Takes a payment for an appointment.
#[tauri::command]
#[specta::specta]
pub fn pay(
    app: AppHandle,
    state: State<'_, AppState>,
    appointment: String,
    amount: String,
    method: String,
    insurer: Option<String>,
) -> Answer<Entry> {
    changing(&app, &state, "cash", |c, s| {
        let method: Method = method.parse()?;
        c.pay(
            s,
            appointment.parse()?,
            Money::parse(&amount)?,
            method,
            insurer.as_deref().filter(|i| !i.is_empty()),
        )
    })
}

/// Gives money back against a payment (never more than was paid).
#[tauri::command]
#[specta::specta]
pub fn refund(
    app: AppHandle,
    state: State<'_, AppState>,
    payment: String,
    amount: String,
    reason: String,
) -> Answer<Entry> {
    changing(&app, &state, "cash", |c, s| {
        c.refund(s, payment.parse()?, Money::parse(&amount)?, &reason)
    })
}

/// Records an expense paid from the drawer.
#[tauri::command]
#[specta::specta]
pub fn add_expense(
    app: AppHandle,
    state: State<'_, AppState>,
    amount: String,
    category: String,
    note: String,
) -> Answer<Entry> {
    changing(&app, &state, "cash", |c, s| {
        c.add_expense(s, Money::parse(&amount)?, &category, &note)
    })
}

/// A day's report (owner): the Z-report if closed, else a preview.
#[tauri::command]
#[specta::specta]
pub fn day_report(state: State<'_, AppState>, date: String) -> Answer<DayReport> {
    with_session(&state, |c, s| c.day_report(s, parse_date(&date)?))
}

/// The words of the day's report in the person's language, from ayada-core's catalogue (the
/// printed report's `pdf-…` labels and the entry kinds), so the screen and the paper say the
/// same thing. Keyed by the id without its `pdf-` prefix.
#[tauri::command]
#[specta::specta]
pub fn report_words(state: State<'_, AppState>) -> Answer<BTreeMap<String, String>> {
    const LABELS: [&str; 24] = [
        "payments",
        "refunds",
        "by-insurer",
        "by-doctor",
        "by-visit-type",
        "expenses",
        "total-payments",
        "total-refunds",
        "total-expenses",
        "net-revenue",
        "shifts",
        "shift-open",
        "float",
        "expected",
        "counted",
        "difference",
        "late-in-shift",
        "activity",
        "late",
        "none",
        "bookings",
        "visits",
        "cancelled",
        "no-shows",
    ];
    let lang = lang_of(&state)?;
    let mut words = BTreeMap::new();
    for id in LABELS {
        let text = ayada_core::i18n::message(lang, &format!("pdf-{id}"), &[]);
        words.insert(id.to_string(), text);
    }
    for kind in ["payment", "refund", "expense"] {
        let text = ayada_core::i18n::term(lang, "kind", kind);
        words.insert(format!("kind-{kind}"), text);
    }
    Ok(words)
}

/// Closes a day (owner). Runs off the UI thread: it first syncs and asks the server.
#[tauri::command]
#[specta::specta]
pub async fn close_day(app: AppHandle, date: String) -> Answer<DayReport> {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        changing(&app, &state, "cash", |c, s| {
            let date = parse_date(&date)?;
            s.allow(ayada_core::roles::Action::CloseDay)?;
            let check = match c.sync_settings()? {
                Some(_) => ayada_client::server_check(c),
                None => ServerCheck {
                    asked: false,
                    caught_up: false,
                    detail: "this machine is not enrolled with a sync server".into(),
                },
            };
            c.close_day(s, date, check)
        })
    })
    .await
}

/// Saves a day's report (owner) as a PDF: the Z-report if closed, else the preview.
#[tauri::command]
#[specta::specta]
pub fn save_day_pdf(state: State<'_, AppState>, date: String) -> Answer<SavedFile> {
    let report = with_session(&state, |c, s| c.day_report(s, parse_date(&date)?))?;
    let name = match report.number {
        Some(n) => format!("Z-{n}-{}.pdf", report.date),
        None => format!("preview-{}.pdf", report.date),
    };
    save_pdf(&state, &name, ayada_pdf::day_report(&report))
}

/// Saves the 80 mm receipt of a payment or refund (front desk and owner) as a PDF.
#[tauri::command]
#[specta::specta]
pub fn save_receipt_pdf(state: State<'_, AppState>, entry: String) -> Answer<SavedFile> {
    let receipt = with_session(&state, |c, s| c.receipt(s, entry.parse()?))?;
    let name = format!("receipt-{}.pdf", receipt.entry_id);
    save_pdf(&state, &name, ayada_pdf::receipt(&receipt))
}

/// Revenue and visits per period (owner), for the chart.
#[tauri::command]
#[specta::specta]
pub fn revenue(
    state: State<'_, AppState>,
    from: String,
    to: String,
    by: String,
) -> Answer<Vec<Bucket>> {
    with_session(&state, |c, s| {
        let period: Period = by.parse()?;
        c.revenue(s, parse_date(&from)?, parse_date(&to)?, period)
    })
}

/// Writes a printed page into the clinic's reports folder; answers its path.
fn save_pdf(
    state: &State<'_, AppState>,
    name: &str,
    bytes: Result<Vec<u8>, ayada_pdf::PdfError>,
) -> Answer<SavedFile> {
    let lang = lang_of(state)?;
    let bytes =
        bytes.map_err(|e| said("pdf", Said::new("app-pdf-failed").with("detail", e), lang))?;
    let folder = state.data.join("reports");
    let path = folder.join(name);
    std::fs::create_dir_all(&folder)
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| {
            said(
                "io",
                Said::new("app-pdf-unwritable").with("detail", e),
                lang,
            )
        })?;
    Ok(SavedFile {
        path: path.display().to_string(),
    })
}
