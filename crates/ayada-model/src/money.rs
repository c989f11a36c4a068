//! Money as integer minor units (piastres): never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::text::ascii_digits;

/// An amount in minor units (1 EGP = 100 piastres). Negative only as the result of arithmetic.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// Reads an amount a person typed: "350", "350.5", "350.50", "1,250.00", Arabic digits
    /// and the Arabic decimal separator ("٣٥٠٫٥٠"). Refuses more than two decimals,
    /// negatives and anything else.
    pub fn parse(input: &str) -> Result<Money> {
        let bad = || ModelError::InvalidMoney {
            input: input.to_string(),
        };
        let cleaned: String = ascii_digits(input.trim())
            .chars()
            .filter(|c| *c != ',' && *c != '\u{066C}' && !c.is_whitespace())
            .map(|c| if c == '\u{066B}' { '.' } else { c })
            .collect();
        let minor = parse_fixed(&cleaned, 2).ok_or_else(bad)?;
        Ok(Money(minor))
    }

    /// The amount in minor units.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// Adds, refusing an overflow rather than wrapping.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

/// Parses a non-negative decimal with at most `decimals` places into an integer scaled by
/// 10^decimals ("37.5" with 1 → 375). Used for money and for vitals, which are kept as
/// integers too so that a CRDT never merges floats.
pub fn parse_fixed(input: &str, decimals: u32) -> Option<i64> {
    let (whole, frac) = match input.split_once('.') {
        Some((w, f)) => (w, f),
        None => (input, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if frac.len() > decimals as usize || (input.contains('.') && frac.is_empty()) {
        return None;
    }
    let scale = 10i64.pow(decimals);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..decimals as usize {
        frac_value *= 10;
    }
    whole.checked_mul(scale)?.checked_add(frac_value)
}

/// Writes an integer scaled by 10^decimals back as a decimal ("375" with 1 → "37.5").
pub fn format_fixed(value: i64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = decimals as usize
    )
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_fixed(self.0, 2))
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_exact_piastres() {
        assert_eq!(Money::parse("350.50").unwrap(), Money(35050));
        assert_eq!(Money::parse("350.5").unwrap(), Money(35050));
        assert_eq!(Money::parse("350").unwrap(), Money(35000));
        assert_eq!(Money::parse("0.01").unwrap(), Money(1));
        assert_eq!(Money::parse("1,250.75").unwrap(), Money(125075));
        assert_eq!(Money::parse("٣٥٠٫٥٠").unwrap(), Money(35050));
    }

    #[test]
    fn amounts_with_three_decimals_or_signs_are_refused() {
        for bad in ["350.555", "-3", "abc", "", ".", "3.", "1e3", "12.3.4", "+5"] {
            assert!(
                matches!(Money::parse(bad), Err(ModelError::InvalidMoney { .. })),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn many_small_amounts_sum_exactly() {
        // 0.10 ten thousand times is exactly 1000.00, which floats would not give.
        let total: Money = std::iter::repeat_n(Money::parse("0.10").unwrap(), 10_000).sum();
        assert_eq!(total, Money(100_000));
        assert_eq!(total.to_string(), "1000.00");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }
}
