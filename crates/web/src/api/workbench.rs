//! The workbench in the API: what needs doing, each count with its list's page.

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use kangyang_app::workbench::{self, WorkItem};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    Routes::new().api(Access::SignedIn, routes!(api_items))
}

/// The signed-in user's workbench: what needs doing, each count with the
/// page of its list.
#[utoipa::path(get, path = "/api/v1/workbench",
    responses((status = 200, body = [WorkItem])))]
pub(crate) async fn api_items(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<Vec<WorkItem>>, ApiError> {
    Ok(Json(workbench::items(&state.app, &session.actor).await?))
}
