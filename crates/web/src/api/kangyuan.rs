//! What a Kangyuan centre (康园中心) does, through the API: trainees and
//! their enrolment, attendance, piecework orders and output, counselling,
//! brand projects (一康园一品牌), ratings and rating rounds, and a region's
//! Kangyuan overview (康园概况). What any facility has is `api/facility.rs`;
//! the pages are `pages/kangyuan.rs`.

use crate::error::ApiError;
use crate::pages::region_param;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::assessment::{self, RatingInput};
use kangyang_app::facility::{
    self, BrandProjectInput, BrandScoreInput, BrandView, KangyuanOverview, MilestoneInput,
};
use kangyang_app::kangyuan::{
    self, CounsellingView, EnrolRequest, Mark, OrderInput, OrderView, TraineeView,
};
use kangyang_domain::assessment::Scored;
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(brand_projects, add_brand_project))
        .api(SignedIn, routes!(add_brand_milestone))
        .api(SignedIn, routes!(score_brand_project))
        .api(SignedIn, routes!(trainees, enrol))
        .api(SignedIn, routes!(mark))
        .api(SignedIn, routes!(orders, add_order))
        .api(SignedIn, routes!(record_output))
        .api(SignedIn, routes!(counselling, add_counselling))
        .api(SignedIn, routes!(rate))
        .api(SignedIn, routes!(overview))
        .api(SignedIn, routes!(open_round))
}

/// The facility's current trainees.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/enrolments", operation_id = "api_trainees", params(("facility" = i64, Path)),
    responses((status = 200, body = [TraineeView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn trainees(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<TraineeView>>, ApiError> {
    Ok(Json(
        kangyuan::trainees(&state.app, &session.actor, facility, false).await?,
    ))
}

/// Enrol a person (by `person_id` or `id_number`); refused with the rule that failed.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/enrolments", operation_id = "api_enrol", params(("facility" = i64, Path)), request_body = EnrolRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn enrol(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(req): Json<EnrolRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = kangyuan::enrol(&state.app, &session.actor, facility, &req).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct MarkRequest {
    person_id: i64,
    /// YYYY-MM-DD; today when left out.
    day: Option<String>,
    /// present, absent or clear.
    mark: Option<Mark>,
}

/// Mark one trainee present or absent for a day (or take the mark back).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/attendance", operation_id = "api_mark", params(("facility" = i64, Path)), request_body = MarkRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn mark(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(req): Json<MarkRequest>,
) -> Result<StatusCode, ApiError> {
    let day = req.day.unwrap_or_else(|| state.app.today().to_string());
    kangyuan::mark(
        &state.app,
        &session.actor,
        facility,
        req.person_id,
        &day,
        req.mark.unwrap_or(Mark::Present),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take on a piecework order from a partner company.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/orders", operation_id = "api_add_order", params(("facility" = i64, Path)), request_body = OrderInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_order(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<OrderInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = kangyuan::add_order(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The facility's piecework orders with their progress.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/orders", operation_id = "api_orders", params(("facility" = i64, Path)),
    responses((status = 200, body = [OrderView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn orders(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    Ok(Json(
        kangyuan::orders(&state.app, &session.actor, facility).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct OutputRequest {
    person_id: i64,
    day: String,
    quantity: i64,
}

/// Record a trainee's output of a day on an order (replaces that day's figure).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/orders/{order}/output", operation_id = "api_record_output", params(("facility" = i64, Path), ("order" = i64, Path)), request_body = OutputRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn record_output(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path((facility, order)): Path<(i64, i64)>,
    Json(r): Json<OutputRequest>,
) -> Result<StatusCode, ApiError> {
    kangyuan::record_output(
        &state.app,
        &session.actor,
        facility,
        order,
        r.person_id,
        &r.day,
        r.quantity,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A centre's brand projects (一康园一品牌) with milestones and latest scores.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/brand-projects", operation_id = "api_brand_projects", params(("facility" = i64, Path)),
    responses((status = 200, body = [BrandView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn brand_projects(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<BrandView>>, ApiError> {
    Ok(Json(
        facility::brand_projects(&state.app, &session.actor, facility).await?,
    ))
}

/// Create a brand project of a centre (name, description, started date).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/brand-projects", operation_id = "api_add_brand_project", params(("facility" = i64, Path)), request_body = BrandProjectInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_brand_project(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<BrandProjectInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = facility::add_brand_project(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Add a milestone (name, planned date, done date) to a brand project.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/brand-projects/{brand}/milestones", operation_id = "api_add_brand_milestone",
    params(("facility" = i64, Path), ("brand" = i64, Path)), request_body = MilestoneInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_brand_milestone(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path((facility, brand)): Path<(i64, i64)>,
    Json(input): Json<MilestoneInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id =
        facility::add_brand_milestone(&state.app, &session.actor, facility, brand, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Record a brand project's score and prize in a year's competition.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/brand-projects/{brand}/score", operation_id = "api_score_brand_project",
    params(("facility" = i64, Path), ("brand" = i64, Path)), request_body = BrandScoreInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn score_brand_project(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path((facility, brand)): Path<(i64, i64)>,
    Json(input): Json<BrandScoreInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id =
        facility::score_brand_project(&state.app, &session.actor, facility, brand, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct CounsellingRequest {
    person_id: i64,
    day: String,
    notes: String,
}

/// Record a counselling session (counsellors only; the notes are sealed).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/counselling", operation_id = "api_add_counselling", params(("facility" = i64, Path)), request_body = CounsellingRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_counselling(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(req): Json<CounsellingRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = kangyuan::add_counselling(
        &state.app,
        &session.actor,
        facility,
        req.person_id,
        &req.day,
        &req.notes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The facility's counselling sessions with their notes (counsellors only; audited).
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/counselling", operation_id = "api_counselling", params(("facility" = i64, Path)),
    responses((status = 200, body = [CounsellingView]), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn counselling(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<CounsellingView>>, ApiError> {
    Ok(Json(
        kangyuan::counselling(&state.app, &session.actor, facility).await?,
    ))
}

/// Rate a facility with an assessment template (e.g. kangyuan_star): every
/// criterion's score; the answer is the total and the result.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/ratings", operation_id = "api_rate", params(("facility" = i64, Path)), request_body = RatingInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn rate(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<RatingInput>,
) -> Result<(StatusCode, Json<Scored>), ApiError> {
    let scored = assessment::rate_facility(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(scored)))
}

/// The Kangyuan figures of a region: centres, trainees, star ratings,
/// projects and their funding, programmes and paired organisations.
#[utoipa::path(get, path = "/api/v1/regions/{code}/kangyuan", operation_id = "api_overview", params(("code" = String, Path)),
    responses((status = 200, body = KangyuanOverview), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn overview(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<KangyuanOverview>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        facility::kangyuan_overview(&state.app, &session.actor, &region).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct RoundRequest {
    /// kangyuan_star, brand_competition, …
    template: String,
    name: String,
    region: String,
    opened_on: String,
}

/// Open a rating round (e.g. this year's star rating of a city's centres).
#[utoipa::path(post, path = "/api/v1/rating-rounds", operation_id = "api_open_round", request_body = RoundRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn open_round(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<RoundRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = assessment::open_round_typed(
        &state.app,
        &session.actor,
        &r.template,
        &r.name,
        &r.region,
        &r.opened_on,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}
