//! Elderly capability assessment (GB/T 42195-2022 老年人能力评估规范): the
//! standard's 26 items scored through the assessment engine, the level it
//! gives (with the standard's level-change rules), kept on the person, and
//! every assessment kept as their history.

use crate::actor::Who;
use crate::audit::Event;
use crate::register::scoped_person;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::capability::{
    assess_with, CapabilityLevel, CapabilityResult, LevelChangeBasis, TEMPLATE_CODE,
};
use kangyang_domain::{Action, CivilDate};
use kangyang_store::assessment::{self, NewAssessment};
use kangyang_store::register;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A filled-in assessment form.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CapabilityInput {
    /// Item code (e.g. self_care.eating) → score.
    pub scores: BTreeMap<String, u32>,
    /// Section A facts the level-change rules look at.
    pub coma: bool,
    pub dementia_or_mental_disorder: bool,
    pub risk_events_30_days: u32,
    pub assessed_on: String,
    pub assessor: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CapabilityView {
    pub assessed_on: String,
    pub assessor: String,
    pub total: i64,
    pub level: String,
    pub level_label: &'static str,
}

/// Assesses a person: every item scored, the level set on the person; the
/// assessment row and the person's new level are written together.
pub async fn assess(
    app: &App,
    actor: &Actor,
    person_id: i64,
    input: &CapabilityInput,
) -> Result<CapabilityResult> {
    app.require(actor, Action::PersonWrite).await?;
    let person = scoped_person(app, actor, person_id, "capability.assess").await?;
    let basis = LevelChangeBasis {
        coma: input.coma,
        dementia_or_mental_disorder: input.dementia_or_mental_disorder,
        risk_events_30_days: input.risk_events_30_days,
    };
    let result = assess_with(&input.scores, &basis)
        .map_err(|errors| crate::assessment::score_errors("评估表", errors).keyed("scores"))?;
    let day = CivilDate::parse(input.assessed_on.trim())
        .map_err(|_| AppError::invalid_field("assessed_on", "评估日期", "日期应为 YYYY-MM-DD"))?;
    if day > app.today() {
        return Err(AppError::invalid_field(
            "assessed_on",
            "评估日期",
            "不能晚于今天",
        ));
    }
    if input.assessor.trim().is_empty() {
        return Err(AppError::invalid_field(
            "assessor",
            "评估员",
            "请填写评估员",
        ));
    }
    let scores = serde_json::to_string(&input.scores).map_err(AppError::internal)?;
    let evidence = result.adjustment.clone().unwrap_or_default();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    assessment::add_assessment(
        &mut tx,
        &NewAssessment {
            template_code: TEMPLATE_CODE,
            round_id: None,
            subject_type: "person",
            subject_id: person_id,
            region_code: &person.village_code,
            scores: &scores,
            total: i64::from(result.total),
            result: Some(result.level.as_str()),
            evidence: &evidence,
            assessed_on: &day.to_string(),
            assessor: input.assessor.trim(),
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    // The latest assessment by date decides the level on the person.
    let latest = assessment::history(&mut tx, TEMPLATE_CODE, "person", person_id).await?;
    if let Some(level) = latest.first().and_then(|a| a.result.clone()) {
        register::set_capability_level(&mut tx, person_id, &level, app.now()).await?;
    }
    let mut event = Event::ok("capability.assess", "person", person_id.to_string());
    event.detail = serde_json::json!({ "total": result.total, "level": result.level.as_str() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(result)
}

/// A person's capability assessments, newest first.
pub async fn history(app: &App, actor: &Actor, person_id: i64) -> Result<Vec<CapabilityView>> {
    app.require(actor, Action::PersonRead).await?;
    scoped_person(app, actor, person_id, "capability.read").await?;
    let mut conn = app.store().read().await?;
    Ok(
        assessment::history(&mut conn, TEMPLATE_CODE, "person", person_id)
            .await?
            .into_iter()
            .map(|a| {
                let level = a.result.unwrap_or_default();
                CapabilityView {
                    level_label: CapabilityLevel::parse(&level)
                        .map(CapabilityLevel::label)
                        .unwrap_or(""),
                    level,
                    assessed_on: a.assessed_on,
                    assessor: a.assessor,
                    total: a.total,
                }
            })
            .collect(),
    )
}

/// A person whose capability assessment is more than a year old: the yearly
/// reassessment is due (a level decides subsidies and services, so it must
/// be current).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReassessmentDue {
    pub person_id: i64,
    pub name: String,
    /// The last assessment's date, YYYY-MM-DD.
    pub last_assessed: String,
}

/// People of the actor's scope whose latest capability assessment was made
/// more than a year before today, oldest first.
pub async fn reassessments_due(app: &App, actor: &Actor) -> Result<Vec<ReassessmentDue>> {
    app.require(actor, Action::PersonRead).await?;
    let today = app.today();
    let cutoff = today
        .add_days(-365)
        .ok_or_else(|| AppError::internal("date out of range"))?;
    let mut conn = app.store().read().await?;
    let rows = assessment::due_since(
        &mut conn,
        TEMPLATE_CODE,
        &register::PersonScope::from(&actor.scope),
        &cutoff.to_string(),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(person_id, name, last_assessed)| ReassessmentDue {
            person_id,
            name,
            last_assessed,
        })
        .collect())
}
