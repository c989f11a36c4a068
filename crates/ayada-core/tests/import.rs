//! A clinic moving in: its patients from an Excel workbook with Arabic headings, and from
//! CSVs in each encoding and separator Excel writes, with day-first dates, Arabic digits,
//! duplicates (of known patients and within the file) and a bad line. Every file is made
//! here; nothing personal is committed.

mod support;

use ayada_core::import::{Field, ImportOptions, Repeats, Source};
use ayada_core::patients::Gender;
use ayada_core::{Clinic, CoreError, Lang, Session};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const PW: &str = "owner-pass-1";

fn clinic() -> (tempfile::TempDir, Clinic, Session) {
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner) = support::new_clinic(tmp.path(), "عيادة", PW);
    // Known already: Laila, with no birth date on file.
    support::patient(&mut clinic, &owner, "ليلى حسن", "01055555555");
    (tmp, clinic, owner)
}

/// A workbook as a clinic keeps one: Arabic headings, phones typed as numbers or text with
/// Arabic digits, birth dates as real Excel dates.
fn workbook() -> Vec<u8> {
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
    let day = Format::new().set_num_format("dd/mm/yyyy");
    /// Name, phone, gender, date of birth, notes.
    type Line<'a> = (&'a str, &'a str, &'a str, Option<(u16, u8, u8)>, &'a str);
    let rows: [Line; 4] = [
        (
            "فاطمة الزهراء",
            "01012345678",
            "أنثى",
            Some((1985, 11, 23)),
            "ضغط",
        ),
        ("محمد علي", "٠١١٢٣٤٥٦٧٨٩", "ذكر", Some((1990, 2, 3)), ""),
        (
            "ليلى حسن",
            "+201055555555",
            "انثي",
            Some((1979, 6, 1)),
            "سكر",
        ),
        ("فاطمه الزهراء", "01012345678", "", None, ""),
    ];
    for (i, (name, phone, gender, dob, notes)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        if i == 0 {
            // Typed as a number, as Excel keeps a phone someone typed without its zero.
            sheet.write_number(r, 1, 1_012_345_678.0).unwrap();
        } else {
            sheet.write_string(r, 1, *phone).unwrap();
        }
        sheet.write_string(r, 2, *gender).unwrap();
        if let Some((y, m, d)) = dob {
            let date = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
            sheet.write_datetime_with_format(r, 3, &date, &day).unwrap();
        }
        sheet.write_string(r, 4, *notes).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn a_workbook_with_arabic_headings_imports_once_each_and_reports_the_duplicates() {
    let (_tmp, mut clinic, owner) = clinic();
    let file = workbook();
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
    assert_eq!(preview.source, Some(Source::Xlsx));
    assert_eq!(
        preview.columns,
        [
            Some(Field::Name),
            Some(Field::Phone),
            Some(Field::Gender),
            Some(Field::Dob),
            Some(Field::MedicalHistory)
        ]
    );
    assert_eq!(preview.preview[0][3], "1985-11-23");
    assert_eq!((preview.lines, preview.valid, preview.imported), (4, 2, 0));
    assert!(preview.bad.is_empty(), "{:?}", preview.bad);
    // Laila is known (the same phone written another way, her name the same); the last
    // row is Fatma again, her name spelled with ه, her phone typed another way.
    let repeats: Vec<_> = preview
        .duplicates
        .iter()
        .map(|d| (d.line, d.repeats.clone()))
        .collect();
    assert!(
        matches!(repeats[0], (4, Repeats::Patient { .. })),
        "{repeats:?}"
    );
    assert_eq!(repeats[1], (5, Repeats::Line { line: 2 }));

    let done = clinic
        .import_patients(
            &owner,
            &file,
            &ImportOptions {
                merge_duplicates: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((done.imported, done.merged), (2, 1));
    let fatma = clinic.search_patients(&owner, "فاطمة", 10).unwrap();
    assert_eq!(fatma.len(), 1, "one Fatma, not two");
    let file_of = |clinic: &mut Clinic, q: &str| {
        let hit = clinic.search_patients(&owner, q, 10).unwrap().remove(0);
        clinic.patient_file(&owner, hit.id).unwrap().patient
    };
    let f = file_of(&mut clinic, "فاطمة");
    assert_eq!(f.phone.to_string(), "+201012345678");
    assert_eq!(f.dob.as_deref(), Some("1985-11-23"));
    assert_eq!(f.gender, Some(Gender::Female));
    assert_eq!(f.medical_history, "ضغط");
    assert_eq!(
        file_of(&mut clinic, "محمد").phone.to_string(),
        "+201123456789"
    );
    // Laila's file gained what it lacked; nothing she had was overwritten.
    let laila = file_of(&mut clinic, "ليلى");
    assert_eq!(laila.dob.as_deref(), Some("1979-06-01"));
    assert_eq!(laila.medical_history, "سكر");

    // Imported again: everyone is known now, nobody is entered twice.
    let again = clinic
        .import_patients(&owner, &file, &ImportOptions::default())
        .unwrap();
    assert_eq!((again.imported, again.duplicates.len()), (0, 4));
    for name in ["فاطمة", "محمد", "ليلى"] {
        assert_eq!(
            clinic.search_patients(&owner, name, 10).unwrap().len(),
            1,
            "{name}"
        );
    }
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn csvs_in_every_encoding_and_separator_excel_writes_import_the_same_patients() {
    let rows = |sep: &str| {
        [
            ["الاسم", "التليفون", "تاريخ الميلاد"].join(sep),
            // ASCII digits: Windows-1256 has no Arabic-Indic ones (the workbook and the
            // unit tests carry those).
            ["سلمى حسن", "01099999999", "03/02/1990"].join(sep),
            ["Omar Nabil", "0100 111 2222", "1975-12-31"].join(sep),
        ]
        .join("\r\n")
            + "\r\n"
    };
    let mut bom8 = b"\xEF\xBB\xBF".to_vec();
    bom8.extend_from_slice(rows(",").as_bytes());
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("UTF-8, commas", rows(",").into_bytes()),
        ("UTF-8 with its mark, commas", bom8),
        ("UTF-16, tabs", utf16le(&rows("\t"))),
        (
            "Windows-1256, semicolons",
            encoding_rs::WINDOWS_1256.encode(&rows(";")).0.into_owned(),
        ),
    ];
    for (what, bytes) in files {
        let (_tmp, mut clinic, owner) = clinic();
        let report = clinic
            .import_patients(&owner, &bytes, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.imported, 2, "{what}: {:?}", report.bad);
        let salma = clinic.search_patients(&owner, "سلمى", 5).unwrap().remove(0);
        let file = clinic.patient_file(&owner, salma.id).unwrap().patient;
        assert_eq!(file.dob.as_deref(), Some("1990-02-03"), "{what}");
        assert_eq!(file.phone.to_string(), "+201099999999", "{what}");
    }
}

#[test]
fn a_bad_line_is_named_in_the_persons_language_and_an_unknown_heading_can_be_told() {
    let (_tmp, mut clinic, owner) = clinic();
    let csv = "رقم الملف;العميل;الموبايل;تاريخ الميلاد\n\
               17;هدى سمير;01022222222;31/02/1990\n\
               18;نادر فؤاد;01033333333;01/01/1980\n";
    // "العميل" (the client) is no heading the import knows: no name column, a clear refusal.
    let refused = clinic
        .import_patients(&owner, csv.as_bytes(), &ImportOptions::default())
        .unwrap_err();
    assert!(matches!(&refused, CoreError::Invalid { reason, .. } if reason == "csv-columns"));
    assert!(
        refused.message(Lang::Ar).contains("الاسم والموبايل"),
        "{}",
        refused.message(Lang::Ar)
    );
    // A preview of it shows the file and what no column holds yet, for the person to tell.
    let preview = clinic
        .import_patients(
            &owner,
            csv.as_bytes(),
            &ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(preview.missing, [Field::Name]);
    assert_eq!(preview.headings[1], "العميل");
    assert_eq!(
        preview.lines, 0,
        "no row is checked before the columns are known"
    );
    // Told that the second column holds the name, it reads the file; the impossible date
    // is line 2, in Arabic, and nothing is written until the person accepts skipping it.
    let told = ImportOptions {
        columns: vec![(1, Field::Name)],
        ..Default::default()
    };
    let report = clinic
        .import_patients(&owner, csv.as_bytes(), &told)
        .unwrap();
    assert_eq!(
        report.columns,
        [
            None,
            Some(Field::Name),
            Some(Field::Phone),
            Some(Field::Dob)
        ]
    );
    assert_eq!(report.bad.len(), 1);
    assert_eq!(report.bad[0].line, 2);
    let said = report.bad[0].error.message(Lang::Ar);
    assert!(said.contains("23/11/1985"), "{said}");
    assert_eq!(report.imported, 0);
    let skipped = clinic
        .import_patients(
            &owner,
            csv.as_bytes(),
            &ImportOptions {
                skip_bad_lines: true,
                ..told
            },
        )
        .unwrap();
    assert_eq!(skipped.imported, 1);
}

#[test]
fn what_is_not_a_table_is_refused_clearly_and_writes_nothing() {
    let (_tmp, mut clinic, owner) = clinic();
    // A ZIP that is no workbook (a .docx renamed, a truncated download).
    let not_a_book = b"PK\x03\x04 not really a workbook".to_vec();
    let err = clinic
        .import_patients(&owner, &not_a_book, &ImportOptions::default())
        .unwrap_err();
    assert!(
        err.message(Lang::En).contains("Excel workbook"),
        "{}",
        err.message(Lang::En)
    );
    let err = clinic
        .import_patients(&owner, b"", &ImportOptions::default())
        .unwrap_err();
    assert!(
        err.message(Lang::Ar).contains("فارغ"),
        "{}",
        err.message(Lang::Ar)
    );
    assert_eq!(clinic.search_patients(&owner, "ليلى", 10).unwrap().len(), 1);
}

#[test]
fn the_desks_next_weeks_come_along_and_a_clash_a_past_day_or_an_unknown_doctor_is_a_bad_line() {
    let (_tmp, mut clinic, owner) = clinic();
    support::add_desk_and_doctor(&mut clinic, &owner, "desk", PW);
    // Days the clinic's calendar holds in the future, whatever today is.
    let today = clinic.time().today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .strftime("%d/%m/%Y")
            .to_string()
    };
    let csv = [
        "الاسم,الموبايل,التاريخ,الساعة,الطبيب,نوع الزيارة".to_string(),
        format!("ليلى حسن,01055555555,{},10:00,د. سارة,", day(7)),
        format!("كريم عادل,01077777777,{},10:00,dr.sara,", day(7)),
        format!("كريم عادل,01077777777,{},٢:٣٠ م,سارة,examination", day(8)),
        format!("كريم عادل,01077777777,{},10:00,سارة,", day(-1)),
        format!("كريم عادل,01077777777,{},2:30 PM,سارة,", day(8)),
        format!("نور,01088888888,{},11:00,د. منى,", day(9)),
    ]
    .join("\n");
    let dry = clinic
        .import_appointments(
            &owner,
            csv.as_bytes(),
            &ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((dry.lines, dry.valid), (6, 2));
    let bad: Vec<(u64, &str)> = dry.bad.iter().map(|b| (b.line, b.error.code())).collect();
    assert_eq!(bad, [(3, "slot-taken"), (5, "invalid"), (7, "not-found")]);
    assert!(dry.bad[1].error.message(Lang::Ar).contains("من اليوم"));
    assert_eq!(dry.duplicates.len(), 1);
    assert_eq!(dry.duplicates[0].repeats, Repeats::Line { line: 4 });

    let done = clinic
        .import_appointments(
            &owner,
            csv.as_bytes(),
            &ImportOptions {
                skip_bad_lines: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(done.imported, 2);
    let in_a_week = today.checked_add(jiff::Span::new().days(7)).unwrap();
    let rows = clinic.appointments(&owner, in_a_week).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].patient.as_str(), rows[0].doctor.as_str()),
        ("ليلى حسن", "dr.sara")
    );
    let later = clinic
        .appointments(
            &owner,
            in_a_week.checked_add(jiff::Span::new().days(1)).unwrap(),
        )
        .unwrap();
    assert_eq!(later[0].at.split(' ').nth(1), Some("14:30"));
    // Karim, new to the clinic, came in once with his booking.
    assert_eq!(clinic.search_patients(&owner, "كريم", 10).unwrap().len(), 1);
}
