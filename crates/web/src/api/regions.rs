//! The statistical divisions (区划) of one's scope.

use super::ErrorBody;
use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::regions::{self, ChildView, RegionDetail};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(regions_search))
        .api(SignedIn, routes!(region))
        .api(SignedIn, routes!(region_children))
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Regions of one's scope whose name contains `q`; without `q`, the provinces one may see.
#[utoipa::path(get, path = "/api/v1/regions", params(("q" = Option<String>, Query, description = "part of a name, e.g. 古劳")),
    responses((status = 200, body = [RegionDetail]), (status = 401, body = ErrorBody)))]
pub(crate) async fn regions_search(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(query): Query<SearchQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = &session.actor;
    if query.q.trim().is_empty() {
        let mut out = Vec::new();
        for root in regions::roots(&state.app, actor).await? {
            out.push(regions::get(&state.app, actor, &root.code).await?);
        }
        return Ok(Json(out));
    }
    Ok(Json(regions::search(&state.app, actor, &query.q).await?))
}

/// One region with its path from the province.
#[utoipa::path(get, path = "/api/v1/regions/{code}", params(("code" = String, Path, description = "2-12 digit statistical division code")),
    responses((status = 200, body = RegionDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn region(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<RegionDetail>, ApiError> {
    Ok(Json(regions::get(&state.app, &session.actor, &code).await?))
}

/// The subdivisions of a region, with the size of each one's subtree.
#[utoipa::path(get, path = "/api/v1/regions/{code}/children", params(("code" = String, Path)),
    responses((status = 200, body = [ChildView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn region_children(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<Vec<ChildView>>, ApiError> {
    Ok(Json(
        regions::children(&state.app, &session.actor, &code).await?,
    ))
}
