//! The facility-location planner through the API (the page is
//! `pages/planning.rs`).

use crate::error::ApiError;
use crate::pages::region_param;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use kangyang_app::planning::{self, PlanInput, PlanView};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new().api(SignedIn, routes!(plan))
}

/// Plan K new facilities of a kind in a region: maximal covering
/// (`objective: coverage`) or p-median (`median`), with before/after
/// coverage, why each site was chosen, and the optimality gap.
#[utoipa::path(post, operation_id = "api_plan", path = "/api/v1/regions/{code}/plan", params(("code" = String, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanView), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn plan(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
    Json(input): Json<PlanInput>,
) -> Result<Json<PlanView>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        planning::plan(&state.app, &session.actor, &region, &input).await?,
    ))
}
