//! ayada-pdf: the pages Ayada prints. The day's Z-report and the month summary on A4, and
//! an 80 mm thermal receipt for a payment, each bilingual: English reads from the left
//! edge, Arabic from the right, Arabic shaped (rustybuzz) and ordered right to left
//! (unicode-bidi) and written as glyph ids with their text attached, so the page looks right
//! and `pdftotext` or a screen reader still gets the words. The Amiri fonts are compiled in
//! (OFL, see fonts/) and subset into each file: nothing depends on the fonts of the machine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod canvas;
mod day;
mod fonts;
mod labels;
mod month;
mod receipt;
mod shape;

pub use day::day_report;
pub use labels::money as format_money;
pub use month::month_report;
pub use receipt::receipt;

/// What can stop a page from being made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The compiled-in font could not be read (a broken build).
    #[error("the report font cannot be read: {0}")]
    Font(&'static str),
}
