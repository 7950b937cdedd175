//! The assessment engine at work: templates stored as data, rating rounds,
//! and the star rating of facilities (the provincial 1-3 stars of Kangyuan
//! centres). Later programmes (station standardisation, brand competitions,
//! capability) add templates, not code.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::assessment::{
    brand_competition_template, kangyuan_star_template, station_standard_template, ScoreError,
    Scored, Template, KANGYUAN_STAR,
};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::{Action, CivilDate, RegionCode};
use kangyang_store::assessment::{self as store, NewAssessment};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Stores the built-in templates on a database that lacks them; a template
/// already stored (perhaps corrected by an evaluator) is left alone.
pub(crate) async fn seed_templates(app: &App) -> Result<()> {
    let mut conn = app.store().read().await?;
    for t in [
        kangyuan_star_template(),
        brand_competition_template(),
        station_standard_template(),
        kangyang_domain::capability::capability_template(),
    ] {
        if store::template(&mut conn, &t.code).await?.is_none() {
            let body = serde_json::to_string(&t).map_err(AppError::internal)?;
            store::put_template(&mut conn, &t.code, &t.name, &body, app.now()).await?;
        }
    }
    Ok(())
}

/// A stored template by code.
pub async fn template(app: &App, code: &str) -> Result<Template> {
    let mut conn = app.store().read().await?;
    let body = store::template(&mut conn, code)
        .await?
        .ok_or(AppError::NotFound)?;
    serde_json::from_str(&body).map_err(AppError::internal)
}

/// A score sheet's faults as one field error, each naming its criterion.
pub(crate) fn score_errors(field: &str, errors: Vec<ScoreError>) -> AppError {
    AppError::unkeyed(
        field,
        errors
            .into_iter()
            .map(|e| {
                if e.criterion.is_empty() {
                    e.message
                } else {
                    format!("{}：{}", e.criterion, e.message)
                }
            })
            .collect::<Vec<_>>()
            .join("；"),
    )
}

/// Opens a rating round for a region (e.g. "2023 年度康园中心星级评定").
pub async fn open_round(
    app: &App,
    actor: &Actor,
    template_code: &str,
    name: &str,
    region: &RegionCode,
    opened_on: CivilDate,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    if !actor.scope.covers(region) {
        return Err(AppError::invalid_field(
            "region",
            "区划",
            "不在您的管辖范围内",
        ));
    }
    crate::regions::require_known(app, region, "region", "区划").await?;
    template(app, template_code).await?;
    if name.trim().is_empty() {
        return Err(AppError::invalid_field(
            "name",
            "名称",
            "请填写评定轮次名称",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_round(
        &mut tx,
        template_code,
        name.trim(),
        region.as_str(),
        &opened_on.to_string(),
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("rating.round", "rating_round", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A filled-in score sheet.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RatingInput {
    pub template: String,
    pub round_id: Option<i64>,
    /// Criterion code → points.
    pub scores: BTreeMap<String, u32>,
    /// What the rating rests on: documents seen, site visit notes.
    pub evidence: String,
    /// Criterion code → what that criterion's score rests on, as the
    /// provincial form asks per line; kept in the evidence, one line each.
    pub criterion_notes: BTreeMap<String, String>,
    pub assessed_on: String,
    /// Who assessed (the panel).
    pub assessor: String,
    /// Rate this brand project of the facility instead of the facility itself.
    pub brand_project_id: Option<i64>,
}

/// Rates a facility with a template: every criterion scored, the total
/// turned into a result, all kept as its rating history.
pub async fn rate_facility(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    input: &RatingInput,
) -> Result<Scored> {
    app.require(actor, Action::FacilityManage).await?;
    let facility = scoped_facility(app, actor, facility_id, "rating.create").await?;
    let template = match template(app, input.template.trim()).await {
        Err(AppError::NotFound) => {
            return Err(AppError::invalid_field(
                "template",
                "评定模板",
                "评定模板不存在，如 kangyuan_star",
            ))
        }
        other => other?,
    };
    // Each template rates one kind of subject: brand projects their
    // competition's, a facility the one of its kind (a station's sheet does
    // not fit a Kangyuan centre, nor the reverse).
    let kind = FacilityKind::parse(&facility.kind);
    let expected = if input.brand_project_id.is_some() {
        crate::facility::BRAND_TEMPLATE
    } else {
        match kind.and_then(FacilityKind::rating_template) {
            Some(code) => code,
            None => {
                return Err(AppError::invalid_field(
                    "template",
                    "评定模板",
                    format!(
                        "{}暂无评定模板",
                        kind.map_or("此类机构", FacilityKind::label)
                    ),
                ))
            }
        }
    };
    if template.code != expected {
        return Err(AppError::invalid_field(
            "template",
            "评定模板",
            format!(
                "{}应使用评定模板 {expected}",
                kind.map_or("此机构", FacilityKind::label)
            ),
        ));
    }
    let scored = template
        .score(&input.scores)
        .map_err(|errors| score_errors("评分", errors).keyed("scores"))?;
    let day = CivilDate::parse(input.assessed_on.trim())
        .map_err(|_| AppError::invalid_field("assessed_on", "评定日期", "日期应为 YYYY-MM-DD"))?;
    // The latest rating by date is the one shown: a date typed wrong into
    // the future would fix it for years.
    if day > app.today() {
        return Err(AppError::invalid_field(
            "assessed_on",
            "评定日期",
            "不能晚于今天",
        ));
    }
    if input.assessor.trim().is_empty() {
        return Err(AppError::invalid_field(
            "assessor",
            "评定人",
            "请填写评定人或评定组",
        ));
    }
    let mut conn = app.store().read().await?;
    let (subject_type, subject_id) = match input.brand_project_id {
        None => ("facility", facility_id),
        Some(project) => {
            let belongs = kangyang_store::facility::brand_project(&mut conn, project)
                .await?
                .is_some_and(|p| p.facility_id == facility_id);
            if !belongs {
                return Err(AppError::invalid_field(
                    "brand_project_id",
                    "品牌项目",
                    "该品牌项目不属于此机构",
                ));
            }
            ("brand_project", project)
        }
    };
    if let Some(round) = input.round_id {
        let r = store::round(&mut conn, round).await?;
        let fits = r.is_some_and(|r| {
            r.template_code == template.code && facility.region_code.starts_with(&r.region_code)
        });
        if !fits {
            return Err(AppError::invalid_field(
                "round_id",
                "评定轮次",
                "该轮次不存在，或不适用于此机构",
            ));
        }
    }
    drop(conn);
    let evidence = with_criterion_notes(&template, input);
    let scores = serde_json::to_string(&input.scores).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::add_assessment(
        &mut tx,
        &NewAssessment {
            template_code: &template.code,
            round_id: input.round_id,
            subject_type,
            subject_id,
            region_code: &facility.region_code,
            scores: &scores,
            total: i64::from(scored.total),
            result: scored.result.as_ref().map(|r| r.result.as_str()),
            evidence: &evidence,
            assessed_on: &day.to_string(),
            assessor: input.assessor.trim(),
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("rating.create", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "template": template.code, "total": scored.total,
        "subject": subject_type, "subject_id": subject_id,
        "result": scored.result.as_ref().map(|r| r.result.clone()) });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(scored)
}

/// The evidence with each criterion's note after it, in the template's order
/// and named by the criterion's text, so the stored rating reads as the form.
fn with_criterion_notes(template: &Template, input: &RatingInput) -> String {
    let mut lines = vec![input.evidence.trim().to_owned()];
    for c in template.groups.iter().flat_map(|g| &g.criteria) {
        if let Some(note) = input.criterion_notes.get(&c.code) {
            if !note.trim().is_empty() {
                lines.push(format!("【{}】{}", c.text, note.trim()));
            }
        }
    }
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

/// The rounds opened in a region or below it: (name, opened on).
pub async fn rounds_of_region(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
) -> Result<Vec<(String, String)>> {
    app.require(actor, Action::FacilityRead).await?;
    if !actor.scope.covers(region) {
        app.audit_denied(actor, "rating.read", "region", region.as_str())
            .await?;
        return Err(AppError::NotFound);
    }
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    Ok(store::rounds(&mut conn, &lo, &hi)
        .await?
        .into_iter()
        .map(|r| (r.name, r.opened_on))
        .collect())
}

/// A round a facility may be rated in: (id, name).
pub async fn rounds_for_facility(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    template_code: &str,
) -> Result<Vec<(i64, String)>> {
    let facility = scoped_facility(app, actor, facility_id, "rating.read").await?;
    let region = RegionCode::parse(&facility.region_code).map_err(AppError::internal)?;
    let (lo, hi) = crate::facility::province_of(&region).subtree_range();
    let mut conn = app.store().read().await?;
    Ok(store::rounds(&mut conn, &lo, &hi)
        .await?
        .into_iter()
        .filter(|r| {
            r.template_code == template_code && facility.region_code.starts_with(&r.region_code)
        })
        .map(|r| (r.id, r.name))
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    pub round: Option<String>,
    pub assessed_on: String,
    pub total: i64,
    pub result_label: String,
    pub assessor: String,
    pub evidence: String,
}

/// A facility's rating history under a template, newest first.
pub async fn facility_history(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    template_code: &str,
) -> Result<Vec<RatingView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, facility_id, "rating.read").await?;
    let template = template(app, template_code).await?;
    let mut conn = app.store().read().await?;
    Ok(
        store::history(&mut conn, template_code, "facility", facility_id)
            .await?
            .into_iter()
            .map(|a| RatingView {
                round: a.round_name,
                assessed_on: a.assessed_on,
                total: a.total,
                result_label: a
                    .result
                    .as_deref()
                    .and_then(|r| template.result_label(r))
                    .unwrap_or(if template_code == KANGYUAN_STAR {
                        "未达星级"
                    } else {
                        "不合格"
                    })
                    .to_owned(),
                assessor: a.assessor,
                evidence: a.evidence,
            })
            .collect(),
    )
}

/// Opens a rating round through the API: the template, a name, the region it covers.
pub async fn open_round_typed(
    app: &App,
    actor: &Actor,
    template_code: &str,
    name: &str,
    region: &str,
    opened_on: &str,
) -> Result<i64> {
    app.require(actor, Action::FacilityManage).await?;
    let region = crate::regions::resolve_input(app, actor, region, "region", "区划").await?;
    let region = RegionCode::parse(&region).map_err(|_| {
        AppError::invalid_field("region", "区划", "区划代码应为 2、4、6、9 或 12 位数字")
    })?;
    let day = CivilDate::parse(opened_on.trim())
        .map_err(|_| AppError::invalid_field("opened_on", "开始日期", "日期应为 YYYY-MM-DD"))?;
    open_round(app, actor, template_code.trim(), name, &region, day).await
}
