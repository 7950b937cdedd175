//! The person's side of home care: who is entitled to how much
//! government-purchased service a month, and the care plan that turns into
//! that month's orders.

use super::{price_of, ServiceItem};
use crate::capability::CapabilityLevel;
use crate::date::CivilDate;
use crate::money::Fen;
use crate::register::EconomicStatus;
use serde::{Deserialize, Serialize};

/// Who an entitlement applies to: every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EntitlementCondition {
    pub min_age: Option<u32>,
    /// Any of these economic statuses (empty: any).
    pub economic_any_of: Vec<EconomicStatus>,
    /// Any of these capability levels (empty: any, assessed or not).
    pub capability_any_of: Vec<CapabilityLevel>,
    /// Only people living alone.
    pub living_alone: bool,
}

/// The facts about an elderly person that decide the entitlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elder {
    pub age: u32,
    pub economic_status: Option<EconomicStatus>,
    pub capability: Option<CapabilityLevel>,
    pub living_alone: bool,
}

impl EntitlementCondition {
    pub fn applies(&self, e: &Elder) -> bool {
        self.min_age.is_none_or(|min| e.age >= min)
            && (self.economic_any_of.is_empty()
                || e.economic_status
                    .is_some_and(|s| self.economic_any_of.contains(&s)))
            && (self.capability_any_of.is_empty()
                || e.capability
                    .is_some_and(|c| self.capability_any_of.contains(&c)))
            && (!self.living_alone || e.living_alone)
    }

    /// "低保或特困，中度失能或重度失能，80 岁及以上，独居".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.economic_any_of.is_empty() {
            parts.push(
                self.economic_any_of
                    .iter()
                    .map(|s| s.label())
                    .collect::<Vec<_>>()
                    .join("或"),
            );
        }
        if !self.capability_any_of.is_empty() {
            parts.push(
                self.capability_any_of
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("或"),
            );
        }
        if let Some(age) = self.min_age {
            parts.push(format!("{age} 岁及以上"));
        }
        if self.living_alone {
            parts.push("独居".to_owned());
        }
        if parts.is_empty() {
            "所有老年人".to_owned()
        } else {
            parts.join("，")
        }
    }
}

/// A monthly amount of government-purchased service for the people a
/// condition describes, and the share of each order's price within it that
/// the person still pays. Beyond the amount the person pays the full price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementRule {
    pub code: String,
    pub name: String,
    pub applies: EntitlementCondition,
    pub monthly: Fen,
    /// Per mille of the price, within the amount, that the person pays.
    pub personal_share_per_mille: u32,
}

impl EntitlementRule {
    pub fn check(&self) -> Result<(), String> {
        if self.code.trim().is_empty() || self.name.trim().is_empty() {
            return Err("补贴规则的编码和名称不能为空".into());
        }
        if self.monthly.0 < 0 {
            return Err(format!("“{}”的每月额度不能为负数", self.name));
        }
        if self.personal_share_per_mille > 1000 {
            return Err(format!("“{}”的个人分担比例不能超过 100%", self.name));
        }
        Ok(())
    }
}

/// The first rule (in list order) that applies; rules are ordered most
/// generous first. `None`: the person pays every order in full.
pub fn entitlement_for<'a>(rules: &'a [EntitlementRule], e: &Elder) -> Option<&'a EntitlementRule> {
    rules.iter().find(|r| r.applies.applies(e))
}

/// The rules a new deployment starts with, most generous first.
///
/// Whom they cover follows the policy basis in the module header: economic
/// hardship together with lost capability first, then lost capability or
/// hardship alone, then the oldest (80 and over, the age of Guangdong's
/// 高龄津贴), living alone before not. The amounts (500/300/200/150/100 yuan a
/// month) and the 10% personal share for those not in economic hardship are
/// this project's own judgement, to be replaced by the county's figures.
pub fn default_entitlements() -> Vec<EntitlementRule> {
    use CapabilityLevel::{Lost, Moderate, Severe};
    use EconomicStatus::{Dibao, DibaoEdge, ExtremePoverty};
    let hardship = vec![ExtremePoverty, Dibao, DibaoEdge];
    let rule = |code: &str, name: &str, applies, yuan: i64, share| EntitlementRule {
        code: code.to_owned(),
        name: name.to_owned(),
        applies,
        monthly: Fen::from_yuan(yuan),
        personal_share_per_mille: share,
    };
    vec![
        rule(
            "hardship_disabled",
            "经济困难的失能老年人",
            EntitlementCondition {
                min_age: Some(crate::register::ELDERLY_AGE),
                economic_any_of: hardship.clone(),
                capability_any_of: vec![Moderate, Severe, Lost],
                living_alone: false,
            },
            500,
            0,
        ),
        rule(
            "disabled",
            "重度、完全失能老年人",
            EntitlementCondition {
                min_age: Some(crate::register::ELDERLY_AGE),
                capability_any_of: vec![Severe, Lost],
                ..EntitlementCondition::default()
            },
            300,
            100,
        ),
        rule(
            "hardship",
            "经济困难老年人",
            EntitlementCondition {
                min_age: Some(crate::register::ELDERLY_AGE),
                economic_any_of: hardship,
                ..EntitlementCondition::default()
            },
            200,
            0,
        ),
        rule(
            "age_80_alone",
            "80 岁及以上独居老年人",
            EntitlementCondition {
                min_age: Some(80),
                living_alone: true,
                ..EntitlementCondition::default()
            },
            150,
            100,
        ),
        rule(
            "age_80",
            "80 岁及以上老年人",
            EntitlementCondition {
                min_age: Some(80),
                ..EntitlementCondition::default()
            },
            100,
            100,
        ),
    ]
}

// ---- care plans ----

/// A line of a care plan: an item, how many visits a month, units per visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    pub item: String,
    pub times_per_month: u32,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

/// The days of a month on which `times` visits fall, spread evenly (the
/// first on day 1 + half a gap).
pub fn spread_days(times: u32, days_in_month: u8) -> Vec<u8> {
    if times == 0 || days_in_month == 0 {
        return Vec::new();
    }
    let days = u32::from(days_in_month);
    let times = times.min(days);
    (0..times)
        .map(|i| (1 + (2 * i + 1) * days / (2 * times)).min(days) as u8)
        .collect()
}

/// One order a care plan generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOrder {
    pub item: String,
    pub quantity: u32,
    pub day: CivilDate,
    pub price: Fen,
}

/// The orders of a month's plan that fit within what remains of the
/// entitlement, in date order: a plan generates government-purchased
/// service, so an order that would go beyond the amount is left for the
/// family to book (and pay) themselves. Unknown items are skipped.
pub fn plan_month(
    plan: &[PlanLine],
    items: &[ServiceItem],
    year: u16,
    month: u8,
    remaining: Fen,
) -> Vec<PlannedOrder> {
    let Some(days) = crate::date::days_in_month(year, month) else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for line in plan {
        let Some(item) = items.iter().find(|i| i.code == line.item) else {
            continue;
        };
        let Some(price) = price_of(item, line.quantity.max(1)) else {
            continue;
        };
        for d in spread_days(line.times_per_month, days) {
            if let Ok(day) = CivilDate::new(year, month, d) {
                all.push(PlannedOrder {
                    item: item.code.clone(),
                    quantity: line.quantity.max(1),
                    day,
                    price,
                });
            }
        }
    }
    all.sort_by(|a, b| a.day.cmp(&b.day).then_with(|| a.item.cmp(&b.item)));
    let mut left = remaining.0.max(0);
    all.retain(|o| {
        if o.price.0 <= left {
            left -= o.price.0;
            true
        } else {
            false
        }
    });
    all
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::home_care::default_catalogue;

    fn elder(
        age: u32,
        economic: Option<EconomicStatus>,
        capability: Option<CapabilityLevel>,
        alone: bool,
    ) -> Elder {
        Elder {
            age,
            economic_status: economic,
            capability,
            living_alone: alone,
        }
    }

    #[test]
    fn the_most_generous_entitlement_that_applies_is_chosen() {
        use CapabilityLevel::*;
        use EconomicStatus::*;
        let rules = default_entitlements();
        let code = |e: Elder| entitlement_for(&rules, &e).map(|r| r.code.as_str());
        assert_eq!(
            code(elder(75, Some(Dibao), Some(Severe), false)),
            Some("hardship_disabled")
        );
        assert_eq!(
            code(elder(75, Some(Ordinary), Some(Lost), false)),
            Some("disabled")
        );
        assert_eq!(
            code(elder(75, Some(ExtremePoverty), Some(Mild), false)),
            Some("hardship")
        );
        assert_eq!(code(elder(85, None, None, true)), Some("age_80_alone"));
        assert_eq!(code(elder(85, None, None, false)), Some("age_80"));
        assert_eq!(code(elder(70, Some(Ordinary), Some(Intact), true)), None);
        // Under 60 nobody is entitled, whatever else holds.
        assert_eq!(code(elder(55, Some(Dibao), Some(Lost), true)), None);
        assert_eq!(
            rules[0].applies.describe(),
            "特困或低保或低保边缘，能力中度受损（中度失能）或能力重度受损（重度失能）或能力完全丧失（完全失能），60 岁及以上"
        );
    }

    #[test]
    fn a_care_plan_fills_the_month_within_the_entitlement() {
        assert_eq!(spread_days(4, 30), vec![4, 12, 19, 27]);
        assert_eq!(spread_days(1, 31), vec![16]);
        assert_eq!(spread_days(0, 31), Vec::<u8>::new());
        assert_eq!(spread_days(40, 28).len(), 28);
        let items = default_catalogue();
        let plan = [
            PlanLine {
                item: "bathing".into(),
                times_per_month: 4,
                quantity: 1,
            },
            PlanLine {
                item: "cleaning".into(),
                times_per_month: 2,
                quantity: 2,
            },
            PlanLine {
                item: "unknown".into(),
                times_per_month: 9,
                quantity: 1,
            },
        ];
        // 4 baths at 80 and 2 cleanings of 2 hours at 80: 480 yuan wanted.
        let all = plan_month(&plan, &items, 2026, 3, Fen::from_yuan(1000));
        assert_eq!(all.len(), 6);
        assert!(all.windows(2).all(|w| w[0].day <= w[1].day));
        // 300 yuan: the first three in date order fit (80+80+80), the fourth
        // (80) would reach 320.
        let some = plan_month(&plan, &items, 2026, 3, Fen::from_yuan(300));
        let total: i64 = some.iter().map(|o| o.price.0).sum();
        assert!(total <= 30_000);
        assert_eq!(some.len(), 3);
        assert!(plan_month(&plan, &items, 2026, 13, Fen::from_yuan(300)).is_empty());
    }
}
