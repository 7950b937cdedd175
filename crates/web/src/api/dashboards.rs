//! Region dashboards, demand mining and coverage through the API (the pages
//! and the workbook are `pages/dashboards.rs`).

use crate::error::ApiError;
use crate::pages::region_param;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use kangyang_app::coverage::{self, Coverage, CoverageQuery};
use kangyang_app::dashboards::{self, Dashboard};
use kangyang_app::demand::{self, Demand};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(dashboard))
        .api(SignedIn, routes!(demand))
        .api(SignedIn, routes!(coverage))
}

/// A region's dashboard: people by category, urban/rural, age band,
/// capability, disability and child category; services this month; the
/// home-modification target; funds. Each figure by child region, with links
/// to the register search behind people counts.
#[utoipa::path(get, operation_id = "api_dashboard", path = "/api/v1/regions/{code}/dashboard", params(("code" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<Dashboard>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        dashboards::dashboard(&state.app, &session.actor, &region).await?,
    ))
}

/// A region's unmet needs: disabled adults enrolled nowhere, impaired
/// elderly living alone with no visit in 90 days and no meal this month,
/// children in need whom no social-work station serves. Per village and
/// town, ranked, urban and rural apart, with six months' trend; the people
/// themselves for users who may read people.
#[utoipa::path(get, operation_id = "api_demand", path = "/api/v1/regions/{code}/demand", params(("code" = String, Path)),
    responses((status = 200, body = Demand), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn demand(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<Demand>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        demand::demand(&state.app, &session.actor, &region).await?,
    ))
}

/// Coverage of a region by one kind of facility: for each village with
/// people of the kind's need group, the distance to the nearest facility of
/// the kind, and the share of those people within `radius_km`. Village
/// points are stand-ins (see `placement_note`).
#[utoipa::path(get, operation_id = "api_coverage", path = "/api/v1/regions/{code}/coverage", params(("code" = String, Path), CoverageQuery),
    responses((status = 200, body = Coverage), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn coverage(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
    Query(q): Query<CoverageQuery>,
) -> Result<Json<Coverage>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        coverage::coverage(&state.app, &session.actor, &region, &q).await?,
    ))
}
