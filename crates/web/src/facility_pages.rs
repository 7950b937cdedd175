//! Facilities in the browser and the JSON API: the facility list, a centre's
//! page, the phone sign-in sheet, monthly sheets, and the Kangyuan overview.
//!
//! Form fields arrive as strings and are checked by the use cases, after the
//! facility's scope: a facility outside one's scope is "not found" whatever
//! the form says.

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, FormList, PageSession};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::assessment::{self, RatingInput, RatingView};
use kangyang_app::facility::{
    self, BrandProjectInput, BrandScoreInput, BrandView, FacilityDetail, FacilityInput,
    FacilityQuery, FacilityView, KangyuanOverview, MilestoneInput, RelocationInput,
};
use kangyang_app::kangyuan::{
    self, AttendanceDay, CounsellingView, EnrolRequest, Mark, OrderInput, OrderView, ServiceInput,
    ServiceView, TraineeView,
};
use kangyang_app::{AppError, Result as AppResult};
use kangyang_domain::assessment::Scored;
use kangyang_domain::canteen::CanteenMode;
use kangyang_domain::facility::{EligibilityRule, FacilityKind};
use kangyang_domain::kangyuan::ServiceKind;
use kangyang_domain::{Action, RegionCode};
use kangyang_store::facility::STAR_TEMPLATE;
use serde::Deserialize;
use std::collections::HashMap;

/// The month asked for ("YYYY-MM"), or this month when none was.
pub(crate) fn month_or_this(state: &AppState, month: &str) -> String {
    if month.trim().is_empty() {
        let t = state.app.today();
        format!("{}-{:02}", t.year(), t.month())
    } else {
        month.trim().to_owned()
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    // File names are ours (ASCII), never user input.
    (
        [
            (header::CONTENT_TYPE, XLSX.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response()
}

pub(crate) fn region_param(code: &str) -> AppResult<RegionCode> {
    // An unparseable code names nothing: not found, like an unknown one.
    RegionCode::parse(code).map_err(|_| AppError::NotFound)
}

/// A person id from a form: missing or malformed reads as 0, which the use
/// case refuses with a field error (after it has checked the facility's scope).
fn id_field(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

// ---- JSON API ----

/// Facilities in one's scope: `type` (e.g. kangyuan_centre) and `region` filter.
/// Each comes with its current enrolment count and latest star rating.
#[utoipa::path(get, path = "/api/v1/facilities", params(FacilityQuery),
    responses((status = 200, body = [FacilityView]), (status = 401, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(q): Query<FacilityQuery>,
) -> Result<Json<Vec<FacilityView>>, ApiError> {
    Ok(Json(facility::list(&state.app, &session.actor, &q).await?))
}

/// Register a facility in one's region.
#[utoipa::path(post, path = "/api/v1/facilities", request_body = FacilityInput,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<FacilityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = facility::create(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// One facility with its rooms, villages served, sites, figures and projects.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}", params(("facility" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_get(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<FacilityDetail>, ApiError> {
    Ok(Json(
        facility::detail(&state.app, &session.actor, facility).await?,
    ))
}

/// The facility's current trainees.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/enrolments", params(("facility" = i64, Path)),
    responses((status = 200, body = [TraineeView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_trainees(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<TraineeView>>, ApiError> {
    Ok(Json(
        kangyuan::trainees(&state.app, &session.actor, facility, false).await?,
    ))
}

/// Enrol a person (by `person_id` or `id_number`); refused with the rule that failed.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/enrolments", params(("facility" = i64, Path)), request_body = EnrolRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_enrol(
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
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/attendance", params(("facility" = i64, Path)), request_body = MarkRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_mark(
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

/// Set who a facility may enrol: an age range and the disabilities accepted.
#[utoipa::path(put, path = "/api/v1/facilities/{facility}/eligibility", params(("facility" = i64, Path)), request_body = Object,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_set_eligibility(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(rule): Json<EligibilityRule>,
) -> Result<StatusCode, ApiError> {
    facility::set_eligibility(&state.app, &session.actor, facility, &rule).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take on a piecework order from a partner company.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/orders", params(("facility" = i64, Path)), request_body = OrderInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_order(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<OrderInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = kangyuan::add_order(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The facility's piecework orders with their progress.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/orders", params(("facility" = i64, Path)),
    responses((status = 200, body = [OrderView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_orders(
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
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/orders/{order}/output", params(("facility" = i64, Path), ("order" = i64, Path)), request_body = OutputRequest,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_record_output(
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

/// Change a facility's record (its eligibility rule is set separately).
/// Takes the flat input or GET's answer sent back unchanged.
#[utoipa::path(put, path = "/api/v1/facilities/{facility}", params(("facility" = i64, Path)), request_body = FacilityInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_update(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(body): Json<serde_json::Value>,
) -> Result<StatusCode, ApiError> {
    let input = FacilityInput::from_api(&body)?;
    facility::update(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a facility to a new site; the old site stays in its history with its dates.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/relocations", params(("facility" = i64, Path)), request_body = RelocationInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_relocate(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<RelocationInput>,
) -> Result<StatusCode, ApiError> {
    facility::relocate(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct RoomRequest {
    name: String,
    function: String,
    /// Square metres.
    area_m2: String,
}

/// Add a room (name, function, area).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/rooms", params(("facility" = i64, Path)), request_body = RoomRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_room(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(r): Json<RoomRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = facility::add_room(
        &state.app,
        &session.actor,
        facility,
        &r.name,
        &r.function,
        &r.area_m2,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A centre's brand projects (一康园一品牌) with milestones and latest scores.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/brand-projects", params(("facility" = i64, Path)),
    responses((status = 200, body = [BrandView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_brand_projects(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<BrandView>>, ApiError> {
    Ok(Json(
        facility::brand_projects(&state.app, &session.actor, facility).await?,
    ))
}

/// Create a brand project of a centre (name, description, started date).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/brand-projects", params(("facility" = i64, Path)), request_body = BrandProjectInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_brand_project(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<BrandProjectInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = facility::add_brand_project(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Add a milestone (name, planned date, done date) to a brand project.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/brand-projects/{brand}/milestones",
    params(("facility" = i64, Path), ("brand" = i64, Path)), request_body = MilestoneInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_brand_milestone(
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
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/brand-projects/{brand}/score",
    params(("facility" = i64, Path), ("brand" = i64, Path)), request_body = BrandScoreInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_score_brand_project(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path((facility, brand)): Path<(i64, i64)>,
    Json(input): Json<BrandScoreInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id =
        facility::score_brand_project(&state.app, &session.actor, facility, brand, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A brand project from the centre page.
pub(crate) async fn add_brand_project(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = BrandProjectInput {
        name: field("name"),
        description: field("description"),
        started_on: field("started_on"),
    };
    match facility::add_brand_project(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=brand")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A brand project's milestone from the centre page.
pub(crate) async fn add_brand_milestone(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((facility, brand)): Path<(i64, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = MilestoneInput {
        name: field("name"),
        planned_on: field("planned_on"),
        done_on: field("done_on"),
    };
    match facility::add_brand_milestone(&state.app, &session.actor, facility, brand, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=milestone")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A brand project's yearly score from the centre page.
pub(crate) async fn score_brand_project(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((facility, brand)): Path<(i64, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = BrandScoreInput {
        year: field("year"),
        score: field("score"),
        prize: field("prize"),
    };
    match facility::score_brand_project(&state.app, &session.actor, facility, brand, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/facilities/{facility}?ok=brand_score")).into_response())
        }
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A relocation from the centre page.
pub(crate) async fn relocate(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = RelocationInput {
        address: field("address"),
        floor_area_m2: field("floor_area_m2"),
        day: field("day"),
        note: field("note"),
    };
    match facility::relocate(&state.app, &session.actor, facility, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=moved")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct CounsellingRequest {
    person_id: i64,
    day: String,
    notes: String,
}

/// Record a counselling session (counsellors only; the notes are sealed).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/counselling", params(("facility" = i64, Path)), request_body = CounsellingRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_counselling(
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
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/counselling", params(("facility" = i64, Path)),
    responses((status = 200, body = [CounsellingView]), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_counselling(
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
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/ratings", params(("facility" = i64, Path)), request_body = RatingInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_rate(
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
#[utoipa::path(get, path = "/api/v1/regions/{code}/kangyuan", params(("code" = String, Path)),
    responses((status = 200, body = KangyuanOverview), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_overview(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<KangyuanOverview>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        facility::kangyuan_overview(&state.app, &session.actor, &region).await?,
    ))
}

// ---- pages ----

#[derive(Template)]
#[template(path = "facilities.html")]
struct FacilitiesPage {
    nav: Nav,
    facilities: Vec<FacilityView>,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    region: String,
    can_manage: bool,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<FacilityQuery>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    // A facility user has one facility: their list is their page.
    if let Some(own) = actor.scope.facility_id() {
        return Ok(Redirect::to(&format!("/facilities/{own}")).into_response());
    }
    let facilities = facility::list(&state.app, actor, &q).await?;
    html(FacilitiesPage {
        nav: Nav::of(actor),
        facilities,
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        kind: q.kind.unwrap_or_default(),
        region: q.region.unwrap_or_default(),
        can_manage: actor.can(Action::FacilityManage),
    })
}

#[derive(Template)]
#[template(path = "facility.html")]
struct FacilityPage {
    nav: Nav,
    d: FacilityDetail,
    trainees: Vec<TraineeView>,
    ratings: Vec<RatingView>,
    services: Vec<ServiceView>,
    orders: Vec<OrderView>,
    can_manage: bool,
    service_kinds: Vec<(&'static str, &'static str)>,
    month: String,
    can_record: bool,
    message: Option<String>,
    error: Option<String>,
    /// Elder canteens: their mode and pages (counter, menus, settlement).
    is_canteen: bool,
    canteen_mode: Option<&'static str>,
    canteen_modes: Vec<(&'static str, &'static str)>,
    last_month: String,
    /// Clinic agreements and a station's work.
    care: crate::care_pages::CarePanel,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Flash {
    ok: Option<String>,
}

async fn facility_page(
    state: &AppState,
    session: &crate::session::Session,
    id: i64,
    message: Option<String>,
    error: Option<String>,
) -> Result<FacilityPage, AppError> {
    let app = &state.app;
    let actor = &session.actor;
    let d = facility::detail(app, actor, id).await?;
    let can_record = actor.can(Action::ServiceRecord);
    let trainees = if actor.can(Action::PersonRead) {
        kangyuan::trainees(app, actor, id, false).await?
    } else {
        Vec::new()
    };
    let today = app.today();
    let month = format!("{}-{:02}", today.year(), today.month());
    let is_canteen = d.facility.kind == FacilityKind::ElderCanteen.as_str();
    let canteen_mode = if is_canteen {
        kangyang_app::canteen::mode_of(app, actor, id).await?
    } else {
        None
    };
    Ok(FacilityPage {
        is_canteen,
        canteen_mode: canteen_mode.map(CanteenMode::as_str),
        canteen_modes: CanteenMode::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        last_month: crate::canteen_pages::month_step(&month, false),
        nav: Nav::of(actor),
        trainees,
        ratings: assessment::facility_history(app, actor, id, STAR_TEMPLATE).await?,
        services: kangyuan::services(app, actor, id).await?,
        orders: kangyuan::orders(app, actor, id).await?,
        service_kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        month,
        can_record,
        can_manage: actor.can(Action::FacilityManage),
        message,
        error,
        care: crate::care_pages::panel(state, session, id, &d).await?,
        d,
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<Response, PageError> {
    let message = match flash.ok.as_deref() {
        Some("enrolled") => Some("已登记入托".to_owned()),
        Some("service") => Some("服务记录已保存".to_owned()),
        Some("output") => Some("产量已登记".to_owned()),
        Some("moved") => Some("已迁入新址，旧址记入场地沿革".to_owned()),
        Some("mode") => Some("饭堂运营模式已保存".to_owned()),
        Some("brand") => Some("品牌项目已创建".to_owned()),
        Some("milestone") => Some("里程碑已保存".to_owned()),
        Some("brand_score") => Some("评比得分已保存".to_owned()),
        Some(other) => crate::care_pages::flash(other)
            .or_else(|| crate::pages::kangyuan_forms::flash(other))
            .map(str::to_owned),
        None => None,
    };
    html(facility_page(&state, &session, facility, message, None).await?)
}

/// Renders the centre page again with the error of a form, keeping the status.
pub(crate) async fn page_with_error(
    state: &AppState,
    session: &crate::session::Session,
    facility: i64,
    e: AppError,
) -> Result<Response, PageError> {
    let status = match &e {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => return Err(e.into()),
    };
    let page = facility_page(state, session, facility, None, Some(e.to_string())).await?;
    Ok((status, axum::response::Html(page.render()?)).into_response())
}

pub(crate) async fn enrol(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let req = EnrolRequest {
        person_id: None,
        id_number: Some(field("id_number")),
        start_date: Some(field("start_date")),
    };
    match kangyuan::enrol(&state.app, &session.actor, facility, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=enrolled")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

pub(crate) async fn leave(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    match kangyuan::leave(
        &state.app,
        &session.actor,
        facility,
        id_field(&field("person_id")),
        &field("end_date"),
        &field("reason"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

pub(crate) async fn add_service(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = ServiceInput {
        kind: field("kind"),
        day: field("day"),
        title: field("title"),
        group_activity: field("group_activity") == "1",
        participants: form
            .all("participant")
            .iter()
            .map(|v| id_field(v))
            .collect(),
        notes: field("notes"),
    };
    match kangyuan::add_service(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=service")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A day's piecework output from the centre page.
pub(crate) async fn record_output(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let quantity = field("quantity").trim().parse::<i64>().unwrap_or(-1);
    match kangyuan::record_output(
        &state.app,
        &session.actor,
        facility,
        id_field(&field("order_id")),
        id_field(&field("person_id")),
        &field("day"),
        quantity,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=output")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

#[derive(Template)]
#[template(path = "facility_form.html")]
struct FacilityFormPage {
    nav: Nav,
    kinds: Vec<(&'static str, &'static str)>,
    values: HashMap<String, String>,
    error: Option<String>,
}

pub(crate) async fn new_form(PageSession(session): PageSession) -> Result<Response, PageError> {
    html(FacilityFormPage {
        nav: Nav::of(&session.actor),
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        values: HashMap::new(),
        error: None,
    })
}

pub(crate) async fn create(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| values.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = FacilityInput {
        name: field("name"),
        kind: field("kind"),
        region: field("region"),
        address: field("address"),
        longitude: field("longitude"),
        latitude: field("latitude"),
        floor_area_m2: field("floor_area_m2"),
        capacity: field("capacity"),
        opening_hours: field("opening_hours"),
        opening_days: field("opening_days"),
        operator: field("operator"),
        contact_name: field("contact_name"),
        contact_phone: field("contact_phone"),
        villages: field("villages"),
    };
    match facility::create(&state.app, &session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/facilities/{id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            let page = FacilityFormPage {
                nav: Nav::of(&session.actor),
                kinds: FacilityKind::ALL
                    .iter()
                    .map(|k| (k.as_str(), k.label()))
                    .collect(),
                error: Some(e.to_string()),
                values,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::response::Html(page.render()?),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
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
#[utoipa::path(post, path = "/api/v1/rating-rounds", request_body = RoundRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_open_round(
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

// ---- the sign-in sheet ----

#[derive(Template)]
#[template(path = "attendance.html")]
struct AttendancePage {
    nav: Nav,
    sheet: AttendanceDay,
    is_today: bool,
    month: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DayParam {
    day: Option<String>,
}

pub(crate) async fn attendance(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<DayParam>,
) -> Result<Response, PageError> {
    let (sheet, error) = match kangyuan::attendance_day(
        &state.app,
        &session.actor,
        facility,
        p.day.as_deref(),
    )
    .await
    {
        Ok(sheet) => (sheet, None),
        Err(e @ AppError::Invalid { .. }) => (
            kangyuan::attendance_day(&state.app, &session.actor, facility, None).await?,
            Some(e.to_string()),
        ),
        Err(e) => return Err(e.into()),
    };
    let today = state.app.today();
    html(AttendancePage {
        nav: Nav::of(&session.actor),
        is_today: sheet.day == today.to_string(),
        month: sheet.day.get(..7).unwrap_or("").to_owned(),
        sheet,
        error,
    })
}

/// One tap: saved at once, then back to the same line of the sheet.
pub(crate) async fn mark(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let mark = match field("mark").as_str() {
        "absent" => Mark::Absent,
        "clear" => Mark::Clear,
        _ => Mark::Present,
    };
    let person = id_field(&field("person_id"));
    let day = field("day");
    kangyuan::mark(&state.app, &session.actor, facility, person, &day, mark).await?;
    Ok(Redirect::to(&format!(
        "/facilities/{facility}/attendance?day={}#p{person}",
        crate::audit_pages::percent_encode(&day)
    ))
    .into_response())
}

/// A whole missed day at once: ticked trainees present, the rest absent.
pub(crate) async fn mark_day(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let present: Vec<i64> = form.all("present").iter().map(|v| id_field(v)).collect();
    let day = field("day");
    kangyuan::mark_day(&state.app, &session.actor, facility, &day, &present).await?;
    Ok(Redirect::to(&format!(
        "/facilities/{facility}/attendance?day={}",
        crate::audit_pages::percent_encode(&day)
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MonthParam {
    month: String,
}

/// The monthly attendance sheet (xlsx).
pub(crate) async fn attendance_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes =
        kangyuan::attendance_month_xlsx(&state.app, &session.actor, facility, &month).await?;
    Ok(xlsx(
        &format!("attendance-{facility}-{}.xlsx", month.trim()),
        bytes,
    ))
}

/// The monthly piecework payout sheet (xlsx).
pub(crate) async fn payout_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes = kangyuan::payout_xlsx(&state.app, &session.actor, facility, &month).await?;
    Ok(xlsx(
        &format!("payout-{facility}-{}.xlsx", month.trim()),
        bytes,
    ))
}

// ---- the overview ----

#[derive(Template)]
#[template(path = "kangyuan.html")]
struct OverviewPage {
    nav: Nav,
    o: KangyuanOverview,
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let o = facility::kangyuan_overview(&state.app, &session.actor, &region).await?;
    html(OverviewPage {
        nav: Nav::of(&session.actor),
        o,
    })
}
