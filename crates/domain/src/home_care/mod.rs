//! Home-care service orders (居家养老上门服务): the catalogue of items, who is
//! entitled to how much government-purchased service a month, the life of an
//! order with its time limits, the anomalies that hold an order back from
//! payment, call-back sampling, provider scores and the monthly settlement.
//!
//! Policy basis:
//! - 中共中央办公厅 国务院办公厅《关于推进基本养老服务体系建设的意见》(2023)
//!   and its 国家基本养老服务清单 put home visiting services for elderly in
//!   economic hardship who have lost capability at the front of basic care;
//!   民政部 财政部 居家和社区基本养老服务提升行动项目 (from 2023) funds home
//!   services (居家养老上门服务) for 经济困难的失能、部分失能老年人. Who is
//!   entitled is therefore data keyed on economic status, capability level
//!   (GB/T 42195-2022), age and living alone; see [`default_entitlements`].
//! - GB/T 43153-2023《居家养老上门服务基本规范》 is the national standard for
//!   home visiting services: the kinds of service (life care, basic care,
//!   health, visiting, emotional support, errands), the provider's duties, and
//!   a service record of each visit. The catalogue below follows its kinds.
//!
//! The amounts, prices, standard durations, time limits and thresholds are
//! this project's own defaults, chosen to be plausible for a prefecture-level
//! city in Guangdong; a county replaces them with its own figures (they are
//! stored as data and seeded from these functions).
//!
//! This file holds the catalogue and the coded values every part shares;
//! `clients` (entitlement, care plans), `orders` (price split, life, proof of
//! service), `quality` (call-backs, provider scores) and `settlement` hold the
//! rest, the same names as in store and app.

use crate::coded::coded_enum;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

mod clients;
mod orders;
mod quality;
mod settlement;

// The concept's one public face: callers name `home_care::X` whichever file X lives in.
pub use clients::*;
pub use orders::*;
pub use quality::*;
pub use settlement::*;

coded_enum!(
    /// How a service item is counted.
    ServiceUnit {
        Visit = "visit", "次";
        Hour = "hour", "小时";
    }
);

coded_enum!(
    /// Where an order came from.
    Channel {
        Hotline = "hotline", "养老服务热线";
        SocialWorker = "social_worker", "社工转介";
        Family = "family", "家属申请";
        CarePlan = "care_plan", "照护计划";
    }
);

coded_enum!(
    /// The life of an order: requested → dispatched → accepted → on site →
    /// done → rated, or cancelled with a reason.
    OrderState {
        Requested = "requested", "待派单";
        Dispatched = "dispatched", "已派单";
        Accepted = "accepted", "已接单";
        OnSite = "on_site", "服务中";
        Done = "done", "已完成";
        Rated = "rated", "已评价";
        Cancelled = "cancelled", "已取消";
    }
);

coded_enum!(
    /// What moves an order on.
    Step {
        Dispatch = "dispatch", "派单";
        Accept = "accept", "接单";
        CheckIn = "check_in", "签到";
        CheckOut = "check_out", "签退";
        Rate = "rate", "评价";
        Cancel = "cancel", "取消";
    }
);

coded_enum!(
    /// What a reviewer decided about a flagged order.
    ReviewOutcome {
        Confirmed = "confirmed", "核实属实，予以结算";
        Rejected = "rejected", "核实不实，不予结算";
    }
);

/// One item of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceItem {
    pub code: String,
    pub name: String,
    /// The GB/T 43153-2023 kind it belongs to, e.g. 生活照料.
    pub kind: String,
    pub unit: ServiceUnit,
    /// The price of one unit.
    pub price: Fen,
    /// How long one unit takes when done properly: the yardstick of a visit
    /// "much shorter than the standard".
    pub standard_minutes: u32,
}

impl ServiceItem {
    /// Checks an item typed or edited by a user; the message is shown to them.
    pub fn check(&self) -> Result<(), String> {
        if self.code.trim().is_empty() || self.name.trim().is_empty() {
            return Err("服务项目的编码和名称不能为空".into());
        }
        if self.price.0 <= 0 {
            return Err(format!("“{}”的单价应大于 0", self.name));
        }
        if self.standard_minutes == 0 || self.standard_minutes > 24 * 60 {
            return Err(format!("“{}”的标准时长应在 1 到 1440 分钟之间", self.name));
        }
        Ok(())
    }
}

/// The items a new deployment starts with (kinds after GB/T 43153-2023;
/// prices and durations are this project's defaults).
pub fn default_catalogue() -> Vec<ServiceItem> {
    let item = |code: &str, name: &str, kind: &str, unit, yuan: i64, minutes| ServiceItem {
        code: code.to_owned(),
        name: name.to_owned(),
        kind: kind.to_owned(),
        unit,
        price: Fen::from_yuan(yuan),
        standard_minutes: minutes,
    };
    use ServiceUnit::{Hour, Visit};
    vec![
        item("meal_delivery", "助餐送餐", "生活照料", Visit, 10, 20),
        item("cleaning", "助洁（居室清洁）", "生活照料", Hour, 40, 60),
        item("bathing", "助浴", "生活照料", Visit, 80, 60),
        item("personal_care", "起居照料", "基础照护", Hour, 50, 60),
        item("rehabilitation", "康复护理", "基础照护", Visit, 80, 45),
        item(
            "medical_visit",
            "上门巡诊（助医）",
            "健康管理",
            Visit,
            60,
            30,
        ),
        item("companionship", "陪伴慰藉", "精神慰藉", Hour, 30, 60),
        item("errands", "代购代办", "委托代办", Visit, 20, 30),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn coded_values_round_trip() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(*s));
            assert_eq!(OrderState::parse(s.label()), Some(*s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Step::parse("签到"), Some(Step::CheckIn));
        assert_eq!(
            ReviewOutcome::parse("confirmed"),
            Some(ReviewOutcome::Confirmed)
        );
        assert_eq!(ServiceUnit::parse("小时"), Some(ServiceUnit::Hour));
    }

    #[test]
    fn the_default_catalogue_and_rules_are_valid() {
        for item in default_catalogue() {
            assert_eq!(item.check(), Ok(()), "{}", item.code);
        }
        for rule in default_entitlements() {
            assert_eq!(rule.check(), Ok(()), "{}", rule.code);
        }
        let rules = default_entitlements();
        for pair in rules.windows(2) {
            assert!(pair[0].monthly >= pair[1].monthly, "most generous first");
        }
        let mut bad = default_catalogue().remove(0);
        bad.price = Fen(0);
        assert!(bad.check().unwrap_err().contains("单价"));
        let mut bad_rule = default_entitlements().remove(0);
        bad_rule.personal_share_per_mille = 1001;
        assert!(bad_rule.check().is_err());
    }
}
