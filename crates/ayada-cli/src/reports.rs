//! The owner's desk from a terminal: day reports and closes, the month, revenue trends,
//! receipts, backup, restore and export.

use std::fmt::Write as _;
use std::path::Path;

use ayada_core::reports::{DayReport, Period, Totals};
use ayada_core::time::parse_date;
use ayada_core::{Clinic, Lang, Said};
use serde_json::json;

use crate::args::ReportCommand;
use crate::commands::{date_or_today, logged_in, secret, Out};
use crate::{Answer, Env, Failure};

/// Writes a PDF next to its final name first, so a full disk never leaves half a file.
fn write_pdf(path: &Path, bytes: Result<Vec<u8>, ayada_pdf::PdfError>) -> Result<(), Failure> {
    let bytes = bytes.map_err(|e| Failure::usage(Said::new("cli-pdf-failed").with("detail", e)))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let written = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::usage(
            Said::new("cli-unwritable")
                .with("path", path.display())
                .with("detail", e),
        )
    })
}

/// A label of the printed reports, in `lang`: the CLI's tables say what the paper says.
pub(crate) fn word(lang: Lang, id: &str) -> String {
    ayada_core::i18n::message(lang, &format!("pdf-{id}"), &[])
}

fn totals_text(text: &mut String, t: &Totals, lang: Lang) {
    for (title, lines) in [
        ("payments", &t.payments),
        ("refunds", &t.refunds),
        ("by-insurer", &t.by_insurer),
        ("by-doctor", &t.by_doctor),
        ("by-visit-type", &t.by_visit_type),
        ("expenses", &t.expenses),
    ] {
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(text, "  {}", word(lang, title));
        for l in lines {
            let _ = writeln!(text, "    {:<24} x{:<4} {:>12}", l.key, l.count, l.amount);
        }
    }
    let _ = writeln!(
        text,
        "  {} {}   {} {}   {} {}",
        word(lang, "net-revenue"),
        t.net_revenue,
        word(lang, "net-cash"),
        t.net_cash,
        word(lang, "total-expenses"),
        t.total_expenses
    );
}

fn day_text(r: &DayReport, lang: Lang) -> String {
    let mut text = match r.number {
        Some(n) => format!(
            "{} Z-{n} {} ({} {}, {} {})\n",
            word(lang, "z-report"),
            r.date,
            word(lang, "closed-at"),
            r.closed_at.clone().unwrap_or_default(),
            word(lang, "closed-by"),
            r.closed_by.clone().unwrap_or_default()
        ),
        None => format!("{} {}\n", word(lang, "preview"), r.date),
    };
    if let Some(check) = &r.server_check {
        if check.caught_up {
            let _ = writeln!(text, "  {}", word(lang, "server-ok"));
        } else {
            let _ = writeln!(text, "  {} {}", word(lang, "server-not"), check.detail);
        }
    }
    totals_text(&mut text, &r.totals, lang);
    if !r.shifts.is_empty() {
        let _ = writeln!(text, "  {}", word(lang, "shifts"));
    }
    for s in &r.shifts {
        let _ = writeln!(
            text,
            "    {} {}  {} {}  {} {}  {} {}  {} {}",
            s.opened_at,
            s.opened_by,
            word(lang, "float"),
            s.float,
            word(lang, "expected"),
            s.expected,
            word(lang, "counted"),
            s.counted
                .map(|m| m.to_string())
                .unwrap_or_else(|| word(lang, "shift-open")),
            word(lang, "difference"),
            s.difference.map(|m| m.to_string()).unwrap_or_default()
        );
    }
    let _ = writeln!(
        text,
        "  {} {}  {} {}  {} {}  {} {}",
        word(lang, "bookings"),
        r.bookings,
        word(lang, "visits"),
        r.visits,
        word(lang, "cancelled"),
        r.cancelled,
        word(lang, "no-shows"),
        r.no_shows
    );
    if !r.late.is_empty() {
        let _ = writeln!(text, "  {}", word(lang, "late"));
    }
    for l in &r.late {
        let _ = writeln!(
            text,
            "    {}: {} {} {}",
            l.date,
            ayada_core::i18n::term(lang, "kind", &l.kind),
            l.method,
            l.amount
        );
    }
    text.trim_end().to_string()
}

fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// `report …`.
pub fn report(env: &Env, cmd: ReportCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        ReportCommand::Day { date, pdf } => {
            let date = date_or_today(&clinic, date)?;
            let r = clinic.day_report(&s, date)?;
            if let Some(path) = &pdf {
                write_pdf(path, ayada_pdf::day_report(&r))?;
            }
            Ok(Answer::new(json_of(&r), day_text(&r, env.lang)))
        }
        ReportCommand::Close { date, pdf } => {
            let date = date_or_today(&clinic, date)?;
            // Refuse a forbidden or repeated close before spending a sync round on it.
            s.allow(ayada_core::roles::Action::CloseDay)?;
            let check = ayada_client::server_check(&mut clinic);
            let r = clinic.close_day(&s, date, check)?;
            if let Some(path) = &pdf {
                write_pdf(path, ayada_pdf::day_report(&r))?;
            }
            Ok(Answer::new(json_of(&r), day_text(&r, env.lang)))
        }
        ReportCommand::Closes => {
            let closes = clinic.day_closes(&s)?;
            let text = closes
                .iter()
                .map(|c| {
                    format!(
                        "Z-{:<5} {}  {} {:>12}  {} {}",
                        c.number,
                        c.date,
                        word(env.lang, "net"),
                        c.net_revenue,
                        word(env.lang, "closed-by"),
                        c.closed_by
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(json!({ "closes": closes }), text))
        }
        ReportCommand::Month { month, pdf } => {
            let first = match month {
                Some(m) => parse_date(&format!("{}-01", m.trim()))?,
                None => clinic.time().today(),
            };
            let r = clinic.month_report(&s, first)?;
            if let Some(path) = &pdf {
                write_pdf(path, ayada_pdf::month_report(&r))?;
            }
            let mut text = format!("{} {}\n", word(env.lang, "month"), r.month);
            for d in &r.days {
                let z = d.z_number.map(|n| format!("Z-{n}")).unwrap_or_default();
                let _ = writeln!(
                    text,
                    "  {} {:>12} {:>12} {:>12} {:>4} {z}",
                    d.date, d.payments, d.refunds, d.expenses, d.visits
                );
            }
            totals_text(&mut text, &r.totals, env.lang);
            Ok(Answer::new(json_of(&r), text.trim_end().to_string()))
        }
        ReportCommand::Revenue { from, to, by } => {
            let period: Period = by.parse()?;
            let buckets = clinic.revenue(&s, parse_date(&from)?, parse_date(&to)?, period)?;
            let text = buckets
                .iter()
                .map(|b| {
                    format!(
                        "{}  {:>12}  {} {}",
                        b.start,
                        b.revenue,
                        word(env.lang, "visits"),
                        b.visits
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Answer::new(json!({ "by": by, "buckets": buckets }), text))
        }
    }
}

/// `receipt --payment ID --pdf FILE`.
pub fn receipt(env: &Env, payment: &str, pdf: &Path) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    let r = clinic.receipt(&s, payment.parse()?)?;
    write_pdf(pdf, ayada_pdf::receipt(&r))?;
    Ok(Answer::new(
        json!({ "receipt": r, "pdf": pdf.display().to_string() }),
        Said::new("cli-receipt")
            .with("amount", r.amount)
            .with("currency", &r.header.currency)
            .with("path", pdf.display())
            .text(env.lang),
    ))
}

/// `export-download --email EMAIL --out FILE`: the server's export of an ended clinic.
pub fn export_download(env: &Env, email: &str, out: &Path) -> Out {
    let clinic = ayada_core::Clinic::open(&env.data, &env.key)?;
    let password = secret("AYADA_PASSWORD")?;
    let passphrase = secret("AYADA_EXPORT_PASSPHRASE")?;
    let code = std::env::var("AYADA_TOTP").ok();
    let got = ayada_client::export_open::download(
        &clinic,
        email,
        &password,
        code.as_deref(),
        &passphrase,
        out,
    )?;
    Ok(Answer::new(
        json!({ "file": got.file, "bytes": got.bytes }),
        Said::new("cli-export-downloaded")
            .with("file", &got.file)
            .with("bytes", got.bytes)
            .text(env.lang),
    ))
}

/// `export-open --file FILE`: a terminated clinic's export from the server, opened here.
pub fn export_open(env: &Env, file: &Path) -> Out {
    let passphrase = secret("AYADA_EXPORT_PASSPHRASE")?;
    let reader = std::fs::File::open(file).map_err(|e| crate::commands::unreadable(file, e))?;
    let opened = ayada_client::export_open::open(
        &env.data,
        &env.key,
        std::io::BufReader::new(reader),
        &passphrase,
    )?;
    Ok(Answer::new(
        json!({
            "clinic_id": opened.clinic_id,
            "name": opened.name,
            "documents": opened.documents,
            "photos": opened.photos,
        }),
        Said::new("cli-export-opened")
            .with("clinic", &opened.name)
            .with("documents", opened.documents)
            .with("photos", opened.photos)
            .text(env.lang),
    ))
}

/// `login-code start|confirm|off`: the owner's login code on the clinic's machines.
pub fn login_code(env: &Env, cmd: crate::args::LoginCodeCommand) -> Out {
    use crate::args::LoginCodeCommand;
    let (mut clinic, s) = logged_in(env)?;
    match cmd {
        LoginCodeCommand::Start => {
            let setup = clinic.start_login_code(&s)?;
            Ok(Answer::new(
                json!({ "secret": setup.secret, "otpauth": setup.uri }),
                Said::new("cli-login-code-start")
                    .with("secret", &setup.secret)
                    .text(env.lang),
            ))
        }
        LoginCodeCommand::Confirm { code } => {
            clinic.confirm_login_code(&s, &code)?;
            Ok(Answer::new(
                json!({ "login_code": true }),
                Said::new("cli-login-code-on").text(env.lang),
            ))
        }
        LoginCodeCommand::Off { code } => {
            clinic.remove_login_code(&s, &code)?;
            Ok(Answer::new(
                json!({ "login_code": false }),
                Said::new("cli-login-code-off").text(env.lang),
            ))
        }
    }
}

/// `backup --out FILE`.
pub fn backup(env: &Env, out: &Path) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    let passphrase = secret("AYADA_BACKUP_PASSPHRASE")?;
    let r = clinic.backup(&s, out, &passphrase)?;
    Ok(Answer::new(
        json!({ "file": r.file, "bytes": r.bytes, "documents": r.documents, "changes": r.changes }),
        Said::new("cli-backup")
            .with("file", &r.file)
            .with("bytes", r.bytes)
            .with("documents", r.documents)
            .text(env.lang),
    ))
}

/// `restore --from FILE` into the (empty) data folder.
pub fn restore(env: &Env, from: &Path) -> Out {
    let passphrase = secret("AYADA_BACKUP_PASSPHRASE")?;
    let clinic = Clinic::restore(&env.data, &env.key, from, &passphrase)?;
    Ok(Answer::new(
        json!({ "clinic_id": clinic.id(), "node_id": clinic.node(), "data": env.data.display().to_string() }),
        Said::new("cli-restored")
            .with("clinic", clinic.id())
            .with("dir", env.data.display())
            .text(env.lang),
    ))
}

/// `export --out DIR`.
pub fn export(env: &Env, out: &Path) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    let r = clinic.export(&s, out)?;
    Ok(Answer::new(
        json!({ "folder": r.folder, "tables": r.tables, "photos": r.photos }),
        Said::new("cli-exported")
            .with("tables", r.tables.len())
            .with("photos", r.photos)
            .with("folder", &r.folder)
            .text(env.lang),
    ))
}
