//! Disability categories and grades of GB/T 26341-2010 《残疾人残疾分类和分级》,
//! and the number of the second-generation disability certificate (第二代残疾人证).
//!
//! The standard defines seven categories and, within each, four grades, grade
//! one being the most severe. The certificate number is the holder's 18-character
//! ID number (GB 11643-1999) followed by one digit for the category and one for
//! the grade, the category digits being those of [`DisabilityCategory::code`].
//!
//! Disability is health information, sensitive under PIPL art. 28: the errors
//! here say which part is wrong, never what the number or the category is.

use crate::id_number::{is_scientific_notation, IdNumber, IdNumberError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The seven categories of GB/T 26341-2010, chapter 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabilityCategory {
    /// 视力残疾
    Visual,
    /// 听力残疾
    Hearing,
    /// 言语残疾
    Speech,
    /// 肢体残疾
    Physical,
    /// 智力残疾
    Intellectual,
    /// 精神残疾
    Mental,
    /// 多重残疾: two or more of the above.
    Multiple,
}

impl DisabilityCategory {
    pub const ALL: [DisabilityCategory; 7] = [
        DisabilityCategory::Visual,
        DisabilityCategory::Hearing,
        DisabilityCategory::Speech,
        DisabilityCategory::Physical,
        DisabilityCategory::Intellectual,
        DisabilityCategory::Mental,
        DisabilityCategory::Multiple,
    ];

    /// The category digit (1-7) of the second-generation certificate number.
    pub fn code(self) -> u8 {
        match self {
            DisabilityCategory::Visual => 1,
            DisabilityCategory::Hearing => 2,
            DisabilityCategory::Speech => 3,
            DisabilityCategory::Physical => 4,
            DisabilityCategory::Intellectual => 5,
            DisabilityCategory::Mental => 6,
            DisabilityCategory::Multiple => 7,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        DisabilityCategory::ALL
            .into_iter()
            .find(|c| c.code() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DisabilityCategory::Visual => "visual",
            DisabilityCategory::Hearing => "hearing",
            DisabilityCategory::Speech => "speech",
            DisabilityCategory::Physical => "physical",
            DisabilityCategory::Intellectual => "intellectual",
            DisabilityCategory::Mental => "mental",
            DisabilityCategory::Multiple => "multiple",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        DisabilityCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    /// The name the standard gives, e.g. 肢体残疾.
    pub fn label(self) -> &'static str {
        match self {
            DisabilityCategory::Visual => "视力残疾",
            DisabilityCategory::Hearing => "听力残疾",
            DisabilityCategory::Speech => "言语残疾",
            DisabilityCategory::Physical => "肢体残疾",
            DisabilityCategory::Intellectual => "智力残疾",
            DisabilityCategory::Mental => "精神残疾",
            DisabilityCategory::Multiple => "多重残疾",
        }
    }

    /// The label without 残疾, e.g. 肢体, as sheets and certificates often write it.
    pub fn short_label(self) -> &'static str {
        let label = self.label();
        label.strip_suffix("残疾").unwrap_or(label)
    }

    /// Reads a Chinese label, full (肢体残疾) or short (肢体), ignoring
    /// surrounding whitespace.
    pub fn parse_label(s: &str) -> Option<Self> {
        let s = s.trim();
        DisabilityCategory::ALL
            .into_iter()
            .find(|c| c.label() == s || c.short_label() == s)
    }

    /// Reads what a user or a client may send: the code the API returns
    /// (`physical`) or a Chinese label, full or short, so that what GET gives
    /// PUT takes back unchanged.
    pub fn parse_code_or_label(s: &str) -> Option<Self> {
        DisabilityCategory::parse(s.trim()).or_else(|| DisabilityCategory::parse_label(s))
    }
}

/// A disability grade of GB/T 26341-2010: 1 (一级, most severe) to 4 (四级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct DisabilityGrade(u8);

impl DisabilityGrade {
    const NUMERALS: [&'static str; 4] = ["一", "二", "三", "四"];

    pub fn new(grade: u8) -> Option<Self> {
        (1..=4).contains(&grade).then_some(DisabilityGrade(grade))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// 一级 to 四级.
    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "一级",
            2 => "二级",
            3 => "三级",
            _ => "四级",
        }
    }

    /// Reads `1`, `1级`, `一` or `一级` (to 4), ignoring surrounding whitespace.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_suffix('级').unwrap_or(s);
        let grade = match s.parse::<u8>() {
            Ok(n) if s.len() == 1 => n,
            _ => {
                let i = DisabilityGrade::NUMERALS.iter().position(|n| *n == s)?;
                u8::try_from(i + 1).ok()?
            }
        };
        DisabilityGrade::new(grade)
    }
}

impl TryFrom<u8> for DisabilityGrade {
    type Error = &'static str;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        DisabilityGrade::new(n).ok_or("a disability grade is 1 to 4")
    }
}

impl From<DisabilityGrade> for u8 {
    fn from(g: DisabilityGrade) -> u8 {
        g.0
    }
}

/// Why a text is not a second-generation certificate number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisabilityCertError {
    #[error("残疾证号为空")]
    Empty,
    #[error("残疾证号应为 20 位（18 位身份证号 + 1 位类别 + 1 位等级），实际为 {0} 位")]
    WrongLength(usize),
    /// The first 18 characters are not a valid ID number; positions in the
    /// inner error are the same in the certificate number.
    #[error("残疾证号前 18 位有误：{0}")]
    IdPart(IdNumberError),
    #[error("残疾证号第 19 位（残疾类别）应为 1-7")]
    BadCategory,
    #[error("残疾证号第 20 位（残疾等级）应为 1-4")]
    BadGrade,
}

/// Which part of a certificate number disagrees with the person's record.
/// When several do, the ID number is reported first, then the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertMismatch {
    #[error("残疾证号前 18 位与本人身份证号不一致")]
    IdNumber,
    #[error("残疾证号第 19 位的残疾类别与登记的类别不一致")]
    Category,
    #[error("残疾证号第 20 位的残疾等级与登记的等级不一致")]
    Grade,
}

/// A second-generation disability certificate number: ID number, category
/// digit, grade digit.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DisabilityCert {
    text: String,
    id: IdNumber,
    category: DisabilityCategory,
    grade: DisabilityGrade,
}

impl DisabilityCert {
    pub fn new(id: IdNumber, category: DisabilityCategory, grade: DisabilityGrade) -> Self {
        DisabilityCert {
            text: format!("{}{}{}", id.as_str(), category.code(), grade.get()),
            id,
            category,
            grade,
        }
    }

    /// Reads the exact 20-character number; the ID part follows
    /// [`IdNumber::parse`] (upper-case `X`).
    pub fn parse(s: &str) -> Result<Self, DisabilityCertError> {
        if s.is_empty() {
            return Err(DisabilityCertError::Empty);
        }
        if is_scientific_notation(s) {
            return Err(DisabilityCertError::IdPart(IdNumberError::ExcelNumber));
        }
        let len = s.chars().count();
        if len != 20 {
            return Err(DisabilityCertError::WrongLength(len));
        }
        let split = s.char_indices().nth(18).map_or(s.len(), |(i, _)| i);
        let (id_part, tail) = s.split_at(split);
        let id = IdNumber::parse(id_part).map_err(DisabilityCertError::IdPart)?;
        let mut tail = tail
            .chars()
            .map(|c| c.to_digit(10).and_then(|d| u8::try_from(d).ok()));
        let category = tail
            .next()
            .flatten()
            .and_then(DisabilityCategory::from_code)
            .ok_or(DisabilityCertError::BadCategory)?;
        let grade = tail
            .next()
            .flatten()
            .and_then(DisabilityGrade::new)
            .ok_or(DisabilityCertError::BadGrade)?;
        Ok(DisabilityCert::new(id, category, grade))
    }

    /// The whole number. Only for roles that may see it, and audited there.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn id_number(&self) -> &IdNumber {
        &self.id
    }

    pub fn category(&self) -> DisabilityCategory {
        self.category
    }

    pub fn grade(&self) -> DisabilityGrade {
        self.grade
    }

    /// The masked ID number with category and grade hidden as well:
    /// `4407**********123X**`.
    pub fn masked(&self) -> String {
        format!("{}**", self.id.masked())
    }

    /// Checks the number against the person's ID number and recorded category
    /// and grade, naming the first part that disagrees.
    pub fn check_against(
        &self,
        id: &IdNumber,
        category: DisabilityCategory,
        grade: DisabilityGrade,
    ) -> Result<(), CertMismatch> {
        if self.id != *id {
            Err(CertMismatch::IdNumber)
        } else if self.category != category {
            Err(CertMismatch::Category)
        } else if self.grade != grade {
            Err(CertMismatch::Grade)
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for DisabilityCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DisabilityCert({})", self.masked())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::date::CivilDate;

    fn person() -> IdNumber {
        IdNumber::from_parts("440784", CivilDate::parse("1975-08-09").unwrap(), 31).unwrap()
    }

    fn grade(n: u8) -> DisabilityGrade {
        DisabilityGrade::new(n).unwrap()
    }

    #[test]
    fn a_category_reads_its_code_or_its_label() {
        for c in DisabilityCategory::ALL {
            assert_eq!(DisabilityCategory::parse_code_or_label(c.as_str()), Some(c));
            assert_eq!(DisabilityCategory::parse_code_or_label(c.label()), Some(c));
            assert_eq!(
                DisabilityCategory::parse_code_or_label(c.short_label()),
                Some(c)
            );
        }
        assert_eq!(DisabilityCategory::parse_code_or_label("残疾"), None);
    }

    #[test]
    fn categories_carry_the_certificate_digits() {
        let codes: Vec<u8> = DisabilityCategory::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7]);
        for c in DisabilityCategory::ALL {
            assert_eq!(DisabilityCategory::from_code(c.code()), Some(c));
            assert_eq!(DisabilityCategory::parse(c.as_str()), Some(c));
            assert_eq!(DisabilityCategory::parse_label(c.label()), Some(c));
            assert_eq!(DisabilityCategory::parse_label(c.short_label()), Some(c));
        }
        assert_eq!(DisabilityCategory::from_code(0), None);
        assert_eq!(DisabilityCategory::from_code(8), None);
    }

    #[test]
    fn reads_chinese_category_labels() {
        assert_eq!(
            DisabilityCategory::parse_label("肢体"),
            Some(DisabilityCategory::Physical)
        );
        assert_eq!(
            DisabilityCategory::parse_label(" 精神残疾 "),
            Some(DisabilityCategory::Mental)
        );
        assert_eq!(DisabilityCategory::Intellectual.label(), "智力残疾");
        assert_eq!(DisabilityCategory::Intellectual.short_label(), "智力");
        assert_eq!(DisabilityCategory::parse_label("残疾"), None);
        assert_eq!(DisabilityCategory::parse_label("肢体残"), None);
        assert_eq!(DisabilityCategory::parse_label(""), None);
    }

    #[test]
    fn grades_run_from_one_to_four() {
        assert_eq!(DisabilityGrade::new(0), None);
        assert_eq!(DisabilityGrade::new(5), None);
        assert_eq!(grade(1).label(), "一级");
        assert_eq!(grade(4).label(), "四级");
        for (text, n) in [("1", 1), ("2级", 2), ("三", 3), ("四级", 4), (" 一级 ", 1)] {
            assert_eq!(DisabilityGrade::parse(text), Some(grade(n)), "{text:?}");
        }
        for bad in ["", "0", "5", "五级", "级", "01", "+1", "1級", "一二"] {
            assert_eq!(DisabilityGrade::parse(bad), None, "{bad:?}");
        }
        assert!(grade(1) < grade(4));
    }

    #[test]
    fn parses_a_certificate_number() {
        let id = person();
        let cert = DisabilityCert::parse(&format!("{}62", id.as_str())).unwrap();
        assert_eq!(cert.id_number(), &id);
        assert_eq!(cert.category(), DisabilityCategory::Mental);
        assert_eq!(cert.grade(), grade(2));
        assert_eq!(cert.as_str(), format!("{}62", id.as_str()));
        assert_eq!(cert.masked(), format!("{}**", id.masked()));
        assert_eq!(
            format!("{cert:?}"),
            format!("DisabilityCert({}**)", id.masked())
        );
        assert_eq!(
            DisabilityCert::new(id, DisabilityCategory::Mental, grade(2)),
            cert
        );
    }

    #[test]
    fn certificate_errors_name_the_part() {
        let id = person();
        let raw = id.as_str();
        let p = DisabilityCert::parse;
        assert_eq!(p(""), Err(DisabilityCertError::Empty));
        assert_eq!(p(raw), Err(DisabilityCertError::WrongLength(18)));
        assert_eq!(
            p(&format!("{raw}621")),
            Err(DisabilityCertError::WrongLength(21))
        );
        assert_eq!(
            p(&format!("{raw}82")),
            Err(DisabilityCertError::BadCategory)
        );
        assert_eq!(
            p(&format!("{raw}02")),
            Err(DisabilityCertError::BadCategory)
        );
        assert_eq!(p(&format!("{raw}65")), Err(DisabilityCertError::BadGrade));
        assert_eq!(p(&format!("{raw}6二")), Err(DisabilityCertError::BadGrade));
        let wrong_check = format!(
            "{}{}62",
            &raw[..17],
            if raw.ends_with('0') { '1' } else { '0' }
        );
        assert!(matches!(
            p(&wrong_check),
            Err(DisabilityCertError::IdPart(
                IdNumberError::WrongCheck { .. }
            ))
        ));
        assert_eq!(
            p("4.4078419750809E+19"),
            Err(DisabilityCertError::IdPart(IdNumberError::ExcelNumber))
        );
        let message = p(&wrong_check).unwrap_err().to_string();
        assert!(
            message.starts_with("残疾证号前 18 位有误：校验码错误"),
            "{message}"
        );
        assert!(!message.contains(&raw[..6]));
    }

    #[test]
    fn check_against_names_what_disagrees() {
        let id = person();
        let other =
            IdNumber::from_parts("440784", CivilDate::parse("1975-08-09").unwrap(), 33).unwrap();
        let cert = DisabilityCert::new(id.clone(), DisabilityCategory::Physical, grade(3));
        let physical = DisabilityCategory::Physical;
        assert_eq!(cert.check_against(&id, physical, grade(3)), Ok(()));
        assert_eq!(
            cert.check_against(&other, physical, grade(3)),
            Err(CertMismatch::IdNumber)
        );
        assert_eq!(
            cert.check_against(&id, DisabilityCategory::Visual, grade(3)),
            Err(CertMismatch::Category)
        );
        assert_eq!(
            cert.check_against(&id, physical, grade(1)),
            Err(CertMismatch::Grade)
        );
        assert_eq!(
            cert.check_against(&other, DisabilityCategory::Visual, grade(1)),
            Err(CertMismatch::IdNumber)
        );
    }
}
