//! The month summary on A4: a line a day, then the month's breakdowns.

use ayada_core::reports::MonthReport;

use crate::canvas::{Align, Canvas};
use crate::fonts::Weight;
use crate::labels::{label, money};
use crate::PdfError;

/// The PDF of a month's summary.
pub fn month_report(r: &MonthReport) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::a4();
    c.clinic_header(&r.header)?;
    c.title(&label("month"))?;
    c.pair("date", &r.month, Weight::Bold)?;
    c.down(6.0);
    let w = c.width;
    let cols = [
        ("day", c.margin + 4.0),
        ("total-payments", w * 0.40),
        ("total-refunds", w * 0.53),
        ("total-expenses", w * 0.66),
        ("net", w * 0.79),
        ("visits", w * 0.86),
        ("number", c.right() - 4.0),
    ];
    c.columns(&cols)?;
    for d in &r.days {
        c.room(14.0);
        let size = 9.0;
        c.text(&d.date, cols[0].1, Align::Left, size, Weight::Regular)?;
        for (i, amount) in [d.payments, d.refunds, d.expenses, d.net_revenue]
            .iter()
            .enumerate()
        {
            c.text(
                &money(amount.minor()),
                cols[i + 1].1,
                Align::Right,
                size,
                Weight::Regular,
            )?;
        }
        c.text(
            &d.visits.to_string(),
            cols[5].1,
            Align::Right,
            size,
            Weight::Regular,
        )?;
        let z = d.z_number.map(|n| format!("Z-{n}")).unwrap_or_default();
        c.text(&z, cols[6].1, Align::Right, size, Weight::Regular)?;
        c.down(12.5);
    }
    c.rule(0.6);
    c.down(15.0);
    let t = &r.totals;
    c.totals(t, &r.header.currency, false)?;
    c.pair("visits", &r.visits.to_string(), Weight::Regular)?;
    c.breakdown("payments", &t.payments, Some("method"))?;
    c.breakdown("by-insurer", &t.by_insurer, None)?;
    c.breakdown("by-doctor", &t.by_doctor, None)?;
    c.breakdown("by-visit-type", &t.by_visit_type, None)?;
    c.breakdown("expenses", &t.expenses, None)?;
    c.finish(&format!("Month {}", r.month))
}
