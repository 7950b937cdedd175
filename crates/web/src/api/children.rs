//! Children in care through the API: a welfare home's children, each
//! child's file (closed to all but the child's carers, or opened with a
//! reason), and the auditor's list of break-glass openings (the pages are
//! `pages/children.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::children::{self, ActivityInput, ChildFileInput, ChildFileView, ChildListEntry};
use kangyang_domain::children::BREAK_GLASS_MINUTES;
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(file, save))
        .api(SignedIn, routes!(break_glass))
        .api(SignedIn, routes!(add_activity))
        .api(SignedIn, routes!(carers))
        .api(SignedIn, routes!(list))
        .api(SignedIn, routes!(break_glass_report))
        .api(SignedIn, routes!(review))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ReasonInput {
    /// Why the file must be opened, e.g. "夜间急诊，核对过敏史".
    reason: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct CarerInput {
    /// A staff account of the child's welfare home.
    username: String,
    /// true to take the account off the child.
    remove: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ReviewInput {
    note: String,
}

/// A child's file: for the child's carers, or read-only after a reason was
/// given (`POST …/break-glass`); otherwise 403 `reason_required`.
#[utoipa::path(get, operation_id = "api_file", path = "/api/v1/children/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ChildFileView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn file(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<ChildFileView>, ApiError> {
    Ok(Json(children::file(&state.app, &session.actor, id).await?))
}

/// Writes a child's file (the child's carers only).
#[utoipa::path(post, operation_id = "api_save", path = "/api/v1/children/{id}", params(("id" = i64, Path)), request_body = ChildFileInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn save(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ChildFileInput>,
) -> Result<StatusCode, ApiError> {
    children::save_file(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opens a child's file for 30 minutes to someone not assigned to the
/// child, on a reason the auditor will see.
#[utoipa::path(post, operation_id = "api_break_glass", path = "/api/v1/children/{id}/break-glass", params(("id" = i64, Path)), request_body = ReasonInput,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn break_glass(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let opened = children::break_glass(&state.app, &session.actor, id, &input.reason).await?;
    Ok(Json(serde_json::json!({
        "break_glass": opened,
        "minutes": opened.map(|_| BREAK_GLASS_MINUTES),
    })))
}

/// Records an activity in a child's file (the child's carers only).
#[utoipa::path(post, operation_id = "api_add_activity", path = "/api/v1/children/{id}/activities", params(("id" = i64, Path)), request_body = ActivityInput,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_activity(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ActivityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let activity = children::add_activity(&state.app, &session.actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": activity })),
    ))
}

/// Assigns a staff member of the child's welfare home to the child, or
/// takes them off (`remove`). Officials over the home.
#[utoipa::path(post, operation_id = "api_carers", path = "/api/v1/children/{id}/carers", params(("id" = i64, Path)), request_body = CarerInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn carers(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<CarerInput>,
) -> Result<StatusCode, ApiError> {
    children::assign(
        &state.app,
        &session.actor,
        id,
        &input.username,
        input.remove,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The children placed in a welfare home: names and ages, whether the
/// caller is one of each child's carers; nothing from the files.
#[utoipa::path(get, operation_id = "api_children", path = "/api/v1/facilities/{facility}/children", params(("facility" = i64, Path)),
    responses((status = 200, body = [ChildListEntry]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<ChildListEntry>>, ApiError> {
    Ok(Json(
        children::children_of(&state.app, &session.actor, facility).await?,
    ))
}

/// Break-glass openings of children's files, those awaiting review first
/// (auditor only).
#[utoipa::path(get, operation_id = "api_break_glass_report", path = "/api/v1/audit/break-glass",
    responses((status = 200, body = Object), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn break_glass_report(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (waiting, entries) = children::break_glass_report(&state.app, &session.actor).await?;
    Ok(Json(
        serde_json::json!({ "awaiting_review": waiting, "entries": entries }),
    ))
}

/// The auditor marks a break-glass opening reviewed.
#[utoipa::path(post, operation_id = "api_review", path = "/api/v1/audit/break-glass/{grant}/review", params(("grant" = i64, Path)), request_body = ReviewInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn review(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(grant): Path<i64>,
    Json(input): Json<ReviewInput>,
) -> Result<StatusCode, ApiError> {
    children::review(&state.app, &session.actor, grant, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}
