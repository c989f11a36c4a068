//! One line of text made into positioned glyphs: split into bidi runs, each run shaped in
//! its direction, runs laid out in visual order.

use printpdf::Codepoint;
use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::BidiInfo;

use crate::fonts::Font;

/// A shaped line, ready to be shown at any x.
pub(crate) struct Shaped {
    /// Glyphs left to right, each with the offset that turns the font's advance into the
    /// shaped one, and the text it stands for.
    pub glyphs: Vec<Codepoint>,
    /// Width in points at `size`.
    pub width: f32,
}

/// Shapes `text` (one line; a paragraph direction is guessed from its first strong letter)
/// at `size` points.
pub(crate) fn shape(font: &Font, text: &str, size: f32) -> Shaped {
    let upem = font.face.units_per_em() as f32;
    let mut glyphs = Vec::new();
    let mut advance_units = 0i64;
    // Bidi isolation marks from Fluent are for screens; on paper the runs do that job.
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
        .collect();
    let bidi = BidiInfo::new(&text, None);
    for para in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(para, para.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            let piece = &text[run.clone()];
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str(piece);
            buffer.set_direction(if rtl {
                Direction::RightToLeft
            } else {
                Direction::LeftToRight
            });
            let shaped = rustybuzz::shape(&font.face, &[], buffer);
            let infos = shaped.glyph_infos();
            let positions = shaped.glyph_positions();
            // Each cluster's text goes to its first glyph; a cluster runs to the next
            // cluster start in logical order.
            let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
            starts.sort_unstable();
            starts.dedup();
            let mut given = std::collections::HashSet::new();
            for (info, pos) in infos.iter().zip(positions) {
                let start = info.cluster as usize;
                let end = starts
                    .iter()
                    .find(|s| **s > start)
                    .copied()
                    .unwrap_or(piece.len());
                let gid = info.glyph_id as u16;
                let font_advance = font
                    .face
                    .glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid))
                    .unwrap_or(0) as i32;
                let offset = (font_advance - pos.x_advance) as f32 * 1000.0 / upem;
                advance_units += i64::from(pos.x_advance);
                let cid = given.insert(start).then(|| piece[start..end].to_string());
                glyphs.push(Codepoint { gid, offset, cid });
            }
        }
    }
    Shaped {
        glyphs,
        width: advance_units as f32 * size / upem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::{font, Weight};

    #[test]
    fn arabic_is_joined_and_laid_out_right_to_left() {
        let f = font(Weight::Regular).unwrap();
        let word = shape(f, "سلام", 12.0);
        let letters: Vec<u16> = "سلام"
            .chars()
            .map(|c| f.face.glyph_index(c).unwrap().0)
            .collect();
        // Joined: the shaped glyphs are contextual forms, not the isolated letters.
        assert_ne!(
            word.glyphs.iter().map(|g| g.gid).collect::<Vec<_>>(),
            letters
        );
        // Visual order: the last letter (meem) is leftmost, so its text comes first.
        let texts: Vec<String> = word.glyphs.iter().filter_map(|g| g.cid.clone()).collect();
        assert_eq!(texts.concat().chars().next(), Some('م'));
        assert!(word.width > 0.0);
    }

    #[test]
    fn the_marks_the_layouts_print_exist_in_both_fonts() {
        for weight in [Weight::Regular, Weight::Bold] {
            let f = font(weight).unwrap();
            for c in "–…·×-,.:/0123456789".chars() {
                assert!(f.face.glyph_index(c).is_some(), "{c:?} missing");
            }
        }
    }

    #[test]
    fn latin_keeps_its_order_inside_an_arabic_line() {
        let f = font(Weight::Regular).unwrap();
        let line = shape(f, "عيادة AXA", 12.0);
        let texts: Vec<String> = line.glyphs.iter().filter_map(|g| g.cid.clone()).collect();
        let joined = texts.concat();
        assert!(joined.starts_with("AXA"), "{joined}");
    }
}
