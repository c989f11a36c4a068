//! A page layout measured from the top, as reports are read: text placed left, right or
//! centred, rules and shaded bands, a new page when one is full. Turned into a PDF at the
//! end, when the page count (for "page n / N") and, for a receipt, the length are known.

use printpdf::{
    Color, Line, LinePoint, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, Rgb, TextItem, TextMatrix,
};

use crate::fonts::{font, Weight};
use crate::labels::{label, Both};
use crate::shape::{shape, Shaped};
use crate::PdfError;

/// Where a piece of text hangs from its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
    Centre,
}

enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        shaped: Shaped,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
    Band {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
}

/// Pages being laid out. Coordinates are points from the page's top-left corner.
pub(crate) struct Canvas {
    /// Page width.
    pub width: f32,
    /// Page height; None grows one page to fit (a receipt roll).
    height: Option<f32>,
    /// Margin on every side.
    pub margin: f32,
    /// Where the next line goes.
    pub y: f32,
    pages: Vec<Vec<Item>>,
    footer: bool,
}

const A4: (f32, f32) = (595.28, 841.89);

impl Canvas {
    /// A4 portrait with page numbers in the footer.
    pub fn a4() -> Canvas {
        Canvas {
            width: A4.0,
            height: Some(A4.1),
            margin: 40.0,
            y: 40.0,
            pages: vec![Vec::new()],
            footer: true,
        }
    }

    /// A receipt roll `width_mm` wide, as long as its content.
    pub fn roll(width_mm: f32) -> Canvas {
        Canvas {
            width: width_mm * 72.0 / 25.4,
            height: None,
            margin: 10.0,
            y: 12.0,
            pages: vec![Vec::new()],
            footer: false,
        }
    }

    /// The right edge of the writing area.
    pub fn right(&self) -> f32 {
        self.width - self.margin
    }

    /// Starts a new page if fewer than `needed` points are left on this one.
    pub fn room(&mut self, needed: f32) {
        if let Some(h) = self.height {
            if self.y + needed > h - self.margin - 20.0 {
                self.pages.push(Vec::new());
                self.y = self.margin;
            }
        }
    }

    /// Places `text` with its baseline at the current line, `size` points.
    pub fn text(
        &mut self,
        text: &str,
        x: f32,
        align: Align,
        size: f32,
        weight: Weight,
    ) -> Result<f32, PdfError> {
        let shaped = shape(font(weight)?, text, size);
        let width = shaped.width;
        let left = match align {
            Align::Left => x,
            Align::Right => x - width,
            Align::Centre => x - width / 2.0,
        };
        let y = self.y;
        self.page().push(Item::Text {
            x: left,
            y,
            size,
            weight,
            shaped,
        });
        Ok(width)
    }

    /// Moves down by `points`.
    pub fn down(&mut self, points: f32) {
        self.y += points;
    }

    /// A horizontal rule across the writing area, just under the current line.
    pub fn rule(&mut self, width: f32) {
        let (x1, x2, y) = (self.margin, self.right(), self.y + 4.0);
        self.page().push(Item::Rule { x1, x2, y, width });
    }

    /// A light band behind the next line (table headings).
    pub fn band(&mut self, height: f32) {
        let (x, y, width) = (
            self.margin,
            self.y - height + 4.0,
            self.right() - self.margin,
        );
        self.page().push(Item::Band {
            x,
            y,
            width,
            height,
        });
    }

    /// A heading: English from the left, Arabic from the right, on a band.
    pub fn heading(&mut self, both: &Both) -> Result<(), PdfError> {
        // A heading never ends a page: keep room for it, column titles and two lines.
        self.room(100.0);
        self.down(20.0);
        self.band(17.0);
        self.text(&both.en, self.margin + 4.0, Align::Left, 11.5, Weight::Bold)?;
        self.text(
            &both.ar,
            self.right() - 4.0,
            Align::Right,
            12.5,
            Weight::Bold,
        )?;
        self.down(17.0);
        Ok(())
    }

    /// A bilingual line: English label left, value in the middle column, Arabic right.
    pub fn pair(&mut self, id: &str, value: &str, weight: Weight) -> Result<(), PdfError> {
        let both = label(id);
        self.room(16.0);
        self.text(&both.en, self.margin + 4.0, Align::Left, 10.0, weight)?;
        self.text(value, self.width / 2.0, Align::Centre, 10.0, weight)?;
        self.text(&both.ar, self.right() - 4.0, Align::Right, 11.0, weight)?;
        self.down(15.0);
        Ok(())
    }

    fn page(&mut self) -> &mut Vec<Item> {
        self.pages.last_mut().expect("a canvas always has a page")
    }

    /// The finished PDF: fonts embedded and subset to the glyphs used.
    pub fn finish(mut self, title: &str) -> Result<Vec<u8>, PdfError> {
        let total = self.pages.len();
        if self.footer {
            let bottom = self.height.unwrap_or(A4.1) - self.margin + 10.0;
            let page_label = label("page");
            for n in 0..total {
                let text = format!(
                    "{} {} / {}  ·  {}",
                    page_label.en,
                    n + 1,
                    total,
                    page_label.ar
                );
                let shaped = shape(font(Weight::Regular)?, &text, 8.0);
                let x = self.width / 2.0 - shaped.width / 2.0;
                self.pages[n].push(Item::Text {
                    x,
                    y: bottom,
                    size: 8.0,
                    weight: Weight::Regular,
                    shaped,
                });
            }
        }
        let height = self.height.unwrap_or(self.y + self.margin);
        let mut doc = PdfDocument::new(title);
        let ids = [
            doc.add_font(&font(Weight::Regular)?.parsed),
            doc.add_font(&font(Weight::Bold)?.parsed),
        ];
        let mut pages = Vec::with_capacity(total);
        for items in self.pages {
            let mut ops = Vec::new();
            let grey = |v: f32| Color::Rgb(Rgb::new(v, v, v, None));
            for item in &items {
                match item {
                    Item::Band {
                        x,
                        y,
                        width,
                        height: h,
                    } => {
                        ops.push(Op::SetFillColor { col: grey(0.92) });
                        ops.push(Op::DrawRectangle {
                            rectangle: Rect {
                                x: Pt(*x),
                                y: Pt(height - y - h),
                                width: Pt(*width),
                                height: Pt(*h),
                                mode: Some(PaintMode::Fill),
                                winding_order: None,
                            },
                        });
                    }
                    Item::Rule { x1, x2, y, width } => {
                        ops.push(Op::SetOutlineColor { col: grey(0.45) });
                        ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                        let at = |x: f32| LinePoint {
                            p: Point {
                                x: Pt(x),
                                y: Pt(height - y),
                            },
                            bezier: false,
                        };
                        ops.push(Op::DrawLine {
                            line: Line {
                                points: vec![at(*x1), at(*x2)],
                                is_closed: false,
                            },
                        });
                    }
                    Item::Text { .. } => {}
                }
            }
            ops.push(Op::SetFillColor { col: grey(0.0) });
            ops.push(Op::StartTextSection);
            for item in items {
                if let Item::Text {
                    x,
                    y,
                    size,
                    weight,
                    shaped,
                } = item
                {
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(ids[weight as usize].clone()),
                        size: Pt(size),
                    });
                    ops.push(Op::SetTextMatrix {
                        matrix: TextMatrix::Translate(Pt(x), Pt(height - y)),
                    });
                    ops.push(Op::ShowText {
                        items: vec![TextItem::GlyphIds(shaped.glyphs)],
                    });
                }
            }
            ops.push(Op::EndTextSection);
            pages.push(PdfPage::new(
                printpdf::Mm(self.width * 25.4 / 72.0),
                printpdf::Mm(height * 25.4 / 72.0),
                ops,
            ));
        }
        let options = PdfSaveOptions {
            subset_fonts: true,
            ..Default::default()
        };
        Ok(doc.with_pages(pages).save(&options, &mut Vec::new()))
    }
}

/// Whether a piece of text is written in Arabic letters (it then sits on the right).
fn is_arabic(text: &str) -> bool {
    text.chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(|c| matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FEFF}'))
}

/// Column positions of a breakdown table, as fractions of the page width.
const COUNT_AT: f32 = 0.60;
const AMOUNT_AT: f32 = 0.76;

impl Canvas {
    /// The clinic's name, address and phones, centred, over a rule.
    pub fn clinic_header(&mut self, header: &ayada_core::reports::Header) -> Result<(), PdfError> {
        let centre = self.width / 2.0;
        self.down(14.0);
        self.text(&header.name, centre, Align::Centre, 17.0, Weight::Bold)?;
        self.down(16.0);
        let contact: Vec<&str> = std::iter::once(header.address.as_str())
            .chain(header.phones.iter().map(String::as_str))
            .filter(|s| !s.is_empty())
            .collect();
        if !contact.is_empty() {
            self.text(
                &contact.join("  ·  "),
                centre,
                Align::Centre,
                9.5,
                Weight::Regular,
            )?;
            self.down(12.0);
        }
        self.rule(0.8);
        self.down(16.0);
        Ok(())
    }

    /// A title line: English left, Arabic right, large.
    pub fn title(&mut self, both: &Both) -> Result<(), PdfError> {
        self.text(&both.en, self.margin, Align::Left, 15.0, Weight::Bold)?;
        self.text(&both.ar, self.right(), Align::Right, 16.0, Weight::Bold)?;
        self.down(20.0);
        Ok(())
    }

    /// A table's column headings in both languages (English over Arabic), right-aligned at
    /// the given x positions; the first column hangs from the left.
    pub fn columns(&mut self, columns: &[(&str, f32)]) -> Result<(), PdfError> {
        self.room(40.0);
        for (i, (id, x)) in columns.iter().enumerate() {
            let both = label(id);
            let align = if i == 0 { Align::Left } else { Align::Right };
            self.text(&both.en, *x, align, 8.5, Weight::Bold)?;
            self.y += 10.0;
            self.text(&both.ar, *x, align, 9.0, Weight::Bold)?;
            self.y -= 10.0;
        }
        self.down(10.0);
        self.rule(0.4);
        self.down(14.0);
        Ok(())
    }

    /// The totals every money report ends with: payments, refunds and expenses, then net
    /// revenue (and net cash where the drawers matter) in the clinic's currency.
    pub fn totals(
        &mut self,
        t: &ayada_core::reports::Totals,
        currency: &str,
        with_cash: bool,
    ) -> Result<(), PdfError> {
        use crate::labels::money;
        self.pair(
            "total-payments",
            &money(t.total_payments.minor()),
            Weight::Regular,
        )?;
        self.pair(
            "total-refunds",
            &money(t.total_refunds.minor()),
            Weight::Regular,
        )?;
        self.pair(
            "total-expenses",
            &money(t.total_expenses.minor()),
            Weight::Regular,
        )?;
        let with_currency = |m: ayada_core::Money| format!("{} {currency}", money(m.minor()));
        self.pair("net-revenue", &with_currency(t.net_revenue), Weight::Bold)?;
        if with_cash {
            self.pair("net-cash", &with_currency(t.net_cash), Weight::Bold)?;
        }
        Ok(())
    }

    /// A section of lines (key, count, amount) under a bilingual heading. Keys of `family`
    /// are translated; other keys (names) are printed as written, Arabic ones on the right.
    pub fn breakdown(
        &mut self,
        heading: &str,
        lines: &[ayada_core::reports::Line],
        family: Option<&str>,
    ) -> Result<(), PdfError> {
        self.heading(&label(heading))?;
        if lines.is_empty() {
            let none = label("none");
            self.text(
                &none.en,
                self.margin + 12.0,
                Align::Left,
                10.0,
                Weight::Regular,
            )?;
            self.text(
                &none.ar,
                self.right() - 12.0,
                Align::Right,
                10.5,
                Weight::Regular,
            )?;
            self.down(15.0);
            return Ok(());
        }
        for line in lines {
            self.room(16.0);
            let key = if line.key.is_empty() {
                "—"
            } else {
                &line.key
            };
            match family {
                Some(family) => {
                    let both = crate::labels::term_both(family, key);
                    self.text(
                        &both.en,
                        self.margin + 12.0,
                        Align::Left,
                        10.0,
                        Weight::Regular,
                    )?;
                    self.text(
                        &both.ar,
                        self.right() - 12.0,
                        Align::Right,
                        10.5,
                        Weight::Regular,
                    )?;
                }
                None if is_arabic(key) => {
                    self.text(
                        key,
                        self.right() - 12.0,
                        Align::Right,
                        10.5,
                        Weight::Regular,
                    )?;
                }
                None => {
                    self.text(key, self.margin + 12.0, Align::Left, 10.0, Weight::Regular)?;
                }
            }
            let count = format!("×{}", line.count);
            self.text(
                &count,
                self.width * COUNT_AT,
                Align::Right,
                10.0,
                Weight::Regular,
            )?;
            let amount = crate::labels::money(line.amount.minor());
            self.text(
                &amount,
                self.width * AMOUNT_AT,
                Align::Right,
                10.0,
                Weight::Regular,
            )?;
            self.down(14.0);
        }
        Ok(())
    }
}
