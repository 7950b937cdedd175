//! Age-friendly home modification (居家适老化改造): cases of elderly
//! households moved step by step from application to payment, the items of
//! each case's design from the Ministry's 2020 list with their cost, before
//! and after photos kept with the case, annual targets per region and the
//! progress against them by county, with the cases stuck in one step.
//!
//! Case work is person-level: it takes `PersonWrite` (reading, `PersonRead`)
//! and reaches only cases whose person is in the actor's scope. Targets are
//! a programme's figures: setting one takes `FacilityManage`, as funds do.

use crate::actor::Who;
use crate::audit::Event;
use crate::register::scoped_person;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::home_modification::{
    check_move, item_by_code, photo_kind, recommended_items, CaseState, PhotoPhase,
    MAX_PHOTOS_PER_CASE, MAX_PHOTO_BYTES, MAX_QUANTITY, MAX_UNIT_COST,
};
use kangyang_domain::money::{per_mille, percent_string, Fen};
use kangyang_domain::register::{EconomicStatus, ELDERLY_AGE};
use kangyang_domain::{Action, CivilDate, RegionCode, RegionLevel};
use kangyang_store::home_modification::{
    self as store, CaseRow, ItemRow, NewCase, NewPhoto, NewStep,
};
use kangyang_store::register::PersonScope;
use kangyang_store::{regions, Conn, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const OBJECT: &str = "home_mod_case";

// ---- the list ----

/// One item of the Ministry's list as offered on a case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CatalogueItem {
    pub code: &'static str,
    pub group: &'static str,
    pub name: &'static str,
    /// 基础类 (subsidised for households in special difficulty) or 可选类.
    pub basic: bool,
    pub typical_cost_fen: i64,
    pub typical_cost: String,
}

/// The recommended list (民发〔2020〕86号 annex), in its order.
pub fn catalogue() -> Vec<CatalogueItem> {
    recommended_items()
        .iter()
        .map(|i| CatalogueItem {
            code: i.code,
            group: i.group,
            name: i.name,
            basic: i.basic,
            typical_cost_fen: i.typical_cost.0,
            typical_cost: i.typical_cost.yuan_string(),
        })
        .collect()
}

// ---- views ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemLine {
    pub code: String,
    pub group: &'static str,
    pub name: &'static str,
    pub basic: bool,
    pub quantity: i64,
    pub unit_cost_fen: i64,
    pub unit_cost: String,
    pub line_fen: i64,
    pub line: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// None for the opening of the case.
    pub from: Option<String>,
    pub from_label: Option<&'static str>,
    pub to: String,
    pub to_label: &'static str,
    pub day: String,
    pub user: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhotoView {
    pub id: i64,
    /// before or after
    pub phase: String,
    pub phase_label: &'static str,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: String,
    pub uploaded_by: String,
    /// Where the image is served (signed-in, scope-checked).
    pub url: String,
}

/// A state or phase a form may offer: (code, label).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    /// Masked: 4453**********123X
    pub id_number: String,
    pub age: u32,
    pub economic_status_label: Option<&'static str>,
    pub village_code: String,
    pub village_name: String,
    pub year: i64,
    pub state: String,
    pub state_label: &'static str,
    /// The day the case entered its current step.
    pub since: String,
    pub applied_on: String,
    pub days_in_state: i64,
    /// How long the step may take (days); none once paid or withdrawn.
    pub limit_days: Option<u32>,
    pub stuck: bool,
    pub items: Vec<ItemLine>,
    pub total_fen: i64,
    pub total: String,
    /// Basic items (基础类), what the subsidy covers.
    pub basic_fen: i64,
    pub basic_total: String,
    pub optional_fen: i64,
    pub optional_total: String,
    pub history: Vec<StepView>,
    pub photos: Vec<PhotoView>,
    /// The steps the case may move to now.
    pub moves: Vec<Choice>,
    pub items_editable: bool,
    /// The photo phases that may be uploaded now.
    pub photo_phases: Vec<Choice>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: i64,
    pub year: i64,
    pub state: String,
    pub state_label: &'static str,
    pub since: String,
    pub applied_on: String,
    pub total: String,
}

/// A person with their cases, for opening a new one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonCases {
    pub person_id: i64,
    pub person_name: String,
    pub id_number: String,
    pub age: u32,
    pub village_name: String,
    pub cases: Vec<CaseSummary>,
}

fn state_of(code: &str) -> Result<CaseState> {
    CaseState::parse(code).ok_or_else(|| AppError::internal("unknown case state in store"))
}

fn age_on(birth_date: &str, day: CivilDate) -> Result<u32> {
    CivilDate::parse(birth_date)
        .map(|b| b.full_years_until(day))
        .map_err(AppError::internal)
}

fn item_line(row: &ItemRow) -> ItemLine {
    let known = item_by_code(&row.item_code);
    let line = Fen(row.unit_cost_fen)
        .checked_mul(row.quantity)
        .unwrap_or(Fen(0));
    ItemLine {
        code: row.item_code.clone(),
        group: known.map_or("", |i| i.group),
        name: known.map_or("", |i| i.name),
        basic: row.basic == 1,
        quantity: row.quantity,
        unit_cost_fen: row.unit_cost_fen,
        unit_cost: Fen(row.unit_cost_fen).yuan_string(),
        line_fen: line.0,
        line: line.yuan_string(),
    }
}

/// The items in the list's order (the store keeps them by code).
fn ordered_items(rows: &[ItemRow]) -> Vec<ItemLine> {
    let position = |code: &str| {
        recommended_items()
            .iter()
            .position(|i| i.code == code)
            .unwrap_or(usize::MAX)
    };
    let mut lines: Vec<ItemLine> = rows.iter().map(item_line).collect();
    lines.sort_by_key(|l| position(&l.code));
    lines
}

async fn view_of(app: &App, conn: &mut Conn, row: CaseRow) -> Result<CaseView> {
    let state = state_of(&row.state)?;
    let today = app.today();
    let since = CivilDate::parse(&row.since).map_err(AppError::internal)?;
    let items = store::items(conn, row.id).await?;
    let history = store::history(conn, row.id)
        .await?
        .into_iter()
        .map(|h| {
            let from = h.from_state.as_deref().and_then(CaseState::parse);
            let to = CaseState::parse(&h.to_state);
            StepView {
                from: h.from_state.clone(),
                from_label: from.map(CaseState::label),
                to: h.to_state.clone(),
                to_label: to.map_or("", CaseState::label),
                day: h.day,
                user: h.user_name.unwrap_or_else(|| "（系统）".to_owned()),
                note: h.note,
            }
        })
        .collect();
    let photos = store::photos(conn, row.id)
        .await?
        .into_iter()
        .map(|p| PhotoView {
            url: format!("/modifications/{}/photos/{}", row.id, p.id),
            id: p.id,
            phase_label: PhotoPhase::parse(&p.phase).map_or("", PhotoPhase::label),
            phase: p.phase,
            content_type: p.content_type,
            size: p.size,
            uploaded_at: civil::datetime(p.uploaded_at),
            uploaded_by: p.uploaded_by.unwrap_or_default(),
        })
        .collect();
    let moves = CaseState::ALL
        .iter()
        .copied()
        .filter(|to| state.can_move_to(*to).is_ok())
        .map(|s| Choice {
            code: s.as_str(),
            label: s.label(),
        })
        .collect();
    let photo_phases = PhotoPhase::ALL
        .iter()
        .copied()
        .filter(|p| p.allowed_in(state).is_ok())
        .map(|p| Choice {
            code: p.as_str(),
            label: p.label(),
        })
        .collect();
    let village_name = crate::register::village_name(conn, &row.village_code).await?;
    let optional_fen = row.total_fen - row.basic_fen;
    Ok(CaseView {
        id: row.id,
        person_id: row.person_id,
        person_name: row.person_name,
        id_number: row.id_masked,
        age: age_on(&row.birth_date, today)?,
        economic_status_label: row
            .economic_status
            .as_deref()
            .and_then(EconomicStatus::parse)
            .map(EconomicStatus::label),
        village_code: row.village_code,
        village_name,
        year: row.year,
        state: state.as_str().to_owned(),
        state_label: state.label(),
        since: row.since,
        applied_on: row.applied_on,
        days_in_state: since.days_until(today),
        limit_days: state.default_limit_days(),
        stuck: state.is_stuck(since, today),
        items: ordered_items(&items),
        total_fen: row.total_fen,
        total: Fen(row.total_fen).yuan_string(),
        basic_fen: row.basic_fen,
        basic_total: Fen(row.basic_fen).yuan_string(),
        optional_fen,
        optional_total: Fen(optional_fen).yuan_string(),
        history,
        photos,
        moves,
        items_editable: state.items_editable(),
        photo_phases,
    })
}

/// The case `id` if its person is in the actor's scope; anything else is
/// `NotFound` (whether it exists or not), the refusal audited under `action`.
async fn scoped_case(app: &App, actor: &Actor, id: i64, action: &str) -> Result<CaseRow> {
    let mut conn = app.store().read().await?;
    let row = store::case(&mut conn, &PersonScope::from(&actor.scope), id).await?;
    drop(conn);
    match row {
        Some(row) => Ok(row),
        None => {
            app.audit_denied(actor, action, OBJECT, &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

// ---- opening a case ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OpenCaseInput {
    pub person_id: i64,
    /// YYYY-MM-DD; today when blank. The case counts in this day's year.
    pub applied_on: String,
    pub note: String,
}

/// A day typed in a form: today when blank, never after today.
fn day_field(app: &App, key: &str, label: &str, s: &str) -> Result<CivilDate> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(app.today());
    }
    let day = CivilDate::parse(s)
        .map_err(|_| AppError::invalid_field(key, label, "日期应为 YYYY-MM-DD，如 2026-03-15"))?;
    if day > app.today() {
        return Err(AppError::invalid_field(
            key,
            label,
            "不能登记今天以后的日期",
        ));
    }
    Ok(day)
}

fn note_field(note: &str) -> Result<&str> {
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "note",
            "备注",
            "备注不能超过 200 字",
        ));
    }
    Ok(note)
}

/// Opens a case for an elderly person: one live case a person a year.
pub async fn open_case(app: &App, actor: &Actor, input: &OpenCaseInput) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    let person = scoped_person(app, actor, input.person_id, "home_mod.open").await?;
    let applied_on = day_field(app, "applied_on", "申请日期", &input.applied_on)?;
    if applied_on.year() < 2000 {
        return Err(AppError::invalid_field(
            "applied_on",
            "申请日期",
            "申请日期不能早于 2000 年",
        ));
    }
    let note = note_field(&input.note)?;
    if person.status != "alive" {
        return Err(AppError::invalid_field(
            "person_id",
            "申请人",
            "此人已故或已迁出，不能申请适老化改造",
        ));
    }
    if age_on(&person.birth_date, applied_on)? < ELDERLY_AGE {
        return Err(AppError::invalid_field(
            "person_id",
            "申请人",
            "适老化改造面向 60 周岁及以上老年人的家庭：此人申请时未满 60 周岁",
        ));
    }
    let day = applied_on.to_string();
    let state = CaseState::Applied.as_str();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::insert_case(
        &mut tx,
        &NewCase {
            person_id: person.id,
            village_code: &person.village_code,
            year: i64::from(applied_on.year()),
            state,
            since: &day,
            applied_on: &day,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await
    .map_err(|e| match e {
        StoreError::Duplicate(_) => AppError::Conflict(format!(
            "此人 {} 年已有适老化改造案件（未撤回）：每人每年一件，请在原案件中办理",
            applied_on.year()
        )),
        e => e.into(),
    })?;
    store::add_step(
        &mut tx,
        &NewStep {
            case_id: id,
            from: None,
            to: state,
            day: &day,
            by: Some(actor.user_id),
            note,
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_mod.open", OBJECT, id.to_string());
    event.detail = serde_json::json!({ "person": person.id, "year": applied_on.year() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

// ---- reading ----

/// One case with its items, history and photos (a person-level read, audited).
pub async fn case(app: &App, actor: &Actor, id: i64) -> Result<CaseView> {
    app.require(actor, Action::PersonRead).await?;
    let row = scoped_case(app, actor, id, "home_mod.read").await?;
    let mut conn = app.store().read().await?;
    let view = view_of(app, &mut conn, row).await?;
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event::ok("home_mod.read", OBJECT, id.to_string()),
    )
    .await?;
    Ok(view)
}

/// A person's cases, newest first (a person-level read, audited).
pub async fn cases_of_person(app: &App, actor: &Actor, person_id: i64) -> Result<PersonCases> {
    app.require(actor, Action::PersonRead).await?;
    let person = scoped_person(app, actor, person_id, "home_mod.read").await?;
    let mut conn = app.store().read().await?;
    let cases = store::cases_of_person(&mut conn, person_id)
        .await?
        .into_iter()
        .map(|c| {
            let state = state_of(&c.state)?;
            Ok(CaseSummary {
                id: c.id,
                year: c.year,
                state: state.as_str().to_owned(),
                state_label: state.label(),
                since: c.since,
                applied_on: c.applied_on,
                total: Fen(c.total_fen).yuan_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let village_name = crate::register::village_name(&mut conn, &person.village_code).await?;
    drop(conn);
    app.audit(
        &Who::from(actor),
        Event::ok("home_mod.read", "person", person_id.to_string()),
    )
    .await?;
    Ok(PersonCases {
        person_id,
        age: age_on(&person.birth_date, app.today())?,
        person_name: person.name.clone(),
        id_number: person.id_masked.clone(),
        village_name,
        cases,
    })
}

// ---- moving a case ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MoveInput {
    /// The step to move to: assessed, designed, works, accepted, paid or withdrawn.
    pub to: String,
    /// YYYY-MM-DD; today when blank.
    pub day: String,
    /// Required when withdrawing: why.
    pub note: String,
}

/// Moves a case to its next step (or withdraws it) under the domain rules;
/// the step is kept in the history.
pub async fn move_case(app: &App, actor: &Actor, id: i64, input: &MoveInput) -> Result<CaseState> {
    app.require(actor, Action::PersonWrite).await?;
    let row = scoped_case(app, actor, id, "home_mod.move").await?;
    let from = state_of(&row.state)?;
    let to = CaseState::parse(&input.to).ok_or_else(|| {
        AppError::invalid_field(
            "to",
            "转到",
            "请选择要转到的环节：评估、设计、施工、验收、已拨付或撤回",
        )
    })?;
    let since = CivilDate::parse(&row.since).map_err(AppError::internal)?;
    let day = day_field(app, "day", "日期", &input.day)?;
    if day < since {
        return Err(AppError::invalid_field(
            "day",
            "日期",
            format!("日期不能早于案件进入“{}”环节的 {since}", from.label()),
        ));
    }
    let note = note_field(&input.note)?;
    if to == CaseState::Withdrawn && note.is_empty() {
        return Err(AppError::invalid_field(
            "note",
            "备注",
            "撤回案件请在备注中写明原因",
        ));
    }
    let mut conn = app.store().read().await?;
    let items = store::items(&mut conn, id).await?.len();
    drop(conn);
    check_move(from, to, items).map_err(|m| AppError::invalid_field("to", "转到", m))?;
    let day = day.to_string();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::move_state(&mut tx, id, from.as_str(), to.as_str(), &day, app.now()).await? {
        return Err(AppError::Conflict(
            "案件刚被他人变更，请刷新页面后重试".into(),
        ));
    }
    store::add_step(
        &mut tx,
        &NewStep {
            case_id: id,
            from: Some(from.as_str()),
            to: to.as_str(),
            day: &day,
            by: Some(actor.user_id),
            note,
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_mod.move", OBJECT, id.to_string());
    event.detail = serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "day": day });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(to)
}

// ---- items ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ItemInput {
    /// An item code of the list (GET /api/v1/modification-items).
    pub item: String,
    /// 1-20; 0 removes the item from the case; 1 when left out.
    pub quantity: Option<i64>,
    /// Unit cost in yuan, e.g. "800" or "800.50"; the list's typical cost when blank.
    pub unit_cost: String,
}

/// Sets one item of a case's design (adds it, changes it, or with quantity 0
/// removes it), and the case's totals with it.
pub async fn set_item(app: &App, actor: &Actor, id: i64, input: &ItemInput) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let row = scoped_case(app, actor, id, "home_mod.item").await?;
    let item = item_by_code(input.item.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "item",
            "项目",
            "请从民政部 2020 年推荐清单中选择改造项目（清单以外的项目不能列入）",
        )
    })?;
    let state = state_of(&row.state)?;
    if !state.items_editable() {
        return Err(AppError::invalid_field(
            "item",
            "项目",
            format!("案件已处于“{}”环节，改造项目不能再修改", state.label()),
        ));
    }
    let quantity = input.quantity.unwrap_or(1);
    if !(0..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::invalid_field(
            "quantity",
            "数量",
            format!("数量应为 1 到 {MAX_QUANTITY} 之间的整数（填 0 为移除该项目）"),
        ));
    }
    let unit_cost = if input.unit_cost.trim().is_empty() {
        item.typical_cost
    } else {
        Fen::parse_yuan(&input.unit_cost)
            .map_err(|m| AppError::invalid_field("unit_cost", "单价", m))?
    };
    if unit_cost > MAX_UNIT_COST {
        return Err(AppError::invalid_field(
            "unit_cost",
            "单价",
            format!(
                "单价不能超过 {} 元：请核对是否多输了位数",
                MAX_UNIT_COST.yuan_string()
            ),
        ));
    }
    let mut conn = app.store().read().await?;
    let existing = store::items(&mut conn, id).await?;
    drop(conn);
    let has = existing.iter().any(|i| i.item_code == item.code);
    if quantity == 0 {
        if !has {
            return Err(AppError::invalid_field(
                "item",
                "项目",
                "案件中没有这一项目，无需移除",
            ));
        }
        if existing.len() == 1 && matches!(state, CaseState::Designed | CaseState::Works) {
            return Err(AppError::invalid_field(
                "item",
                "项目",
                "设计方案至少应保留一项改造项目：请先添加新项目再移除此项",
            ));
        }
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if quantity == 0 {
        store::remove_item(&mut tx, id, item.code).await?;
    } else {
        store::set_item(
            &mut tx,
            id,
            &ItemRow {
                item_code: item.code.to_owned(),
                basic: i64::from(item.basic),
                quantity,
                unit_cost_fen: unit_cost.0,
            },
            app.now(),
        )
        .await?;
    }
    store::recompute_totals(&mut tx, id, app.now()).await?;
    let mut event = Event::ok("home_mod.item", OBJECT, id.to_string());
    event.detail = serde_json::json!({
        "item": item.code, "quantity": quantity, "unit_cost_fen": unit_cost.0,
    });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

// ---- photos ----

/// A photo as uploaded: its phase and its bytes (read no further than one
/// byte past the limit, so a huge upload is refused without being held).
#[derive(Debug, Clone, Default)]
pub struct PhotoInput {
    pub phase: String,
    pub bytes: Vec<u8>,
}

/// What was stored of an uploaded photo.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhotoStored {
    pub id: i64,
    pub content_type: &'static str,
    pub size: i64,
}

/// Stores a before/after photo with a case. Its type is read from its first
/// bytes (JPEG, PNG or WebP), never from the file name or the client's
/// content type.
pub async fn add_photo(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &PhotoInput,
) -> Result<PhotoStored> {
    app.require(actor, Action::PersonWrite).await?;
    let row = scoped_case(app, actor, id, "home_mod.photo").await?;
    let phase = PhotoPhase::parse(&input.phase).ok_or_else(|| {
        AppError::invalid_field("phase", "类别", "请选择照片类别：改造前或改造后")
    })?;
    let state = state_of(&row.state)?;
    phase
        .allowed_in(state)
        .map_err(|m| AppError::invalid_field("phase", "类别", m))?;
    if input.bytes.is_empty() {
        return Err(AppError::invalid_field(
            "photo",
            "照片",
            "请选择要上传的照片",
        ));
    }
    if input.bytes.len() > MAX_PHOTO_BYTES {
        return Err(AppError::invalid_field(
            "photo",
            "照片",
            format!("照片不能超过 {} MB", MAX_PHOTO_BYTES / 1024 / 1024),
        ));
    }
    let content_type = photo_kind(&input.bytes).ok_or_else(|| {
        AppError::invalid_field(
            "photo",
            "照片",
            "只能上传 JPEG、PNG 或 WebP 格式的照片（按文件内容识别，改扩展名无效）",
        )
    })?;
    let mut conn = app.store().read().await?;
    let count = store::photo_count(&mut conn, id).await?;
    drop(conn);
    if count >= MAX_PHOTOS_PER_CASE {
        return Err(AppError::invalid_field(
            "photo",
            "照片",
            format!("每个案件最多保存 {MAX_PHOTOS_PER_CASE} 张照片"),
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let photo = store::add_photo(
        &mut tx,
        &NewPhoto {
            case_id: id,
            phase: phase.as_str(),
            content_type,
            bytes: &input.bytes,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_mod.photo", OBJECT, id.to_string());
    event.detail = serde_json::json!({
        "photo": photo, "phase": phase.as_str(), "content_type": content_type,
        "size": input.bytes.len(),
    });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(PhotoStored {
        id: photo,
        content_type,
        size: input.bytes.len() as i64,
    })
}

/// A photo of a case, with its stored content type (a person-level read, audited).
pub async fn photo(
    app: &App,
    actor: &Actor,
    case_id: i64,
    photo_id: i64,
) -> Result<(String, Vec<u8>)> {
    app.require(actor, Action::PersonRead).await?;
    scoped_case(app, actor, case_id, "home_mod.photo_read").await?;
    let mut conn = app.store().read().await?;
    let found = store::photo(&mut conn, case_id, photo_id).await?;
    drop(conn);
    let Some(found) = found else {
        app.audit_denied(
            actor,
            "home_mod.photo_read",
            "home_mod_photo",
            &photo_id.to_string(),
        )
        .await?;
        return Err(AppError::NotFound);
    };
    let mut event = Event::ok("home_mod.photo_read", OBJECT, case_id.to_string());
    event.detail = serde_json::json!({ "photo": photo_id });
    app.audit(&Who::from(actor), event).await?;
    Ok(found)
}

// ---- targets ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TargetInput {
    /// A region code (city, county or town) in one's scope.
    pub region: String,
    /// This year when left out.
    pub year: Option<i64>,
    /// Households to modify in the year.
    pub households: Option<i64>,
}

/// The most households one target may name: more than any city's elderly
/// in special difficulty, few enough that no sum overflows.
const MAX_TARGET: i64 = 1_000_000;

fn year_field(app: &App, year: Option<i64>) -> Result<i64> {
    let year = year.unwrap_or_else(|| i64::from(app.today().year()));
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid_field(
            "year",
            "年度",
            "年度应为 2000 到 2100 之间的年份",
        ));
    }
    Ok(year)
}

/// Sets a region's annual target (households to modify).
pub async fn set_target(app: &App, actor: &Actor, input: &TargetInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let region_text =
        crate::regions::resolve_input(app, actor, &input.region, "region", "区划").await?;
    let region = RegionCode::parse(&region_text).map_err(|_| {
        AppError::invalid_field(
            "region",
            "区划",
            "区划代码应为 2、4、6 或 9 位数字（市、县、镇）",
        )
    })?;
    if !actor.scope.covers(&region) || actor.scope.facility_id().is_some() {
        return Err(AppError::invalid_field(
            "region",
            "区划",
            "该区划不在您的管辖范围内",
        ));
    }
    if region.level() == RegionLevel::Village {
        return Err(AppError::invalid_field(
            "region",
            "区划",
            "目标任务下达到市、县或镇（街道），不下达到村",
        ));
    }
    let year = year_field(app, input.year)?;
    let households = input
        .households
        .ok_or_else(|| AppError::invalid_field("households", "目标户数", "请填写目标户数"))?;
    if !(0..=MAX_TARGET).contains(&households) {
        return Err(AppError::invalid_field(
            "households",
            "目标户数",
            format!("目标户数应为 0 到 {MAX_TARGET} 之间的整数"),
        ));
    }
    let mut conn = app.store().read().await?;
    let known = regions::get(&mut conn, region.as_str()).await?.is_some();
    drop(conn);
    if !known {
        return Err(AppError::invalid_field(
            "region",
            "区划",
            "没有这个区划代码",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::set_target(
        &mut tx,
        region.as_str(),
        year,
        households,
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_mod.target", "region", region.to_string());
    event.detail = serde_json::json!({ "year": year, "households": households });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

// ---- progress ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateCount {
    pub state: &'static str,
    pub label: &'static str,
    pub cases: i64,
}

/// One child region's line (for a city, a county).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressLine {
    pub code: String,
    pub name: String,
    pub target: Option<i64>,
    /// Every case of the year, withdrawn included.
    pub cases: i64,
    /// Accepted or paid.
    pub done: i64,
    /// Applied to works: under way.
    pub in_progress: i64,
    pub withdrawn: i64,
    /// done / target, "65.0%"; none without a target.
    pub percent: Option<String>,
    /// Cases in each state, in the order of `ModificationProgress::by_state`.
    pub by_state: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StuckCase {
    pub id: i64,
    pub person_name: String,
    pub village_name: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub since: String,
    pub days: i64,
    pub limit_days: u32,
}

/// A region's home-modification progress for a year, every figure computed
/// from the cases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModificationProgress {
    pub region_code: String,
    pub region_name: String,
    pub year: i64,
    /// The region's own target, or else the sum of its children's targets.
    pub target: Option<i64>,
    /// The target set for the region itself.
    pub own_target: Option<i64>,
    /// The sum of the targets set for its child regions.
    pub children_target: i64,
    pub cases: i64,
    /// Households whose works passed acceptance (accepted or paid).
    pub done: i64,
    pub in_progress: i64,
    pub withdrawn: i64,
    pub percent: Option<String>,
    /// done / target in per mille (for a progress bar); none without a target.
    pub per_mille: Option<i64>,
    pub by_state: Vec<StateCount>,
    pub lines: Vec<ProgressLine>,
    /// Open cases (any year) in one step longer than its limit, longest first.
    pub stuck: Vec<StuckCase>,
}

struct Tally {
    by_state: Vec<i64>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            by_state: vec![0; CaseState::ALL.len()],
        }
    }

    fn add(&mut self, state: CaseState, n: i64) {
        if let Some(i) = CaseState::ALL.iter().position(|s| *s == state) {
            self.by_state[i] = self.by_state[i].saturating_add(n);
        }
    }

    fn count(&self, keep: impl Fn(CaseState) -> bool) -> i64 {
        CaseState::ALL
            .iter()
            .zip(&self.by_state)
            .filter(|(s, _)| keep(**s))
            .map(|(_, n)| *n)
            .sum()
    }

    fn done(&self) -> i64 {
        self.count(CaseState::is_done)
    }

    fn in_progress(&self) -> i64 {
        self.count(|s| !s.is_done() && !s.is_closed())
    }

    fn withdrawn(&self) -> i64 {
        self.count(|s| s == CaseState::Withdrawn)
    }

    fn total(&self) -> i64 {
        self.count(|_| true)
    }
}

fn percent(done: i64, target: Option<i64>) -> (Option<i64>, Option<String>) {
    let pm = target.and_then(|t| per_mille(done, t));
    (pm, pm.map(percent_string))
}

/// Fails with `NotFound` (audited under `action`) unless `region` exists and
/// lies in the actor's region scope: programme figures are for region-scoped
/// users, not a facility's staff.
pub async fn check_region(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    action: &str,
) -> Result<()> {
    let visible = actor.scope.covers(region) && actor.scope.facility_id().is_none() && {
        let mut conn = app.store().read().await?;
        regions::get(&mut conn, region.as_str()).await?.is_some()
    };
    if !visible {
        app.audit_denied(actor, action, "region", region.as_str())
            .await?;
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Progress of a region (and its child regions) against its target.
/// Region-scoped readers only: a facility's staff see no programme figures.
pub async fn progress(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    year: Option<i64>,
) -> Result<ModificationProgress> {
    app.require(actor, Action::PersonRead).await?;
    check_region(app, actor, region, "home_mod.progress").await?;
    let year = year_field(app, year)?;
    let mut conn = app.store().read().await?;
    let (lo, hi) = region.subtree_range();
    let children = regions::children(&mut conn, Some(region.as_str())).await?;
    let child_len = children
        .first()
        .map_or(region.as_str().len(), |c| c.code.len());
    let counts = store::counts(&mut conn, year, &lo, &hi, child_len).await?;
    let targets: HashMap<String, i64> = store::targets(&mut conn, year, &lo, &hi)
        .await?
        .into_iter()
        .collect();
    let mut total = Tally::new();
    let mut per_child: HashMap<String, Tally> = HashMap::new();
    for (child, state, n) in counts {
        let state = state_of(&state)?;
        total.add(state, n);
        per_child
            .entry(child)
            .or_insert_with(Tally::new)
            .add(state, n);
    }
    let empty = Tally::new();
    let mut lines = Vec::with_capacity(children.len());
    for c in &children {
        let tally = per_child.get(&c.code).unwrap_or(&empty);
        let target = targets.get(&c.code).copied();
        // A retired region without cases or target is history, not a line.
        if c.retired_on.is_some() && tally.total() == 0 && target.is_none() {
            continue;
        }
        let done = tally.done();
        lines.push(ProgressLine {
            code: c.code.clone(),
            name: c.name.clone(),
            target,
            cases: tally.total(),
            done,
            in_progress: tally.in_progress(),
            withdrawn: tally.withdrawn(),
            percent: percent(done, target).1,
            by_state: tally.by_state.clone(),
        });
    }
    let own_target = targets.get(region.as_str()).copied();
    let children_target: i64 = children.iter().filter_map(|c| targets.get(&c.code)).sum();
    let target = own_target.or((children_target > 0).then_some(children_target));
    let done = total.done();
    let (per_mille, percent) = percent(done, target);

    let today = app.today();
    let mut stuck = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for c in store::open_cases(&mut conn, &PersonScope::from(&actor.scope), &lo, &hi).await? {
        let state = state_of(&c.state)?;
        let since = CivilDate::parse(&c.since).map_err(AppError::internal)?;
        let Some(limit) = state.default_limit_days() else {
            continue;
        };
        if !state.is_stuck(since, today) {
            continue;
        }
        let village_name = match names.get(&c.village_code) {
            Some(n) => n.clone(),
            None => {
                let n = short_place(&mut conn, &c.village_code).await?;
                names.insert(c.village_code.clone(), n.clone());
                n
            }
        };
        stuck.push(StuckCase {
            id: c.id,
            person_name: c.person_name,
            village_name,
            state: state.as_str(),
            state_label: state.label(),
            since: c.since,
            days: since.days_until(today),
            limit_days: limit,
        });
    }
    // Longest over its limit first.
    stuck.sort_by_key(|s| std::cmp::Reverse(s.days - i64::from(s.limit_days)));
    drop(conn);
    let region_name = {
        let mut conn = app.store().read().await?;
        crate::register::village_name(&mut conn, region.as_str()).await?
    };
    let mut event = Event::ok("home_mod.progress", "region", region.to_string());
    event.detail = serde_json::json!({ "year": year, "stuck": stuck.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(ModificationProgress {
        region_code: region.to_string(),
        region_name,
        year,
        target,
        own_target,
        children_target,
        cases: total.total(),
        done,
        in_progress: total.in_progress(),
        withdrawn: total.withdrawn(),
        percent,
        per_mille,
        by_state: CaseState::ALL
            .iter()
            .zip(&total.by_state)
            .map(|(s, n)| StateCount {
                state: s.as_str(),
                label: s.label(),
                cases: *n,
            })
            .collect(),
        lines,
        stuck,
    })
}

/// "罗定市 / 罗镜镇 / 某某村委会": county, town and village of a village code.
async fn short_place(conn: &mut Conn, village: &str) -> Result<String> {
    let Ok(code) = RegionCode::parse(village) else {
        return Ok(village.to_owned());
    };
    let path: Vec<String> = code
        .ancestry()
        .into_iter()
        .filter(|a| a.level() >= RegionLevel::County)
        .map(String::from)
        .collect();
    Ok(regions::get_many(conn, &path)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(" / "))
}
