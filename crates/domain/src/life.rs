//! A person's life events — death (死亡), moving out of the area (迁出),
//! the household registration moving out (户籍迁出) — and the one rule every
//! recording path asks: may a service dated `day` still be recorded for
//! this person?
//!
//! The event's own day still counts (a meal eaten on the morning of a death
//! was eaten); everything after it is refused, and what was entered after it
//! before the news arrived is held for review (应退/待核).

use crate::date::CivilDate;
use crate::register::PersonStatus;
use std::fmt;

/// What is being recorded, as the refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Attendance,
    Meal,
    HomeCare,
    Visit,
    ServiceRecord,
}

impl Service {
    pub fn label(self) -> &'static str {
        match self {
            Service::Attendance => "签到",
            Service::Meal => "助餐",
            Service::HomeCare => "居家上门服务",
            Service::Visit => "探访",
            Service::ServiceRecord => "服务记录",
        }
    }
}

/// Why a service cannot be recorded: the person's status and its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifeEnded {
    pub status: PersonStatus,
    /// `None` for an old record whose status was set without a date.
    pub date: Option<CivilDate>,
    pub service: Service,
}

impl fmt::Display for LifeEnded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let event = self.status.event_label().unwrap_or("离开");
        match self.date {
            Some(date) => write!(
                f,
                "该人员已于 {date} {event}，不能记录此后的{}",
                self.service.label()
            ),
            None => write!(
                f,
                "该人员已{event}（名册未记日期），不能记录{}",
                self.service.label()
            ),
        }
    }
}

impl std::error::Error for LifeEnded {}

/// Whether `service` on `day` may be recorded for a person of `status`
/// (changed on `status_date`): always for the living, up to and including
/// the day of the event otherwise. A status with no date refuses every day:
/// the register cannot tell which days came before it.
pub fn service_allowed(
    status: PersonStatus,
    status_date: Option<CivilDate>,
    day: CivilDate,
    service: Service,
) -> Result<(), LifeEnded> {
    let refused = LifeEnded {
        status,
        date: status_date,
        service,
    };
    match (status, status_date) {
        (PersonStatus::Alive, _) => Ok(()),
        (_, Some(date)) if day <= date => Ok(()),
        _ => Err(refused),
    }
}

/// The same rule for a register row, whose status and date are stored text.
/// An unknown status code counts as living: the register only writes codes
/// it knows, and a refusal must name a real event.
pub fn service_allowed_stored(
    status: &str,
    status_date: Option<&str>,
    day: CivilDate,
    service: Service,
) -> Result<(), LifeEnded> {
    let status = PersonStatus::parse(status).unwrap_or(PersonStatus::Alive);
    let date = status_date.and_then(|d| CivilDate::parse(d).ok());
    service_allowed(status, date, day, service)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn the_living_may_be_served_any_day() {
        for day in ["1990-01-01", "2026-11-03", "2099-12-31"] {
            assert_eq!(
                service_allowed(PersonStatus::Alive, None, d(day), Service::Meal),
                Ok(())
            );
        }
    }

    #[test]
    fn the_day_of_the_event_counts_and_the_next_is_refused() {
        let died = Some(d("2026-11-03"));
        let allowed = |day| service_allowed(PersonStatus::Deceased, died, d(day), Service::Meal);
        assert_eq!(allowed("2026-11-02"), Ok(()));
        assert_eq!(allowed("2026-11-03"), Ok(()));
        let refused = allowed("2026-11-04").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "该人员已于 2026-11-03 死亡，不能记录此后的助餐"
        );
    }

    #[test]
    fn each_status_and_service_is_named_in_the_refusal() {
        let on = Some(d("2026-05-31"));
        let after = d("2026-06-01");
        let msg = |status, service| {
            service_allowed(status, on, after, service)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(PersonStatus::MovedAway, Service::Attendance),
            "该人员已于 2026-05-31 迁出，不能记录此后的签到"
        );
        assert_eq!(
            msg(PersonStatus::HukouMovedOut, Service::HomeCare),
            "该人员已于 2026-05-31 户籍迁出，不能记录此后的居家上门服务"
        );
        assert!(msg(PersonStatus::Deceased, Service::Visit).ends_with("探访"));
        assert!(msg(PersonStatus::Deceased, Service::ServiceRecord).ends_with("服务记录"));
    }

    #[test]
    fn a_status_without_a_date_refuses_every_day() {
        let r = service_allowed(PersonStatus::Deceased, None, d("1990-01-01"), Service::Meal);
        assert_eq!(
            r.unwrap_err().to_string(),
            "该人员已死亡（名册未记日期），不能记录助餐"
        );
    }

    #[test]
    fn stored_rows_read_the_same_way() {
        let day = d("2026-11-04");
        assert!(
            service_allowed_stored("deceased", Some("2026-11-03"), day, Service::Meal).is_err()
        );
        assert!(service_allowed_stored("deceased", Some("2026-11-04"), day, Service::Meal).is_ok());
        assert!(service_allowed_stored("alive", None, day, Service::Meal).is_ok());
        assert!(service_allowed_stored("moved_away", None, day, Service::Meal).is_err());
    }

    #[test]
    fn other_departments_words_for_a_status_are_read() {
        assert_eq!(
            PersonStatus::parse_change("死亡"),
            Some(PersonStatus::Deceased)
        );
        assert_eq!(
            PersonStatus::parse_change("已故"),
            Some(PersonStatus::Deceased)
        );
        assert_eq!(
            PersonStatus::parse_change(" 迁出 "),
            Some(PersonStatus::MovedAway)
        );
        assert_eq!(
            PersonStatus::parse_change("户籍迁出"),
            Some(PersonStatus::HukouMovedOut)
        );
        assert_eq!(
            PersonStatus::parse_change("在世"),
            Some(PersonStatus::Alive)
        );
        assert_eq!(PersonStatus::parse_change("出差"), None);
    }
}
