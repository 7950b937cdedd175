//! The holiday calendar in the API: anyone signed in reads it; a province or
//! city official sets and removes days (`kangyang_app::holidays`, audited).

use crate::error::ApiError;
use crate::pages::holidays::YearQuery;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use kangyang_app::holidays::{self, HolidayInput, HolidayList};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(api_list, api_set))
        .api(SignedIn, routes!(api_remove))
}

/// A year's holiday calendar and whether the caller may edit it.
#[utoipa::path(get, path = "/api/v1/holidays", params(YearQuery),
    responses((status = 200, body = HolidayList)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(q): Query<YearQuery>,
) -> Result<Json<HolidayList>, ApiError> {
    Ok(Json(
        holidays::list(&state.app, &session.actor, q.year).await?,
    ))
}

/// Set a day as a holiday (放假) or a make-up working day (调休上班).
#[utoipa::path(post, path = "/api/v1/holidays", request_body = HolidayInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody),
        (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_set(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<HolidayInput>,
) -> Result<StatusCode, ApiError> {
    holidays::set(&state.app, &session.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct RemoveRequest {
    /// YYYY-MM-DD.
    pub day: String,
}

/// Remove a day from the calendar: it becomes an ordinary day again.
#[utoipa::path(post, path = "/api/v1/holidays/remove", request_body = RemoveRequest,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_remove(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(req): Json<RemoveRequest>,
) -> Result<StatusCode, ApiError> {
    holidays::remove(&state.app, &session.actor, &req.day).await?;
    Ok(StatusCode::NO_CONTENT)
}
