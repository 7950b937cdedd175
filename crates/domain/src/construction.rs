//! Construction projects (建设项目) of welfare facilities: the stages a
//! project passes through, and when a milestone counts as delayed.
//!
//! The stages follow the order of a government-funded building project in
//! China: planning and approval (立项), tendering (招标, 招标投标法), the
//! contract (合同签订), construction (施工), completion acceptance (竣工验收)
//! and handing over for use (交付使用).

use crate::coded::coded_enum;
use crate::date::CivilDate;
use serde::{Deserialize, Serialize};

coded_enum!(
    #[derive(PartialOrd, Ord)]
    Stage {
        Planning = "planning", "立项规划";
        Tendering = "tendering", "招标";
        Contract = "contract", "合同签订";
        Construction = "construction", "施工";
        Acceptance = "acceptance", "竣工验收";
        InUse = "in_use", "交付使用";
    }
);

impl Stage {
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The stage after this one, if any.
    pub fn next(self) -> Option<Stage> {
        Self::ALL.get(self.index() + 1).copied()
    }

    /// A project moves forward one stage at a time: a project cannot be
    /// built before it is contracted, nor used before it is accepted.
    pub fn may_move_to(self, to: Stage) -> bool {
        self.next() == Some(to)
    }
}

/// Where a milestone stands against its planned date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "days")]
pub enum Delay {
    /// Done on or before the planned date.
    OnTime,
    /// Not done, and the planned date has not passed.
    Pending,
    /// Done, this many days after the planned date.
    Late(i64),
    /// Not done, and the planned date passed this many days ago.
    Overdue(i64),
}

impl Delay {
    /// A milestone is delayed if it was done later than planned, or its
    /// planned date passed (before today) with no actual date.
    pub fn of(planned: CivilDate, actual: Option<CivilDate>, today: CivilDate) -> Delay {
        match actual {
            Some(done) => match planned.days_until(done) {
                d if d > 0 => Delay::Late(d),
                _ => Delay::OnTime,
            },
            None => match planned.days_until(today) {
                d if d > 0 => Delay::Overdue(d),
                _ => Delay::Pending,
            },
        }
    }

    pub fn is_delayed(self) -> bool {
        matches!(self, Delay::Late(_) | Delay::Overdue(_))
    }

    pub fn days(self) -> i64 {
        match self {
            Delay::Late(d) | Delay::Overdue(d) => d,
            _ => 0,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Delay::OnTime => "on_time",
            Delay::Pending => "pending",
            Delay::Late(_) => "late",
            Delay::Overdue(_) => "overdue",
        }
    }

    pub fn label(self) -> String {
        match self {
            Delay::OnTime => "按期完成".into(),
            Delay::Pending => "未到期".into(),
            Delay::Late(d) => format!("延期 {d} 天完成"),
            Delay::Overdue(d) => format!("已逾期 {d} 天"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn a_milestone_is_delayed_when_late_or_overdue() {
        let today = d("2026-06-15");
        let planned = d("2026-06-01");
        assert_eq!(
            Delay::of(planned, Some(d("2026-05-30")), today),
            Delay::OnTime
        );
        assert_eq!(Delay::of(planned, Some(planned), today), Delay::OnTime);
        assert_eq!(
            Delay::of(planned, Some(d("2026-06-11")), today),
            Delay::Late(10)
        );
        assert_eq!(Delay::of(planned, None, today), Delay::Overdue(14));
        assert_eq!(
            Delay::of(today, None, today),
            Delay::Pending,
            "due today is not late"
        );
        assert_eq!(Delay::of(d("2026-07-01"), None, today), Delay::Pending);
        assert!(Delay::Late(1).is_delayed() && Delay::Overdue(1).is_delayed());
        assert!(!Delay::Pending.is_delayed() && !Delay::OnTime.is_delayed());
        assert_eq!(Delay::Overdue(14).label(), "已逾期 14 天");
    }

    #[test]
    fn stages_move_forward_one_at_a_time() {
        assert!(Stage::Planning.may_move_to(Stage::Tendering));
        assert!(!Stage::Planning.may_move_to(Stage::Construction));
        assert!(!Stage::Contract.may_move_to(Stage::Tendering));
        assert_eq!(Stage::InUse.next(), None);
        assert_eq!(Stage::parse("施工"), Some(Stage::Construction));
        assert_eq!(Stage::parse("in_use"), Some(Stage::InUse));
        assert_eq!(Stage::parse("built"), None);
    }
}
