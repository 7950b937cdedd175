//! Social-work visits through the API: who of a station's people is due,
//! and a person's visits (the pages are `pages/visits.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::visits::{self, DueList, VisitInput, VisitView};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(due))
        .api(SignedIn, routes!(of_person, record))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct StationParam {
    /// The station (officials); a social worker's own station otherwise.
    station: Option<i64>,
}

/// Who of a station's people is due or overdue for a visit, most urgent first.
#[utoipa::path(operation_id = "api_due", get, path = "/api/v1/visits/due", params(StationParam),
    responses((status = 200, body = DueList), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn due(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(p): Query<StationParam>,
) -> Result<Json<DueList>, ApiError> {
    Ok(Json(
        visits::due_list(&state.app, &session.actor, p.station).await?,
    ))
}

/// Record a visit to a person (in person or by phone), with findings, risks and referral.
#[utoipa::path(operation_id = "api_record", post, path = "/api/v1/persons/{id}/visits", params(("id" = i64, Path)), request_body = VisitInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn record(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<VisitInput>,
) -> Result<impl IntoResponse, ApiError> {
    let visit = visits::record(&state.app, &session.actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": visit })),
    ))
}

/// A person's visits, newest first.
#[utoipa::path(operation_id = "api_of_person", get, path = "/api/v1/persons/{id}/visits", params(("id" = i64, Path)),
    responses((status = 200, body = [VisitView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn of_person(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<Vec<VisitView>>, ApiError> {
    Ok(Json(
        visits::of_person(&state.app, &session.actor, id).await?,
    ))
}
