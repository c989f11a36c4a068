//! A file brought in, read into headings and rows of text, whatever wrote it: an Excel
//! workbook (its first sheet), or a CSV in any encoding Excel saves (UTF-8 with or without
//! its mark, UTF-16, the Arabic Windows code page 1256) with commas, semicolons or tabs.

use std::io::Cursor;

use calamine::{Data, Reader};

use crate::error::{CoreError, Result};

/// How a file was read, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Source {
    /// An Excel workbook's first sheet.
    Xlsx,
    /// A text file, in this encoding, with this separator.
    Csv {
        /// "UTF-8", "UTF-16LE", "UTF-16BE" or "windows-1256".
        encoding: String,
        /// ',', ';' or tab.
        separator: String,
    },
}

/// A row of the file: its number as the person sees it (the heading row is 1) and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line (CSV) or row (sheet) number.
    pub line: u64,
    /// Its cells as text, trimmed.
    pub cells: Vec<String>,
}

/// A file as headings and rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The first row.
    pub headings: Vec<String>,
    /// Every following row that is not empty.
    pub rows: Vec<Row>,
    /// How it was read.
    pub source: Source,
}

/// Reads `bytes` as a workbook if they are one (a ZIP: .xlsx), else as CSV text.
pub fn read(bytes: &[u8]) -> Result<Table> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn unreadable(reason: impl Into<String>) -> CoreError {
    CoreError::invalid("file", reason)
}

fn read_xlsx(bytes: &[u8]) -> Result<Table> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|_| unreadable("not-a-workbook"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("empty-workbook"))?
        .map_err(|_| unreadable("not-a-workbook"))?;
    let first_row = range.start().map_or(0, |(row, _)| row as u64);
    let mut rows = range.rows().enumerate().map(|(i, cells)| Row {
        line: first_row + i as u64 + 1,
        cells: cells.iter().map(cell_text).collect(),
    });
    let headings = rows
        .next()
        .ok_or_else(|| unreadable("empty-workbook"))?
        .cells;
    Ok(Table {
        headings,
        rows: rows
            .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
            .collect(),
        source: Source::Xlsx,
    })
}

/// A cell as the person typed it: whole numbers without ".0" (a phone typed as a number),
/// and dates as the core writes them.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64(), dt.is_datetime()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// An Excel serial date (days since 1899-12-30) as "YYYY-MM-DD", with "HH:MM" when it has
/// a time of day; a time alone as "HH:MM".
fn excel_date(serial: f64, with_date: bool) -> String {
    let days = serial.floor() as i64;
    let minutes = ((serial - serial.floor()) * 24.0 * 60.0).round() as i64;
    let time = format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60);
    if !with_date || days == 0 {
        return time;
    }
    let date = jiff::civil::date(1899, 12, 30)
        .checked_add(jiff::Span::new().days(days))
        .map(|d| d.to_string())
        .unwrap_or_default();
    if minutes == 0 {
        date
    } else {
        format!("{date} {time}")
    }
}

/// Decodes the text, whichever of Excel's encodings wrote it.
fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return (text.into_owned(), encoding.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), "UTF-8"),
        // UTF-16 without its mark: every other byte of Latin text and digits is zero.
        Err(_) if looks_utf16le(bytes) => {
            let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
            (text.into_owned(), "UTF-16LE")
        }
        // Not UTF-8: what Excel writes on an Arabic Windows PC.
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1256.decode_without_bom_handling(bytes);
            (text.into_owned(), "windows-1256")
        }
    }
}

fn looks_utf16le(bytes: &[u8]) -> bool {
    let pairs = bytes.len() / 2;
    pairs > 0
        && bytes
            .chunks(2)
            .filter(|p| p.len() == 2 && p[1] == 0)
            .count()
            * 2
            > pairs
}

/// The separator of the heading line: whichever of comma, semicolon and tab it has most of
/// outside quotes (Excel in Arabic and European locales saves with semicolons).
fn separator(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in first.bytes() {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (sep, n) in &mut counts {
                if c == *sep {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(sep, _)| *sep)
}

fn read_csv(bytes: &[u8]) -> Result<Table> {
    let (text, encoding) = decode(bytes);
    let sep = separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(sep)
        .from_reader(text.as_bytes());
    // Line numbers from where each record's text starts: the csv crate's own count skips
    // blank lines and miscounts CRLF ones, and its start positions can sit on the line
    // endings before a record; a person looks for the line their editor shows.
    let bytes = text.as_bytes();
    let newlines: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b'\n').collect();
    let line_at = |byte: u64| {
        let mut start = byte as usize;
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        newlines.partition_point(|&n| n < start) as u64 + 1
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(e.to_string()))?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        rows.push(Row {
            line,
            cells: record.iter().map(str::to_string).collect(),
        });
    }
    let mut rows = rows.into_iter();
    let headings = rows.next().ok_or_else(|| unreadable("empty-file"))?.cells;
    Ok(Table {
        headings,
        rows: rows
            .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
            .collect(),
        source: Source::Csv {
            encoding: encoding.to_string(),
            separator: match sep {
                b';' => ";",
                b'\t' => "tab",
                _ => ",",
            }
            .to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    const ARABIC: &str = "الاسم;الموبايل\nفاطمة الزهراء;01012345678\n";

    #[test]
    fn every_encoding_excel_writes_reads_the_same_arabic_rows() {
        let (cp1256, _, _) = encoding_rs::WINDOWS_1256.encode(ARABIC);
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend_from_slice(ARABIC.as_bytes());
        for (bytes, encoding) in [
            (ARABIC.as_bytes().to_vec(), "UTF-8"),
            (bom8, "UTF-8"),
            (utf16le(ARABIC, true), "UTF-16LE"),
            (cp1256.into_owned(), "windows-1256"),
        ] {
            let table = read(&bytes).unwrap();
            assert_eq!(table.headings, ["الاسم", "الموبايل"], "{encoding}");
            assert_eq!(table.rows[0].cells, ["فاطمة الزهراء", "01012345678"]);
            assert_eq!(table.rows[0].line, 2);
            assert_eq!(
                table.source,
                Source::Csv {
                    encoding: encoding.into(),
                    separator: ";".into()
                }
            );
        }
    }

    #[test]
    fn rows_keep_their_line_numbers_whatever_ends_the_lines() {
        for text in ["a,b\r\n1,2\r\n\r\n3,4\r\n", "a,b\n1,2\n\n3,4\n"] {
            let table = read(text.as_bytes()).unwrap();
            let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4], "{text:?}");
        }
    }

    #[test]
    fn the_separator_is_what_the_heading_line_uses_most_outside_quotes() {
        assert_eq!(separator("name,phone"), b',');
        assert_eq!(separator("name;phone;\"a,b,c\""), b';');
        assert_eq!(separator("name\tphone"), b'\t');
        assert_eq!(separator("name"), b',');
    }

    #[test]
    fn excel_serial_dates_read_as_the_core_writes_days() {
        assert_eq!(excel_date(45_000.0, true), "2023-03-15");
        assert_eq!(excel_date(45_000.5, true), "2023-03-15 12:00");
        assert_eq!(excel_date(0.75, false), "18:00");
    }
}
