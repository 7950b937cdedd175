//! Medical-care integration through the API: clinic agreements and the
//! region's report of care institutions without a partner clinic (the
//! pages are `pages/medical_care.rs`).

use crate::error::ApiError;
use crate::pages::region_param;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::medical_care::{
    self, AgreementInput, AgreementView, EndInput, MedicalCareReport,
};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(create))
        .api(SignedIn, routes!(end))
        .api(SignedIn, routes!(of_facility))
        .api(SignedIn, routes!(report))
}

/// Sign a medical-care agreement between a care institution and a clinic.
#[utoipa::path(post, operation_id = "api_create", path = "/api/v1/care-agreements", request_body = AgreementInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<AgreementInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = medical_care::create_agreement(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// End an agreement: the given day becomes its last day in force.
#[utoipa::path(post, operation_id = "api_end", path = "/api/v1/care-agreements/{agreement}/end", params(("agreement" = i64, Path)),
    request_body = EndInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn end(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(agreement): Path<i64>,
    Json(input): Json<EndInput>,
) -> Result<StatusCode, ApiError> {
    medical_care::end_agreement(&state.app, &session.actor, agreement, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The medical-care agreements a facility is party to (as institution or clinic).
#[utoipa::path(get, operation_id = "api_of_facility", path = "/api/v1/facilities/{facility}/care-agreements", params(("facility" = i64, Path)),
    responses((status = 200, body = [AgreementView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn of_facility(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    Ok(Json(
        medical_care::agreements_of(&state.app, &session.actor, facility).await?,
    ))
}

/// A region's care institutions without a partner clinic in force, per
/// county, and the agreements in force.
#[utoipa::path(get, operation_id = "api_report", path = "/api/v1/regions/{code}/medical-care", params(("code" = String, Path)),
    responses((status = 200, body = MedicalCareReport), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn report(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<MedicalCareReport>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        medical_care::report(&state.app, &session.actor, &region).await?,
    ))
}
