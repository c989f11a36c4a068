//! Phone numbers, normalised to E.164 with Egypt (+20) as the home country.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::text::ascii_digits;

/// A phone number in E.164 form ("+201012345678").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Reads a number as people write it in Egypt: "010 1234 5678", "01012345678",
    /// "+20 10 1234 5678", "0020101234567 8", "٠١٠١٢٣٤٥٦٧٨", "(02) 2345 6789"; numbers of
    /// other countries only with their + or 00 prefix.
    pub fn parse(input: &str) -> Result<Phone> {
        let bad = || ModelError::InvalidPhone {
            input: input.to_string(),
        };
        let ascii = ascii_digits(input.trim());
        let mut plus = false;
        let mut digits = String::new();
        for (i, c) in ascii.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '(' | ')' | '.' | '\u{200E}' | '\u{200F}' => {}
                _ => return Err(bad()),
            }
        }
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(national) = digits.strip_prefix('0') {
            // Egyptian national format: mobiles 01x + 8 digits, landlines 0 + area + number.
            format!("20{national}")
        } else if digits.len() == 12 && digits.starts_with("201") {
            // An Egyptian mobile with its country code but no + sign.
            digits
        } else if digits.len() == 10 && digits.starts_with('1') {
            // A mobile typed without its leading zero.
            format!("20{digits}")
        } else {
            return Err(bad());
        };
        if let Some(national) = international.strip_prefix("20") {
            let mobile = national.starts_with('1');
            let valid = if mobile {
                national.len() == 10 && matches!(national.as_bytes()[1], b'0' | b'1' | b'2' | b'5')
            } else {
                (8..=9).contains(&national.len())
            };
            if !valid {
                return Err(bad());
            }
        } else if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(bad());
        }
        Ok(Phone(format!("+{international}")))
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The forms a receptionist might type when searching: E.164 digits and, for Egyptian
    /// numbers, the national form with its leading zero.
    pub fn search_forms(&self) -> String {
        let digits = &self.0[1..];
        match digits.strip_prefix("20") {
            Some(national) => format!("0{national} {digits}"),
            None => digits.to_string(),
        }
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egyptian_numbers_normalise_to_e164() {
        for input in [
            "01012345678",
            "010 1234 5678",
            "+20 10 1234 5678",
            "00201012345678",
            "201012345678",
            "1012345678",
            "٠١٠١٢٣٤٥٦٧٨",
            "+٢٠١٠١٢٣٤٥٦٧٨",
        ] {
            let parsed = Phone::parse(input);
            assert_eq!(
                parsed.as_ref().map(Phone::as_str).ok(),
                Some("+201012345678"),
                "{input}: {parsed:?}"
            );
        }
        assert_eq!(
            Phone::parse("(02) 2345 6789").unwrap().as_str(),
            "+20223456789"
        );
    }

    #[test]
    fn nonsense_numbers_are_refused() {
        for input in [
            "",
            "abc",
            "0101234",
            "01912345678",
            "+20 10 1234 56789",
            "12-34",
            "0",
        ] {
            assert!(Phone::parse(input).is_err(), "{input} accepted");
        }
    }
}
