//! Yunfu's elder canteens (长者饭堂) as the scenario describes them: canteens
//! of every mode the city piloted — own kitchen with group meals and
//! delivery, a central kitchen's delivery point, meals run with a charity,
//! neighbour mutual help — in different towns, each with its diners from
//! the demo register, menus for last month to the end of this week, and the
//! meals of last month and of this month up to yesterday, priced by tier as
//! the counter prices them. Two diners of Antang are registered at two
//! canteens and one lunch of each is claimed at both: the settlement flags
//! them and holds their subsidy.

use kangyang_app::canteen::{diner_on, tiers};
use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::canteen::{split, tier_for, CanteenMode, Meal, MealService};
use kangyang_domain::facility::{EligibilityRule, FacilityKind};
use kangyang_domain::register::ELDERLY_AGE;
use kangyang_domain::{CivilDate, RegionCode, Scope};
use kangyang_store::canteen::{self as store, NewMeal};
use kangyang_store::facility::{self as facility, FacilityValues};
use kangyang_store::register::{self, ElderRow, PersonScope};
use kangyang_store::{kangyuan, regions, Tx};
use std::collections::HashSet;

/// The canteen the demo's staff account `shitang` works at.
pub const ANTANG_CANTEEN: &str = "安塘街道长者饭堂";

/// A canteen of the scenario.
struct Canteen {
    name: &'static str,
    town: &'static str,
    mode: CanteenMode,
    address: &'static str,
    operator: &'static str,
    /// (longitude, latitude) in degrees, near the town's seat.
    at: (f64, f64),
    diners: usize,
    /// Cooks supper too (晚餐), besides lunch.
    supper: bool,
    /// Open on weekdays only.
    weekdays_only: bool,
    /// Share of diners whose meals are delivered, in percent.
    delivered_percent: i64,
}

const CANTEENS: [Canteen; 5] = [
    Canteen {
        name: ANTANG_CANTEEN,
        town: "445302004",
        mode: CanteenMode::OwnKitchen,
        address: "云浮市云城区安塘街道安塘社区文化活动中心一楼",
        operator: "安塘街道办事处（自建厨房，集中用餐与送餐）",
        at: (112.082, 22.941),
        diners: 40,
        supper: true,
        weekdays_only: false,
        delivered_percent: 20,
    },
    Canteen {
        name: "安塘街道邻里互助餐点",
        town: "445302004",
        mode: CanteenMode::NeighbourHelp,
        address: "云浮市云城区安塘街道村民活动室",
        operator: "村老年协会（邻里互助）",
        at: (112.095, 22.952),
        diners: 10,
        supper: false,
        weekdays_only: true,
        delivered_percent: 0,
    },
    Canteen {
        name: "云城街道长者助餐配送点",
        town: "445302001",
        mode: CanteenMode::Delivery,
        address: "云浮市云城区云城街道中央厨房配送站",
        operator: "云城区中央厨房（配餐企业）",
        at: (112.044, 22.928),
        diners: 30,
        supper: false,
        weekdays_only: false,
        delivered_percent: 85,
    },
    Canteen {
        name: "新兴县新城镇爱心长者饭堂",
        town: "445321100",
        mode: CanteenMode::Charity,
        address: "云浮市新兴县新城镇社区服务中心",
        operator: "新兴县慈善会与爱心企业",
        at: (112.225, 22.696),
        diners: 30,
        supper: false,
        weekdays_only: true,
        delivered_percent: 10,
    },
    Canteen {
        name: "罗定市罗镜镇邻里互助长者餐桌",
        town: "445381100",
        mode: CanteenMode::NeighbourHelp,
        address: "云浮市罗定市罗镜镇墟镇老年活动中心",
        operator: "罗镜镇老年协会（邻里互助）",
        at: (111.470, 22.570),
        diners: 12,
        supper: false,
        weekdays_only: true,
        delivered_percent: 0,
    },
];

/// Antang's own kitchen and its neighbour-help point share two diners.
const SHARED: usize = 2;

const MAINS: [&str; 10] = [
    "清蒸鲩鱼",
    "土豆焖鸡",
    "肉末蒸水蛋",
    "豉汁蒸排骨",
    "冬菇蒸鸡",
    "番茄炒蛋",
    "肉碎蒸豆腐",
    "白切鸡",
    "马蹄蒸肉饼",
    "萝卜焖牛腩",
];
const GREENS: [&str; 8] = [
    "蒜蓉菜心",
    "清炒油麦菜",
    "上汤苋菜",
    "手撕椰菜",
    "蚝油生菜",
    "清炒丝瓜",
    "虾米炒冬瓜",
    "清炒芥兰",
];
const SOUPS: [&str; 7] = [
    "冬瓜排骨汤",
    "西红柿蛋花汤",
    "紫菜蛋花汤",
    "节瓜瘦肉汤",
    "青菜豆腐汤",
    "莲藕猪骨汤",
    "粉葛赤小豆汤",
];

fn roll(a: i64, b: i64) -> i64 {
    crate::roll(a, b, 60_013)
}

fn lunch(n: usize, c: usize) -> String {
    format!(
        "{}、{}、{}、米饭",
        MAINS[(n + c) % MAINS.len()],
        GREENS[(n * 3 + c) % GREENS.len()],
        SOUPS[(n + 2 * c) % SOUPS.len()]
    )
}

fn supper(n: usize, c: usize) -> String {
    format!(
        "{}、{}、白粥",
        MAINS[(n + c + 5) % MAINS.len()],
        GREENS[(n * 5 + c + 1) % GREENS.len()]
    )
}

fn is_weekday(day: CivilDate) -> bool {
    day.iso_weekday() <= 5
}

/// The days from `first` to `last`, both included.
fn days(first: CivilDate, last: CivilDate) -> Vec<CivilDate> {
    let mut out = Vec::new();
    let mut d = first;
    while d <= last {
        out.push(d);
        match d.add_days(1) {
            Some(next) => d = next,
            None => break,
        }
    }
    out
}

/// Creates the canteens with their diners, menus and meals, once: a
/// database that already has the Antang canteen is left alone. Returns the
/// Antang canteen's id (for the staff account).
pub async fn seed_canteens(app: &App) -> Result<i64> {
    if let Some(id) = canteen_id(app, ANTANG_CANTEEN).await? {
        return Ok(id);
    }
    let today = app.today();
    let yesterday = today
        .add_days(-1)
        .ok_or_else(|| AppError::internal("date"))?;
    // From the first of last month; menus to the end of this week.
    let end_of_last_month = today
        .add_days(-i64::from(today.day()))
        .ok_or_else(|| AppError::internal("date"))?;
    let first = CivilDate::new(end_of_last_month.year(), end_of_last_month.month(), 1)
        .map_err(AppError::internal)?;
    let sunday = today
        .add_days(7 - i64::from(today.iso_weekday()))
        .ok_or_else(|| AppError::internal("date"))?;
    let born_by = civil::years_before(today, ELDERLY_AGE as u16).to_string();
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let tiers = tiers(&mut tx).await?;
    // The two lunches claimed twice: the first two weekdays of last month.
    let flagged_days: Vec<CivilDate> = days(first, yesterday)
        .into_iter()
        .filter(|d| is_weekday(*d))
        .take(SHARED)
        .collect();
    let mut antang_diners: Vec<ElderRow> = Vec::new();
    let mut ids = Vec::new();
    let mut meals_added = 0;
    for (c, canteen) in CANTEENS.iter().enumerate() {
        let id = add_canteen(&mut tx, canteen, c, now).await?;
        ids.push(id);
        // The town's living elderly, in an order of their own per canteen.
        let town = RegionCode::parse(canteen.town).map_err(AppError::internal)?;
        let mut people: Vec<ElderRow> = register::born_by(
            &mut tx,
            &PersonScope::from(&Scope::Region { region: town }),
            &born_by,
        )
        .await?
        .into_iter()
        .filter(|p| p.status == "alive")
        .collect();
        people.sort_by_key(|p| (roll(p.id, c as i64), p.id));
        // Antang's neighbour-help point: people the canteen does not serve,
        // and two it does (registered at both: the double claims).
        let (diners, shared): (Vec<ElderRow>, Vec<i64>) = if c == 1 {
            let taken: HashSet<i64> = antang_diners.iter().map(|p| p.id).collect();
            let shared: Vec<ElderRow> = antang_diners.iter().take(SHARED).cloned().collect();
            let mut diners: Vec<ElderRow> = people
                .into_iter()
                .filter(|p| !taken.contains(&p.id))
                .take(canteen.diners.saturating_sub(shared.len()))
                .collect();
            let shared_ids = shared.iter().map(|p| p.id).collect();
            diners.extend(shared);
            (diners, shared_ids)
        } else {
            (
                people.into_iter().take(canteen.diners).collect(),
                Vec::new(),
            )
        };
        if c == 0 {
            antang_diners.clone_from(&diners);
        }
        // Menus, last month to the end of this week.
        let mut n = 0;
        for day in days(first, sunday) {
            if canteen.weekdays_only && !is_weekday(day) {
                continue;
            }
            n += 1;
            let d = day.to_string();
            store::set_menu(&mut tx, id, &d, Meal::Lunch.as_str(), &lunch(n, c)).await?;
            if canteen.supper {
                store::set_menu(&mut tx, id, &d, Meal::Dinner.as_str(), &supper(n, c)).await?;
            }
        }
        // Diners registered before the month began.
        for p in &diners {
            let start = first
                .add_days(-30 - roll(p.id, 11) * 3)
                .ok_or_else(|| AppError::internal("date"))?;
            kangyuan::enrol(&mut tx, id, p.id, &start.to_string(), None, now).await?;
        }
        // The meals: most diners most days; the shared two only on their day
        // at the neighbour-help point, and always that day at the canteen.
        let mut rows: Vec<(i64, String, Meal, MealService, String, [i64; 3])> = Vec::new();
        for day in days(first, yesterday) {
            if canteen.weekdays_only && !is_weekday(day) {
                continue;
            }
            let key = i64::from(day.day()) + 31 * i64::from(day.month());
            for p in &diners {
                let claimed_twice = antang_shared_day(&antang_diners, &flagged_days, p.id)
                    .is_some_and(|d| d == day);
                let eats = if shared.contains(&p.id) {
                    claimed_twice
                } else {
                    (c == 0 && claimed_twice) || roll(p.id, key) < 82
                };
                let mut meals = Vec::new();
                if eats {
                    meals.push(Meal::Lunch);
                }
                if canteen.supper && !shared.contains(&p.id) && roll(p.id, key + 500) < 25 {
                    meals.push(Meal::Dinner);
                }
                let diner = diner_on(&p.birth_date, p.economic_status.as_deref(), day)?;
                let Some(tier) = tier_for(&tiers, &diner) else {
                    continue;
                };
                let service = if roll(p.id, 7) < canteen.delivered_percent {
                    MealService::Delivered
                } else {
                    MealService::DineIn
                };
                let parts = split(tier, service);
                for meal in meals {
                    rows.push((
                        p.id,
                        day.to_string(),
                        meal,
                        service,
                        tier.code.clone(),
                        [parts.subsidy.0, parts.personal.0, parts.charity.0],
                    ));
                }
            }
        }
        let meals: Vec<NewMeal<'_>> = rows
            .iter()
            .map(|(person, day, meal, service, tier, [s, p, ch])| NewMeal {
                facility_id: id,
                person_id: *person,
                day,
                meal: meal.as_str(),
                service: service.as_str(),
                tier_code: tier,
                subsidy_fen: *s,
                personal_fen: *p,
                charity_fen: *ch,
                by: None,
            })
            .collect();
        store::add_meals(&mut tx, &meals, now).await?;
        meals_added += meals.len();
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.canteens",
        "facility",
        String::new(),
        serde_json::json!({ "canteens": ids.len(), "meals": meals_added }),
    )
    .await?;
    tx.commit().await?;
    Ok(ids[0])
}

/// The day a shared diner's lunch is claimed at both Antang canteens.
fn antang_shared_day(
    antang: &[ElderRow],
    flagged_days: &[CivilDate],
    person: i64,
) -> Option<CivilDate> {
    let i = antang.iter().take(SHARED).position(|p| p.id == person)?;
    flagged_days.get(i).copied()
}

async fn add_canteen(tx: &mut Tx, c: &Canteen, i: usize, now: i64) -> Result<i64> {
    let town = RegionCode::parse(c.town).map_err(AppError::internal)?;
    let villages: Vec<String> = regions::villages_under(tx, &town)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let id = facility::insert(
        tx,
        &FacilityValues {
            name: c.name.to_owned(),
            kind: FacilityKind::ElderCanteen.as_str().to_owned(),
            region_code: c.town.to_owned(),
            address: c.address.to_owned(),
            longitude_e6: Some((c.at.0 * 1e6) as i64),
            latitude_e6: Some((c.at.1 * 1e6) as i64),
            floor_area_m2: Some(if c.mode == CanteenMode::NeighbourHelp {
                40
            } else {
                120
            }),
            capacity: Some(c.diners as i64 + 10),
            opening_hours: if c.supper {
                "每天 11:00-12:30、17:00-18:00".to_owned()
            } else if c.weekdays_only {
                "周一至周五 11:00-12:30".to_owned()
            } else {
                "每天 11:00-12:30".to_owned()
            },
            operator: c.operator.to_owned(),
            contact_name: "饭堂负责人".to_owned(),
            contact_phone: format!("0766-88{:05}", 20_000 + i * 173),
            // Elder canteens serve people of 60 and over (老年人权益保障法 art. 2).
            eligibility: serde_json::to_string(&EligibilityRule {
                min_age: Some(ELDERLY_AGE),
                ..EligibilityRule::default()
            })
            .map_err(AppError::internal)?,
            opening_days: kangyang_domain::holidays::OpeningDays::MONDAY_TO_FRIDAY.code(),
        },
        now,
    )
    .await?;
    facility::set_villages(tx, id, &villages).await?;
    facility::add_site(tx, id, c.address, None, Some("2022-06-01"), "").await?;
    store::set_mode(tx, id, c.mode.as_str()).await?;
    Ok(id)
}

/// The id of a demo canteen of Yunfu by name.
pub async fn canteen_id(app: &App, name: &str) -> Result<Option<i64>> {
    let mut conn = app.store().read().await?;
    crate::facility_named(&mut conn, crate::YUNFU, FacilityKind::ElderCanteen, name).await
}
