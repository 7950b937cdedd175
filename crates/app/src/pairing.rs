//! Pairing (结对帮扶): organisations — party branches, companies, volunteer
//! teams — paired with centres or with people, and the help they give.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::money::Fen;
use kangyang_domain::{Action, CivilDate, RegionCode};
use kangyang_store::pairing as store;
use kangyang_store::register::{self, PersonScope};

pub const ORG_KINDS: [(&str, &str); 4] = [
    ("party_branch", "党组织"),
    ("company", "企业"),
    ("volunteer_team", "志愿服务队"),
    ("other", "其他组织"),
];

pub const HELP_KINDS: [(&str, &str); 3] = [("visit", "走访"), ("money", "资金"), ("goods", "物资")];

pub async fn add_org(
    app: &App,
    actor: &Actor,
    name: &str,
    kind: &str,
    region: &str,
    contact: &str,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let region = crate::regions::resolve_input(app, actor, region, "region", "区划").await?;
    let region = RegionCode::parse(&region)
        .ok()
        .filter(|r| actor.scope.covers(r))
        .ok_or_else(|| {
            AppError::invalid_field("region", "区划", "区划代码不存在或不在您的管辖范围内")
        })?;
    crate::regions::require_known(app, &region, "region", "区划").await?;
    if name.trim().is_empty() {
        return Err(AppError::invalid_field("name", "名称", "请填写组织名称"));
    }
    if !ORG_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(AppError::invalid_field(
            "kind",
            "类别",
            "应为党组织、企业、志愿服务队或其他组织",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_org(
        &mut tx,
        name.trim(),
        kind,
        region.as_str(),
        contact.trim(),
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("pairing.org", "partner_org", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What an organisation is paired with.
#[derive(Debug, Clone, Copy)]
pub enum PairWith {
    Facility(i64),
    Person(i64),
}

pub async fn pair(
    app: &App,
    actor: &Actor,
    org_id: i64,
    with: PairWith,
    started_on: CivilDate,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let mut conn = app.store().read().await?;
    let org_region = store::org_region(&mut conn, org_id).await?;
    drop(conn);
    if !org_region
        .and_then(|r| RegionCode::parse(&r).ok())
        .is_some_and(|r| actor.scope.covers(&r))
    {
        app.audit_denied(actor, "pairing.create", "partner_org", &org_id.to_string())
            .await?;
        return Err(AppError::NotFound);
    }
    let (facility, person, region) = match with {
        PairWith::Facility(id) => {
            let f = scoped_facility(app, actor, id, "pairing.create").await?;
            (Some(id), None, f.region_code.clone())
        }
        PairWith::Person(id) => {
            let mut conn = app.store().read().await?;
            let p = register::get(&mut conn, &PersonScope::from(&actor.scope), id).await?;
            drop(conn);
            let Some(p) = p else {
                app.audit_denied(actor, "pairing.create", "person", &id.to_string())
                    .await?;
                return Err(AppError::NotFound);
            };
            (None, Some(id), p.village_code.clone())
        }
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::pair(
        &mut tx,
        org_id,
        facility,
        person,
        &region,
        &started_on.to_string(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("pairing.create", "pairing", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Help given under a pairing.
#[derive(Debug, Clone, Copy)]
pub struct HelpInput<'a> {
    pub pairing_id: i64,
    /// YYYY-MM-DD.
    pub day: &'a str,
    /// visit, money or goods.
    pub kind: &'a str,
    /// Yuan; blank for none.
    pub amount: &'a str,
    pub goods: &'a str,
    pub notes: &'a str,
}

/// Records help given under a pairing (a visit, money, goods).
pub async fn add_help(app: &App, actor: &Actor, help: &HelpInput<'_>) -> Result<i64> {
    let HelpInput {
        pairing_id,
        day,
        kind,
        amount,
        goods,
        notes,
    } = *help;
    app.require(actor, Action::FacilityManage).await?;
    let mut conn = app.store().read().await?;
    let region = store::pairing_region(&mut conn, pairing_id).await?;
    drop(conn);
    if !region
        .and_then(|r| RegionCode::parse(&r).ok())
        .is_some_and(|r| actor.scope.covers(&r))
    {
        app.audit_denied(actor, "pairing.help", "pairing", &pairing_id.to_string())
            .await?;
        return Err(AppError::NotFound);
    }
    if !HELP_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(AppError::invalid_field(
            "kind",
            "类别",
            "应为走访、资金或物资",
        ));
    }
    let amount = if amount.trim().is_empty() {
        Fen(0)
    } else {
        Fen::parse_yuan(amount).map_err(|m| AppError::invalid_field("amount", "金额", m))?
    };
    if amount > crate::funds::MAX_AMOUNT {
        return Err(AppError::invalid_field(
            "amount",
            "金额",
            "金额不超过 100 亿元",
        ));
    }
    let day = CivilDate::parse(day.trim())
        .map_err(|_| AppError::invalid_field("day", "日期", "日期应为 YYYY-MM-DD"))?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_help(
        &mut tx,
        &store::NewHelp {
            pairing_id,
            day: &day.to_string(),
            kind,
            amount_fen: amount.0,
            goods: goods.trim(),
            notes: notes.trim(),
        },
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("pairing.help", "pairing", pairing_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A partner organisation as its region's list shows it.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
}

/// A region's current pairing with a centre, with the help given so far.
#[derive(Debug, Clone)]
pub struct RegionPairing {
    pub id: i64,
    pub org_name: String,
    pub facility_name: String,
    pub started_on: String,
    pub visits: i64,
    pub money: String,
    pub goods: i64,
}

/// A region in the actor's scope, or not found (audited like the others).
async fn covered(app: &App, actor: &Actor, region: &RegionCode, action: &str) -> Result<()> {
    app.require(actor, Action::FacilityRead).await?;
    if !actor.scope.covers(region) {
        app.audit_denied(actor, action, "region", region.as_str())
            .await?;
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The partner organisations registered in a region.
pub async fn orgs(app: &App, actor: &Actor, region: &RegionCode) -> Result<Vec<OrgView>> {
    covered(app, actor, region, "pairing.read").await?;
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    Ok(store::orgs(&mut conn, &lo, &hi)
        .await?
        .into_iter()
        .map(|o| OrgView {
            id: o.id,
            kind_label: ORG_KINDS
                .iter()
                .find(|(k, _)| *k == o.kind)
                .map_or("其他组织", |(_, l)| l),
            name: o.name,
        })
        .collect())
}

/// The region's current pairings with centres and the help each received.
pub async fn of_region(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
) -> Result<Vec<RegionPairing>> {
    covered(app, actor, region, "pairing.read").await?;
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    Ok(store::with_facilities(&mut conn, &lo, &hi)
        .await?
        .into_iter()
        .map(|p| RegionPairing {
            id: p.id,
            org_name: p.org_name,
            facility_name: p.facility_name.unwrap_or_default(),
            started_on: p.started_on,
            visits: p.visits,
            money: Fen(p.money_fen).yuan_string(),
            goods: p.goods,
        })
        .collect())
}
