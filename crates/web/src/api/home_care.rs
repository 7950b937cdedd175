//! Home-care service orders through the API: the catalogue, orders and
//! their steps, complaints and call-backs, providers and caregivers,
//! settlement and score, plans and the month's dashboard (the pages are
//! `pages/home_care.rs`).

use crate::error::ApiError;
use crate::pages::month_or_this;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::home_care::{
    self, CallbackInput, CallbackView, CaregiverInput, CaregiverView, CatalogueView, ClientInput,
    ClientView, ComplaintView, Dashboard, OrderCreated, OrderDetail, OrderInput, OrderQuery,
    OrderView, Position, ProviderScore, ProviderSettlement, ProviderView, RatingInput, ReviewInput,
};
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(catalogue))
        .api(SignedIn, routes!(orders, create))
        .api(SignedIn, routes!(order))
        .api(SignedIn, routes!(dispatch))
        .api(SignedIn, routes!(accept))
        .api(SignedIn, routes!(check_in))
        .api(SignedIn, routes!(check_out))
        .api(SignedIn, routes!(rate))
        .api(SignedIn, routes!(review))
        .api(SignedIn, routes!(complain))
        .api(SignedIn, routes!(callback))
        // Last of the order's steps in the walk: it ends the order.
        .api(SignedIn, routes!(cancel))
        .api(SignedIn, routes!(complaints))
        .api(SignedIn, routes!(close_complaint))
        .api(SignedIn, routes!(callbacks, sample))
        .api(SignedIn, routes!(providers))
        .api(SignedIn, routes!(caregivers, add_caregiver))
        .api(SignedIn, routes!(settlement))
        .api(SignedIn, routes!(score))
        .api(SignedIn, routes!(plan_orders))
        .api(SignedIn, routes!(dashboard))
        .api(SignedIn, routes!(client, save_client))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct MonthParam {
    /// YYYY-MM; this month when left out.
    pub(crate) month: String,
}

/// The service items, entitlement rules, time limits and anomaly rules.
#[utoipa::path(get, operation_id = "api_catalogue", path = "/api/v1/home-care/catalogue",
    responses((status = 200, body = CatalogueView)))]
pub(crate) async fn catalogue(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<CatalogueView>, ApiError> {
    Ok(Json(
        home_care::catalogue_view(&state.app, &session.actor).await?,
    ))
}

/// Orders in the caller's scope (a provider's staff: their provider's), newest first.
#[utoipa::path(get, operation_id = "api_orders", path = "/api/v1/home-care/orders", params(OrderQuery),
    responses((status = 200, body = [OrderView]), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn orders(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(q): Query<OrderQuery>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    Ok(Json(
        home_care::orders(&state.app, &session.actor, &q).await?,
    ))
}

/// Take a request for service (hotline, social worker, family); the price is
/// split by the person's entitlement at once.
#[utoipa::path(post, operation_id = "api_create", path = "/api/v1/home-care/orders", request_body = OrderInput,
    responses((status = 201, body = OrderCreated), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<OrderInput>,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    let created = home_care::create_order(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// An order with its steps, complaints, call-back, and the providers it could go to.
#[utoipa::path(get, operation_id = "api_order", path = "/api/v1/home-care/orders/{care_order}", params(("care_order" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn order(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<OrderDetail>, ApiError> {
    Ok(Json(
        home_care::order(&state.app, &session.actor, id).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct DispatchRequest {
    /// A provider (home-care centre); the suggestion when left out.
    provider_id: Option<i64>,
}

/// Dispatch an order to a provider: the suggestion, or the one given.
#[utoipa::path(post, operation_id = "api_dispatch", path = "/api/v1/home-care/orders/{care_order}/dispatch", params(("care_order" = i64, Path)), request_body = DispatchRequest,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn dispatch(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<DispatchRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let provider = home_care::dispatch(&state.app, &session.actor, id, r.provider_id).await?;
    Ok(Json(serde_json::json!({ "provider_id": provider })))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct AcceptRequest {
    caregiver_id: Option<i64>,
}

/// The provider accepts the order and assigns a caregiver.
#[utoipa::path(post, operation_id = "api_accept", path = "/api/v1/home-care/orders/{care_order}/accept", params(("care_order" = i64, Path)), request_body = AcceptRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<AcceptRequest>,
) -> Result<StatusCode, ApiError> {
    home_care::accept(&state.app, &session.actor, id, r.caregiver_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caregiver checks in (position optional).
#[utoipa::path(post, operation_id = "api_check_in", path = "/api/v1/home-care/orders/{care_order}/check-in", params(("care_order" = i64, Path)), request_body = Position,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn check_in(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(at): Json<Position>,
) -> Result<StatusCode, ApiError> {
    home_care::check_in(&state.app, &session.actor, id, &at).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caregiver checks out; the answer lists the anomalies found.
#[utoipa::path(post, operation_id = "api_check_out", path = "/api/v1/home-care/orders/{care_order}/check-out", params(("care_order" = i64, Path)), request_body = Position,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn check_out(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(at): Json<Position>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let anomalies = home_care::check_out(&state.app, &session.actor, id, &at).await?;
    Ok(Json(serde_json::json!({ "anomalies": anomalies })))
}

/// The person's or family's rating (1-5 stars), taken by phone.
#[utoipa::path(post, operation_id = "api_rate", path = "/api/v1/home-care/orders/{care_order}/rating", params(("care_order" = i64, Path)), request_body = RatingInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn rate(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<RatingInput>,
) -> Result<StatusCode, ApiError> {
    home_care::rate(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ReasonRequest {
    reason: String,
}

/// Cancel an order not yet begun, with a reason.
#[utoipa::path(post, operation_id = "api_cancel", path = "/api/v1/home-care/orders/{care_order}/cancel", params(("care_order" = i64, Path)), request_body = ReasonRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<ReasonRequest>,
) -> Result<StatusCode, ApiError> {
    home_care::cancel(&state.app, &session.actor, id, &r.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Review a flagged order: confirmed (paid) or rejected (not paid).
#[utoipa::path(post, operation_id = "api_review", path = "/api/v1/home-care/orders/{care_order}/review", params(("care_order" = i64, Path)), request_body = ReviewInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn review(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ReviewInput>,
) -> Result<StatusCode, ApiError> {
    home_care::review(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ComplaintRequest {
    text: String,
}

/// Record a complaint about an order: it becomes a case.
#[utoipa::path(post, operation_id = "api_complain", path = "/api/v1/home-care/orders/{care_order}/complaints", params(("care_order" = i64, Path)), request_body = ComplaintRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn complain(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<ComplaintRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let complaint = home_care::complain(&state.app, &session.actor, id, &r.text).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": complaint })),
    ))
}

/// Record the outcome of a call-back (回访) on a finished order.
#[utoipa::path(post, operation_id = "api_callback", path = "/api/v1/home-care/orders/{care_order}/callback", params(("care_order" = i64, Path)), request_body = CallbackInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn callback(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<CallbackInput>,
) -> Result<StatusCode, ApiError> {
    home_care::record_callback(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Complaint cases in scope, open ones first.
#[utoipa::path(get, operation_id = "api_complaints", path = "/api/v1/home-care/complaints",
    responses((status = 200, body = [ComplaintView])))]
pub(crate) async fn complaints(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<Vec<ComplaintView>>, ApiError> {
    Ok(Json(
        home_care::complaints(&state.app, &session.actor).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct OutcomeRequest {
    outcome: String,
}

/// Close a complaint case with what was done.
#[utoipa::path(post, operation_id = "api_close_complaint", path = "/api/v1/home-care/complaints/{complaint}/close", params(("complaint" = i64, Path)), request_body = OutcomeRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn close_complaint(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<OutcomeRequest>,
) -> Result<StatusCode, ApiError> {
    home_care::close_complaint(&state.app, &session.actor, id, &r.outcome).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The month's call-backs: sampled orders, called or still to call.
#[utoipa::path(get, operation_id = "api_callbacks", path = "/api/v1/home-care/callbacks", params(MonthParam),
    responses((status = 200, body = [CallbackView]), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn callbacks(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(p): Query<MonthParam>,
) -> Result<Json<Vec<CallbackView>>, ApiError> {
    let month = month_or_this(&state, &p.month);
    Ok(Json(
        home_care::callbacks(&state.app, &session.actor, &month).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct SampleRequest {
    /// YYYY-MM.
    month: String,
    /// Share of clean orders to call, per mille (flagged ones are all called).
    per_mille: u32,
}

/// Sample a month's finished orders for call-backs.
#[utoipa::path(post, operation_id = "api_sample", path = "/api/v1/home-care/callbacks", request_body = SampleRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn sample(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<SampleRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let month = month_or_this(&state, &r.month);
    let sampled =
        home_care::sample_callbacks(&state.app, &session.actor, &month, r.per_mille).await?;
    Ok(Json(serde_json::json!({ "sampled": sampled })))
}

/// Home-care providers in scope, with today's bookings.
#[utoipa::path(get, operation_id = "api_providers", path = "/api/v1/home-care/providers",
    responses((status = 200, body = [ProviderView])))]
pub(crate) async fn providers(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<Vec<ProviderView>>, ApiError> {
    Ok(Json(
        home_care::providers(&state.app, &session.actor).await?,
    ))
}

/// A provider's caregivers (phones masked).
#[utoipa::path(get, operation_id = "api_caregivers", path = "/api/v1/home-care/providers/{provider}/caregivers", params(("provider" = i64, Path)),
    responses((status = 200, body = [CaregiverView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn caregivers(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(provider): Path<i64>,
) -> Result<Json<Vec<CaregiverView>>, ApiError> {
    Ok(Json(
        home_care::caregivers(&state.app, &session.actor, provider).await?,
    ))
}

/// Add a caregiver to a provider.
#[utoipa::path(post, operation_id = "api_add_caregiver", path = "/api/v1/home-care/providers/{provider}/caregivers", params(("provider" = i64, Path)), request_body = CaregiverInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_caregiver(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(provider): Path<i64>,
    Json(input): Json<CaregiverInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = home_care::add_caregiver(&state.app, &session.actor, provider, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A provider's monthly settlement: finished orders, government and
/// personal parts in fen, flagged orders held back until reviewed.
#[utoipa::path(get, operation_id = "api_settlement", path = "/api/v1/home-care/providers/{provider}/settlement", params(("provider" = i64, Path), MonthParam),
    responses((status = 200, body = ProviderSettlement), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn settlement(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(provider): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Json<ProviderSettlement>, ApiError> {
    let month = month_or_this(&state, &p.month);
    Ok(Json(
        home_care::settlement(&state.app, &session.actor, provider, &month).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct MonthRequest {
    /// YYYY-MM.
    month: String,
}

/// Score a provider's finished month through the assessment engine.
#[utoipa::path(post, operation_id = "api_score", path = "/api/v1/home-care/providers/{provider}/score", params(("provider" = i64, Path)), request_body = MonthRequest,
    responses((status = 200, body = ProviderScore), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn score(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(provider): Path<i64>,
    Json(r): Json<MonthRequest>,
) -> Result<Json<ProviderScore>, ApiError> {
    let month = month_or_this(&state, &r.month);
    Ok(Json(
        home_care::score_provider(&state.app, &session.actor, provider, &month).await?,
    ))
}

/// Generate a month's orders from care plans, within each person's entitlement.
#[utoipa::path(post, operation_id = "api_plan_orders", path = "/api/v1/home-care/plan-orders", request_body = MonthRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn plan_orders(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<MonthRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let month = month_or_this(&state, &r.month);
    let made = home_care::generate_plan_orders(&state.app, &session.actor, &month).await?;
    Ok(Json(serde_json::json!({ "orders": made })))
}

/// The month's figures: orders by state, item, town and provider, response
/// and completion times, satisfaction, anomalies, entitlement granted vs
/// used, and entitled people who received nothing.
#[utoipa::path(get, operation_id = "api_dashboard", path = "/api/v1/home-care/dashboard", params(MonthParam),
    responses((status = 200, body = Dashboard), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(p): Query<MonthParam>,
) -> Result<Json<Dashboard>, ApiError> {
    let month = month_or_this(&state, &p.month);
    Ok(Json(
        home_care::dashboard(&state.app, &session.actor, &month).await?,
    ))
}

/// A person's entitlement this month, home and care plan.
#[utoipa::path(get, operation_id = "api_client", path = "/api/v1/persons/{id}/home-care", params(("id" = i64, Path)),
    responses((status = 200, body = ClientView), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn client(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<ClientView>, ApiError> {
    Ok(Json(
        home_care::client(&state.app, &session.actor, id).await?,
    ))
}

/// Set a person's home position (for the check-in distance rule) and care plan.
#[utoipa::path(put, operation_id = "api_save_client", path = "/api/v1/persons/{id}/home-care", params(("id" = i64, Path)), request_body = ClientInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn save_client(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ClientInput>,
) -> Result<StatusCode, ApiError> {
    home_care::save_client(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
