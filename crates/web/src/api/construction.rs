//! Construction projects through the API: a region's projects (delays
//! flagged), a project's stages, milestones and payments. The project
//! parameter is `{build}` (`{project}` is the funds project). The pages are
//! `pages/construction.rs`.

use crate::error::ApiError;
use crate::pages::region_param;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::construction::{
    self as cons, BuildDetail, BuildInput, BuildList, MilestoneInput, PaymentInput, ProgressInput,
    StageInput,
};
use utoipa_axum::routes;

/// `{build}` is the construction project (`{project}` is taken by the funds
/// project).
pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(create))
        .api(SignedIn, routes!(list))
        .api(SignedIn, routes!(detail))
        .api(SignedIn, routes!(stage))
        .api(SignedIn, routes!(milestone))
        .api(SignedIn, routes!(progress))
        .api(SignedIn, routes!(pay))
}

fn created(id: i64) -> impl IntoResponse {
    (StatusCode::CREATED, Json(serde_json::json!({ "id": id })))
}

/// Start a construction project (stage: planning) with its milestones.
#[utoipa::path(post, path = "/api/v1/construction", operation_id = "api_create", request_body = BuildInput,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<BuildInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(created(
        cons::create(&state.app, &session.actor, &input).await?,
    ))
}

/// A region's construction projects with stage, budget, paid and delays.
#[utoipa::path(get, path = "/api/v1/regions/{code}/construction", operation_id = "api_list", params(("code" = String, Path)),
    responses((status = 200, body = BuildList), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<BuildList>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(cons::list(&state.app, &session.actor, &region).await?))
}

/// A construction project: stages, milestones (with delays) and payments.
#[utoipa::path(get, path = "/api/v1/construction/{build}", operation_id = "api_detail", params(("build" = i64, Path)),
    responses((status = 200, body = BuildDetail), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
) -> Result<Json<BuildDetail>, ApiError> {
    Ok(Json(cons::detail(&state.app, &session.actor, build).await?))
}

/// Move a project to its next stage.
#[utoipa::path(post, path = "/api/v1/construction/{build}/stage", operation_id = "api_stage", params(("build" = i64, Path)), request_body = StageInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn stage(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<StageInput>,
) -> Result<StatusCode, ApiError> {
    cons::advance(&state.app, &session.actor, build, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a milestone with its planned date.
#[utoipa::path(post, path = "/api/v1/construction/{build}/milestones", operation_id = "api_milestone", params(("build" = i64, Path)), request_body = MilestoneInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn milestone(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<MilestoneInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(created(
        cons::add_milestone(&state.app, &session.actor, build, &input).await?,
    ))
}

/// Record the day a milestone was reached.
#[utoipa::path(post, path = "/api/v1/construction/{build}/progress", operation_id = "api_progress", params(("build" = i64, Path)), request_body = ProgressInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn progress(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<ProgressInput>,
) -> Result<StatusCode, ApiError> {
    cons::progress(&state.app, &session.actor, build, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a payment (also the funds project's expenditure when linked).
#[utoipa::path(post, path = "/api/v1/construction/{build}/payments", operation_id = "api_pay", params(("build" = i64, Path)), request_body = PaymentInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn pay(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<PaymentInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(created(
        cons::pay(&state.app, &session.actor, build, &input).await?,
    ))
}
