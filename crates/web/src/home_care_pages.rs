//! Home-care service orders: the JSON API, the operator's dashboard, order
//! list and order page, the provider's page (caregivers, settlement, score)
//! and the caregiver's phone page for checking in and out.

use crate::error::{ApiError, PageError};
use crate::pages::Nav;
use crate::pages::{month_or_this, xlsx};
use crate::session::{check_form_csrf, ApiSession, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::home_care::{
    self, CallbackInput, CallbackView, CaregiverInput, CaregiverView, CatalogueView, ClientInput,
    ClientView, ComplaintView, Dashboard, OrderCreated, OrderDetail, OrderInput, OrderQuery,
    OrderView, Position, ProviderScore, ProviderSettlement, ProviderView, RatingInput, ReviewInput,
};
use kangyang_app::AppError;
use kangyang_domain::home_care::{Channel, OrderState};
use kangyang_domain::money::Fen;
use serde::Deserialize;

// ---- API ----

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct MonthParam {
    /// YYYY-MM; this month when left out.
    month: String,
}

/// The service items, entitlement rules, time limits and anomaly rules.
#[utoipa::path(get, path = "/api/v1/home-care/catalogue",
    responses((status = 200, body = CatalogueView)))]
pub(crate) async fn api_catalogue(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<CatalogueView>, ApiError> {
    Ok(Json(
        home_care::catalogue_view(&state.app, &session.actor).await?,
    ))
}

/// Orders in the caller's scope (a provider's staff: their provider's), newest first.
#[utoipa::path(get, path = "/api/v1/home-care/orders", params(OrderQuery),
    responses((status = 200, body = [OrderView]), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_orders(
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
#[utoipa::path(post, path = "/api/v1/home-care/orders", request_body = OrderInput,
    responses((status = 201, body = OrderCreated), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<OrderInput>,
) -> Result<(StatusCode, Json<OrderCreated>), ApiError> {
    let created = home_care::create_order(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// An order with its steps, complaints, call-back, and the providers it could go to.
#[utoipa::path(get, path = "/api/v1/home-care/orders/{care_order}", params(("care_order" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_order(
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
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/dispatch", params(("care_order" = i64, Path)), request_body = DispatchRequest,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_dispatch(
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
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/accept", params(("care_order" = i64, Path)), request_body = AcceptRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_accept(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<AcceptRequest>,
) -> Result<StatusCode, ApiError> {
    home_care::accept(&state.app, &session.actor, id, r.caregiver_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caregiver checks in (position optional).
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/check-in", params(("care_order" = i64, Path)), request_body = Position,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_check_in(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(at): Json<Position>,
) -> Result<StatusCode, ApiError> {
    home_care::check_in(&state.app, &session.actor, id, &at).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caregiver checks out; the answer lists the anomalies found.
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/check-out", params(("care_order" = i64, Path)), request_body = Position,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_check_out(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(at): Json<Position>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let anomalies = home_care::check_out(&state.app, &session.actor, id, &at).await?;
    Ok(Json(serde_json::json!({ "anomalies": anomalies })))
}

/// The person's or family's rating (1-5 stars), taken by phone.
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/rating", params(("care_order" = i64, Path)), request_body = RatingInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_rate(
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
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/cancel", params(("care_order" = i64, Path)), request_body = ReasonRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_cancel(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<ReasonRequest>,
) -> Result<StatusCode, ApiError> {
    home_care::cancel(&state.app, &session.actor, id, &r.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Review a flagged order: confirmed (paid) or rejected (not paid).
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/review", params(("care_order" = i64, Path)), request_body = ReviewInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_review(
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
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/complaints", params(("care_order" = i64, Path)), request_body = ComplaintRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_complain(
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
#[utoipa::path(post, path = "/api/v1/home-care/orders/{care_order}/callback", params(("care_order" = i64, Path)), request_body = CallbackInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_callback(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<CallbackInput>,
) -> Result<StatusCode, ApiError> {
    home_care::record_callback(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Complaint cases in scope, open ones first.
#[utoipa::path(get, path = "/api/v1/home-care/complaints",
    responses((status = 200, body = [ComplaintView])))]
pub(crate) async fn api_complaints(
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
#[utoipa::path(post, path = "/api/v1/home-care/complaints/{complaint}/close", params(("complaint" = i64, Path)), request_body = OutcomeRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_close_complaint(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(r): Json<OutcomeRequest>,
) -> Result<StatusCode, ApiError> {
    home_care::close_complaint(&state.app, &session.actor, id, &r.outcome).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The month's call-backs: sampled orders, called or still to call.
#[utoipa::path(get, path = "/api/v1/home-care/callbacks", params(MonthParam),
    responses((status = 200, body = [CallbackView]), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_callbacks(
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
#[utoipa::path(post, path = "/api/v1/home-care/callbacks", request_body = SampleRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_sample(
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
#[utoipa::path(get, path = "/api/v1/home-care/providers",
    responses((status = 200, body = [ProviderView])))]
pub(crate) async fn api_providers(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<Vec<ProviderView>>, ApiError> {
    Ok(Json(
        home_care::providers(&state.app, &session.actor).await?,
    ))
}

/// A provider's caregivers (phones masked).
#[utoipa::path(get, path = "/api/v1/home-care/providers/{provider}/caregivers", params(("provider" = i64, Path)),
    responses((status = 200, body = [CaregiverView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_caregivers(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(provider): Path<i64>,
) -> Result<Json<Vec<CaregiverView>>, ApiError> {
    Ok(Json(
        home_care::caregivers(&state.app, &session.actor, provider).await?,
    ))
}

/// Add a caregiver to a provider.
#[utoipa::path(post, path = "/api/v1/home-care/providers/{provider}/caregivers", params(("provider" = i64, Path)), request_body = CaregiverInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_caregiver(
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
#[utoipa::path(get, path = "/api/v1/home-care/providers/{provider}/settlement", params(("provider" = i64, Path), MonthParam),
    responses((status = 200, body = ProviderSettlement), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_settlement(
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
#[utoipa::path(post, path = "/api/v1/home-care/providers/{provider}/score", params(("provider" = i64, Path)), request_body = MonthRequest,
    responses((status = 200, body = ProviderScore), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_score(
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
#[utoipa::path(post, path = "/api/v1/home-care/plan-orders", request_body = MonthRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_plan_orders(
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
#[utoipa::path(get, path = "/api/v1/home-care/dashboard", params(MonthParam),
    responses((status = 200, body = Dashboard), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_dashboard(
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
#[utoipa::path(get, path = "/api/v1/persons/{id}/home-care", params(("id" = i64, Path)),
    responses((status = 200, body = ClientView), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_client(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<ClientView>, ApiError> {
    Ok(Json(
        home_care::client(&state.app, &session.actor, id).await?,
    ))
}

/// Set a person's home position (for the check-in distance rule) and care plan.
#[utoipa::path(put, path = "/api/v1/persons/{id}/home-care", params(("id" = i64, Path)), request_body = ClientInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_save_client(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ClientInput>,
) -> Result<StatusCode, ApiError> {
    home_care::save_client(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- pages ----

fn yuan(fen: i64) -> String {
    Fen(fen).yuan_string()
}

fn status_of(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// A use case's refusal that the page shows next to the form.
fn shown(e: AppError) -> Result<String, PageError> {
    match e {
        e @ (AppError::Invalid { .. } | AppError::Conflict(_)) => Ok(e.to_string()),
        e => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "home_care.html")]
struct DashboardPage {
    nav: Nav,
    d: Dashboard,
    /// The count tables: by state, item, town and provider.
    groups: Vec<(&'static str, Vec<home_care::CountLine>)>,
    providers: Vec<ProviderView>,
    complaints: Vec<ComplaintView>,
}

impl DashboardPage {
    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let d = home_care::dashboard(&state.app, &session.actor, &month).await?;
    let providers = home_care::providers(&state.app, &session.actor).await?;
    let complaints = home_care::complaints(&state.app, &session.actor)
        .await?
        .into_iter()
        .filter(|c| c.open)
        .collect();
    let groups = vec![
        ("按状态", d.by_state.clone()),
        ("按服务项目", d.by_item.clone()),
        ("按镇（街道）", d.by_town.clone()),
        ("按服务机构", d.by_provider.clone()),
    ];
    Ok(Html(
        DashboardPage {
            nav: Nav::of(&session.actor),
            d,
            groups,
            providers,
            complaints,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "home_care_orders.html")]
struct OrdersPage {
    nav: Nav,
    orders: Vec<OrderView>,
    q: OrderQuery,
    states: Vec<(&'static str, &'static str)>,
    /// The caregiver's phone list rather than the office's table.
    phone: bool,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<OrderQuery>,
) -> Result<Response, PageError> {
    let orders = home_care::orders(&state.app, &session.actor, &q).await?;
    Ok(Html(
        OrdersPage {
            nav: Nav::of(&session.actor),
            orders,
            phone: false,
            q,
            states: OrderState::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
        }
        .render()?,
    )
    .into_response())
}

/// The caregiver's phone list: their open orders (their provider's, for
/// staff without a caregiver record).
pub(crate) async fn visits(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let mut q = OrderQuery {
        open: "1".into(),
        mine: "1".into(),
        ..OrderQuery::default()
    };
    let mut orders = home_care::orders(&state.app, &session.actor, &q).await?;
    if orders.is_empty() {
        q.mine.clear();
        orders = home_care::orders(&state.app, &session.actor, &q).await?;
    }
    orders.retain(|o| matches!(o.state.as_str(), "accepted" | "on_site"));
    orders.reverse();
    Ok(Html(
        OrdersPage {
            nav: Nav::of(&session.actor),
            orders,
            phone: true,
            q,
            states: Vec::new(),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "home_care_order_form.html")]
struct OrderFormPage {
    nav: Nav,
    catalogue: CatalogueView,
    channels: Vec<(&'static str, &'static str)>,
    input: FormValues,
    error: Option<String>,
}

#[derive(Debug, Default)]
struct FormValues {
    person_id: String,
    id_number: String,
    item: String,
    quantity: String,
    scheduled_at: String,
    channel: String,
    notes: String,
}

async fn order_form(
    state: &AppState,
    session: &Session,
    input: FormValues,
    error: Option<String>,
) -> Result<Response, PageError> {
    let catalogue = home_care::catalogue_view(&state.app, &session.actor).await?;
    let status = status_of(&error);
    let page = OrderFormPage {
        nav: Nav::of(&session.actor),
        catalogue,
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        input,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewParam {
    person: String,
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<NewParam>,
) -> Result<Response, PageError> {
    let now = kangyang_app::civil::datetime(state.app.now() + 3600);
    let input = FormValues {
        person_id: p.person,
        quantity: "1".into(),
        scheduled_at: format!("{}T{}", &now[..10], &now[11..16]),
        channel: Channel::Hotline.as_str().into(),
        ..FormValues::default()
    };
    order_form(&state, &session, input, None).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let values = FormValues {
        person_id: field("person_id"),
        id_number: field("id_number"),
        item: field("item"),
        quantity: field("quantity"),
        scheduled_at: field("scheduled_at"),
        channel: field("channel"),
        notes: field("notes"),
    };
    let person_id = match values.person_id.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return order_form(&state, &session, values, Some("老人编号应为数字".into())).await
            }
        },
    };
    let input = OrderInput {
        person_id,
        id_number: values.id_number.clone(),
        item: values.item.clone(),
        quantity: values.quantity.clone(),
        scheduled_at: values.scheduled_at.clone(),
        channel: values.channel.clone(),
        notes: values.notes.clone(),
    };
    match home_care::create_order(&state.app, &session.actor, &input).await {
        Ok(created) => {
            Ok(Redirect::to(&format!("/home-care/orders/{}", created.id)).into_response())
        }
        Err(e) => {
            let message = shown(e)?;
            order_form(&state, &session, values, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "home_care_order.html")]
struct OrderPage {
    nav: Nav,
    d: OrderDetail,
    /// What the signed-in user may do here.
    may_dispatch: bool,
    may_accept: bool,
    may_visit: bool,
    may_rate: bool,
    may_review: bool,
    error: Option<String>,
}

impl OrderPage {
    fn stars(&self) -> String {
        "★".repeat(self.d.order.rating.unwrap_or(0).clamp(0, 5) as usize)
    }

    fn assigned(&self, caregiver: impl std::borrow::Borrow<i64>) -> bool {
        self.d.order.caregiver_id == Some(*caregiver.borrow())
    }
}

async fn order_page(
    state: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = home_care::order(&state.app, &session.actor, id).await?;
    let actor = &session.actor;
    use kangyang_domain::Action;
    let own_provider =
        actor.scope.facility_id().is_some() && actor.scope.facility_id() == d.order.provider_id;
    let bureau_side = !own_provider;
    let state_is = |s: &str| d.order.state == s;
    let page = OrderPage {
        may_dispatch: bureau_side
            && actor.can(Action::ServiceRecord)
            && (state_is("requested") || state_is("dispatched")),
        may_accept: actor.can(Action::ServiceRecord)
            && (own_provider || actor.scope.facility_id().is_none())
            && (state_is("dispatched") || state_is("accepted")),
        may_visit: own_provider && (state_is("accepted") || state_is("on_site")),
        may_rate: bureau_side && actor.can(Action::PersonWrite),
        may_review: actor.can(Action::FacilityManage) && d.order.held(),
        nav: Nav::of(actor),
        d,
        error,
    };
    let status = status_of(&page.error);
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    order_page(&state, &session, id, None).await
}

/// The order page's forms: `do` names the step.
pub(crate) async fn act(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let (app, actor) = (&state.app, &session.actor);
    let number = |k: &str| field(k).trim().parse::<i64>().ok();
    let result = match field("do").as_str() {
        "dispatch" => home_care::dispatch(app, actor, id, number("provider_id"))
            .await
            .map(|_| ()),
        "accept" => home_care::accept(app, actor, id, number("caregiver_id")).await,
        "rate" => {
            home_care::rate(
                app,
                actor,
                id,
                &RatingInput {
                    stars: field("stars"),
                    by: field("by"),
                    comment: field("comment"),
                },
            )
            .await
        }
        "cancel" => home_care::cancel(app, actor, id, &field("reason")).await,
        "review" => {
            home_care::review(
                app,
                actor,
                id,
                &ReviewInput {
                    outcome: field("outcome"),
                    note: field("note"),
                },
            )
            .await
        }
        "complain" => home_care::complain(app, actor, id, &field("text"))
            .await
            .map(|_| ()),
        "callback" => {
            home_care::record_callback(
                app,
                actor,
                id,
                &CallbackInput {
                    reached: field("reached") == "1",
                    service_confirmed: field("service_confirmed") == "1",
                    satisfied: field("satisfied") == "1",
                    notes: field("notes"),
                },
            )
            .await
        }
        _ => Err(AppError::invalid("操作", "未知的操作")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/home-care/orders/{id}")).into_response()),
        Err(e) => {
            let message = shown(e)?;
            order_page(&state, &session, id, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "home_care_visit.html")]
struct VisitPage {
    nav: Nav,
    o: OrderView,
    error: Option<String>,
}

async fn visit_page(
    state: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = home_care::order(&state.app, &session.actor, id).await?;
    let status = status_of(&error);
    let page = VisitPage {
        nav: Nav::of(&session.actor),
        o: d.order,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The caregiver's phone page for one visit: check in, then check out.
pub(crate) async fn visit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    visit_page(&state, &session, id, None).await
}

pub(crate) async fn visit_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let at = Position {
        longitude: field("longitude"),
        latitude: field("latitude"),
    };
    let result = match field("do").as_str() {
        "check_in" => home_care::check_in(&state.app, &session.actor, id, &at).await,
        "check_out" => home_care::check_out(&state.app, &session.actor, id, &at)
            .await
            .map(|_| ()),
        _ => Err(AppError::invalid("操作", "请选择签到或签退")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/home-care/orders/{id}/visit")).into_response()),
        Err(e) => {
            let message = shown(e)?;
            visit_page(&state, &session, id, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "home_care_provider.html")]
struct ProviderPage {
    nav: Nav,
    provider_id: i64,
    caregivers: Vec<CaregiverView>,
    s: ProviderSettlement,
    may_score: bool,
    score: Option<ProviderScore>,
    error: Option<String>,
}

impl ProviderPage {
    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

async fn provider_page(
    state: &AppState,
    session: &Session,
    provider: i64,
    month: &str,
    score: Option<ProviderScore>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let caregivers = home_care::caregivers(&state.app, &session.actor, provider).await?;
    let s = home_care::settlement(&state.app, &session.actor, provider, month).await?;
    let status = status_of(&error);
    let page = ProviderPage {
        nav: Nav::of(&session.actor),
        provider_id: provider,
        caregivers,
        s,
        may_score: session.actor.can(kangyang_domain::Action::FacilityManage),
        score,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn provider(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(provider): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    provider_page(&state, &session, provider, &month, None, None).await
}

/// The provider page's forms: add a caregiver, or score a month.
pub(crate) async fn provider_act(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(provider): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let month = month_or_this(&state, &field("month"));
    let (app, actor) = (&state.app, &session.actor);
    match field("do").as_str() {
        "caregiver" => {
            let input = CaregiverInput {
                name: field("name"),
                qualification: field("qualification"),
                phone: field("phone"),
                username: field("username"),
            };
            match home_care::add_caregiver(app, actor, provider, &input).await {
                Ok(_) => {
                    Ok(Redirect::to(&format!("/home-care/providers/{provider}")).into_response())
                }
                Err(e) => {
                    let message = shown(e)?;
                    provider_page(&state, &session, provider, &month, None, Some(message)).await
                }
            }
        }
        "score" => match home_care::score_provider(app, actor, provider, &month).await {
            Ok(score) => provider_page(&state, &session, provider, &month, Some(score), None).await,
            Err(e) => {
                let message = shown(e)?;
                provider_page(&state, &session, provider, &month, None, Some(message)).await
            }
        },
        _ => {
            provider_page(
                &state,
                &session,
                provider,
                &month,
                None,
                Some("操作: 未知的操作".into()),
            )
            .await
        }
    }
}

/// The settlement sheet (xlsx) the provider signs and the bureau pays by.
pub(crate) async fn settlement_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(provider): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes = home_care::settlement_xlsx(&state.app, &session.actor, provider, &month).await?;
    Ok(xlsx(
        &format!("home-care-settlement-{provider}-{month}.xlsx"),
        bytes,
    ))
}
