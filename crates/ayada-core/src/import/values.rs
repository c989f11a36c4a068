//! Cell values as clinics write them: days first or ISO, in either digit set; genders in
//! Arabic or English, however spelled.

use jiff::civil::{Date, Time};

use crate::error::{CoreError, Result};
use crate::patients::Gender;
use crate::text::{ascii_digits, fold};

/// A day written "23/11/2026", "23-11-2026", "23.11.2026", "2026-11-23", "2026/11/23", with
/// Arabic digits too, or a workbook's "2026-11-23 00:00"; two-digit years are this century's
/// up to this year, else the last's. Empty is None.
pub fn day(input: &str) -> Result<Option<Date>> {
    let text = ascii_digits(input.trim());
    let text = text.split_whitespace().next().unwrap_or("");
    if text.is_empty() {
        return Ok(None);
    }
    let refuse = || CoreError::invalid("date", "day-first");
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [a, b, c] = parts[..] else {
        return Err(refuse());
    };
    let number = |s: &str| s.parse::<i16>().map_err(|_| refuse());
    let (year, month, day) = if a.len() == 4 {
        (number(a)?, number(b)?, number(c)?)
    } else {
        let year = number(c)?;
        let year = match c.len() {
            4 => year,
            2 => {
                let now = jiff::Zoned::now().year() % 100;
                if year <= now {
                    2000 + year
                } else {
                    1900 + year
                }
            }
            _ => return Err(refuse()),
        };
        (year, number(b)?, number(a)?)
    };
    let month = i8::try_from(month).map_err(|_| refuse())?;
    let day = i8::try_from(day).map_err(|_| refuse())?;
    Date::new(year, month, day).map(Some).map_err(|_| refuse())
}

/// A time written "14:30", "9:05", "2:30 PM", "2:30 م" (Arabic for after noon, ص before),
/// with Arabic digits too.
pub fn time(input: &str) -> Result<Time> {
    let refuse = || CoreError::invalid("time", "clock-time");
    let text = ascii_digits(input.trim()).to_lowercase();
    let (clock, half) = match text.split_once(' ') {
        Some((clock, half)) => (clock.trim(), Some(half.trim())),
        None => (text.as_str(), None),
    };
    let (h, m) = clock.split_once(':').ok_or_else(refuse)?;
    let mut hour: i8 = h.parse().map_err(|_| refuse())?;
    let minute: i8 = m.get(..2).unwrap_or(m).parse().map_err(|_| refuse())?;
    match half {
        None => {}
        Some("pm" | "p.m." | "م" | "مساء" | "مساءً") if (1..12).contains(&hour) => {
            hour += 12
        }
        Some("am" | "a.m." | "ص" | "صباحا" | "صباحًا") if hour == 12 => hour = 0,
        Some("pm" | "p.m." | "م" | "مساء" | "مساءً" | "am" | "a.m." | "ص" | "صباحا" | "صباحًا") =>
            {}
        Some(_) => return Err(refuse()),
    }
    Time::new(hour, minute, 0, 0).map_err(|_| refuse())
}

/// A gender as clinics write it ("ذكر", "أنثى", "انثي", "M", "female"...). Empty is None.
pub fn gender(input: &str) -> Result<Option<Gender>> {
    let folded = fold(input.trim());
    match folded.as_str() {
        "" => Ok(None),
        "ذكر" | "ذ" | "male" | "m" => Ok(Some(Gender::Male)),
        "انثي" | "ا" | "female" | "f" => Ok(Some(Gender::Female)),
        _ => Err(CoreError::invalid("gender", "unknown-gender")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_day_first_or_iso_in_either_digit_set() {
        let d = |s: &str| day(s).unwrap().map(|d| d.to_string());
        assert_eq!(d("23/11/1985").as_deref(), Some("1985-11-23"));
        assert_eq!(d("٢٣/١١/١٩٨٥").as_deref(), Some("1985-11-23"));
        assert_eq!(d("3-2-1990").as_deref(), Some("1990-02-03"));
        assert_eq!(d("1990-02-03").as_deref(), Some("1990-02-03"));
        assert_eq!(d("1990/02/03").as_deref(), Some("1990-02-03"));
        assert_eq!(d("1990-02-03 00:00").as_deref(), Some("1990-02-03"));
        assert_eq!(d("01.02.99").as_deref(), Some("1999-02-01"));
        assert_eq!(d("01.02.05").as_deref(), Some("2005-02-01"));
        assert_eq!(d("").as_deref(), None);
        for bad in ["31/02/1990", "11/1990", "yesterday", "23/11/985"] {
            assert!(day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_read_on_either_clock_in_either_language() {
        let t = |s: &str| time(s).unwrap().strftime("%H:%M").to_string();
        assert_eq!(t("14:30"), "14:30");
        assert_eq!(t("9:05"), "09:05");
        assert_eq!(t("2:30 PM"), "14:30");
        assert_eq!(t("٢:٣٠ م"), "14:30");
        assert_eq!(t("12:15 ص"), "00:15");
        assert_eq!(t("12:15 pm"), "12:15");
        for bad in ["25:00", "2:30 xm", "noon"] {
            assert!(time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn genders_are_read_in_arabic_and_english_however_spelled() {
        for (text, g) in [
            ("ذكر", Gender::Male),
            ("M", Gender::Male),
            ("أنثى", Gender::Female),
            ("انثي", Gender::Female),
            ("Female", Gender::Female),
        ] {
            assert_eq!(gender(text).unwrap(), Some(g), "{text}");
        }
        assert_eq!(gender(" ").unwrap(), None);
        assert!(gender("x").is_err());
    }
}
