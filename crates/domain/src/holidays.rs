//! Working days: a centre's opening weekdays and the holiday calendar (放假
//! and 调休上班 days the State Council announces each year), and the one rule
//! that decides whether a day is a working day for a centre. Today's sign-in
//! sheet, the attendance rate and the workbench's "no attendance taken
//! today" all ask [`is_working_day`].

use crate::coded::coded_enum;
use crate::date::{days_in_month, CivilDate};
use std::fmt;

coded_enum!(
    /// What a calendar day is. Codes are stable API values.
    DayKind {
        Holiday = "holiday", "放假";
        Workday = "workday", "调休上班";
    }
);

/// One day of the holiday calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub day: CivilDate,
    pub kind: DayKind,
    /// The holiday it belongs to, e.g. "春节".
    pub name: String,
}

/// The weekdays a centre opens, ISO numbered (1 = Monday … 7 = Sunday).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OpeningDays(u8);

impl OpeningDays {
    /// Monday to Friday, the Kangyuan centres' week.
    pub const MONDAY_TO_FRIDAY: OpeningDays = OpeningDays(0b001_1111);

    /// Reads "12345" (ISO weekday digits) or "一二三四五" (Chinese weekday
    /// names), in any order, commas and spaces ignored; an empty text is
    /// Monday to Friday. Anything else names the bad character.
    pub fn parse(s: &str) -> Result<OpeningDays, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(OpeningDays::MONDAY_TO_FRIDAY);
        }
        let mut bits = 0u8;
        for c in s.chars() {
            let day = match c {
                '1' | '一' => 1,
                '2' | '二' => 2,
                '3' | '三' => 3,
                '4' | '四' => 4,
                '5' | '五' => 5,
                '6' | '六' => 6,
                '7' | '日' | '天' => 7,
                ',' | '，' | ' ' | '、' => continue,
                other => return Err(format!("“{other}”不是星期几，应为 1–7 或 一 至 日")),
            };
            bits |= 1 << (day - 1);
        }
        Ok(OpeningDays(bits))
    }

    /// Whether the centre opens on this ISO weekday.
    pub fn opens_on(self, iso_weekday: u8) -> bool {
        (1..=7).contains(&iso_weekday) && self.0 & (1 << (iso_weekday - 1)) != 0
    }

    /// Opens on some day of Monday to Friday: such a centre follows the
    /// working week, so it also opens on a make-up working day.
    pub fn follows_working_week(self) -> bool {
        self.0 & OpeningDays::MONDAY_TO_FRIDAY.0 != 0
    }

    /// "12345", as stored and as the API gives it.
    pub fn code(self) -> String {
        (1..=7u8)
            .filter(|d| self.opens_on(*d))
            .map(|d| char::from(b'0' + d))
            .collect()
    }

    /// "周一至周五" or "周一、周三、周六".
    pub fn label(self) -> String {
        const NAMES: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        if self == OpeningDays::MONDAY_TO_FRIDAY {
            return "周一至周五".to_owned();
        }
        let days: Vec<String> = (1..=7u8)
            .filter(|d| self.opens_on(*d))
            .map(|d| format!("周{}", NAMES[usize::from(d - 1)]))
            .collect();
        if days.is_empty() {
            "无".to_owned()
        } else {
            days.join("、")
        }
    }
}

impl Default for OpeningDays {
    fn default() -> Self {
        OpeningDays::MONDAY_TO_FRIDAY
    }
}

impl fmt::Debug for OpeningDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpeningDays({})", self.code())
    }
}

/// Whether `day` is a working day for a centre open on `opening`, given the
/// calendar: a holiday (放假) never is; a make-up working day (调休上班) is
/// when the centre follows the working week (it opens on some of Monday to
/// Friday), or opens that weekday anyway; any other day is when the centre
/// opens on its weekday.
pub fn is_working_day(opening: OpeningDays, day: CivilDate, calendar: &[CalendarDay]) -> bool {
    match calendar.iter().find(|c| c.day == day).map(|c| c.kind) {
        Some(DayKind::Holiday) => false,
        Some(DayKind::Workday) => {
            opening.follows_working_week() || opening.opens_on(day.iso_weekday())
        }
        None => opening.opens_on(day.iso_weekday()),
    }
}

/// A centre's working days of a month; empty for a month that does not exist.
pub fn working_days_of_month(
    opening: OpeningDays,
    year: u16,
    month: u8,
    calendar: &[CalendarDay],
) -> Vec<CivilDate> {
    let Some(last) = days_in_month(year, month) else {
        return Vec::new();
    };
    (1..=last)
        .filter_map(|d| CivilDate::new(year, month, d).ok())
        .filter(|d| is_working_day(opening, *d, calendar))
        .collect()
}

/// China's 2026 arrangement, from 国务院办公厅关于2026年部分节假日安排的通知:
/// (first day, last day, kind, name). The default calendar; the official
/// edits it from the holiday page. Migration 16 seeds the same days.
pub const CHINA_2026: &[(&str, &str, DayKind, &str)] = &[
    ("2026-01-01", "2026-01-03", DayKind::Holiday, "元旦"),
    ("2026-01-04", "2026-01-04", DayKind::Workday, "元旦"),
    ("2026-02-14", "2026-02-14", DayKind::Workday, "春节"),
    ("2026-02-15", "2026-02-23", DayKind::Holiday, "春节"),
    ("2026-02-28", "2026-02-28", DayKind::Workday, "春节"),
    ("2026-04-04", "2026-04-06", DayKind::Holiday, "清明节"),
    ("2026-05-01", "2026-05-05", DayKind::Holiday, "劳动节"),
    ("2026-05-09", "2026-05-09", DayKind::Workday, "劳动节"),
    ("2026-06-19", "2026-06-21", DayKind::Holiday, "端午节"),
    ("2026-09-20", "2026-09-20", DayKind::Workday, "国庆节"),
    ("2026-09-25", "2026-09-27", DayKind::Holiday, "中秋节"),
    ("2026-10-01", "2026-10-07", DayKind::Holiday, "国庆节"),
    ("2026-10-10", "2026-10-10", DayKind::Workday, "国庆节"),
];

/// [`CHINA_2026`] day by day.
pub fn china_2026() -> Vec<CalendarDay> {
    let mut out = Vec::new();
    for (from, to, kind, name) in CHINA_2026 {
        let (Ok(from), Ok(to)) = (CivilDate::parse(from), CivilDate::parse(to)) else {
            continue;
        };
        let mut day = Some(from);
        while let Some(d) = day.filter(|d| *d <= to) {
            out.push(CalendarDay {
                day: d,
                kind: *kind,
                name: (*name).to_owned(),
            });
            day = d.add_days(1);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn saturday_is_not_a_working_day_for_a_monday_to_friday_centre() {
        let week = OpeningDays::MONDAY_TO_FRIDAY;
        // 2026-03-07 is a Saturday, 03-09 a Monday.
        assert!(!is_working_day(week, date("2026-03-07"), &[]));
        assert!(!is_working_day(week, date("2026-03-08"), &[]));
        assert!(is_working_day(week, date("2026-03-09"), &[]));
        let every_day = OpeningDays::parse("1234567").unwrap();
        assert!(is_working_day(every_day, date("2026-03-07"), &[]));
    }

    #[test]
    fn holidays_close_and_make_up_days_open_a_working_week_centre() {
        let cal = china_2026();
        let week = OpeningDays::MONDAY_TO_FRIDAY;
        // 春节: Monday 02-16 is a holiday, Saturday 02-14 a make-up day.
        assert!(!is_working_day(week, date("2026-02-16"), &cal));
        assert!(is_working_day(week, date("2026-02-14"), &cal));
        assert!(is_working_day(week, date("2026-01-04"), &cal));
        assert!(!is_working_day(week, date("2026-10-01"), &cal));
        // A weekend-only centre does not follow the working week.
        let weekend = OpeningDays::parse("六日").unwrap();
        assert!(!is_working_day(weekend, date("2026-02-16"), &cal));
        assert!(is_working_day(weekend, date("2026-02-14"), &cal));
        assert!(is_working_day(weekend, date("2026-01-04"), &[]));
        // Holidays close even a seven-day centre.
        let every_day = OpeningDays::parse("1234567").unwrap();
        assert!(!is_working_day(every_day, date("2026-05-02"), &cal));
    }

    #[test]
    fn the_2026_calendar_has_the_announced_days() {
        let cal = china_2026();
        let holidays = cal.iter().filter(|c| c.kind == DayKind::Holiday).count();
        let workdays = cal.iter().filter(|c| c.kind == DayKind::Workday).count();
        // 3 + 9 + 3 + 5 + 3 + 3 + 7 holidays; 1 + 2 + 1 + 2 make-up days.
        assert_eq!(holidays, 33);
        assert_eq!(workdays, 6);
        // Every make-up day is a weekend day.
        assert!(cal
            .iter()
            .filter(|c| c.kind == DayKind::Workday)
            .all(|c| c.day.iso_weekday() >= 6));
    }

    #[test]
    fn working_days_of_february_2026() {
        let cal = china_2026();
        let week = OpeningDays::MONDAY_TO_FRIDAY;
        // 20 weekdays, 6 of them (02-16..20 and 02-23) in the holiday, plus
        // two make-up Saturdays.
        let days = working_days_of_month(week, 2026, 2, &cal);
        assert_eq!(days.len(), 20 - 6 + 2);
        assert!(days.contains(&date("2026-02-14")));
        assert_eq!(working_days_of_month(week, 2026, 2, &[]).len(), 20);
        assert!(working_days_of_month(week, 2026, 13, &cal).is_empty());
    }

    #[test]
    fn opening_days_read_digits_and_names() {
        assert_eq!(
            OpeningDays::parse("一二三四五").unwrap(),
            OpeningDays::MONDAY_TO_FRIDAY
        );
        assert_eq!(OpeningDays::parse("").unwrap().code(), "12345");
        assert_eq!(OpeningDays::parse("6,1").unwrap().code(), "16");
        assert_eq!(OpeningDays::parse("16").unwrap().label(), "周一、周六");
        assert_eq!(OpeningDays::MONDAY_TO_FRIDAY.label(), "周一至周五");
        assert!(OpeningDays::parse("8").is_err());
    }
}
