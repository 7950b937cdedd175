//! The five-in-one services (五位一体) of a Kangyuan centre — day care,
//! rehabilitation, recreation, skills training and assisted employment — and
//! the sums their records feed: attendance and piecework earnings.

use crate::coded::coded_enum;
use crate::date::{days_in_month, CivilDate};
use crate::money::{per_mille, Fen};

coded_enum!(
    /// One of the five services. Codes are stable API values.
    ServiceKind {
        DayCare = "day_care", "日间照料";
        Rehabilitation = "rehabilitation", "康复训练";
        Recreation = "recreation", "康乐文体";
        SkillsTraining = "skills_training", "技能训练";
        AssistedEmployment = "assisted_employment", "辅助就业";
    }
);

/// Attendance rate of a period, per mille: days present over trainee-days
/// expected. `None` when no attendance was expected.
pub fn attendance_rate(present: i64, expected: i64) -> Option<i64> {
    per_mille(present, expected)
}

/// Earnings of piecework output: quantity × unit price, `None` on overflow.
pub fn piece_earnings(quantity: i64, unit_price: Fen) -> Option<Fen> {
    unit_price.checked_mul(quantity)
}

/// Working days (Monday to Friday) of a month, for expected attendance; empty
/// for a month that does not exist.
///
/// Public holidays and the weekend days worked in exchange for them (调休) are
/// announced by the State Council each year, so they are not known here; the
/// caller adjusts for them.
pub fn working_days(year: i32, month: u32) -> Vec<CivilDate> {
    let (Ok(year), Ok(month)) = (u16::try_from(year), u8::try_from(month)) else {
        return Vec::new();
    };
    let Some(last) = days_in_month(year, month) else {
        return Vec::new();
    };
    (1..=last)
        .filter_map(|day| CivilDate::new(year, month, day).ok())
        .filter(|&date| date.iso_weekday() <= 5)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn services_read_codes_and_labels() {
        assert_eq!(ServiceKind::ALL.len(), 5);
        for &kind in ServiceKind::ALL {
            assert_eq!(ServiceKind::parse(kind.as_str()), Some(kind));
            assert_eq!(ServiceKind::parse(kind.label()), Some(kind));
        }
        assert_eq!(
            ServiceKind::parse(" 辅助就业 "),
            Some(ServiceKind::AssistedEmployment)
        );
        assert_eq!(ServiceKind::parse("就业"), None);
    }

    #[test]
    fn weekdays_are_right_across_centuries() {
        for (d, weekday) in [
            ("1970-01-01", 4),
            ("2000-02-29", 2),
            ("2023-11-01", 3),
            ("2024-01-01", 1),
            ("2024-12-29", 7),
            ("1900-03-01", 4),
            ("0001-01-01", 1),
        ] {
            assert_eq!(date(d).iso_weekday(), weekday, "{d}");
        }
    }

    #[test]
    fn november_2023_has_22_working_days() {
        let days = working_days(2023, 11);
        assert_eq!(days.len(), 22);
        assert_eq!(days.first(), Some(&date("2023-11-01")));
        assert_eq!(days.last(), Some(&date("2023-11-30")));
        assert!(!days.contains(&date("2023-11-04"))); // Saturday
        assert!(!days.contains(&date("2023-11-05"))); // Sunday
        assert_eq!(working_days(2024, 2).len(), 21); // leap February
        assert_eq!(working_days(2023, 2).len(), 20);
        assert!(working_days(2023, 13).is_empty());
        assert!(working_days(2023, 0).is_empty());
        assert!(working_days(-1, 1).is_empty());
    }

    #[test]
    fn attendance_is_per_mille_of_expected() {
        // 4 trainees × 22 working days expected, 77 days present.
        assert_eq!(attendance_rate(77, 88), Some(875));
        assert_eq!(attendance_rate(0, 88), Some(0));
        assert_eq!(attendance_rate(0, 0), None);
    }

    #[test]
    fn piecework_pays_quantity_times_price() {
        // 1 250 pieces at 0.08 yuan.
        assert_eq!(piece_earnings(1250, Fen(8)), Some(Fen(10_000)));
        assert_eq!(piece_earnings(0, Fen(8)), Some(Fen(0)));
        assert_eq!(piece_earnings(i64::MAX, Fen(2)), None);
        assert_eq!(piece_earnings(2, Fen(i64::MAX)), None);
    }
}
