//! The JSON API under `/api/v1`, described by the OpenAPI document it serves.

use crate::error::ApiError;
use crate::session::{cleared_cookie, is_secure, session_cookie, ApiSession, ClientOrigin};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::regions::{self, ChildView, RegionDetail};
use kangyang_app::{auth, Actor};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kangyang 康养 API",
        description = "Community welfare services platform. Every call but login acts as the \
            signed-in user (session cookie `kangyang_session`) and sees only that user's region \
            or facility. State-changing calls must send the session's CSRF token in the \
            `X-CSRF-Token` header; login returns it."
    ),
    paths(
        login,
        logout,
        me,
        regions_search,
        region,
        region_children,
        healthz,
        crate::audit_pages::api_search,
        crate::user_pages::api_list,
        crate::user_pages::api_create,
        crate::user_pages::api_grant,
        crate::user_pages::api_disable,
        crate::user_pages::api_enable,
        crate::person_pages::api_search,
        crate::person_pages::api_create,
        crate::person_pages::api_get,
        crate::person_pages::api_update,
        crate::person_pages::api_reveal,
        crate::person_pages::api_find,
        crate::transfer_pages::api_list,
        crate::transfer_pages::api_request,
        crate::transfer_pages::api_get,
        crate::transfer_pages::api_accept,
        crate::transfer_pages::api_refuse,
        crate::person_pages::api_history,
        crate::import_pages::api_export,
        crate::facility_pages::api_list,
        crate::facility_pages::api_create,
        crate::facility_pages::api_get,
        crate::facility_pages::api_trainees,
        crate::facility_pages::api_enrol,
        crate::facility_pages::api_mark,
        crate::facility_pages::api_rate,
        crate::facility_pages::api_set_eligibility,
        crate::facility_pages::api_orders,
        crate::facility_pages::api_add_order,
        crate::facility_pages::api_record_output,
        crate::facility_pages::api_open_round,
        crate::facility_pages::api_update,
        crate::facility_pages::api_relocate,
        crate::facility_pages::api_add_room,
        crate::facility_pages::api_brand_projects,
        crate::facility_pages::api_add_brand_project,
        crate::facility_pages::api_add_brand_milestone,
        crate::facility_pages::api_score_brand_project,
        crate::facility_pages::api_counselling,
        crate::facility_pages::api_add_counselling,
        crate::facility_pages::api_overview,
        crate::funds_api::add_source,
        crate::funds_api::add_project,
        crate::funds_api::allocate,
        crate::funds_api::spend,
        crate::funds_api::projects,
        crate::funds_api::add_org,
        crate::funds_api::pair,
        crate::funds_api::add_help,
        crate::capability_pages::api_assess,
        crate::capability_pages::api_history,
        crate::visit_pages::api_due,
        crate::visit_pages::api_record,
        crate::visit_pages::api_of_person,
        crate::children_pages::api_file,
        crate::children_pages::api_save,
        crate::children_pages::api_break_glass,
        crate::children_pages::api_add_activity,
        crate::children_pages::api_carers,
        crate::children_pages::api_children,
        crate::children_pages::api_break_glass_report,
        crate::children_pages::api_review,
        crate::canteen_api::set_mode,
        crate::canteen_api::set_menu,
        crate::canteen_api::record_meal,
        crate::canteen_api::settlement,
        crate::canteen_api::counter,
        crate::canteen_api::cancel_meal,
        crate::canteen_api::week_menu,
        crate::care_pages::api_create,
        crate::care_pages::api_end,
        crate::care_pages::api_of_facility,
        crate::care_pages::api_report,
        crate::care_pages::api_activities,
        crate::care_pages::api_add_activity,
        crate::care_pages::api_trainings,
        crate::care_pages::api_add_training,
        crate::care_pages::api_set_head,
        crate::care_pages::api_raised,
        crate::care_pages::api_acknowledge,
        crate::workbench_pages::api_items,
        crate::holiday_pages::api_list,
        crate::holiday_pages::api_set,
        crate::holiday_pages::api_remove,
        crate::modification_pages::api_items,
        crate::modification_pages::api_open,
        crate::modification_pages::api_case,
        crate::modification_pages::api_move,
        crate::modification_pages::api_set_item,
        crate::modification_pages::api_add_photo,
        crate::modification_pages::api_person_cases,
        crate::modification_pages::api_progress,
        crate::modification_pages::api_set_target,
        crate::home_care_pages::api_catalogue,
        crate::home_care_pages::api_orders,
        crate::home_care_pages::api_create,
        crate::home_care_pages::api_order,
        crate::home_care_pages::api_dispatch,
        crate::home_care_pages::api_accept,
        crate::home_care_pages::api_check_in,
        crate::home_care_pages::api_check_out,
        crate::home_care_pages::api_rate,
        crate::home_care_pages::api_cancel,
        crate::home_care_pages::api_review,
        crate::home_care_pages::api_complain,
        crate::home_care_pages::api_callback,
        crate::home_care_pages::api_complaints,
        crate::home_care_pages::api_close_complaint,
        crate::home_care_pages::api_callbacks,
        crate::home_care_pages::api_sample,
        crate::home_care_pages::api_providers,
        crate::home_care_pages::api_caregivers,
        crate::home_care_pages::api_add_caregiver,
        crate::home_care_pages::api_settlement,
        crate::home_care_pages::api_score,
        crate::home_care_pages::api_plan_orders,
        crate::home_care_pages::api_dashboard,
        crate::home_care_pages::api_client,
        crate::home_care_pages::api_save_client,
        crate::dashboard_pages::api_dashboard,
        crate::dashboard_pages::api_demand,
        crate::dashboard_pages::api_coverage,
        crate::planning_pages::api_plan,
        crate::construction_pages::api_create,
        crate::construction_pages::api_list,
        crate::construction_pages::api_detail,
        crate::construction_pages::api_stage,
        crate::construction_pages::api_milestone,
        crate::construction_pages::api_progress,
        crate::construction_pages::api_pay
    ),
    components(schemas(
        kangyang_app::workbench::WorkItem,
        kangyang_app::holidays::HolidayList,
        kangyang_app::holidays::HolidayView,
        kangyang_app::holidays::HolidayInput,
        crate::holiday_pages::RemoveRequest,
        crate::audit_pages::AuditPage,
        crate::audit_pages::AuditEntry,
        crate::person_pages::PersonPage,
        crate::person_pages::RevealRequest,
        crate::person_pages::FindRequest,
        kangyang_app::transfers::TransferInput,
        kangyang_app::transfers::TransferView,
        kangyang_app::transfers::TransferLists,
        crate::transfer_pages::Requested,
        crate::person_pages::Found,
        crate::user_pages::AccountView,
        crate::user_pages::OpenRequest,
        crate::user_pages::Opened,
        crate::user_pages::GrantRequest,
        kangyang_app::register::PersonView,
        kangyang_app::register::HistoryEntry,
        kangyang_app::register::RevealField,
        LoginRequest,
        LoginResponse,
        UserInfo,
        ErrorBody,
        RegionDetail,
        ChildView,
        kangyang_app::facility::FacilityView,
        kangyang_app::facility::FacilityInput,
        kangyang_app::facility::KangyuanOverview,
        kangyang_app::facility::CentreLine,
        kangyang_app::kangyuan::TraineeView,
        kangyang_app::kangyuan::EnrolRequest,
        kangyang_app::kangyuan::Mark,
        kangyang_app::assessment::RatingInput,
        crate::facility_pages::MarkRequest,
        crate::facility_pages::CounsellingRequest,
        crate::facility_pages::OutputRequest,
        crate::facility_pages::RoundRequest,
        crate::facility_pages::RoomRequest,
        kangyang_app::facility::BrandProjectInput,
        kangyang_app::facility::MilestoneInput,
        kangyang_app::facility::BrandScoreInput,
        kangyang_app::facility::BrandView,
        kangyang_app::facility::MilestoneView,
        kangyang_app::facility::RelocationInput,
        kangyang_app::kangyuan::OrderInput,
        kangyang_app::kangyuan::OrderView,
        kangyang_app::kangyuan::CounsellingView,
        crate::funds_api::SourceRequest,
        crate::funds_api::ProjectRequest,
        crate::funds_api::MoneyRequest,
        crate::funds_api::OrgRequest,
        crate::funds_api::PairRequest,
        crate::funds_api::HelpRequest,
        kangyang_app::capability::CapabilityInput,
        kangyang_app::capability::CapabilityView,
        kangyang_app::visits::DueList,
        kangyang_app::visits::DueLine,
        kangyang_app::visits::VisitInput,
        kangyang_app::visits::VisitView,
        crate::canteen_api::ModeRequest,
        crate::canteen_api::MenuRequest,
        kangyang_app::canteen::MealInput,
        kangyang_app::canteen::MealPriced,
        kangyang_app::canteen::CanteenSettlement,
        kangyang_app::canteen::TierLine,
        kangyang_app::canteen::FlaggedMeal,
        kangyang_app::canteen::DinerLine,
        kangyang_app::canteen::Counter,
        kangyang_app::canteen::CounterLine,
        kangyang_app::canteen::RecordedMeal,
        kangyang_app::canteen::SplitView,
        kangyang_app::canteen::MealChoice,
        kangyang_app::canteen::MenuItem,
        kangyang_app::canteen::WeekMenu,
        kangyang_app::canteen::MenuDay,
        kangyang_app::medical_care::AgreementInput,
        kangyang_app::medical_care::AgreementView,
        kangyang_app::medical_care::EndInput,
        kangyang_app::medical_care::MedicalCareReport,
        kangyang_app::medical_care::CountyLine,
        kangyang_app::medical_care::InstitutionLine,
        kangyang_app::station::ActivityInput,
        kangyang_app::station::ActivityView,
        kangyang_app::station::TrainingInput,
        kangyang_app::station::TrainingView,
        kangyang_app::station::HeadInput,
        kangyang_app::visits::RaisedList,
        kangyang_app::visits::RaisedLine,
        kangyang_app::visits::AcknowledgeInput,
        crate::modification_pages::PhotoUpload,
        kangyang_app::home_modification::CatalogueItem,
        kangyang_app::home_modification::OpenCaseInput,
        kangyang_app::home_modification::CaseView,
        kangyang_app::home_modification::ItemLine,
        kangyang_app::home_modification::StepView,
        kangyang_app::home_modification::PhotoView,
        kangyang_app::home_modification::Choice,
        kangyang_app::home_modification::MoveInput,
        kangyang_app::home_modification::ItemInput,
        kangyang_app::home_modification::PhotoStored,
        kangyang_app::home_modification::PersonCases,
        kangyang_app::home_modification::CaseSummary,
        kangyang_app::home_modification::ModificationProgress,
        kangyang_app::home_modification::ProgressLine,
        kangyang_app::home_modification::StateCount,
        kangyang_app::home_modification::StuckCase,
        kangyang_app::home_modification::TargetInput
    ))
)]
struct ApiDoc;

pub(crate) async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// Every error answer has this shape.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// A stable code: unauthenticated, login_failed, forbidden, csrf, not_found, invalid, …
    error: String,
    /// What went wrong, in Chinese, for the user.
    message: String,
    /// For `invalid`: which field, by its key in the request.
    field: Option<String>,
    /// For `invalid`: the field's Chinese name, as forms and sheets show it.
    label: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
    /// The authenticator's current 6-digit code, for accounts that have one.
    totp: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserInfo {
    username: String,
    display_name: String,
    role: String,
    /// The region code the user is bound to.
    region: String,
    facility_id: Option<i64>,
    permissions: Vec<String>,
    must_change_password: bool,
    /// An administrator who must first set up an authenticator.
    must_enroll_totp: bool,
    totp_enabled: bool,
}

impl From<&Actor> for UserInfo {
    fn from(a: &Actor) -> UserInfo {
        UserInfo {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str().to_owned(),
            region: a.scope.region().to_string(),
            facility_id: a.scope.facility_id(),
            permissions: a
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            must_change_password: a.must_change_password,
            must_enroll_totp: a.must_enroll_totp,
            totp_enabled: a.totp_enabled,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// Send this in the `X-CSRF-Token` header of every state-changing call.
    csrf_token: String,
    user: UserInfo,
}

/// Sign in. Sets the session cookie. Every failure gives the same 401 answer.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let password = auth::Password(req.password);
    let credentials = auth::Credentials {
        username: req.username.trim(),
        password: &password,
        totp: req.totp.as_deref(),
    };
    let (token, actor) = auth::login(&state.app, &credentials, &origin).await?;
    let cookie = session_cookie(&token.0, is_secure(&state, &headers));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginResponse {
            csrf_token: actor.csrf_token.clone(),
            user: UserInfo::from(&actor),
        }),
    ))
}

/// Sign out: the session ends on the server and the cookie is cleared.
#[utoipa::path(post, path = "/api/v1/logout",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    auth::logout(&state.app, &session.actor, &session.token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            cleared_cookie(is_secure(&state, &headers)),
        )],
    ))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = UserInfo), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(ApiSession(session): ApiSession) -> Json<UserInfo> {
    Json(UserInfo::from(&session.actor))
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

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses((status = 200), (status = 503)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx_ping(&state).await {
        true => (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))),
        false => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "database unreachable" })),
        ),
    }
}

async fn sqlx_ping(state: &AppState) -> bool {
    state.app.store().read().await.is_ok()
}
