//! Elder canteens (长者饭堂): how a meal's price is split between government
//! subsidy, the diner and charity, duplicate meal claims, and the monthly
//! settlement.
//!
//! 民政部等 11 部门《积极发展老年助餐服务行动方案》(民发〔2023〕58号, October 2023)
//! asks for meal services from canteens, meal points and delivery by catering
//! firms, with public charity taking part; it leaves subsidy levels to local
//! government. Who pays how much is therefore data: a list of [`PriceTier`]s,
//! stored and edited per city or county. [`default_tiers`] starts from the
//! figures Guangzhou published for its canteens (广州市长者饭堂助餐配餐服务申请
//! 指南, 2020: a 12-yuan meal; the person pays 1 yuan if in extreme poverty,
//! on 低保 or low income, 3 yuan at 80 and over, 5 yuan at 60-79), reshaped to
//! show all three payers; they are local defaults, to be replaced by the
//! county's own.

use crate::coded::coded_enum;
use crate::date::CivilDate;
use crate::money::Fen;
use crate::register::{EconomicStatus, ELDERLY_AGE};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

coded_enum!(
    /// How a canteen is run (the modes Yunfu piloted). Codes are stable API values.
    CanteenMode {
        /// Cooks in its own kitchen (自建厨房).
        OwnKitchen = "own_kitchen", "自建厨房";
        /// Meals brought from a central kitchen (中央厨房配送).
        Delivery = "delivery", "中央厨房配送";
        /// Meals given or run with a charity or caring firm (爱心企业/慈善助餐).
        Charity = "charity", "慈善助餐";
        /// Neighbours cook for each other (邻里互助).
        NeighbourHelp = "neighbour_help", "邻里互助";
    }
);

coded_enum!(
    /// How the diner gets the meal. Codes are stable API values.
    MealService {
        DineIn = "dine_in", "堂食";
        Delivered = "delivered", "送餐";
    }
);

coded_enum!(
    /// Which meal of the day. Codes are stable API values.
    #[derive(PartialOrd, Ord)]
    Meal {
        Breakfast = "breakfast", "早餐";
        Lunch = "lunch", "午餐";
        Dinner = "dinner", "晚餐";
    }
);

/// Who a price tier applies to. Stored as JSON: `{"age_at_least": 80}`,
/// `{"economic_status": "dibao"}` or `"any"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierCondition {
    AgeAtLeast(u32),
    /// 特困, 低保, … Age is not checked: a tier list prices the meals of
    /// people the canteen serves, and who it serves is its enrolment rule.
    EconomicStatus(EconomicStatus),
    Any,
}

impl TierCondition {
    pub fn applies(self, d: &Diner) -> bool {
        match self {
            TierCondition::AgeAtLeast(age) => d.age >= age,
            TierCondition::EconomicStatus(status) => d.economic_status == Some(status),
            TierCondition::Any => true,
        }
    }

    /// What a user reads next to the tier: "80 岁及以上", "低保", "所有就餐者".
    pub fn label(self) -> String {
        match self {
            TierCondition::AgeAtLeast(age) => format!("{age} 岁及以上"),
            TierCondition::EconomicStatus(status) => status.label().to_owned(),
            TierCondition::Any => "所有就餐者".to_owned(),
        }
    }
}

/// A pricing tier: who it applies to, and each meal's price split in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    pub code: String,
    pub name: String,
    pub applies: TierCondition,
    pub subsidy: Fen,
    pub personal: Fen,
    pub charity: Fen,
    /// extra charge for delivery, paid by the person
    pub delivery_fee: Fen,
}

impl PriceTier {
    /// Checks a tier typed or edited by a user; the message is shown to them.
    pub fn check(&self) -> Result<(), String> {
        if self.code.trim().is_empty() {
            return Err("档次编码不能为空".into());
        }
        if self.name.trim().is_empty() {
            return Err("档次名称不能为空".into());
        }
        for (part, amount) in [
            ("政府补贴", self.subsidy),
            ("个人支付", self.personal),
            ("慈善资助", self.charity),
            ("送餐费", self.delivery_fee),
        ] {
            if amount.0 < 0 {
                return Err(format!("“{}”档次的{part}不能为负数", self.name));
            }
        }
        // The whole meal price must fit, so a split never overflows.
        let price = self
            .subsidy
            .checked_add(self.personal)
            .and_then(|p| p.checked_add(self.charity))
            .and_then(|p| p.checked_add(self.delivery_fee));
        if price.is_none() {
            return Err(format!("“{}”档次的金额过大", self.name));
        }
        Ok(())
    }
}

/// Checks a whole tier list: every tier, and codes unique.
pub fn check_tiers(tiers: &[PriceTier]) -> Result<(), String> {
    for (i, tier) in tiers.iter().enumerate() {
        tier.check()?;
        if tiers[..i].iter().any(|t| t.code == tier.code) {
            return Err(format!("档次编码“{}”重复", tier.code));
        }
    }
    Ok(())
}

/// The facts about a diner that decide the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diner {
    pub age: u32,
    pub economic_status: Option<EconomicStatus>,
}

/// The first tier (in list order) that applies: tiers are ordered most
/// generous first. `None` when none applies (the diner pays the menu price).
pub fn tier_for<'a>(tiers: &'a [PriceTier], d: &Diner) -> Option<&'a PriceTier> {
    tiers.iter().find(|t| t.applies.applies(d))
}

/// The tiers a new deployment starts with, most generous first: a 12-yuan
/// meal (Guangzhou's 2020 standard), with Guangzhou's personal payments and
/// 1 yuan of its subsidy shown as charity, since Yunfu's canteens share costs
/// with charities. 特困 people pay nothing, delivery included: they are
/// supported by the state (特困人员供养). Delivery costs 3 yuan (Guangzhou's
/// Tianhe canteens charged 2-4 yuan in 2023). All local defaults, to be
/// replaced by the county's own figures.
pub fn default_tiers() -> Vec<PriceTier> {
    let tier = |code: &str,
                name: &str,
                applies: TierCondition,
                subsidy: i64,
                personal: i64,
                charity: i64,
                delivery_fee: i64| PriceTier {
        code: code.to_owned(),
        name: name.to_owned(),
        applies,
        subsidy: Fen(subsidy),
        personal: Fen(personal),
        charity: Fen(charity),
        delivery_fee: Fen(delivery_fee),
    };
    vec![
        tier(
            "extreme_poverty",
            "特困人员",
            TierCondition::EconomicStatus(EconomicStatus::ExtremePoverty),
            1200,
            0,
            0,
            0,
        ),
        tier(
            "dibao",
            "低保对象",
            TierCondition::EconomicStatus(EconomicStatus::Dibao),
            1000,
            100,
            100,
            300,
        ),
        tier(
            "dibao_edge",
            "低保边缘对象",
            TierCondition::EconomicStatus(EconomicStatus::DibaoEdge),
            1000,
            100,
            100,
            300,
        ),
        tier(
            "age_80",
            "80岁及以上老年人",
            TierCondition::AgeAtLeast(80),
            800,
            300,
            100,
            300,
        ),
        tier(
            "age_60",
            "60至79岁老年人",
            TierCondition::AgeAtLeast(ELDERLY_AGE),
            600,
            500,
            100,
            300,
        ),
    ]
}

/// One meal's split (subsidy, personal, charity) for a tier and service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MealSplit {
    pub subsidy: Fen,
    pub personal: Fen,
    pub charity: Fen,
}

impl MealSplit {
    /// What the meal cost in all. Saturates rather than overflowing; a tier
    /// that passed [`PriceTier::check`] never gets near it.
    pub fn total(&self) -> Fen {
        Fen(self
            .subsidy
            .0
            .saturating_add(self.personal.0)
            .saturating_add(self.charity.0))
    }
}

/// One meal's split for a tier and service: a delivered meal adds the
/// delivery fee to what the person pays.
pub fn split(tier: &PriceTier, service: MealService) -> MealSplit {
    let personal = match service {
        MealService::DineIn => tier.personal,
        MealService::Delivered => Fen(tier.personal.0.saturating_add(tier.delivery_fee.0)),
    };
    MealSplit {
        subsidy: tier.subsidy,
        personal,
        charity: tier.charity,
    }
}

/// A meal claimed: person, day, meal (breakfast/lunch/dinner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub person: i64,
    pub canteen: i64,
    pub day: CivilDate,
    pub meal: Meal,
}

/// Duplicate claims: the same person claimed for the same meal of the same
/// day more than once, at one canteen or several (a subsidy can be paid only
/// once per meal). Each pair is (the later claim, the first one it repeats),
/// as indexes into `claims`, in the order of the later claim.
pub fn duplicate_claims(claims: &[Claim]) -> Vec<(usize, usize)> {
    let mut first: HashMap<(i64, CivilDate, Meal), usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for (i, c) in claims.iter().enumerate() {
        match first.get(&(c.person, c.day, c.meal)) {
            Some(&earlier) => duplicates.push((i, earlier)),
            None => {
                first.insert((c.person, c.day, c.meal), i);
            }
        }
    }
    duplicates
}

/// Monthly settlement totals: number of meals and sums of each part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settlement {
    pub meals: u64,
    pub subsidy: Fen,
    pub personal: Fen,
    pub charity: Fen,
}

impl Settlement {
    /// All three parts together, `None` on overflow.
    pub fn total(&self) -> Option<Fen> {
        self.subsidy
            .checked_add(self.personal)?
            .checked_add(self.charity)
    }
}

/// Adds up the meals of a period. `None` on overflow, which only corrupt
/// amounts can cause; a settlement is never silently wrapped.
pub fn settle(splits: &[MealSplit]) -> Option<Settlement> {
    splits.iter().try_fold(Settlement::default(), |acc, s| {
        Some(Settlement {
            meals: acc.meals.checked_add(1)?,
            subsidy: acc.subsidy.checked_add(s.subsidy)?,
            personal: acc.personal.checked_add(s.personal)?,
            charity: acc.charity.checked_add(s.charity)?,
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    fn diner(age: u32, economic_status: Option<EconomicStatus>) -> Diner {
        Diner {
            age,
            economic_status,
        }
    }

    #[test]
    fn coded_enums_read_codes_and_labels() {
        for &m in CanteenMode::ALL {
            assert_eq!(CanteenMode::parse(m.as_str()), Some(m));
            assert_eq!(CanteenMode::parse(m.label()), Some(m));
        }
        for &s in MealService::ALL {
            assert_eq!(MealService::parse(s.as_str()), Some(s));
            assert_eq!(MealService::parse(s.label()), Some(s));
        }
        for &m in Meal::ALL {
            assert_eq!(Meal::parse(m.as_str()), Some(m));
            assert_eq!(Meal::parse(m.label()), Some(m));
        }
        assert_eq!(Meal::parse(" 午餐 "), Some(Meal::Lunch));
        assert_eq!(
            CanteenMode::parse("邻里互助"),
            Some(CanteenMode::NeighbourHelp)
        );
        assert_eq!(MealService::parse("外卖"), None);
    }

    #[test]
    fn the_most_generous_applicable_tier_is_chosen() {
        let tiers = default_tiers();
        assert_eq!(check_tiers(&tiers), Ok(()));
        let code = |d: Diner| tier_for(&tiers, &d).map(|t| t.code.as_str());
        // 特困 first, even at 85.
        assert_eq!(
            code(diner(85, Some(EconomicStatus::ExtremePoverty))),
            Some("extreme_poverty")
        );
        // Then 80 and over.
        assert_eq!(
            code(diner(85, Some(EconomicStatus::Ordinary))),
            Some("age_80")
        );
        assert_eq!(code(diner(80, None)), Some("age_80"));
        assert_eq!(code(diner(79, None)), Some("age_60"));
        // 低保 pays less than 80+ does, so it comes before.
        assert_eq!(code(diner(85, Some(EconomicStatus::Dibao))), Some("dibao"));
        assert_eq!(code(diner(59, Some(EconomicStatus::Ordinary))), None);
        assert_eq!(tier_for(&[], &diner(85, None)), None);
        // Each tier is at least as generous as the next for the person.
        for pair in tiers.windows(2) {
            assert!(pair[0].personal <= pair[1].personal, "{}", pair[1].code);
        }
    }

    #[test]
    fn a_split_adds_up_and_delivery_is_paid_by_the_person() {
        let tiers = default_tiers();
        let age_80 = tiers.iter().find(|t| t.code == "age_80").unwrap();
        let dine_in = split(age_80, MealService::DineIn);
        assert_eq!(
            dine_in,
            MealSplit {
                subsidy: Fen(800),
                personal: Fen(300),
                charity: Fen(100)
            }
        );
        assert_eq!(dine_in.total(), Fen(1200));
        let delivered = split(age_80, MealService::Delivered);
        assert_eq!(delivered.personal, Fen(600));
        assert_eq!(delivered.subsidy, dine_in.subsidy);
        assert_eq!(delivered.charity, dine_in.charity);
        assert_eq!(delivered.total(), Fen(1500));
        // Every default tier prices the meal at 12 yuan.
        for t in &tiers {
            assert_eq!(
                split(t, MealService::DineIn).total(),
                Fen(1200),
                "{}",
                t.code
            );
        }
        let extreme = &tiers[0];
        assert_eq!(split(extreme, MealService::Delivered).personal, Fen(0));
    }

    #[test]
    fn bad_tiers_are_refused_with_a_reason() {
        let mut tier = default_tiers().remove(1);
        tier.personal = Fen(-100);
        assert_eq!(
            tier.check(),
            Err("“低保对象”档次的个人支付不能为负数".into())
        );
        tier.personal = Fen(i64::MAX);
        assert_eq!(tier.check(), Err("“低保对象”档次的金额过大".into()));
        let mut tiers = default_tiers();
        tiers[2].code = "dibao".into();
        assert_eq!(check_tiers(&tiers), Err("档次编码“dibao”重复".into()));
    }

    #[test]
    fn conditions_label_themselves() {
        assert_eq!(TierCondition::AgeAtLeast(80).label(), "80 岁及以上");
        assert_eq!(
            TierCondition::EconomicStatus(EconomicStatus::Dibao).label(),
            "低保"
        );
        assert!(TierCondition::Any.applies(&diner(30, None)));
    }

    #[test]
    fn duplicate_claims_across_canteens_are_flagged() {
        let day = date("2024-03-01");
        let claim = |person, canteen, day, meal| Claim {
            person,
            canteen,
            day,
            meal,
        };
        let claims = [
            claim(1, 10, day, Meal::Lunch),
            claim(1, 11, day, Meal::Lunch), // same lunch at another canteen
            claim(1, 10, day, Meal::Dinner), // another meal: fine
            claim(2, 10, day, Meal::Lunch), // another person: fine
            claim(1, 10, date("2024-03-02"), Meal::Lunch), // another day: fine
            claim(1, 10, day, Meal::Lunch), // the same lunch a third time
        ];
        assert_eq!(duplicate_claims(&claims), vec![(1, 0), (5, 0)]);
        assert!(duplicate_claims(&claims[2..5]).is_empty());
        assert!(duplicate_claims(&[]).is_empty());
    }

    #[test]
    fn settlement_sums_each_part_and_refuses_overflow() {
        let tiers = default_tiers();
        let splits = [
            split(&tiers[0], MealService::DineIn),
            split(&tiers[3], MealService::Delivered),
            split(&tiers[4], MealService::DineIn),
        ];
        let s = settle(&splits).unwrap();
        assert_eq!(s.meals, 3);
        assert_eq!(s.subsidy, Fen(1200 + 800 + 600));
        assert_eq!(s.personal, Fen(600 + 500));
        assert_eq!(s.charity, Fen(200));
        assert_eq!(s.total(), Some(Fen(3900)));
        assert_eq!(settle(&[]), Some(Settlement::default()));

        let huge = MealSplit {
            subsidy: Fen(i64::MAX),
            personal: Fen(0),
            charity: Fen(0),
        };
        let one = MealSplit {
            subsidy: Fen(1),
            ..MealSplit::default()
        };
        assert_eq!(settle(&[huge, one]), None);
    }
}
