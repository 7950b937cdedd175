//! Home-care service orders (居家养老上门服务): the government buys service
//! for elderly people in need, providers send caregivers to their homes, and
//! the bureau pays once it knows the service happened.
//!
//! Who does what (no new roles or permissions: the existing ones, and the
//! facility a user is bound to, say it all):
//! - the hotline operator (an official, or staff of the city's home-care
//!   quality guidance centre) and social workers take requests
//!   (`PersonWrite`); operators dispatch them to a provider (`ServiceRecord`);
//! - a provider is a facility of kind `home_care_centre`; its staff see only
//!   the orders dispatched to it, assign a caregiver and, as caregivers,
//!   check in and out on the phone page (`ServiceRecord`);
//! - the person or family rates the service through the hotline or a
//!   call-back, complaints become cases, the quality centre samples finished
//!   orders for call-backs; officials review flagged orders and score
//!   providers through the assessment engine (`FacilityManage`);
//! - each provider's month is settled: government and personal parts in fen,
//!   flagged orders held back until reviewed.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::kangyuan::{month_bounds, parse_month};
use crate::report_sheet::ReportSheet;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::capability::CapabilityLevel;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::home_care::{
    self as rules, callback_sample, default_catalogue, default_entitlements, entitlement_for,
    is_late, next_state, plan_month, price_of, provider_scores, provider_template, split_order,
    visit_anomalies, Anomaly, Channel, Elder, EntitlementRule, GeoPoint, OrderState, PlanLine,
    ProviderMetrics, ReviewOutcome, ServiceItem, SettledOrder, Span, Step, Visit,
    DEFAULT_ANOMALY_RULES, DEFAULT_TIME_LIMITS, PROVIDER_TEMPLATE,
};
use kangyang_domain::money::Fen;
use kangyang_domain::register::{EconomicStatus, LivingSituation, ELDERLY_AGE};
use kangyang_domain::{Action, CivilDate, IdNumber, Scope};
use kangyang_store::facility::{FacilityRow, FacilityScope};
use kangyang_store::home_care::{self as store, OrderFilter, OrderRow, OrderScope, StepColumns};
use kangyang_store::register::{self, PersonRow, PersonScope};
use kangyang_store::Conn;
use rust_xlsxwriter::XlsxError;
use serde::{Deserialize, Serialize};

// ---- seeding, catalogue and rules ----

/// Stores the default catalogue, entitlement rules and provider-score
/// template on a database that lacks them.
pub(crate) async fn seed(app: &App) -> Result<()> {
    let items = default_catalogue()
        .iter()
        .map(|i| Ok((i.code.clone(), to_json(i)?)))
        .collect::<Result<Vec<_>>>()?;
    let entitlements = default_entitlements()
        .iter()
        .map(|r| Ok((r.code.clone(), to_json(r)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut conn = app.store().read().await?;
    store::seed_items(&mut conn, &items, app.now()).await?;
    store::seed_entitlements(&mut conn, &entitlements, app.now()).await?;
    let template = provider_template();
    if kangyang_store::assessment::template(&mut conn, &template.code)
        .await?
        .is_none()
    {
        let body = serde_json::to_string(&template).map_err(AppError::internal)?;
        kangyang_store::assessment::put_template(
            &mut conn,
            &template.code,
            &template.name,
            &body,
            app.now(),
        )
        .await?;
    }
    Ok(())
}

fn to_json(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(AppError::internal)
}

async fn catalogue(conn: &mut Conn) -> Result<Vec<ServiceItem>> {
    store::items(conn)
        .await?
        .iter()
        .map(|b| serde_json::from_str(b).map_err(AppError::internal))
        .collect()
}

async fn entitlement_rules(conn: &mut Conn) -> Result<Vec<EntitlementRule>> {
    store::entitlements(conn)
        .await?
        .iter()
        .map(|b| serde_json::from_str(b).map_err(AppError::internal))
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub unit: &'static str,
    pub price: String,
    pub price_fen: i64,
    pub standard_minutes: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntitlementView {
    pub code: String,
    pub name: String,
    /// Who it applies to, in words.
    pub applies: String,
    pub monthly: String,
    pub monthly_fen: i64,
    /// The share of each order within the amount the person pays, e.g. "10%".
    pub personal_share: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogueView {
    pub items: Vec<ItemView>,
    /// Most generous first: the first that applies to a person is theirs.
    pub entitlements: Vec<EntitlementView>,
    /// Minutes an order may stay requested, dispatched, booked-but-not-
    /// arrived and on site beyond the standard.
    #[schema(value_type = Object)]
    pub time_limits: rules::TimeLimits,
    #[schema(value_type = Object)]
    pub anomaly_rules: rules::AnomalyRules,
}

fn item_view(i: &ServiceItem) -> ItemView {
    ItemView {
        code: i.code.clone(),
        name: i.name.clone(),
        kind: i.kind.clone(),
        unit: i.unit.label(),
        price: i.price.yuan_string(),
        price_fen: i.price.0,
        standard_minutes: i.standard_minutes,
    }
}

fn entitlement_view(r: &EntitlementRule) -> EntitlementView {
    EntitlementView {
        code: r.code.clone(),
        name: r.name.clone(),
        applies: r.applies.describe(),
        monthly: r.monthly.yuan_string(),
        monthly_fen: r.monthly.0,
        personal_share: kangyang_domain::money::percent_string(i64::from(
            r.personal_share_per_mille,
        )),
    }
}

/// The service items, the entitlement rules, time limits and anomaly rules.
pub async fn catalogue_view(app: &App, actor: &Actor) -> Result<CatalogueView> {
    app.require(actor, Action::FacilityRead).await?;
    let mut conn = app.store().read().await?;
    Ok(CatalogueView {
        items: catalogue(&mut conn).await?.iter().map(item_view).collect(),
        entitlements: entitlement_rules(&mut conn)
            .await?
            .iter()
            .map(entitlement_view)
            .collect(),
        time_limits: DEFAULT_TIME_LIMITS,
        anomaly_rules: DEFAULT_ANOMALY_RULES,
    })
}

// ---- who the actor is to home care ----

/// What the actor's facility binding makes them in home care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desk {
    /// Not bound to a facility: an official (the hotline) or viewer.
    Bureau,
    /// Staff of the city's home-care quality guidance centre.
    Quality,
    /// Staff (caregivers among them) of a home-care provider.
    Provider(i64),
    /// Bound to another facility, e.g. a social work station.
    Other,
}

async fn desk(app: &App, actor: &Actor) -> Result<Desk> {
    let Some(f) = actor.scope.facility_id() else {
        return Ok(Desk::Bureau);
    };
    let mut conn = app.store().read().await?;
    let kind = store::facility_kind(&mut conn, f).await?;
    Ok(match kind.as_deref().and_then(FacilityKind::parse) {
        Some(FacilityKind::HomeCareCentre) => Desk::Provider(f),
        Some(FacilityKind::CareQualityCentre) => Desk::Quality,
        _ => Desk::Other,
    })
}

/// The region of the actor's scope, as a region-wide scope: the quality
/// centre supervises home care across its region, so it reaches the people
/// and providers of the region, not only its own (empty) roll.
fn region_scope(actor: &Actor) -> Scope {
    Scope::Region {
        region: actor.scope.region().clone(),
    }
}

fn person_scope(actor: &Actor, desk: Desk) -> PersonScope {
    match desk {
        Desk::Quality => PersonScope::from(&region_scope(actor)),
        _ => PersonScope::from(&actor.scope),
    }
}

fn provider_scope(actor: &Actor, desk: Desk) -> FacilityScope {
    match desk {
        Desk::Quality => FacilityScope::from(&region_scope(actor)),
        _ => FacilityScope::from(&actor.scope),
    }
}

/// Work that belongs to the hotline and the quality centre, not providers.
fn operator_only(desk: Desk, what: &str) -> Result<()> {
    match desk {
        Desk::Provider(_) => Err(AppError::Conflict(format!(
            "{what}由养老服务热线或主管部门办理，服务机构不能办理"
        ))),
        _ => Ok(()),
    }
}

/// The order `id` if it lies in the actor's scope; otherwise `NotFound`,
/// the refusal audited under `action`.
async fn scoped_order(app: &App, actor: &Actor, id: i64, action: &str) -> Result<OrderRow> {
    let mut conn = app.store().read().await?;
    let row = store::order(&mut conn, &OrderScope::from(&actor.scope), id).await?;
    drop(conn);
    match row {
        Some(row) => Ok(row),
        None => {
            app.audit_denied(actor, action, "home_care_order", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// The provider `id` (a home-care centre) in the actor's scope.
async fn scoped_provider(app: &App, actor: &Actor, id: i64, action: &str) -> Result<FacilityRow> {
    let desk = desk(app, actor).await?;
    let row = if desk == Desk::Quality {
        let mut conn = app.store().read().await?;
        kangyang_store::facility::get(&mut conn, &provider_scope(actor, desk), id).await?
    } else {
        match scoped_facility(app, actor, id, action).await {
            Ok(row) => Some(row),
            Err(AppError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e),
        }
    };
    match row {
        Some(row) if row.kind == FacilityKind::HomeCareCentre.as_str() => Ok(row),
        Some(_) => Err(AppError::invalid("服务机构", "此机构不是居家养老服务中心")),
        None => {
            app.audit_denied(actor, action, "facility", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

// ---- the person's side: entitlement, home, care plan ----

fn elder_of(person: &PersonRow, on: CivilDate) -> Result<Elder> {
    elder_on(
        &person.birth_date,
        person.economic_status.as_deref(),
        person.capability_level.as_deref(),
        person.living_situation.as_deref(),
        on,
    )
}

/// The facts that decide a person's entitlement on `on`, from their stored
/// fields: the one mapping, for orders booked here and the demo's history.
pub fn elder_on(
    birth_date: &str,
    economic_status: Option<&str>,
    capability_level: Option<&str>,
    living_situation: Option<&str>,
    on: CivilDate,
) -> Result<Elder> {
    let birth = CivilDate::parse(birth_date).map_err(AppError::internal)?;
    Ok(Elder {
        age: birth.full_years_until(on),
        economic_status: economic_status.and_then(EconomicStatus::parse),
        capability: capability_level.and_then(CapabilityLevel::parse),
        living_alone: living_situation.and_then(LivingSituation::parse)
            == Some(LivingSituation::Alone),
    })
}

fn month_of(day: CivilDate) -> String {
    format!("{}-{:02}", day.year(), day.month())
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanLineView {
    pub item: String,
    pub item_name: String,
    pub times_per_month: u32,
    pub quantity: u32,
}

/// A person's home-care profile and this month's entitlement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub person_id: i64,
    pub name: String,
    pub month: String,
    /// The entitlement that applies, if any.
    pub entitlement: Option<EntitlementView>,
    pub granted_fen: i64,
    pub used_fen: i64,
    pub remaining_fen: i64,
    pub granted: String,
    pub used: String,
    pub remaining: String,
    /// Whether the home's position is on record (it is not shown: the
    /// check-in distance rule uses it).
    pub home_located: bool,
    pub plan: Vec<PlanLineView>,
}

/// A person's entitlement this month, home and care plan.
pub async fn client(app: &App, actor: &Actor, person_id: i64) -> Result<ClientView> {
    app.require(actor, Action::PersonRead).await?;
    let desk = desk(app, actor).await?;
    let person = person_in(app, actor, desk, person_id, "home_care.client").await?;
    let today = app.today();
    let month = month_of(today);
    let mut conn = app.store().read().await?;
    let rules = entitlement_rules(&mut conn).await?;
    let items = catalogue(&mut conn).await?;
    let rule = entitlement_for(&rules, &elder_of(&person, today)?).cloned();
    let used = store::used_in_month(&mut conn, person_id, &month).await?;
    let profile = store::client(&mut conn, person_id)
        .await?
        .unwrap_or_default();
    let plan: Vec<PlanLine> = serde_json::from_str(&profile.plan).unwrap_or_default();
    let granted = rule.as_ref().map(|r| r.monthly.0).unwrap_or(0);
    let remaining = (granted - used).max(0);
    Ok(ClientView {
        person_id,
        name: person.name.clone(),
        month,
        entitlement: rule.as_ref().map(entitlement_view),
        granted_fen: granted,
        used_fen: used,
        remaining_fen: remaining,
        granted: Fen(granted).yuan_string(),
        used: Fen(used).yuan_string(),
        remaining: Fen(remaining).yuan_string(),
        home_located: profile.longitude_e6.is_some() && profile.latitude_e6.is_some(),
        plan: plan
            .into_iter()
            .map(|l| PlanLineView {
                item_name: items
                    .iter()
                    .find(|i| i.code == l.item)
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| l.item.clone()),
                item: l.item,
                times_per_month: l.times_per_month,
                quantity: l.quantity,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanLineInput {
    /// An item code of the catalogue, or the item's name.
    pub item: String,
    pub times_per_month: u32,
    /// Units per visit (hours or visits); 1 when left out.
    pub quantity: u32,
}

/// A person's home (WGS-84 degrees, both or neither) and monthly care plan.
/// GET does not show the home's position, so a body without `longitude` and
/// `latitude` (GET's answer sent back) keeps the stored one; both blank
/// clears it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClientInput {
    pub longitude: Option<String>,
    pub latitude: Option<String>,
    pub plan: Vec<PlanLineInput>,
}

fn parse_point(lon: &str, lat: &str) -> Result<Option<GeoPoint>> {
    let (lon, lat) = (lon.trim(), lat.trim());
    if lon.is_empty() && lat.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::invalid("位置", "经纬度应为度数，如 经度 112.08、纬度 22.94");
    let lon: f64 = lon.parse().map_err(|_| bad())?;
    let lat: f64 = lat.parse().map_err(|_| bad())?;
    GeoPoint::from_degrees(lon, lat).map(Some).ok_or_else(bad)
}

/// Sets a person's home position and care plan.
pub async fn save_client(
    app: &App,
    actor: &Actor,
    person_id: i64,
    input: &ClientInput,
) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let desk = desk(app, actor).await?;
    person_in(app, actor, desk, person_id, "home_care.client").await?;
    operator_only(desk, "照护计划")?;
    let mut conn = app.store().read().await?;
    let home = match (&input.longitude, &input.latitude) {
        (None, None) => store::client(&mut conn, person_id)
            .await?
            .and_then(|c| c.longitude_e6.zip(c.latitude_e6))
            .map(|(longitude_e6, latitude_e6)| GeoPoint {
                longitude_e6,
                latitude_e6,
            }),
        (lon, lat) => parse_point(
            lon.as_deref().unwrap_or_default(),
            lat.as_deref().unwrap_or_default(),
        )?,
    };
    let items = catalogue(&mut conn).await?;
    drop(conn);
    let mut plan = Vec::new();
    for (n, line) in input.plan.iter().enumerate() {
        let field = format!("照护计划第 {} 项", n + 1);
        // The code, as GET's `item`, or the name, as GET's `item_name`.
        let given = line.item.trim();
        let Some(item) = items
            .iter()
            .find(|i| i.code == given)
            .or_else(|| items.iter().find(|i| i.name == given))
        else {
            return Err(AppError::invalid(field, "服务项目不存在"));
        };
        if !(1..=31).contains(&line.times_per_month) || line.quantity > 8 {
            return Err(AppError::invalid(
                field,
                "每月次数应为 1 到 31，每次数量不超过 8",
            ));
        }
        plan.push(PlanLine {
            item: item.code.clone(),
            times_per_month: line.times_per_month,
            quantity: line.quantity.max(1),
        });
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::save_client(
        &mut tx,
        &store::ClientRow {
            person_id,
            longitude_e6: home.map(|p| p.longitude_e6),
            latitude_e6: home.map(|p| p.latitude_e6),
            plan: serde_json::to_string(&plan).map_err(AppError::internal)?,
        },
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_care.client", "person", person_id.to_string());
    event.detail = serde_json::json!({ "plan_lines": plan.len(), "home_located": home.is_some() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// The person `id` as the actor reaches them for home care.
async fn person_in(
    app: &App,
    actor: &Actor,
    desk: Desk,
    id: i64,
    action: &str,
) -> Result<PersonRow> {
    let mut conn = app.store().read().await?;
    let row = register::get(&mut conn, &person_scope(actor, desk), id).await?;
    drop(conn);
    match row {
        Some(row) => Ok(row),
        None => {
            app.audit_denied(actor, action, "person", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

// ---- orders ----

/// A request for service, as the operator types it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrderInput {
    /// The person, by register id (officials) …
    pub person_id: Option<i64>,
    /// … or by ID number, as the caller gives it.
    pub id_number: String,
    /// An item code of the catalogue, e.g. bathing.
    pub item: String,
    /// Units: hours or visits; 1 when left out.
    pub quantity: String,
    /// When the visit is booked for: "YYYY-MM-DD HH:MM" (or with a T).
    pub scheduled_at: String,
    /// hotline, social_worker, family or care_plan; hotline when left out.
    pub channel: String,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderCreated {
    pub id: i64,
    pub entitlement: Option<String>,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub government: String,
    pub personal: String,
}

/// "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM", as a datetime-local input
/// sends it) in Shanghai time, as Unix seconds and its civil date.
fn parse_time(field: &str, s: &str) -> Result<(i64, CivilDate)> {
    let bad = || AppError::invalid(field, "时间应为 YYYY-MM-DD HH:MM，如 2026-03-05 09:30");
    let s = s.trim();
    let (date, time) = s
        .split_once(['T', ' '])
        .ok_or_else(bad)
        .map(|(d, t)| (d.trim(), t.trim()))?;
    let day = CivilDate::parse(date).map_err(|_| bad())?;
    let mut hm = time.split(':');
    let h: i64 = hm.next().and_then(|h| h.parse().ok()).ok_or_else(bad)?;
    let m: i64 = hm.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    let start = civil::day_start(&day.to_string()).ok_or_else(bad)?;
    Ok((start + h * 3600 + m * 60, day))
}

/// Takes a request for service: the person, an item, when; the price is
/// split by the person's entitlement for that month at once.
pub async fn create_order(app: &App, actor: &Actor, input: &OrderInput) -> Result<OrderCreated> {
    app.require(actor, Action::PersonWrite).await?;
    let desk = desk(app, actor).await?;
    if let Desk::Provider(_) = desk {
        app.audit_denied(actor, "home_care.order.create", "home_care_order", "")
            .await?;
        return Err(AppError::Forbidden);
    }
    let scope = person_scope(actor, desk);
    let mut conn = app.store().read().await?;
    let person_id = match (input.person_id, input.id_number.trim()) {
        (Some(id), _) => Some(id),
        (None, "") => return Err(AppError::invalid("老人", "请给出老人或其身份证号")),
        (None, number) => {
            let number = IdNumber::parse(number)
                .map_err(|e| AppError::invalid("身份证号", e.to_string()))?;
            let index = app
                .keys()
                .blind_index(crate::register::ID_KIND, number.as_str());
            register::find_by_id_index(&mut conn, &index)
                .await?
                .map(|(id, _, _)| id)
        }
    };
    let person = match person_id {
        Some(id) => register::get(&mut conn, &scope, id).await?,
        None => None,
    };
    let Some(person) = person else {
        drop(conn);
        let object = person_id.map(|id| id.to_string()).unwrap_or_default();
        app.audit_denied(actor, "home_care.order.create", "person", &object)
            .await?;
        return Err(match input.person_id {
            Some(_) => AppError::NotFound,
            None => AppError::invalid(
                "老人",
                "在您管辖范围的人员名册中找不到此人：请核对身份证号，或先登记",
            ),
        });
    };
    let items = catalogue(&mut conn).await?;
    let item = items
        .iter()
        .find(|i| i.code == input.item.trim() || i.name == input.item.trim())
        .ok_or_else(|| {
            AppError::invalid(
                "服务项目",
                format!(
                    "应为以下之一：{}",
                    items
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
    let quantity = match input.quantity.trim() {
        "" => 1,
        q => q
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=8).contains(q))
            .ok_or_else(|| AppError::invalid("数量", "应为 1 到 8 的整数（小时或次）"))?,
    };
    let (scheduled_at, day) = parse_time("预约时间", &input.scheduled_at)?;
    let now = app.now();
    if scheduled_at < now - 86_400 || scheduled_at > now + 62 * 86_400 {
        return Err(AppError::invalid("预约时间", "应在昨天到两个月之内"));
    }
    let channel = match input.channel.trim() {
        "" => Channel::Hotline,
        c => Channel::parse(c).ok_or_else(|| {
            AppError::invalid("来源", "应为养老服务热线、社工转介、家属申请或照护计划")
        })?,
    };
    let notes = input.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::invalid("备注", "不超过 500 字"));
    }
    let elder = elder_of(&person, day)?;
    if elder.age < ELDERLY_AGE {
        return Err(AppError::invalid(
            "老人",
            "居家养老上门服务面向 60 岁及以上的老年人",
        ));
    }
    kangyang_domain::life::service_allowed_stored(
        &person.status,
        person.status_date.as_deref(),
        day,
        kangyang_domain::life::Service::HomeCare,
    )
    .map_err(|refused| AppError::invalid("预约时间", refused.to_string()))?;
    let rules = entitlement_rules(&mut conn).await?;
    drop(conn);
    let price = price_of(item, quantity).ok_or_else(|| AppError::invalid("数量", "金额过大"))?;
    let rule = entitlement_for(&rules, &elder).cloned();
    let month = month_of(day);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    // Read what was used inside the transaction that adds the order, so two
    // operators booking at once cannot both spend the same remainder.
    let used = store::used_in_month(&mut tx, person.id, &month).await?;
    let split = match &rule {
        Some(r) => split_order(
            price,
            Fen(r.monthly.0.saturating_sub(used)),
            r.personal_share_per_mille,
        ),
        None => split_order(price, Fen(0), 0),
    };
    let id = store::insert_order(
        &mut tx,
        &store::NewOrder {
            person_id: person.id,
            village_code: &person.village_code,
            item_code: &item.code,
            item_name: &item.name,
            quantity: i64::from(quantity),
            standard_minutes: i64::from(item.standard_minutes) * i64::from(quantity),
            unit_price_fen: item.price.0,
            government_fen: split.government.0,
            personal_fen: split.personal.0,
            entitlement_code: rule.as_ref().map(|r| r.code.as_str()).unwrap_or(""),
            month: &month,
            channel: channel.as_str(),
            notes,
            scheduled_at,
            state: OrderState::Requested.as_str(),
            created_by: Some(actor.user_id),
        },
        now,
    )
    .await?;
    store::add_event(
        &mut tx,
        id,
        "request",
        OrderState::Requested.as_str(),
        Some(actor.user_id),
        channel.label(),
        now,
    )
    .await?;
    let mut event = Event::ok("home_care.order.create", "person", person.id.to_string());
    event.detail = serde_json::json!({ "order": id, "item": item.code, "channel": channel.as_str(),
        "government_fen": split.government.0, "personal_fen": split.personal.0 });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(OrderCreated {
        id,
        entitlement: rule.map(|r| r.name),
        government_fen: split.government.0,
        personal_fen: split.personal.0,
        government: split.government.yuan_string(),
        personal: split.personal.yuan_string(),
    })
}

/// An order as lists and its page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub address: String,
    pub village: String,
    pub item: String,
    pub item_name: String,
    pub quantity: i64,
    pub standard_minutes: i64,
    pub scheduled_at: String,
    pub channel: String,
    pub state: String,
    pub state_label: &'static str,
    /// Past its current state's time limit now.
    pub late: bool,
    /// When the current state must end, if it has a limit.
    pub due_at: Option<String>,
    /// Late in some state at some point.
    pub was_late: bool,
    pub provider_id: Option<i64>,
    pub provider: Option<String>,
    pub caregiver_id: Option<i64>,
    pub caregiver: Option<String>,
    pub check_in_at: Option<String>,
    pub check_out_at: Option<String>,
    /// Whether the phone gave a position at check-in.
    pub check_in_located: bool,
    pub minutes_on_site: Option<i64>,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub government: String,
    pub personal: String,
    pub anomalies: Vec<String>,
    /// "" (not reviewed or nothing to review), confirmed or rejected.
    pub review: String,
    pub review_note: String,
    pub rating: Option<i64>,
    pub rating_by: String,
    pub rating_comment: String,
    pub cancel_reason: String,
    pub notes: String,
    pub created_at: String,
}

impl OrderView {
    /// Flagged and waiting for a reviewer.
    pub fn held(&self) -> bool {
        !self.anomalies.is_empty() && self.review.is_empty()
    }
}

fn anomalies_of(json: &str) -> Vec<Anomaly> {
    serde_json::from_str(json).unwrap_or_default()
}

fn order_view(o: OrderRow, now: i64) -> OrderView {
    let state = OrderState::parse(&o.state);
    let standard = u32::try_from(o.standard_minutes).unwrap_or(0);
    let due = state.and_then(|s| {
        rules::deadline(
            s,
            o.state_since,
            o.scheduled_at,
            standard,
            &DEFAULT_TIME_LIMITS,
        )
    });
    OrderView {
        id: o.id,
        person_id: o.person_id,
        person_name: o.person_name,
        address: o.address,
        village: o.village_name,
        item: o.item_code,
        item_name: o.item_name,
        quantity: o.quantity,
        standard_minutes: o.standard_minutes,
        scheduled_at: short_time(o.scheduled_at),
        channel: Channel::parse(&o.channel)
            .map(Channel::label)
            .unwrap_or("")
            .to_owned(),
        state_label: state.map(OrderState::label).unwrap_or(""),
        state: o.state,
        late: due.is_some_and(|d| now > d),
        due_at: due.map(short_time),
        was_late: o.was_late != 0,
        provider_id: o.provider_id,
        provider: o.provider_name,
        caregiver_id: o.caregiver_id,
        caregiver: o.caregiver_name,
        check_in_at: o.check_in_at.map(short_time),
        check_out_at: o.check_out_at.map(short_time),
        check_in_located: o.check_in_lon_e6.is_some(),
        minutes_on_site: o.check_in_at.zip(o.check_out_at).map(|(a, b)| (b - a) / 60),
        government_fen: o.government_fen,
        personal_fen: o.personal_fen,
        government: Fen(o.government_fen).yuan_string(),
        personal: Fen(o.personal_fen).yuan_string(),
        anomalies: anomalies_of(&o.anomalies)
            .iter()
            .map(Anomaly::describe)
            .collect(),
        review: o.review,
        review_note: o.review_note,
        rating: o.rating,
        rating_by: o.rating_by,
        rating_comment: o.rating_comment,
        cancel_reason: o.cancel_reason,
        notes: o.notes,
        created_at: short_time(o.created_at),
    }
}

/// "2026-03-05 09:30".
fn short_time(unix: i64) -> String {
    let mut s = civil::datetime(unix);
    s.truncate(16);
    s
}

/// What an order list asks for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// A state code, e.g. requested.
    pub state: String,
    /// YYYY-MM.
    pub month: String,
    pub provider: Option<i64>,
    pub person: Option<i64>,
    /// "1": only the signed-in caregiver's orders.
    pub mine: String,
    /// "1": only flagged orders not yet reviewed.
    pub unreviewed: String,
    /// "1": only orders not finished or cancelled.
    pub open: String,
}

/// Orders in the actor's scope: a provider's staff see their provider's.
pub async fn orders(app: &App, actor: &Actor, q: &OrderQuery) -> Result<Vec<OrderView>> {
    app.require(actor, Action::PersonRead).await?;
    let state = match q.state.trim() {
        "" => None,
        s => Some(
            OrderState::parse(s)
                .ok_or_else(|| AppError::invalid("state", "工单状态不存在"))?
                .as_str()
                .to_owned(),
        ),
    };
    let month = match q.month.trim() {
        "" => None,
        m => {
            let (y, m) = parse_month(m)?;
            Some(format!("{y}-{m:02}"))
        }
    };
    let mut conn = app.store().read().await?;
    let caregiver_id = if q.mine == "1" {
        match store::caregiver_of_user(&mut conn, actor.user_id).await? {
            Some(c) => Some(c.id),
            None => return Ok(Vec::new()),
        }
    } else {
        None
    };
    let rows = store::orders(
        &mut conn,
        &OrderScope::from(&actor.scope),
        &OrderFilter {
            state,
            provider_id: q.provider,
            person_id: q.person,
            month,
            caregiver_id,
            unreviewed: q.unreviewed == "1",
            open: q.open == "1",
            limit: 500,
        },
    )
    .await?;
    let now = app.now();
    Ok(rows.into_iter().map(|o| order_view(o, now)).collect())
}

/// A provider that could take an order, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderChoice {
    pub id: i64,
    pub name: String,
    /// Serves the person's village.
    pub serves_village: bool,
    /// Orders booked on the order's day, and the provider's daily capacity.
    pub booked: i64,
    pub capacity: Option<i64>,
    pub has_room: bool,
    /// The automatic suggestion.
    pub suggested: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: String,
    pub step: String,
    pub state_label: &'static str,
    pub by: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: i64,
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub provider: String,
    pub received_at: String,
    pub text: String,
    pub open: bool,
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub provider: String,
    pub called: bool,
    pub reached: Option<bool>,
    pub service_confirmed: Option<bool>,
    pub satisfied: Option<bool>,
    pub notes: String,
}

/// An order with its history, complaints, call-back and (for the operator
/// of an order not yet accepted) the providers it could go to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    pub order: OrderView,
    pub events: Vec<EventView>,
    pub complaints: Vec<ComplaintView>,
    pub callback: Option<CallbackView>,
    pub providers: Vec<ProviderChoice>,
    /// The provider's active caregivers (for assigning one).
    pub caregivers: Vec<CaregiverView>,
}

pub async fn order(app: &App, actor: &Actor, id: i64) -> Result<OrderDetail> {
    app.require(actor, Action::PersonRead).await?;
    let row = scoped_order(app, actor, id, "home_care.order.read").await?;
    let desk = desk(app, actor).await?;
    let now = app.now();
    let mut conn = app.store().read().await?;
    let events = store::events(&mut conn, id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: short_time(e.at),
            step: Step::parse(&e.step)
                .map(Step::label)
                .unwrap_or("受理")
                .to_owned(),
            state_label: OrderState::parse(&e.state)
                .map(OrderState::label)
                .unwrap_or(""),
            by: e.by_name.unwrap_or_default(),
            note: e.note,
        })
        .collect();
    let scope = OrderScope::from(&actor.scope);
    let complaints = store::complaints(&mut conn, &scope, Some(id))
        .await?
        .into_iter()
        .map(complaint_view)
        .collect();
    let callback = store::callbacks(&mut conn, &scope, None, Some(id))
        .await?
        .into_iter()
        .next()
        .map(callback_view);
    let providers = if matches!(row.state.as_str(), "requested" | "dispatched")
        && !matches!(desk, Desk::Provider(_))
    {
        choices(&mut conn, actor, desk, &row).await?
    } else {
        Vec::new()
    };
    let caregivers = match row.provider_id {
        Some(p) if matches!(row.state.as_str(), "dispatched" | "accepted") => {
            store::caregivers(&mut conn, p)
                .await?
                .into_iter()
                .filter(|c| c.active == 1)
                .map(caregiver_view)
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(OrderDetail {
        order: order_view(row, now),
        events,
        complaints,
        callback,
        providers,
        caregivers,
    })
}

async fn choices(
    conn: &mut Conn,
    actor: &Actor,
    desk: Desk,
    order: &OrderRow,
) -> Result<Vec<ProviderChoice>> {
    let day = civil::date_of(order.scheduled_at).to_string();
    let start = civil::day_start(&day).unwrap_or(order.scheduled_at);
    let rows = store::providers(
        conn,
        &provider_scope(actor, desk),
        &order.village_code,
        start,
        start + 86_400,
    )
    .await?;
    let mut choices: Vec<ProviderChoice> = rows
        .into_iter()
        .map(|p| ProviderChoice {
            has_room: p.capacity.is_none_or(|c| p.booked < c),
            serves_village: p.serves > 0,
            id: p.id,
            name: p.name,
            booked: p.booked,
            capacity: p.capacity,
            suggested: false,
        })
        .collect();
    // Those serving the village with room first, least loaded (by share of
    // capacity) first; then the rest, for a manual override.
    let load = |c: &ProviderChoice| match c.capacity {
        Some(cap) if cap > 0 => c.booked * 1000 / cap,
        _ => c.booked,
    };
    choices.sort_by_key(|c| {
        (
            !(c.serves_village && c.has_room),
            !c.serves_village,
            load(c),
            c.id,
        )
    });
    if let Some(first) = choices.first_mut() {
        first.suggested = first.serves_village && first.has_room;
    }
    Ok(choices)
}

/// Whether an order is past its current state's limit now.
fn late_now(o: &OrderRow, now: i64) -> bool {
    OrderState::parse(&o.state).is_some_and(|s| {
        is_late(
            s,
            o.state_since,
            o.scheduled_at,
            u32::try_from(o.standard_minutes).unwrap_or(0),
            &DEFAULT_TIME_LIMITS,
            now,
        )
    })
}

/// Moves an order one step in one transaction with its event and audit row.
async fn move_order(
    app: &App,
    actor: &Actor,
    o: &OrderRow,
    step: Step,
    set: StepColumns<'_>,
    note: &str,
    detail: serde_json::Value,
) -> Result<OrderState> {
    let from = OrderState::parse(&o.state).ok_or_else(|| AppError::internal("order state"))?;
    let to = next_state(from, step).map_err(AppError::Conflict)?;
    let now = app.now();
    let set = StepColumns {
        late: late_now(o, now),
        ..set
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::step(&mut tx, o.id, from.as_str(), to.as_str(), now, &set).await? {
        return Err(AppError::Conflict("工单刚被他人处理，请刷新后再试".into()));
    }
    store::add_event(
        &mut tx,
        o.id,
        step.as_str(),
        to.as_str(),
        Some(actor.user_id),
        note,
        now,
    )
    .await?;
    let action = format!("home_care.order.{}", step.as_str());
    let mut event = Event::ok(&action, "home_care_order", o.id.to_string());
    event.detail = detail;
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(to)
}

/// Dispatches an order to a provider: the one given (a manual override), or
/// the suggestion (a provider serving the village with room that day).
pub async fn dispatch(app: &App, actor: &Actor, id: i64, provider_id: Option<i64>) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.dispatch").await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "派单")?;
    if !matches!(o.state.as_str(), "requested" | "dispatched") {
        return Err(AppError::Conflict(
            next_state(
                OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled),
                Step::Dispatch,
            )
            .err()
            .unwrap_or_default(),
        ));
    }
    let mut conn = app.store().read().await?;
    let options = choices(&mut conn, actor, desk, &o).await?;
    drop(conn);
    let chosen = match provider_id {
        Some(p) => options.iter().find(|c| c.id == p).ok_or_else(|| {
            AppError::invalid("服务机构", "在您管辖范围内找不到此居家养老服务中心")
        })?,
        None => options.iter().find(|c| c.suggested).ok_or_else(|| {
            AppError::invalid(
                "服务机构",
                "没有服务该村（社区）且当天仍有余量的服务机构，请手动指定",
            )
        })?,
    };
    let manual = !chosen.suggested;
    move_order(
        app,
        actor,
        &o,
        Step::Dispatch,
        StepColumns {
            provider_id: Some(chosen.id),
            ..StepColumns::default()
        },
        &if manual {
            format!("人工指派：{}", chosen.name)
        } else {
            chosen.name.clone()
        },
        serde_json::json!({ "provider": chosen.id, "manual": manual }),
    )
    .await?;
    Ok(chosen.id)
}

/// The provider accepts a dispatched order and assigns one of its
/// caregivers (or gives it to another).
pub async fn accept(app: &App, actor: &Actor, id: i64, caregiver_id: Option<i64>) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.accept").await?;
    let desk = desk(app, actor).await?;
    if matches!(desk, Desk::Quality | Desk::Other) {
        return Err(AppError::Conflict(
            "接单和指派护理员由承接的服务机构办理".into(),
        ));
    }
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::Accept).map_err(AppError::Conflict)?;
    let caregiver_id = caregiver_id.ok_or_else(|| AppError::invalid("护理员", "请选择护理员"))?;
    let mut conn = app.store().read().await?;
    let caregiver = store::caregiver(&mut conn, caregiver_id).await?;
    drop(conn);
    let caregiver = caregiver
        .filter(|c| Some(c.provider_id) == o.provider_id && c.active == 1)
        .ok_or_else(|| AppError::invalid("护理员", "此护理员不属于承接的服务机构"))?;
    move_order(
        app,
        actor,
        &o,
        Step::Accept,
        StepColumns {
            caregiver_id: Some(caregiver.id),
            ..StepColumns::default()
        },
        &caregiver.name,
        serde_json::json!({ "caregiver": caregiver.id }),
    )
    .await?;
    Ok(())
}

/// Where the phone was, in degrees as text (both empty: no position).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Position {
    pub longitude: String,
    pub latitude: String,
}

/// Only the caregiver's provider checks in and out, and a caregiver with
/// an account only on the orders assigned to them.
async fn caregiver_may(app: &App, actor: &Actor, o: &OrderRow) -> Result<()> {
    let desk = desk(app, actor).await?;
    if desk != Desk::Provider(o.provider_id.unwrap_or(-1)) {
        return Err(AppError::Conflict(
            "签到、签退须由承接机构的护理员在服务现场进行".into(),
        ));
    }
    let mut conn = app.store().read().await?;
    if let Some(me) = store::caregiver_of_user(&mut conn, actor.user_id).await? {
        if o.caregiver_id != Some(me.id) {
            return Err(AppError::Conflict("此工单没有指派给你".into()));
        }
    }
    Ok(())
}

/// The caregiver arrives: the time, and the position when the phone gives it.
pub async fn check_in(app: &App, actor: &Actor, id: i64, at: &Position) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.check_in").await?;
    caregiver_may(app, actor, &o).await?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::CheckIn).map_err(AppError::Conflict)?;
    let point = parse_point(&at.longitude, &at.latitude)?;
    move_order(
        app,
        actor,
        &o,
        Step::CheckIn,
        StepColumns {
            check_in: Some((point.map(|p| p.longitude_e6), point.map(|p| p.latitude_e6))),
            ..StepColumns::default()
        },
        if point.is_some() {
            "已定位"
        } else {
            "未定位"
        },
        serde_json::json!({ "located": point.is_some() }),
    )
    .await?;
    Ok(())
}

/// The caregiver leaves: the visit is checked against the anomaly rules
/// and, if any applies, held for review.
pub async fn check_out(app: &App, actor: &Actor, id: i64, at: &Position) -> Result<Vec<String>> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.check_out").await?;
    caregiver_may(app, actor, &o).await?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::CheckOut).map_err(AppError::Conflict)?;
    let point = parse_point(&at.longitude, &at.latitude)?;
    let now = app.now();
    let standard = u32::try_from(o.standard_minutes).unwrap_or(0);
    let mut conn = app.store().read().await?;
    let home = store::client(&mut conn, o.person_id)
        .await?
        .and_then(|c| c.longitude_e6.zip(c.latitude_e6))
        .map(|(longitude_e6, latitude_e6)| GeoPoint {
            longitude_e6,
            latitude_e6,
        });
    let start = o.check_in_at.unwrap_or(now - i64::from(standard) * 60);
    let others: Vec<Span> = store::spans_of_person(&mut conn, o.person_id, o.id, start, now)
        .await?
        .into_iter()
        .map(|(order, start, end)| Span { order, start, end })
        .collect();
    drop(conn);
    let found = visit_anomalies(
        &Visit {
            order: o.id,
            home,
            check_in: o.check_in_at,
            check_in_at: o.check_in_lon_e6.zip(o.check_in_lat_e6).map(
                |(longitude_e6, latitude_e6)| GeoPoint {
                    longitude_e6,
                    latitude_e6,
                },
            ),
            check_out: now,
            standard_minutes: standard,
        },
        &others,
        &DEFAULT_ANOMALY_RULES,
    );
    let json = serde_json::to_string(&found).map_err(AppError::internal)?;
    let codes: Vec<&str> = found.iter().map(Anomaly::code).collect();
    move_order(
        app,
        actor,
        &o,
        Step::CheckOut,
        StepColumns {
            check_out: Some((point.map(|p| p.longitude_e6), point.map(|p| p.latitude_e6))),
            anomalies: Some(&json),
            ..StepColumns::default()
        },
        &codes.join(","),
        serde_json::json!({ "located": point.is_some(), "anomalies": codes }),
    )
    .await?;
    Ok(found.iter().map(Anomaly::describe).collect())
}

/// The person's or family's rating, taken by the hotline or a call-back.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RatingInput {
    /// 1 to 5 stars.
    pub stars: String,
    /// person or family.
    pub by: String,
    pub comment: String,
}

pub async fn rate(app: &App, actor: &Actor, id: i64, input: &RatingInput) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.order.rate").await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "服务评价（由老人或家属作出）")?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::Rate).map_err(AppError::Conflict)?;
    let stars = input
        .stars
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| AppError::invalid_field("stars", "评价", "应为 1 到 5 星"))?;
    let by = match input.by.trim() {
        "" | "person" | "本人" => "person",
        "family" | "家属" => "family",
        _ => return Err(AppError::invalid_field("by", "评价人", "应为本人或家属")),
    };
    let comment = input.comment.trim();
    if comment.chars().count() > 300 {
        return Err(AppError::invalid_field(
            "comment",
            "评价内容",
            "不超过 300 字",
        ));
    }
    move_order(
        app,
        actor,
        &o,
        Step::Rate,
        StepColumns {
            rating: Some((stars, by, comment)),
            ..StepColumns::default()
        },
        &format!("{stars} 星"),
        serde_json::json!({ "stars": stars, "by": by }),
    )
    .await?;
    Ok(())
}

pub async fn cancel(app: &App, actor: &Actor, id: i64, reason: &str) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.order.cancel").await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "取消工单")?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::Cancel).map_err(AppError::Conflict)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "reason",
            "取消原因",
            "请填写取消原因（200 字以内）",
        ));
    }
    move_order(
        app,
        actor,
        &o,
        Step::Cancel,
        StepColumns {
            cancel_reason: Some(reason),
            ..StepColumns::default()
        },
        reason,
        serde_json::Value::Null,
    )
    .await?;
    Ok(())
}

/// A reviewer's decision on a flagged order.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    /// confirmed (paid) or rejected (not paid).
    pub outcome: String,
    pub note: String,
}

pub async fn review(app: &App, actor: &Actor, id: i64, input: &ReviewInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let o = scoped_order(app, actor, id, "home_care.order.review").await?;
    if anomalies_of(&o.anomalies).is_empty() {
        return Err(AppError::Conflict("此工单没有异常，无须审核".into()));
    }
    if !o.review.is_empty() {
        return Err(AppError::Conflict("此工单的异常已审核".into()));
    }
    let outcome = ReviewOutcome::parse(input.outcome.trim()).ok_or_else(|| {
        AppError::invalid(
            "审核结论",
            "应为核实属实（confirmed）或核实不实（rejected）",
        )
    })?;
    let note = input.note.trim();
    if note.is_empty() || note.chars().count() > 300 {
        return Err(AppError::invalid(
            "审核说明",
            "请写明核实经过（300 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::review(
        &mut tx,
        id,
        outcome.as_str(),
        note,
        actor.user_id,
        app.now(),
    )
    .await?
    {
        return Err(AppError::Conflict("此工单的异常已审核".into()));
    }
    let mut event = Event::ok("home_care.order.review", "home_care_order", id.to_string());
    event.detail = serde_json::json!({ "outcome": outcome.as_str() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

// ---- complaints and call-backs ----

fn complaint_view(k: store::ComplaintRow) -> ComplaintView {
    ComplaintView {
        id: k.id,
        order_id: k.order_id,
        person_name: k.person_name,
        item_name: k.item_name,
        provider: k.provider_name.unwrap_or_default(),
        received_at: short_time(k.received_at),
        text: k.text,
        open: k.status == "open",
        outcome: k.outcome,
    }
}

fn callback_view(b: store::CallbackRow) -> CallbackView {
    CallbackView {
        order_id: b.order_id,
        person_name: b.person_name,
        item_name: b.item_name,
        provider: b.provider_name.unwrap_or_default(),
        called: b.called_at.is_some(),
        reached: b.reached.map(|v| v != 0),
        service_confirmed: b.service_confirmed.map(|v| v != 0),
        satisfied: b.satisfied.map(|v| v != 0),
        notes: b.notes,
    }
}

/// A complaint about an order becomes a case.
pub async fn complain(app: &App, actor: &Actor, id: i64, text: &str) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.complaint.create").await?;
    operator_only(desk(app, actor).await?, "投诉受理")?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "text",
            "投诉内容",
            "请填写投诉内容（500 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let complaint =
        store::add_complaint(&mut tx, o.id, text, Some(actor.user_id), app.now()).await?;
    let mut event = Event::ok(
        "home_care.complaint.create",
        "home_care_order",
        o.id.to_string(),
    );
    event.detail = serde_json::json!({ "complaint": complaint });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(complaint)
}

/// Closes a complaint case with its outcome.
pub async fn close_complaint(app: &App, actor: &Actor, id: i64, outcome: &str) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let mut conn = app.store().read().await?;
    let found = store::complaint(&mut conn, &OrderScope::from(&actor.scope), id).await?;
    drop(conn);
    let Some(found) = found else {
        app.audit_denied(
            actor,
            "home_care.complaint.close",
            "home_care_complaint",
            &id.to_string(),
        )
        .await?;
        return Err(AppError::NotFound);
    };
    operator_only(desk(app, actor).await?, "投诉办结")?;
    if found.status != "open" {
        return Err(AppError::Conflict("此投诉已办结".into()));
    }
    let outcome = outcome.trim();
    if outcome.is_empty() || outcome.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "outcome",
            "办理结果",
            "请填写办理结果（500 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::close_complaint(&mut tx, id, outcome, Some(actor.user_id), app.now()).await? {
        return Err(AppError::Conflict("此投诉已办结".into()));
    }
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok(
            "home_care.complaint.close",
            "home_care_complaint",
            id.to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn complaints(app: &App, actor: &Actor) -> Result<Vec<ComplaintView>> {
    app.require(actor, Action::PersonRead).await?;
    let mut conn = app.store().read().await?;
    Ok(
        store::complaints(&mut conn, &OrderScope::from(&actor.scope), None)
            .await?
            .into_iter()
            .map(complaint_view)
            .collect(),
    )
}

/// Samples a month's finished orders for call-backs: every flagged or
/// poorly rated order and `per_mille` of the rest. Returns the sampled ids.
pub async fn sample_callbacks(
    app: &App,
    actor: &Actor,
    month: &str,
    per_mille: u32,
) -> Result<Vec<i64>> {
    app.require(actor, Action::ServiceRecord).await?;
    operator_only(desk(app, actor).await?, "回访抽样")?;
    let (y, m) = parse_month(month)?;
    let month = format!("{y}-{m:02}");
    if per_mille == 0 || per_mille > 1000 {
        return Err(AppError::invalid_field(
            "per_mille",
            "抽样比例",
            "应为 1 到 1000（‰）",
        ));
    }
    let mut conn = app.store().read().await?;
    let candidates =
        store::callback_candidates(&mut conn, &OrderScope::from(&actor.scope), &month).await?;
    drop(conn);
    let flagged: Vec<(i64, bool)> = candidates.iter().map(|&(id, f)| (id, f != 0)).collect();
    let seed = u64::from(y) * 100 + u64::from(m);
    let sample = callback_sample(&flagged, per_mille, seed);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    for id in &sample {
        store::add_callback_sample(&mut tx, *id, Some(actor.user_id), app.now()).await?;
    }
    let mut event = Event::ok("home_care.callback.sample", "month", month.clone());
    event.detail = serde_json::json!({ "candidates": candidates.len(), "sampled": sample.len() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(sample)
}

/// What the person said when called back.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CallbackInput {
    /// Whether the person or family was reached.
    pub reached: bool,
    /// They confirm the service was given as recorded.
    pub service_confirmed: bool,
    pub satisfied: bool,
    pub notes: String,
}

pub async fn record_callback(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &CallbackInput,
) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.callback.record").await?;
    operator_only(desk(app, actor).await?, "回访")?;
    if !matches!(o.state.as_str(), "done" | "rated") {
        return Err(AppError::Conflict("只能回访已完成的工单".into()));
    }
    let notes = input.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "notes",
            "回访记录",
            "不超过 500 字",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::record_callback(
        &mut tx,
        o.id,
        input.reached,
        input.reached && input.service_confirmed,
        input.reached && input.satisfied,
        notes,
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok(
        "home_care.callback.record",
        "home_care_order",
        o.id.to_string(),
    );
    event.detail = serde_json::json!({ "reached": input.reached,
        "confirmed": input.service_confirmed, "satisfied": input.satisfied });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn callbacks(app: &App, actor: &Actor, month: &str) -> Result<Vec<CallbackView>> {
    app.require(actor, Action::PersonRead).await?;
    let (y, m) = parse_month(month)?;
    let mut conn = app.store().read().await?;
    Ok(store::callbacks(
        &mut conn,
        &OrderScope::from(&actor.scope),
        Some(&format!("{y}-{m:02}")),
        None,
    )
    .await?
    .into_iter()
    .map(callback_view)
    .collect())
}

// ---- providers and caregivers ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaregiverView {
    pub id: i64,
    pub name: String,
    pub qualification: String,
    /// Masked, e.g. 138****0001.
    pub phone: String,
    /// The account the caregiver signs in with on the phone, if any.
    pub username: Option<String>,
    pub active: bool,
}

fn caregiver_view(c: store::CaregiverRow) -> CaregiverView {
    CaregiverView {
        id: c.id,
        name: c.name,
        qualification: c.qualification,
        phone: c.phone_masked,
        username: c.username,
        active: c.active == 1,
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub capacity: Option<i64>,
    /// Orders booked for today, not cancelled.
    pub booked_today: i64,
}

/// The home-care providers in the actor's scope.
pub async fn providers(app: &App, actor: &Actor) -> Result<Vec<ProviderView>> {
    app.require(actor, Action::FacilityRead).await?;
    let desk = desk(app, actor).await?;
    let today = app.today().to_string();
    let start = civil::day_start(&today).unwrap_or(app.now());
    let mut conn = app.store().read().await?;
    Ok(store::providers(
        &mut conn,
        &provider_scope(actor, desk),
        "",
        start,
        start + 86_400,
    )
    .await?
    .into_iter()
    .map(|p| ProviderView {
        id: p.id,
        name: p.name,
        region: p.region_code,
        capacity: p.capacity,
        booked_today: p.booked,
    })
    .collect())
}

pub async fn caregivers(app: &App, actor: &Actor, provider: i64) -> Result<Vec<CaregiverView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_provider(app, actor, provider, "home_care.caregiver.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::caregivers(&mut conn, provider)
        .await?
        .into_iter()
        .map(caregiver_view)
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CaregiverInput {
    pub name: String,
    /// E.g. 养老护理员（四级/中级工）.
    pub qualification: String,
    pub phone: String,
    /// A staff account bound to the provider, for the phone check-in page.
    pub username: String,
}

/// Adds a caregiver to a provider (its own staff, or an official).
pub async fn add_caregiver(
    app: &App,
    actor: &Actor,
    provider: i64,
    input: &CaregiverInput,
) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_provider(app, actor, provider, "home_care.caregiver.create").await?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::invalid_field(
            "name",
            "姓名",
            "请填写护理员姓名（50 字以内）",
        ));
    }
    let qualification = input.qualification.trim();
    if qualification.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "qualification",
            "资质",
            "不超过 100 字",
        ));
    }
    let phone = match input.phone.trim() {
        "" => None,
        p => Some(
            kangyang_domain::mask::normalise_phone(p)
                .map_err(|e| AppError::invalid_field("phone", "电话", e.to_string()))?,
        ),
    };
    let mut conn = app.store().read().await?;
    let user_id = match input.username.trim() {
        "" => None,
        u => {
            let user = kangyang_store::users::find_by_username(&mut conn, u).await?;
            match user {
                Some(user) if user.facility_id == Some(provider) => Some(user.id),
                _ => {
                    return Err(AppError::invalid_field(
                        "username",
                        "账号",
                        "应为本服务机构的工作人员账号",
                    ))
                }
            }
        }
    };
    drop(conn);
    let sealed = phone
        .as_ref()
        .map(|p| app.keys().encrypt(p.as_str()))
        .transpose()?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_caregiver(
        &mut tx,
        &store::NewCaregiver {
            provider_id: provider,
            name,
            qualification,
            phone_cipher: sealed,
            phone_masked: &phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
            user_id,
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok(
        "home_care.caregiver.create",
        "facility",
        provider.to_string(),
    );
    event.detail = serde_json::json!({ "caregiver": id, "account": user_id.is_some() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

// ---- settlement ----

/// One order's line of the settlement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettlementLine {
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub quantity: i64,
    pub day: String,
    pub caregiver: String,
    pub government_fen: i64,
    pub personal_fen: i64,
    /// "" paid, "held" (flagged, waiting for review) or "rejected".
    pub status: &'static str,
    pub anomalies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderSettlement {
    pub provider_id: i64,
    pub provider: String,
    pub month: String,
    pub lines: Vec<SettlementLine>,
    pub orders: u64,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub held_orders: u64,
    /// Government part of flagged orders not yet reviewed: held back.
    pub held_fen: i64,
    pub rejected_orders: u64,
    pub rejected_fen: i64,
    /// What the bureau pays now.
    pub payable_fen: i64,
}

/// A provider's month: its finished orders, government and personal parts,
/// flagged orders held back until reviewed.
pub async fn settlement(
    app: &App,
    actor: &Actor,
    provider: i64,
    month: &str,
) -> Result<ProviderSettlement> {
    app.require(actor, Action::ServiceRecord).await?;
    let facility = scoped_provider(app, actor, provider, "home_care.settlement").await?;
    let (y, m) = parse_month(month)?;
    month_bounds(y, m)?;
    let month = format!("{y}-{m:02}");
    let mut conn = app.store().read().await?;
    // The provider's own orders, whoever asks: the region bound still holds.
    let scope = OrderScope::from(&region_scope(actor));
    let rows = store::orders(
        &mut conn,
        &scope,
        &OrderFilter {
            provider_id: Some(provider),
            month: Some(month.clone()),
            limit: 100_000,
            ..OrderFilter::default()
        },
    )
    .await?;
    drop(conn);
    let mut settled = Vec::new();
    let mut lines = Vec::new();
    let mut rows: Vec<OrderRow> = rows
        .into_iter()
        .filter(|o| matches!(o.state.as_str(), "done" | "rated"))
        .collect();
    rows.sort_by_key(|o| (o.scheduled_at, o.id));
    for o in rows {
        let anomalies = anomalies_of(&o.anomalies);
        let rejected = o.review == ReviewOutcome::Rejected.as_str();
        let held = !anomalies.is_empty() && o.review.is_empty();
        settled.push(SettledOrder {
            split: rules::OrderSplit {
                government: Fen(o.government_fen),
                personal: Fen(o.personal_fen),
            },
            held,
            rejected,
        });
        lines.push(SettlementLine {
            order_id: o.id,
            person_name: o.person_name,
            item_name: o.item_name,
            quantity: o.quantity,
            day: civil::date_of(o.scheduled_at).to_string(),
            caregiver: o.caregiver_name.unwrap_or_default(),
            government_fen: o.government_fen,
            personal_fen: o.personal_fen,
            status: if rejected {
                "rejected"
            } else if held {
                "held"
            } else {
                ""
            },
            anomalies: anomalies.iter().map(Anomaly::describe).collect(),
        });
    }
    let s =
        rules::settle(&settled).ok_or_else(|| AppError::invalid("金额", "金额超出可记录的范围"))?;
    Ok(ProviderSettlement {
        provider_id: provider,
        provider: facility.name.clone(),
        month,
        lines,
        orders: s.orders,
        government_fen: s.government.0,
        personal_fen: s.personal.0,
        held_orders: s.held_orders,
        held_fen: s.held.0,
        rejected_orders: s.rejected_orders,
        rejected_fen: s.rejected.0,
        payable_fen: s.payable.0,
    })
}

/// The settlement as the xlsx the provider signs and the bureau pays by.
pub async fn settlement_xlsx(
    app: &App,
    actor: &Actor,
    provider: i64,
    month: &str,
) -> Result<Vec<u8>> {
    let s = settlement(app, actor, provider, month).await?;
    let bytes = settlement_workbook(&s).map_err(AppError::internal)?;
    let mut event = Event::ok(
        "home_care.settlement_export",
        "facility",
        provider.to_string(),
    );
    event.detail =
        serde_json::json!({ "month": s.month, "orders": s.orders, "held": s.held_orders });
    app.audit(&Who::from(actor), event).await?;
    Ok(bytes)
}

fn settlement_workbook(s: &ProviderSettlement) -> Result<Vec<u8>, XlsxError> {
    let mut sheet = ReportSheet::new("居家上门服务结算表")?;
    let headers = [
        "工单号",
        "服务日期",
        "老人",
        "服务项目",
        "数量",
        "护理员",
        "政府购买（元）",
        "个人支付（元）",
        "状态",
    ];
    sheet.title(
        &format!("{} {} 居家养老上门服务结算表", s.provider, s.month),
        headers.len() as u16,
    )?;
    sheet.headers(1, &headers)?;
    sheet.widths(&[
        (1, 12.0),
        (2, 10.0),
        (3, 18.0),
        (5, 10.0),
        (6, 14.0),
        (7, 14.0),
        (8, 30.0),
    ])?;
    let mut row = 2u32;
    for l in &s.lines {
        sheet.number(row, 0, l.order_id as f64)?;
        sheet.text(row, 1, &l.day)?;
        sheet.text(row, 2, &l.person_name)?;
        sheet.text(row, 3, &l.item_name)?;
        sheet.number(row, 4, l.quantity as f64)?;
        sheet.text(row, 5, &l.caregiver)?;
        sheet.yuan(row, 6, l.government_fen)?;
        sheet.yuan(row, 7, l.personal_fen)?;
        let status = match l.status {
            "held" => format!("待核暂扣：{}", l.anomalies.join("；")),
            "rejected" => format!("核实不实，不予结算：{}", l.anomalies.join("；")),
            _ => String::new(),
        };
        sheet.text(row, 8, &status)?;
        row += 1;
    }
    sheet.label(row, 0, "合计")?;
    sheet.total(row, 4, s.orders as f64)?;
    sheet.yuan(row, 6, s.government_fen)?;
    sheet.yuan(row, 7, s.personal_fen)?;
    row += 1;
    for (label, orders, fen) in [
        ("待核暂扣", s.held_orders, s.held_fen),
        ("核实不实不予结算", s.rejected_orders, s.rejected_fen),
    ] {
        sheet.label(row, 0, label)?;
        sheet.number(row, 4, orders as f64)?;
        sheet.yuan(row, 6, fen)?;
        row += 1;
    }
    sheet.label(row, 0, "本月应付（政府购买）")?;
    sheet.yuan(row, 6, s.payable_fen)?;
    row += 2;
    sheet.note(
        row,
        0,
        "服务机构负责人（签章）：　　　　　　经办人：　　　　　　审核（民政）：",
    )?;
    sheet.finish()
}

// ---- provider scores ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderScore {
    pub month: String,
    pub total: u32,
    pub result: Option<String>,
    #[schema(value_type = Object)]
    pub metrics: ProviderMetrics,
    pub scores: std::collections::BTreeMap<String, u32>,
}

/// A provider's month as the scoring rules read it, from its stored figures
/// (the one mapping, for the scores given here and the demo's).
pub fn provider_metrics(f: &store::ProviderFigures) -> ProviderMetrics {
    let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    ProviderMetrics {
        finished: n(f.finished),
        on_time: n(f.on_time),
        clean: n(f.clean),
        ratings: n(f.ratings),
        stars: n(f.stars),
        complaints: n(f.complaints),
        callbacks: n(f.callbacks),
        callbacks_confirmed: n(f.callbacks_confirmed),
    }
}

/// Scores a provider's month through the assessment engine and keeps the
/// result in its rating history (template `home_care_provider`).
pub async fn score_provider(
    app: &App,
    actor: &Actor,
    provider: i64,
    month: &str,
) -> Result<ProviderScore> {
    app.require(actor, Action::FacilityManage).await?;
    let facility = scoped_provider(app, actor, provider, "home_care.score").await?;
    let (y, m) = parse_month(month)?;
    let (_, last) = month_bounds(y, m)?;
    if last > app.today() {
        return Err(AppError::invalid("month", "只能评分已结束的月份"));
    }
    let month = format!("{y}-{m:02}");
    let mut conn = app.store().read().await?;
    let metrics = provider_metrics(&store::provider_figures(&mut conn, provider, &month).await?);
    let body = kangyang_store::assessment::template(&mut conn, PROVIDER_TEMPLATE)
        .await?
        .ok_or_else(|| AppError::internal("provider template missing"))?;
    drop(conn);
    let template: kangyang_domain::assessment::Template =
        serde_json::from_str(&body).map_err(AppError::internal)?;
    let scores = provider_scores(&metrics);
    let scored = template
        .score(&scores)
        .map_err(|e| crate::assessment::score_errors("评分", e))?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    kangyang_store::assessment::add_assessment(
        &mut tx,
        &kangyang_store::assessment::NewAssessment {
            template_code: PROVIDER_TEMPLATE,
            round_id: None,
            subject_type: "facility",
            subject_id: provider,
            region_code: &facility.region_code,
            scores: &serde_json::to_string(&scores).map_err(AppError::internal)?,
            total: i64::from(scored.total),
            result: scored.result.as_ref().map(|r| r.result.as_str()),
            evidence: &serde_json::to_string(&metrics).map_err(AppError::internal)?,
            assessed_on: &last.to_string(),
            assessor: &format!("{}（按 {month} 工单数据自动评分）", actor.display_name),
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_care.score", "facility", provider.to_string());
    event.detail = serde_json::json!({ "month": month, "total": scored.total });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(ProviderScore {
        month,
        total: scored.total,
        result: scored.result.map(|r| r.label),
        metrics,
        scores,
    })
}

// ---- care plans ----

/// Generates a month's orders from the care plans of the people in scope,
/// within each person's entitlement; a person who already has plan orders
/// that month is left alone (running it twice adds nothing).
pub async fn generate_plan_orders(app: &App, actor: &Actor, month: &str) -> Result<u64> {
    app.require(actor, Action::PersonWrite).await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "按照护计划生成工单")?;
    let (y, m) = parse_month(month)?;
    let (first, _) = month_bounds(y, m)?;
    let month = format!("{y}-{m:02}");
    let scope = person_scope(actor, desk);
    let mut conn = app.store().read().await?;
    let items = catalogue(&mut conn).await?;
    let rules = entitlement_rules(&mut conn).await?;
    let clients = store::planned_clients(&mut conn, &scope).await?;
    drop(conn);
    let now = app.now();
    let mut made = 0u64;
    for (person_id, plan) in clients {
        let plan: Vec<PlanLine> = serde_json::from_str(&plan).unwrap_or_default();
        let mut conn = app.store().read().await?;
        let Some(person) = register::get(&mut conn, &scope, person_id).await? else {
            continue;
        };
        let already = store::orders(
            &mut conn,
            &OrderScope::from(&region_scope(actor)),
            &OrderFilter {
                person_id: Some(person_id),
                month: Some(month.clone()),
                limit: 1000,
                ..OrderFilter::default()
            },
        )
        .await?
        .iter()
        .any(|o| o.channel == Channel::CarePlan.as_str());
        drop(conn);
        let elder = elder_of(&person, first)?;
        let Some(rule) = entitlement_for(&rules, &elder).filter(|_| elder.age >= ELDERLY_AGE)
        else {
            continue;
        };
        if already {
            continue;
        }
        let (mut tx, _guard) = app.store().begin_audited().await?;
        let used = store::used_in_month(&mut tx, person_id, &month).await?;
        let remaining = Fen(rule.monthly.0.saturating_sub(used));
        let planned = plan_month(&plan, &items, y, m, remaining);
        let mut left = remaining;
        for p in &planned {
            let Some(item) = items.iter().find(|i| i.code == p.item) else {
                continue;
            };
            let split = split_order(p.price, left, rule.personal_share_per_mille);
            left = Fen(left.0 - split.government.0);
            let at = civil::day_start(&p.day.to_string()).unwrap_or(now) + 9 * 3600;
            let id = store::insert_order(
                &mut tx,
                &store::NewOrder {
                    person_id,
                    village_code: &person.village_code,
                    item_code: &item.code,
                    item_name: &item.name,
                    quantity: i64::from(p.quantity),
                    standard_minutes: i64::from(item.standard_minutes) * i64::from(p.quantity),
                    unit_price_fen: item.price.0,
                    government_fen: split.government.0,
                    personal_fen: split.personal.0,
                    entitlement_code: &rule.code,
                    month: &month,
                    channel: Channel::CarePlan.as_str(),
                    notes: "",
                    scheduled_at: at,
                    state: OrderState::Requested.as_str(),
                    created_by: Some(actor.user_id),
                },
                now,
            )
            .await?;
            store::add_event(
                &mut tx,
                id,
                "request",
                OrderState::Requested.as_str(),
                Some(actor.user_id),
                Channel::CarePlan.label(),
                now,
            )
            .await?;
            made += 1;
        }
        let mut event = Event::ok("home_care.plan_orders", "person", person_id.to_string());
        event.detail = serde_json::json!({ "month": month, "orders": planned.len() });
        app.audit_in(&mut tx, &Who::from(actor), event).await?;
        tx.commit().await?;
    }
    Ok(made)
}

// ---- dashboard ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CountLine {
    pub key: String,
    pub label: String,
    pub orders: i64,
    pub finished: i64,
    pub government_fen: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unserved {
    pub person_id: i64,
    pub name: String,
    pub village: String,
    pub entitlement: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub month: String,
    pub orders: i64,
    pub finished: i64,
    pub cancelled: i64,
    /// Orders that ran late in some state.
    pub was_late: i64,
    /// Open orders past their current limit now.
    pub late_now: Vec<OrderView>,
    pub mean_response_minutes: Option<i64>,
    pub mean_completion_minutes: Option<i64>,
    pub ratings: i64,
    /// Mean stars, e.g. "4.6".
    pub satisfaction: Option<String>,
    pub flagged: i64,
    pub unreviewed: i64,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub by_state: Vec<CountLine>,
    pub by_item: Vec<CountLine>,
    pub by_town: Vec<CountLine>,
    pub by_provider: Vec<CountLine>,
    /// Elderly people entitled this month, what they were granted in all
    /// and what they used.
    pub entitled: i64,
    pub granted_fen: i64,
    pub used_fen: i64,
    /// Entitled people who received nothing this month (first 200).
    pub unserved_count: i64,
    pub unserved: Vec<Unserved>,
    pub open_complaints: i64,
}

pub async fn dashboard(app: &App, actor: &Actor, month: &str) -> Result<Dashboard> {
    app.require(actor, Action::PersonRead).await?;
    let desk = desk(app, actor).await?;
    let (y, m) = parse_month(month)?;
    let (first, _) = month_bounds(y, m)?;
    let month = format!("{y}-{m:02}");
    let scope = OrderScope::from(&actor.scope);
    let mut conn = app.store().read().await?;
    let f = store::month_figures(&mut conn, &scope, &month).await?;
    let lines = |rows: Vec<(String, i64, i64, i64)>, label: &dyn Fn(&str) -> String| {
        rows.into_iter()
            .map(|(key, orders, finished, government_fen)| CountLine {
                label: label(&key),
                key,
                orders,
                finished,
                government_fen,
            })
            .collect::<Vec<_>>()
    };
    let by_state = lines(
        store::counts_by(&mut conn, &scope, &month, store::GroupKey::State).await?,
        &|k| {
            OrderState::parse(k)
                .map(OrderState::label)
                .unwrap_or(k)
                .to_owned()
        },
    );
    let by_item = lines(
        store::counts_by(&mut conn, &scope, &month, store::GroupKey::Item).await?,
        &|k| k.to_owned(),
    );
    let by_provider = lines(
        store::counts_by(&mut conn, &scope, &month, store::GroupKey::Provider).await?,
        &|k| {
            if k.is_empty() {
                "（未派单）".to_owned()
            } else {
                k.to_owned()
            }
        },
    );
    let towns = store::counts_by(&mut conn, &scope, &month, store::GroupKey::Town).await?;
    let mut by_town = Vec::new();
    for (key, orders, finished, government_fen) in towns {
        let label = kangyang_store::regions::get(&mut conn, &key)
            .await?
            .map(|r| r.name)
            .unwrap_or_else(|| key.clone());
        by_town.push(CountLine {
            key,
            label,
            orders,
            finished,
            government_fen,
        });
    }
    let now = app.now();
    let limits = DEFAULT_TIME_LIMITS;
    let late_ids: Vec<i64> = store::open_orders(&mut conn, &scope)
        .await?
        .into_iter()
        .filter(|(_, state, since, scheduled, minutes, _)| {
            OrderState::parse(state).is_some_and(|s| {
                is_late(
                    s,
                    *since,
                    *scheduled,
                    u32::try_from(*minutes).unwrap_or(0),
                    &limits,
                    now,
                )
            })
        })
        .map(|(id, ..)| id)
        .take(100)
        .collect();
    let mut late_now = Vec::new();
    for id in late_ids {
        if let Some(o) = store::order(&mut conn, &scope, id).await? {
            late_now.push(order_view(o, now));
        }
    }
    let rules = entitlement_rules(&mut conn).await?;
    let born_by = civil::years_before(first, ELDERLY_AGE as u16).to_string();
    let elders = store::elders(&mut conn, &person_scope(actor, desk), &born_by, &month).await?;
    let open_complaints = store::complaints(&mut conn, &scope, None)
        .await?
        .iter()
        .filter(|k| k.status == "open")
        .count() as i64;
    let mut villages: std::collections::HashMap<String, String> = Default::default();
    let (mut entitled, mut granted, mut used, mut unserved_count) = (0i64, 0i64, 0i64, 0i64);
    let mut unserved = Vec::new();
    for e in elders {
        let birth = CivilDate::parse(&e.birth_date).map_err(AppError::internal)?;
        let elder = Elder {
            age: birth.full_years_until(first),
            economic_status: e.economic_status.as_deref().and_then(EconomicStatus::parse),
            capability: e
                .capability_level
                .as_deref()
                .and_then(CapabilityLevel::parse),
            living_alone: e
                .living_situation
                .as_deref()
                .and_then(LivingSituation::parse)
                == Some(LivingSituation::Alone),
        };
        let Some(rule) = entitlement_for(&rules, &elder) else {
            continue;
        };
        entitled += 1;
        granted = granted.saturating_add(rule.monthly.0);
        used = used.saturating_add(e.used_fen);
        if e.orders == 0 {
            unserved_count += 1;
            if unserved.len() < 200 {
                let village = match villages.get(&e.village_code) {
                    Some(v) => v.clone(),
                    None => {
                        let v = crate::register::village_name(&mut conn, &e.village_code).await?;
                        villages.insert(e.village_code.clone(), v.clone());
                        v
                    }
                };
                unserved.push(Unserved {
                    person_id: e.id,
                    name: e.name,
                    village,
                    entitlement: rule.name.clone(),
                });
            }
        }
    }
    Ok(Dashboard {
        month,
        orders: f.orders,
        finished: f.finished,
        cancelled: f.cancelled,
        was_late: f.late,
        late_now,
        mean_response_minutes: f.mean_response_s.map(|s| s / 60),
        mean_completion_minutes: f.mean_completion_s.map(|s| s / 60),
        ratings: f.ratings,
        satisfaction: f.mean_stars_x100.map(|x| {
            let tenths = (x + 5) / 10;
            format!("{}.{}", tenths / 10, tenths % 10)
        }),
        flagged: f.flagged,
        unreviewed: f.unreviewed,
        government_fen: f.government_fen,
        personal_fen: f.personal_fen,
        by_state,
        by_item,
        by_town,
        by_provider,
        entitled,
        granted_fen: granted,
        used_fen: used,
        unserved_count,
        unserved,
        open_complaints,
    })
}
