//! Medical-care integration (医养结合), as rules without I/O: what a care
//! institution and a clinic may agree on, and when an agreement is in force.
//!
//! The agreed services follow the areas of 国家卫生健康委办公厅、民政部办公厅、
//! 国家中医药管理局办公室《医疗卫生机构与养老服务机构签约合作服务指南（试行）》
//! (国卫办老龄发〔2020〕23号): regular visits by doctors, health checks and
//! health management, chronic-disease follow-up, a referral "green channel" for
//! emergencies, rehabilitation guidance, health education and traditional
//! Chinese medicine. The codes, and the grouping into these seven, are ours;
//! an agreement's notes carry whatever the paper agreement adds.

use crate::date::CivilDate;

/// What a clinic agrees to provide (code, label). Codes are stable API values.
pub const CARE_SERVICES: [(&str, &str); 7] = [
    ("doctor_visits", "定期巡诊（医生上门）"),
    ("health_checks", "健康体检与健康管理"),
    ("chronic_followup", "慢性病随访管理"),
    ("green_channel", "急诊转诊绿色通道"),
    ("rehab_guidance", "康复指导"),
    ("health_education", "健康教育与咨询"),
    ("tcm", "中医药服务"),
];

/// The label of a service code.
pub fn service_label(code: &str) -> Option<&'static str> {
    CARE_SERVICES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

/// Most doctor visits a month an agreement may promise: one a day.
pub const MAX_VISITS_PER_MONTH: u32 = 31;

/// When an agreement is in force: from `start` through `end` (inclusive);
/// without an end, open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgreementTerm {
    pub start: CivilDate,
    pub end: Option<CivilDate>,
}

impl AgreementTerm {
    /// A term whose end, if any, is not before its start. The message is shown
    /// to the user.
    pub fn new(start: CivilDate, end: Option<CivilDate>) -> Result<AgreementTerm, &'static str> {
        if end.is_some_and(|e| e < start) {
            return Err("终止日期不能早于起始日期");
        }
        Ok(AgreementTerm { start, end })
    }

    /// In force on `day`.
    pub fn is_current(&self, day: CivilDate) -> bool {
        self.start <= day && self.end.is_none_or(|e| day <= e)
    }

    /// Whether two terms share a day.
    pub fn overlaps(&self, other: &AgreementTerm) -> bool {
        let starts_before_other_ends = other.end.is_none_or(|e| self.start <= e);
        let other_starts_before_this_ends = self.end.is_none_or(|e| other.start <= e);
        starts_before_other_ends && other_starts_before_this_ends
    }
}

/// Checks what an agreement promises: at least one known service, each once,
/// and a visit schedule that fits them (regular doctor visits need at least
/// one a month). The message is shown to the user.
pub fn check_services(services: &[String], visits_per_month: u32) -> Result<(), String> {
    if services.is_empty() {
        return Err("请至少选择一项签约服务".into());
    }
    for (i, s) in services.iter().enumerate() {
        if service_label(s).is_none() {
            return Err(format!("未知的服务项目 {s}"));
        }
        if services[..i].contains(s) {
            return Err(format!("服务项目 {s} 重复"));
        }
    }
    if visits_per_month > MAX_VISITS_PER_MONTH {
        return Err(format!("每月巡诊次数应为 0 至 {MAX_VISITS_PER_MONTH} 次"));
    }
    if services.iter().any(|s| s == "doctor_visits") && visits_per_month == 0 {
        return Err("约定了定期巡诊，每月巡诊次数应至少 1 次".into());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::facility::FacilityKind;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn a_term_is_current_from_its_start_through_its_end() {
        let term = AgreementTerm::new(date("2024-01-01"), Some(date("2024-12-31"))).unwrap();
        assert!(!term.is_current(date("2023-12-31")));
        assert!(term.is_current(date("2024-01-01")));
        assert!(term.is_current(date("2024-12-31")));
        assert!(!term.is_current(date("2025-01-01")));
        let open = AgreementTerm::new(date("2024-06-01"), None).unwrap();
        assert!(open.is_current(date("2099-01-01")));
        assert_eq!(
            AgreementTerm::new(date("2024-06-01"), Some(date("2024-05-31"))),
            Err("终止日期不能早于起始日期")
        );
        // A one-day agreement is allowed.
        assert!(AgreementTerm::new(date("2024-06-01"), Some(date("2024-06-01"))).is_ok());
    }

    #[test]
    fn terms_overlap_when_they_share_a_day() {
        let t = |a: &str, b: Option<&str>| AgreementTerm::new(date(a), b.map(date)).unwrap();
        let year = t("2024-01-01", Some("2024-12-31"));
        assert!(year.overlaps(&t("2024-12-31", None)));
        assert!(!year.overlaps(&t("2025-01-01", None)));
        assert!(t("2023-01-01", None).overlaps(&year));
        assert!(!t("2023-01-01", Some("2023-12-31")).overlaps(&year));
        assert!(t("2024-03-01", Some("2024-03-02")).overlaps(&year));
    }

    #[test]
    fn services_are_known_once_each_and_fit_the_schedule() {
        let s = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_services(&s(&["doctor_visits", "green_channel"]), 2),
            Ok(())
        );
        assert_eq!(check_services(&s(&["green_channel"]), 0), Ok(()));
        assert_eq!(
            check_services(&s(&["doctor_visits"]), 0),
            Err("约定了定期巡诊，每月巡诊次数应至少 1 次".to_owned())
        );
        assert_eq!(
            check_services(&s(&[]), 1),
            Err("请至少选择一项签约服务".to_owned())
        );
        assert_eq!(
            check_services(&s(&["massage"]), 1),
            Err("未知的服务项目 massage".to_owned())
        );
        assert!(check_services(&s(&["tcm", "tcm"]), 1).is_err());
        assert!(check_services(&s(&["tcm"]), 32).is_err());
        for (code, label) in CARE_SERVICES {
            assert_eq!(service_label(code), Some(label));
        }
    }

    #[test]
    fn care_institutions_are_the_kinds_that_house_or_look_after_people() {
        assert!(FacilityKind::NursingHome.needs_partner_clinic());
        assert!(FacilityKind::KangyuanCentre.needs_partner_clinic());
        assert!(!FacilityKind::Clinic.needs_partner_clinic());
        assert!(!FacilityKind::SocialWorkStation.needs_partner_clinic());
        assert!(!FacilityKind::ElderCanteen.needs_partner_clinic());
        assert_eq!(
            FacilityKind::SocialWorkStation.rating_template(),
            Some(crate::assessment::STATION_STANDARD)
        );
        assert_eq!(FacilityKind::NursingHome.rating_template(), None);
    }
}
