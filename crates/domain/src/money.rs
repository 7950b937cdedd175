//! Money as integer fen (分), and shares as integer per mille (‰).
//!
//! Subsidies, piecework pay and canteen prices are added up and compared to
//! the fen; binary floating point cannot hold 0.1 yuan exactly, so amounts are
//! whole fen and only the text shown to users has a decimal point. Shares
//! (attendance, completion) are per mille for the same reason, rounded once
//! when they are computed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a typed amount should look like, repeated in every parse error so the
/// user sees the right form next to what went wrong.
const EXPECTED_YUAN: &str = "金额应为元，最多两位小数，如 1200 或 1200.50";

/// An amount of money in fen (1 yuan = 100 fen).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Fen(pub i64);

impl Fen {
    /// Whole yuan in fen: 470 000 yuan is `Fen(47_000_000)`. Saturates at the
    /// bounds of `i64` (about 92 trillion yuan), which no real amount reaches.
    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    /// Parses what a user types in yuan: "470000", "470,000", "12.5", "12.34",
    /// "￥1,200.00", "1200元". Full-width digits, points and commas (typed with
    /// a Chinese input method) are read as their ASCII forms.
    ///
    /// Thousands separators must group by three, so "12,50" (a decimal comma
    /// in some locales) is refused rather than read as 1 250 yuan. Negative
    /// amounts, more than two decimals, empty text, amounts too large and
    /// anything else are refused with a Chinese message saying what is expected.
    pub fn parse_yuan(s: &str) -> Result<Fen, String> {
        let err = |problem: &str| Err(format!("{problem}；{EXPECTED_YUAN}"));
        let text: String = s.trim().chars().map(ascii_form).collect();
        let text = text.strip_prefix(['￥', '¥']).unwrap_or(&text).trim_start();
        let text = text.strip_suffix('元').unwrap_or(text).trim_end();
        if text.is_empty() {
            return err("金额为空");
        }
        if text.starts_with('-') {
            return err("金额不能为负数");
        }
        let (whole, decimals) = match text.split_once('.') {
            Some((whole, decimals)) => (whole, Some(decimals)),
            None => (text, None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let groups: Vec<&str> = whole.split(',').collect();
        let well_grouped = groups.iter().all(|g| all_digits(g))
            && groups
                .iter()
                .skip(1)
                .all(|g| g.len() == 3 && groups.first().is_some_and(|first| first.len() <= 3));
        if !well_grouped {
            return if groups.len() > 1 && groups.iter().all(|g| all_digits(g)) {
                err("千分位逗号应每三位一组，如 1,200,000")
            } else {
                err("金额格式不对")
            };
        }
        let cents = match decimals {
            None => 0,
            Some(d) if !all_digits(d) => return err("金额格式不对"),
            Some(d) if d.len() > 2 => return err("金额最多两位小数（精确到分）"),
            // One decimal is ten fen each: "12.5" is 12 yuan 50 fen.
            Some(d) => d
                .bytes()
                .chain(std::iter::repeat(b'0'))
                .take(2)
                .fold(0_i64, |acc, b| acc * 10 + i64::from(b - b'0')),
        };
        let yuan = groups
            .iter()
            .flat_map(|g| g.bytes())
            .try_fold(0_i64, |acc, b| {
                acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
            });
        match yuan
            .and_then(|y| y.checked_mul(100))
            .and_then(|f| f.checked_add(cents))
        {
            Some(fen) => Ok(Fen(fen)),
            None => err("金额过大"),
        }
    }

    /// "470,000.00": thousands separators, always two decimals, a leading '-'
    /// when negative.
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        // unsigned_abs, because -i64::MIN does not fit in an i64.
        let fen = self.0.unsigned_abs();
        let digits = (fen / 100).to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{:02}", fen % 100)
    }

    /// `n` times this amount, or `None` when it does not fit.
    pub fn checked_mul(self, n: i64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }

    /// The sum, or `None` when it does not fit.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan_string())
    }
}

/// The ASCII form of a full-width digit, point or comma; other characters are
/// kept as they are.
fn ascii_form(c: char) -> char {
    match c {
        '０'..='９' => {
            char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
        }
        '．' => '.',
        '，' => ',',
        _ => c,
    }
}

/// Per-mille share of `part` in `whole`, rounded half away from zero (half up
/// for the usual non-negative counts); `None` when the whole is 0 or the share
/// does not fit in an `i64`.
pub fn per_mille(part: i64, whole: i64) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    // i128 so that part × 1000 cannot overflow.
    let scaled = i128::from(part) * 1000;
    let whole = i128::from(whole);
    let quotient = scaled / whole;
    let remainder = scaled % whole;
    let rounded = if 2 * remainder.abs() >= whole.abs() {
        quotient + if (scaled < 0) == (whole < 0) { 1 } else { -1 }
    } else {
        quotient
    };
    i64::try_from(rounded).ok()
}

/// A per-mille share as a percentage with one decimal: 875 is "87.5%".
pub fn percent_string(per_mille: i64) -> String {
    let sign = if per_mille < 0 { "-" } else { "" };
    let n = per_mille.unsigned_abs();
    format!("{sign}{}.{}%", n / 10, n % 10)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_amounts_as_users_type_them() {
        for (text, fen) in [
            ("470000", 47_000_000),
            ("470,000", 47_000_000),
            ("12.5", 1250),
            ("12.34", 1234),
            ("0.05", 5),
            ("￥1,200.00", 120_000),
            ("¥ 1200", 120_000),
            ("1200元", 120_000),
            (" 1,234,567.8 元 ", 123_456_780),
            ("１２００．５", 120_050),
            ("0", 0),
        ] {
            assert_eq!(Fen::parse_yuan(text), Ok(Fen(fen)), "{text:?}");
        }
        assert_eq!(Fen::from_yuan(470_000), Fen(47_000_000));
    }

    #[test]
    fn refuses_bad_amounts_saying_what_is_expected() {
        let problem = |text: &str| Fen::parse_yuan(text).unwrap_err();
        for (text, says) in [
            ("", "金额为空"),
            ("  元", "金额为空"),
            ("-5", "金额不能为负数"),
            ("12.345", "最多两位小数"),
            ("12,50", "每三位一组"),
            ("1,2345", "每三位一组"),
            ("99999999999999999999", "金额过大"),
            ("92233720368547758.08", "金额过大"),
            ("abc", "格式不对"),
            ("12.", "格式不对"),
            (".5", "格式不对"),
            ("1.2E+06", "格式不对"),
            ("1200万", "格式不对"),
            ("12.5.0", "格式不对"),
        ] {
            let message = problem(text);
            assert!(message.contains(says), "{text:?}: {message}");
            assert!(message.ends_with(EXPECTED_YUAN), "{text:?}: {message}");
        }
        assert_eq!(
            problem("abc"),
            "金额格式不对；金额应为元，最多两位小数，如 1200 或 1200.50"
        );
    }

    #[test]
    fn shows_yuan_with_thousands_and_two_decimals() {
        for (fen, text) in [
            (47_000_000, "470,000.00"),
            (0, "0.00"),
            (5, "0.05"),
            (1250, "12.50"),
            (99_999, "999.99"),
            (100_000, "1,000.00"),
            (12_345_678_901, "123,456,789.01"),
            (-120_050, "-1,200.50"),
            (-5, "-0.05"),
            (i64::MIN, "-92,233,720,368,547,758.08"),
        ] {
            assert_eq!(Fen(fen).yuan_string(), text);
            assert_eq!(Fen(fen).to_string(), text);
        }
        let typed = Fen::parse_yuan("1,234,567.89").unwrap();
        assert_eq!(Fen::parse_yuan(&typed.yuan_string()), Ok(typed));
    }

    #[test]
    fn arithmetic_reports_overflow() {
        assert_eq!(Fen(250).checked_mul(4), Some(Fen(1000)));
        assert_eq!(Fen(i64::MAX).checked_mul(2), None);
        assert_eq!(Fen(1).checked_add(Fen(2)), Some(Fen(3)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen::from_yuan(i64::MAX), Fen(i64::MAX));
    }

    #[test]
    fn shares_round_half_up_to_per_mille() {
        assert_eq!(per_mille(7, 8), Some(875));
        assert_eq!(per_mille(1, 3), Some(333));
        assert_eq!(per_mille(2, 3), Some(667));
        assert_eq!(per_mille(1, 2000), Some(1)); // 0.5‰ rounds up
        assert_eq!(per_mille(1, 2001), Some(0));
        assert_eq!(per_mille(0, 5), Some(0));
        assert_eq!(per_mille(5, 5), Some(1000));
        assert_eq!(per_mille(-1, 2000), Some(-1));
        assert_eq!(per_mille(3, 0), None);
        assert_eq!(per_mille(i64::MAX, 1), None);
        assert_eq!(percent_string(875), "87.5%");
        assert_eq!(percent_string(1000), "100.0%");
        assert_eq!(percent_string(0), "0.0%");
        assert_eq!(percent_string(-5), "-0.5%");
    }
}
