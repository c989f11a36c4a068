//! The words printed on a page, in both languages, from ayada-core's message catalogues so
//! the screen and the paper say the same thing.

use ayada_core::i18n::{message, term};
use ayada_core::Lang;

/// A label in English and Arabic.
pub(crate) struct Both {
    pub en: String,
    pub ar: String,
}

/// The `pdf-…` message `id` in both languages.
pub(crate) fn label(id: &str) -> Both {
    let id = format!("pdf-{id}");
    Both {
        en: message(Lang::En, &id, &[]),
        ar: message(Lang::Ar, &id, &[]),
    }
}

/// A term of a family (`method-cash`, `kind-refund`…) in both languages; a key with no
/// translation (an insurer's or a doctor's name) is printed as it is.
pub(crate) fn term_both(family: &str, key: &str) -> Both {
    Both {
        en: capitalise(&term(Lang::En, family, key)),
        ar: term(Lang::Ar, family, key),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Minor units as printed: "1,234.50".
pub fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_with_two_decimals_and_a_sign() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(-4_550), "-45.50");
    }
}
