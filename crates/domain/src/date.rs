//! Civil (calendar) dates, without a time of day or a time zone.
//!
//! kangyang's dates are civil dates in Asia/Shanghai (birth dates, visit days,
//! enrolment days); which day "today" is gets decided once, at the edge, and is
//! passed in. The proleptic Gregorian calendar is used, as GB/T 7408 (ISO 8601)
//! does for dates written as `YYYY-MM-DD`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// True for a Gregorian leap year: divisible by 4, except centuries not
/// divisible by 400 (so 2000 was a leap year and 1900 was not).
pub fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// The number of days in `month` (1-12) of `year`, or `None` for a month
/// outside 1-12.
pub fn days_in_month(year: u16, month: u8) -> Option<u8> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if is_leap_year(year) => Some(29),
        2 => Some(28),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("日期格式应为 YYYY-MM-DD 或 YYYYMMDD")]
    BadFormat,
    #[error("日期不存在（年份应为 0001-9999，月份 1-12，日不超过当月天数）")]
    NoSuchDate,
}

/// A calendar date between 0001-01-01 and 9999-12-31.
///
/// Ordering is chronological (the fields are compared year, month, day).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CivilDate {
    year: u16,
    month: u8,
    day: u8,
}

impl CivilDate {
    /// 1970-01-01, a date that always exists (a safe fallback).
    pub const EPOCH: CivilDate = CivilDate {
        year: 1970,
        month: 1,
        day: 1,
    };

    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        let valid = (1..=9999).contains(&year)
            && days_in_month(year, month).is_some_and(|last| (1..=last).contains(&day));
        if valid {
            Ok(CivilDate { year, month, day })
        } else {
            Err(DateError::NoSuchDate)
        }
    }

    /// Reads `YYYYMMDD` (the form inside an ID number) or `YYYY-MM-DD`. The
    /// separated form also takes `/` or `.` and one-digit months and days
    /// (`1990/1/5`), which is how spreadsheets in a Chinese locale show dates.
    pub fn parse(s: &str) -> Result<Self, DateError> {
        if !s.is_ascii() {
            return Err(DateError::BadFormat);
        }
        let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            (&s[..4], &s[4..6], &s[6..])
        } else {
            let sep = match s.bytes().find(|b| !b.is_ascii_digit()) {
                Some(b @ (b'-' | b'/' | b'.')) => b as char,
                _ => return Err(DateError::BadFormat),
            };
            let mut parts = s.split(sep);
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(y), Some(m), Some(d), None)
                    if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) =>
                {
                    (y, m, d)
                }
                _ => return Err(DateError::BadFormat),
            }
        };
        let digits = |part: &str| {
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u16>().map_err(|_| DateError::BadFormat)
            } else {
                Err(DateError::BadFormat)
            }
        };
        let (year, month, day) = (digits(y)?, digits(m)?, digits(d)?);
        // Month and day have at most two digits, so they fit in a u8.
        CivilDate::new(year, month as u8, day as u8)
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// The date as `YYYYMMDD`, the form used inside an ID number.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// Whole years from `self` to `later` (a person's age in 周岁 when `self`
    /// is the birth date), or 0 when `later` is not after `self`. Someone born
    /// on 29 February turns a year older on 1 March in common years.
    pub fn full_years_until(self, later: CivilDate) -> u32 {
        if later <= self {
            return 0;
        }
        let years = u32::from(later.year - self.year);
        if (later.month, later.day) < (self.month, self.day) {
            years - 1
        } else {
            years
        }
    }
}

// CivilDate's day arithmetic: Howard Hinnant's algorithms ("chrono-Compatible
// Low-Level Date Algorithms"), counting days from 1970-01-01 with years that
// start in March, so the leap day falls at a year's end.
impl CivilDate {
    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year()),
            i64::from(self.month()),
            i64::from(self.day()),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01; `None` outside the years 1-9999.
    pub fn from_days_since_epoch(days: i64) -> Option<CivilDate> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let d = day_of_year - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = year_of_era + era * 400 + i64::from(m <= 2);
        CivilDate::new(
            u16::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
        )
        .ok()
    }

    /// Days from this date to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: CivilDate) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// The date `n` days later (earlier for negative `n`).
    pub fn add_days(self, n: i64) -> Option<CivilDate> {
        CivilDate::from_days_since_epoch(self.days_since_epoch().checked_add(n)?)
    }

    /// The ISO 8601 weekday: 1 for Monday to 7 for Sunday.
    pub fn iso_weekday(self) -> u8 {
        // 1970-01-01 was a Thursday.
        let from_monday = (self.days_since_epoch() + 3).rem_euclid(7);
        u8::try_from(from_monday + 1).unwrap_or(7)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CivilDate({self})")
    }
}

impl TryFrom<String> for CivilDate {
    type Error = DateError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CivilDate::parse(&s)
    }
}

impl From<CivilDate> for String {
    fn from(d: CivilDate) -> String {
        d.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), Some(29));
        assert_eq!(days_in_month(2023, 2), Some(28));
        assert_eq!(days_in_month(2023, 4), Some(30));
        assert_eq!(days_in_month(2023, 12), Some(31));
        assert_eq!(days_in_month(2023, 13), None);
        assert_eq!(days_in_month(2023, 0), None);
    }

    #[test]
    fn parses_compact_and_separated_forms() {
        let d = CivilDate::new(1990, 1, 5).unwrap();
        assert_eq!(date("19900105"), d);
        assert_eq!(date("1990-01-05"), d);
        assert_eq!(date("1990/1/5"), d);
        assert_eq!(date("1990.01.5"), d);
        assert_eq!(d.to_string(), "1990-01-05");
        assert_eq!(d.compact(), "19900105");
        assert_eq!((d.year(), d.month(), d.day()), (1990, 1, 5));
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "",
            "1990-01",
            "1990-01-05-01",
            "1990-01/05",
            "90-01-05",
            "1990-001-05",
            "1990-+1-05",
            "199001051",
            "１９９００１０５",
            "1990-01-05 ",
        ] {
            assert_eq!(CivilDate::parse(bad), Err(DateError::BadFormat), "{bad:?}");
        }
        for impossible in [
            "19900230", "20230229", "19900431", "19901301", "19900001", "19900100", "00000101",
        ] {
            assert_eq!(
                CivilDate::parse(impossible),
                Err(DateError::NoSuchDate),
                "{impossible:?}"
            );
        }
        assert!(CivilDate::parse("20240229").is_ok());
        assert!(CivilDate::parse("20000229").is_ok());
        assert!(CivilDate::parse("19000229").is_err());
    }

    #[test]
    fn orders_chronologically() {
        assert!(date("1990-12-31") < date("1991-01-01"));
        assert!(date("1991-01-31") < date("1991-02-01"));
        assert!(date("1991-02-01") < date("1991-02-02"));
        let mut dates = [date("2001-01-01"), date("1999-12-31"), date("2000-06-15")];
        dates.sort();
        assert_eq!(dates[0], date("1999-12-31"));
    }

    #[test]
    fn full_years_count_completed_birthdays() {
        let born = date("1950-06-15");
        assert_eq!(born.full_years_until(date("2020-06-14")), 69);
        assert_eq!(born.full_years_until(date("2020-06-15")), 70);
        assert_eq!(born.full_years_until(date("2020-12-31")), 70);
        assert_eq!(born.full_years_until(born), 0);
        assert_eq!(born.full_years_until(date("1949-01-01")), 0);
        let leap = date("2000-02-29");
        assert_eq!(leap.full_years_until(date("2023-02-28")), 22);
        assert_eq!(leap.full_years_until(date("2023-03-01")), 23);
        assert_eq!(leap.full_years_until(date("2024-02-29")), 24);
    }

    #[test]
    fn serialises_as_iso_text() {
        let d = date("2023-05-01");
        assert_eq!(String::from(d), "2023-05-01");
        assert_eq!(CivilDate::try_from("2023-05-01".to_owned()), Ok(d));
        assert!(CivilDate::try_from("2023-02-30".to_owned()).is_err());
    }
}
