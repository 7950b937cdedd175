//! The home-care dashboard: a month's figures in scope and the elderly
//! entitled but not served.

use super::{desk, entitlement_rules, order_view, person_scope, OrderView};
use crate::kangyuan::{month_bounds, parse_month};
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::capability::CapabilityLevel;
use kangyang_domain::home_care::{
    entitlement_for, is_late, Elder, OrderState, DEFAULT_TIME_LIMITS,
};
use kangyang_domain::register::{EconomicStatus, LivingSituation, ELDERLY_AGE};
use kangyang_domain::{Action, CivilDate};
use kangyang_store::home_care::{self as store, OrderScope};
use serde::Serialize;

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
