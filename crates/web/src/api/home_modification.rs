//! Age-friendly home modification (适老化改造) through the API: the
//! catalogue, cases (items, steps, photos), a person's cases, and a region's
//! progress against its annual target (the pages are
//! `pages/home_modification.rs`, which also reads the photo uploads of both).

use crate::error::ApiError;
use crate::pages::home_modification::{
    read_upload, region_param, store_upload, year_param, YearParam, PHOTO_BODY_LIMIT,
};
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::home_modification::{
    self as hm, CaseView, CatalogueItem, ItemInput, ModificationProgress, MoveInput, OpenCaseInput,
    PersonCases, PhotoStored, TargetInput,
};
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(items))
        .api(SignedIn, routes!(open))
        .api(SignedIn, routes!(case))
        .api(SignedIn, routes!(move_case))
        .api(SignedIn, routes!(set_item))
        .api(
            SignedIn,
            routes!(add_photo).layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
        )
        .api(SignedIn, routes!(person_cases))
        .api(SignedIn, routes!(progress))
        .api(SignedIn, routes!(set_target))
}

/// The Ministry of Civil Affairs' 2020 recommended list: 30 items in 7 groups, 7 of them basic.
#[utoipa::path(get, operation_id = "api_items", path = "/api/v1/modification-items",
    responses((status = 200, body = [CatalogueItem]), (status = 401, body = crate::api::ErrorBody)))]
pub(crate) async fn items(ApiSession(_session): ApiSession) -> Json<Vec<CatalogueItem>> {
    Json(hm::catalogue())
}

/// Open a home-modification case for an elderly person (one live case a person a year).
#[utoipa::path(post, operation_id = "api_open", path = "/api/v1/modifications", request_body = OpenCaseInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn open(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<OpenCaseInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = hm::open_case(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A case: the person (masked), items with costs and totals, steps, photos.
#[utoipa::path(get, operation_id = "api_case", path = "/api/v1/modifications/{case}", params(("case" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn case(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(hm::case(&state.app, &session.actor, case).await?))
}

/// Move a case to its next step, or withdraw it (with a reason).
#[utoipa::path(post, operation_id = "api_move", path = "/api/v1/modifications/{case}/state", params(("case" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn move_case(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
    Json(input): Json<MoveInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let to = hm::move_case(&state.app, &session.actor, case, &input).await?;
    Ok(Json(
        serde_json::json!({ "state": to.as_str(), "state_label": to.label() }),
    ))
}

/// Set an item of the case's design: add it, change quantity or unit cost, or remove it with quantity 0.
#[utoipa::path(post, operation_id = "api_set_item", path = "/api/v1/modifications/{case}/items", params(("case" = i64, Path)), request_body = ItemInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn set_item(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
    Json(input): Json<ItemInput>,
) -> Result<StatusCode, ApiError> {
    hm::set_item(&state.app, &session.actor, case, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A photo upload: `phase` (before or after) and the image in `photo`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct PhotoUpload {
    /// before or after
    phase: String,
    /// A JPEG, PNG or WebP image of at most 5 MiB, recognised by its content.
    #[schema(format = Binary, value_type = String)]
    photo: Vec<u8>,
}

/// Upload a before or after photo (multipart form: `phase`, `photo`).
#[utoipa::path(post, operation_id = "api_add_photo", path = "/api/v1/modifications/{case}/photos", params(("case" = i64, Path)),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = PhotoStored), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_photo(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<PhotoStored>), ApiError> {
    let upload = read_upload(multipart).await;
    let stored = store_upload(&state, &session, case, &upload).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// A person's home-modification cases, newest first.
#[utoipa::path(get, operation_id = "api_person_cases", path = "/api/v1/persons/{id}/modifications", params(("id" = i64, Path)),
    responses((status = 200, body = PersonCases), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn person_cases(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<PersonCases>, ApiError> {
    Ok(Json(
        hm::cases_of_person(&state.app, &session.actor, id).await?,
    ))
}

/// A region's progress for a year: target, cases done (accepted or paid), by
/// child region (a city's counties) and by step, and the cases stuck.
#[utoipa::path(get, operation_id = "api_progress", path = "/api/v1/regions/{code}/modifications", params(("code" = String, Path), YearParam),
    responses((status = 200, body = ModificationProgress), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn progress(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
    Query(p): Query<YearParam>,
) -> Result<Json<ModificationProgress>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        hm::progress(&state.app, &session.actor, &region, year_param(&p.year)).await?,
    ))
}

/// Set a region's annual target (households to modify).
#[utoipa::path(post, operation_id = "api_set_target", path = "/api/v1/modification-targets", request_body = TargetInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn set_target(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<TargetInput>,
) -> Result<StatusCode, ApiError> {
    hm::set_target(&state.app, &session.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
