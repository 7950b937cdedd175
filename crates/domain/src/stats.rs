//! The rules behind the figures: age bands, who counts as needing which kind
//! of facility, the unmet needs demand mining looks for, and the suppression
//! of small counts in published statistics.

use crate::facility::FacilityKind;
use serde::{Deserialize, Serialize};

/// Age bands of the dashboards: children (未成年人, under 18), working age,
/// and the elderly (60+, 老年人权益保障法 art. 2) in the ten-year bands the
/// civil-affairs statistics use for the old (60-69 低龄, 70-79 中龄, 80+ 高龄).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    Under18,
    From18To59,
    From60To69,
    From70To79,
    Over80,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under18,
        AgeBand::From18To59,
        AgeBand::From60To69,
        AgeBand::From70To79,
        AgeBand::Over80,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0_17",
            AgeBand::From18To59 => "18_59",
            AgeBand::From60To69 => "60_69",
            AgeBand::From70To79 => "70_79",
            AgeBand::Over80 => "80_plus",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0-17 岁",
            AgeBand::From18To59 => "18-59 岁",
            AgeBand::From60To69 => "60-69 岁",
            AgeBand::From70To79 => "70-79 岁",
            AgeBand::Over80 => "80 岁及以上",
        }
    }

    pub fn parse(s: &str) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.as_str() == s.trim())
    }

    /// The youngest age in the band.
    pub fn min_age(self) -> u16 {
        match self {
            AgeBand::Under18 => 0,
            AgeBand::From18To59 => 18,
            AgeBand::From60To69 => 60,
            AgeBand::From70To79 => 70,
            AgeBand::Over80 => 80,
        }
    }

    /// The age the band stops before (none for the last band).
    pub fn end_age(self) -> Option<u16> {
        match self {
            AgeBand::Under18 => Some(18),
            AgeBand::From18To59 => Some(60),
            AgeBand::From60To69 => Some(70),
            AgeBand::From70To79 => Some(80),
            AgeBand::Over80 => None,
        }
    }
}

/// The people a kind of facility is for, when coverage asks how far they
/// live from the nearest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedGroup {
    /// Everyone aged 60 and over.
    Elderly,
    /// Disabled people of working age (18-59), whom Kangyuan centres take in
    /// day care (the brief: disabled adults).
    DisabledAdults,
    /// Children in need (困境儿童) under 18.
    ChildrenInNeed,
    /// Whom social workers visit on schedule: elderly living alone and
    /// children in need (the "double hundred" stations' remit).
    VisitedBySocialWorkers,
    /// Elderly or disabled people, for partner clinics.
    ElderlyOrDisabled,
}

impl NeedGroup {
    pub fn of(kind: FacilityKind) -> NeedGroup {
        match kind {
            FacilityKind::KangyuanCentre => NeedGroup::DisabledAdults,
            FacilityKind::WelfareHome => NeedGroup::ChildrenInNeed,
            FacilityKind::SocialWorkStation => NeedGroup::VisitedBySocialWorkers,
            FacilityKind::Clinic => NeedGroup::ElderlyOrDisabled,
            FacilityKind::NursingHome
            | FacilityKind::HomeCareCentre
            | FacilityKind::ElderCanteen
            | FacilityKind::SocialWelfareCentre
            | FacilityKind::CareQualityCentre => NeedGroup::Elderly,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NeedGroup::Elderly => "elderly",
            NeedGroup::DisabledAdults => "disabled_adults",
            NeedGroup::ChildrenInNeed => "children_in_need",
            NeedGroup::VisitedBySocialWorkers => "visited_by_social_workers",
            NeedGroup::ElderlyOrDisabled => "elderly_or_disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NeedGroup::Elderly => "60 岁及以上老年人",
            NeedGroup::DisabledAdults => "18-59 岁残疾人",
            NeedGroup::ChildrenInNeed => "困境儿童（未满 18 岁）",
            NeedGroup::VisitedBySocialWorkers => "独居老人和困境儿童",
            NeedGroup::ElderlyOrDisabled => "老年人和残疾人",
        }
    }
}

/// A need the register shows and no record shows being met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmetNeed {
    /// A disabled person aged 18-59 with no current enrolment in any facility.
    DisabledNotEnrolled,
    /// An elderly person living alone whose capability is impaired (GB/T
    /// 42195-2022 level mild or worse), not visited in the last
    /// [`UNVISITED_DAYS`] days and with no canteen meal this month.
    ElderlyAloneUnserved,
    /// A child in need under 18 whose village no social-work station serves.
    ChildWithoutSocialWorker,
}

/// How long without a visit leaves an impaired elderly person living alone
/// counted as unserved: a quarter, the longest interval of the default visit
/// rules for them.
pub const UNVISITED_DAYS: i64 = 90;

impl UnmetNeed {
    pub const ALL: [UnmetNeed; 3] = [
        UnmetNeed::DisabledNotEnrolled,
        UnmetNeed::ElderlyAloneUnserved,
        UnmetNeed::ChildWithoutSocialWorker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnmetNeed::DisabledNotEnrolled => "disabled_not_enrolled",
            UnmetNeed::ElderlyAloneUnserved => "elderly_alone_unserved",
            UnmetNeed::ChildWithoutSocialWorker => "child_without_social_worker",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UnmetNeed::DisabledNotEnrolled => "未入托任何机构的 18-59 岁残疾人",
            UnmetNeed::ElderlyAloneUnserved => "能力受损、90 天未探访且本月未助餐的独居老人",
            UnmetNeed::ChildWithoutSocialWorker => "所在村（社区）无社工站服务的困境儿童",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            UnmetNeed::DisabledNotEnrolled => "残疾人未入托",
            UnmetNeed::ElderlyAloneUnserved => "独居老人无服务",
            UnmetNeed::ChildWithoutSocialWorker => "困境儿童无社工",
        }
    }
}

/// Counts below this are not published: one of 1-4 people could be
/// singled out (the common small-cell rule of official statistics, e.g. the
/// threshold of 5 the brief asks for).
pub const PUBLIC_MIN_COUNT: i64 = 5;

/// A count as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PublicCount {
    /// Shown as it is (0, or 5 and over).
    Shown(i64),
    /// 1-4: shown as "<5".
    Small,
    /// Large enough, but hidden because together with the total it would
    /// give away a small count next to it.
    Hidden,
}

impl PublicCount {
    pub fn text(self) -> String {
        match self {
            PublicCount::Shown(n) => n.to_string(),
            PublicCount::Small => format!("<{PUBLIC_MIN_COUNT}"),
            PublicCount::Hidden => "—".to_owned(),
        }
    }
}

/// Publishes one count on its own: 1-4 become "<5".
pub fn public_count(n: i64) -> PublicCount {
    if n > 0 && n < PUBLIC_MIN_COUNT {
        PublicCount::Small
    } else {
        PublicCount::Shown(n)
    }
}

/// Publishes the parts of a published total (the children of a region):
/// small parts become "<5", and when only one part is small, the smallest
/// other non-zero part is hidden too, so that the total minus the shown
/// parts does not give the small one away (secondary suppression).
pub fn public_parts(parts: &[i64]) -> Vec<PublicCount> {
    let mut out: Vec<PublicCount> = parts.iter().map(|&n| public_count(n)).collect();
    let small = out.iter().filter(|c| **c == PublicCount::Small).count();
    if small == 1 {
        let partner = parts
            .iter()
            .enumerate()
            .filter(|(i, &n)| n > 0 && out[*i] != PublicCount::Small)
            .min_by_key(|(_, &n)| n)
            .map(|(i, _)| i);
        if let Some(i) = partner {
            out[i] = PublicCount::Hidden;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_tile_the_ages() {
        let mut age = 0;
        for b in AgeBand::ALL {
            assert_eq!(b.min_age(), age);
            assert_eq!(AgeBand::parse(b.as_str()), Some(b));
            match b.end_age() {
                Some(end) => age = end,
                None => assert_eq!(b, AgeBand::Over80),
            }
        }
    }

    #[test]
    fn small_counts_are_never_published() {
        assert_eq!(public_count(0).text(), "0");
        for n in 1..5 {
            assert_eq!(public_count(n).text(), "<5");
        }
        assert_eq!(public_count(5).text(), "5");
    }

    #[test]
    fn a_lone_small_part_takes_a_partner_with_it() {
        // 10 = 7 + 3: with 7 shown, the 3 could be worked out.
        let parts = public_parts(&[0, 7, 3, 12]);
        assert_eq!(
            parts,
            [
                PublicCount::Shown(0),
                PublicCount::Hidden,
                PublicCount::Small,
                PublicCount::Shown(12)
            ]
        );
        // Two small parts hide each other.
        let parts = public_parts(&[2, 3, 9]);
        assert_eq!(
            parts,
            [
                PublicCount::Small,
                PublicCount::Small,
                PublicCount::Shown(9)
            ]
        );
        assert_eq!(
            public_parts(&[5, 6]),
            [PublicCount::Shown(5), PublicCount::Shown(6)]
        );
    }

    #[test]
    fn every_kind_has_a_need_group() {
        for k in FacilityKind::ALL {
            assert!(!NeedGroup::of(*k).label().is_empty());
        }
    }
}
