//! Quality: which finished orders the quality centre calls back, and
//! providers' scores through the assessment engine.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which finished orders the quality centre calls back: every order with an
/// anomaly or a low rating (2 stars or fewer), and a share (per mille,
/// rounded up) of the rest, picked by a deterministic shuffle of `seed` so
/// that the same month gives the same sample. Returns order ids, sorted.
pub fn callback_sample(orders: &[(i64, bool)], per_mille: u32, seed: u64) -> Vec<i64> {
    let mut picked: Vec<i64> = orders.iter().filter(|o| o.1).map(|o| o.0).collect();
    let mut rest: Vec<i64> = orders.iter().filter(|o| !o.1).map(|o| o.0).collect();
    let want = (rest.len() as u64 * u64::from(per_mille.min(1000))).div_ceil(1000) as usize;
    let mix = |id: i64| {
        // splitmix64 of (id, seed): a fixed, well-spread order.
        let mut z = (id as u64) ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    rest.sort_by_key(|&id| (mix(id), id));
    picked.extend(rest.into_iter().take(want));
    picked.sort_unstable();
    picked.dedup();
    picked
}

/// A provider's figures for a period, from which its score is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProviderMetrics {
    /// Orders finished (done or rated).
    pub finished: u32,
    /// Finished orders that were never late in any state.
    pub on_time: u32,
    /// Finished orders with no anomaly.
    pub clean: u32,
    pub ratings: u32,
    /// Sum of stars (1-5) of the ratings.
    pub stars: u32,
    pub complaints: u32,
    pub callbacks: u32,
    /// Call-backs where the person confirmed the service and was satisfied.
    pub callbacks_confirmed: u32,
}

/// The code of the provider-score template in the assessment engine.
pub const PROVIDER_TEMPLATE: &str = "home_care_provider";

/// The assessment-engine template for home-care providers: five criteria
/// that [`provider_scores`] fills from the period's figures (weights are this
/// project's judgement: satisfaction first, then proof and punctuality).
pub fn provider_template() -> crate::assessment::Template {
    use crate::assessment::{Criterion, CriterionGroup, Template, Threshold};
    let c = |code: &str, text: &str, max_score| Criterion {
        code: code.to_owned(),
        text: text.to_owned(),
        max_score,
    };
    let t = |min_total, result: &str, label: &str| Threshold {
        min_total,
        result: result.to_owned(),
        label: label.to_owned(),
    };
    Template {
        code: PROVIDER_TEMPLATE.to_owned(),
        name: "居家养老服务机构月度服务质量评分".to_owned(),
        groups: vec![
            CriterionGroup {
                name: "服务对象评价".to_owned(),
                criteria: vec![
                    c("satisfaction", "满意度（平均星级）", 30),
                    c("complaints", "投诉率（每百单）", 15),
                    c("callbacks", "回访核实属实且满意", 15),
                ],
            },
            CriterionGroup {
                name: "服务过程".to_owned(),
                criteria: vec![
                    c("on_time", "派单、接单、到达、签退均在时限内", 20),
                    c("proof", "签到签退无异常", 20),
                ],
            },
        ],
        thresholds: vec![
            t(60, "pass", "合格"),
            t(75, "good", "良好"),
            t(90, "excellent", "优秀"),
        ],
    }
}

/// The score sheet of a provider's period for [`provider_template`]. A
/// criterion with nothing to judge (no ratings, no call-backs) gets half its
/// points: not yet shown good, not shown bad.
pub fn provider_scores(m: &ProviderMetrics) -> BTreeMap<String, u32> {
    let share = |part: u32, whole: u32, max: u32| -> u32 {
        if whole == 0 {
            max / 2
        } else {
            ((u64::from(part.min(whole)) * u64::from(max) + u64::from(whole) / 2)
                / u64::from(whole)) as u32
        }
    };
    let satisfaction = if m.ratings == 0 {
        15
    } else {
        // Average stars 1..5 onto 0..30.
        let above_one = u64::from(m.stars.saturating_sub(m.ratings));
        ((above_one * 30 + u64::from(m.ratings) * 2) / (u64::from(m.ratings) * 4)).min(30) as u32
    };
    // Full marks with no complaint; none at 5 or more complaints per 100 orders.
    let complaints = if m.finished == 0 {
        if m.complaints == 0 {
            15
        } else {
            0
        }
    } else {
        let per_100_x100 = u64::from(m.complaints) * 10_000 / u64::from(m.finished);
        15u64.saturating_sub(per_100_x100 * 15 / 500) as u32
    };
    BTreeMap::from([
        ("satisfaction".to_owned(), satisfaction),
        ("complaints".to_owned(), complaints),
        (
            "callbacks".to_owned(),
            share(m.callbacks_confirmed, m.callbacks, 15),
        ),
        ("on_time".to_owned(), share(m.on_time, m.finished, 20)),
        ("proof".to_owned(), share(m.clean, m.finished, 20)),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn call_backs_take_every_flagged_order_and_a_share_of_the_rest() {
        let orders: Vec<(i64, bool)> = (1..=40).map(|id| (id, id % 10 == 0)).collect();
        let sample = callback_sample(&orders, 100, 2026 * 100 + 3);
        for flagged in [10, 20, 30, 40] {
            assert!(sample.contains(&flagged));
        }
        // 36 clean orders at 10%, rounded up: 4 more.
        assert_eq!(sample.len(), 8);
        assert_eq!(
            sample,
            callback_sample(&orders, 100, 2026 * 100 + 3),
            "repeatable"
        );
        assert_ne!(
            sample,
            callback_sample(&orders, 100, 2026 * 100 + 4),
            "another month, another sample"
        );
        assert!(callback_sample(&[], 100, 1).is_empty());
        assert_eq!(callback_sample(&orders, 1000, 1).len(), 40);
    }

    #[test]
    fn provider_scores_reward_satisfaction_proof_and_punctuality() {
        let template = provider_template();
        assert_eq!(template.validate(), Ok(()));
        let perfect = ProviderMetrics {
            finished: 100,
            on_time: 100,
            clean: 100,
            ratings: 50,
            stars: 250,
            complaints: 0,
            callbacks: 10,
            callbacks_confirmed: 10,
        };
        let scored = template.score(&provider_scores(&perfect)).unwrap();
        assert_eq!(scored.total, 100);
        assert_eq!(scored.result.unwrap().result, "excellent");
        let poor = ProviderMetrics {
            finished: 100,
            on_time: 50,
            clean: 70,
            ratings: 20,
            stars: 50, // 2.5 stars on average
            complaints: 5,
            callbacks: 10,
            callbacks_confirmed: 6,
        };
        let scores = provider_scores(&poor);
        assert_eq!(scores["satisfaction"], 11);
        assert_eq!(scores["complaints"], 0);
        assert_eq!(scores["on_time"], 10);
        assert_eq!(scores["proof"], 14);
        assert_eq!(scores["callbacks"], 9);
        let scored = template.score(&scores).unwrap();
        assert_eq!(scored.total, 44);
        assert_eq!(scored.result, None);
        // Nothing to judge yet: half marks, no division by zero.
        let empty = provider_scores(&ProviderMetrics::default());
        assert_eq!(template.score(&empty).unwrap().total, 15 + 15 + 7 + 10 + 10);
    }
}
