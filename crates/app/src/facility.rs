//! Facilities (服务机构): their record, rooms, villages served, relocations,
//! brand projects, star ratings shown with them, and the Kangyuan overview of
//! a region. Reads need `FacilityRead` and are limited to the actor's scope
//! (a facility user sees only their own facility); changes need
//! `FacilityManage`.

use crate::actor::Who;
use crate::audit::Event;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::facility::{EligibilityRule, FacilityKind};
use kangyang_domain::holidays::OpeningDays;
use kangyang_domain::money::{per_mille, percent_string, Fen};
use kangyang_domain::{Action, CivilDate, RegionCode, RegionLevel};
use kangyang_store::facility::{self as store, FacilityRow, FacilityScope, FacilityValues};
use kangyang_store::{funds, kangyuan as store_services, pairing, regions};
use serde::{Deserialize, Serialize};

/// A facility as typed in a form or sent to the API: every value a string,
/// checked here.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FacilityInput {
    pub name: String,
    /// A kind code (kangyuan_centre, nursing_home, …) or its Chinese name.
    pub kind: String,
    /// The region the facility lies in: a town (9 digits) or village (12).
    pub region: String,
    pub address: String,
    /// WGS-84 degrees, e.g. 112.95.
    pub longitude: String,
    pub latitude: String,
    pub floor_area_m2: String,
    pub capacity: String,
    pub opening_hours: String,
    /// The weekdays it opens: "12345" or "一二三四五"; empty is Monday to
    /// Friday. Today's sign-in sheet and the attendance rate follow them.
    pub opening_days: String,
    pub operator: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Village codes the facility serves, separated by commas or spaces.
    pub villages: String,
}

impl FacilityInput {
    /// Reads an API body: the flat input above, or what GET returned (the
    /// facility's fields under `facility`, `region_code` for `region`,
    /// numbers as numbers, `villages` as [code, name] pairs), so that GET's
    /// answer can be PUT back unchanged. Keys that are not inputs (id,
    /// kind_label, rooms, …) are ignored.
    pub fn from_api(body: &serde_json::Value) -> Result<FacilityInput> {
        use serde_json::Value;
        let bad = |key: &str, label: &str| AppError::invalid_field(key, label, "应为文字或数字");
        let text = |key: &str, label: &str, v: &Value| -> Result<String> {
            match v {
                Value::Null => Ok(String::new()),
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                // A list of codes, or of [code, name] pairs as GET gives them.
                Value::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s.clone()),
                        Value::Array(pair) => match pair.first() {
                            Some(Value::String(code)) => Ok(code.clone()),
                            _ => Err(bad(key, label)),
                        },
                        _ => Err(bad(key, label)),
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(|codes| codes.join(",")),
                Value::Bool(_) | Value::Object(_) => Err(bad(key, label)),
            }
        };
        let Value::Object(top) = body else {
            return Err(AppError::invalid_field("body", "请求", "应为 JSON 对象"));
        };
        // GET nests the facility's own fields; the rest sits beside them.
        let mut fields = top.clone();
        if let Some(Value::Object(inner)) = top.get("facility") {
            fields.extend(inner.clone());
        }
        let get = |key: &str, label: &str, alias: Option<&str>| -> Result<String> {
            match fields
                .get(key)
                .or_else(|| alias.and_then(|a| fields.get(a)))
            {
                Some(v) => text(key, label, v),
                None => Ok(String::new()),
            }
        };
        Ok(FacilityInput {
            name: get("name", "名称", None)?,
            kind: get("kind", "类型", None)?,
            region: get("region", "所在区划", Some("region_code"))?,
            address: get("address", "地址", None)?,
            longitude: get("longitude", "经度", None)?,
            latitude: get("latitude", "纬度", None)?,
            floor_area_m2: get("floor_area_m2", "面积（平方米）", None)?,
            capacity: get("capacity", "床位/学位", None)?,
            opening_hours: get("opening_hours", "开放时间", None)?,
            opening_days: get("opening_days", "开放日", None)?,
            operator: get("operator", "运营方", None)?,
            contact_name: get("contact_name", "联系人", None)?,
            contact_phone: get("contact_phone", "联系电话", None)?,
            villages: get("villages", "服务村（社区）", None)?,
        })
    }
}

/// The facility `id` if it lies in the actor's scope; otherwise `NotFound`,
/// and the refusal is audited under `action`. Every use case that names a
/// facility goes through here.
pub(crate) async fn scoped_facility(
    app: &App,
    actor: &Actor,
    id: i64,
    action: &str,
) -> Result<FacilityRow> {
    let mut conn = app.store().read().await?;
    let row = store::get(&mut conn, &FacilityScope::from(&actor.scope), id).await?;
    drop(conn);
    match row {
        Some(row) => Ok(row),
        None => {
            app.audit_denied(actor, action, "facility", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

fn optional_number(key: &str, label: &str, s: &str, max: i64) -> Result<Option<i64>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::invalid_field(
            key,
            label,
            format!("应为 0 到 {max} 之间的整数"),
        )),
    }
}

/// Degrees to microdegrees; `bound` is 180 for longitude, 90 for latitude.
fn optional_degrees(key: &str, label: &str, s: &str, bound: f64) -> Result<Option<i64>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(d) if d.is_finite() && d.abs() <= bound => Ok(Some((d * 1e6).round() as i64)),
        _ => Err(AppError::invalid_field(
            key,
            label,
            format!("应为 -{bound} 到 {bound} 之间的度数，如 112.96"),
        )),
    }
}

async fn validated(
    app: &App,
    actor: &Actor,
    input: &FacilityInput,
    eligibility: Option<&str>,
) -> Result<(FacilityValues, Vec<String>)> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "name",
            "名称",
            "请填写机构名称（100 字以内）",
        ));
    }
    let kind = FacilityKind::parse(input.kind.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "kind",
            "类型",
            format!(
                "应为以下之一：{}",
                FacilityKind::ALL
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )
    })?;
    let region_text =
        crate::regions::resolve_input(app, actor, &input.region, "region", "所在区划").await?;
    let region = RegionCode::parse(&region_text).map_err(|_| {
        AppError::invalid_field(
            "region",
            "所在区划",
            "应为 9 位镇（街道）或 12 位村（社区）代码",
        )
    })?;
    if !actor.scope.covers(&region) {
        return Err(AppError::invalid_field(
            "region",
            "所在区划",
            "不在您的管辖范围内",
        ));
    }
    let mut conn = app.store().read().await?;
    if regions::get(&mut conn, region.as_str()).await?.is_none() {
        return Err(AppError::invalid_field(
            "region",
            "所在区划",
            "区划代码不存在",
        ));
    }
    let mut villages = Vec::new();
    for code in input
        .villages
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|c| !c.is_empty())
    {
        let village = RegionCode::parse(code)
            .ok()
            .filter(|v| v.level() == RegionLevel::Village)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "villages",
                    "服务村（社区）",
                    format!("{code} 不是 12 位村（社区）代码"),
                )
            })?;
        if !actor.scope.covers(&village) || regions::get(&mut conn, code).await?.is_none() {
            return Err(AppError::invalid_field(
                "villages",
                "服务村（社区）",
                format!("{code} 不存在或不在您的管辖范围内"),
            ));
        }
        villages.push(village.to_string());
    }
    villages.sort();
    villages.dedup();
    let eligibility = match eligibility {
        Some(json) => json.to_owned(),
        None => serde_json::to_string(&kind.default_eligibility()).map_err(AppError::internal)?,
    };
    let text = |s: &str, key: &str, label: &str, max: usize| -> Result<String> {
        let s = s.trim();
        if s.chars().count() > max {
            return Err(AppError::invalid_field(
                key,
                label,
                format!("不超过 {max} 字"),
            ));
        }
        Ok(s.to_owned())
    };
    Ok((
        FacilityValues {
            name: name.to_owned(),
            kind: kind.as_str().to_owned(),
            region_code: region.to_string(),
            address: text(&input.address, "address", "地址", 200)?,
            longitude_e6: optional_degrees("longitude", "经度", &input.longitude, 180.0)?,
            latitude_e6: optional_degrees("latitude", "纬度", &input.latitude, 90.0)?,
            floor_area_m2: optional_number(
                "floor_area_m2",
                "面积（平方米）",
                &input.floor_area_m2,
                1_000_000,
            )?,
            capacity: optional_number("capacity", "床位/学位", &input.capacity, 100_000)?,
            opening_hours: text(&input.opening_hours, "opening_hours", "开放时间", 100)?,
            operator: text(&input.operator, "operator", "运营方", 100)?,
            contact_name: text(&input.contact_name, "contact_name", "联系人", 50)?,
            contact_phone: text(&input.contact_phone, "contact_phone", "联系电话", 30)?,
            eligibility,
            opening_days: OpeningDays::parse(&input.opening_days)
                .map_err(|e| AppError::invalid_field("opening_days", "开放日", e))?
                .code(),
        },
        villages,
    ))
}

/// Registers a facility. Its first site is its address, from today.
pub async fn create(app: &App, actor: &Actor, input: &FacilityInput) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let (values, villages) = validated(app, actor, input, None).await?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::insert(&mut tx, &values, app.now()).await?;
    store::set_villages(&mut tx, id, &villages).await?;
    store::add_site(
        &mut tx,
        id,
        &values.address,
        values.floor_area_m2,
        Some(&app.today().to_string()),
        "",
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("facility.create", "facility", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a facility's record (its eligibility rule is kept).
pub async fn update(app: &App, actor: &Actor, id: i64, input: &FacilityInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let old = scoped_facility(app, actor, id, "facility.update").await?;
    let (values, villages) = validated(app, actor, input, Some(&old.eligibility)).await?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::update(&mut tx, id, &values, app.now()).await?;
    store::set_villages(&mut tx, id, &villages).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("facility.update", "facility", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets who a facility may enrol.
pub async fn set_eligibility(
    app: &App,
    actor: &Actor,
    id: i64,
    rule: &EligibilityRule,
) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let old = scoped_facility(app, actor, id, "facility.eligibility").await?;
    rule.validate()
        .map_err(|m| AppError::invalid_field("eligibility", "入托条件", m))?;
    let mut values = old.values.clone();
    values.eligibility = serde_json::to_string(rule).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::update(&mut tx, id, &values, app.now()).await?;
    let mut event = Event::ok("facility.eligibility", "facility", id.to_string());
    event.detail = serde_json::json!({ "rule": rule.describe() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// The rule a facility enrols by: its stored rule, or its kind's default
/// when none was stored.
pub(crate) fn eligibility_of(row: &FacilityRow) -> EligibilityRule {
    let kind = FacilityKind::parse(&row.kind);
    match serde_json::from_str::<EligibilityRule>(&row.eligibility) {
        Ok(rule) if rule != EligibilityRule::default() || kind.is_none() => rule,
        _ => kind
            .map(FacilityKind::default_eligibility)
            .unwrap_or_default(),
    }
}

/// A relocation as typed: the new address and area, the day of the move.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RelocationInput {
    pub address: String,
    pub floor_area_m2: String,
    /// YYYY-MM-DD, not before the current site was moved into.
    pub day: String,
    pub note: String,
}

/// Moves a facility to a new site: the current site is closed on the day of
/// the move and kept in its history.
pub async fn relocate(app: &App, actor: &Actor, id: i64, input: &RelocationInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let old = scoped_facility(app, actor, id, "facility.relocate").await?;
    let address = input.address.trim();
    if address.is_empty() || address.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "address",
            "新地址",
            "请填写新址（200 字以内）",
        ));
    }
    let floor_area_m2 = optional_number(
        "floor_area_m2",
        "面积（平方米）",
        &input.floor_area_m2,
        1_000_000,
    )?;
    let day = CivilDate::parse(input.day.trim())
        .map_err(|_| AppError::invalid_field("day", "迁入日期", "日期应为 YYYY-MM-DD"))?;
    let mut conn = app.store().read().await?;
    let current = store::sites(&mut conn, id)
        .await?
        .into_iter()
        .find(|s| s.moved_out.is_none());
    drop(conn);
    if let Some(moved_in) = current.and_then(|s| s.moved_in) {
        if day.to_string() < moved_in {
            return Err(AppError::invalid_field(
                "day",
                "迁入日期",
                format!("不能早于现址的启用日期 {moved_in}"),
            ));
        }
    }
    let mut values = old.values.clone();
    values.address = address.to_owned();
    values.floor_area_m2 = floor_area_m2;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::close_current_site(&mut tx, id, &day.to_string()).await?;
    store::add_site(
        &mut tx,
        id,
        &values.address,
        floor_area_m2,
        Some(&day.to_string()),
        input.note.trim(),
    )
    .await?;
    store::update(&mut tx, id, &values, app.now()).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("facility.relocate", "facility", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a room (name, function, area typed in square metres).
pub async fn add_room(
    app: &App,
    actor: &Actor,
    id: i64,
    name: &str,
    function: &str,
    area_m2: &str,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_facility(app, actor, id, "facility.room").await?;
    if name.trim().is_empty() || name.chars().count() > 50 {
        return Err(AppError::invalid_field(
            "name",
            "房间名称",
            "请填写房间名称（50 字以内）",
        ));
    }
    let area_m2 = optional_number("area_m2", "面积（平方米）", area_m2, 100_000)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let room = store::add_room(&mut tx, id, name.trim(), function.trim(), area_m2).await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("facility.room", "facility", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(room)
}

/// Reads a JSON string or number as text, so an API caller may send
/// `"year": 2026` or `"year": "2026"` and a form its string alike.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("expected text or a number")),
    }
}

/// A brand project (一康园一品牌) as typed in a form or sent to the API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BrandProjectInput {
    pub name: String,
    pub description: String,
    /// YYYY-MM-DD.
    pub started_on: String,
}

/// A milestone of a brand project: planned, and done once it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MilestoneInput {
    pub name: String,
    /// YYYY-MM-DD.
    pub planned_on: String,
    /// YYYY-MM-DD, or empty while not done.
    pub done_on: String,
}

/// A brand project's score in a year's competition (一康园一品牌评比).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BrandScoreInput {
    /// The competition's year, e.g. 2026.
    #[serde(deserialize_with = "text")]
    #[schema(value_type = i64)]
    pub year: String,
    /// Points out of the competition's 100.
    #[serde(deserialize_with = "text")]
    #[schema(value_type = i64)]
    pub score: String,
    /// first / second / third or 一等奖 / 二等奖 / 三等奖; empty: the prize the
    /// score reaches by the competition's thresholds.
    pub prize: String,
}

fn required_date(key: &str, label: &str, s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::invalid_field(key, label, "日期应为 YYYY-MM-DD，如 2026-05-10"))
}

/// Creates a brand project of a centre.
pub async fn add_brand_project(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &BrandProjectInput,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_facility(app, actor, id, "facility.brand").await?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "name",
            "项目名称",
            "请填写品牌项目名称（100 字以内）",
        ));
    }
    if input.description.chars().count() > 2000 {
        return Err(AppError::invalid_field(
            "description",
            "项目简介",
            "项目简介请在 2000 字以内",
        ));
    }
    let started_on = required_date("started_on", "启动日期", &input.started_on)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let project = store::add_brand_project(
        &mut tx,
        id,
        name,
        input.description.trim(),
        &started_on.to_string(),
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("facility.brand", "brand_project", project.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(project)
}

/// The brand project, if it is one of this facility's (checked after the
/// facility's scope): another centre's project is not found here.
async fn scoped_brand(
    app: &App,
    actor: &Actor,
    facility: i64,
    brand: i64,
    action: &str,
) -> Result<(FacilityRow, store::BrandProjectRow)> {
    let row = scoped_facility(app, actor, facility, action).await?;
    let mut conn = app.store().read().await?;
    let project = store::brand_project(&mut conn, brand).await?;
    drop(conn);
    match project {
        Some(p) if p.facility_id == facility => Ok((row, p)),
        _ => {
            app.audit_denied(actor, action, "brand_project", &brand.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// Adds a milestone to a brand project.
pub async fn add_brand_milestone(
    app: &App,
    actor: &Actor,
    facility: i64,
    brand: i64,
    input: &MilestoneInput,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let (_, project) =
        scoped_brand(app, actor, facility, brand, "facility.brand_milestone").await?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "name",
            "里程碑名称",
            "请填写里程碑名称（100 字以内）",
        ));
    }
    let planned = required_date("planned_on", "计划日期", &input.planned_on)?;
    let done = match input.done_on.trim() {
        "" => None,
        s => Some(required_date("done_on", "完成日期", s)?),
    };
    if let Some(done) = done {
        // A milestone done "tomorrow" is not done: the page would show it
        // achieved before it was.
        if done > app.today() {
            return Err(AppError::invalid_field(
                "done_on",
                "完成日期",
                "不能晚于今天",
            ));
        }
        if done.to_string() < project.started_on {
            return Err(AppError::invalid_field(
                "done_on",
                "完成日期",
                format!("不能早于项目启动日期 {}", project.started_on),
            ));
        }
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_milestone(
        &mut tx,
        brand,
        name,
        &planned.to_string(),
        done.map(|d| d.to_string()).as_deref(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok(
            "facility.brand_milestone",
            "brand_project",
            brand.to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a brand project's score and prize in a year's competition.
///
/// Kept as an assessment under the competition's template, beside scores
/// given criterion by criterion (`/ratings` with `brand_project_id`), so the
/// centre page and the Kangyuan overview read one history. Organisers often
/// publish only totals and prizes, and the prize may be decided by rank
/// among the centres rather than by the thresholds, so a prize given here
/// stands; none given is the one the score reaches. A later score for the
/// same year supersedes the earlier one, which stays in the history.
pub async fn score_brand_project(
    app: &App,
    actor: &Actor,
    facility: i64,
    brand: i64,
    input: &BrandScoreInput,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let (row, _) = scoped_brand(app, actor, facility, brand, "facility.brand_score").await?;
    let this_year = app.today().year();
    let year = match input.year.trim().parse::<u16>() {
        Ok(y) if (2000..=this_year).contains(&y) => y,
        _ => {
            return Err(AppError::invalid_field(
                "year",
                "评比年度",
                format!("年度应为 2000 至 {this_year} 之间的四位年份"),
            ))
        }
    };
    let template = crate::assessment::template(app, BRAND_TEMPLATE).await?;
    let max = template.max_total();
    let score = match input.score.trim().parse::<u32>() {
        Ok(s) if s <= max => s,
        _ => {
            return Err(AppError::invalid_field(
                "score",
                "得分",
                format!("得分应为 0 至 {max} 的整数"),
            ))
        }
    };
    let prize = match input.prize.trim() {
        "" => template
            .thresholds
            .iter()
            .filter(|t| t.min_total <= score)
            .max_by_key(|t| t.min_total)
            .map(|t| t.result.clone()),
        "无" | "none" => None,
        p => match template
            .thresholds
            .iter()
            .find(|t| t.result == p || t.label == p)
        {
            Some(t) => Some(t.result.clone()),
            None => {
                let names: Vec<&str> = template
                    .thresholds
                    .iter()
                    .map(|t| t.label.as_str())
                    .collect();
                return Err(AppError::invalid_field(
                    "prize",
                    "奖项",
                    format!("奖项应为{}之一，或留空按得分评定", names.join("、")),
                ));
            }
        },
    };
    // The competition's day within its year: today for this year's, the
    // year's last day for an earlier one, so the newest year is the latest.
    let assessed_on = if year == this_year {
        app.today().to_string()
    } else {
        format!("{year}-12-31")
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = kangyang_store::assessment::add_assessment(
        &mut tx,
        &kangyang_store::assessment::NewAssessment {
            template_code: BRAND_TEMPLATE,
            round_id: None,
            subject_type: "brand_project",
            subject_id: brand,
            region_code: &row.region_code,
            // No criterion sheet: the total and prize as published.
            scores: "{}",
            total: i64::from(score),
            result: prize.as_deref(),
            evidence: &format!("{year} 年度评比"),
            assessed_on: &assessed_on,
            assessor: &actor.username,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("facility.brand_score", "brand_project", brand.to_string());
    event.detail = serde_json::json!({ "year": year, "score": score, "prize": prize });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

/// A centre's brand projects with their milestones and latest scores.
pub async fn brand_projects(app: &App, actor: &Actor, facility: i64) -> Result<Vec<BrandView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, facility, "facility.brand_read").await?;
    let mut conn = app.store().read().await?;
    brand_views(&mut conn, facility).await
}

async fn brand_views(conn: &mut kangyang_store::Conn, facility: i64) -> Result<Vec<BrandView>> {
    let mut out = Vec::new();
    for b in store::brand_projects(conn, facility).await? {
        let milestones = store::milestones(conn, b.id)
            .await?
            .into_iter()
            .map(|m| MilestoneView {
                name: m.title,
                planned_on: m.planned_on,
                done_on: m.done_on,
            })
            .collect();
        let latest =
            kangyang_store::assessment::history(conn, BRAND_TEMPLATE, "brand_project", b.id)
                .await?
                .into_iter()
                .next();
        out.push(BrandView {
            id: b.id,
            score_year: latest
                .as_ref()
                .map(|a| a.assessed_on.chars().take(4).collect()),
            score: latest.as_ref().map(|a| a.total),
            prize: latest
                .and_then(|a| a.result)
                .map(|r| prize_label(&r).to_owned()),
            name: b.name,
            description: b.description,
            started_on: b.started_on,
            milestones,
        });
    }
    Ok(out)
}

// ---- reading ----

/// A facility as shown in lists and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacilityView {
    pub id: i64,
    pub name: String,
    /// kangyuan_centre, nursing_home, …
    pub kind: String,
    pub kind_label: &'static str,
    pub region_code: String,
    pub address: String,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub floor_area_m2: Option<i64>,
    pub capacity: Option<i64>,
    pub opening_hours: String,
    /// ISO weekday digits it opens on, "12345" = Monday to Friday.
    pub opening_days: String,
    pub opening_days_label: String,
    pub operator: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Who may be enrolled, in words.
    pub eligibility: String,
    /// People enrolled now.
    pub current_enrolled: i64,
    /// The latest provincial star rating: 1-3, or none yet.
    pub stars: Option<u8>,
}

/// The weekdays a facility opens; a stored value that does not read (none
/// is written so) is taken as Monday to Friday.
pub(crate) fn opening_days_of(row: &FacilityValues) -> OpeningDays {
    OpeningDays::parse(&row.opening_days).unwrap_or_default()
}

/// The brand competition's template.
pub const BRAND_TEMPLATE: &str = "brand_competition";

fn prize_label(result: &str) -> &'static str {
    match result {
        "first" => "一等奖",
        "second" => "二等奖",
        "third" => "三等奖",
        _ => "",
    }
}

/// "3_star" → 3.
pub(crate) fn stars_of(result: Option<&str>) -> Option<u8> {
    result
        .and_then(|r| r.split('_').next())
        .and_then(|n| n.parse().ok())
}

fn view(row: &FacilityRow, current_enrolled: i64, star_result: Option<&str>) -> FacilityView {
    FacilityView {
        id: row.id,
        name: row.name.clone(),
        kind: row.kind.clone(),
        kind_label: FacilityKind::parse(&row.kind)
            .map(FacilityKind::label)
            .unwrap_or(""),
        region_code: row.region_code.clone(),
        address: row.address.clone(),
        longitude: row.longitude_e6.map(|v| v as f64 / 1e6),
        latitude: row.latitude_e6.map(|v| v as f64 / 1e6),
        floor_area_m2: row.floor_area_m2,
        capacity: row.capacity,
        opening_hours: row.opening_hours.clone(),
        opening_days: opening_days_of(row).code(),
        opening_days_label: opening_days_of(row).label(),
        operator: row.operator.clone(),
        contact_name: row.contact_name.clone(),
        contact_phone: row.contact_phone.clone(),
        eligibility: eligibility_of(row).describe(),
        current_enrolled,
        stars: stars_of(star_result),
    }
}

/// Which facilities to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacilityQuery {
    /// A kind code, e.g. kangyuan_centre.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// A region code: only facilities within it.
    pub region: Option<String>,
}

/// Facilities in the actor's scope, by kind and region.
pub async fn list(app: &App, actor: &Actor, q: &FacilityQuery) -> Result<Vec<FacilityView>> {
    app.require(actor, Action::FacilityRead).await?;
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            FacilityKind::parse(k)
                .ok_or_else(|| AppError::invalid_field("type", "类型", "不是已知的机构类型代码"))?,
        ),
    };
    let within = match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => Some(
            RegionCode::parse(r)
                .map_err(|_| {
                    AppError::invalid_field(
                        "region",
                        "区划代码",
                        "区划代码应为 2、4、6、9 或 12 位数字",
                    )
                })?
                .subtree_range(),
        ),
    };
    let mut conn = app.store().read().await?;
    let rows = store::list(
        &mut conn,
        &FacilityScope::from(&actor.scope),
        kind.map(FacilityKind::as_str),
        within.as_ref().map(|(lo, hi)| (lo.as_str(), hi.as_str())),
    )
    .await?;
    Ok(rows
        .iter()
        .map(|s| {
            let row = FacilityRow {
                id: s.id,
                values: s.values.clone(),
                created_at: s.created_at,
                updated_at: s.updated_at,
            };
            view(&row, s.current_enrolled, s.star_result.as_deref())
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct RoomView {
    pub name: String,
    pub function: String,
    pub area_m2: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub address: String,
    pub floor_area_m2: Option<i64>,
    pub moved_in: String,
    pub moved_out: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BrandView {
    pub id: i64,
    pub name: String,
    /// The latest competition's year, score and prize ("二等奖"), if scored.
    pub score_year: Option<String>,
    pub score: Option<i64>,
    pub prize: Option<String>,
    pub description: String,
    pub started_on: String,
    pub milestones: Vec<MilestoneView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MilestoneView {
    pub name: String,
    pub planned_on: String,
    /// None while not done.
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairingView {
    pub org_name: String,
    pub org_kind: String,
    pub started_on: String,
    pub visits: i64,
    pub money: String,
    pub goods: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub budget: String,
    pub allocated: String,
    pub spent: String,
    pub budget_fen: i64,
    pub spent_fen: i64,
    /// Spent over budget, e.g. "64.0%".
    pub progress: String,
    /// (source, amount)
    pub funding_mix: Vec<(String, String)>,
}

/// Everything the centre page shows.
#[derive(Debug, Clone, Serialize)]
pub struct FacilityDetail {
    pub facility: FacilityView,
    pub region_name: String,
    pub rooms: Vec<RoomView>,
    pub villages: Vec<(String, String)>,
    pub sites: Vec<SiteView>,
    /// This month's attendance rate so far, e.g. "91.3%".
    pub attendance_rate: Option<String>,
    pub brand_projects: Vec<BrandView>,
    pub pairings: Vec<PairingView>,
    pub projects: Vec<ProjectView>,
    /// Products of its piecework orders: the product display.
    pub products: Vec<String>,
}

pub(crate) async fn project_views(
    conn: &mut kangyang_store::Conn,
    projects: Vec<funds::ProjectSummary>,
) -> Result<Vec<ProjectView>> {
    let mut out = Vec::with_capacity(projects.len());
    for p in projects {
        let mix = funds::funding_mix(conn, p.id).await?;
        out.push(ProjectView {
            id: p.id,
            name: p.name,
            kind: p.kind,
            budget: Fen(p.budget_fen).yuan_string(),
            allocated: Fen(p.allocated_fen).yuan_string(),
            spent: Fen(p.spent_fen).yuan_string(),
            budget_fen: p.budget_fen,
            spent_fen: p.spent_fen,
            progress: per_mille(p.spent_fen, p.budget_fen)
                .map(percent_string)
                .unwrap_or_else(|| "—".to_owned()),
            funding_mix: mix
                .into_iter()
                .map(|(name, _, fen)| (name, Fen(fen).yuan_string()))
                .collect(),
        });
    }
    Ok(out)
}

/// The attendance rate of a month before `until`: days present while
/// enrolled over the trainee-days expected (each working day, each trainee
/// enrolled that day). Working days are the centre's opening weekdays, less
/// the calendar's holidays, plus its make-up working days
/// ([`kangyang_domain::holidays::is_working_day`]).
pub(crate) async fn attendance_rate(
    conn: &mut kangyang_store::Conn,
    facility_id: i64,
    opening: OpeningDays,
    year: u16,
    month: u8,
    until: CivilDate,
) -> Result<Option<i64>> {
    // Today is still being signed in: the rate counts the days before it.
    let days: Vec<String> = crate::holidays::working_days_of_month(conn, opening, year, month)
        .await?
        .into_iter()
        .filter(|d| *d < until)
        .map(|d| d.to_string())
        .collect();
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(None);
    };
    let trainees = store_services::trainees(conn, facility_id, Some((first, last))).await?;
    let expected: i64 = days
        .iter()
        .map(|d| {
            trainees
                .iter()
                .filter(|t| {
                    t.start_date.as_str() <= d.as_str()
                        && t.end_date.as_deref().is_none_or(|e| e >= d.as_str())
                })
                .count() as i64
        })
        .sum();
    let marks = store_services::attendance_between(conn, facility_id, first, last).await?;
    let enrolled_on = |person: i64, day: &str| {
        trainees.iter().any(|t| {
            t.person_id == person
                && t.start_date.as_str() <= day
                && t.end_date.as_deref().is_none_or(|e| e >= day)
        })
    };
    let present = marks
        .iter()
        .filter(|(person, day, present)| {
            *present && days.binary_search(day).is_ok() && enrolled_on(*person, day)
        })
        .count() as i64;
    Ok(per_mille(present, expected))
}

/// The province a region lies in.
pub(crate) fn province_of(region: &RegionCode) -> RegionCode {
    region
        .ancestry()
        .into_iter()
        .next()
        .unwrap_or_else(|| region.clone())
}

/// One facility with its rooms, sites, figures, projects and partners.
pub async fn detail(app: &App, actor: &Actor, id: i64) -> Result<FacilityDetail> {
    app.require(actor, Action::FacilityRead).await?;
    let row = scoped_facility(app, actor, id, "facility.read").await?;
    let mut conn = app.store().read().await?;
    let scope = FacilityScope::from(&actor.scope);
    let region = RegionCode::parse(&row.region_code).map_err(AppError::internal)?;
    let (region_lo, region_hi) = region.subtree_range();
    let summary = store::list(&mut conn, &scope, None, Some((&region_lo, &region_hi)))
        .await?
        .into_iter()
        .find(|s| s.id == id);
    let (enrolled, star) = summary
        .map(|s| (s.current_enrolled, s.star_result))
        .unwrap_or((0, None));
    let today = app.today();
    let rate = attendance_rate(
        &mut conn,
        id,
        opening_days_of(&row),
        today.year(),
        today.month(),
        today,
    )
    .await?;
    // A facility's projects may be held at any level above it (a city's
    // programme across centres), so look through its whole province.
    let (lo, hi) = province_of(&region).subtree_range();
    let projects = funds::projects(&mut conn, &lo, &hi, Some(id)).await?;
    let brand_projects = brand_views(&mut conn, id).await?;
    let mut products: Vec<String> = store_services::orders(&mut conn, id)
        .await?
        .into_iter()
        .map(|o| o.product)
        .collect();
    products.sort();
    products.dedup();
    let detail = FacilityDetail {
        facility: view(&row, enrolled, star.as_deref()),
        region_name: crate::register::village_name(&mut conn, &row.region_code).await?,
        rooms: store::rooms(&mut conn, id)
            .await?
            .into_iter()
            .map(|r| RoomView {
                name: r.name,
                function: r.function,
                area_m2: r.area_m2,
            })
            .collect(),
        villages: store::villages(&mut conn, id).await?,
        sites: store::sites(&mut conn, id)
            .await?
            .into_iter()
            .map(|s| SiteView {
                address: s.address,
                floor_area_m2: s.floor_area_m2,
                moved_in: s.moved_in.unwrap_or_default(),
                moved_out: s.moved_out,
                note: s.note,
            })
            .collect(),
        attendance_rate: rate.map(percent_string),
        brand_projects,
        pairings: pairing::for_facility(&mut conn, id)
            .await?
            .into_iter()
            .map(|p| PairingView {
                org_name: p.org_name,
                org_kind: p.org_kind,
                started_on: p.started_on,
                visits: p.visits,
                money: Fen(p.money_fen).yuan_string(),
                goods: p.goods,
            })
            .collect(),
        projects: project_views(&mut conn, projects).await?,
        products,
    };
    Ok(detail)
}

// ---- the Kangyuan overview of a region ----

/// One centre's line on the overview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CentreLine {
    pub id: i64,
    pub name: String,
    pub town: String,
    pub floor_area_m2: Option<i64>,
    pub rooms: i64,
    pub villages_served: i64,
    pub trainees: i64,
    pub stars: Option<u8>,
    pub attendance_rate: Option<String>,
    /// The centre's best brand-competition score, if scored.
    pub brand_score: Option<i64>,
}

/// A region's Kangyuan figures, every one computed from the records.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KangyuanOverview {
    pub region_code: String,
    pub region_name: String,
    pub centres: i64,
    pub trainees: i64,
    /// Centres rated three, two and one star, and not yet rated.
    pub three_star: i64,
    pub two_star: i64,
    pub one_star: i64,
    pub unrated: i64,
    pub lines: Vec<CentreLine>,
    /// Building and equipment projects for the region's centres, with budget and spending.
    #[schema(value_type = Vec<Object>)]
    pub projects: Vec<ProjectView>,
    /// Money from departments and society (non-government sources) for those projects, yuan.
    pub raised: String,
    pub raised_fen: i64,
    /// Programmes across centres (the charity lunch…): name, budget, centres served.
    pub programmes: Vec<(String, String, i64)>,
    /// Organisations currently paired with centres or people of the region.
    pub paired_organisations: i64,
}

/// Fund-source kinds that count as "raised from departments and society"
/// rather than budgeted by a level of government.
pub const RAISED_KINDS: [&str; 2] = ["department", "donation"];

pub async fn kangyuan_overview(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
) -> Result<KangyuanOverview> {
    app.require(actor, Action::FacilityRead).await?;
    if !actor.scope.covers(region) || actor.scope.facility_id().is_some() {
        app.audit_denied(actor, "facility.overview", "region", region.as_str())
            .await?;
        return Err(AppError::NotFound);
    }
    let mut conn = app.store().read().await?;
    let (lo, hi) = region.subtree_range();
    let centres = store::list(
        &mut conn,
        &FacilityScope::from(&actor.scope),
        Some(FacilityKind::KangyuanCentre.as_str()),
        Some((&lo, &hi)),
    )
    .await?;
    let today = app.today();
    let mut lines = Vec::with_capacity(centres.len());
    let (mut stars, mut trainees) = ([0i64; 4], 0);
    for c in &centres {
        let star = stars_of(c.star_result.as_deref());
        stars[usize::from(star.unwrap_or(0).min(3))] += 1;
        trainees += c.current_enrolled;
        let town = RegionCode::parse(&c.values.region_code)
            .ok()
            .and_then(|r| {
                r.ancestry()
                    .into_iter()
                    .find(|a| a.level() == RegionLevel::Town)
                    .map(|a| a.to_string())
            })
            .unwrap_or_default();
        let town_name = regions::get(&mut conn, &town)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        lines.push(CentreLine {
            id: c.id,
            name: c.values.name.clone(),
            town: town_name,
            floor_area_m2: c.values.floor_area_m2,
            rooms: store::rooms(&mut conn, c.id).await?.len() as i64,
            villages_served: store::villages(&mut conn, c.id).await?.len() as i64,
            trainees: c.current_enrolled,
            stars: star,
            attendance_rate: attendance_rate(
                &mut conn,
                c.id,
                opening_days_of(&c.values),
                today.year(),
                today.month(),
                today,
            )
            .await?
            .map(percent_string),
            brand_score: brand_score(&mut conn, c.id).await?,
        });
    }
    let all_projects = funds::projects(&mut conn, &lo, &hi, None).await?;
    let centre_ids: Vec<i64> = centres.iter().map(|c| c.id).collect();
    let (building, programmes): (Vec<_>, Vec<_>) = all_projects
        .into_iter()
        .filter(|p| p.facility_id.is_none_or(|f| centre_ids.contains(&f)))
        .partition(|p| p.facility_id.is_some());
    let raised_fen = building_raised(&mut conn, &building).await?;
    let programmes = programmes
        .into_iter()
        .filter(|p| p.facility_count > 0)
        .map(|p| (p.name, Fen(p.budget_fen).yuan_string(), p.facility_count))
        .collect();
    let region_name = crate::register::village_name(&mut conn, region.as_str()).await?;
    Ok(KangyuanOverview {
        region_code: region.to_string(),
        region_name,
        centres: centres.len() as i64,
        trainees,
        three_star: stars[3],
        two_star: stars[2],
        one_star: stars[1],
        unrated: stars[0],
        lines,
        projects: project_views(&mut conn, building).await?,
        raised: Fen(raised_fen).yuan_string(),
        raised_fen,
        programmes,
        paired_organisations: pairing::paired_org_count(&mut conn, &lo, &hi).await?,
    })
}

/// A centre's best latest brand-competition score over its brand projects.
async fn brand_score(conn: &mut kangyang_store::Conn, facility_id: i64) -> Result<Option<i64>> {
    let mut best = None;
    for b in store::brand_projects(conn, facility_id).await? {
        let latest =
            kangyang_store::assessment::history(conn, BRAND_TEMPLATE, "brand_project", b.id)
                .await?
                .into_iter()
                .next()
                .map(|a| a.total);
        best = best.max(latest);
    }
    Ok(best)
}

/// What departments and society gave to the given projects.
async fn building_raised(
    conn: &mut kangyang_store::Conn,
    projects: &[funds::ProjectSummary],
) -> Result<i64> {
    let mut total = 0i64;
    for p in projects {
        for (_, kind, fen) in funds::funding_mix(conn, p.id).await? {
            if RAISED_KINDS.contains(&kind.as_str()) {
                total = total.saturating_add(fen);
            }
        }
    }
    Ok(total)
}
