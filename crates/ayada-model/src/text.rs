//! Digits as people type them.

/// Replaces Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits with ASCII digits.
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_indic_digits_become_ascii() {
        assert_eq!(ascii_digits("٠١٠١٢٣٤٥٦٧٨"), "01012345678");
        assert_eq!(ascii_digits("۰۱۲"), "012");
    }
}
