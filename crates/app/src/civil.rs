//! Civil time in China: Asia/Shanghai is UTC+8 all year (no daylight saving
//! since 1991), so a fixed offset converts exactly.

use time::{Date, Month, OffsetDateTime, UtcOffset};

fn offset() -> UtcOffset {
    UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// "2026-11-23 14:05:09" for a Unix time.
pub fn datetime(unix: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(unix) else {
        return unix.to_string();
    };
    let t = t.to_offset(offset());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The civil date in Shanghai at a Unix time.
pub fn date_of(unix: i64) -> kangyang_domain::CivilDate {
    let t = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset());
    kangyang_domain::CivilDate::new(t.year().clamp(1, 9999) as u16, u8::from(t.month()), t.day())
        // Only a time outside the years 1-9999 could fail here.
        .unwrap_or(kangyang_domain::CivilDate::EPOCH)
}

/// The date `years` before `date` (29 February becomes 28 February).
pub fn years_before(date: kangyang_domain::CivilDate, years: u16) -> kangyang_domain::CivilDate {
    let year = date.year().saturating_sub(years).max(1);
    kangyang_domain::CivilDate::new(year, date.month(), date.day())
        .or_else(|_| kangyang_domain::CivilDate::new(year, date.month(), 28))
        .unwrap_or(date)
}

/// The Unix time at which a civil date "YYYY-MM-DD" begins in Shanghai.
pub fn day_start(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(date.midnight().assume_offset(offset()).unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_at_utc_plus_eight() {
        // 2026-11-23 00:00 in Shanghai is 2026-11-22 16:00 UTC.
        let start = day_start("2026-11-23");
        assert_eq!(start, Some(1_795_363_200));
        assert_eq!(datetime(1_795_363_200), "2026-11-23 00:00:00");
        assert_eq!(day_start("2026-02-30"), None);
        assert_eq!(day_start("yesterday"), None);
    }
}
