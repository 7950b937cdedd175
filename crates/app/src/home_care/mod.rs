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
//!
//! This file holds seeding, the catalogue and who the actor is to home care
//! (desk and scopes); `clients`, `orders`, `providers`, `quality`,
//! `settlement` and `dashboard` hold the rest, the same names as in domain
//! and store.

use crate::facility::scoped_facility;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::home_care::{
    self as rules, default_catalogue, default_entitlements, provider_template, EntitlementRule,
    ServiceItem, DEFAULT_ANOMALY_RULES, DEFAULT_TIME_LIMITS,
};
use kangyang_domain::{Action, Scope};
use kangyang_store::facility::{FacilityRow, FacilityScope};
use kangyang_store::home_care::{self as store, OrderRow, OrderScope};
use kangyang_store::register::PersonScope;
use kangyang_store::Conn;
use serde::Serialize;

mod clients;
mod dashboard;
mod orders;
mod providers;
mod quality;
mod settlement;

// The concept's one public face: callers name `home_care::X` whichever file X lives in.
pub use clients::*;
pub use dashboard::*;
pub use orders::*;
pub use providers::*;
pub use quality::*;
pub use settlement::*;

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
        Some(_) => Err(AppError::invalid_field(
            "provider_id",
            "服务机构",
            "此机构不是居家养老服务中心",
        )),
        None => {
            app.audit_denied(actor, action, "facility", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}
