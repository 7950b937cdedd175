//! Funds: where money comes from (government levels, the lottery welfare
//! fund, departments, donations), the projects it goes to, and what is spent.
//! Officials manage the funds of their region; amounts are fen throughout.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::{project_views, scoped_facility, ProjectView};
use crate::{Actor, App, AppError, Result};
use kangyang_domain::money::Fen;
use kangyang_domain::{Action, CivilDate, RegionCode};
use kangyang_store::funds::{self as store, NewProject};

/// Kinds of fund source, with their Chinese names.
pub const SOURCE_KINDS: [(&str, &str); 9] = [
    ("central", "中央财政"),
    ("provincial", "省级财政"),
    ("city", "市级财政"),
    ("county", "县级财政"),
    ("town", "镇级财政"),
    ("lottery", "福利彩票公益金"),
    ("department", "部门支持"),
    ("donation", "社会捐赠"),
    ("other", "其他"),
];

/// Kinds of project.
pub const PROJECT_KINDS: [(&str, &str); 4] = [
    ("construction", "新建改建"),
    ("equipment", "设备与装修"),
    ("programme", "服务项目"),
    ("operating", "运营经费"),
];

/// The region of a new source or project; errors name the API's key.
async fn region_in_scope(app: &App, actor: &Actor, code: &str) -> Result<RegionCode> {
    let code = crate::regions::resolve_input(app, actor, code, "region", "区划").await?;
    let region = RegionCode::parse(&code).map_err(|_| {
        AppError::invalid_field("region", "区划", "区划代码应为 2、4、6、9 或 12 位数字")
    })?;
    if !actor.scope.covers(&region) {
        return Err(AppError::invalid_field(
            "region",
            "区划",
            "不在您的管辖范围内",
        ));
    }
    crate::regions::require_known(app, &region, "region", "区划").await?;
    Ok(region)
}

pub async fn add_source(
    app: &App,
    actor: &Actor,
    name: &str,
    kind: &str,
    region: &str,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let region = region_in_scope(app, actor, region).await?;
    if name.trim().is_empty() {
        return Err(AppError::invalid_field(
            "name",
            "名称",
            "请填写资金来源名称",
        ));
    }
    if !SOURCE_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(AppError::invalid_field(
            "kind",
            "类别",
            "不是已知的资金来源类别",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_source(&mut tx, name.trim(), kind, region.as_str(), app.now()).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("fund.source", "fund_source", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A new project: for one facility, or a programme across several.
pub struct ProjectInput<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub region: &'a str,
    pub facility_id: Option<i64>,
    pub budget: Fen,
    pub started_on: CivilDate,
    pub facilities: &'a [i64],
}

pub async fn add_project(app: &App, actor: &Actor, p: &ProjectInput<'_>) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let region = region_in_scope(app, actor, p.region).await?;
    if p.name.trim().is_empty() {
        return Err(AppError::invalid_field(
            "name",
            "项目名称",
            "请填写项目名称",
        ));
    }
    if !PROJECT_KINDS.iter().any(|(k, _)| *k == p.kind) {
        return Err(AppError::invalid_field(
            "kind",
            "项目类别",
            "不是已知的项目类别",
        ));
    }
    if p.budget.0 < 0 || p.budget > MAX_AMOUNT {
        return Err(AppError::invalid_field(
            "budget",
            "预算",
            "预算应在 0 到 100 亿元之间",
        ));
    }
    for f in p.facility_id.iter().chain(p.facilities) {
        scoped_facility(app, actor, *f, "fund.project").await?;
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_project(
        &mut tx,
        &NewProject {
            name: p.name.trim(),
            kind: p.kind,
            region_code: region.as_str(),
            facility_id: p.facility_id,
            budget_fen: p.budget.0,
            started_on: &p.started_on.to_string(),
            facilities: p.facilities,
        },
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("fund.project", "project", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A project in the actor's region, or NotFound (audited).
async fn scoped_project(app: &App, actor: &Actor, id: i64, action: &str) -> Result<()> {
    let mut conn = app.store().read().await?;
    let project = store::project(&mut conn, id).await?;
    drop(conn);
    let visible = project.is_some_and(|p| {
        RegionCode::parse(&p.region_code).is_ok_and(|r| actor.scope.covers(&r))
            && (actor.scope.facility_id().is_none() || actor.scope.facility_id() == p.facility_id)
    });
    if !visible {
        app.audit_denied(actor, action, "project", &id.to_string())
            .await?;
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// An amount typed in yuan, more than nothing.
fn positive_yuan(s: &str) -> Result<Fen> {
    let amount = Fen::parse_yuan(s).map_err(|m| AppError::invalid_field("amount", "金额", m))?;
    if amount.0 <= 0 || amount > MAX_AMOUNT {
        return Err(AppError::invalid_field(
            "amount",
            "金额",
            "金额应大于 0、不超过 100 亿元",
        ));
    }
    Ok(amount)
}

/// The largest single amount (ten billion yuan): far above any welfare
/// project, and low enough that sums of millions of them fit in 64 bits.
pub const MAX_AMOUNT: Fen = Fen(1_000_000_000_000);

fn day_of(s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::invalid_field("day", "日期", "日期应为 YYYY-MM-DD"))
}

/// Allocates money (typed in yuan) from a source to a project on a day.
pub async fn allocate(
    app: &App,
    actor: &Actor,
    source_id: i64,
    project_id: i64,
    amount: &str,
    day: &str,
    note: &str,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_project(app, actor, project_id, "fund.allocate").await?;
    let amount = positive_yuan(amount)?;
    let day = day_of(day)?;
    let mut conn = app.store().read().await?;
    let (lo, hi) = actor.scope.region().subtree_range();
    // A source of the actor's region or one above it (a provincial fund
    // allocating to a county's project).
    let (root_lo, root_hi) = crate::facility::province_of(actor.scope.region()).subtree_range();
    let known = store::sources(&mut conn, &root_lo, &root_hi)
        .await?
        .into_iter()
        .any(|s| {
            s.id == source_id
                && (actor.scope.region().as_str().starts_with(&s.region_code)
                    || (s.region_code.as_str() >= lo.as_str()
                        && s.region_code.as_str() < hi.as_str()))
        });
    drop(conn);
    if !known {
        return Err(AppError::invalid_field(
            "source_id",
            "资金来源",
            "资金来源不存在或不在您的管辖范围内",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::allocate(
        &mut tx,
        source_id,
        project_id,
        amount.0,
        &day.to_string(),
        note.trim(),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("fund.allocate", "project", project_id.to_string());
    event.detail = serde_json::json!({ "source": source_id, "amount_fen": amount.0 });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records money (typed in yuan) spent on a project on a day.
pub async fn spend(
    app: &App,
    actor: &Actor,
    project_id: i64,
    amount: &str,
    day: &str,
    item: &str,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_project(app, actor, project_id, "fund.spend").await?;
    let amount = positive_yuan(amount)?;
    let day = day_of(day)?;
    if item.trim().is_empty() {
        return Err(AppError::invalid_field(
            "item",
            "支出事项",
            "请填写支出事项",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::spend(
        &mut tx,
        project_id,
        amount.0,
        &day.to_string(),
        item.trim(),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("fund.spend", "project", project_id.to_string());
    event.detail = serde_json::json!({ "amount_fen": amount.0 });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every project of a region with budget, allocated, spent and funding mix.
pub async fn projects(app: &App, actor: &Actor, region: &RegionCode) -> Result<Vec<ProjectView>> {
    app.require(actor, Action::FacilityRead).await?;
    if !actor.scope.covers(region) {
        app.audit_denied(actor, "fund.read", "region", region.as_str())
            .await?;
        return Err(AppError::NotFound);
    }
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    let rows = store::projects(&mut conn, &lo, &hi, actor.scope.facility_id()).await?;
    project_views(&mut conn, rows).await
}

/// A fund source an official of the region may allocate from.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub region_code: String,
}

/// The sources the actor may allocate from: their region's and those of the
/// regions above it (the same rule `allocate` checks).
pub async fn sources(app: &App, actor: &Actor) -> Result<Vec<SourceView>> {
    app.require(actor, Action::FacilityRead).await?;
    let (lo, hi) = actor.scope.region().subtree_range();
    let (root_lo, root_hi) = crate::facility::province_of(actor.scope.region()).subtree_range();
    let mut conn = app.store().read().await?;
    Ok(store::sources(&mut conn, &root_lo, &root_hi)
        .await?
        .into_iter()
        .filter(|s| {
            actor.scope.region().as_str().starts_with(&s.region_code)
                || (s.region_code.as_str() >= lo.as_str() && s.region_code.as_str() < hi.as_str())
        })
        .map(|s| SourceView {
            id: s.id,
            kind_label: SOURCE_KINDS
                .iter()
                .find(|(k, _)| *k == s.kind)
                .map_or("其他", |(_, l)| l),
            name: s.name,
            region_code: s.region_code,
        })
        .collect())
}
