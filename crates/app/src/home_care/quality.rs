//! Quality: reviews of flagged orders, complaints, call-back sampling and
//! call-backs, and providers' monthly scores.

use super::{anomalies_of, desk, operator_only, scoped_order, scoped_provider, short_time};
use crate::actor::Who;
use crate::audit::Event;
use crate::kangyuan::{month_bounds, parse_month};
use crate::{Actor, App, AppError, Result};
use kangyang_domain::home_care::{
    callback_sample, provider_scores, ProviderMetrics, ReviewOutcome, PROVIDER_TEMPLATE,
};
use kangyang_domain::Action;
use kangyang_store::home_care::{self as store, OrderScope};
use serde::{Deserialize, Serialize};

/// A reviewer's decision on a flagged order.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    /// confirmed (paid) or rejected (not paid).
    pub outcome: String,
    pub note: String,
}

pub async fn review(app: &App, actor: &Actor, id: i64, input: &ReviewInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    let o = scoped_order(app, actor, id, "home_care.order.review").await?;
    if anomalies_of(&o.anomalies).is_empty() {
        return Err(AppError::Conflict("此工单没有异常，无须审核".into()));
    }
    if !o.review.is_empty() {
        return Err(AppError::Conflict("此工单的异常已审核".into()));
    }
    let outcome = ReviewOutcome::parse(input.outcome.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "outcome",
            "审核结论",
            "应为核实属实（confirmed）或核实不实（rejected）",
        )
    })?;
    let note = input.note.trim();
    if note.is_empty() || note.chars().count() > 300 {
        return Err(AppError::invalid_field(
            "note",
            "审核说明",
            "请写明核实经过（300 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::review(
        &mut tx,
        id,
        outcome.as_str(),
        note,
        actor.user_id,
        app.now(),
    )
    .await?
    {
        return Err(AppError::Conflict("此工单的异常已审核".into()));
    }
    let mut event = Event::ok("home_care.order.review", "home_care_order", id.to_string());
    event.detail = serde_json::json!({ "outcome": outcome.as_str() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

// ---- complaints and call-backs ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: i64,
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub provider: String,
    pub received_at: String,
    pub text: String,
    pub open: bool,
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub provider: String,
    pub called: bool,
    pub reached: Option<bool>,
    pub service_confirmed: Option<bool>,
    pub satisfied: Option<bool>,
    pub notes: String,
}

pub(super) fn complaint_view(k: store::ComplaintRow) -> ComplaintView {
    ComplaintView {
        id: k.id,
        order_id: k.order_id,
        person_name: k.person_name,
        item_name: k.item_name,
        provider: k.provider_name.unwrap_or_default(),
        received_at: short_time(k.received_at),
        text: k.text,
        open: k.status == "open",
        outcome: k.outcome,
    }
}

pub(super) fn callback_view(b: store::CallbackRow) -> CallbackView {
    CallbackView {
        order_id: b.order_id,
        person_name: b.person_name,
        item_name: b.item_name,
        provider: b.provider_name.unwrap_or_default(),
        called: b.called_at.is_some(),
        reached: b.reached.map(|v| v != 0),
        service_confirmed: b.service_confirmed.map(|v| v != 0),
        satisfied: b.satisfied.map(|v| v != 0),
        notes: b.notes,
    }
}

/// A complaint about an order becomes a case.
pub async fn complain(app: &App, actor: &Actor, id: i64, text: &str) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.complaint.create").await?;
    operator_only(desk(app, actor).await?, "投诉受理")?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "text",
            "投诉内容",
            "请填写投诉内容（500 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let complaint =
        store::add_complaint(&mut tx, o.id, text, Some(actor.user_id), app.now()).await?;
    let mut event = Event::ok(
        "home_care.complaint.create",
        "home_care_order",
        o.id.to_string(),
    );
    event.detail = serde_json::json!({ "complaint": complaint });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(complaint)
}

/// Closes a complaint case with its outcome.
pub async fn close_complaint(app: &App, actor: &Actor, id: i64, outcome: &str) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let mut conn = app.store().read().await?;
    let found = store::complaint(&mut conn, &OrderScope::from(&actor.scope), id).await?;
    drop(conn);
    let Some(found) = found else {
        app.audit_denied(
            actor,
            "home_care.complaint.close",
            "home_care_complaint",
            &id.to_string(),
        )
        .await?;
        return Err(AppError::NotFound);
    };
    operator_only(desk(app, actor).await?, "投诉办结")?;
    if found.status != "open" {
        return Err(AppError::Conflict("此投诉已办结".into()));
    }
    let outcome = outcome.trim();
    if outcome.is_empty() || outcome.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "outcome",
            "办理结果",
            "请填写办理结果（500 字以内）",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::close_complaint(&mut tx, id, outcome, Some(actor.user_id), app.now()).await? {
        return Err(AppError::Conflict("此投诉已办结".into()));
    }
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok(
            "home_care.complaint.close",
            "home_care_complaint",
            id.to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn complaints(app: &App, actor: &Actor) -> Result<Vec<ComplaintView>> {
    app.require(actor, Action::PersonRead).await?;
    let mut conn = app.store().read().await?;
    Ok(
        store::complaints(&mut conn, &OrderScope::from(&actor.scope), None)
            .await?
            .into_iter()
            .map(complaint_view)
            .collect(),
    )
}

/// Samples a month's finished orders for call-backs: every flagged or
/// poorly rated order and `per_mille` of the rest. Returns the sampled ids.
pub async fn sample_callbacks(
    app: &App,
    actor: &Actor,
    month: &str,
    per_mille: u32,
) -> Result<Vec<i64>> {
    app.require(actor, Action::ServiceRecord).await?;
    operator_only(desk(app, actor).await?, "回访抽样")?;
    let (y, m) = parse_month(month)?;
    let month = format!("{y}-{m:02}");
    if per_mille == 0 || per_mille > 1000 {
        return Err(AppError::invalid_field(
            "per_mille",
            "抽样比例",
            "应为 1 到 1000（‰）",
        ));
    }
    let mut conn = app.store().read().await?;
    let candidates =
        store::callback_candidates(&mut conn, &OrderScope::from(&actor.scope), &month).await?;
    drop(conn);
    let flagged: Vec<(i64, bool)> = candidates.iter().map(|&(id, f)| (id, f != 0)).collect();
    let seed = u64::from(y) * 100 + u64::from(m);
    let sample = callback_sample(&flagged, per_mille, seed);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    for id in &sample {
        store::add_callback_sample(&mut tx, *id, Some(actor.user_id), app.now()).await?;
    }
    let mut event = Event::ok("home_care.callback.sample", "month", month.clone());
    event.detail = serde_json::json!({ "candidates": candidates.len(), "sampled": sample.len() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(sample)
}

/// What the person said when called back.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CallbackInput {
    /// Whether the person or family was reached.
    pub reached: bool,
    /// They confirm the service was given as recorded.
    pub service_confirmed: bool,
    pub satisfied: bool,
    pub notes: String,
}

pub async fn record_callback(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &CallbackInput,
) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.callback.record").await?;
    operator_only(desk(app, actor).await?, "回访")?;
    if !matches!(o.state.as_str(), "done" | "rated") {
        return Err(AppError::Conflict("只能回访已完成的工单".into()));
    }
    let notes = input.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "notes",
            "回访记录",
            "不超过 500 字",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::record_callback(
        &mut tx,
        o.id,
        input.reached,
        input.reached && input.service_confirmed,
        input.reached && input.satisfied,
        notes,
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok(
        "home_care.callback.record",
        "home_care_order",
        o.id.to_string(),
    );
    event.detail = serde_json::json!({ "reached": input.reached,
        "confirmed": input.service_confirmed, "satisfied": input.satisfied });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn callbacks(app: &App, actor: &Actor, month: &str) -> Result<Vec<CallbackView>> {
    app.require(actor, Action::PersonRead).await?;
    let (y, m) = parse_month(month)?;
    let mut conn = app.store().read().await?;
    Ok(store::callbacks(
        &mut conn,
        &OrderScope::from(&actor.scope),
        Some(&format!("{y}-{m:02}")),
        None,
    )
    .await?
    .into_iter()
    .map(callback_view)
    .collect())
}

// ---- provider scores ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderScore {
    pub month: String,
    pub total: u32,
    pub result: Option<String>,
    #[schema(value_type = Object)]
    pub metrics: ProviderMetrics,
    pub scores: std::collections::BTreeMap<String, u32>,
}

/// A provider's month as the scoring rules read it, from its stored figures
/// (the one mapping, for the scores given here and the demo's).
pub fn provider_metrics(f: &store::ProviderFigures) -> ProviderMetrics {
    let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    ProviderMetrics {
        finished: n(f.finished),
        on_time: n(f.on_time),
        clean: n(f.clean),
        ratings: n(f.ratings),
        stars: n(f.stars),
        complaints: n(f.complaints),
        callbacks: n(f.callbacks),
        callbacks_confirmed: n(f.callbacks_confirmed),
    }
}

/// Scores a provider's month through the assessment engine and keeps the
/// result in its rating history (template `home_care_provider`).
pub async fn score_provider(
    app: &App,
    actor: &Actor,
    provider: i64,
    month: &str,
) -> Result<ProviderScore> {
    app.require(actor, Action::FacilityManage).await?;
    let facility = scoped_provider(app, actor, provider, "home_care.score").await?;
    let (y, m) = parse_month(month)?;
    let (_, last) = month_bounds(y, m)?;
    if last > app.today() {
        return Err(AppError::invalid_field(
            "month",
            "月份",
            "只能评分已结束的月份",
        ));
    }
    let month = format!("{y}-{m:02}");
    let mut conn = app.store().read().await?;
    let metrics = provider_metrics(&store::provider_figures(&mut conn, provider, &month).await?);
    let body = kangyang_store::assessment::template(&mut conn, PROVIDER_TEMPLATE)
        .await?
        .ok_or_else(|| AppError::internal("provider template missing"))?;
    drop(conn);
    let template: kangyang_domain::assessment::Template =
        serde_json::from_str(&body).map_err(AppError::internal)?;
    let scores = provider_scores(&metrics);
    let scored = template
        .score(&scores)
        .map_err(|e| crate::assessment::score_errors("评分", e).keyed("scores"))?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    kangyang_store::assessment::add_assessment(
        &mut tx,
        &kangyang_store::assessment::NewAssessment {
            template_code: PROVIDER_TEMPLATE,
            round_id: None,
            subject_type: "facility",
            subject_id: provider,
            region_code: &facility.region_code,
            scores: &serde_json::to_string(&scores).map_err(AppError::internal)?,
            total: i64::from(scored.total),
            result: scored.result.as_ref().map(|r| r.result.as_str()),
            evidence: &serde_json::to_string(&metrics).map_err(AppError::internal)?,
            assessed_on: &last.to_string(),
            assessor: &format!("{}（按 {month} 工单数据自动评分）", actor.display_name),
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("home_care.score", "facility", provider.to_string());
    event.detail = serde_json::json!({ "month": month, "total": scored.total });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(ProviderScore {
        month,
        total: scored.total,
        result: scored.result.map(|r| r.label),
        metrics,
        scores,
    })
}
