//! The person's side of home care: this month's entitlement, the home's
//! position and the care plan, and the month's orders generated from plans.

use super::{
    catalogue, desk, entitlement_rules, entitlement_view, operator_only, person_scope,
    region_scope, Desk, EntitlementView,
};
use crate::actor::Who;
use crate::audit::Event;
use crate::kangyuan::{month_bounds, parse_month};
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::capability::CapabilityLevel;
use kangyang_domain::home_care::{
    entitlement_for, plan_month, split_order, Channel, Elder, GeoPoint, OrderState, PlanLine,
};
use kangyang_domain::money::Fen;
use kangyang_domain::register::{EconomicStatus, LivingSituation, ELDERLY_AGE};
use kangyang_domain::{Action, CivilDate};
use kangyang_store::home_care::{self as store, OrderFilter, OrderScope};
use kangyang_store::register::{self, PersonRow};
use serde::{Deserialize, Serialize};

pub(super) fn elder_of(person: &PersonRow, on: CivilDate) -> Result<Elder> {
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

pub(super) fn month_of(day: CivilDate) -> String {
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

pub(super) fn parse_point(lon: &str, lat: &str) -> Result<Option<GeoPoint>> {
    let (lon, lat) = (lon.trim(), lat.trim());
    if lon.is_empty() && lat.is_empty() {
        return Ok(None);
    }
    let bad = || {
        AppError::invalid_field(
            "longitude",
            "位置",
            "经纬度应为度数，如 经度 112.08、纬度 22.94",
        )
    };
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
        let key = format!("plan[{n}]");
        let label = format!("照护计划第 {} 项", n + 1);
        // The code, as GET's `item`, or the name, as GET's `item_name`.
        let given = line.item.trim();
        let Some(item) = items
            .iter()
            .find(|i| i.code == given)
            .or_else(|| items.iter().find(|i| i.name == given))
        else {
            return Err(AppError::invalid_field(key, label, "服务项目不存在"));
        };
        if !(1..=31).contains(&line.times_per_month) || line.quantity > 8 {
            return Err(AppError::invalid_field(
                key,
                label,
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
