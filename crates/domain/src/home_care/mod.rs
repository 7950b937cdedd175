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

use crate::capability::CapabilityLevel;
use crate::coded::coded_enum;
use crate::date::CivilDate;
use crate::money::Fen;
use crate::register::EconomicStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Who pays what of one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderSplit {
    pub government: Fen,
    pub personal: Fen,
}

impl OrderSplit {
    pub fn total(&self) -> Option<Fen> {
        self.government.checked_add(self.personal)
    }
}

/// The price of `quantity` units, `None` on overflow.
pub fn price_of(item: &ServiceItem, quantity: u32) -> Option<Fen> {
    item.price.checked_mul(i64::from(quantity))
}

/// Splits an order's price: the part within what remains of the month's
/// entitlement is bought by the government, less the person's share of it
/// (rounded to the nearest fen, half up); the rest the person pays.
pub fn split_order(price: Fen, remaining: Fen, personal_share_per_mille: u32) -> OrderSplit {
    let price = price.0.max(0);
    let covered = price.min(remaining.0.max(0));
    let share = i64::from(personal_share_per_mille.min(1000));
    // covered ≤ price, and share ≤ 1000: covered * share fits unless the
    // price is beyond any real amount; saturate rather than wrap.
    let own_part = covered.saturating_mul(share).saturating_add(500) / 1000;
    let government = covered - own_part;
    OrderSplit {
        government: Fen(government),
        personal: Fen(price - government),
    }
}

// ---- the life of an order ----

/// The state an order moves to on `step`, or why it cannot (Chinese).
///
/// A dispatched order can be dispatched again (the provider turned it down,
/// or the operator overrides the suggestion); an accepted order can be given
/// to another caregiver. Checking out of an order nobody checked in to is
/// allowed, so that the visit is on record, and is flagged as an anomaly.
pub fn next_state(from: OrderState, step: Step) -> Result<OrderState, String> {
    use OrderState::*;
    let to = match (step, from) {
        (Step::Dispatch, Requested | Dispatched) => Dispatched,
        (Step::Accept, Dispatched | Accepted) => Accepted,
        (Step::CheckIn, Accepted) => OnSite,
        (Step::CheckOut, OnSite | Accepted) => Done,
        (Step::Rate, Done) => Rated,
        (Step::Cancel, Requested | Dispatched | Accepted) => Cancelled,
        _ => {
            return Err(format!(
                "工单当前为“{}”，不能{}",
                from.label(),
                step.label()
            ))
        }
    };
    Ok(to)
}

/// How long an order may stay in each state before it is late, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLimits {
    /// Requested → dispatched.
    pub dispatch: u32,
    /// Dispatched → accepted by a provider with a caregiver.
    pub accept: u32,
    /// Accepted → checked in, counted from the time the visit was booked for.
    pub check_in_after_scheduled: u32,
    /// On site → checked out, beyond the item's standard duration.
    pub check_out_over_standard: u32,
}

/// This project's defaults: dispatch within 2 hours of the call, accept
/// within 4 hours, arrive within an hour of the booked time, and leave within
/// 2 hours beyond the standard duration (a caregiver who forgot to check out).
pub const DEFAULT_TIME_LIMITS: TimeLimits = TimeLimits {
    dispatch: 120,
    accept: 240,
    check_in_after_scheduled: 60,
    check_out_over_standard: 120,
};

/// When an order's current state must have ended (Unix seconds), or `None`
/// for states with no limit (done, rated, cancelled).
pub fn deadline(
    state: OrderState,
    state_since: i64,
    scheduled_at: i64,
    standard_minutes: u32,
    limits: &TimeLimits,
) -> Option<i64> {
    let minutes = |m: u32| i64::from(m) * 60;
    match state {
        OrderState::Requested => Some(state_since + minutes(limits.dispatch)),
        OrderState::Dispatched => Some(state_since + minutes(limits.accept)),
        OrderState::Accepted => Some(scheduled_at + minutes(limits.check_in_after_scheduled)),
        OrderState::OnSite => {
            Some(state_since + minutes(standard_minutes) + minutes(limits.check_out_over_standard))
        }
        OrderState::Done | OrderState::Rated | OrderState::Cancelled => None,
    }
}

/// Whether an order is late at `now`.
pub fn is_late(
    state: OrderState,
    state_since: i64,
    scheduled_at: i64,
    standard_minutes: u32,
    limits: &TimeLimits,
    now: i64,
) -> bool {
    deadline(state, state_since, scheduled_at, standard_minutes, limits)
        .is_some_and(|due| now > due)
}

// ---- proof of service ----

/// A WGS-84 position in microdegrees, as facilities store theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub longitude_e6: i64,
    pub latitude_e6: i64,
}

impl GeoPoint {
    /// A point from degrees, if they are on the globe.
    pub fn from_degrees(longitude: f64, latitude: f64) -> Option<GeoPoint> {
        if !(longitude.is_finite() && latitude.is_finite())
            || longitude.abs() > 180.0
            || latitude.abs() > 90.0
        {
            return None;
        }
        Some(GeoPoint {
            longitude_e6: (longitude * 1e6).round() as i64,
            latitude_e6: (latitude * 1e6).round() as i64,
        })
    }
}

/// The great-circle distance in metres (haversine formula, on a sphere of
/// the mean Earth radius 6 371 008.8 m, IUGG). Within a city the error
/// against the ellipsoid is well under 1%, far finer than a phone's fix.
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const R: f64 = 6_371_008.8;
    let rad = |micro: i64| (micro as f64 / 1e6).to_radians();
    let (lat1, lat2) = (rad(a.latitude_e6), rad(b.latitude_e6));
    let dlat = lat2 - lat1;
    let dlon = rad(b.longitude_e6) - rad(a.longitude_e6);
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The thresholds of the anomaly rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyRules {
    /// A check-in farther than this from the person's home is flagged.
    pub far_from_home_m: u32,
    /// A visit shorter than this share (per mille) of the standard is flagged.
    pub min_duration_per_mille: u32,
}

/// This project's defaults: 500 m (a phone's fix in town is usually within
/// 50 m, in a village house under trees within a few hundred), and half the
/// standard duration.
pub const DEFAULT_ANOMALY_RULES: AnomalyRules = AnomalyRules {
    far_from_home_m: 500,
    min_duration_per_mille: 500,
};

/// Something about a visit that must be reviewed before it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Anomaly {
    /// Checked in this far from the person's home.
    FarFromHome { metres: u32 },
    /// On site this long, against the standard for the order.
    TooShort { minutes: u32, standard_minutes: u32 },
    /// Another order of the same person overlaps this one in time.
    Overlap { other_order: i64 },
    /// Checked out without having checked in.
    NoCheckIn,
}

impl Anomaly {
    pub fn code(&self) -> &'static str {
        match self {
            Anomaly::FarFromHome { .. } => "far_from_home",
            Anomaly::TooShort { .. } => "too_short",
            Anomaly::Overlap { .. } => "overlap",
            Anomaly::NoCheckIn => "no_check_in",
        }
    }

    /// What a reviewer reads.
    pub fn describe(&self) -> String {
        match self {
            Anomaly::FarFromHome { metres } => format!("签到位置距老人住址约 {metres} 米"),
            Anomaly::TooShort {
                minutes,
                standard_minutes,
            } => format!("服务时长 {minutes} 分钟，远短于标准 {standard_minutes} 分钟"),
            Anomaly::Overlap { other_order } => {
                format!("与同一老人的工单 {other_order} 服务时间重叠")
            }
            Anomaly::NoCheckIn => "未签到即签退".to_owned(),
        }
    }
}

/// Check-in far from home: flagged when both the home and the check-in
/// position are known and farther apart than the threshold. Without either
/// position there is nothing to judge (the page works without location).
pub fn far_from_home(
    home: Option<GeoPoint>,
    checked_in_at: Option<GeoPoint>,
    rules: &AnomalyRules,
) -> Option<Anomaly> {
    let d = distance_m(home?, checked_in_at?);
    (d > f64::from(rules.far_from_home_m)).then(|| Anomaly::FarFromHome {
        metres: d.round().min(f64::from(u32::MAX)) as u32,
    })
}

/// A visit much shorter than the standard: on site for less than the
/// rules' share of the standard duration. Needs both times.
pub fn too_short(
    check_in: Option<i64>,
    check_out: i64,
    standard_minutes: u32,
    rules: &AnomalyRules,
) -> Option<Anomaly> {
    let seconds = check_out.saturating_sub(check_in?).max(0);
    let needed = i64::from(standard_minutes) * 60 * i64::from(rules.min_duration_per_mille) / 1000;
    (seconds < needed).then(|| Anomaly::TooShort {
        minutes: u32::try_from(seconds / 60).unwrap_or(u32::MAX),
        standard_minutes,
    })
}

/// A check-out with no check-in.
pub fn no_check_in(check_in: Option<i64>) -> Option<Anomaly> {
    check_in.is_none().then_some(Anomaly::NoCheckIn)
}

/// An order's time on site (or, before the visit, its booked time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub order: i64,
    pub start: i64,
    pub end: i64,
}

/// Two orders for one person at one time: every other span (of the same
/// person) that overlaps `this` by more than touching ends.
pub fn overlaps(this: Span, others: &[Span]) -> Vec<Anomaly> {
    others
        .iter()
        .filter(|o| o.order != this.order && o.start < this.end && this.start < o.end)
        .map(|o| Anomaly::Overlap {
            other_order: o.order,
        })
        .collect()
}

/// What is known about a visit at check-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub order: i64,
    pub home: Option<GeoPoint>,
    pub check_in: Option<i64>,
    pub check_in_at: Option<GeoPoint>,
    pub check_out: i64,
    pub standard_minutes: u32,
}

/// Every anomaly of a finished visit, given the spans of the same person's
/// other live orders.
pub fn visit_anomalies(v: &Visit, others: &[Span], rules: &AnomalyRules) -> Vec<Anomaly> {
    let mut found = Vec::new();
    found.extend(no_check_in(v.check_in));
    found.extend(far_from_home(v.home, v.check_in_at, rules));
    found.extend(too_short(
        v.check_in,
        v.check_out,
        v.standard_minutes,
        rules,
    ));
    // Without a check-in the visit is taken to have lasted its standard time
    // up to the check-out, for the overlap test.
    let start = v
        .check_in
        .unwrap_or(v.check_out - i64::from(v.standard_minutes) * 60);
    found.extend(overlaps(
        Span {
            order: v.order,
            start,
            end: v.check_out,
        },
        others,
    ));
    found
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

// ---- quality ----

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

// ---- settlement ----

/// One finished order as the settlement sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettledOrder {
    pub split: OrderSplit,
    /// Flagged and not yet reviewed: its government part is held back.
    pub held: bool,
    /// Reviewed and found not genuine: its government part is not paid.
    pub rejected: bool,
}

/// A provider's month: every finished order counted in the totals; what the
/// bureau pays is the government part less what is held or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settlement {
    pub orders: u64,
    pub government: Fen,
    pub personal: Fen,
    pub held_orders: u64,
    pub held: Fen,
    pub rejected_orders: u64,
    pub rejected: Fen,
    pub payable: Fen,
}

/// Adds up a month's orders; `None` on overflow (only corrupt amounts can
/// cause it; a settlement is never silently wrapped).
pub fn settle(orders: &[SettledOrder]) -> Option<Settlement> {
    let mut s = Settlement::default();
    for o in orders {
        s.orders = s.orders.checked_add(1)?;
        s.government = s.government.checked_add(o.split.government)?;
        s.personal = s.personal.checked_add(o.split.personal)?;
        if o.rejected {
            s.rejected_orders += 1;
            s.rejected = s.rejected.checked_add(o.split.government)?;
        } else if o.held {
            s.held_orders += 1;
            s.held = s.held.checked_add(o.split.government)?;
        } else {
            s.payable = s.payable.checked_add(o.split.government)?;
        }
    }
    Some(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const HOME: GeoPoint = GeoPoint {
        longitude_e6: 112_080_000,
        latitude_e6: 22_940_000,
    };

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
    fn an_order_is_split_within_what_remains_of_the_month() {
        // Wholly within, no personal share.
        assert_eq!(
            split_order(Fen(8000), Fen(50_000), 0),
            OrderSplit {
                government: Fen(8000),
                personal: Fen(0)
            }
        );
        // Within, with a 10% share.
        assert_eq!(
            split_order(Fen(8000), Fen(50_000), 100),
            OrderSplit {
                government: Fen(7200),
                personal: Fen(800)
            }
        );
        // Partly beyond: 30 yuan left of the month.
        assert_eq!(
            split_order(Fen(8000), Fen(3000), 100),
            OrderSplit {
                government: Fen(2700),
                personal: Fen(5300)
            }
        );
        // Nothing left, or no entitlement: the person pays it all.
        assert_eq!(split_order(Fen(8000), Fen(0), 0).personal, Fen(8000));
        assert_eq!(split_order(Fen(8000), Fen(-5), 0).government, Fen(0));
        // Rounding half up to the fen: 15% of 3.33 yuan is 49.95 fen → 50.
        let s = split_order(Fen(333), Fen(10_000), 150);
        assert_eq!(
            s,
            OrderSplit {
                government: Fen(283),
                personal: Fen(50)
            }
        );
        for (price, left, share) in [(1, 1, 999), (12_345, 10_000, 333), (99, 100, 1000)] {
            assert_eq!(
                split_order(Fen(price), Fen(left), share).total(),
                Some(Fen(price))
            );
        }
    }

    #[test]
    fn orders_move_only_along_the_allowed_steps() {
        use OrderState::*;
        let mut s = Requested;
        for step in [
            Step::Dispatch,
            Step::Accept,
            Step::CheckIn,
            Step::CheckOut,
            Step::Rate,
        ] {
            s = next_state(s, step).unwrap();
        }
        assert_eq!(s, Rated);
        assert_eq!(next_state(Dispatched, Step::Dispatch), Ok(Dispatched));
        assert_eq!(next_state(Accepted, Step::CheckOut), Ok(Done));
        assert_eq!(next_state(Accepted, Step::Cancel), Ok(Cancelled));
        assert_eq!(
            next_state(Requested, Step::CheckIn),
            Err("工单当前为“待派单”，不能签到".into())
        );
        assert!(next_state(OnSite, Step::Cancel).is_err());
        assert!(next_state(Done, Step::Cancel).is_err());
        assert!(next_state(Cancelled, Step::Dispatch).is_err());
        assert!(next_state(Rated, Step::Rate).is_err());
    }

    #[test]
    fn each_state_has_its_time_limit() {
        let l = DEFAULT_TIME_LIMITS;
        let (since, booked) = (1_000_000, 2_000_000);
        assert_eq!(
            deadline(OrderState::Requested, since, booked, 60, &l),
            Some(since + 7200)
        );
        assert_eq!(
            deadline(OrderState::Dispatched, since, booked, 60, &l),
            Some(since + 4 * 3600)
        );
        assert_eq!(
            deadline(OrderState::Accepted, since, booked, 60, &l),
            Some(booked + 3600)
        );
        assert_eq!(
            deadline(OrderState::OnSite, since, booked, 60, &l),
            Some(since + 3 * 3600)
        );
        assert_eq!(deadline(OrderState::Done, since, booked, 60, &l), None);
        assert!(!is_late(
            OrderState::Requested,
            since,
            booked,
            60,
            &l,
            since + 7200
        ));
        assert!(is_late(
            OrderState::Requested,
            since,
            booked,
            60,
            &l,
            since + 7201
        ));
        assert!(!is_late(
            OrderState::Cancelled,
            since,
            booked,
            60,
            &l,
            i64::MAX
        ));
    }

    #[test]
    fn distances_are_haversine_metres() {
        // One degree of latitude is about 111.2 km.
        let north = GeoPoint {
            latitude_e6: HOME.latitude_e6 + 1_000_000,
            ..HOME
        };
        let d = distance_m(HOME, north);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        assert_eq!(distance_m(HOME, HOME), 0.0);
        // 0.001 degree of longitude at 22.94° N is about 102.5 m.
        let east = GeoPoint {
            longitude_e6: HOME.longitude_e6 + 1_000,
            ..HOME
        };
        assert!((distance_m(HOME, east) - 102.5).abs() < 1.0);
        assert_eq!(GeoPoint::from_degrees(112.08, 22.94), Some(HOME));
        assert_eq!(GeoPoint::from_degrees(200.0, 0.0), None);
        assert_eq!(GeoPoint::from_degrees(f64::NAN, 0.0), None);
    }

    #[test]
    fn a_check_in_far_from_home_is_flagged_and_a_near_one_is_not() {
        let rules = DEFAULT_ANOMALY_RULES;
        // About 2.2 km away.
        let far = GeoPoint {
            latitude_e6: HOME.latitude_e6 + 20_000,
            ..HOME
        };
        match far_from_home(Some(HOME), Some(far), &rules) {
            Some(Anomaly::FarFromHome { metres }) => assert!((2_200..2_250).contains(&metres)),
            other => panic!("{other:?}"),
        }
        // About 100 m away: a phone's fix at the door.
        let near = GeoPoint {
            latitude_e6: HOME.latitude_e6 + 900,
            ..HOME
        };
        assert_eq!(far_from_home(Some(HOME), Some(near), &rules), None);
        // No position from the phone, or no known home: nothing to judge.
        assert_eq!(far_from_home(Some(HOME), None, &rules), None);
        assert_eq!(far_from_home(None, Some(far), &rules), None);
    }

    #[test]
    fn a_visit_much_shorter_than_the_standard_is_flagged_and_a_full_one_is_not() {
        let rules = DEFAULT_ANOMALY_RULES;
        let t0 = 1_800_000_000;
        // Ten minutes of a sixty-minute bath.
        assert_eq!(
            too_short(Some(t0), t0 + 600, 60, &rules),
            Some(Anomaly::TooShort {
                minutes: 10,
                standard_minutes: 60
            })
        );
        // Thirty minutes is half: the threshold itself is not flagged.
        assert_eq!(too_short(Some(t0), t0 + 1800, 60, &rules), None);
        assert_eq!(too_short(Some(t0), t0 + 3900, 60, &rules), None);
        // No check-in: not this rule's business.
        assert_eq!(too_short(None, t0, 60, &rules), None);
    }

    #[test]
    fn two_orders_of_one_person_at_one_time_are_flagged_and_apart_are_not() {
        let this = Span {
            order: 1,
            start: 1000,
            end: 4600,
        };
        let others = [
            Span {
                order: 2,
                start: 4000,
                end: 7000,
            }, // overlaps the end
            Span {
                order: 3,
                start: 4600,
                end: 8000,
            }, // starts as this ends
            Span {
                order: 4,
                start: 0,
                end: 1000,
            }, // ends as this starts
            Span {
                order: 1,
                start: 1000,
                end: 4600,
            }, // itself
            Span {
                order: 5,
                start: 2000,
                end: 3000,
            }, // inside
        ];
        assert_eq!(
            overlaps(this, &others),
            vec![
                Anomaly::Overlap { other_order: 2 },
                Anomaly::Overlap { other_order: 5 }
            ]
        );
        assert!(overlaps(this, &others[1..4]).is_empty());
    }

    #[test]
    fn a_check_out_without_check_in_is_flagged_and_with_one_is_not() {
        assert_eq!(no_check_in(None), Some(Anomaly::NoCheckIn));
        assert_eq!(no_check_in(Some(1)), None);
    }

    #[test]
    fn a_visit_collects_all_its_anomalies_or_none() {
        let rules = DEFAULT_ANOMALY_RULES;
        let t0 = 1_800_000_000;
        let good = Visit {
            order: 7,
            home: Some(HOME),
            check_in: Some(t0),
            check_in_at: Some(HOME),
            check_out: t0 + 3600,
            standard_minutes: 60,
        };
        assert!(visit_anomalies(&good, &[], &rules).is_empty());
        let blind = Visit {
            check_in: None,
            check_in_at: None,
            ..good
        };
        let elsewhere = [Span {
            order: 8,
            start: t0 + 1800,
            end: t0 + 5400,
        }];
        let found = visit_anomalies(&blind, &elsewhere, &rules);
        assert_eq!(
            found,
            vec![Anomaly::NoCheckIn, Anomaly::Overlap { other_order: 8 }]
        );
        assert_eq!(found[0].describe(), "未签到即签退");
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

    #[test]
    fn a_settlement_adds_up_and_holds_flagged_orders() {
        let o = |g, p, held, rejected| SettledOrder {
            split: OrderSplit {
                government: Fen(g),
                personal: Fen(p),
            },
            held,
            rejected,
        };
        let s = settle(&[
            o(8000, 0, false, false),
            o(7200, 800, true, false),
            o(2700, 5300, false, true),
            o(0, 4000, false, false),
        ])
        .unwrap();
        assert_eq!(s.orders, 4);
        assert_eq!(s.government, Fen(8000 + 7200 + 2700));
        assert_eq!(s.personal, Fen(800 + 5300 + 4000));
        assert_eq!((s.held_orders, s.held), (1, Fen(7200)));
        assert_eq!((s.rejected_orders, s.rejected), (1, Fen(2700)));
        assert_eq!(s.payable, Fen(8000));
        assert_eq!(
            s.payable.0 + s.held.0 + s.rejected.0,
            s.government.0,
            "what is paid, held and refused makes up the government part"
        );
        assert_eq!(settle(&[]), Some(Settlement::default()));
        assert_eq!(
            settle(&[o(i64::MAX, 0, false, false), o(1, 0, false, false)]),
            None
        );
    }
}
