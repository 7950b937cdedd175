//! Capability assessments (能力评估, GB/T 42195-2022) through the API (the
//! form is `pages/capability.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::capability::{self, CapabilityInput, CapabilityView};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new().api(SignedIn, routes!(history, assess))
}

/// Assess a person's capability: every item's score; the answer gives the
/// total, the level and any level change the standard's rules made.
#[utoipa::path(post, operation_id = "api_assess", path = "/api/v1/persons/{id}/capability", params(("id" = i64, Path)), request_body = CapabilityInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn assess(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<CapabilityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let result = capability::assess(&state.app, &session.actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "total": result.total,
            "initial_level": result.initial_level.as_str(),
            "level": result.level.as_str(),
            "level_label": result.level.label(),
            "adjustment": result.adjustment,
        })),
    ))
}

/// A person's capability assessments, newest first.
#[utoipa::path(get, operation_id = "api_history", path = "/api/v1/persons/{id}/capability", params(("id" = i64, Path)),
    responses((status = 200, body = [CapabilityView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<Vec<CapabilityView>>, ApiError> {
    Ok(Json(
        capability::history(&state.app, &session.actor, id).await?,
    ))
}
