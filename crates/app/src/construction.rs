//! Construction projects (建设项目) of welfare facilities: planning,
//! tendering, contract, construction, acceptance, in use; milestones with
//! planned and actual dates, delays highlighted; budget and payments, paid
//! through a funds project when one is linked (each payment is then also that
//! project's expenditure, so the funds page and this one agree).
//!
//! Officials read (FacilityRead) and manage (FacilityManage) the projects of
//! their region; a facility's staff see their facility's projects.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::funds::MAX_AMOUNT;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::construction::{Delay, Stage};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::money::Fen;
use kangyang_domain::{Action, CivilDate, RegionCode};
use kangyang_store::construction::{self as store, BuildRow, NewBuild};
use kangyang_store::{funds, regions};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MilestoneInput {
    /// The stage it belongs to (planning, tendering, contract, construction,
    /// acceptance, in_use).
    pub stage: String,
    pub name: String,
    /// YYYY-MM-DD.
    pub planned_on: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BuildInput {
    pub name: String,
    /// The town or county it is built in.
    pub region: String,
    /// The facility kind being built (e.g. kangyuan_centre).
    pub facility_kind: String,
    pub facility_id: Option<i64>,
    /// The funds project paying for it.
    pub fund_project_id: Option<i64>,
    /// Yuan, e.g. "470000".
    pub budget: String,
    pub contractor: String,
    pub floor_area_m2: Option<i64>,
    pub milestones: Vec<MilestoneInput>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StageInput {
    /// The next stage.
    pub to: String,
    /// YYYY-MM-DD; today when empty.
    pub day: String,
    /// With the move to contract: the contractor.
    pub contractor: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProgressInput {
    pub milestone_id: i64,
    /// YYYY-MM-DD: the day it was reached.
    pub actual_on: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PaymentInput {
    /// Yuan.
    pub amount: String,
    pub day: String,
    pub item: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MilestoneView {
    pub id: i64,
    pub stage: String,
    pub stage_label: String,
    pub name: String,
    pub planned_on: String,
    pub actual_on: Option<String>,
    /// on_time, pending, late or overdue.
    pub status: String,
    pub status_label: String,
    pub delay_days: i64,
    pub delayed: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub amount: String,
    pub amount_fen: i64,
    pub day: String,
    pub item: String,
    /// Also written as the funds project's expenditure.
    pub through_funds: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageStep {
    pub code: String,
    pub label: String,
    pub reached: bool,
    pub current: bool,
    /// The day it was reached, when recorded.
    pub day: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildView {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub facility_kind: String,
    pub facility_kind_label: String,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub fund_project_id: Option<i64>,
    pub fund_project_name: Option<String>,
    pub stage: String,
    pub stage_label: String,
    /// The stage that may come next, if any.
    pub next_stage: Option<String>,
    pub next_stage_label: Option<String>,
    pub budget: String,
    pub budget_fen: i64,
    pub paid: String,
    pub paid_fen: i64,
    /// Paid over budget, per mille.
    pub paid_permille: i64,
    pub contractor: String,
    pub floor_area_m2: Option<i64>,
    /// Some milestone is late or overdue.
    pub delayed: bool,
    /// The largest delay in days.
    pub delay_days: i64,
    pub milestones: Vec<MilestoneView>,
    pub steps: Vec<StageStep>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildDetail {
    pub build: BuildView,
    pub payments: Vec<PaymentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildList {
    pub region_code: String,
    pub region_name: String,
    pub builds: Vec<BuildView>,
    pub delayed: usize,
    pub budget: String,
    pub paid: String,
}

/// A region the actor reads at region level, or NotFound (audited).
async fn check_region(app: &App, actor: &Actor, region: &RegionCode, what: &str) -> Result<String> {
    let row = if actor.scope.covers(region) {
        let mut conn = app.store().read().await?;
        regions::get(&mut conn, region.as_str()).await?
    } else {
        None
    };
    match row {
        Some(r) => Ok(r.name),
        None => {
            app.audit_denied(actor, what, "region", region.as_str())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// The project if the actor may see it, otherwise NotFound (audited).
async fn scoped_build(app: &App, actor: &Actor, id: i64, what: &str) -> Result<BuildRow> {
    let mut conn = app.store().read().await?;
    let row = store::get(&mut conn, id).await?;
    drop(conn);
    match row {
        Some(b)
            if RegionCode::parse(&b.region_code).is_ok_and(|r| actor.scope.covers(&r))
                && (actor.scope.facility_id().is_none()
                    || actor.scope.facility_id() == b.facility_id) =>
        {
            Ok(b)
        }
        _ => {
            app.audit_denied(actor, what, "construction", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

fn day(key: &str, label: &str, s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::invalid_field(key, label, "日期应为 YYYY-MM-DD"))
}

fn milestone(input: &MilestoneInput, n: Option<usize>) -> Result<(Stage, String, CivilDate)> {
    let at = |what: &str| match n {
        Some(n) => format!("第 {n} 个里程碑：{what}"),
        None => what.to_owned(),
    };
    let stage = Stage::parse(&input.stage)
        .ok_or_else(|| AppError::invalid_field("stage", "阶段", at("请选择所属阶段")))?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "name",
            "里程碑名称",
            at("请填写里程碑名称（100 字以内）"),
        ));
    }
    let planned = CivilDate::parse(input.planned_on.trim()).map_err(|_| {
        AppError::invalid_field("planned_on", "计划日期", at("计划日期应为 YYYY-MM-DD"))
    })?;
    Ok((stage, name.to_owned(), planned))
}

/// Starts a project (stage: planning) with its milestones.
pub async fn create(app: &App, actor: &Actor, input: &BuildInput) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let region_text =
        crate::regions::resolve_input(app, actor, &input.region, "region", "所在区划").await?;
    let region = RegionCode::parse(&region_text).map_err(|_| {
        AppError::invalid_field("region", "所在区划", "区划代码应为 2、4、6、9 或 12 位数字")
    })?;
    if !actor.scope.covers(&region) || actor.scope.facility_id().is_some() {
        return Err(AppError::invalid_field(
            "region",
            "所在区划",
            "不在您的管辖范围内",
        ));
    }
    crate::regions::require_known(app, &region, "region", "所在区划").await?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "name",
            "项目名称",
            "请填写项目名称（100 字以内）",
        ));
    }
    let kind = FacilityKind::parse(&input.facility_kind).ok_or_else(|| {
        AppError::invalid_field("facility_kind", "设施类别", "请选择所建设施类别")
    })?;
    let budget =
        Fen::parse_yuan(&input.budget).map_err(|m| AppError::invalid_field("budget", "预算", m))?;
    if budget.0 <= 0 || budget > MAX_AMOUNT {
        return Err(AppError::invalid_field(
            "budget",
            "预算",
            "预算应大于 0、不超过 100 亿元",
        ));
    }
    if let Some(area) = input.floor_area_m2 {
        if !(1..=1_000_000).contains(&area) {
            return Err(AppError::invalid_field(
                "floor_area_m2",
                "建筑面积",
                "建筑面积应为 1 到 1000000 平方米",
            ));
        }
    }
    let milestones = input
        .milestones
        .iter()
        .enumerate()
        .map(|(n, m)| milestone(m, Some(n + 1)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(f) = input.facility_id {
        scoped_facility(app, actor, f, "construction.create").await?;
    }
    if let Some(p) = input.fund_project_id {
        let mut conn = app.store().read().await?;
        let project = funds::project(&mut conn, p).await?;
        let ok = project.is_some_and(|p| {
            RegionCode::parse(&p.region_code).is_ok_and(|r| actor.scope.covers(&r))
        });
        if !ok {
            return Err(AppError::invalid_field(
                "fund_project_id",
                "资金项目",
                "资金项目不存在或不在您的管辖范围内",
            ));
        }
    }
    let now = app.now();
    let today = app.today().to_string();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::insert(
        &mut tx,
        &NewBuild {
            name,
            region_code: region.as_str(),
            facility_id: input.facility_id,
            facility_kind: kind.as_str(),
            fund_project_id: input.fund_project_id,
            stage: Stage::Planning.as_str(),
            budget_fen: budget.0,
            contractor: input.contractor.trim(),
            floor_area_m2: input.floor_area_m2,
        },
        now,
    )
    .await?;
    store::set_stage(
        &mut tx,
        id,
        Stage::Planning.as_str(),
        &today,
        Some(actor.user_id),
        now,
    )
    .await?;
    for (stage, name, planned) in &milestones {
        store::add_milestone(&mut tx, id, stage.as_str(), name, &planned.to_string(), now).await?;
    }
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("construction.create", "construction", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Moves a project to its next stage.
pub async fn advance(app: &App, actor: &Actor, id: i64, input: &StageInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let b = scoped_build(app, actor, id, "construction.stage").await?;
    let current = Stage::parse(&b.stage).unwrap_or(Stage::Planning);
    let to = Stage::parse(&input.to)
        .ok_or_else(|| AppError::invalid_field("to", "下一阶段", "请选择下一阶段"))?;
    if !current.may_move_to(to) {
        return Err(AppError::invalid_field(
            "to",
            "下一阶段",
            format!(
                "项目处于“{}”阶段，只能进入“{}”",
                current.label(),
                current
                    .next()
                    .map(|s| s.label())
                    .unwrap_or("（已交付使用）")
            ),
        ));
    }
    let on = if input.day.trim().is_empty() {
        app.today()
    } else {
        day("day", "日期", &input.day)?
    };
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::set_stage(
        &mut tx,
        id,
        to.as_str(),
        &on.to_string(),
        Some(actor.user_id),
        now,
    )
    .await?;
    if to == Stage::Contract && !input.contractor.trim().is_empty() {
        store::set_contractor(&mut tx, id, input.contractor.trim()).await?;
    }
    let mut event = Event::ok("construction.stage", "construction", id.to_string());
    event.detail = serde_json::json!({ "from": current.as_str(), "to": to.as_str() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_milestone(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &MilestoneInput,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_build(app, actor, id, "construction.milestone").await?;
    let (stage, name, planned) = milestone(input, None)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let m = store::add_milestone(
        &mut tx,
        id,
        stage.as_str(),
        &name,
        &planned.to_string(),
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("construction.milestone", "construction", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

/// Records the day a milestone was reached.
pub async fn progress(app: &App, actor: &Actor, id: i64, input: &ProgressInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_build(app, actor, id, "construction.progress").await?;
    let actual = day("actual_on", "实际完成日期", &input.actual_on)?;
    if actual > app.today() {
        return Err(AppError::invalid_field(
            "actual_on",
            "实际完成日期",
            "实际日期不能晚于今天",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::set_actual(&mut tx, id, input.milestone_id, &actual.to_string()).await? {
        return Err(AppError::invalid_field(
            "milestone_id",
            "里程碑",
            "该项目没有这个里程碑",
        ));
    }
    let mut event = Event::ok("construction.progress", "construction", id.to_string());
    event.detail =
        serde_json::json!({ "milestone": input.milestone_id, "actual_on": actual.to_string() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a payment; with a funds project, also its expenditure. Payments
/// may not add up to more than the budget.
pub async fn pay(app: &App, actor: &Actor, id: i64, input: &PaymentInput) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let b = scoped_build(app, actor, id, "construction.payment").await?;
    let amount =
        Fen::parse_yuan(&input.amount).map_err(|m| AppError::invalid_field("amount", "金额", m))?;
    if amount.0 <= 0 || amount > MAX_AMOUNT {
        return Err(AppError::invalid_field(
            "amount",
            "金额",
            "金额应大于 0、不超过 100 亿元",
        ));
    }
    let on = day("day", "日期", &input.day)?;
    let item = input.item.trim();
    if item.is_empty() || item.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "item",
            "事项",
            "请填写付款事项（100 字以内）",
        ));
    }
    if b.paid_fen + amount.0 > b.budget_fen {
        return Err(AppError::invalid_field(
            "amount",
            "金额",
            format!(
                "付款合计将达 {} 元，超过预算 {} 元；请先调整预算",
                Fen(b.paid_fen + amount.0),
                Fen(b.budget_fen)
            ),
        ));
    }
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let expenditure = match b.fund_project_id {
        Some(p) => Some(funds::spend(&mut tx, p, amount.0, &on.to_string(), item, now).await?),
        None => None,
    };
    let pid = store::add_payment(
        &mut tx,
        id,
        amount.0,
        &on.to_string(),
        item,
        expenditure,
        now,
    )
    .await?;
    let mut event = Event::ok("construction.payment", "construction", id.to_string());
    event.detail = serde_json::json!({ "amount_fen": amount.0, "expenditure": expenditure });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(pid)
}

fn view(
    b: BuildRow,
    milestones: Vec<store::MilestoneRow>,
    stages: &[(String, String)],
    today: CivilDate,
) -> BuildView {
    let stage = Stage::parse(&b.stage).unwrap_or(Stage::Planning);
    let milestones: Vec<MilestoneView> = milestones
        .into_iter()
        .map(|m| {
            let planned = CivilDate::parse(&m.planned_on).unwrap_or(today);
            let actual = m
                .actual_on
                .as_deref()
                .and_then(|a| CivilDate::parse(a).ok());
            let delay = Delay::of(planned, actual, today);
            let st = Stage::parse(&m.stage).unwrap_or(Stage::Planning);
            MilestoneView {
                id: m.id,
                stage: st.as_str().to_owned(),
                stage_label: st.label().to_owned(),
                name: m.name,
                planned_on: m.planned_on,
                actual_on: m.actual_on,
                status: delay.code().to_owned(),
                status_label: delay.label(),
                delay_days: delay.days(),
                delayed: delay.is_delayed(),
            }
        })
        .collect();
    let delay_days = milestones.iter().map(|m| m.delay_days).max().unwrap_or(0);
    let kind = FacilityKind::parse(&b.facility_kind);
    let steps = Stage::ALL
        .iter()
        .map(|s| StageStep {
            code: s.as_str().to_owned(),
            label: s.label().to_owned(),
            reached: *s <= stage,
            current: *s == stage,
            day: stages
                .iter()
                .rev()
                .find(|(code, _)| code == s.as_str())
                .map(|(_, d)| d.clone()),
        })
        .collect();
    BuildView {
        id: b.id,
        name: b.name,
        region_code: b.region_code,
        region_name: b.region_name,
        facility_kind: b.facility_kind.clone(),
        facility_kind_label: kind
            .map(|k| k.label().to_owned())
            .unwrap_or(b.facility_kind),
        facility_id: b.facility_id,
        facility_name: b.facility_name,
        fund_project_id: b.fund_project_id,
        fund_project_name: b.fund_project_name,
        stage: stage.as_str().to_owned(),
        stage_label: stage.label().to_owned(),
        next_stage: stage.next().map(|s| s.as_str().to_owned()),
        next_stage_label: stage.next().map(|s| s.label().to_owned()),
        budget: Fen(b.budget_fen).to_string(),
        budget_fen: b.budget_fen,
        paid: Fen(b.paid_fen).to_string(),
        paid_fen: b.paid_fen,
        paid_permille: if b.budget_fen > 0 {
            (b.paid_fen * 1000 + b.budget_fen / 2) / b.budget_fen
        } else {
            0
        },
        contractor: b.contractor,
        floor_area_m2: b.floor_area_m2,
        delayed: milestones.iter().any(|m| m.delayed),
        delay_days,
        milestones,
        steps,
    }
}

/// The projects of a region, delays first counted.
pub async fn list(app: &App, actor: &Actor, region: &RegionCode) -> Result<BuildList> {
    app.require(actor, Action::FacilityRead).await?;
    let region_name = check_region(app, actor, region, "construction.read").await?;
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    let rows = store::list(&mut conn, &lo, &hi, actor.scope.facility_id()).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut milestones = store::milestones(&mut conn, &ids).await?;
    drop(conn);
    let today = app.today();
    let (budget, paid) = rows
        .iter()
        .fold((0, 0), |acc, r| (acc.0 + r.budget_fen, acc.1 + r.paid_fen));
    let builds: Vec<BuildView> = rows
        .into_iter()
        .map(|r| {
            let mine: Vec<_> = milestones
                .iter()
                .filter(|m| m.project_id == r.id)
                .cloned()
                .collect();
            milestones.retain(|m| m.project_id != r.id);
            view(r, mine, &[], today)
        })
        .collect();
    Ok(BuildList {
        region_code: region.as_str().to_owned(),
        region_name,
        delayed: builds.iter().filter(|b| b.delayed).count(),
        budget: Fen(budget).to_string(),
        paid: Fen(paid).to_string(),
        builds,
    })
}

pub async fn detail(app: &App, actor: &Actor, id: i64) -> Result<BuildDetail> {
    app.require(actor, Action::FacilityRead).await?;
    let b = scoped_build(app, actor, id, "construction.read").await?;
    let mut conn = app.store().read().await?;
    let milestones = store::milestones(&mut conn, &[id]).await?;
    let stages = store::stages(&mut conn, id).await?;
    let payments = store::payments(&mut conn, id)
        .await?
        .into_iter()
        .map(|p| PaymentView {
            id: p.id,
            amount: Fen(p.amount_fen).to_string(),
            amount_fen: p.amount_fen,
            day: p.day,
            item: p.item,
            through_funds: p.expenditure_id.is_some(),
        })
        .collect();
    Ok(BuildDetail {
        build: view(b, milestones, &stages, app.today()),
        payments,
    })
}

/// The stages, for forms.
pub fn stages() -> Vec<(String, String)> {
    Stage::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect()
}
