//! Who must be visited (探访) how often, as data, and whether a visit is due.
//!
//! A [`VisitRule`] says which group of people must be visited at least every
//! so many days, and whether a phone or video call counts. Rules are stored
//! and edited as data; [`default_rules`] is what a new deployment starts with.
//!
//! Where the defaults come from (each rule's `source` says it to users too):
//!
//! - 民政部、中央政法委、中央文明办等 10 部门《关于开展特殊困难老年人探访关爱服务的
//!   指导意见》(2022, reported by 人民日报 on 2022-10-28): visiting covers elderly
//!   people living alone, in empty nests, left behind, disabled, severely
//!   disabled or in families of the family-planning special category, "by
//!   regular home visits, phone and video"; by the end of 2025 the monthly
//!   visiting rate (月探访率) of these elderly is to reach 100 %. Hence monthly
//!   defaults, with calls counting. A month is taken as 30 days, which is a
//!   little stricter than "once per calendar month".
//! - The national text sets no weekly frequency. Local rules do: one reported
//!   in Inner Mongolia (北方新报, 2022-06-23) visits high-risk elderly (80+
//!   living alone, etc.) at least weekly, key groups (分散供养特困人员, …) at
//!   least monthly and others quarterly. Our weekly contact for elderly living
//!   alone follows that practice and is a local default.
//! - 《国务院关于加强农村留守儿童关爱保护工作的意见》(国发〔2016〕13号) asks
//!   village and residents' committees to visit left-behind children regularly
//!   (定期走访、全面排查) and defines them as under 16; 民政部等 10 部门《关于进一步
//!   健全农村留守儿童和困境儿童关爱服务体系的意见》(2019) puts a children's director
//!   (儿童主任) in every village. Neither gives a number: the monthly home visit
//!   for children is a local default.

use crate::coded::coded_enum;
use crate::date::CivilDate;
use crate::register::{
    ChildCategory, EconomicStatus, LivingSituation, PersonRecord, PersonStatus, ELDERLY_AGE,
};
use serde::{Deserialize, Serialize};

/// Left-behind children are those under 16 (国发〔2016〕13号).
pub const LEFT_BEHIND_MAX_AGE: u32 = 15;

/// Minors are those under 18 (未成年人保护法 art. 2).
pub const MINOR_MAX_AGE: u32 = 17;

/// A visiting rule: which people (a target group) must be visited at least
/// every `interval_days`, by which means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRule {
    pub code: String,
    pub name: String,
    pub target: VisitTarget,
    pub interval_days: u32,
    /// true when a phone call counts as a visit
    pub phone_counts: bool,
    /// where the default comes from (document, year, clause) — shown to users
    pub source: String,
}

impl VisitRule {
    /// Checks a rule typed or edited by a user; the message is shown to them.
    pub fn check(&self) -> Result<(), String> {
        if self.code.trim().is_empty() {
            return Err("规则编码不能为空".into());
        }
        if self.name.trim().is_empty() {
            return Err("规则名称不能为空".into());
        }
        if !(1..=366).contains(&self.interval_days) {
            return Err("探访间隔应为 1 至 366 天".into());
        }
        Ok(())
    }
}

coded_enum!(
    /// The groups of people visiting rules are about. Codes are stable API values.
    VisitTarget {
        /// Elderly (60+) living alone.
        ElderlyAlone = "elderly_alone", "独居老年人";
        /// Elderly (60+) in extreme poverty (特困) or on minimum living allowance (低保).
        ElderlySpecialDifficulty = "elderly_special_difficulty", "特困、低保老年人";
        /// Elderly (60+) in an empty nest.
        ElderlyEmptyNest = "elderly_empty_nest", "空巢老年人";
        /// Left-behind children (under 16).
        LeftBehindChild = "left_behind_child", "留守儿童";
        /// Orphans and de-facto-unsupported children (under 18) living at home.
        ChildInDifficulty = "child_in_difficulty", "困境儿童";
    }
);

impl VisitTarget {
    /// Whether a person belongs to this group. Nobody deceased or moved away
    /// does.
    pub fn matches(self, s: &VisitSubject) -> bool {
        if !s.alive_and_present {
            return false;
        }
        let elderly = s.age >= ELDERLY_AGE;
        match self {
            VisitTarget::ElderlyAlone => {
                elderly && s.living_situation == Some(LivingSituation::Alone)
            }
            VisitTarget::ElderlyEmptyNest => {
                elderly && s.living_situation == Some(LivingSituation::EmptyNest)
            }
            VisitTarget::ElderlySpecialDifficulty => {
                elderly
                    && matches!(
                        s.economic_status,
                        Some(EconomicStatus::ExtremePoverty | EconomicStatus::Dibao)
                    )
            }
            // The age check catches a category left on the register after the
            // child has grown out of it.
            VisitTarget::LeftBehindChild => {
                s.age <= LEFT_BEHIND_MAX_AGE && s.child_category == Some(ChildCategory::LeftBehind)
            }
            // Children in institutional care (集中供养) live in a welfare home
            // whose staff look after them daily; home visits are for children
            // living in the community.
            VisitTarget::ChildInDifficulty => {
                s.age <= MINOR_MAX_AGE
                    && matches!(
                        s.child_category,
                        Some(ChildCategory::Orphan | ChildCategory::DeFactoUnsupported)
                    )
            }
        }
    }
}

/// Facts of a person the rules look at (from the register).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitSubject {
    pub age: u32,
    pub living_situation: Option<LivingSituation>,
    pub economic_status: Option<EconomicStatus>,
    pub child_category: Option<ChildCategory>,
    pub alive_and_present: bool,
}

impl VisitSubject {
    /// The facts of a register record on `today`.
    pub fn of(record: &PersonRecord, today: CivilDate) -> VisitSubject {
        VisitSubject {
            age: record.id_number.age_on(today),
            living_situation: record.living_situation,
            economic_status: record.economic_status,
            child_category: record.child.as_ref().map(|c| c.category),
            alive_and_present: record.status == PersonStatus::Alive,
        }
    }
}

/// The rules a new deployment starts with; see the module documentation for
/// where each number comes from. Every one of them may be changed.
pub fn default_rules() -> Vec<VisitRule> {
    const ELDERLY_2022: &str =
        "民政部等10部门《关于开展特殊困难老年人探访关爱服务的指导意见》（2022年）";
    let rule = |code: &str,
                name: &str,
                target: VisitTarget,
                interval_days: u32,
                phone_counts: bool,
                source: String| VisitRule {
        code: code.to_owned(),
        name: name.to_owned(),
        target,
        interval_days,
        phone_counts,
        source,
    };
    vec![
        rule(
            "alone_weekly_contact",
            "独居老年人每周联系",
            VisitTarget::ElderlyAlone,
            7,
            true,
            "本地默认，可调整：国家文件未规定每周频次，参照地方对独居高龄等高风险老年人每周至少探访一次的做法；电话、视频可计入".into(),
        ),
        rule(
            "alone_monthly_home_visit",
            "独居老年人每月上门",
            VisitTarget::ElderlyAlone,
            30,
            false,
            format!("{ELDERLY_2022}：独居等特殊困难老年人月探访率到2025年底达到100%；每月须上门一次为本地默认，可调整"),
        ),
        rule(
            "empty_nest_monthly",
            "空巢老年人每月探访",
            VisitTarget::ElderlyEmptyNest,
            30,
            true,
            format!("{ELDERLY_2022}：空巢等特殊困难老年人月探访率到2025年底达到100%，可上门入户或电话视频"),
        ),
        rule(
            "poor_elderly_monthly",
            "特困、低保老年人每月探访",
            VisitTarget::ElderlySpecialDifficulty,
            30,
            true,
            format!("本地默认，可调整：参照{ELDERLY_2022}的月探访要求；将特困、低保老年人纳入每月探访为地方做法"),
        ),
        rule(
            "left_behind_child_monthly",
            "留守儿童每月走访",
            VisitTarget::LeftBehindChild,
            30,
            false,
            "《国务院关于加强农村留守儿童关爱保护工作的意见》（国发〔2016〕13号）要求村（居）委会定期走访，未规定频次；每月上门一次为本地默认，可调整".into(),
        ),
        rule(
            "child_in_difficulty_monthly",
            "困境儿童每月走访",
            VisitTarget::ChildInDifficulty,
            30,
            false,
            "民政部等10部门《关于进一步健全农村留守儿童和困境儿童关爱服务体系的意见》（2019年）由村（居）儿童主任开展关爱服务，未规定频次；每月上门一次为本地默认，可调整".into(),
        ),
    ]
}

/// Every rule a person falls under, in list order.
pub fn applicable_rules<'a>(rules: &'a [VisitRule], s: &VisitSubject) -> Vec<&'a VisitRule> {
    rules.iter().filter(|r| r.target.matches(s)).collect()
}

/// The tightest interval among the rules a person falls under, and which rule
/// (the first in list order when several are equally tight). `None` when no
/// rule applies.
pub fn interval_for<'a>(rules: &'a [VisitRule], s: &VisitSubject) -> Option<&'a VisitRule> {
    rules
        .iter()
        .filter(|r| r.target.matches(s))
        .min_by_key(|r| r.interval_days)
}

/// Where a person stands against one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum VisitStatus {
    /// Due within `soon_days` (or due today).
    Due,
    /// The due date has passed by `days` days.
    Overdue {
        days: u32,
    },
    NotYetDue,
    /// Never visited.
    Never,
}

impl VisitStatus {
    /// The code used by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Due => "due",
            VisitStatus::Overdue { .. } => "overdue",
            VisitStatus::NotYetDue => "not_yet_due",
            VisitStatus::Never => "never",
        }
    }

    /// What a social worker sees: "逾期 3 天", "即将到期", …
    pub fn label(self) -> String {
        match self {
            VisitStatus::Due => "即将到期".into(),
            VisitStatus::Overdue { days } => format!("逾期 {days} 天"),
            VisitStatus::NotYetDue => "未到期".into(),
            VisitStatus::Never => "从未探访".into(),
        }
    }
}

/// Status on `today` given the last (counting) visit date: the caller passes
/// the last visit that counts under this rule (an in-person one when
/// `phone_counts` is false).
///
/// The next visit falls due `interval_days` after the last one; it is `Due`
/// from `soon_days` before that day through the day itself, and `Overdue` by
/// one day the day after. A last visit dated after `today` (a typing slip)
/// counts as not yet due rather than as an error, so a list still renders.
pub fn visit_status(
    rule: &VisitRule,
    last_visit: Option<CivilDate>,
    today: CivilDate,
    soon_days: u32,
) -> VisitStatus {
    let Some(last) = last_visit else {
        return VisitStatus::Never;
    };
    let left = i64::from(rule.interval_days) - last.days_until(today);
    if left < 0 {
        VisitStatus::Overdue {
            days: u32::try_from(-left).unwrap_or(u32::MAX),
        }
    } else if left <= i64::from(soon_days) {
        VisitStatus::Due
    } else {
        VisitStatus::NotYetDue
    }
}

/// Visits overdue by more than this many days are raised to the station head
/// (上报站长). A week lets a worker catch up on a visit missed through
/// illness, leave or a typhoon without troubling the head, and it is the
/// tightest rule's own interval (weekly contact with elderly living alone):
/// past it, that person has missed two contacts in a row. No national text
/// sets this number; it is a local default.
pub const RAISE_TO_HEAD_AFTER_DAYS: u32 = 7;

/// Whether a person's visit status is raised to the station head: overdue by
/// more than [`RAISE_TO_HEAD_AFTER_DAYS`]. People never visited are not: the
/// register does not say since when they have been due, and a newly
/// registered person would be raised on their first day.
pub fn raised_to_head(status: VisitStatus) -> bool {
    matches!(status, VisitStatus::Overdue { days } if days > RAISE_TO_HEAD_AFTER_DAYS)
}

/// The day the next visit falls due: `interval_days` after the last one.
/// `None` when that is past 9999-12-31.
pub fn next_due(rule: &VisitRule, last_visit: CivilDate) -> Option<CivilDate> {
    last_visit.add_days(i64::from(rule.interval_days))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    fn elderly(living: Option<LivingSituation>, economic: Option<EconomicStatus>) -> VisitSubject {
        VisitSubject {
            age: 78,
            living_situation: living,
            economic_status: economic,
            child_category: None,
            alive_and_present: true,
        }
    }

    fn child(age: u32, category: ChildCategory) -> VisitSubject {
        VisitSubject {
            age,
            living_situation: None,
            economic_status: None,
            child_category: Some(category),
            alive_and_present: true,
        }
    }

    fn rule(code: &str) -> VisitRule {
        default_rules()
            .into_iter()
            .find(|r| r.code == code)
            .unwrap()
    }

    #[test]
    fn targets_read_codes_and_labels() {
        for &t in VisitTarget::ALL {
            assert_eq!(VisitTarget::parse(t.as_str()), Some(t));
            assert_eq!(VisitTarget::parse(t.label()), Some(t));
        }
        assert_eq!(
            VisitTarget::parse(" 留守儿童 "),
            Some(VisitTarget::LeftBehindChild)
        );
        assert_eq!(VisitTarget::parse("老人"), None);
    }

    #[test]
    fn targets_match_the_people_they_name() {
        let alone = elderly(Some(LivingSituation::Alone), None);
        assert!(VisitTarget::ElderlyAlone.matches(&alone));
        assert!(!VisitTarget::ElderlyEmptyNest.matches(&alone));
        assert!(!VisitTarget::ElderlySpecialDifficulty.matches(&alone));

        let poor = elderly(
            Some(LivingSituation::WithFamily),
            Some(EconomicStatus::Dibao),
        );
        assert!(VisitTarget::ElderlySpecialDifficulty.matches(&poor));
        assert!(!VisitTarget::ElderlyAlone.matches(&poor));
        let edge = elderly(None, Some(EconomicStatus::DibaoEdge));
        assert!(!VisitTarget::ElderlySpecialDifficulty.matches(&edge));

        // Under 60 is not elderly, whatever else is true.
        let young = VisitSubject { age: 59, ..alone };
        assert!(!VisitTarget::ElderlyAlone.matches(&young));

        // Nobody deceased or moved away is due a visit.
        let gone = VisitSubject {
            alive_and_present: false,
            ..alone
        };
        assert!(VisitTarget::ALL.iter().all(|t| !t.matches(&gone)));

        assert!(VisitTarget::LeftBehindChild.matches(&child(9, ChildCategory::LeftBehind)));
        assert!(!VisitTarget::LeftBehindChild.matches(&child(16, ChildCategory::LeftBehind)));
        assert!(VisitTarget::ChildInDifficulty.matches(&child(17, ChildCategory::Orphan)));
        assert!(!VisitTarget::ChildInDifficulty.matches(&child(18, ChildCategory::Orphan)));
        assert!(
            VisitTarget::ChildInDifficulty.matches(&child(5, ChildCategory::DeFactoUnsupported))
        );
        assert!(
            !VisitTarget::ChildInDifficulty.matches(&child(5, ChildCategory::InstitutionalCare))
        );
        assert!(!VisitTarget::ChildInDifficulty.matches(&child(9, ChildCategory::LeftBehind)));
    }

    #[test]
    fn the_tightest_applicable_rule_wins() {
        let rules = default_rules();
        // Living alone and on 低保: weekly contact beats the monthly rules.
        let s = elderly(Some(LivingSituation::Alone), Some(EconomicStatus::Dibao));
        assert_eq!(applicable_rules(&rules, &s).len(), 3);
        let tightest = interval_for(&rules, &s).unwrap();
        assert_eq!(tightest.code, "alone_weekly_contact");
        assert_eq!(tightest.interval_days, 7);

        let s = elderly(Some(LivingSituation::EmptyNest), None);
        assert_eq!(interval_for(&rules, &s).unwrap().code, "empty_nest_monthly");

        // Equally tight: the first in list order.
        let s = elderly(
            Some(LivingSituation::EmptyNest),
            Some(EconomicStatus::ExtremePoverty),
        );
        assert_eq!(interval_for(&rules, &s).unwrap().code, "empty_nest_monthly");

        let s = elderly(
            Some(LivingSituation::WithFamily),
            Some(EconomicStatus::Ordinary),
        );
        assert_eq!(interval_for(&rules, &s), None);
        assert_eq!(interval_for(&[], &s), None);
    }

    #[test]
    fn default_rules_are_valid_and_cite_a_source() {
        let rules = default_rules();
        for r in &rules {
            assert_eq!(r.check(), Ok(()), "{}", r.code);
            assert!(!r.source.is_empty());
        }
        let mut codes: Vec<_> = rules.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), rules.len());
        // Every target has at least one rule.
        for t in VisitTarget::ALL {
            assert!(rules.iter().any(|r| r.target == *t), "{t:?}");
        }
        let bad = VisitRule {
            interval_days: 0,
            ..rule("empty_nest_monthly")
        };
        assert_eq!(bad.check(), Err("探访间隔应为 1 至 366 天".into()));
    }

    #[test]
    fn status_counts_days_from_the_last_visit() {
        let monthly = rule("empty_nest_monthly");
        let last = date("2024-01-10");
        // Due on 2024-02-09 (30 days later).
        assert_eq!(
            visit_status(&monthly, Some(last), date("2024-01-20"), 7),
            VisitStatus::NotYetDue
        );
        assert_eq!(
            visit_status(&monthly, Some(last), date("2024-02-01"), 7),
            VisitStatus::NotYetDue
        );
        assert_eq!(
            visit_status(&monthly, Some(last), date("2024-02-02"), 7),
            VisitStatus::Due
        );
        assert_eq!(
            visit_status(&monthly, Some(last), date("2024-02-09"), 7),
            VisitStatus::Due
        );
        assert_eq!(
            visit_status(&monthly, Some(last), date("2024-02-10"), 7),
            VisitStatus::Overdue { days: 1 }
        );
        // Across the leap day: 2024-03-15 is 65 days after 2024-01-10.
        assert_eq!(
            visit_status(&monthly, Some(last), date("2024-03-15"), 7),
            VisitStatus::Overdue { days: 35 }
        );
        assert_eq!(
            visit_status(&monthly, None, date("2024-03-15"), 7),
            VisitStatus::Never
        );
        // A visit typed with a future date does not make the list fail.
        assert_eq!(
            visit_status(&monthly, Some(date("2024-05-01")), date("2024-03-15"), 7),
            VisitStatus::NotYetDue
        );
        assert_eq!(VisitStatus::Overdue { days: 3 }.label(), "逾期 3 天");
        assert_eq!(VisitStatus::Never.as_str(), "never");
    }

    #[test]
    fn only_visits_overdue_past_the_grace_week_are_raised() {
        let weekly = rule("alone_weekly_contact");
        let last = date("2024-03-01");
        // Due 2024-03-08; overdue 7 days on 03-15, 8 days on 03-16.
        let on = |d: &str| raised_to_head(visit_status(&weekly, Some(last), date(d), 3));
        assert!(!on("2024-03-08"));
        assert!(!on("2024-03-15"));
        assert!(on("2024-03-16"));
        assert!(!raised_to_head(VisitStatus::Never));
        assert!(!raised_to_head(VisitStatus::Due));
    }

    #[test]
    fn next_due_date_crosses_months_and_years() {
        let weekly = rule("alone_weekly_contact");
        let monthly = rule("empty_nest_monthly");
        assert_eq!(
            next_due(&weekly, date("2023-12-28")),
            Some(date("2024-01-04"))
        );
        assert_eq!(
            next_due(&monthly, date("2024-02-15")),
            Some(date("2024-03-16"))
        );
        assert_eq!(
            next_due(&monthly, date("2023-02-15")),
            Some(date("2023-03-17"))
        );
        assert_eq!(next_due(&weekly, date("9999-12-30")), None);
    }

    #[test]
    fn day_counts_agree_with_the_calendar() {
        assert_eq!(date("1970-01-01").days_since_epoch(), 0);
        assert_eq!(date("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(date("2023-01-01").days_until(date("2024-01-01")), 365);
        assert_eq!(date("2024-01-01").days_until(date("2025-01-01")), 366);
        assert_eq!(date("1900-02-28").days_until(date("1900-03-01")), 1);
        assert_eq!(date("2024-03-01").days_until(date("2024-02-28")), -2);
        for s in [
            "0001-01-01",
            "1600-02-29",
            "1970-01-01",
            "2000-02-29",
            "2024-12-31",
            "9999-12-31",
        ] {
            let d = date(s);
            assert_eq!(
                CivilDate::from_days_since_epoch(d.days_since_epoch()),
                Some(d),
                "{s}"
            );
        }
    }
}
