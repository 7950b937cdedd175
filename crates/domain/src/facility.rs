//! Facilities (服务机构) and who each may enrol.
//!
//! Who may be enrolled is data, an [`EligibilityRule`] stored as JSON on the
//! facility, so a county can widen or narrow it without a new release; each
//! kind of facility starts from a default. A rule's failures are shown to the
//! user verbatim, so they name the rule broken and never the person.

use crate::coded::coded_enum;
use crate::disability::{DisabilityCategory, DisabilityGrade};
use crate::register::ELDERLY_AGE;
use serde::{Deserialize, Serialize};

coded_enum!(
    /// The kinds of facility (服务机构类型). Codes are stable API values.
    FacilityKind {
        KangyuanCentre = "kangyuan_centre", "社区康园中心";
        NursingHome = "nursing_home", "敬老院";
        HomeCareCentre = "home_care_centre", "居家养老服务中心";
        SocialWorkStation = "social_work_station", "社工站";
        ElderCanteen = "elder_canteen", "长者饭堂";
        WelfareHome = "welfare_home", "福利院";
        SocialWelfareCentre = "social_welfare_centre", "社会福利服务中心";
        CareQualityCentre = "care_quality_centre", "居家养老服务质量指导中心";
        Clinic = "clinic", "医疗机构（合作）";
    }
);

impl FacilityKind {
    /// Whether people are enrolled here as members or residents. Partner
    /// clinics, the quality-guidance centre and social-work stations serve or
    /// supervise others' members, and have no roll of their own.
    pub fn enrols_people(self) -> bool {
        !matches!(
            self,
            FacilityKind::Clinic
                | FacilityKind::CareQualityCentre
                | FacilityKind::SocialWorkStation
        )
    }

    /// The assessment template a facility of this kind is rated with, if
    /// any: the provincial star rating for Kangyuan centres, the
    /// standardisation assessment for social-work stations. Other kinds have
    /// no rating of their own yet, and a centre's sheet would not fit them.
    pub fn rating_template(self) -> Option<&'static str> {
        match self {
            FacilityKind::KangyuanCentre => Some(crate::assessment::KANGYUAN_STAR),
            FacilityKind::SocialWorkStation => Some(crate::assessment::STATION_STANDARD),
            _ => None,
        }
    }

    /// Whether this is a care institution that should be paired with a
    /// clinic (医养结合): the places where people live or spend their days
    /// in care. Stations, canteens, the quality-guidance centre and clinics
    /// themselves are not.
    pub fn needs_partner_clinic(self) -> bool {
        matches!(
            self,
            FacilityKind::NursingHome
                | FacilityKind::WelfareHome
                | FacilityKind::SocialWelfareCentre
                | FacilityKind::HomeCareCentre
                | FacilityKind::KangyuanCentre
        )
    }

    /// Whether a person may be enrolled in only one facility of this kind at
    /// a time: day-care and residential places are; a diner may eat at
    /// several canteens.
    pub fn exclusive_enrolment(self) -> bool {
        matches!(
            self,
            FacilityKind::KangyuanCentre
                | FacilityKind::NursingHome
                | FacilityKind::WelfareHome
                | FacilityKind::SocialWelfareCentre
        )
    }

    /// The rule a new facility of this kind starts with.
    pub fn default_eligibility(self) -> EligibilityRule {
        match self {
            FacilityKind::KangyuanCentre => EligibilityRule::kangyuan_default(),
            // Nursing homes and welfare service centres house the elderly
            // (60 and over, 老年人权益保障法 art. 2).
            FacilityKind::NursingHome | FacilityKind::SocialWelfareCentre => EligibilityRule {
                min_age: Some(ELDERLY_AGE),
                ..EligibilityRule::default()
            },
            // Welfare homes (儿童福利院) take minors, under 18 (未成年人保护法 art. 2).
            FacilityKind::WelfareHome => EligibilityRule {
                max_age: Some(17),
                ..EligibilityRule::default()
            },
            _ => EligibilityRule::default(),
        }
    }
}

/// Who a facility may enrol, as data (stored as JSON on the facility, editable).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EligibilityRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// Empty: no disability needed. Otherwise the person must hold a disability
    /// matching one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disability_any_of: Vec<DisabilityRequirement>,
}

/// A disability category, and how severe it must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisabilityRequirement {
    /// Serialised as the category's code, e.g. "intellectual".
    pub category: DisabilityCategory,
    /// The least severe grade accepted (grade 1 is the most severe): Some(2)
    /// means grades 1-2 ("severe"). None: any grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_grade: Option<u8>,
}

impl DisabilityRequirement {
    fn accepts(&self, category: DisabilityCategory, grade: DisabilityGrade) -> bool {
        self.category == category && self.max_grade.is_none_or(|max| grade.get() <= max)
    }

    /// "一至二级" for grades 1-2, "一级" for grade 1 alone, "" for any grade.
    fn grades(&self) -> String {
        let numeral = |g: u8| DisabilityGrade::new(g).map_or("", DisabilityGrade::label);
        match self.max_grade {
            None => String::new(),
            Some(1) => numeral(1).to_owned(),
            Some(g) => format!("一至{}", numeral(g)),
        }
    }
}

/// What the rule looks at, taken from the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applicant {
    /// Age in full years (周岁) on the day of enrolment.
    pub age: u32,
    pub disability: Option<(DisabilityCategory, DisabilityGrade)>,
    /// Whether the person's status is active (在册): alive and still living here.
    pub in_register: bool,
}

/// One failed condition, with the rule it broke, in Chinese (shown to the user
/// verbatim; never contains the person's name or ID number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    /// "age", "disability" or "status".
    pub rule: &'static str,
    pub message: String,
}

impl EligibilityRule {
    /// Checks an applicant against every condition, reporting all that fail
    /// at once so the user can fix the record in one go. Being in the register
    /// is always required, whatever the rule says.
    pub fn check(&self, a: &Applicant) -> Result<(), Vec<RuleFailure>> {
        let mut failures = Vec::new();
        if !a.in_register {
            failures.push(RuleFailure {
                rule: "status",
                message: "人员状态不是“在册”，不能登记入本机构".to_owned(),
            });
        }
        let too_young = self.min_age.is_some_and(|min| a.age < min);
        let too_old = self.max_age.is_some_and(|max| a.age > max);
        if too_young || too_old {
            let age = a.age;
            let message = match (self.min_age, self.max_age) {
                (Some(min), Some(max)) => {
                    format!("年龄 {age} 岁，不在本机构的 {min}–{max} 岁范围内")
                }
                (Some(min), None) => format!("年龄 {age} 岁，本机构须年满 {min} 岁"),
                (None, Some(max)) => format!("年龄 {age} 岁，本机构只接收 {max} 岁及以下人员"),
                (None, None) => String::new(),
            };
            failures.push(RuleFailure {
                rule: "age",
                message,
            });
        }
        let disability_ok = self.disability_any_of.is_empty()
            || a.disability.is_some_and(|(category, grade)| {
                self.disability_any_of
                    .iter()
                    .any(|r| r.accepts(category, grade))
            });
        if !disability_ok {
            // The same words whether the person has another disability or
            // none: disability is health information, and what the register
            // holds is on the record page for those who may see it.
            failures.push(RuleFailure {
                rule: "disability",
                message: format!(
                    "须持有{}（以登记的残疾类别和等级为准）",
                    self.certificates_needed()
                ),
            });
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }

    /// The conditions in words, e.g. "16–59 岁；精神残疾、智力残疾或一至二级肢体
    /// 残疾"; "不限" when there are none.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (self.min_age, self.max_age) {
            (Some(min), Some(max)) => parts.push(format!("{min}–{max} 岁")),
            (Some(min), None) => parts.push(format!("{min} 岁及以上")),
            (None, Some(max)) => parts.push(format!("{max} 岁及以下")),
            (None, None) => {}
        }
        if !self.disability_any_of.is_empty() {
            let each: Vec<String> = self
                .disability_any_of
                .iter()
                .map(|r| format!("{}{}", r.grades(), r.category.label()))
                .collect();
            parts.push(join_or(&each));
        }
        if parts.is_empty() {
            "不限".to_owned()
        } else {
            parts.join("；")
        }
    }

    /// Checks a rule before it is stored: ages in order, grades 1 to 4, each
    /// category listed once. All problems, joined in one message.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if let (Some(min), Some(max)) = (self.min_age, self.max_age) {
            if min > max {
                problems.push(format!("最低年龄 {min} 岁大于最高年龄 {max} 岁"));
            }
        }
        for (i, r) in self.disability_any_of.iter().enumerate() {
            if r.max_grade.is_some_and(|g| !(1..=4).contains(&g)) {
                problems.push(format!("{}的等级应为 1-4 级", r.category.label()));
            }
            let repeated = self.disability_any_of[..i]
                .iter()
                .any(|earlier| earlier.category == r.category);
            if repeated {
                problems.push(format!("{}重复列出", r.category.label()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("；"))
        }
    }

    /// Working-age (16–59) people with a mental or intellectual disability of
    /// any grade, or a severe (grade 1-2) physical disability.
    ///
    /// The Guangdong Disabled Persons' Federation defines the community
    /// Kangyuan centre (社区康园中心, one of the province's 十件民生实事) as a
    /// day-care institution for "就业年龄段的智力、精神、重度残疾人" — working-age
    /// people with intellectual, mental or severe disabilities — offering day
    /// care, rehabilitation, recreation, skills training and assisted
    /// employment. Working age here is 16 (the legal minimum working age,
    /// 劳动法 art. 15) to 59, below the usual retirement age of 60. 多重残疾 is not listed because the register does
    /// not record which disabilities combine; like "other disabled people in
    /// need", a centre may add it to its own rule.
    pub fn kangyuan_default() -> EligibilityRule {
        let any_grade = |category| DisabilityRequirement {
            category,
            max_grade: None,
        };
        EligibilityRule {
            min_age: Some(16),
            max_age: Some(59),
            disability_any_of: vec![
                any_grade(DisabilityCategory::Mental),
                any_grade(DisabilityCategory::Intellectual),
                DisabilityRequirement {
                    category: DisabilityCategory::Physical,
                    max_grade: Some(2),
                },
            ],
        }
    }

    /// The certificates that satisfy the rule, e.g. "精神、智力残疾证或一至二级
    /// 肢体残疾证": categories of any grade share one 残疾证, graded ones follow.
    fn certificates_needed(&self) -> String {
        let any_grade: Vec<&str> = self
            .disability_any_of
            .iter()
            .filter(|r| r.max_grade.is_none())
            .map(|r| r.category.short_label())
            .collect();
        let mut each = Vec::new();
        if !any_grade.is_empty() {
            each.push(format!("{}残疾证", any_grade.join("、")));
        }
        for r in self
            .disability_any_of
            .iter()
            .filter(|r| r.max_grade.is_some())
        {
            each.push(format!("{}{}残疾证", r.grades(), r.category.short_label()));
        }
        each.join("或")
    }
}

/// "甲", "甲或乙", "甲、乙或丙".
fn join_or(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}或{last}", rest.join("、")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn applicant(age: u32, disability: Option<(DisabilityCategory, u8)>) -> Applicant {
        Applicant {
            age,
            disability: disability.map(|(c, g)| (c, DisabilityGrade::new(g).unwrap())),
            in_register: true,
        }
    }

    fn rules_broken(rule: &EligibilityRule, a: &Applicant) -> Vec<&'static str> {
        match rule.check(a) {
            Ok(()) => Vec::new(),
            Err(failures) => failures.iter().map(|f| f.rule).collect(),
        }
    }

    #[test]
    fn kinds_read_codes_and_labels() {
        assert_eq!(FacilityKind::ALL.len(), 9);
        for &kind in FacilityKind::ALL {
            assert_eq!(FacilityKind::parse(kind.as_str()), Some(kind));
            assert_eq!(FacilityKind::parse(kind.label()), Some(kind));
            assert!(kind.default_eligibility().validate().is_ok());
        }
        assert_eq!(
            FacilityKind::parse(" 长者饭堂 "),
            Some(FacilityKind::ElderCanteen)
        );
        assert_eq!(FacilityKind::parse("康园"), None);
        assert!(FacilityKind::KangyuanCentre.enrols_people());
        assert!(FacilityKind::ElderCanteen.enrols_people());
        assert!(!FacilityKind::Clinic.enrols_people());
        assert!(!FacilityKind::CareQualityCentre.enrols_people());
        assert!(!FacilityKind::SocialWorkStation.enrols_people());
    }

    #[test]
    fn each_kind_starts_with_its_own_rule() {
        assert_eq!(
            FacilityKind::KangyuanCentre.default_eligibility(),
            EligibilityRule::kangyuan_default()
        );
        let elderly = FacilityKind::NursingHome.default_eligibility();
        assert_eq!(elderly.describe(), "60 岁及以上");
        assert_eq!(rules_broken(&elderly, &applicant(59, None)), vec!["age"]);
        assert!(elderly.check(&applicant(60, None)).is_ok());
        assert_eq!(
            FacilityKind::SocialWelfareCentre.default_eligibility(),
            elderly
        );
        let minors = FacilityKind::WelfareHome.default_eligibility();
        assert_eq!(minors.describe(), "17 岁及以下");
        assert_eq!(
            minors.check(&applicant(18, None)).unwrap_err()[0].message,
            "年龄 18 岁，本机构只接收 17 岁及以下人员"
        );
        let open = FacilityKind::ElderCanteen.default_eligibility();
        assert_eq!(open.describe(), "不限");
        assert!(open.check(&applicant(5, None)).is_ok());
    }

    #[test]
    fn kangyuan_takes_working_age_mental_intellectual_and_severe_physical() {
        let rule = EligibilityRule::kangyuan_default();
        assert_eq!(
            rule.describe(),
            "16–59 岁；精神残疾、智力残疾或一至二级肢体残疾"
        );
        use DisabilityCategory::*;
        for ok in [
            applicant(30, Some((Intellectual, 3))),
            applicant(16, Some((Mental, 4))),
            applicant(59, Some((Physical, 2))),
            applicant(40, Some((Physical, 1))),
        ] {
            assert_eq!(rule.check(&ok), Ok(()), "{ok:?}");
        }

        let failures = rule.check(&applicant(30, Some((Physical, 3)))).unwrap_err();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].rule, "disability");
        assert_eq!(
            failures[0].message,
            "须持有精神、智力残疾证或一至二级肢体残疾证（以登记的残疾类别和等级为准）"
        );
        assert_eq!(
            rules_broken(&rule, &applicant(30, Some((Visual, 1)))),
            vec!["disability"]
        );
        assert_eq!(
            rules_broken(&rule, &applicant(30, None)),
            vec!["disability"]
        );

        let failures = rule
            .check(&applicant(63, Some((Intellectual, 2))))
            .unwrap_err();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].rule, "age");
        assert_eq!(
            failures[0].message,
            "年龄 63 岁，不在本机构的 16–59 岁范围内"
        );
        assert_eq!(
            rules_broken(&rule, &applicant(15, Some((Mental, 1)))),
            vec!["age"]
        );
    }

    #[test]
    fn someone_not_in_the_register_fails_on_status() {
        let inactive = Applicant {
            in_register: false,
            ..applicant(30, Some((DisabilityCategory::Intellectual, 3)))
        };
        assert_eq!(
            rules_broken(&EligibilityRule::kangyuan_default(), &inactive),
            vec!["status"]
        );
        // Even where the rule has no conditions at all.
        assert_eq!(
            rules_broken(&EligibilityRule::default(), &inactive),
            vec!["status"]
        );
    }

    #[test]
    fn reports_every_failure_at_once() {
        let a = Applicant {
            in_register: false,
            ..applicant(70, Some((DisabilityCategory::Hearing, 1)))
        };
        let failures = EligibilityRule::kangyuan_default().check(&a).unwrap_err();
        let rules: Vec<_> = failures.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["status", "age", "disability"]);
        for f in &failures {
            assert!(!f.message.is_empty());
            assert!(!f.message.contains("听力"), "{}", f.message);
        }
    }

    #[test]
    fn describes_single_and_graded_requirements() {
        let rule = EligibilityRule {
            min_age: None,
            max_age: None,
            disability_any_of: vec![DisabilityRequirement {
                category: DisabilityCategory::Visual,
                max_grade: Some(1),
            }],
        };
        assert_eq!(rule.describe(), "一级视力残疾");
        assert_eq!(
            rule.check(&applicant(30, None)).unwrap_err()[0].message,
            "须持有一级视力残疾证（以登记的残疾类别和等级为准）"
        );
    }

    #[test]
    fn validate_catches_impossible_rules() {
        assert_eq!(EligibilityRule::kangyuan_default().validate(), Ok(()));
        let bad = EligibilityRule {
            min_age: Some(60),
            max_age: Some(16),
            disability_any_of: vec![
                DisabilityRequirement {
                    category: DisabilityCategory::Physical,
                    max_grade: Some(5),
                },
                DisabilityRequirement {
                    category: DisabilityCategory::Physical,
                    max_grade: None,
                },
                DisabilityRequirement {
                    category: DisabilityCategory::Mental,
                    max_grade: Some(0),
                },
            ],
        };
        assert_eq!(
            bad.validate(),
            Err(
                "最低年龄 60 岁大于最高年龄 16 岁；肢体残疾的等级应为 1-4 级；\
                 肢体残疾重复列出；精神残疾的等级应为 1-4 级"
                    .to_owned()
            )
        );
    }

    #[test]
    fn rule_reads_its_stored_form_with_category_codes() {
        // serde_json is not a dependency of this crate, so the stored shape
        // (field names, category codes, defaults) is read through serde's own
        // value deserialisers instead of from JSON text. Those cannot supply
        // an `Option` field's value, so only absent options are exercised.
        use serde::de::value::{Error, MapDeserializer};
        let requirement = DisabilityRequirement::deserialize(MapDeserializer::<_, Error>::new(
            [("category", "intellectual")].into_iter(),
        ))
        .unwrap();
        assert_eq!(
            requirement,
            DisabilityRequirement {
                category: DisabilityCategory::Intellectual,
                max_grade: None,
            }
        );
        let empty: [(&str, u32); 0] = [];
        let open =
            EligibilityRule::deserialize(MapDeserializer::<_, Error>::new(empty.into_iter()))
                .unwrap();
        assert_eq!(open, EligibilityRule::default());
        let unknown = DisabilityRequirement::deserialize(MapDeserializer::<_, Error>::new(
            [("category", "肢体")].into_iter(),
        ));
        assert!(unknown.is_err());
    }
}
