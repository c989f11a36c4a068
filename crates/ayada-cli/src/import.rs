//! `import patients` and `import appointments`: a clinic's old workbook or CSV, checked
//! whole and reported line by line before anything is written.

use std::fmt::Write as _;

use ayada_core::import::{Field, ImportOptions, ImportReport, Repeats};
use ayada_core::Said;
use serde_json::json;

use crate::args::ImportCommand;
use crate::commands::{logged_in, unreadable, Out};
use crate::{Answer, Env, Failure};

pub(crate) fn import(env: &Env, cmd: ImportCommand) -> Out {
    let (mut clinic, s) = logged_in(env)?;
    let (file, options, appointments) = match cmd {
        ImportCommand::Patients {
            file,
            dry_run,
            skip_bad_lines,
            merge_duplicates,
            columns,
        } => {
            let options = ImportOptions {
                dry_run,
                skip_bad_lines,
                merge_duplicates,
                columns: corrections(&columns)?,
            };
            (file, options, false)
        }
        ImportCommand::Appointments {
            file,
            dry_run,
            skip_bad_lines,
            columns,
        } => {
            let options = ImportOptions {
                dry_run,
                skip_bad_lines,
                columns: corrections(&columns)?,
                ..ImportOptions::default()
            };
            (file, options, true)
        }
    };
    let bytes = std::fs::read(&file).map_err(|e| unreadable(&file, e))?;
    let report = if appointments {
        clinic.import_appointments(&s, &bytes, &options)?
    } else {
        clinic.import_patients(&s, &bytes, &options)?
    };
    answer(env, &report, &options)
}

fn corrections(columns: &[String]) -> Result<Vec<(usize, Field)>, Failure> {
    columns.iter().map(|c| column_correction(c)).collect()
}

/// The report, line by line, then the count; a refused file fails after showing it.
fn answer(env: &Env, report: &ImportReport, options: &ImportOptions) -> Out {
    if !report.missing.is_empty() {
        // A preview of a file without the columns it needs says what a refusal says.
        return Err(ayada_core::CoreError::Invalid {
            field: "file".into(),
            reason: "csv-columns".into(),
        }
        .into());
    }
    let bad: Vec<_> = report.bad.iter().map(|b| json!({ "line": b.line, "code": b.error.code(), "message": b.error.message(env.lang) })).collect();
    let mut text = String::new();
    for b in &report.bad {
        let line = Said::new("cli-import-line").with("line", b.line);
        let _ = writeln!(
            text,
            "{}: {}",
            line.text(env.lang),
            b.error.message(env.lang)
        );
    }
    for d in &report.duplicates {
        let line = Said::new("cli-import-line").with("line", d.line);
        let said = match &d.repeats {
            Repeats::Patient { id } => Said::new("cli-duplicate-known").with("id", id),
            Repeats::Line { line } => Said::new("cli-duplicate-line").with("line", line),
        };
        let _ = writeln!(
            text,
            "{}: {} {} {}",
            line.text(env.lang),
            d.name,
            d.phone,
            said.with("merge", options.merge_duplicates.to_string())
                .text(env.lang)
        );
    }
    text.push_str(
        &Said::new("cli-imported")
            .with("lines", report.lines)
            .with("valid", report.valid)
            .with("imported", report.imported)
            .text(env.lang),
    );
    let answer = json!({
        "source": report.source,
        "columns": report.headings.iter().zip(&report.columns).map(|(h, f)| json!({ "heading": h, "field": f })).collect::<Vec<_>>(),
        "lines": report.lines,
        "valid": report.valid,
        "imported": report.imported,
        "merged": report.merged,
        "bad_lines": bad,
        "duplicates": report.duplicates,
        "dry_run": options.dry_run,
    });
    if !options.dry_run && !report.bad.is_empty() && !options.skip_bad_lines {
        // Show what is wrong, then fail: nothing was imported.
        if env.json {
            println!("{answer}");
        } else {
            println!("{text}");
        }
        return Err(Failure::Reported(
            Said::new("cli-import-rejected").with("bad_lines", report.bad.len()),
        ));
    }
    Ok(Answer::new(answer, text))
}

/// A person's "3=phone": column 3 (counted from 1, as a spreadsheet's) holds phones.
fn column_correction(text: &str) -> Result<(usize, Field), Failure> {
    let refuse = || Failure::usage(Said::new("cli-bad-column").with("given", text));
    let (number, field) = text.split_once('=').ok_or_else(refuse)?;
    let number: usize = number.trim().parse().map_err(|_| refuse())?;
    let field: Field = serde_json::from_value(json!(field.trim())).map_err(|_| refuse())?;
    Ok((number.checked_sub(1).ok_or_else(refuse)?, field))
}
