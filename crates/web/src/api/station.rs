//! Station work through the API: a station's activities, training and
//! head, and the visits raised to the station head (the pages are
//! `pages/station.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::station::{
    self, ActivityInput, ActivityView, HeadInput, TrainingInput, TrainingView,
};
use kangyang_app::visits::{self, AcknowledgeInput, RaisedList};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(activities, add_activity))
        .api(SignedIn, routes!(trainings, add_training))
        .api(SignedIn, routes!(set_head))
        .api(SignedIn, routes!(raised))
        .api(SignedIn, routes!(acknowledge))
}

/// A station's activities, newest first.
#[utoipa::path(get, operation_id = "api_activities", path = "/api/v1/facilities/{facility}/activities", params(("facility" = i64, Path)),
    responses((status = 200, body = [ActivityView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn activities(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<ActivityView>>, ApiError> {
    Ok(Json(
        station::activities(&state.app, &session.actor, facility).await?,
    ))
}

/// Record a station activity (group work, community event, training for
/// residents, policy publicity).
#[utoipa::path(post, operation_id = "api_add_activity", path = "/api/v1/facilities/{facility}/activities", params(("facility" = i64, Path)),
    request_body = ActivityInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_activity(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<ActivityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = station::add_activity(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The training records of a station's social workers, newest first.
#[utoipa::path(get, operation_id = "api_trainings", path = "/api/v1/facilities/{facility}/trainings", params(("facility" = i64, Path)),
    responses((status = 200, body = [TrainingView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn trainings(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<TrainingView>>, ApiError> {
    Ok(Json(
        station::trainings(&state.app, &session.actor, facility).await?,
    ))
}

/// Record a social worker's training.
#[utoipa::path(post, operation_id = "api_add_training", path = "/api/v1/facilities/{facility}/trainings", params(("facility" = i64, Path)),
    request_body = TrainingInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_training(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<TrainingInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = station::add_training(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Designate the station head (站长), one of the station's own accounts.
#[utoipa::path(put, operation_id = "api_set_head", path = "/api/v1/facilities/{facility}/head", params(("facility" = i64, Path)),
    request_body = HeadInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn set_head(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<HeadInput>,
) -> Result<StatusCode, ApiError> {
    station::set_head(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct StationParam {
    /// The station (officials); the head's own station otherwise.
    station: Option<i64>,
}

/// The visits raised to the station head: people overdue by more than the
/// grace period, with acknowledgements. For the head and officials.
#[utoipa::path(get, operation_id = "api_raised", path = "/api/v1/visits/raised", params(StationParam),
    responses((status = 200, body = RaisedList), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn raised(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(p): Query<StationParam>,
) -> Result<Json<RaisedList>, ApiError> {
    Ok(Json(
        visits::raised(&state.app, &session.actor, p.station).await?,
    ))
}

/// The station head acknowledges a raised visit (recorded and audited).
#[utoipa::path(post, operation_id = "api_acknowledge", path = "/api/v1/visits/raised/acknowledgements", request_body = AcknowledgeInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<AcknowledgeInput>,
) -> Result<StatusCode, ApiError> {
    visits::acknowledge(&state.app, &session.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
