//! The JSON API under `/api/v1`, described by the OpenAPI document it serves.
//!
//! Each concept's handlers live in a module of their own (`api/<concept>.rs`)
//! and declare their routes there with `#[utoipa::path]` and
//! [`Routes::api`](crate::routes::Routes::api): the document below is what the
//! router collected, plus the description and the shared schemas.

pub(crate) mod auth;
pub(crate) mod holidays;
pub(crate) mod regions;
pub(crate) mod transfers;
pub(crate) mod users;
pub(crate) mod workbench;

use crate::routes::{Access, Routes};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use kangyang_app::regions::{ChildView, RegionDetail};
use serde::Serialize;
use std::sync::Arc;
use utoipa::openapi::OpenApi as Document;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::routes;

/// The description and the schemas of the document; its paths come from the
/// routes themselves (see [`document`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "kangyang 康养 API",
        description = "Community welfare services platform. Every call but login acts as the \
            signed-in user (session cookie `kangyang_session`) and sees only that user's region \
            or facility. State-changing calls must send the session's CSRF token in the \
            `X-CSRF-Token` header; login returns it."
    ),
    components(schemas(
        kangyang_app::workbench::WorkItem,
        kangyang_app::holidays::HolidayList,
        kangyang_app::holidays::HolidayView,
        kangyang_app::holidays::HolidayInput,
        crate::api::holidays::RemoveRequest,
        crate::audit_pages::AuditPage,
        crate::audit_pages::AuditEntry,
        crate::person_pages::PersonPage,
        crate::person_pages::RevealRequest,
        crate::person_pages::FindRequest,
        kangyang_app::transfers::TransferInput,
        kangyang_app::transfers::TransferView,
        kangyang_app::transfers::TransferLists,
        transfers::Requested,
        crate::person_pages::Found,
        users::AccountView,
        users::OpenRequest,
        users::Opened,
        users::GrantRequest,
        kangyang_app::register::PersonView,
        kangyang_app::register::HistoryEntry,
        kangyang_app::register::RevealField,
        auth::LoginRequest,
        auth::LoginResponse,
        auth::UserInfo,
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

/// The OpenAPI document: the description and schemas of [`ApiDoc`] with the
/// operations the router collected from the routes' own declarations.
pub(crate) fn document(collected: Document) -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(collected);
    doc
}

/// The document, made once when the router is built.
#[derive(Clone)]
pub(crate) struct ServedDocument(pub Arc<Document>);

pub(crate) async fn openapi(Extension(doc): Extension<ServedDocument>) -> impl IntoResponse {
    Json(Document::clone(&doc.0))
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

/// Health, the document itself, signing in and out, regions.
pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(Public, routes!(healthz))
        // The document describes the API, not itself.
        .get("/api/v1/openapi.json", Public, openapi)
        .merge(auth::routes())
        .merge(regions::routes())
}
