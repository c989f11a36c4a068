//! The day's Z-report on A4.

use ayada_core::reports::DayReport;

use crate::canvas::{Align, Canvas};
use crate::fonts::Weight;
use crate::labels::{label, money, term_both};
use crate::PdfError;

/// The PDF of a day's report: the closed Z-report, or a preview marked as such.
pub fn day_report(r: &DayReport) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::a4();
    c.clinic_header(&r.header)?;
    match r.number {
        Some(_) => c.title(&label("z-report"))?,
        None => c.title(&label("preview"))?,
    }
    if let Some(n) = r.number {
        c.pair("number", &format!("Z-{n}"), Weight::Bold)?;
    }
    c.pair("date", &r.date, Weight::Regular)?;
    if let (Some(at), Some(by)) = (&r.closed_at, &r.closed_by) {
        c.pair("closed-at", at, Weight::Regular)?;
        c.pair("closed-by", by, Weight::Regular)?;
    }
    c.pair("time-zone", &r.header.time_zone, Weight::Regular)?;
    if let Some(check) = &r.server_check {
        c.down(4.0);
        if check.caught_up {
            let ok = label("server-ok");
            c.text(&ok.en, c.margin + 4.0, Align::Left, 9.5, Weight::Regular)?;
            c.down(13.0);
            c.text(&ok.ar, c.right() - 4.0, Align::Right, 10.0, Weight::Regular)?;
        } else {
            let not = label("server-not");
            c.text(
                &format!("! {} {}", not.en, check.detail),
                c.margin + 4.0,
                Align::Left,
                9.5,
                Weight::Bold,
            )?;
            c.down(13.0);
            c.text(&not.ar, c.right() - 4.0, Align::Right, 10.0, Weight::Bold)?;
        }
        c.down(13.0);
    }

    let t = &r.totals;
    c.breakdown("payments", &t.payments, Some("method"))?;
    c.breakdown("refunds", &t.refunds, Some("method"))?;
    c.breakdown("by-insurer", &t.by_insurer, None)?;
    c.breakdown("by-doctor", &t.by_doctor, None)?;
    c.breakdown("by-visit-type", &t.by_visit_type, None)?;
    c.breakdown("expenses", &t.expenses, None)?;

    c.heading(&label("net-revenue"))?;
    c.totals(t, &r.header.currency, true)?;

    c.heading(&label("shifts"))?;
    if r.shifts.is_empty() {
        c.pair("none", "", Weight::Regular)?;
    } else {
        let w = c.width;
        let cols = [
            ("shifts", c.margin + 4.0),
            ("float", w * 0.46),
            ("expected", w * 0.59),
            ("counted", w * 0.72),
            ("difference", w * 0.86),
        ];
        c.columns(&cols)?;
        for s in &r.shifts {
            c.room(30.0);
            let when = match &s.closed_at {
                Some(closed) => format!("{} – {}", s.opened_at, closed),
                None => format!("{} – …", s.opened_at),
            };
            c.text(&s.opened_by, cols[0].1, Align::Left, 10.0, Weight::Regular)?;
            c.text(
                &money(s.float.minor()),
                cols[1].1,
                Align::Right,
                10.0,
                Weight::Regular,
            )?;
            c.text(
                &money(s.expected.minor()),
                cols[2].1,
                Align::Right,
                10.0,
                Weight::Regular,
            )?;
            let counted = s.counted.map(|m| money(m.minor())).unwrap_or_default();
            c.text(&counted, cols[3].1, Align::Right, 10.0, Weight::Regular)?;
            let difference = s.difference.map(|m| money(m.minor())).unwrap_or_default();
            c.text(&difference, cols[4].1, Align::Right, 10.0, Weight::Bold)?;
            c.down(12.0);
            let machine: String = s.machine.chars().take(8).collect();
            c.text(
                &format!("{when}  ·  {machine}"),
                cols[0].1,
                Align::Left,
                8.0,
                Weight::Regular,
            )?;
            if s.closed_at.is_none() {
                let open = label("shift-open");
                c.text(&open.ar, c.right() - 4.0, Align::Right, 9.0, Weight::Bold)?;
                c.text(&open.en, cols[4].1, Align::Right, 8.0, Weight::Bold)?;
            }
            if s.late_count > 0 {
                c.down(11.0);
                let late = label("late-in-shift");
                c.text(
                    &format!(
                        "{} × {}: {}",
                        s.late_count,
                        late.en,
                        money(s.late_amount.minor())
                    ),
                    cols[0].1,
                    Align::Left,
                    8.5,
                    Weight::Bold,
                )?;
                c.text(&late.ar, c.right() - 4.0, Align::Right, 9.0, Weight::Bold)?;
            }
            c.down(16.0);
        }
    }

    c.heading(&label("activity"))?;
    c.pair("bookings", &r.bookings.to_string(), Weight::Regular)?;
    c.pair("visits", &r.visits.to_string(), Weight::Regular)?;
    c.pair("cancelled", &r.cancelled.to_string(), Weight::Regular)?;
    c.pair("no-shows", &r.no_shows.to_string(), Weight::Regular)?;

    c.heading(&label("late"))?;
    if r.late.is_empty() {
        c.pair("none", "", Weight::Regular)?;
    }
    for l in &r.late {
        c.room(16.0);
        let kind = term_both("kind", &l.kind);
        let method = term_both("method", &l.method);
        c.text(
            &format!(
                "{}  {}  {}  ·  {}",
                l.date, kind.en, method.en, l.recorded_by
            ),
            c.margin + 12.0,
            Align::Left,
            10.0,
            Weight::Regular,
        )?;
        c.text(
            &money(l.amount.minor()),
            c.width * 0.76,
            Align::Right,
            10.0,
            Weight::Regular,
        )?;
        c.text(
            &format!("{} {}", kind.ar, method.ar),
            c.right() - 12.0,
            Align::Right,
            10.5,
            Weight::Regular,
        )?;
        c.down(14.0);
    }
    let title = match r.number {
        Some(n) => format!("Z-{n} {}", r.date),
        None => format!("Preview {}", r.date),
    };
    c.finish(&title)
}
