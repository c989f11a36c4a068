//! Text normalisation for search: Arabic spelling variants, diacritics, digits.

pub use ayada_model::text::ascii_digits;

/// Folds a name (or a query) so that the ways people spell the same Arabic name meet:
/// hamza forms of alef (أ إ آ ٱ) → ا, alef maqsura ى → ي, taa marbuta ة → ه, hamza on
/// waw/yaa (ؤ ئ) → و ي; diacritics (tashkeel) and tatweel dropped; digits to ASCII; Latin
/// lower-cased; runs of spaces collapsed.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for c in ascii_digits(input).chars() {
        let mapped = match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ى' => 'ي',
            'ة' => 'ه',
            'ؤ' => 'و',
            'ئ' => 'ي',
            // Tashkeel, superscript alef and tatweel carry no letters.
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => continue,
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if mapped == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.extend(mapped.to_lowercase());
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_spelling_variants_fold_to_one_form() {
        assert_eq!(fold("أحمد"), fold("احمد"));
        assert_eq!(fold("إيمان"), fold("ايمان"));
        assert_eq!(fold("آمنة"), fold("امنه"));
        assert_eq!(fold("مصطفى"), fold("مصطفي"));
        assert_eq!(fold("مُحَمَّد"), fold("محمد"));
        assert_eq!(fold("محـــمد"), fold("محمد"));
        assert_eq!(fold("  Sara   ALI "), "sara ali");
    }
}
