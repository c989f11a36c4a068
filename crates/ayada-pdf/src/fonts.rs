//! The compiled-in Amiri fonts, parsed once: rustybuzz's face for shaping, printpdf's for
//! embedding.

use std::sync::LazyLock;

use printpdf::ParsedFont;
use rustybuzz::Face;

use crate::PdfError;

const REGULAR: &[u8] = include_bytes!("../fonts/Amiri-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/Amiri-Bold.ttf");

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One font in its two forms.
pub(crate) struct Font {
    pub face: Face<'static>,
    pub parsed: ParsedFont,
}

fn load(bytes: &'static [u8], name: &'static str) -> Result<Font, PdfError> {
    let face = Face::from_slice(bytes, 0).ok_or(PdfError::Font(name))?;
    let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(PdfError::Font(name))?;
    Ok(Font { face, parsed })
}

static FONTS: LazyLock<Result<[Font; 2], PdfError>> =
    LazyLock::new(|| Ok([load(REGULAR, "Amiri Regular")?, load(BOLD, "Amiri Bold")?]));

/// The font of a weight.
pub(crate) fn font(weight: Weight) -> Result<&'static Font, PdfError> {
    match &*FONTS {
        Ok(fonts) => Ok(&fonts[weight as usize]),
        Err(PdfError::Font(name)) => Err(PdfError::Font(name)),
    }
}
