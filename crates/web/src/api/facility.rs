//! Facilities through the API: what any facility has — its record, site
//! (relocations), rooms and who it may enrol. What a Kangyuan centre does is
//! `api/kangyuan.rs`; the pages are `pages/facility.rs`.

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::facility::{
    self, FacilityDetail, FacilityInput, FacilityQuery, FacilityView, RelocationInput,
};
use kangyang_domain::facility::EligibilityRule;
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(list, create))
        .api(SignedIn, routes!(get, update))
        .api(SignedIn, routes!(relocate))
        .api(SignedIn, routes!(add_room))
        .api(SignedIn, routes!(set_eligibility))
}

/// Facilities in one's scope: `type` (e.g. kangyuan_centre) and `region` filter.
/// Each comes with its current enrolment count and latest star rating.
#[utoipa::path(get, path = "/api/v1/facilities", operation_id = "api_list", params(FacilityQuery),
    responses((status = 200, body = [FacilityView]), (status = 401, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(q): Query<FacilityQuery>,
) -> Result<Json<Vec<FacilityView>>, ApiError> {
    Ok(Json(facility::list(&state.app, &session.actor, &q).await?))
}

/// Register a facility in one's region.
#[utoipa::path(post, path = "/api/v1/facilities", operation_id = "api_create", request_body = FacilityInput,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<FacilityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = facility::create(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// One facility with its rooms, villages served, sites, figures and projects.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}", operation_id = "api_get", params(("facility" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<FacilityDetail>, ApiError> {
    Ok(Json(
        facility::detail(&state.app, &session.actor, facility).await?,
    ))
}

/// Set who a facility may enrol: an age range and the disabilities accepted.
#[utoipa::path(put, path = "/api/v1/facilities/{facility}/eligibility", operation_id = "api_set_eligibility", params(("facility" = i64, Path)), request_body = Object,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn set_eligibility(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(rule): Json<EligibilityRule>,
) -> Result<StatusCode, ApiError> {
    facility::set_eligibility(&state.app, &session.actor, facility, &rule).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a facility's record (its eligibility rule is set separately).
/// Takes the flat input or GET's answer sent back unchanged.
#[utoipa::path(put, path = "/api/v1/facilities/{facility}", operation_id = "api_update", params(("facility" = i64, Path)), request_body = FacilityInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(body): Json<serde_json::Value>,
) -> Result<StatusCode, ApiError> {
    let input = FacilityInput::from_api(&body)?;
    facility::update(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a facility to a new site; the old site stays in its history with its dates.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/relocations", operation_id = "api_relocate", params(("facility" = i64, Path)), request_body = RelocationInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn relocate(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<RelocationInput>,
) -> Result<StatusCode, ApiError> {
    facility::relocate(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct RoomRequest {
    name: String,
    function: String,
    /// Square metres.
    area_m2: String,
}

/// Add a room (name, function, area).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/rooms", operation_id = "api_add_room", params(("facility" = i64, Path)), request_body = RoomRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_room(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(r): Json<RoomRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = facility::add_room(
        &state.app,
        &session.actor,
        facility,
        &r.name,
        &r.function,
        &r.area_m2,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}
