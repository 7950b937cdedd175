//! Funds through the JSON API: fund sources, projects, allocations and
//! expenditures. Amounts are typed in yuan ("470000", "1,200.50") and kept
//! in fen. Partner organisations and pairings are `api/pairing.rs`.

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::facility::ProjectView;
use kangyang_app::{funds, AppError, Result as AppResult};
use kangyang_domain::money::Fen;
use kangyang_domain::{CivilDate, RegionCode};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(add_source))
        .api(SignedIn, routes!(add_project))
        .api(SignedIn, routes!(allocate))
        .api(SignedIn, routes!(spend))
        .api(SignedIn, routes!(projects))
}

fn yuan(key: &str, label: &str, s: &str) -> AppResult<Fen> {
    Fen::parse_yuan(s).map_err(|m| AppError::invalid_field(key, label, m))
}

/// A date field, refused with its key and label.
pub(crate) fn date(key: &str, label: &str, s: &str) -> AppResult<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::invalid_field(key, label, "日期应为 YYYY-MM-DD"))
}

/// 201 with the new record's id.
pub(crate) fn created(id: i64) -> impl IntoResponse {
    (StatusCode::CREATED, Json(serde_json::json!({ "id": id })))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct SourceRequest {
    name: String,
    /// central, provincial, city, county, town, lottery, department, donation, other
    kind: String,
    region: String,
}

/// Register a fund source of one's region.
#[utoipa::path(post, path = "/api/v1/funds/sources", request_body = SourceRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_source(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<SourceRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = funds::add_source(&state.app, &session.actor, &r.name, &r.kind, &r.region).await?;
    Ok(created(id))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ProjectRequest {
    name: String,
    /// construction, equipment, programme, operating
    kind: String,
    region: String,
    facility_id: Option<i64>,
    /// Yuan.
    budget: String,
    started_on: String,
    /// Facilities a programme serves.
    facilities: Vec<i64>,
}

/// Start a project: for one facility, or a programme across several.
#[utoipa::path(post, path = "/api/v1/funds/projects", request_body = ProjectRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_project(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<ProjectRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let input = funds::ProjectInput {
        name: &r.name,
        kind: &r.kind,
        region: &r.region,
        facility_id: r.facility_id,
        budget: yuan("budget", "预算", &r.budget)?,
        started_on: date("started_on", "开始日期", &r.started_on)?,
        facilities: &r.facilities,
    };
    let id = funds::add_project(&state.app, &session.actor, &input).await?;
    Ok(created(id))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct MoneyRequest {
    /// For allocations: the fund source.
    source_id: i64,
    /// Yuan.
    amount: String,
    day: String,
    /// For expenditures: what was paid for; for allocations: a note.
    item: String,
}

/// Allocate money from a source to a project.
#[utoipa::path(post, path = "/api/v1/funds/projects/{project}/allocations", params(("project" = i64, Path)), request_body = MoneyRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn allocate(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(project): Path<i64>,
    Json(r): Json<MoneyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = funds::allocate(
        &state.app,
        &session.actor,
        r.source_id,
        project,
        &r.amount,
        &r.day,
        &r.item,
    )
    .await?;
    Ok(created(id))
}

/// Record money spent on a project.
#[utoipa::path(post, path = "/api/v1/funds/projects/{project}/expenditures", params(("project" = i64, Path)), request_body = MoneyRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn spend(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(project): Path<i64>,
    Json(r): Json<MoneyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = funds::spend(
        &state.app,
        &session.actor,
        project,
        &r.amount,
        &r.day,
        &r.item,
    )
    .await?;
    Ok(created(id))
}

/// Every project of a region: budget, allocated, spent, progress, funding mix.
#[utoipa::path(get, path = "/api/v1/regions/{code}/funds", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn projects(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let region = RegionCode::parse(&code).map_err(|_| AppError::NotFound)?;
    Ok(Json(
        funds::projects(&state.app, &session.actor, &region).await?,
    ))
}
