//! Elder canteens (长者饭堂): the canteen's mode and menus, meals recorded for
//! its registered diners priced by tier (government subsidy, personal
//! payment, charity, in fen), and the monthly settlement a canteen submits
//! for its subsidy, with meals claimed twice flagged and their subsidy held.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::kangyuan::{check_enrolled_on, month_bounds, parse_month, record_day};
use crate::report_sheet::ReportSheet;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::canteen::{
    default_tiers, settle, split, tier_for, CanteenMode, Diner, Meal, MealService, MealSplit,
    PriceTier,
};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::life::{service_allowed_stored, Service};
use kangyang_domain::money::Fen;
use kangyang_domain::register::EconomicStatus;
use kangyang_domain::{Action, CivilDate};
use kangyang_store::canteen::{self as store, NewMeal};
use kangyang_store::facility::FacilityRow;
use kangyang_store::register::{self, PersonScope};
use rust_xlsxwriter::XlsxError;
use serde::{Deserialize, Serialize};

/// The facts that price a person's meal on `day` (the counter's and the
/// demo's meals alike).
pub fn diner_on(birth_date: &str, economic_status: Option<&str>, day: CivilDate) -> Result<Diner> {
    Ok(Diner {
        age: CivilDate::parse(birth_date)
            .map(|b| b.full_years_until(day))
            .map_err(AppError::internal)?,
        economic_status: economic_status.and_then(EconomicStatus::parse),
    })
}

/// Stores the default tiers on a new database.
pub(crate) async fn seed_tiers(app: &App) -> Result<()> {
    let tiers = default_tiers()
        .into_iter()
        .map(|t| {
            Ok((
                t.code.clone(),
                serde_json::to_string(&t).map_err(AppError::internal)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut conn = app.store().read().await?;
    store::seed_tiers(&mut conn, &tiers, app.now()).await?;
    Ok(())
}

/// The stored price tiers.
pub async fn tiers(conn: &mut kangyang_store::Conn) -> Result<Vec<PriceTier>> {
    store::tiers(conn)
        .await?
        .iter()
        .map(|b| serde_json::from_str(b).map_err(AppError::internal))
        .collect()
}

/// The canteen `id` in the actor's scope; any other facility is refused.
async fn scoped_canteen(app: &App, actor: &Actor, id: i64, action: &str) -> Result<FacilityRow> {
    let row = scoped_facility(app, actor, id, action).await?;
    if row.kind != FacilityKind::ElderCanteen.as_str() {
        return Err(AppError::invalid_field(
            "facility",
            "机构",
            "此机构不是长者饭堂",
        ));
    }
    Ok(row)
}

/// Sets how a canteen works (own kitchen, delivery, charity, neighbour help).
pub async fn set_mode(app: &App, actor: &Actor, facility_id: i64, mode: &str) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_canteen(app, actor, facility_id, "canteen.mode").await?;
    let mode = CanteenMode::parse(mode.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "mode",
            "模式",
            "应为自建厨房、中央厨房配送、慈善助餐或邻里互助",
        )
    })?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::set_mode(&mut tx, facility_id, mode.as_str()).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("canteen.mode", "facility", facility_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the dishes of one meal of one day (the week's menu is seven days of these).
pub async fn set_menu(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    day: &str,
    meal: &str,
    dishes: &str,
) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_canteen(app, actor, facility_id, "canteen.menu").await?;
    let day = CivilDate::parse(day.trim())
        .map_err(|_| AppError::invalid_field("day", "日期", "日期应为 YYYY-MM-DD"))?;
    let meal = Meal::parse(meal.trim())
        .ok_or_else(|| AppError::invalid_field("meal", "餐次", "应为早餐、午餐或晚餐"))?;
    let dishes = dishes.trim();
    if dishes.is_empty() || dishes.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "dishes",
            "菜式",
            "请填写菜式（200 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::set_menu(
        &mut tx,
        facility_id,
        &day.to_string(),
        meal.as_str(),
        dishes,
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("canteen.menu", "facility", facility_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A meal as recorded at the counter or on delivery.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MealInput {
    pub person_id: i64,
    pub day: String,
    /// breakfast, lunch or dinner
    pub meal: String,
    /// dine_in or delivered
    pub service: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MealPriced {
    pub id: i64,
    pub tier: String,
    pub subsidy: String,
    pub personal: String,
    pub charity: String,
}

/// Records a meal for a registered diner, priced by their tier on the day.
pub async fn record_meal(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    input: &MealInput,
) -> Result<MealPriced> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_canteen(app, actor, facility_id, "canteen.meal").await?;
    let day = record_day(app, "日期", &input.day).map_err(|e| e.keyed("day"))?;
    let meal = Meal::parse(input.meal.trim())
        .ok_or_else(|| AppError::invalid_field("meal", "餐次", "应为早餐、午餐或晚餐"))?;
    let service = MealService::parse(input.service.trim())
        .ok_or_else(|| AppError::invalid_field("service", "用餐方式", "应为堂食或送餐"))?;
    let mut conn = app.store().read().await?;
    check_enrolled_on(
        app,
        actor,
        &mut conn,
        facility_id,
        &day.to_string(),
        &[input.person_id],
        Service::Meal,
    )
    .await?;
    let person = register::get(&mut conn, &PersonScope::from(&actor.scope), input.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let diner = diner_on(&person.birth_date, person.economic_status.as_deref(), day)?;
    let tiers = tiers(&mut conn).await?;
    drop(conn);
    let tier = tier_for(&tiers, &diner).ok_or_else(|| {
        AppError::invalid_field("person_id", "助餐档次", "此人不属于任何助餐补贴档次")
    })?;
    let parts = split(tier, service);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_meal(
        &mut tx,
        &NewMeal {
            facility_id,
            person_id: input.person_id,
            day: &day.to_string(),
            meal: meal.as_str(),
            service: service.as_str(),
            tier_code: &tier.code,
            subsidy_fen: parts.subsidy.0,
            personal_fen: parts.personal.0,
            charity_fen: parts.charity.0,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await
    .map_err(|e| match e {
        kangyang_store::StoreError::Duplicate(_) => {
            AppError::Conflict("此人这一餐已在本饭堂登记".into())
        }
        e => e.into(),
    })?;
    let mut event = Event::ok("canteen.meal", "person", input.person_id.to_string());
    event.detail = serde_json::json!({ "facility": facility_id, "day": day.to_string(), "meal": meal.as_str() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(MealPriced {
        id,
        tier: tier.name.clone(),
        subsidy: parts.subsidy.yuan_string(),
        personal: parts.personal.yuan_string(),
        charity: parts.charity.yuan_string(),
    })
}

// ---- the counter, the week's menu and the mode, as the pages show them ----

/// A canteen's mode, `None` until one is set.
pub async fn mode_of(app: &App, actor: &Actor, facility_id: i64) -> Result<Option<CanteenMode>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_canteen(app, actor, facility_id, "canteen.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::mode(&mut conn, facility_id)
        .await?
        .as_deref()
        .and_then(CanteenMode::parse))
}

/// The meals a canteen serves on a day: lunch always, breakfast and supper
/// when that day's menu has them (a canteen that cooks supper puts it on
/// its menu).
fn meals_served(menu: &[(String, String, String)]) -> Vec<Meal> {
    Meal::ALL
        .iter()
        .copied()
        .filter(|m| *m == Meal::Lunch || menu.iter().any(|(_, meal, _)| meal == m.as_str()))
        .collect()
}

/// A meal's split in yuan, as shown next to a diner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SplitView {
    pub subsidy: String,
    pub personal: String,
    pub charity: String,
}

impl From<MealSplit> for SplitView {
    fn from(s: MealSplit) -> SplitView {
        SplitView {
            subsidy: s.subsidy.yuan_string(),
            personal: s.personal.yuan_string(),
            charity: s.charity.yuan_string(),
        }
    }
}

/// The meal recorded for a diner at the counter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedMeal {
    /// dine_in or delivered
    pub service: &'static str,
    pub service_label: &'static str,
    /// The split it was priced at when recorded.
    pub split: SplitView,
}

/// One diner's line at the counter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounterLine {
    pub person_id: i64,
    pub name: String,
    /// The tier that prices their meals; `None` when none applies, and then
    /// no subsidised meal can be recorded for them.
    pub tier: Option<String>,
    /// What a meal would be split into, eaten in and delivered.
    pub dine_in: Option<SplitView>,
    pub delivered: Option<SplitView>,
    pub recorded: Option<RecordedMeal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MealChoice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MenuItem {
    pub meal: &'static str,
    pub dishes: String,
}

/// The counter of one meal of one day: the menu, every diner enrolled that
/// day and what has been recorded, with the totals so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Counter {
    pub facility_id: i64,
    pub facility_name: String,
    pub mode: Option<&'static str>,
    pub day: String,
    pub is_today: bool,
    pub meal: &'static str,
    pub meal_label: &'static str,
    /// The meals the canteen serves that day.
    pub meals: Vec<MealChoice>,
    pub menu: Vec<MenuItem>,
    pub lines: Vec<CounterLine>,
    pub recorded: usize,
    pub dine_in: usize,
    pub delivered: usize,
    /// Totals of the meals recorded, in yuan.
    pub totals: SplitView,
}

/// The counter sheet of a day's meal (today's lunch when not given).
pub async fn counter(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    day: Option<&str>,
    meal: Option<&str>,
) -> Result<Counter> {
    app.require(actor, Action::ServiceRecord).await?;
    let canteen = scoped_canteen(app, actor, facility_id, "canteen.counter").await?;
    let day = match day.filter(|d| !d.trim().is_empty()) {
        Some(d) => record_day(app, "日期", d).map_err(|e| e.keyed("day"))?,
        None => app.today(),
    };
    let meal = match meal.filter(|m| !m.trim().is_empty()) {
        Some(m) => Meal::parse(m)
            .ok_or_else(|| AppError::invalid_field("meal", "餐次", "应为早餐、午餐或晚餐"))?,
        None => Meal::Lunch,
    };
    let d = day.to_string();
    let mut conn = app.store().read().await?;
    let menu = store::menus(&mut conn, facility_id, &d, &d).await?;
    let diners = store::diners_on(&mut conn, facility_id, &d).await?;
    let meals = store::meals_on(&mut conn, facility_id, &d, meal.as_str()).await?;
    let mode = store::mode(&mut conn, facility_id).await?;
    let tiers = tiers(&mut conn).await?;
    drop(conn);
    let mut lines = Vec::with_capacity(diners.len());
    let mut splits = Vec::new();
    let (mut dine_in, mut delivered) = (0, 0);
    for row in diners {
        let diner = diner_on(&row.birth_date, row.economic_status.as_deref(), day)?;
        let tier = tier_for(&tiers, &diner);
        let recorded = meals
            .iter()
            .find(|m| m.person_id == row.person_id)
            .map(|m| {
                let split = MealSplit {
                    subsidy: Fen(m.subsidy_fen),
                    personal: Fen(m.personal_fen),
                    charity: Fen(m.charity_fen),
                };
                splits.push(split);
                let service = MealService::parse(&m.service).unwrap_or(MealService::DineIn);
                match service {
                    MealService::DineIn => dine_in += 1,
                    MealService::Delivered => delivered += 1,
                }
                RecordedMeal {
                    service: service.as_str(),
                    service_label: service.label(),
                    split: split.into(),
                }
            });
        lines.push(CounterLine {
            person_id: row.person_id,
            name: row.name,
            tier: tier.map(|t| t.name.clone()),
            dine_in: tier.map(|t| split(t, MealService::DineIn).into()),
            delivered: tier.map(|t| split(t, MealService::Delivered).into()),
            recorded,
        });
    }
    let totals = settle(&splits)
        .ok_or_else(|| AppError::invalid_field("totals", "金额", "金额超出可记录的范围"))?;
    let mut served = meals_served(&menu);
    if !served.contains(&meal) {
        served.push(meal);
        served.sort();
    }
    let mut event = Event::ok("canteen.counter", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "day": d, "meal": meal.as_str(), "people": lines.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(Counter {
        facility_id,
        facility_name: canteen.name.clone(),
        mode: mode
            .as_deref()
            .and_then(CanteenMode::parse)
            .map(CanteenMode::label),
        is_today: day == app.today(),
        day: d,
        meal: meal.as_str(),
        meal_label: meal.label(),
        meals: served
            .into_iter()
            .map(|m| MealChoice {
                code: m.as_str(),
                label: m.label(),
            })
            .collect(),
        menu: menu
            .into_iter()
            .filter_map(|(_, m, dishes)| {
                Meal::parse(&m).map(|m| MenuItem {
                    meal: m.label(),
                    dishes,
                })
            })
            .collect(),
        recorded: dine_in + delivered,
        dine_in,
        delivered,
        totals: SplitView {
            subsidy: totals.subsidy.yuan_string(),
            personal: totals.personal.yuan_string(),
            charity: totals.charity.yuan_string(),
        },
        lines,
    })
}

/// Takes back a meal recorded by mistake (a wrong tap at the counter).
pub async fn cancel_meal(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    input: &MealInput,
) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_canteen(app, actor, facility_id, "canteen.meal_cancel").await?;
    let day = record_day(app, "日期", &input.day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    let meal = Meal::parse(input.meal.trim())
        .ok_or_else(|| AppError::invalid_field("meal", "餐次", "应为早餐、午餐或晚餐"))?;
    if input.person_id <= 0 {
        return Err(AppError::invalid_field(
            "person_id",
            "就餐人员",
            "请选择就餐人员",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::delete_meal(&mut tx, facility_id, input.person_id, &day, meal.as_str()).await? {
        return Err(AppError::NotFound);
    }
    let mut event = Event::ok("canteen.meal_cancel", "person", input.person_id.to_string());
    event.detail =
        serde_json::json!({ "facility": facility_id, "day": day, "meal": meal.as_str() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// One day of the week's menu.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MenuDay {
    pub day: String,
    pub weekday: &'static str,
    pub is_today: bool,
    pub breakfast: String,
    pub lunch: String,
    pub dinner: String,
}

/// A canteen's menu for the week (Monday to Sunday) around a day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeekMenu {
    pub facility_id: i64,
    pub facility_name: String,
    pub mode: Option<&'static str>,
    pub monday: String,
    pub previous_week: String,
    pub next_week: String,
    pub days: Vec<MenuDay>,
}

const WEEKDAYS: [&str; 7] = [
    "星期一",
    "星期二",
    "星期三",
    "星期四",
    "星期五",
    "星期六",
    "星期日",
];

fn menu_day(field: &str, s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim()).map_err(|_| AppError::unkeyed(field, "日期应为 YYYY-MM-DD"))
}

/// The week's menu (this week when no day is given). Menus are planned
/// ahead, so any week may be shown.
pub async fn week_menu(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    day: Option<&str>,
) -> Result<WeekMenu> {
    app.require(actor, Action::FacilityRead).await?;
    let canteen = scoped_canteen(app, actor, facility_id, "canteen.menu_read").await?;
    let today = app.today();
    let day = match day.filter(|d| !d.trim().is_empty()) {
        Some(d) => menu_day("日期", d).map_err(|e| e.keyed("day"))?,
        None => today,
    };
    let week_day = |n: i64| {
        day.add_days(n - i64::from(day.iso_weekday()) + 1)
            .ok_or_else(|| AppError::invalid_field("day", "日期", "日期超出范围"))
    };
    let monday = week_day(0)?;
    let sunday = week_day(6)?;
    let mut conn = app.store().read().await?;
    let menus = store::menus(
        &mut conn,
        facility_id,
        &monday.to_string(),
        &sunday.to_string(),
    )
    .await?;
    let mode = store::mode(&mut conn, facility_id).await?;
    drop(conn);
    let mut days = Vec::with_capacity(7);
    for (n, weekday) in WEEKDAYS.iter().enumerate() {
        let d = week_day(n as i64)?;
        let key = d.to_string();
        let dishes = |meal: Meal| {
            menus
                .iter()
                .find(|(day, m, _)| *day == key && m == meal.as_str())
                .map(|(_, _, dishes)| dishes.clone())
                .unwrap_or_default()
        };
        days.push(MenuDay {
            breakfast: dishes(Meal::Breakfast),
            lunch: dishes(Meal::Lunch),
            dinner: dishes(Meal::Dinner),
            is_today: d == today,
            weekday,
            day: key,
        });
    }
    Ok(WeekMenu {
        facility_id,
        facility_name: canteen.name.clone(),
        mode: mode
            .as_deref()
            .and_then(CanteenMode::parse)
            .map(CanteenMode::label),
        monday: monday.to_string(),
        previous_week: week_day(-7)?.to_string(),
        next_week: week_day(7)?.to_string(),
        days,
    })
}

/// A day's dishes as typed in the menu form: an empty meal is not served.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DayMenuInput {
    pub day: String,
    pub breakfast: String,
    pub lunch: String,
    pub dinner: String,
}

/// Sets a whole day's menu at once: each meal's dishes, an empty one taken
/// off the menu. All checked first, then written together.
pub async fn set_day_menu(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    input: &DayMenuInput,
) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_canteen(app, actor, facility_id, "canteen.menu").await?;
    let day = menu_day("日期", &input.day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    let meals = [
        (Meal::Breakfast, input.breakfast.trim()),
        (Meal::Lunch, input.lunch.trim()),
        (Meal::Dinner, input.dinner.trim()),
    ];
    for (meal, dishes) in meals {
        if dishes.chars().count() > 200 {
            return Err(AppError::invalid_field(
                meal.as_str(),
                format!("{}菜式", meal.label()),
                "菜式应在 200 字以内",
            ));
        }
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    for (meal, dishes) in meals {
        if dishes.is_empty() {
            store::clear_menu(&mut tx, facility_id, &day, meal.as_str()).await?;
        } else {
            store::set_menu(&mut tx, facility_id, &day, meal.as_str(), dishes).await?;
        }
    }
    let mut event = Event::ok("canteen.menu", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "day": day });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// One tier's line of the settlement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TierLine {
    pub tier: String,
    pub meals: u64,
    pub subsidy_fen: i64,
    pub personal_fen: i64,
    pub charity_fen: i64,
}

/// A meal claimed here and at another canteen for the same person, day and meal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlaggedMeal {
    pub name: String,
    pub day: String,
    pub meal: &'static str,
    pub subsidy_fen: i64,
    /// Why it is held: claimed at another canteen too, or dated after the
    /// diner's death or move.
    pub reason: String,
}

/// One diner's meals of the month, split three ways.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DinerLine {
    pub person_id: i64,
    pub name: String,
    pub meals: u64,
    pub subsidy_fen: i64,
    pub personal_fen: i64,
    pub charity_fen: i64,
    /// Of these meals, how many were also claimed at another canteen.
    pub flagged: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CanteenSettlement {
    pub canteen: String,
    pub month: String,
    pub lines: Vec<TierLine>,
    pub meals: u64,
    pub subsidy_fen: i64,
    pub personal_fen: i64,
    pub charity_fen: i64,
    /// Subsidy of flagged meals, held back until reviewed.
    pub held_fen: i64,
    /// The subsidy claimed: all subsidy less what is held.
    pub claimed_fen: i64,
    pub flagged: Vec<FlaggedMeal>,
    /// Each diner's meals, by name.
    pub diners: Vec<DinerLine>,
}

/// The month's settlement of a canteen: meals by tier and by diner, the
/// split totals, and meals also claimed elsewhere. Its names are read: audited.
pub async fn settlement(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    month: &str,
) -> Result<CanteenSettlement> {
    let s = settle_month(app, actor, facility_id, month).await?;
    let mut event = Event::ok("canteen.settlement", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "month": s.month, "diners": s.diners.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(s)
}

async fn settle_month(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    month: &str,
) -> Result<CanteenSettlement> {
    app.require(actor, Action::ServiceRecord).await?;
    let canteen = scoped_canteen(app, actor, facility_id, "canteen.settlement").await?;
    let (year, m) = parse_month(month)?;
    let (first, last) = month_bounds(year, m)?;
    let mut conn = app.store().read().await?;
    let meals = store::meals_between(
        &mut conn,
        facility_id,
        &first.to_string(),
        &last.to_string(),
    )
    .await?;
    let tiers = tiers(&mut conn).await?;
    drop(conn);
    let overflow = || AppError::invalid_field("totals", "金额", "金额超出可记录的范围");
    let settle = |parts: &[MealSplit]| settle(parts).ok_or_else(overflow);
    // The month's meals grouped by tier and by diner (in order of first
    // meal), each group added up by the domain's settlement.
    let mut all = Vec::with_capacity(meals.len());
    let mut by_tier: Vec<(String, Vec<MealSplit>)> = Vec::new();
    let mut by_diner: Vec<(i64, String, Vec<MealSplit>, u64)> = Vec::new();
    let mut flagged = Vec::new();
    let mut held = Fen(0);
    for row in &meals {
        let part = MealSplit {
            subsidy: Fen(row.subsidy_fen),
            personal: Fen(row.personal_fen),
            charity: Fen(row.charity_fen),
        };
        all.push(part);
        let tier_name = tiers
            .iter()
            .find(|t| t.code == row.tier_code)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| row.tier_code.clone());
        match by_tier.iter_mut().find(|(t, _)| *t == tier_name) {
            Some((_, parts)) => parts.push(part),
            None => by_tier.push((tier_name, vec![part])),
        }
        // A meal dated after the diner's death or move, entered before the
        // news arrived, is held (应退/待核) by the rule that refuses new ones.
        let after_life = CivilDate::parse(&row.day).ok().and_then(|day| {
            service_allowed_stored(&row.status, row.status_date.as_deref(), day, Service::Meal)
                .err()
        });
        let held_here = u64::from(row.elsewhere > 0 || after_life.is_some());
        match by_diner.iter_mut().find(|d| d.0 == row.person_id) {
            Some(d) => {
                d.2.push(part);
                d.3 += held_here;
            }
            None => by_diner.push((row.person_id, row.name.clone(), vec![part], held_here)),
        }
        if row.elsewhere > 0 || after_life.is_some() {
            held = held
                .checked_add(Fen(row.subsidy_fen))
                .ok_or_else(overflow)?;
            flagged.push(FlaggedMeal {
                name: row.name.clone(),
                day: row.day.clone(),
                meal: Meal::parse(&row.meal).map(Meal::label).unwrap_or(""),
                subsidy_fen: row.subsidy_fen,
                reason: match after_life {
                    Some(refused) => format!(
                        "应退/待核：{}后仍有登记",
                        refused
                            .date
                            .map(|d| format!("{d} {}", refused.status.event_label().unwrap_or("")))
                            .unwrap_or_else(|| refused.status.label().to_owned())
                    ),
                    None => "同日同餐在其他饭堂也有登记".to_owned(),
                },
            });
        }
    }
    let totals = settle(&all)?;
    let lines = by_tier
        .into_iter()
        .map(|(tier, parts)| {
            let s = settle(&parts)?;
            Ok(TierLine {
                tier,
                meals: s.meals,
                subsidy_fen: s.subsidy.0,
                personal_fen: s.personal.0,
                charity_fen: s.charity.0,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut diners = by_diner
        .into_iter()
        .map(|(person_id, name, parts, flagged)| {
            let s = settle(&parts)?;
            Ok(DinerLine {
                person_id,
                name,
                meals: s.meals,
                subsidy_fen: s.subsidy.0,
                personal_fen: s.personal.0,
                charity_fen: s.charity.0,
                flagged,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    diners.sort_by(|a, b| a.name.cmp(&b.name).then(a.person_id.cmp(&b.person_id)));
    Ok(CanteenSettlement {
        canteen: canteen.name.clone(),
        month: format!("{year}-{m:02}"),
        lines,
        meals: totals.meals,
        subsidy_fen: totals.subsidy.0,
        personal_fen: totals.personal.0,
        charity_fen: totals.charity.0,
        held_fen: held.0,
        claimed_fen: totals.subsidy.0 - held.0,
        flagged,
        diners,
    })
}

/// The settlement as the xlsx a canteen submits for its subsidy.
pub async fn settlement_xlsx(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    month: &str,
) -> Result<Vec<u8>> {
    let s = settle_month(app, actor, facility_id, month).await?;
    let bytes = settlement_workbook(&s).map_err(AppError::internal)?;
    let mut event = Event::ok(
        "canteen.settlement_export",
        "facility",
        facility_id.to_string(),
    );
    event.detail =
        serde_json::json!({ "month": s.month, "meals": s.meals, "flagged": s.flagged.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(bytes)
}

fn settlement_workbook(s: &CanteenSettlement) -> Result<Vec<u8>, XlsxError> {
    let mut sheet = ReportSheet::new("助餐补贴结算表")?;
    let headers = [
        "档次",
        "餐数",
        "政府补贴（元）",
        "个人支付（元）",
        "慈善捐助（元）",
    ];
    sheet.title(
        &format!("{} {} 长者助餐补贴结算表", s.canteen, s.month),
        headers.len() as u16,
    )?;
    sheet.headers(1, &headers)?;
    sheet.widths(&[(0, 16.0), (2, 14.0), (3, 14.0), (4, 14.0)])?;
    let mut row = 2u32;
    for l in &s.lines {
        sheet.text(row, 0, &l.tier)?;
        sheet.number(row, 1, l.meals as f64)?;
        sheet.yuan(row, 2, l.subsidy_fen)?;
        sheet.yuan(row, 3, l.personal_fen)?;
        sheet.yuan(row, 4, l.charity_fen)?;
        row += 1;
    }
    sheet.label(row, 0, "合计")?;
    sheet.total(row, 1, s.meals as f64)?;
    sheet.yuan(row, 2, s.subsidy_fen)?;
    sheet.yuan(row, 3, s.personal_fen)?;
    sheet.yuan(row, 4, s.charity_fen)?;
    row += 1;
    sheet.label(row, 0, "待核暂扣补贴")?;
    sheet.yuan(row, 2, s.held_fen)?;
    row += 1;
    sheet.label(row, 0, "本月申请补贴")?;
    sheet.yuan(row, 2, s.claimed_fen)?;
    row += 2;
    if !s.flagged.is_empty() {
        sheet.note(row, 0, "同一人同日同餐在其他饭堂也有登记（待核）：")?;
        row += 1;
        for f in &s.flagged {
            sheet.note(row, 0, &f.name)?;
            sheet.note(row, 1, &f.day)?;
            sheet.note(row, 2, f.meal)?;
            sheet.note(row, 3, &f.reason)?;
            row += 1;
        }
        row += 1;
    }
    sheet.note(
        row,
        0,
        "饭堂负责人：　　　　　　经办人：　　　　　　审核（民政）：",
    )?;
    sheet.finish()
}

/// A canteen with meals of this month held for review (claimed at another
/// canteen too, or dated after the diner's death or move).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CanteenToReview {
    pub facility_id: i64,
    pub name: String,
    pub month: String,
    /// How many meals are held.
    pub held_meals: usize,
    /// Their subsidy, held back from the claim until reviewed.
    pub held_fen: i64,
}

/// The canteens of the actor's scope with meals held for review this month,
/// for the workbench. Only counts and sums leave here, no diner's name, so
/// reading it is not a settlement read (that is audited on the canteen's
/// own settlement page, where the meals are reviewed).
pub async fn to_review(app: &App, actor: &Actor) -> Result<Vec<CanteenToReview>> {
    app.require(actor, Action::ServiceRecord).await?;
    let today = app.today();
    let month = format!("{}-{:02}", today.year(), today.month());
    let canteens = {
        let mut conn = app.store().read().await?;
        kangyang_store::facility::list(
            &mut conn,
            &kangyang_store::facility::FacilityScope::from(&actor.scope),
            Some(FacilityKind::ElderCanteen.as_str()),
            None,
        )
        .await?
    };
    let mut out = Vec::new();
    for c in canteens {
        let s = settle_month(app, actor, c.id, &month).await?;
        if !s.flagged.is_empty() {
            out.push(CanteenToReview {
                facility_id: c.id,
                name: c.values.name.clone(),
                month: month.clone(),
                held_meals: s.flagged.len(),
                held_fen: s.held_fen,
            });
        }
    }
    Ok(out)
}
