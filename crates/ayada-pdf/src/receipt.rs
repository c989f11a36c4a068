//! The 80 mm thermal receipt of a payment or refund.

use ayada_core::reports::Receipt;

use crate::canvas::{Align, Canvas};
use crate::fonts::Weight;
use crate::labels::{label, money, term_both};
use crate::PdfError;

/// Paper width of a thermal roll.
const ROLL_MM: f32 = 80.0;

/// The PDF of a receipt, one page as long as it needs.
pub fn receipt(r: &Receipt) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::roll(ROLL_MM);
    let centre = c.width / 2.0;
    c.down(6.0);
    c.text(&r.header.name, centre, Align::Centre, 13.0, Weight::Bold)?;
    c.down(13.0);
    for line in std::iter::once(&r.header.address).chain(&r.header.phones) {
        if !line.is_empty() {
            c.text(line, centre, Align::Centre, 8.0, Weight::Regular)?;
            c.down(10.0);
        }
    }
    c.rule(0.5);
    c.down(16.0);
    let title = label(if r.kind == "refund" {
        "refund-receipt"
    } else {
        "receipt"
    });
    c.text(
        &format!("{}  ·  {}", title.en, title.ar),
        centre,
        Align::Centre,
        11.5,
        Weight::Bold,
    )?;
    c.down(13.0);
    // The id's tail: UUIDv7 starts with the time, so the tail is what tells receipts apart.
    let digits = r.entry_id.replace('-', "");
    let number = &digits[digits.len().saturating_sub(12)..];
    let no = label("number");
    c.text(
        &format!("{} {number} {}", no.en, no.ar),
        centre,
        Align::Centre,
        8.5,
        Weight::Regular,
    )?;
    c.down(10.0);
    c.text(&r.at, centre, Align::Centre, 8.5, Weight::Regular)?;
    c.down(16.0);
    let method = term_both("method", &r.method);
    let mut rows = vec![
        ("patient", r.patient.clone()),
        ("doctor", r.doctor.clone()),
        ("visit-type", r.visit_type.clone()),
        ("method", format!("{} {}", method.en, method.ar)),
    ];
    if let Some(insurer) = &r.insurer {
        rows.push(("insurer", insurer.clone()));
    }
    rows.push(("received-by", r.recorded_by.clone()));
    for (id, value) in rows {
        // Three lines a field on a narrow roll: English label, Arabic label, the value.
        let both = label(id);
        c.text(&both.en, c.margin, Align::Left, 8.0, Weight::Regular)?;
        c.text(&both.ar, c.right(), Align::Right, 9.0, Weight::Regular)?;
        c.down(11.0);
        c.text(&value, centre, Align::Centre, 10.0, Weight::Bold)?;
        c.down(14.0);
    }
    c.rule(0.8);
    c.down(18.0);
    let amount = label("amount");
    c.text(&amount.en, c.margin, Align::Left, 10.0, Weight::Bold)?;
    c.text(&amount.ar, c.right(), Align::Right, 11.0, Weight::Bold)?;
    c.down(16.0);
    let sign = if r.kind == "refund" { "-" } else { "" };
    c.text(
        &format!("{sign}{} {}", money(r.amount.minor()), r.header.currency),
        centre,
        Align::Centre,
        15.0,
        Weight::Bold,
    )?;
    c.down(18.0);
    c.rule(0.5);
    c.down(16.0);
    let thanks = label("thanks");
    c.text(&thanks.en, centre, Align::Centre, 8.5, Weight::Regular)?;
    c.down(11.0);
    c.text(&thanks.ar, centre, Align::Centre, 9.5, Weight::Regular)?;
    c.down(4.0);
    c.finish(&format!("Receipt {number}"))
}
