//! Elder canteens through the API: mode, menus, meals and the monthly
//! settlement (the pages, and the xlsx a canteen submits, are
//! `pages/canteen.rs`).

use crate::error::ApiError;
use crate::pages::month_or_this;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kangyang_app::canteen::{self, CanteenSettlement, Counter, MealInput, MealPriced, WeekMenu};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(set_mode))
        .api(SignedIn, routes!(week_menu, set_menu))
        .api(SignedIn, routes!(counter, record_meal))
        .api(SignedIn, routes!(cancel_meal))
        .api(SignedIn, routes!(settlement))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ModeRequest {
    /// own_kitchen, delivery, charity, neighbour_help
    mode: String,
}

/// Set how a canteen works.
#[utoipa::path(put, path = "/api/v1/facilities/{facility}/canteen-mode", params(("facility" = i64, Path)), request_body = ModeRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn set_mode(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(r): Json<ModeRequest>,
) -> Result<StatusCode, ApiError> {
    canteen::set_mode(&state.app, &session.actor, facility, &r.mode).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct MenuRequest {
    day: String,
    /// breakfast, lunch or dinner
    meal: String,
    dishes: String,
}

/// Set the dishes of one meal of one day.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/menus", params(("facility" = i64, Path)), request_body = MenuRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn set_menu(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(r): Json<MenuRequest>,
) -> Result<StatusCode, ApiError> {
    canteen::set_menu(
        &state.app,
        &session.actor,
        facility,
        &r.day,
        &r.meal,
        &r.dishes,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a meal for a registered diner; the answer is its price split.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/meals", params(("facility" = i64, Path)), request_body = MealInput,
    responses((status = 201, body = MealPriced), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn record_meal(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<MealInput>,
) -> Result<(StatusCode, Json<MealPriced>), ApiError> {
    let priced = canteen::record_meal(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(priced)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct MonthParam {
    /// YYYY-MM; this month when left out.
    month: String,
}

/// The month's settlement: meals by tier, subsidy / personal / charity in
/// fen, meals also claimed elsewhere flagged and their subsidy held.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/settlement", params(("facility" = i64, Path), MonthParam),
    responses((status = 200, body = CanteenSettlement), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn settlement(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Json<CanteenSettlement>, ApiError> {
    let month = month_or_this(&state, &p.month);
    Ok(Json(
        canteen::settlement(&state.app, &session.actor, facility, &month).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct CounterParams {
    /// YYYY-MM-DD; today when left out.
    day: String,
    /// breakfast, lunch or dinner; lunch when left out.
    meal: String,
}

/// The counter of one meal of a day: the menu, every diner enrolled that
/// day with the split their meal is priced at, and what has been recorded.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/meals", params(("facility" = i64, Path), CounterParams),
    responses((status = 200, body = Counter), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn counter(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Query(p): Query<CounterParams>,
) -> Result<Json<Counter>, ApiError> {
    Ok(Json(
        canteen::counter(
            &state.app,
            &session.actor,
            facility,
            Some(&p.day),
            Some(&p.meal),
        )
        .await?,
    ))
}

/// Take back a meal recorded by mistake (`person_id`, `day`, `meal`).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/meals/cancel", params(("facility" = i64, Path)), request_body = MealInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn cancel_meal(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<MealInput>,
) -> Result<StatusCode, ApiError> {
    canteen::cancel_meal(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct WeekParam {
    /// Any day of the week wanted (YYYY-MM-DD); this week when left out.
    day: String,
}

/// The week's menu, Monday to Sunday.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/menus", params(("facility" = i64, Path), WeekParam),
    responses((status = 200, body = WeekMenu), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn week_menu(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Query(p): Query<WeekParam>,
) -> Result<Json<WeekMenu>, ApiError> {
    Ok(Json(
        canteen::week_menu(&state.app, &session.actor, facility, Some(&p.day)).await?,
    ))
}
