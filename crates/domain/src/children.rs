//! Children in care (儿童福利机构养育的儿童): guardianship, schooling, health,
//! allowances and activities, and who may open a child's file.
//!
//! A child's file is closed to everyone but the staff assigned to the child.
//! Anyone else whose scope covers the child must give a reason first
//! ("break-glass"); the reason is audited and put in front of the auditor.
//! 未成年人保护法 (2020) art. 4 and art. 72 ask that minors' personal
//! information be handled with special care and disclosed only as needed;
//! 《儿童福利机构管理办法》(民政部令第63号, 2018) art. 17 asks institutions to
//! keep a file (档案) for each child. The assignment rule below is our way of
//! keeping those files to the people who need them.

use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// Who holds guardianship of the child (监护情况). Codes are stable API values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guardianship {
    /// 民政部门长期监护: the civil-affairs department is the guardian
    /// (民法典 art. 32), the usual case of orphans raised in a welfare home.
    StateLongTerm,
    /// 民政部门临时监护 (民法典 art. 31, 未成年人保护法 art. 92).
    StateTemporary,
    /// 父母或其他亲属监护, the child in the home's care (e.g. 事实无人抚养).
    Family,
    /// 委托照护: a guardian entrusted the care of the child to the home.
    Entrusted,
}

impl Guardianship {
    pub const ALL: &'static [Guardianship] = &[
        Guardianship::StateLongTerm,
        Guardianship::StateTemporary,
        Guardianship::Family,
        Guardianship::Entrusted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Guardianship::StateLongTerm => "state_long_term",
            Guardianship::StateTemporary => "state_temporary",
            Guardianship::Family => "family",
            Guardianship::Entrusted => "entrusted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Guardianship::StateLongTerm => "民政部门长期监护",
            Guardianship::StateTemporary => "民政部门临时监护",
            Guardianship::Family => "父母或亲属监护",
            Guardianship::Entrusted => "委托照护",
        }
    }

    pub fn parse(s: &str) -> Option<Guardianship> {
        Guardianship::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == s || g.label() == s)
    }
}

/// Where the child is in school (就学情况). Codes are stable API values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schooling {
    /// Under school age, not in kindergarten.
    NotYet,
    Kindergarten,
    Primary,
    JuniorSecondary,
    SeniorSecondary,
    Vocational,
    /// 特殊教育学校 or a special class.
    SpecialEducation,
    /// 送教上门: teachers come to a child who cannot attend school.
    HomeTeaching,
    /// Past school or out of school: the file says why in the notes.
    NotInSchool,
}

impl Schooling {
    pub const ALL: &'static [Schooling] = &[
        Schooling::NotYet,
        Schooling::Kindergarten,
        Schooling::Primary,
        Schooling::JuniorSecondary,
        Schooling::SeniorSecondary,
        Schooling::Vocational,
        Schooling::SpecialEducation,
        Schooling::HomeTeaching,
        Schooling::NotInSchool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Schooling::NotYet => "not_yet",
            Schooling::Kindergarten => "kindergarten",
            Schooling::Primary => "primary",
            Schooling::JuniorSecondary => "junior_secondary",
            Schooling::SeniorSecondary => "senior_secondary",
            Schooling::Vocational => "vocational",
            Schooling::SpecialEducation => "special_education",
            Schooling::HomeTeaching => "home_teaching",
            Schooling::NotInSchool => "not_in_school",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Schooling::NotYet => "未到入学年龄",
            Schooling::Kindergarten => "幼儿园",
            Schooling::Primary => "小学",
            Schooling::JuniorSecondary => "初中",
            Schooling::SeniorSecondary => "高中",
            Schooling::Vocational => "职业教育",
            Schooling::SpecialEducation => "特殊教育",
            Schooling::HomeTeaching => "送教上门",
            Schooling::NotInSchool => "未在学",
        }
    }

    pub fn parse(s: &str) -> Option<Schooling> {
        Schooling::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == s || g.label() == s)
    }
}

/// Kinds of activity recorded in a child's file.
pub const ACTIVITY_KINDS: &[(&str, &str)] = &[
    ("study", "学业辅导"),
    ("rehab", "康复训练"),
    ("health_check", "健康检查"),
    ("outing", "外出活动"),
    ("festival", "节日活动"),
    ("family_visit", "亲属探望"),
    ("counselling", "心理关爱"),
    ("other", "其他"),
];

pub fn activity_label(code: &str) -> Option<&'static str> {
    ACTIVITY_KINDS
        .iter()
        .find(|(c, l)| *c == code || *l == code)
        .map(|(_, l)| *l)
}

pub fn activity_code(given: &str) -> Option<&'static str> {
    ACTIVITY_KINDS
        .iter()
        .find(|(c, l)| *c == given || *l == given)
        .map(|(c, _)| *c)
}

/// The highest monthly allowance we accept, a guard against a typo adding
/// digits (10,000 yuan a month is several times any local standard).
pub const MAX_MONTHLY_ALLOWANCE: Fen = Fen(1_000_000);

/// How long a break-glass opening lasts: long enough to deal with what
/// prompted it, short enough that a second look needs a second reason.
pub const BREAK_GLASS_MINUTES: i64 = 30;

/// Why one may open a child's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAccess {
    /// Assigned to the child: reads and writes.
    Assigned,
    /// Not assigned, but gave a reason in the last [`BREAK_GLASS_MINUTES`]:
    /// reads only, each one audited.
    BreakGlass,
    /// Neither: must give a reason first.
    ReasonRequired,
}

impl FileAccess {
    pub fn decide(assigned: bool, open_break_glass: bool) -> FileAccess {
        if assigned {
            FileAccess::Assigned
        } else if open_break_glass {
            FileAccess::BreakGlass
        } else {
            FileAccess::ReasonRequired
        }
    }

    pub fn may_read(self) -> bool {
        !matches!(self, FileAccess::ReasonRequired)
    }

    /// Only the child's own carers change the file: a break-glass look is
    /// for reading what is there in an emergency or an inspection.
    pub fn may_write(self) -> bool {
        matches!(self, FileAccess::Assigned)
    }
}

/// Checks a break-glass reason; the message is shown to the user.
pub fn check_reason(reason: &str) -> Result<&str, String> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if n < 4 {
        return Err("请写明查看这名儿童档案的理由（至少 4 个字）".into());
    }
    if n > 200 {
        return Err("理由不超过 200 个字".into());
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_read_back() {
        for &g in Guardianship::ALL {
            assert_eq!(Guardianship::parse(g.as_str()), Some(g));
            assert_eq!(Guardianship::parse(g.label()), Some(g));
        }
        for &s in Schooling::ALL {
            assert_eq!(Schooling::parse(s.as_str()), Some(s));
            assert_eq!(Schooling::parse(s.label()), Some(s));
        }
        assert_eq!(Guardianship::parse("guardian"), None);
        assert_eq!(activity_code("康复训练"), Some("rehab"));
        assert_eq!(activity_label("rehab"), Some("康复训练"));
        assert_eq!(activity_code("party"), None);
    }

    #[test]
    fn only_the_assigned_write_and_others_need_a_reason_to_read() {
        let assigned = FileAccess::decide(true, false);
        assert!(assigned.may_read() && assigned.may_write());
        let glass = FileAccess::decide(false, true);
        assert!(glass.may_read() && !glass.may_write());
        let closed = FileAccess::decide(false, false);
        assert!(!closed.may_read() && !closed.may_write());
    }

    #[test]
    fn a_reason_must_say_something() {
        assert!(check_reason("  看看 ").is_err());
        assert!(check_reason(&"理".repeat(201)).is_err());
        assert_eq!(
            check_reason(" 夜间急诊，需核对过敏史 "),
            Ok("夜间急诊，需核对过敏史")
        );
    }
}
